//! Theorem figures: discrepancy against step at each precision; the Figure-1 relation (‖θ̃‖² and
//! η̃ growing in parallel while the WD run's norm equilibrates) and the WD shadow Z_t.

use std::path::{Path, PathBuf};

use super::{draw_figure, Panel, Series};
use crate::error::Result;
use crate::theorem::figure::NormGrowth;
use crate::theorem::suite::SuiteReport;

fn indexed(values: &[f64]) -> Vec<(f64, f64)> {
    values
        .iter()
        .enumerate()
        .map(|(t, v)| (t as f64, *v))
        .collect()
}

/// Draws `theorem_discrepancy.png` and `theorem_norms.png` into `dir`; returns their paths.
pub fn theorem_figures(
    report: &SuiteReport,
    growth: Option<&NormGrowth>,
    dir: &Path,
) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut panels = Vec::new();
    for row in &report.ladder {
        let series = row
            .arith
            .iter()
            .enumerate()
            .filter_map(|(i, a)| {
                let c = report.claims.iter().find(|c| {
                    c.id == row.id && c.model == row.model && &c.arith == a && c.steps == row.steps
                })?;
                // Zero (exact agreement) has no logarithm: such steps are left out.
                let points: Vec<(f64, f64)> = c
                    .series
                    .iter()
                    .enumerate()
                    .filter(|(_, d)| **d > 0.0)
                    .map(|(t, d)| (t as f64, d.log10()))
                    .collect();
                (!points.is_empty()).then(|| Series::line(a.clone(), points, i))
            })
            .collect::<Vec<_>>();
        if series.is_empty() {
            continue;
        }
        let mut name = row.model.clone();
        name.truncate(32);
        panels.push(Panel {
            title: format!("{} on {}", row.id, name),
            x_label: "step t".into(),
            y_label: "log10 relative discrepancy".into(),
            series,
            log_y: false,
        });
    }
    if !panels.is_empty() {
        let path = dir.join("theorem_discrepancy.png");
        draw_figure(
            &path,
            "max|θ_t − Z_t θ̃_t| / max|Z_t θ̃_t| at each precision: rounding only, it shrinks as precision grows",
            &panels,
            2,
            (700, 460),
        )?;
        out.push(path);
    }
    if let Some(g) = growth {
        let invariant: Vec<f64> = g
            .exp_norm_sq
            .iter()
            .zip(&g.exp_lr)
            .map(|(n, l)| n / l)
            .collect();
        let wd_invariant: Vec<f64> = g.wd_norm_sq.iter().map(|n| n / g.lr).collect();
        let panels = vec![
            Panel {
                title: "learning rate and ‖θ‖² (log)".into(),
                x_label: "step t".into(),
                y_label: "value".into(),
                series: vec![
                    Series::line("η̃_t (exponential, no WD)", indexed(&g.exp_lr), 0),
                    Series::line("‖θ̃_t‖² (no WD)", indexed(&g.exp_norm_sq), 1),
                    Series::line(
                        "η (fixed, with WD)",
                        indexed(&vec![g.lr; g.exp_lr.len()]),
                        2,
                    ),
                    Series::line("‖θ_t‖² (with WD)", indexed(&g.wd_norm_sq), 3),
                ],
                log_y: true,
            },
            Panel {
                title: "‖θ‖²/η: constant once the WD norm equilibrates".into(),
                x_label: "step t".into(),
                y_label: "‖θ‖² / learning rate".into(),
                series: vec![
                    Series::line("‖θ̃_t‖²/η̃_t", indexed(&invariant), 0),
                    Series {
                        dashed: true,
                        ..Series::line("‖θ_t‖²/η (WD run)", indexed(&wd_invariant), 3)
                    },
                ],
                log_y: true,
            },
            Panel {
                title: "WD shadow Z_t (θ_t = Z_t θ̃_t)".into(),
                x_label: "step t".into(),
                y_label: "Z_t".into(),
                series: vec![Series::line("Z_t", indexed(&g.z), 4)],
                log_y: true,
            },
        ];
        let path = dir.join("theorem_norms.png");
        draw_figure(
            &path,
            &format!("Figure 1 analogue on {}", g.model),
            &panels,
            3,
            (560, 460),
        )?;
        out.push(path);
    }
    Ok(out)
}
