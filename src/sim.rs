//! The simulator: θ_0, v_0 ↦ θ_1, θ_2, … under an optimizer, an LR schedule η_t and a
//! weight-decay schedule λ_t, with minibatch loss L_t = L_(t mod batches).

use crate::error::{Error, Result};
use crate::linalg::Vector;
use crate::loss::Objective;
use crate::optim::{Convention, Schedule, Sgd, SgdState};
use crate::scalar::Field;

/// One run's hyperparameters.
#[derive(Debug, Clone)]
pub struct Run<T: Field> {
    /// Momentum and convention.
    pub optimizer: Sgd<T>,
    /// η_t.
    pub lr: Schedule<T>,
    /// λ_t.
    pub weight_decay: Schedule<T>,
    /// Number of steps T.
    pub steps: usize,
}

impl<T: Field> Run<T> {
    /// Validates the schedules and the step count.
    pub fn new(
        optimizer: Sgd<T>,
        lr: Schedule<T>,
        weight_decay: Schedule<T>,
        steps: usize,
    ) -> Result<Self> {
        if steps == 0 {
            return Err(Error::invalid("--steps", 0, "must be at least 1"));
        }
        lr.validate("--lr", true)?;
        weight_decay.validate("--weight-decay", false)?;
        Ok(Run {
            optimizer,
            lr,
            weight_decay,
            steps,
        })
    }
}

/// What the observer sees at step t: θ_t, v_t, L_t(θ_t) and ∇L_t(θ_t) (the last two are absent
/// at t = T, after the final step).
pub struct Observation<'a, T: Field> {
    /// t.
    pub step: usize,
    /// (θ_t, v_t).
    pub state: &'a SgdState<T>,
    /// L_t(θ_t), for t < T.
    pub loss: Option<&'a T>,
    /// ∇L_t(θ_t), for t < T.
    pub gradient: Option<&'a Vector<T>>,
    /// False when the model is not defined at θ_t (a scale-invariant loss at θ = 0): the run
    /// ends at this observation, with no loss or gradient — a diverged run, never a value.
    pub defined: bool,
}

/// Runs T steps from `init`, calling `observe` at t = 0, …, T; returns (θ_T, v_T).
pub fn simulate<T: Field, O: Objective<T> + ?Sized>(
    objective: &O,
    run: &Run<T>,
    init: SgdState<T>,
    mut observe: impl FnMut(Observation<'_, T>),
) -> SgdState<T> {
    simulate_while(objective, run, init, |obs| {
        observe(obs);
        true
    })
}

/// As [`simulate`], but the run stops after the first observation for which `observe` returns
/// false (a diverged iterate, a spent budget); returns the last state observed.
pub fn simulate_while<T: Field, O: Objective<T> + ?Sized>(
    objective: &O,
    run: &Run<T>,
    init: SgdState<T>,
    observe: impl FnMut(Observation<'_, T>) -> bool,
) -> SgdState<T> {
    drive(objective, run, init, observe, |t, state, gradient| {
        let lr = run.lr.at(t);
        let wd = run.weight_decay.at(t);
        run.optimizer.step(&lr, &wd, gradient, state)
    })
}

/// The loop every simulation shares: observe θ_t (ending the run at an undefined point or when
/// `observe` says so), then `step(t, state, ∇L_t(θ_t))` to the next state; the final state is
/// observed too.
fn drive<T: Field, O: Objective<T> + ?Sized>(
    objective: &O,
    run: &Run<T>,
    init: SgdState<T>,
    mut observe: impl FnMut(Observation<'_, T>) -> bool,
    mut step: impl FnMut(usize, &SgdState<T>, &Vector<T>) -> SgdState<T>,
) -> SgdState<T> {
    let batches = objective.batches().max(1);
    let mut state = init;
    for t in 0..run.steps {
        if !objective.defined_at(&state.params) {
            observe(Observation {
                step: t,
                state: &state,
                loss: None,
                gradient: None,
                defined: false,
            });
            return state;
        }
        let (loss, gradient) = objective.loss_and_gradient(&state.params, t % batches);
        let go_on = observe(Observation {
            step: t,
            state: &state,
            loss: Some(&loss),
            gradient: Some(&gradient),
            defined: true,
        });
        if !go_on {
            return state;
        }
        state = step(t, &state, &gradient);
    }
    observe(Observation {
        step: run.steps,
        state: &state,
        loss: None,
        gradient: None,
        defined: objective.defined_at(&state.params),
    });
    state
}

/// Whether [`simulate_enclosed_while`] applies: the model gives its Hessian and the run uses
/// PyTorch's momentum convention.
pub fn enclosable<T: Field, O: Objective<T> + ?Sized>(
    objective: &O,
    run: &Run<T>,
    init: &Vector<T>,
) -> bool {
    let mut e = Vector::from_element(init.len(), T::zero());
    if let Some(first) = e.get_mut(0) {
        *first = T::one();
    }
    run.optimizer.convention() == Convention::PyTorch
        && objective.hessian_vec(init, &e, 0).is_some()
}

/// As [`simulate_while`], for enclosures (`--arith interval`), each step in **mean-value form**
/// (docs/MATH.md §6): with X = (θ, v) the box of the state, m a point of it and F the step,
/// F(X) ⊆ F(m) + J(X)(X − m), where J(X) encloses F's Jacobian over the box:
///
/// ```text
///     M = ∇²L(X) + λI,   δv' = M δθ + γ δv,   δθ' = (I − ηM) δθ − ηγ δv
/// ```
///
/// (PyTorch's v' = γv + ∇L + λθ, θ' = θ − ηv'). Each coefficient (I − ηM)ᵢⱼ is one interval, so
/// a contracting step contracts the enclosure; the plain interval step [θ] − η[∇L(θ)] widens it
/// by 1 + c where the dynamics shrinks by 1 − c. ∇²L(X) comes column by column from
/// [`Objective::hessian_vec`] on the box. The observer sees the box and L, ∇L evaluated on it.
/// Callers check [`enclosable`] first.
pub fn simulate_enclosed_while<T: Field, O: Objective<T> + ?Sized>(
    objective: &O,
    run: &Run<T>,
    init: SgdState<T>,
    observe: impl FnMut(Observation<'_, T>) -> bool,
) -> SgdState<T> {
    let batches = objective.batches().max(1);
    let gamma = run.optimizer.momentum().clone();
    drive(objective, run, init, observe, |t, state, gradient| {
        let batch = t % batches;
        let d = state.params.len();
        let lr = run.lr.at(t);
        let wd = run.weight_decay.at(t);
        let centre = SgdState {
            params: state.params.map(|x| x.point_inside()),
            buffer: state.buffer.map(|x| x.point_inside()),
        };
        let (_, centre_gradient) = objective.loss_and_gradient(&centre.params, batch);
        let at_centre = run.optimizer.step(&lr, &wd, &centre_gradient, &centre);
        // M = ∇²L(X) + λI, column by column. A model without a Hessian here (callers check
        // [`enclosable`]) gets the plain interval step, which encloses too, only wider.
        let columns: Option<Vec<Vector<T>>> = (0..d)
            .map(|j| {
                let mut e = Vector::from_element(d, T::zero());
                e[j] = T::one();
                let mut column = objective.hessian_vec(&state.params, &e, batch)?;
                column[j] += wd.clone();
                Some(column)
            })
            .collect();
        let Some(columns) = columns else {
            return run.optimizer.step(&lr, &wd, gradient, state);
        };
        let dtheta = crate::linalg::sub(&state.params, &centre.params);
        let dv = crate::linalg::sub(&state.buffer, &centre.buffer);
        let lr_gamma = lr.mul_ref(&gamma);
        let mut params = at_centre.params;
        let mut buffer = at_centre.buffer;
        for i in 0..d {
            let mut new_dv = gamma.mul_ref(&dv[i]);
            let mut new_dtheta = -lr_gamma.mul_ref(&dv[i]);
            for (j, column) in columns.iter().enumerate() {
                new_dv.add_product(&column[i], &dtheta[j]);
                // (I − ηM)ᵢⱼ as one coefficient.
                let mut coefficient = -lr.mul_ref(&column[i]);
                if i == j {
                    coefficient += T::one();
                }
                new_dtheta.add_product(&coefficient, &dtheta[j]);
            }
            params[i] += new_dtheta;
            buffer[i] += new_dv;
        }
        SgdState { params, buffer }
    })
}

/// θ_0, …, θ_T of a run.
pub fn trajectory<T: Field, O: Objective<T> + ?Sized>(
    objective: &O,
    run: &Run<T>,
    init: SgdState<T>,
) -> Vec<Vector<T>> {
    let mut out = Vec::with_capacity(run.steps + 1);
    simulate(objective, run, init, |obs| {
        out.push(obs.state.params.clone())
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loss::{Quadratic, Rayleigh};
    use crate::scalar::{ratio, with_precision, Interval, Mp, Rational};

    fn run<T: Field>(lr: (i64, i64), wd: (i64, i64), momentum: (i64, i64), steps: usize) -> Run<T> {
        let t = |(n, d): (i64, i64)| T::from_ratio(n, d);
        Run::new(
            Sgd::new(t(momentum), Convention::PyTorch).unwrap(),
            Schedule::Constant(t(lr)),
            Schedule::Constant(t(wd)),
            steps,
        )
        .unwrap()
    }

    fn trajectory_of<T: Field>(
        objective: &dyn Objective<T>,
        run: &Run<T>,
        enclosed: bool,
    ) -> Vec<SgdState<T>> {
        let init = SgdState::new(
            Vector::from_vec(vec![T::from_ratio(1, 1), T::from_ratio(2, 1)]),
            None,
        );
        let mut states = Vec::new();
        let observe = |obs: Observation<'_, T>| {
            states.push(obs.state.clone());
            true
        };
        if enclosed {
            simulate_enclosed_while(objective, run, init, observe);
        } else {
            simulate_while(objective, run, init, observe);
        }
        states
    }

    /// The mean-value step encloses the exact run: on the companion toy's BN and plain models,
    /// with λ > 0 and γ = 1/2 (so the Hessian, the λI and both γ terms of J are exercised), every
    /// coordinate of θ_t and v_t of the exact rational run lies in its 128-bit enclosure over 6
    /// steps, and the 4096-bit mp run (error ~2^−4000, far inside widths ~2^−100) lies in the
    /// 256-bit enclosures over 400 steps of the kicking bn+wd dynamics (η = 1/2, λ = 1/50).
    /// The enclosures stay near the precision (the plain interval step would widen 1.4× a step).
    /// Injected, each caught: J without its λI (θ leaves the enclosure at step 82 of the long
    /// run), without the −ηγ δv term (at step 6 of the exact run).
    #[test]
    fn mean_value_steps_enclose_the_exact_run() {
        let bn =
            |_: ()| -> Box<dyn Objective<Rational>> { Box::new(Rayleigh::normalized_quadratic(2)) };
        let exact_bn = trajectory_of(bn(()).as_ref(), &run((1, 2), (1, 50), (1, 2), 6), false);
        let exact_plain = trajectory_of(
            &Quadratic::<Rational>::first_coordinate(2),
            &run((1, 2), (1, 50), (1, 2), 6),
            false,
        );
        with_precision(128, || {
            let iv_bn = trajectory_of(
                &Rayleigh::<Interval>::normalized_quadratic(2),
                &run((1, 2), (1, 50), (1, 2), 6),
                true,
            );
            let iv_plain = trajectory_of(
                &Quadratic::<Interval>::first_coordinate(2),
                &run((1, 2), (1, 50), (1, 2), 6),
                true,
            );
            for (exact, iv) in [(&exact_bn, &iv_bn), (&exact_plain, &iv_plain)] {
                assert_eq!(exact.len(), iv.len());
                for (t, (e, i)) in exact.iter().zip(iv.iter()).enumerate() {
                    for k in 0..2 {
                        assert!(i.params[k].contains(&e.params[k]), "θ step {t}");
                        assert!(i.buffer[k].contains(&e.buffer[k]), "v step {t}");
                    }
                }
            }
            // A nonzero γ matters: the exact run's buffer is not zero after a step.
            assert!(exact_bn[3].buffer[0] != ratio(0, 1));
        });
        let fine: Vec<Vec<Rational>> = with_precision(4096, || {
            trajectory_of(
                &Rayleigh::<Mp>::normalized_quadratic(2),
                &run((1, 2), (1, 50), (0, 1), 400),
                false,
            )
            .iter()
            .map(|s| s.params.iter().map(Mp::to_rational).collect())
            .collect()
        });
        with_precision(256, || {
            let iv = trajectory_of(
                &Rayleigh::<Interval>::normalized_quadratic(2),
                &run((1, 2), (1, 50), (0, 1), 400),
                true,
            );
            let mut widest = crate::scalar::Magnitude::ZERO;
            for (t, (f, i)) in fine.iter().zip(&iv).enumerate() {
                for (k, (enclosure, point)) in i.params.iter().zip(f).enumerate() {
                    assert!(enclosure.contains(point), "θ_{k} at step {t}");
                    widest = widest.max(enclosure.width());
                }
            }
            // Measured 1.0e-69 (2⁻²⁵⁶ ≈ 8.6e-78 grown by the kick-outs' true expansion); the
            // plain interval step would reach ~1.44⁴⁰⁰·1e-77 ≈ 1e-13.
            assert!(widest < 1e-60, "{widest}");
        });
    }

    /// A model that records which minibatch each evaluation used (gradient 0, so θ stays put).
    struct Batches {
        seen: std::cell::RefCell<Vec<usize>>,
        hessian: bool,
    }

    impl Objective<Rational> for Batches {
        fn name(&self) -> String {
            "batches".into()
        }
        fn dim(&self) -> usize {
            2
        }
        fn batches(&self) -> usize {
            3
        }
        fn loss(&self, _: &Vector<Rational>, batch: usize) -> Rational {
            self.seen.borrow_mut().push(batch);
            ratio(0, 1)
        }
        fn gradient(&self, _: &Vector<Rational>, _: usize) -> Vector<Rational> {
            Vector::from_element(2, ratio(0, 1))
        }
        fn scale_invariant(&self) -> bool {
            false
        }
        fn hessian_vec(
            &self,
            _: &Vector<Rational>,
            u: &Vector<Rational>,
            batch: usize,
        ) -> Option<Vector<Rational>> {
            self.seen.borrow_mut().push(batch);
            self.hessian.then(|| u.clone())
        }
    }

    /// Step t evaluates minibatch t mod B (B = 3 here: 0, 1, 2, 0, 1, 2, 0), in both loops: the
    /// plain loop once a step; the mean-value loop for the box, the centre and each of the two
    /// Hessian columns.
    #[test]
    fn step_t_uses_minibatch_t_mod_b() {
        for (enclosed, evaluations) in [(false, 1), (true, 4)] {
            let model = Batches {
                seen: Default::default(),
                hessian: true,
            };
            let _ = trajectory_of(&model, &run((1, 2), (0, 1), (0, 1), 7), enclosed);
            let expected: Vec<usize> = [0, 1, 2, 0, 1, 2, 0]
                .iter()
                .flat_map(|&b| std::iter::repeat_n(b, evaluations))
                .collect();
            assert_eq!(*model.seen.borrow(), expected, "enclosed {enclosed}");
        }
    }

    /// Mean-value steps need the model's Hessian and PyTorch's convention (their Jacobian is
    /// PyTorch's); otherwise the plain step runs.
    #[test]
    fn enclosable_needs_a_hessian_and_the_pytorch_convention() {
        let init = Vector::from_element(2, ratio(1, 1));
        let with = Batches {
            seen: Default::default(),
            hessian: true,
        };
        let without = Batches {
            seen: Default::default(),
            hessian: false,
        };
        let pytorch: Run<Rational> = run((1, 2), (0, 1), (1, 2), 3);
        assert!(enclosable(&with, &pytorch, &init));
        assert!(!enclosable(&without, &pytorch, &init));
        let sutskever = Run::new(
            Sgd::new(ratio(1, 2), Convention::Sutskever).unwrap(),
            Schedule::Constant(ratio(1, 2)),
            Schedule::Constant(ratio(0, 1)),
            3,
        )
        .unwrap();
        assert!(!enclosable(&with, &sutskever, &init));
    }

    /// `trajectory` returns θ_0, …, θ_T: T + 1 points, here (zero gradient, no WD) all θ_0.
    #[test]
    fn trajectory_has_every_point() {
        let model = Batches {
            seen: Default::default(),
            hessian: false,
        };
        let init = Vector::from_vec(vec![ratio(1, 1), ratio(2, 1)]);
        let points = trajectory(
            &model,
            &run((1, 2), (0, 1), (1, 2), 4),
            SgdState::new(init.clone(), None),
        );
        assert_eq!(points.len(), 5);
        assert!(points.iter().all(|p| *p == init));
    }
}
