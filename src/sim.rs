//! The simulator: θ_0, v_0 ↦ θ_1, θ_2, … under an optimizer, an LR schedule η_t and a
//! weight-decay schedule λ_t, with minibatch loss L_t = L_(t mod batches).

use crate::error::{Error, Result};
use crate::linalg::Vector;
use crate::loss::Objective;
use crate::optim::{Schedule, Sgd, SgdState};
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
    mut observe: impl FnMut(Observation<'_, T>) -> bool,
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
        let lr = run.lr.at(t);
        let wd = run.weight_decay.at(t);
        state = run.optimizer.step(&lr, &wd, &gradient, &state);
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
