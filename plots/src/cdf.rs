//! Latency percentile curves from the HdrHistogram distributions.
//!
//! The y axis is the usual "tail" scale: percentile p is placed at
//! log10(1 / (1 - p)), so 90%, 99%, 99.9% ... are evenly spaced and the tail
//! gets as much room as the body.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::axis::TickedAxis;
use crate::legend::{self, Entry, Swatch};
use crate::lines::{Scale, nice_ticks};
use crate::read::PercentilePoint;
use crate::render::{DrawResult, Figure};
use crate::style::design_style;
use crate::theme;

/// One design's distribution as (latency ms, tail position) points.
pub(crate) struct Curve {
    design: String,
    points: Vec<(f64, f64)>,
}

impl Curve {
    /// Percentile 1 (the maximum) has no finite tail position and is left
    /// out; the summary's max_us reports it. `None` if nothing else is left.
    pub(crate) fn new(design: &str, distribution: &[PercentilePoint]) -> Option<Self> {
        let points: Vec<(f64, f64)> = distribution
            .iter()
            .filter(|p| p.percentile < 1.0)
            .map(|p| (p.value_us / 1000.0, tail_position(p.percentile)))
            .collect();
        (!points.is_empty()).then(|| Self {
            design: design.to_owned(),
            points,
        })
    }
}

fn tail_position(percentile: f64) -> f64 {
    -(1.0 - percentile).log10()
}

/// Inverse of `tail_position`, as a tick label: 1 -> "90%", 3 -> "99.9%".
fn percent_label(position: f64) -> String {
    let percent = 100.0 * (1.0 - 10f64.powf(-position));
    // Position k shows k nines, i.e. k-2 decimals of a percentage.
    let decimals = (position.round() as usize).saturating_sub(2);
    format!("{percent:.decimals$}%")
}

pub(crate) struct CdfChart {
    title: String,
    curves: Vec<Curve>,
}

impl CdfChart {
    pub(crate) fn new(run: &str, curves: Vec<Curve>) -> Self {
        Self {
            title: format!("{run}: workflow latency distribution"),
            curves,
        }
    }

    fn entries(&self) -> Vec<Entry> {
        self.curves
            .iter()
            .map(|c| Entry {
                label: c.design.clone(),
                swatch: Swatch::Line(design_style(&c.design)),
            })
            .collect()
    }
}

/// Latencies spanning more than this factor get a log axis.
const WIDE_RANGE: f64 = 50.0;

/// Height of the plotting area (the legend may ask for more).
const PLOT_HEIGHT: u32 = 500;

impl Figure for CdfChart {
    fn size(&self) -> (u32, u32) {
        // Grows only when the legend would not fit beside the usual height.
        let legend = legend::height(&self.entries());
        let plot = PLOT_HEIGHT.max(legend);
        (
            theme::WIDTH,
            theme::HEADER_HEIGHT + plot + theme::X_AXIS_HEIGHT,
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let body = root.titled(&self.title, theme::title())?;
        let plot = legend::split_right(&body, &self.entries())?;

        let all = || self.curves.iter().flat_map(|c| c.points.iter());
        let max_ms = all().map(|p| p.0).fold(0.0, f64::max);
        let min_ms = all()
            .map(|p| p.0)
            .filter(|&x| x > 0.0)
            .fold(f64::INFINITY, f64::min);
        // Designs orders of magnitude apart would leave the fast ones squashed
        // against the axis on a linear scale.
        let x_scale = if max_ms > WIDE_RANGE * min_ms {
            Scale::Log10
        } else {
            Scale::Linear
        };
        let (x_min, x_max, x_ticks) = match x_scale {
            Scale::Log10 => x_scale.layout(min_ms, max_ms, false, &[]),
            _ => {
                let x_max = if max_ms > 0.0 { max_ms * 1.05 } else { 1.0 };
                (0.0, x_max, nice_ticks(0.0, x_max))
            }
        };
        // Show at least up to 99%, and whole nines so the top tick is labelled.
        let deepest = all().map(|p| p.1).fold(0.0, f64::max);
        let y_max = (deepest - 1e-9).ceil().max(2.0);
        let mut ticks = vec![0.0, 2f64.log10()];
        ticks.extend((1..=y_max as u32).map(f64::from));

        let mut chart = ChartBuilder::on(&plot)
            .margin_top(theme::TOP_MARGIN)
            .margin_right(theme::RIGHT_MARGIN)
            .margin_left(theme::LEFT_MARGIN)
            .x_label_area_size(theme::X_AXIS_HEIGHT)
            .y_label_area_size(90)
            .build_cartesian_2d(
                TickedAxis::new(x_min..x_max, x_ticks),
                TickedAxis::new(0.0..y_max, ticks.clone()),
            )?;
        let x_span = x_max - x_min;
        chart
            .configure_mesh()
            .x_label_formatter(&|x| x_scale.label(*x, x_span))
            .y_label_formatter(&|y| percent_label(*y))
            .x_desc(if x_scale == Scale::Log10 {
                "workflow latency (ms, log scale)"
            } else {
                "workflow latency (ms)"
            })
            .y_desc("percentile")
            .light_line_style(TRANSPARENT)
            .label_style(theme::tick())
            .axis_desc_style(theme::axis_desc())
            .draw()?;

        for curve in &self.curves {
            let style = design_style(&curve.design);
            let points: Vec<(f64, f64)> = curve
                .points
                .iter()
                .filter(|p| x_scale == Scale::Linear || p.0 > 0.0)
                .map(|&(ms, y)| (x_scale.position(ms), y))
                .collect();
            chart.draw_series(LineSeries::new(
                points.iter().copied(),
                style.colour.stroke_width(2),
            ))?;
            // Markers only where the curve crosses a labelled percentile:
            // enough to tell designs apart, and they mark readable values.
            for &level in &ticks[1..] {
                if let Some(ms) = latency_at(&points, level) {
                    style
                        .marker
                        .draw(chart.plotting_area(), (ms, level), 5, style.colour)?;
                }
            }
        }
        Ok(())
    }
}

/// Latency where the curve first reaches `level`, interpolated linearly (as
/// the line is drawn); `None` if the curve stops below it.
fn latency_at(points: &[(f64, f64)], level: f64) -> Option<f64> {
    let after = points.iter().position(|&(_, y)| y >= level)?;
    let (x1, y1) = points[after];
    match after.checked_sub(1).map(|before| points[before]) {
        Some((x0, y0)) if y1 > y0 => Some(x0 + (x1 - x0) * (level - y0) / (y1 - y0)),
        _ => Some(x1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_labels_count_nines() {
        let labels: Vec<String> = [0.0, 2f64.log10(), 1.0, 2.0, 3.0, 4.0]
            .into_iter()
            .map(percent_label)
            .collect();
        assert_eq!(labels, ["0%", "50%", "90%", "99%", "99.9%", "99.99%"]);
    }

    #[test]
    fn tail_position_of_nines() {
        assert!((tail_position(0.999) - 3.0).abs() < 1e-9);
    }

    #[test]
    fn latency_interpolates_between_rows() {
        let points = [(1.0, 0.0), (2.0, 1.0), (4.0, 2.0)];
        assert_eq!(latency_at(&points, 1.5), Some(3.0));
        assert_eq!(latency_at(&points, 0.0), Some(1.0));
        assert_eq!(latency_at(&points, 2.5), None);
    }

    #[test]
    fn maximum_row_is_dropped() {
        let distribution = [
            PercentilePoint {
                value_us: 500.0,
                percentile: 0.5,
            },
            PercentilePoint {
                value_us: 9000.0,
                percentile: 1.0,
            },
        ];
        let curve = Curve::new("x", &distribution).expect("one point left");
        assert_eq!(curve.points.len(), 1);
        assert!((curve.points[0].0 - 0.5).abs() < 1e-12);
        assert!(Curve::new("x", &distribution[1..]).is_none());
    }
}
