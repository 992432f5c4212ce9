//! The toy figure: training error, ‖w‖, effective LR (with the stability limit) and loss of the
//! four regimes over time.

use std::path::Path;

use super::{draw_figure, Panel, Series};
use crate::error::{float_value, Result};
use crate::toy::{StepRecord, ToyReport};

/// Values below this are drawn at this floor on log axes (an exactly-zero error).
const LOG_FLOOR: f64 = 1e-18;

fn series(report: &ToyReport, value: impl Fn(&StepRecord) -> Option<f64>) -> Vec<Series> {
    report
        .regimes
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let points = r
                .trajectory
                .iter()
                .filter_map(|s| value(s).map(|v| (s.step as f64, v.max(LOG_FLOOR))))
                .collect();
            Series::line(r.name, points, i)
        })
        .collect()
}

/// Writes `toy.png` into `dir` and returns its path.
pub fn toy_figure(report: &ToyReport, dir: &Path) -> Result<std::path::PathBuf> {
    let path = dir.join("toy.png");
    let steps = report.steps as f64;
    let has_error = report
        .regimes
        .iter()
        .any(|r| r.trajectory.iter().any(|s| s.train_error.is_some()));
    let first = if has_error {
        Panel {
            title: "training error (log)".into(),
            x_label: "step".into(),
            y_label: "fraction misclassified".into(),
            series: series(report, |s| s.train_error),
            log_y: true,
        }
    } else {
        Panel {
            title: "angle to e1 (deg)".into(),
            x_label: "step".into(),
            y_label: "angle (degrees)".into(),
            series: series(report, |s| Some(s.angle_deg)),
            log_y: false,
        }
    };
    let mut lr_series = series(report, |s| Some(s.effective_lr));
    lr_series.push(Series::reference(
        format!("limit 2(1+γ)/ℓ''(opt) = {:.3}", report.stability_limit),
        report.stability_limit,
        0.0,
        steps,
        7,
    ));
    let panels = vec![
        first,
        Panel {
            title: "weight norm ‖w‖ (log)".into(),
            x_label: "step".into(),
            y_label: "‖w‖".into(),
            series: series(report, |s| Some(s.w_norm)),
            log_y: true,
        },
        Panel {
            title: "effective learning rate η/‖w‖² (log)".into(),
            x_label: "step".into(),
            y_label: "η/‖w‖²".into(),
            series: lr_series,
            log_y: true,
        },
        Panel {
            title: "loss (log)".into(),
            x_label: "step".into(),
            y_label: "loss".into(),
            series: series(report, |s| Some(s.loss)),
            log_y: true,
        },
    ];
    let title = format!(
        "toy: {} — η={}, λ={}, γ={}, {}",
        report
            .regimes
            .last()
            .map(|r| r.model.as_str())
            .unwrap_or(""),
        float_value(report.lr),
        float_value(report.weight_decay),
        float_value(report.momentum),
        report.arith
    );
    draw_figure(&path, &title, &panels, 2, (700, 480))?;
    Ok(path)
}
