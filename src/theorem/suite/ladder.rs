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
/// stalls and fails. Both zero (exact agreement) also counts; anything non-finite does not.
pub fn ladder_shrinks(bits: &[u32], discrepancies: &[Magnitude]) -> bool {
    bits.windows(2).zip(discrepancies.windows(2)).all(|(b, d)| {
        let both_zero = d[0].is_zero() && d[1].is_zero();
        // 2^(−Δbits/2) as a log₂ shift: at thousands of bits the gain itself is below f64.
        let gain = -(f64::from(b[1]) - f64::from(b[0])) / 2.0;
        let shrunk = Magnitude::from_log2(d[0].log2() + gain);
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
