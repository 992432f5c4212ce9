//! PNG figures from records. Plots consume records; they never reach back into the simulator.
//!
//! plotters renders text with ab_glyph from DejaVu Sans embedded in the binary, so figures render
//! on a machine without any font installed.

mod schedule;
mod theorem;
mod toy;
mod train;

pub use schedule::schedule_figure;
pub use theorem::theorem_figures;
pub use toy::toy_figure;
pub use train::train_figure;

use std::path::Path;
use std::sync::Once;

use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::error::{Error, Result};

static FONT: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");
static REGISTER: Once = Once::new();

fn register_font() {
    REGISTER.call_once(|| {
        // The embedded font is known-good; a failure would only drop text, never panic.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

/// A line on a panel.
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend text.
    pub label: String,
    /// (x, y) points; non-finite or non-positive y are dropped on log panels.
    pub points: Vec<(f64, f64)>,
    /// Palette index.
    pub color: usize,
    /// Dashed reference line instead of a data line.
    pub dashed: bool,
}

impl Series {
    /// A data line.
    pub fn line(label: impl Into<String>, points: Vec<(f64, f64)>, color: usize) -> Self {
        Series {
            label: label.into(),
            points,
            color,
            dashed: false,
        }
    }

    /// A dashed horizontal reference line y = value over [x0, x1].
    pub fn reference(label: impl Into<String>, value: f64, x0: f64, x1: f64, color: usize) -> Self {
        Series {
            label: label.into(),
            points: vec![(x0, value), (x1, value)],
            color,
            dashed: true,
        }
    }
}

/// One panel with a logarithmic y axis.
#[derive(Debug, Clone)]
pub struct Panel {
    /// Caption.
    pub title: String,
    /// x-axis label.
    pub x_label: String,
    /// y-axis label (with units).
    pub y_label: String,
    /// Lines.
    pub series: Vec<Series>,
    /// Log-scaled y axis.
    pub log_y: bool,
}

const PALETTE: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(80, 80, 80),
];

fn plot_error(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Plot {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

/// Compact tick text: 3 significant digits, scientific outside [1e-3, 1e4).
fn tick(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return "0".into();
    }
    let magnitude = v.abs().log10();
    if !(-3.0..4.0).contains(&magnitude) {
        let text = format!("{v:.1e}");
        return text.replace(".0e", "e");
    }
    let text = format!("{v:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    text.to_string()
}

fn bounds(panel: &Panel) -> Option<((f64, f64), (f64, f64))> {
    let mut x = (f64::INFINITY, f64::NEG_INFINITY);
    let mut y = (f64::INFINITY, f64::NEG_INFINITY);
    for s in &panel.series {
        for &(px, py) in &s.points {
            if !px.is_finite() || !py.is_finite() || (panel.log_y && py <= 0.0) {
                continue;
            }
            x = (x.0.min(px), x.1.max(px));
            y = (y.0.min(py), y.1.max(py));
        }
    }
    if !x.0.is_finite() || !y.0.is_finite() {
        return None;
    }
    if x.1 <= x.0 {
        x.1 = x.0 + 1.0;
    }
    if panel.log_y {
        y = (y.0 / 2.0, y.1 * 2.0);
    } else {
        let pad = ((y.1 - y.0) * 0.05).max(1e-12);
        y = (y.0 - pad, y.1 + pad);
    }
    Some((x, y))
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    panel: &Panel,
) -> std::result::Result<(), String> {
    let Some(((x0, x1), (y0, y1))) = bounds(panel) else {
        return Ok(());
    };
    let mut builder = ChartBuilder::on(area);
    builder
        .caption(&panel.title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(80);
    let keep = |p: &(f64, f64)| p.0.is_finite() && p.1.is_finite() && (!panel.log_y || p.1 > 0.0);
    macro_rules! finish {
        ($chart:expr) => {{
            let mut chart = $chart;
            chart
                .configure_mesh()
                .x_desc(panel.x_label.as_str())
                .x_label_formatter(&|v| tick(*v))
                .y_label_formatter(&|v| tick(*v))
                .x_labels(8)
                .y_labels(10)
                .y_desc(panel.y_label.as_str())
                .label_style(("sans-serif", 14))
                .axis_desc_style(("sans-serif", 16))
                .draw()
                .map_err(|e| e.to_string())?;
            for s in &panel.series {
                let color = PALETTE[s.color % PALETTE.len()];
                let points: Vec<(f64, f64)> = s.points.iter().copied().filter(keep).collect();
                let style = ShapeStyle::from(&color).stroke_width(2);
                if s.dashed {
                    chart
                        .draw_series(DashedLineSeries::new(points, 8, 6, style))
                        .map_err(|e| e.to_string())?
                        .label(s.label.as_str())
                        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
                } else {
                    chart
                        .draw_series(LineSeries::new(points, style))
                        .map_err(|e| e.to_string())?
                        .label(s.label.as_str())
                        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
                }
            }
            chart
                .configure_series_labels()
                .label_font(("sans-serif", 14))
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .position(SeriesLabelPosition::UpperRight)
                .draw()
                .map_err(|e| e.to_string())?;
        }};
    }
    if panel.log_y {
        finish!(builder
            .build_cartesian_2d(x0..x1, (y0..y1).log_scale())
            .map_err(|e| e.to_string())?);
    } else {
        finish!(builder
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(|e| e.to_string())?);
    }
    Ok(())
}

/// Draws `panels` in a grid of `columns` columns into a PNG at `path`.
pub fn draw_figure(
    path: &Path,
    title: &str,
    panels: &[Panel],
    columns: usize,
    panel_size: (u32, u32),
) -> Result<()> {
    register_font();
    if let Some(dir) = path.parent() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir).map_err(|e| plot_error(path, e))?;
        }
    }
    let columns = columns.max(1);
    let rows = panels.len().div_ceil(columns).max(1);
    let size = (
        panel_size.0 * columns as u32,
        panel_size.1 * rows as u32 + 40,
    );
    let root = BitMapBackend::new(path, size).into_drawing_area();
    root.fill(&WHITE).map_err(|e| plot_error(path, e))?;
    let root = root
        .titled(title, ("sans-serif", 24))
        .map_err(|e| plot_error(path, e))?;
    let areas = root.split_evenly((rows, columns));
    for (area, panel) in areas.iter().zip(panels) {
        draw_panel(area, panel).map_err(|e| plot_error(path, e))?;
    }
    root.present().map_err(|e| plot_error(path, e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::tick;

    #[test]
    fn ticks_are_short() {
        assert_eq!(tick(0.000000000002), "2e-12");
        assert_eq!(tick(0.70000000000001), "0.7");
        assert_eq!(tick(500.0), "500");
        assert_eq!(tick(1e6), "1e6");
        assert_eq!(tick(0.25), "0.25");
    }
}
