//! Training figures from the per-epoch records: test accuracy, the paper's Figure 1 (LR and ‖w‖²
//! growing in parallel), and function-space agreement with the per-epoch angle.

use std::path::{Path, PathBuf};

use super::{draw_figure, Panel, Series};
use crate::error::Result;
use crate::train::TrainReport;

/// Writes `train.png` into `dir`.
pub fn train_figure(report: &TrainReport, dir: &Path) -> Result<PathBuf> {
    let mut runs: Vec<&str> = Vec::new();
    for r in &report.epochs {
        if !runs.contains(&r.run.as_str()) {
            runs.push(&r.run);
        }
    }
    let series = |f: &dyn Fn(&crate::train::EpochRecord) -> f64, suffix: &str| -> Vec<Series> {
        runs.iter()
            .enumerate()
            .map(|(i, run)| {
                let points = report
                    .epochs
                    .iter()
                    .filter(|r| r.run == *run)
                    .map(|r| (r.epoch as f64, f(r)))
                    .collect();
                Series::line(format!("{run}{suffix}"), points, i)
            })
            .collect()
    };
    let total = |r: &crate::train::EpochRecord| {
        let top = r
            .log10_layer_norm_sq
            .iter()
            .cloned()
            .fold(f64::NEG_INFINITY, f64::max);
        top + r
            .log10_layer_norm_sq
            .iter()
            .map(|x| 10f64.powf(x - top))
            .sum::<f64>()
            .log10()
    };
    let mut growth = series(&|r| r.log10_lr, " log10 lr");
    for (i, s) in series(&total, " log10 |w|^2").into_iter().enumerate() {
        growth.push(Series {
            color: i + 4,
            dashed: true,
            ..s
        });
    }
    let panels = vec![
        Panel {
            title: "test accuracy".into(),
            x_label: "epoch".into(),
            y_label: "accuracy".into(),
            series: series(&|r| r.test_accuracy, ""),
            log_y: false,
        },
        Panel {
            title: "LR and ‖w‖² (log10; renormalizations undone)".into(),
            x_label: "epoch".into(),
            y_label: "log10".into(),
            series: growth,
            log_y: false,
        },
        Panel {
            title: "agreement of test predictions with the first run".into(),
            x_label: "epoch".into(),
            y_label: "fraction".into(),
            series: series(&|r| r.agreement, ""),
            log_y: false,
        },
        Panel {
            title: "angle between w at consecutive epochs".into(),
            x_label: "epoch".into(),
            y_label: "degrees".into(),
            series: series(&|r| r.angle_deg, ""),
            log_y: false,
        },
    ];
    let path = dir.join("train.png");
    draw_figure(
        &path,
        &format!(
            "verify train ({} parameters, {})",
            report.parameters, report.device
        ),
        &panels,
        2,
        (700, 460),
    )?;
    Ok(path)
}
