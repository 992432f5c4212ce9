//! The converter's figure: the input schedule and its equivalents (exact and TEXP) on a log₁₀
//! axis, and the exact/TEXP ratio.

use std::path::{Path, PathBuf};

use super::{draw_figure, Panel, Series};
use crate::convert::Conversion;
use crate::error::Result;

/// At most this many points per line (every k-th iteration).
const MAX_POINTS: usize = 4000;

/// Writes `schedule.png` into `dir`.
pub fn schedule_figure(
    exact: &Conversion,
    texp: &Conversion,
    iters_per_epoch: usize,
    dir: &Path,
) -> Result<PathBuf> {
    let stride = (exact.rows.len() / MAX_POINTS).max(1);
    let ipe = iters_per_epoch.max(1) as f64;
    let pick = |c: &Conversion, f: &dyn Fn(&crate::convert::Row) -> f64| -> Vec<(f64, f64)> {
        c.rows
            .iter()
            .step_by(stride)
            .map(|r| (r.iteration as f64 / ipe, f(r)))
            .collect()
    };
    let panels = vec![
        Panel {
            title: "learning rate: with WD vs exponential equivalents without WD".into(),
            x_label: "epoch".into(),
            y_label: "log10 learning rate".into(),
            series: vec![
                Series::line("input η_t (with WD)", pick(exact, &|r| r.lr.log10()), 0),
                Series::line(
                    "TEXP η̃_t (no WD)",
                    pick(texp, &|r| r.log10_equivalent_lr),
                    1,
                ),
                Series {
                    dashed: true,
                    ..Series::line(
                        "exact T3 η̃_t (no WD)",
                        pick(exact, &|r| r.log10_equivalent_lr),
                        3,
                    )
                },
            ],
            log_y: false,
        },
        Panel {
            title: "exact / TEXP: one near-constant factor".into(),
            x_label: "epoch".into(),
            y_label: "η̃ exact / η̃ TEXP".into(),
            series: vec![Series::line(
                "exact/TEXP",
                pick(exact, &|r| r.exact_over_texp),
                4,
            )],
            log_y: false,
        },
    ];
    let path = dir.join("schedule.png");
    draw_figure(
        &path,
        "schedule converter (docs/MATH.md T3/T4)",
        &panels,
        2,
        (700, 460),
    )?;
    Ok(path)
}
