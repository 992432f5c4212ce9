//! The precision ladder: discrepancy against precision, which must shrink as precision grows.

use serde::Serialize;

use crate::scalar::{Arith, Magnitude};
use crate::theorem::claim::{ClaimResult, Expected};

/// The precision ladder of one claim on one model.
#[derive(Debug, Clone, Serialize)]
pub struct LadderRow {
    /// Claim id.
    pub id: String,
    /// Model.
    pub model: String,
    /// Steps of the trajectories.
    pub steps: usize,
    /// Arithmetics from coarsest to finest.
    pub arith: Vec<String>,
    /// The discrepancy at each (the whole run's maximum), at any size.
    pub discrepancies: Vec<Magnitude>,
    /// Whether each rung resolves the whole run (its rounding floor stays below 10⁻⁶); a rung
    /// that does not measures amplified rounding, not the claim.
    pub resolved: Vec<bool>,
    /// The finest rung resolves the run and each resolved rung cuts the discrepancy of the
    /// resolved rung below it by at least 2^(−Δbits/2) (or both are 0); see [`ladder_shrinks`].
    pub shrinks: bool,
}

/// A ladder shrinks when each finer rung cuts the discrepancy by at least 2^(−Δbits/2): a
/// rounding-only discrepancy scales with the unit roundoff 2^(−bits) (times the same dynamics'
/// amplification), so it must fall by about 2^(−Δbits); half of that in the exponent leaves room
/// for a different amplification constant, while a discrepancy with a real (non-rounding) part
/// stalls and fails. A coarse rung below its own unit roundoff 2^(−bits) — exactly 0 by a lucky
/// cancellation, as f64 is for T3-step on the Rayleigh quotient over 2 steps, where 128 bits
/// measure 4e-39 — has bounded its rounding by that unit roundoff, not by 0: the finer rung must
/// fall below 2^(−bits)·2^(−Δbits/2) (a real effect that small would stall at the next rung).
/// Both zero (exact agreement) also counts; anything non-finite does not.
pub fn ladder_shrinks(bits: &[u32], discrepancies: &[Magnitude]) -> bool {
    bits.windows(2).zip(discrepancies.windows(2)).all(|(b, d)| {
        let both_zero = d[0].is_zero() && d[1].is_zero();
        // 2^(−Δbits/2) as a log₂ shift: at thousands of bits the gain itself is below f64.
        let gain = -(f64::from(b[1]) - f64::from(b[0])) / 2.0;
        let coarse = d[0].log2().max(-f64::from(b[0]));
        let shrunk = Magnitude::from_log2(coarse + gain);
        both_zero || (d[0].is_finite() && d[1].is_finite() && b[1] > b[0] && d[1] <= shrunk)
    })
}

pub(super) fn ladder(claims: &[ClaimResult]) -> Vec<LadderRow> {
    let mut rows: Vec<LadderRow> = Vec::new();
    let floats: Vec<&ClaimResult> = claims
        .iter()
        .filter(|c| {
            matches!(c.tier, Some(Arith::F64 | Arith::Mp(_)))
                && c.expected == Expected::Hold
                && c.id != "T4"
                && c.id != "T2-zero-buffer"
        })
        .collect();
    let bits = |c: &ClaimResult| match c.tier {
        Some(Arith::Mp(b)) => b,
        _ => 53,
    };
    for c in &floats {
        if rows
            .iter()
            .any(|r| r.id == c.id && r.model == c.model && r.steps == c.steps)
        {
            continue;
        }
        let mut same: Vec<&&ClaimResult> = floats
            .iter()
            .filter(|d| d.id == c.id && d.model == c.model && d.steps == c.steps)
            .collect();
        if same.len() < 2 {
            continue;
        }
        same.sort_by_key(|d| bits(d));
        // The whole run's maximum, so every rung is measured over the same steps.
        let discrepancies: Vec<Magnitude> = same.iter().map(|d| d.discrepancy).collect();
        let resolved: Vec<bool> = same
            .iter()
            .map(|d| d.horizon.is_none_or(|h| h > d.steps))
            .collect();
        let (rungs, kept): (Vec<u32>, Vec<Magnitude>) = same
            .iter()
            .zip(&resolved)
            .filter(|(_, r)| **r)
            .map(|(d, _)| (bits(d), d.discrepancy))
            .unzip();
        let shrinks = resolved.last() == Some(&true) && ladder_shrinks(&rungs, &kept);
        rows.push(LadderRow {
            id: c.id.clone(),
            model: c.model.clone(),
            steps: c.steps,
            arith: same.iter().map(|d| d.arith.clone()).collect(),
            discrepancies,
            resolved,
            shrinks,
        });
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A float verdict of `id` on `model` as the ladder reads it: tier, whole-run maximum and
    /// resolvable horizon (`None` = every step resolvable).
    fn rung(
        id: &str,
        model: &str,
        steps: usize,
        tier: Arith,
        d: f64,
        h: Option<usize>,
    ) -> ClaimResult {
        ClaimResult {
            id: id.into(),
            model: model.into(),
            arith: tier.label(),
            steps,
            expected: Expected::Hold,
            holds: true,
            discrepancy: Magnitude::from_f64(d),
            tolerance: Magnitude::ZERO,
            statement: String::new(),
            tolerance_reason: String::new(),
            at_step: None,
            ratio: None,
            ratio_at: None,
            horizon: h,
            detail: None,
            series: Vec::new(),
            tier: Some(tier),
        }
    }

    /// Rungs arrive in any order and are sorted by precision; a discrepancy that falls by
    /// 2^(−Δbits) shrinks, one that falls by less than 2^(−Δbits/2) does not.
    #[test]
    fn rungs_are_sorted_by_bits_and_must_shrink_by_half_the_gain() {
        let rows = ladder(&[
            rung("T1", "rayleigh", 5, Arith::Mp(256), 2f64.powi(-250), None),
            rung("T1", "rayleigh", 5, Arith::F64, 2f64.powi(-50), None),
            rung(
                "T1",
                "rayleigh",
                5,
                Arith::Mp(128),
                2f64.powi(-125),
                Some(6),
            ),
        ]);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].arith, ["f64", "mp128", "mp256"]);
        assert_eq!(rows[0].resolved, [true, true, true]);
        assert_eq!(
            rows[0].discrepancies[0],
            Magnitude::from_f64(2f64.powi(-50))
        );
        assert!(rows[0].shrinks);
        // 53 → 128 bits must cut by 2^(−37.5): 2^(−37) from 2^0 is not enough.
        let rows = ladder(&[
            rung("T1", "rayleigh", 5, Arith::F64, 1.0, None),
            rung("T1", "rayleigh", 5, Arith::Mp(128), 2f64.powi(-37), None),
        ]);
        assert!(!rows[0].shrinks);
        // A coarse rung at exactly 0 bounds its rounding by its unit roundoff 2^-53: the finer
        // rung must be below 2^(-53-37.5) = 5.5e-28 (1e-30 is rounding there, 1e-20 is not);
        // both zero passes, and zero at the finer rung only is the full gain.
        let z = Magnitude::ZERO;
        let tiny = Magnitude::from_f64(1e-30);
        assert!(ladder_shrinks(&[53, 128], &[z, tiny]));
        assert!(!ladder_shrinks(
            &[53, 128],
            &[z, Magnitude::from_f64(1e-20)]
        ));
        assert!(ladder_shrinks(
            &[53, 128],
            &[z, Magnitude::from_log2(-90.4 - 0.2)]
        ));
        assert!(!ladder_shrinks(
            &[53, 128],
            &[z, Magnitude::from_log2(-90.4)]
        ));
        // Below the unit roundoff but not 0: the same floor.
        let sub_u = Magnitude::from_log2(-60.0);
        assert!(!ladder_shrinks(
            &[53, 128],
            &[sub_u, Magnitude::from_log2(-90.4)]
        ));
        assert!(ladder_shrinks(
            &[53, 128],
            &[sub_u, Magnitude::from_log2(-90.6)]
        ));
        assert!(ladder_shrinks(&[53, 128], &[tiny, z]));
        assert!(ladder_shrinks(&[53, 128], &[z, z]));
        // Two rungs at the same precision gain nothing: no ladder, whatever the numbers.
        assert!(!ladder_shrinks(&[128, 128], &[tiny, tiny]));
    }

    /// A rung whose horizon ends inside the run (h ≤ steps) measures amplified rounding: it is
    /// shown as unresolved and left out of the shrink test, and an unresolved finest rung fails
    /// the ladder however its numbers look.
    #[test]
    fn unresolved_rungs_are_shown_but_not_compared() {
        let ln = |tier, d, h| rung("T3", "mlp-ln", 40, tier, d, h);
        let rows = ladder(&[
            ln(Arith::F64, 3.0, Some(40)),
            ln(Arith::Mp(128), 2f64.powi(-100), Some(41)),
            ln(Arith::Mp(256), 2f64.powi(-230), None),
        ]);
        assert_eq!(rows[0].resolved, [false, true, true]);
        assert!(rows[0].shrinks, "the f64 rung's 3.0 is not compared");
        let rows = ladder(&[
            ln(Arith::F64, 2f64.powi(-40), None),
            ln(Arith::Mp(128), 2f64.powi(-100), Some(40)),
        ]);
        assert_eq!(rows[0].resolved, [true, false]);
        assert!(!rows[0].shrinks);
    }

    /// One row per (claim, model, steps) with at least two float rungs; negative controls, the
    /// exact and certified tiers, T4 (bounded by its approximation, not by rounding) and
    /// T2-zero-buffer (a rate, not a discrepancy) have no ladder.
    #[test]
    fn one_row_per_claim_model_and_length_with_two_float_rungs() {
        let mut control = rung("T1-skewed", "rayleigh", 5, Arith::F64, 1e-8, None);
        control.expected = Expected::Fail;
        let mut control_mp = rung("T1-skewed", "rayleigh", 5, Arith::Mp(128), 1e-19, None);
        control_mp.expected = Expected::Fail;
        let mut exact = rung("T1", "mlp-bn", 5, Arith::Rational, 0.0, None);
        exact.tier = Some(Arith::Rational);
        let rows = ladder(&[
            control,
            control_mp,
            exact,
            rung("T1", "mlp-bn", 5, Arith::Interval(128), 0.0, None),
            rung("T1", "mlp-bn", 5, Arith::F64, 1e-15, None),
            rung("T4", "rayleigh", 5, Arith::F64, 1e-6, None),
            rung("T4", "rayleigh", 5, Arith::Mp(128), 1e-6, None),
            rung("T2-zero-buffer", "rayleigh", 5, Arith::F64, 0.1, None),
            rung("T2-zero-buffer", "rayleigh", 5, Arith::Mp(128), 0.1, None),
            rung("T1", "rayleigh", 5, Arith::F64, 0.0, None),
            rung("T1", "rayleigh", 5, Arith::Mp(128), 0.0, None),
            rung("T1", "mlp-gn", 5, Arith::F64, 1e-15, None),
            rung("T1", "rayleigh", 9, Arith::F64, 1e-15, None),
            rung("T1", "rayleigh", 9, Arith::Mp(200), 1e-60, None),
            rung("T1", "mlp-gn", 5, Arith::Mp(200), 1e-60, None),
        ]);
        let keys: Vec<(&str, &str, usize)> = rows
            .iter()
            .map(|r| (r.id.as_str(), r.model.as_str(), r.steps))
            .collect();
        assert_eq!(
            keys,
            [
                ("T1", "rayleigh", 5),
                ("T1", "mlp-gn", 5),
                ("T1", "rayleigh", 9)
            ]
        );
        assert!(rows[0].shrinks, "both zero is exact agreement");
        assert!(rows.iter().all(|r| r.arith.len() == 2));
    }
}
