//! Benchmarks (not tests): `verify toy` at its defaults (four regimes, 3000 population steps,
//! f64) and a 6-step exact rational run of the companion toy.

use criterion::{criterion_group, criterion_main, Criterion};
use explr::linalg::Vector;
use explr::scalar::Field;
use explr::scalar::Rational;
use explr::toy::models::{
    logistic_models, logistic_stability_limit, quadratic_models, quadratic_stability_limit, ToyData,
};
use explr::toy::{run_toy, ToySetup};

fn toy_defaults(c: &mut Criterion) {
    let setup = ToySetup::<f64> {
        lr: 0.5,
        weight_decay: 0.02,
        momentum: 0.0,
        steps: 3000,
        init: Vector::from_vec(vec![1.0, 1.0]),
        tolerance: 1e-6,
    };
    let models = logistic_models::<f64>(&ToyData::Population, 2);
    let limit = logistic_stability_limit(&0.0);
    let mut group = c.benchmark_group("toy");
    group.sample_size(10);
    group.bench_function("defaults_f64_population_3000_steps", |b| {
        b.iter(|| run_toy(&setup, &models, limit, |_, _| Ok(())).unwrap())
    });
    let r = |n: i64, d: i64| Rational::from_ratio(n, d);
    let exact = ToySetup::<Rational> {
        lr: r(1, 2),
        weight_decay: r(1, 10),
        momentum: r(0, 1),
        steps: 6,
        init: Vector::from_vec(vec![r(1, 1), r(2, 1)]),
        tolerance: 1e-6,
    };
    let exact_models = quadratic_models::<Rational>(2);
    let exact_limit = Field::to_f64(&quadratic_stability_limit(&r(0, 1)));
    group.bench_function("rational_normalized_quadratic_6_steps", |b| {
        b.iter(|| run_toy(&exact, &exact_models, exact_limit, |_, _| Ok(())).unwrap())
    });
    group.finish();
}

criterion_group!(benches, toy_defaults);
criterion_main!(benches);
