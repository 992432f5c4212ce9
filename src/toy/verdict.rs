//! Verdicts on toy trajectories.
//!
//! **Convergence criterion.** Let c_t be what determines the model's function: ŵ_t = w_t/‖w_t‖
//! for a scale-invariant model, w_t otherwise. Over the final window of W = max(T/10, 20) steps,
//! the regime has converged iff
//!
//! ```text
//!     max_{t in window} ‖c_t − c_T‖ / max(‖c_T‖, 1) ≤ tol,
//!     max_{t in window} |err_t − err_T| ≤ tol  (when a training error is defined),
//! ```
//!
//! and no kick-out starts inside the window.
//!
//! **Kick-outs** (WD on a scale-invariant model). WD shrinks ‖w‖ by (1 − ηλ) per step near an
//! optimum, so a step where ‖w_{t+1}‖ > ‖w_t‖ means a large gradient: the iterate was thrown out.
//! An episode is a maximal run of such steps whose total growth of ‖w‖² exceeds 1%. For each we
//! report the effective LR η/‖w‖² at the *onset* — the step with the smallest angular movement
//! ∠(w_t, w_{t+1}) since the previous episode, which is where the linearized map
//! φ ↦ (1 − η_eff ℓ'') φ stops contracting, i.e. where η_eff crosses the stability limit — and at
//! the *peak*, the last step before the norm grows.

use serde::Serialize;

use super::StepRecord;
use crate::linalg::angle_deg;

/// What the convergence criterion measured.
#[derive(Debug, Clone, Serialize)]
pub struct Criterion {
    /// First step of the final window.
    pub window_start: usize,
    /// max ‖c_t − c_T‖ / max(‖c_T‖, 1) over the window.
    pub movement: f64,
    /// max |err_t − err_T| over the window (0 when no error is defined).
    pub error_change: f64,
    /// The tolerance used.
    pub tolerance: f64,
    /// movement ≤ tol and error_change ≤ tol.
    pub within_tolerance: bool,
}

/// One kick-out episode.
#[derive(Debug, Clone, Serialize)]
pub struct KickOut {
    /// First step at which ‖w‖ grows.
    pub step: usize,
    /// Step of the onset (smallest angular movement before the episode).
    pub onset_step: usize,
    /// η/‖w‖² at the onset.
    pub onset_effective_lr: f64,
    /// η/‖w‖² just before the norm grows.
    pub peak_effective_lr: f64,
    /// onset_effective_lr / stability limit.
    pub onset_over_limit: f64,
    /// How finely the onset is located: the factor by which η/‖w‖² changes over the detection
    /// window; the onset agrees with the limit when 1/resolution ≤ onset/limit ≤ resolution.
    pub resolution: f64,
    /// Growth factor of ‖w‖² over the episode.
    pub norm_sq_growth: f64,
}

fn distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f64>()
        .sqrt()
}

/// Applies the convergence criterion.
pub fn convergence(records: &[StepRecord], canonical: &[Vec<f64>], tolerance: f64) -> Criterion {
    let last = records.len() - 1;
    let window = (last / 10).max(20).min(last);
    let start = last - window;
    let end = &canonical[last];
    let scale = end.iter().map(|x| x * x).sum::<f64>().sqrt().max(1.0);
    let mut movement: f64 = 0.0;
    let mut error_change: f64 = 0.0;
    for t in start..=last {
        movement = movement.max(distance(&canonical[t], end) / scale);
        if let (Some(a), Some(b)) = (records[t].train_error, records[last].train_error) {
            error_change = error_change.max((a - b).abs());
        }
    }
    // NaN (a diverged run) must never count as converged.
    let within_tolerance = movement <= tolerance && error_change <= tolerance;
    Criterion {
        window_start: start,
        movement,
        error_change,
        tolerance,
        within_tolerance,
    }
}

/// Finds the kick-out episodes.
pub fn kick_outs(
    records: &[StepRecord],
    canonical: &[Vec<f64>],
    limit: f64,
    momentum: f64,
) -> Vec<KickOut> {
    let mut out = Vec::new();
    let mut quiet_from = 0;
    let mut t = 0;
    // Growth before WD has shrunk ‖w‖ even once is the start's transient (the iterate leaving
    // an arbitrary w₀), not an iterate thrown out of a minimum: it is no kick-out.
    let mut settled = false;
    while t + 1 < records.len() {
        if records[t + 1].w_norm <= records[t].w_norm {
            settled = true;
            t += 1;
            continue;
        }
        if !settled {
            while t + 1 < records.len() && records[t + 1].w_norm > records[t].w_norm {
                t += 1;
            }
            quiet_from = t;
            continue;
        }
        let begin = t;
        while t + 1 < records.len() && records[t + 1].w_norm > records[t].w_norm {
            t += 1;
        }
        let growth = (records[t].w_norm / records[begin].w_norm).powi(2);
        if growth > 1.01 {
            // With momentum the iterate rings (heavy ball is underdamped for most effective LRs)
            // and its angular movement passes near 0 at every turning point: the quiet step is
            // the minimum of the movement's envelope, its maximum over the next W steps, with W
            // the ringing's decay time 1/(1 − √γ) (W = 1 without momentum).
            let window = (1.0 / (1.0 - momentum.sqrt())).ceil().max(1.0) as usize;
            let movement = |s: usize| angle_deg(&canonical[s], &canonical[s + 1]);
            let envelope = |s: usize| {
                (s..(s + window).min(begin + 1))
                    .filter(|&k| k + 1 < canonical.len())
                    .map(movement)
                    .fold(0.0, f64::max)
            };
            let onset = (quiet_from..=begin)
                .filter(|&s| s + 1 < canonical.len())
                .min_by(|&a, &b| envelope(a).total_cmp(&envelope(b)))
                .unwrap_or(begin);
            let onset_lr = records[onset].effective_lr;
            // The onset is located to within W steps, over which η/‖w‖² changes by the per-step
            // factor g (WD shrinks ‖w‖): the onset/limit ratio is resolved to a factor g^(W+1).
            let g = if onset > 0 {
                (records[onset].effective_lr / records[onset - 1].effective_lr).max(1.0)
            } else {
                1.0
            };
            let resolution = g.powi(window as i32 + 1);
            out.push(KickOut {
                step: begin,
                onset_step: onset,
                onset_effective_lr: onset_lr,
                peak_effective_lr: records[begin].effective_lr,
                onset_over_limit: onset_lr / limit,
                resolution,
                norm_sq_growth: growth,
            });
            quiet_from = t;
        }
        t += 1;
    }
    out
}

/// The kick-out onsets against the analytic stability limit 2(1+γ)/ℓ''(0).
#[derive(Debug, Clone, Serialize)]
pub struct OnsetCheck {
    /// The quasi-static premise: the median kick-out's η/‖w‖² changes by at most a factor 2 over
    /// its detection window. When WD shrinks ‖w‖ faster (γ = 0.8, ηλ = 0.01: 10% a step, 3.8×
    /// over the window) the linear limit does not apply and the check is not made.
    pub applicable: bool,
    /// Median onset/limit over the episodes.
    pub median_ratio: f64,
    /// Median resolution (see [`KickOut::resolution`]).
    pub median_resolution: f64,
    /// Episodes whose onset agrees with the limit within their resolution.
    pub within: usize,
    /// Episodes.
    pub total: usize,
    /// Not applicable, or 1/resolution ≤ median onset/limit ≤ resolution (medians).
    pub holds: bool,
    /// Why the check was not made (empty when it was).
    pub not_checked: String,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => 0.5 * (v[n / 2 - 1] + v[n / 2]),
    }
}

/// Checks the onsets of the episodes against the limit they were measured with.
pub fn onset_check(kicks: &[KickOut]) -> OnsetCheck {
    let median_ratio = median(kicks.iter().map(|k| k.onset_over_limit).collect());
    let median_resolution = median(kicks.iter().map(|k| k.resolution).collect());
    let within = kicks
        .iter()
        .filter(|k| k.onset_over_limit.ln().abs() <= k.resolution.ln())
        .count();
    let applicable = !kicks.is_empty() && median_resolution <= 2.0;
    let not_checked = if kicks.is_empty() {
        "no kick-outs".to_string()
    } else if !applicable {
        format!(
            "lr/|w|^2 changes x{median_resolution:.3} over the detection window (> 2), so the quasi-static limit does not apply (lower --weight-decay)"
        )
    } else {
        String::new()
    };
    OnsetCheck {
        not_checked,
        applicable,
        median_ratio,
        median_resolution,
        within,
        total: kicks.len(),
        holds: !applicable || median_ratio.ln().abs() <= median_resolution.ln(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(step: usize, w_norm: f64) -> StepRecord {
        StepRecord {
            step,
            loss: 0.5,
            train_error: None,
            angle_deg: 0.0,
            w_norm,
            effective_lr: 1.0 / (w_norm * w_norm),
        }
    }

    #[test]
    fn the_starting_transient_is_no_kick_out() {
        // ‖w‖ grows from t = 0 (transient), shrinks (WD), then jumps (a kick-out), shrinks.
        let norms = [1.0, 1.5, 2.0, 1.9, 1.8, 1.7, 2.5, 2.4, 2.3];
        let records: Vec<StepRecord> = norms
            .iter()
            .enumerate()
            .map(|(t, &n)| record(t, n))
            .collect();
        let canonical: Vec<Vec<f64>> = (0..norms.len())
            .map(|t| vec![1.0, t as f64 * 1e-3])
            .collect();
        let kicks = kick_outs(&records, &canonical, 1.0, 0.0);
        assert_eq!(kicks.len(), 1, "{kicks:?}");
        assert_eq!(kicks[0].step, 5);
        assert!(
            kicks[0].onset_step >= 2,
            "the onset is searched after the transient"
        );
    }
}
