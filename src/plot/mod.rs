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

/// Largest magnitude drawn: beyond it a value is treated as off the chart, so axis arithmetic
/// (padding, ×2 on log axes, tick steps) can never overflow to ±inf.
const DRAWABLE: f64 = 1e300;

/// At most this many points per series are drawn (a long run is reduced bucket by bucket to each
/// bucket's first, smallest and largest value, so spikes such as kick-outs survive).
const MAX_POINTS: usize = 4096;

fn drawable(log_y: bool, p: &(f64, f64)) -> bool {
    let (x, y) = *p;
    x.is_finite()
        && y.is_finite()
        && x.abs() < DRAWABLE
        && y.abs() < DRAWABLE
        && (!log_y || y > 1.0 / DRAWABLE)
}

/// The points of a series that will be drawn, reduced to about [`MAX_POINTS`].
fn thin(points: &[(f64, f64)], log_y: bool) -> Vec<(f64, f64)> {
    let kept: Vec<(f64, f64)> = points
        .iter()
        .copied()
        .filter(|p| drawable(log_y, p))
        .collect();
    if kept.len() <= MAX_POINTS {
        return kept;
    }
    let bucket = kept.len().div_ceil(MAX_POINTS / 3);
    let mut out = Vec::with_capacity(MAX_POINTS + 3);
    for chunk in kept.chunks(bucket) {
        let lo = chunk.iter().min_by(|a, b| a.1.total_cmp(&b.1));
        let hi = chunk.iter().max_by(|a, b| a.1.total_cmp(&b.1));
        let mut picks = vec![chunk[0]];
        picks.extend(lo.copied());
        picks.extend(hi.copied());
        picks.sort_by(|a, b| a.0.total_cmp(&b.0));
        picks.dedup_by(|a, b| a.0.to_bits() == b.0.to_bits() && a.1.to_bits() == b.1.to_bits());
        out.extend(picks);
    }
    out
}

/// A non-degenerate interval around [lo, hi]: padded by 5% of the span and by at least 1e-6 of
/// the magnitude (1 when everything is 0), so a constant series gets a visible band and tick
/// generation always has a span that f64 resolves.
fn padded(lo: f64, hi: f64) -> (f64, f64) {
    let magnitude = lo.abs().max(hi.abs());
    let mut pad = ((hi - lo) * 0.05).max(magnitude * 1e-6);
    if pad <= 0.0 || !pad.is_finite() {
        pad = if magnitude > 0.0 {
            magnitude * 0.05
        } else {
            1.0
        };
    }
    (lo - pad, hi + pad)
}

fn bounds(panel: &Panel) -> Option<((f64, f64), (f64, f64))> {
    let mut x = (f64::INFINITY, f64::NEG_INFINITY);
    let mut y = (f64::INFINITY, f64::NEG_INFINITY);
    for s in &panel.series {
        for p in &s.points {
            if !drawable(panel.log_y, p) {
                continue;
            }
            x = (x.0.min(p.0), x.1.max(p.0));
            y = (y.0.min(p.1), y.1.max(p.1));
        }
    }
    if !x.0.is_finite() || !y.0.is_finite() {
        return None;
    }
    let x = if x.1 > x.0 { x } else { padded(x.0, x.1) };
    let y = if panel.log_y {
        // ×/÷ 2 around the data; a constant series gets a decade.
        if y.1 > y.0 * 1.01 {
            (y.0 / 2.0, y.1 * 2.0)
        } else {
            (y.0 / 10f64.sqrt(), y.1 * 10f64.sqrt())
        }
    } else {
        padded(y.0, y.1)
    };
    Some((x, y))
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    panel: &Panel,
) -> std::result::Result<(), String> {
    let Some(((x0, x1), (y0, y1))) = bounds(panel) else {
        // Nothing finite to draw (a run that diverged at once): say so instead of an empty frame.
        let note = format!("{}: no finite values to plot", panel.title);
        area.draw(&Text::new(note, (20, 30), ("sans-serif", 18)))
            .map_err(|e| e.to_string())?;
        return Ok(());
    };
    let mut builder = ChartBuilder::on(area);
    builder
        .caption(&panel.title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(80);
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
                let points = thin(&s.points, panel.log_y);
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
    let columns = columns.max(1);
    let rows = panels.len().div_ceil(columns).max(1);
    let size = (
        panel_size.0 * columns as u32,
        panel_size.1 * rows as u32 + 40,
    );
    crate::files::write_atomically(path, |tmp| {
        let root = BitMapBackend::new(tmp, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| plot_error(path, e))?;
        let root = root
            .titled(title, ("sans-serif", 24))
            .map_err(|e| plot_error(path, e))?;
        let areas = root.split_evenly((rows, columns));
        for (area, panel) in areas.iter().zip(panels) {
            draw_panel(area, panel).map_err(|e| plot_error(path, e))?;
        }
        root.present().map_err(|e| plot_error(path, e))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Draws `panels` on a worker thread; a figure that is not written within 60 s is a hang.
    fn draws_in_time(name: &str, panels: Vec<Panel>) {
        let dir = std::env::temp_dir().join(format!("explr-plot-{}", std::process::id()));
        let path = dir.join(format!("{name}.png"));
        let target = path.clone();
        let title = name.to_string();
        let (send, receive) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = send.send(draw_figure(&target, &title, &panels, 2, (320, 240)));
        });
        let outcome = receive
            .recv_timeout(std::time::Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("{name}: drawing did not finish in 60 s"));
        assert!(outcome.is_ok(), "{name}: {outcome:?}");
        assert!(std::fs::metadata(&path)
            .map(|m| m.len() > 0)
            .unwrap_or(false));
    }

    fn panel(points: Vec<(f64, f64)>, log_y: bool) -> Panel {
        Panel {
            title: "t".into(),
            x_label: "x".into(),
            y_label: "y".into(),
            series: vec![Series::line("s", points, 0)],
            log_y,
        }
    }

    #[test]
    fn degenerate_data_renders_without_hanging() {
        let constant: Vec<_> = (0..100).map(|t| (t as f64, 0.0)).collect();
        let big: Vec<_> = (0..100).map(|t| (t as f64, 1e308)).collect();
        let huge_flat: Vec<_> = (0..100).map(|t| (t as f64, 7.0e25)).collect();
        let tiny_span: Vec<_> = (0..100)
            .map(|t| (t as f64, 1.0 + t as f64 * 1e-17))
            .collect();
        let non_finite: Vec<_> = (0..100)
            .map(|t| (t as f64, if t % 2 == 0 { f64::NAN } else { f64::INFINITY }))
            .collect();
        let one_point = vec![(0.0, 3.0)];
        for (name, points) in [
            ("constant", constant),
            ("beyond", big),
            ("huge-flat", huge_flat),
            ("tiny-span", tiny_span),
            ("non-finite", non_finite),
            ("one-point", one_point),
        ] {
            draws_in_time(
                name,
                vec![panel(points.clone(), false), panel(points, true)],
            );
        }
    }

    #[test]
    fn thinning_keeps_extremes_and_bounds_the_count() {
        let mut points: Vec<_> = (0..1_000_000).map(|t| (t as f64, 1.0)).collect();
        points[777_777].1 = 50.0;
        let kept = thin(&points, true);
        assert!(kept.len() <= MAX_POINTS + 3, "{}", kept.len());
        assert!(kept.iter().any(|p| p.1 > 49.0), "the spike survives");
    }

    #[test]
    fn ticks_are_short() {
        assert_eq!(tick(0.000000000002), "2e-12");
        assert_eq!(tick(0.70000000000001), "0.7");
        assert_eq!(tick(500.0), "500");
        assert_eq!(tick(1e6), "1e6");
        assert_eq!(tick(0.25), "0.25");
    }
}
