//! Arbitrary-precision throughput (steps per second at 256 bits) of SGD with momentum and weight
//! decay on the Rayleigh check (d = 5) and on the BN-MLP; compare with bench/mpmath_rayleigh.py,
//! the same Rayleigh computation in Python/mpmath. `--features mpfr` measures the MPFR tier.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use explr::optim::{Convention, Schedule, Sgd, SgdState};
use explr::scalar::{with_precision, Field, MpRun as Mp};
use explr::sim::{simulate, Run};
use explr::theorem::models::{build, ModelName};

fn steps_at_256_bits(c: &mut Criterion) {
    let mut group = c.benchmark_group("mp256");
    group.sample_size(10);
    for (model, steps) in [(ModelName::Rayleigh, 200usize), (ModelName::MlpBn, 100)] {
        group.throughput(Throughput::Elements(steps as u64));
        // The model (its dataset converted to 256-bit numbers) is built once: steps/s counts steps.
        let built = with_precision(256, || build::<Mp>(model, 0));
        group.bench_function(format!("{}_{}_steps", model.name(), steps), |b| {
            b.iter(|| {
                with_precision(256, || {
                    let run = Run::new(
                        Sgd::new(Mp::parse("0.9").unwrap(), Convention::PyTorch).unwrap(),
                        Schedule::Constant(Mp::parse("0.1").unwrap()),
                        Schedule::Constant(Mp::parse("5e-4").unwrap()),
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

criterion_group!(benches, steps_at_256_bits);
criterion_main!(benches);
