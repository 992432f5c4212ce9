//! Hand-written backward passes of the normalized networks against central differences, at 256
//! bits: h = 1e-25 gives truncation ~1e-50 and cancellation 2^-256/h ~ 1e-52, so agreement to
//! 1e-30 relative is demanded (the nets are smooth away from ReLU kinks, which a random point
//! misses by far more than h).

use explr::linalg::Vector;
use explr::loss::Objective;
use explr::scalar::{with_precision, Field, Mp};
use explr::theorem::models::{build, ModelName};

fn check(model: ModelName) {
    with_precision(256, || {
        let built = build::<Mp>(model, 3);
        let theta = &built.theta0;
        let h = Mp::parse("1e-25").unwrap();
        let batch = 1;
        let g = built.model.gradient(theta, batch);
        let scale = g.iter().map(|x| x.abs().to_f64()).fold(0.0, f64::max);
        for i in (0..theta.len()).step_by(7) {
            let mut plus: Vector<Mp> = theta.clone();
            plus[i] += h.clone();
            let mut minus = theta.clone();
            minus[i] -= h.clone();
            let fd = (built.model.loss(&plus, batch) - built.model.loss(&minus, batch))
                / (Mp::from_int(2) * h.clone());
            let err = (fd.clone() - g[i].clone()).abs().to_f64();
            assert!(
                err <= 1e-30 * scale.max(1e-300),
                "{model:?} entry {i}: fd {fd} vs {}",
                g[i]
            );
        }
    });
}

#[test]
fn mlp_batch_norm_gradient() {
    check(ModelName::MlpBn);
}

#[test]
fn mlp_layer_norm_gradient() {
    check(ModelName::MlpLn);
}

#[test]
fn mlp_group_norm_gradient() {
    check(ModelName::MlpGn);
}

#[test]
fn conv_batch_norm_gradient() {
    check(ModelName::ConvBn);
}

#[test]
fn conv_instance_norm_gradient() {
    check(ModelName::ConvIn);
}

#[test]
fn trainable_head_gradient() {
    check(ModelName::MlpBnTrainableHead);
}

/// Every net but the trainable-head control is scale invariant, per layer and globally.
#[test]
fn nets_are_scale_invariant_and_the_control_is_not() {
    for model in [
        ModelName::MlpBn,
        ModelName::MlpLn,
        ModelName::MlpGn,
        ModelName::ConvBn,
        ModelName::ConvIn,
        ModelName::MlpBnTrainableHead,
    ] {
        let built = build::<f64>(model, 1);
        let l = built.model.loss(&built.theta0, 0);
        let l3 = built.model.loss(&built.theta0.map(|x| 3.0 * x), 0);
        let invariant = (l - l3).abs() <= 1e-13 * l.abs();
        assert_eq!(invariant, model.scale_invariant(), "{model:?}: {l} vs {l3}");
        assert_eq!(built.model.scale_invariant(), model.scale_invariant());
    }
}
