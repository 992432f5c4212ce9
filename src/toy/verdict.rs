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
use crate::error::Result;
use crate::linalg::angle_deg;

/// The comparisons that make kick-out events, answered in the run's own arithmetic — exactly for
/// rationals, by the enclosures for `--arith interval` (certified events; an undecidable one is
/// an error, exit 2) — rather than on the f64 records.
pub trait Decide {
    /// Whether ‖w_{t+1}‖ > ‖w_t‖.
    fn grows(&mut self, t: usize) -> Result<bool>;
    /// Whether ‖w_end‖² / ‖w_begin‖² > 1.01 (an episode large enough to count).
    fn grew_enough(&mut self, begin: usize, end: usize) -> Result<bool>;
}

/// The f64 records' own comparisons (what an f64 run decides).
pub struct OnRecords<'a>(pub &'a [StepRecord]);

impl Decide for OnRecords<'_> {
    fn grows(&mut self, t: usize) -> Result<bool> {
        Ok(self.0[t + 1].w_norm > self.0[t].w_norm)
    }
    fn grew_enough(&mut self, begin: usize, end: usize) -> Result<bool> {
        Ok((self.0[end].w_norm / self.0[begin].w_norm).powi(2) > KICK_GROWTH)
    }
}

/// An episode counts when ‖w‖² grows by more than 1% over it.
pub const KICK_GROWTH: f64 = 1.01;

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

/// The final window's length W = max(T/10, 20), at most T, for a run whose last step is T.
pub fn window_of(last: usize) -> usize {
    (last / 10).max(20).min(last)
}

/// Applies the convergence criterion to the f64 records (the measurement; a run decides
/// `within_tolerance` again in its own arithmetic, see `toy::run_regime`).
pub fn convergence(records: &[StepRecord], canonical: &[Vec<f64>], tolerance: f64) -> Criterion {
    let last = records.len() - 1;
    let start = last - window_of(last);
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

/// Finds the kick-out episodes. `canonical` has one entry per record; `decide` answers the
/// growth comparisons (see [`Decide`]).
pub fn kick_outs(
    records: &[StepRecord],
    canonical: &[Vec<f64>],
    decide: &mut dyn Decide,
    limit: f64,
    momentum: f64,
) -> Result<Vec<KickOut>> {
    assert_eq!(
        records.len(),
        canonical.len(),
        "one canonical point per record"
    );
    let mut out = Vec::new();
    let mut quiet_from = 0;
    let mut t = 0;
    // Growth before WD has shrunk ‖w‖ even once is the start's transient (the iterate leaving
    // an arbitrary w₀), not an iterate thrown out of a minimum: it is no kick-out.
    let mut settled = false;
    while t + 1 < records.len() {
        if !decide.grows(t)? {
            settled = true;
            t += 1;
            continue;
        }
        if !settled {
            while t + 1 < records.len() && decide.grows(t)? {
                t += 1;
            }
            quiet_from = t;
            continue;
        }
        let begin = t;
        while t + 1 < records.len() && decide.grows(t)? {
            t += 1;
        }
        let growth = (records[t].w_norm / records[begin].w_norm).powi(2);
        if decide.grew_enough(begin, t)? {
            // With momentum the iterate rings (heavy ball is underdamped for most effective LRs)
            // and its angular movement passes near 0 at every turning point: the quiet step is
            // the minimum of the movement's envelope, its maximum over the next W steps, with W
            // the ringing's decay time 1/(1 − √γ) (W = 1 without momentum).
            let window = (1.0 / (1.0 - momentum.sqrt())).ceil().max(1.0) as usize;
            let movement = |s: usize| angle_deg(&canonical[s], &canonical[s + 1]);
            // Every step searched is at most `begin`, and begin + 1 < records.len().
            let envelope = |s: usize| {
                (s..(s + window).min(begin + 1))
                    .map(movement)
                    .fold(0.0, f64::max)
            };
            let onset = (quiet_from..=begin)
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
    Ok(out)
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

    fn records_of(norms: &[f64]) -> Vec<StepRecord> {
        norms
            .iter()
            .enumerate()
            .map(|(t, &n)| record(t, n))
            .collect()
    }

    #[test]
    fn the_starting_transient_is_no_kick_out() {
        // ‖w‖ grows from t = 0 (transient), shrinks (WD), then jumps (a kick-out), shrinks.
        let norms = [1.0, 1.5, 2.0, 1.9, 1.8, 1.7, 2.5, 2.4, 2.3];
        let records = records_of(&norms);
        let canonical: Vec<Vec<f64>> = (0..norms.len())
            .map(|t| vec![1.0, t as f64 * 1e-3])
            .collect();
        let kicks = kick_outs(&records, &canonical, &mut OnRecords(&records), 1.0, 0.0).unwrap();
        assert_eq!(kicks.len(), 1, "{kicks:?}");
        assert_eq!(kicks[0].step, 5);
        assert!(
            kicks[0].onset_step >= 2,
            "the onset is searched after the transient"
        );
    }

    /// 30 steps: the window is the last max(29/10, 20) = 20 steps, from t = 9. c_t = (3t, 4t)
    /// moves 5 per step, so the farthest c_t in the window is 5·20 = 100 from c_29 = (87, 116),
    /// whose norm 145 scales it: movement 100/145. The training error falls by 0.01 a step:
    /// change 0.2 over the window.
    #[allow(clippy::float_cmp)] // a motionless path measures exactly 0
    #[test]
    fn convergence_measures_the_window_relative_to_the_final_point() {
        let records: Vec<StepRecord> = (0..30)
            .map(|t| StepRecord {
                train_error: Some(0.5 - 0.01 * t as f64),
                ..record(t, 1.0)
            })
            .collect();
        let canonical: Vec<Vec<f64>> = (0..30)
            .map(|t| vec![3.0 * t as f64, 4.0 * t as f64])
            .collect();
        let c = convergence(&records, &canonical, 0.7);
        assert_eq!(c.window_start, 9);
        assert!((c.movement - 100.0 / 145.0).abs() < 1e-15, "{}", c.movement);
        assert!((c.error_change - 0.2).abs() < 1e-12, "{}", c.error_change);
        assert!(c.within_tolerance);
        assert!(!convergence(&records, &canonical, 0.6).within_tolerance);
        // Below norm 1 the movement is absolute: c_t = (3t, 4t)/1000 moves 0.1 in the window.
        let small: Vec<Vec<f64>> = canonical
            .iter()
            .map(|c| c.iter().map(|x| x / 1000.0).collect())
            .collect();
        let c = convergence(&records, &small, 0.15);
        assert!((c.movement - 0.1).abs() < 1e-15, "{}", c.movement);
        assert!(!convergence(&records, &small, 0.15 * 0.5).within_tolerance);
        // Error change alone fails the verdict.
        let still = vec![vec![1.0, 0.0]; 30];
        let c = convergence(&records, &still, 0.1);
        assert_eq!(c.movement, 0.0);
        assert!(!c.within_tolerance);
    }

    /// One episode, worked by hand: ‖w‖ shrinks from t = 0 (settled), a 0.2% bump at t = 3 → 4
    /// (growth 1.004 < 1.01: no episode), then grows from t = 5 to t = 7 ((1.3/0.95)² = 1.8726).
    /// The angular movement ∠(c_s, c_{s+1}) is smallest at s = 2 (after the last episode, from
    /// quiet_from = 0), so the onset is t = 2: η/‖w‖² there is 1/0.98², the per-step factor g is
    /// (0.99/0.98)² and without momentum (W = 1) the resolution is g².
    #[allow(clippy::float_cmp)] // the fields are copied from the records, not recomputed
    #[test]
    fn a_kick_out_is_located_and_measured() {
        let norms = [1.0, 0.99, 0.98, 0.96, 0.962, 0.95, 1.2, 1.3, 1.29];
        let records = records_of(&norms);
        let angles_deg: [f64; 8] = [3.0, 2.0, 0.5, 1.0, 1.5, 2.5, 20.0, 5.0];
        let mut phi = 0.0_f64;
        let mut canonical = vec![vec![1.0, 0.0]];
        for a in angles_deg {
            phi += a.to_radians();
            canonical.push(vec![phi.cos(), phi.sin()]);
        }
        let kicks = kick_outs(&records, &canonical, &mut OnRecords(&records), 0.5, 0.0).unwrap();
        assert_eq!(kicks.len(), 1, "{kicks:?}");
        let k = &kicks[0];
        assert_eq!((k.step, k.onset_step), (5, 2));
        assert_eq!(k.onset_effective_lr, 1.0 / (0.98 * 0.98));
        assert_eq!(k.peak_effective_lr, 1.0 / (0.95 * 0.95));
        assert_eq!(k.onset_over_limit, k.onset_effective_lr / 0.5);
        let g = (1.0 / (0.98 * 0.98)) / (1.0 / (0.99 * 0.99));
        assert!((k.resolution - g * g).abs() < 1e-15, "{}", k.resolution);
        assert!((k.norm_sq_growth - (1.3_f64 / 0.95).powi(2)).abs() < 1e-15);
        // The same episode with momentum γ = 0.75 (W = ⌈1/(1 − √0.75)⌉ = 8): the envelope at s
        // is the largest movement over s..=5 (capped at the episode), 3 at s = 0 and 2.5 from
        // s = 1 on; the first of equal minima wins, so the onset is t = 1, and the resolution is
        // its factor g = (1/0.99)² over W + 1 = 9 steps.
        let k = &kick_outs(&records, &canonical, &mut OnRecords(&records), 0.5, 0.75).unwrap()[0];
        assert_eq!(k.onset_step, 1);
        let g: f64 = 1.0 / (0.99 * 0.99);
        assert!((k.resolution - g.powi(9)).abs() < 1e-14, "{}", k.resolution);
    }

    fn kick(onset_over_limit: f64, resolution: f64) -> KickOut {
        KickOut {
            step: 10,
            onset_step: 9,
            onset_effective_lr: onset_over_limit,
            peak_effective_lr: 2.0,
            onset_over_limit,
            resolution,
            norm_sq_growth: 2.0,
        }
    }

    #[test]
    fn onsets_are_judged_by_their_medians_within_the_resolution() {
        // Medians 1.0 and 1.05; within: only the middle one (|ln 0.9| > ln 1.05, |ln 1.2| > ln 1.1).
        let c = onset_check(&[kick(0.9, 1.05), kick(1.0, 1.05), kick(1.2, 1.1)]);
        assert!(c.applicable && c.holds && c.not_checked.is_empty());
        assert_eq!((c.median_ratio, c.median_resolution), (1.0, 1.05));
        assert_eq!((c.within, c.total), (1, 3));
        // An even count averages the middle two: ratios 0.5, 0.6 → 0.55, outside ×1.5 (and the
        // slip 2(1−γ)/ℓ'' would look like this).
        let c = onset_check(&[kick(0.5, 1.5), kick(0.6, 1.5)]);
        assert!(c.applicable && !c.holds);
        assert!((c.median_ratio - 0.55).abs() < 1e-15);
        assert_eq!(c.within, 0);
        // Just inside and just outside: ratio 1.5 against resolution 1.5 holds.
        assert!(onset_check(&[kick(1.5, 1.5)]).holds);
        assert!(onset_check(&[kick(1.0 / 1.49, 1.5)]).holds);
        assert!(!onset_check(&[kick(1.51, 1.5)]).holds);
        assert!(!onset_check(&[kick(1.0 / 1.51, 1.5)]).holds);
        // A resolution above 2 is not judged, and says why; exactly 2 still is.
        let c = onset_check(&[kick(0.1, 2.5)]);
        assert!(!c.applicable && c.holds);
        assert!(c.not_checked.contains("x2.500"), "{}", c.not_checked);
        assert!(onset_check(&[kick(1.0, 2.0)]).applicable);
        let c = onset_check(&[]);
        assert!(!c.applicable && c.holds && c.median_ratio.is_nan());
        assert_eq!(c.not_checked, "no kick-outs");
    }

    /// A step where ‖w‖ stays equal ends a growth run (the transient, or an episode), so the
    /// onset search starts there: here both onsets are the tied step itself.
    #[test]
    fn equal_norms_end_a_growth_run() {
        let episodes = |norms: &[f64], quiet: usize| {
            let records = records_of(norms);
            // The angular movement is smallest right after the tie.
            let mut phi = 0.0_f64;
            let mut canonical = vec![vec![1.0, 0.0]];
            for s in 0..norms.len() - 1 {
                phi += if s == quiet { 0.001 } else { 0.1 };
                canonical.push(vec![phi.cos(), phi.sin()]);
            }
            kick_outs(&records, &canonical, &mut OnRecords(&records), 1.0, 0.0).unwrap()
        };
        // The transient grows to t = 1, ties at t = 2, then WD shrinks and t = 4 → 5 kicks.
        let k = episodes(&[1.0, 1.5, 1.5, 1.4, 1.3, 1.6, 1.55], 1);
        assert_eq!(k.len(), 1, "{k:?}");
        assert_eq!(k[0].onset_step, 1);
        // An episode grows to t = 3 and ties at t = 4; the next one's onset is searched from 3.
        let k = episodes(&[1.0, 0.99, 0.98, 1.2, 1.2, 1.19, 1.18, 1.5, 1.49], 3);
        assert_eq!(k.len(), 2, "{k:?}");
        assert_eq!((k[1].step, k[1].onset_step), (6, 3));
    }

    /// A run whose ‖w‖ grows to the end (no WD step ever shrank it) is all transient, and the
    /// episode search stops at the last record.
    #[test]
    fn growth_to_the_end_is_transient_or_one_episode() {
        let grow = |norms: &[f64]| {
            let records = records_of(norms);
            let canonical: Vec<Vec<f64>> = (0..norms.len())
                .map(|t| vec![1.0, t as f64 * 1e-2])
                .collect();
            kick_outs(&records, &canonical, &mut OnRecords(&records), 1.0, 0.0).unwrap()
        };
        assert!(grow(&[1.0, 1.1, 1.2, 1.3]).is_empty());
        let k = grow(&[1.0, 0.9, 1.1, 1.2, 1.3]);
        assert_eq!(k.len(), 1);
        assert!((k[0].norm_sq_growth - (1.3_f64 / 0.9).powi(2)).abs() < 1e-15);
    }

    /// The final window is a tenth of the run, at least 20 steps and at most the whole run.
    #[test]
    fn the_window_is_a_tenth_of_the_run_at_least_20_steps() {
        assert_eq!(window_of(3000), 300);
        assert_eq!(window_of(209), 20);
        assert_eq!(window_of(210), 21);
        assert_eq!(window_of(29), 20);
        assert_eq!(window_of(12), 12);
    }

    /// Whether an episode counts depends on the norm's relative growth alone: the same run at
    /// ten times the norm has the same episodes (a 0.4% bump stays below the 1% threshold).
    #[test]
    fn an_episode_counts_by_relative_growth() {
        let norms = [1.0, 0.99, 0.98, 0.96, 0.962, 0.95, 1.2, 1.3, 1.29];
        let canonical: Vec<Vec<f64>> = (0..norms.len())
            .map(|t| vec![1.0, (t as f64 * 0.3).sin() * 1e-2])
            .collect();
        let steps = |scale: f64| {
            let scaled: Vec<f64> = norms.iter().map(|n| n * scale).collect();
            let records = records_of(&scaled);
            let kicks =
                kick_outs(&records, &canonical, &mut OnRecords(&records), 1.0, 0.0).unwrap();
            kicks.iter().map(|k| k.step).collect::<Vec<_>>()
        };
        assert_eq!(steps(1.0), [5]);
        assert_eq!(steps(10.0), [5]);
        assert_eq!(steps(0.1), [5]);
    }
}
