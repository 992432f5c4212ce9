//! Arbitrary-precision throughput (steps per second at 256 bits) of SGD with momentum and weight
//! decay on the Rayleigh check (d = 5) and on the BN-MLP, in the type `--arith mp --precision 256`
//! runs in (`fixed`: [`Fixed<4>`], no allocation) and in the general tier (`run`: dashu-float, or
//! MPFR with `--features mpfr`, what `--precision` above 512 bits runs in); compare with
//! bench/mpmath_rayleigh.py, the same Rayleigh computation in Python/mpmath.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use explr::optim::{Convention, Schedule, Sgd, SgdState};
use explr::scalar::{with_precision, Fixed, MpRun, Real};
use explr::sim::{simulate, Run};
use explr::theorem::models::{build, ModelName};

fn steps<T: Real>(c: &mut Criterion, tier: &str) {
    let mut group = c.benchmark_group("mp256");
    group.sample_size(10);
    for (model, steps) in [(ModelName::Rayleigh, 200usize), (ModelName::MlpBn, 100)] {
        group.throughput(Throughput::Elements(steps as u64));
        // The model (its dataset converted to 256-bit numbers) is built once: steps/s counts steps.
        let built = with_precision(256, || build::<T>(model, 0));
        group.bench_function(format!("{tier}_{}_{}_steps", model.name(), steps), |b| {
            b.iter(|| {
                with_precision(256, || {
                    let run = Run::new(
                        Sgd::new(T::parse("0.9").unwrap(), Convention::PyTorch).unwrap(),
                        Schedule::Constant(T::parse("0.1").unwrap()),
                        Schedule::Constant(T::parse("5e-4").unwrap()),
                        steps,
                    )
                    .unwrap();
                    simulate(
                        built.model.as_ref(),
                        &run,
                        SgdState::new(built.theta0.clone(), None),
                        |_| {},
                    )
                })
            })
        });
    }
    group.finish();
}

fn steps_at_256_bits(c: &mut Criterion) {
    steps::<Fixed<4>>(c, "fixed");
    steps::<MpRun>(c, "run");
}

criterion_group!(benches, steps_at_256_bits);
criterion_main!(benches);
