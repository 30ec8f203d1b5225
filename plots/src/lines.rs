//! Line charts of one or more stacked panels sharing an x axis, one line per
//! design in its own colour and marker, the legend in a column on the right.
//!
//! Both axes are [`TickedAxis`] over positions: a linear axis places values
//! as they are, a log axis places log10 (or log2) of them and labels ticks
//! with the values, a categorical axis places the i-th category at i.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::axis::TickedAxis;
use crate::legend::{self, Entry, Swatch};
use crate::render::{DrawResult, Figure};
use crate::style::design_style;
use crate::theme;

/// How values map to positions on an axis.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Scale {
    Linear,
    /// Powers of ten apart; for latencies spanning orders of magnitude.
    Log10,
    /// Doublings apart; for server counts 2, 4, 8, ...
    Log2,
    /// Text values, evenly spaced in the given order.
    Categories(Vec<String>),
}

impl Scale {
    pub(crate) fn position(&self, v: f64) -> f64 {
        match self {
            Scale::Linear | Scale::Categories(_) => v,
            Scale::Log10 => v.log10(),
            Scale::Log2 => v.log2(),
        }
    }

    fn value(&self, p: f64) -> f64 {
        match self {
            Scale::Linear | Scale::Categories(_) => p,
            Scale::Log10 => 10f64.powf(p),
            Scale::Log2 => 2f64.powf(p),
        }
    }

    /// Axis range and tick positions for data in `lo..=hi`. `from_zero`
    /// starts a linear axis at 0; `at` lists the data's own values, used as
    /// ticks when there are few.
    pub(crate) fn layout(
        &self,
        lo: f64,
        hi: f64,
        from_zero: bool,
        at: &[f64],
    ) -> (f64, f64, Vec<f64>) {
        match self {
            Scale::Categories(names) => {
                let ticks = (0..names.len()).map(|i| i as f64).collect();
                (-0.5, names.len() as f64 - 0.5, ticks)
            }
            Scale::Log2 => {
                let (a, b) = (lo.log2(), hi.log2());
                let pad = ((b - a) * 0.05).max(0.25);
                let ticks = at.iter().map(|v| v.log2()).collect();
                (a - pad, b + pad, ticks)
            }
            Scale::Log10 => {
                let (a, b) = (
                    lo.log10().floor(),
                    hi.log10().ceil().max(lo.log10().floor() + 1.0),
                );
                // Fewer ticks per decade as decades add up, so labels stay apart.
                let multiples: &[f64] = match b - a {
                    d if d <= 2.0 => &[1.0, 2.0, 5.0],
                    d if d <= 4.0 => &[1.0, 3.0],
                    _ => &[1.0],
                };
                let mut ticks = Vec::new();
                let mut decade = a;
                while decade <= b {
                    for &m in multiples {
                        let p = decade + f64::log10(m);
                        if p <= b + 1e-9 {
                            ticks.push(p);
                        }
                    }
                    decade += 1.0;
                }
                (a, b, ticks)
            }
            Scale::Linear => {
                let lo = if from_zero { 0.0 } else { lo };
                let span = if hi > lo { hi - lo } else { hi.abs().max(1.0) };
                // Headroom above the highest point keeps markers off the frame.
                let (lo, hi) = if from_zero {
                    (0.0, hi.max(lo) + span * 0.08)
                } else {
                    (lo - span * 0.05, hi + span * 0.05)
                };
                // A single point gets its own value as the one tick, not
                // fractions of a server around it.
                let ticks = if (1..=12).contains(&at.len()) {
                    at.to_vec()
                } else {
                    nice_ticks(lo, hi)
                };
                (lo, hi, ticks)
            }
        }
    }

    pub(crate) fn label(&self, p: f64, span: f64) -> String {
        match self {
            Scale::Categories(names) => {
                let i = p.round();
                if i >= 0.0 {
                    names.get(i as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            }
            Scale::Linear => theme::tick_labels(span)(&p),
            Scale::Log10 | Scale::Log2 => compact(self.value(p)),
        }
    }
}

/// A value without trailing zeros: 2000, 0.5, 1.25.
fn compact(v: f64) -> String {
    let rounded = (v * 1e6).round() / 1e6;
    let text = format!("{rounded:.6}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Ticks at 1-2-5 multiples, about six over `lo..hi`.
pub(crate) fn nice_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let raw = (hi - lo) / 6.0;
    if !(raw.is_finite() && raw > 0.0) {
        return vec![lo];
    }
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last).map(|i| i as f64 * step).collect()
}

/// One design's line: (x, y) points in data units, sorted by x.
pub(crate) struct Series {
    pub(crate) design: String,
    pub(crate) points: Vec<(f64, f64)>,
}

pub(crate) struct Panel {
    pub(crate) y_desc: String,
    pub(crate) y_scale: Scale,
    pub(crate) series: Vec<Series>,
}

pub(crate) struct LineChart {
    pub(crate) title: String,
    pub(crate) x_desc: String,
    pub(crate) x_scale: Scale,
    pub(crate) panels: Vec<Panel>,
}

/// A linear y axis starts at zero unless the lowest value is above this
/// share of the highest.
const NARROW_BAND: f64 = 0.5;

/// Height of each panel's plotting area.
const PANEL_HEIGHT: u32 = 330;
/// Height of the x axis of an upper panel: tick labels, no description
/// (the bottom panel's names the shared axis).
const TICKS_ONLY_HEIGHT: u32 = 32;
/// Full height of an upper panel.
const UPPER_PANEL: u32 = PANEL_HEIGHT + theme::TOP_MARGIN as u32 + TICKS_ONLY_HEIGHT;

impl LineChart {
    fn entries(&self) -> Vec<Entry> {
        let mut designs: Vec<&str> = Vec::new();
        for s in self.panels.iter().flat_map(|p| &p.series) {
            if !designs.contains(&s.design.as_str()) {
                designs.push(&s.design);
            }
        }
        designs
            .into_iter()
            .map(|d| Entry {
                label: d.to_string(),
                swatch: Swatch::Line(design_style(d)),
            })
            .collect()
    }

    fn x_values(&self) -> Vec<f64> {
        let mut xs: Vec<f64> = self
            .panels
            .iter()
            .flat_map(|p| &p.series)
            .flat_map(|s| s.points.iter().map(|p| p.0))
            .collect();
        xs.sort_by(f64::total_cmp);
        xs.dedup();
        xs
    }
}

impl Figure for LineChart {
    fn size(&self) -> (u32, u32) {
        let n = self.panels.len().max(1) as u32;
        let plots =
            (n * (PANEL_HEIGHT + theme::X_AXIS_HEIGHT)).max(legend::height(&self.entries()));
        (
            theme::WIDTH,
            theme::HEADER_HEIGHT + plots + theme::TOP_MARGIN as u32 * n,
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let body = root.titled(&self.title, theme::title())?;
        let plot = legend::split_right(&body, &self.entries())?;
        let mut areas = Vec::new();
        let mut rest = plot;
        for _ in 1..self.panels.len() {
            let (upper, lower) = rest.split_vertically(UPPER_PANEL);
            areas.push(upper);
            rest = lower;
        }
        areas.push(rest);
        let xs = self.x_values();
        let (x_lo, x_hi) = (
            xs.first().copied().unwrap_or(0.0),
            xs.last().copied().unwrap_or(1.0),
        );
        let (x0, x1, x_ticks) = self.x_scale.layout(x_lo, x_hi, false, &xs);
        let last = self.panels.len().saturating_sub(1);
        for (i, (panel, area)) in self.panels.iter().zip(&areas).enumerate() {
            draw_panel(self, panel, area, (x0, x1, &x_ticks), i == last)?;
        }
        Ok(())
    }
}

fn draw_panel<DB: DrawingBackend>(
    chart: &LineChart,
    panel: &Panel,
    area: &DrawingArea<DB, Shift>,
    (x0, x1, x_ticks): (f64, f64, &[f64]),
    bottom: bool,
) -> DrawResult<DB> {
    let ys: Vec<f64> = panel
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .filter(|y| y.is_finite())
        .collect();
    let y_lo = ys.iter().copied().fold(f64::INFINITY, f64::min);
    let y_hi = ys.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (y_lo, y_hi) = if ys.is_empty() {
        (0.0, 1.0)
    } else {
        (y_lo, y_hi)
    };
    let (y0, y1, y_ticks) = match panel.y_scale {
        Scale::Log10 => panel.y_scale.layout(y_lo, y_hi, false, &[]),
        _ => {
            // Values in a narrow band far from zero would be flat lines on
            // an axis from zero; the tick labels show where the axis starts.
            let from_zero = y_lo <= NARROW_BAND * y_hi;
            let (a, b, _) = panel.y_scale.layout(y_lo, y_hi, from_zero, &[]);
            (a, b, nice_ticks(a, b))
        }
    };
    let mut ctx = ChartBuilder::on(area)
        .margin_top(theme::TOP_MARGIN)
        .margin_right(theme::RIGHT_MARGIN)
        .margin_left(theme::LEFT_MARGIN)
        .x_label_area_size(if bottom {
            theme::X_AXIS_HEIGHT
        } else {
            TICKS_ONLY_HEIGHT
        })
        .y_label_area_size(84)
        .build_cartesian_2d(
            TickedAxis::new(x0..x1, x_ticks.to_vec()),
            TickedAxis::new(y0..y1, y_ticks),
        )?;
    let x_span = x1 - x0;
    let y_span = y1 - y0;
    ctx.configure_mesh()
        .x_label_formatter(&|p| chart.x_scale.label(*p, x_span))
        .y_label_formatter(&|p| panel.y_scale.label(*p, y_span))
        .x_desc(if bottom { chart.x_desc.as_str() } else { "" })
        .y_desc(panel.y_desc.as_str())
        .light_line_style(TRANSPARENT)
        .bold_line_style(RGBColor(225, 225, 225))
        .label_style(theme::tick())
        .axis_desc_style(theme::axis_desc())
        .draw()?;
    for series in &panel.series {
        let style = design_style(&series.design);
        let points: Vec<(f64, f64)> = series
            .points
            .iter()
            .filter(|p| p.1.is_finite() && (panel.y_scale != Scale::Log10 || p.1 > 0.0))
            .map(|&(x, y)| (chart.x_scale.position(x), panel.y_scale.position(y)))
            .collect();
        ctx.draw_series(LineSeries::new(
            points.iter().copied(),
            style.colour.stroke_width(2),
        ))?;
        for &p in &points {
            style.marker.draw(ctx.plotting_area(), p, 5, style.colour)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_ticks_step_by_one_two_five() {
        assert_eq!(nice_ticks(0.0, 6500.0), [0.0, 2000.0, 4000.0, 6000.0]);
        assert_eq!(
            nice_ticks(0.0, 1.08),
            [0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0]
        );
    }

    #[test]
    fn log_axes_tick_at_one_two_five_and_label_values() {
        let (lo, hi, ticks) = Scale::Log10.layout(3.0, 40.0, false, &[]);
        assert_eq!((lo, hi), (0.0, 2.0));
        let labels: Vec<String> = ticks.iter().map(|t| Scale::Log10.label(*t, 2.0)).collect();
        assert_eq!(labels, ["1", "2", "5", "10", "20", "50", "100"]);
        let (_, _, ticks) = Scale::Log2.layout(2.0, 64.0, false, &[2.0, 8.0, 64.0]);
        assert_eq!(ticks, [1.0, 3.0, 6.0]);
        assert_eq!(Scale::Log2.label(6.0, 5.0), "64");
    }

    #[test]
    fn a_single_value_is_its_own_tick() {
        let (lo, hi, ticks) = Scale::Linear.layout(3.0, 3.0, false, &[3.0]);
        assert!(lo < 3.0 && hi > 3.0);
        assert_eq!(ticks, [3.0]);
    }

    #[test]
    fn categories_sit_at_their_index() {
        let s = Scale::Categories(vec!["open".into(), "closed".into()]);
        assert_eq!(s.layout(0.0, 1.0, false, &[]), (-0.5, 1.5, vec![0.0, 1.0]));
        assert_eq!(s.label(1.0, 2.0), "closed");
        assert_eq!(s.label(-0.4, 2.0), "open");
    }
}
