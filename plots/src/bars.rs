//! Horizontal bar charts, one group of bars per design. Horizontal, so long
//! design names sit on the y axis without overlapping or being rotated.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::axis::TickedAxis;
use crate::legend::{self, Entry, Swatch};
use crate::read::SummaryRow;
use crate::render::{DrawResult, Figure};
use crate::style::{design_style, tint};
use crate::theme;

/// A latency percentile shown per design, as a tint of the design's colour.
struct Percentile {
    label: &'static str,
    micros: fn(&SummaryRow) -> f64,
    /// Share of white mixed into the design's colour.
    white: f64,
}

const LATENCY_BARS: [Percentile; 3] = [
    Percentile {
        label: "p50",
        micros: |r| r.p50_us,
        white: 0.0,
    },
    Percentile {
        label: "p99",
        micros: |r| r.p99_us,
        white: 0.45,
    },
    Percentile {
        label: "p99.9",
        micros: |r| r.p999_us,
        white: 0.8,
    },
];

/// Grouped bars of p50 / p99 / p99.9 workflow latency in milliseconds.
pub(crate) fn latency(run: &str, rows: &[SummaryRow]) -> BarChart {
    let groups = rows
        .iter()
        .map(|row| {
            let colour = design_style(&row.design).colour;
            let bars = LATENCY_BARS
                .iter()
                .map(|p| Bar {
                    value: (p.micros)(row) / 1000.0,
                    fill: tint(colour, p.white),
                    edge: colour,
                    whisker: None,
                })
                .collect();
            (row.design.clone(), bars)
        })
        .collect();
    // Percentiles are told apart by shade; grey keeps the legend design-neutral.
    let grey = RGBColor(90, 90, 90);
    let legend = LATENCY_BARS
        .iter()
        .map(|p| Entry {
            label: p.label.into(),
            swatch: Swatch::Bar {
                fill: tint(grey, p.white),
                edge: grey,
            },
        })
        .collect();
    BarChart {
        title: format!("{run}: workflow latency"),
        x_desc: "workflow latency (ms)",
        groups,
        legend,
    }
}

/// One bar per design of workflow throughput.
pub(crate) fn throughput(run: &str, rows: &[SummaryRow]) -> BarChart {
    let groups = rows
        .iter()
        .map(|row| {
            let colour = design_style(&row.design).colour;
            let bar = Bar {
                value: row.throughput_wf_s,
                fill: colour,
                edge: colour,
                whisker: None,
            };
            (row.design.clone(), vec![bar])
        })
        .collect();
    BarChart {
        title: format!("{run}: throughput"),
        x_desc: "throughput (workflows/s)",
        groups,
        // Design names label the bars already; a legend would only repeat them.
        legend: Vec::new(),
    }
}

/// One bar per design at its p50 workflow latency, with a whisker up to its
/// p99: the body and the tail of each design in one row.
pub(crate) fn latency_whiskers(run: &str, rows: &[SummaryRow]) -> BarChart {
    let groups = rows
        .iter()
        .map(|row| {
            let colour = design_style(&row.design).colour;
            let bar = Bar {
                value: row.p50_us / 1000.0,
                fill: tint(colour, 0.3),
                edge: colour,
                whisker: Some(row.p99_us / 1000.0),
            };
            (row.design.clone(), vec![bar])
        })
        .collect();
    let grey = RGBColor(90, 90, 90);
    BarChart {
        title: format!("{run}: workflow latency, p50 bars with p99 whiskers"),
        x_desc: "workflow latency (ms)",
        groups,
        legend: vec![
            Entry {
                label: "p50".into(),
                swatch: Swatch::Bar {
                    fill: tint(grey, 0.3),
                    edge: grey,
                },
            },
            Entry {
                label: "p99".into(),
                swatch: Swatch::Whisker(grey),
            },
        ],
    }
}

pub(crate) struct Bar {
    value: f64,
    fill: RGBColor,
    edge: RGBColor,
    /// A whisker from the bar's end to a higher value (p99 over a p50 bar).
    whisker: Option<f64>,
}

pub(crate) struct BarChart {
    title: String,
    x_desc: &'static str,
    /// Design name and its bars, drawn top to bottom in this order.
    groups: Vec<(String, Vec<Bar>)>,
    legend: Vec<Entry>,
}

impl Bar {
    /// Where the bar or its whisker ends.
    fn end(&self) -> f64 {
        self.whisker.map_or(self.value, |w| w.max(self.value))
    }
}

const BAR_PX: u32 = 20;
const GROUP_GAP_PX: u32 = 18;
/// Keeps a chart of one or two designs from looking squashed.
const MIN_PLOT_PX: u32 = 140;
/// Room past the longest bar for its value label, as a share of that bar.
const LABEL_ROOM: f64 = 0.16;

impl BarChart {
    fn bars_per_group(&self) -> usize {
        self.groups
            .iter()
            .map(|(_, bars)| bars.len())
            .max()
            .unwrap_or(1)
    }

    /// Height of one group, so bars are BAR_PX thick whatever their number.
    fn group_px(&self) -> u32 {
        self.bars_per_group() as u32 * BAR_PX + GROUP_GAP_PX
    }

    fn plot_px(&self) -> u32 {
        (self.groups.len() as u32 * self.group_px())
            .max(MIN_PLOT_PX)
            .max(legend::height(&self.legend))
    }
}

impl Figure for BarChart {
    fn size(&self) -> (u32, u32) {
        (
            theme::WIDTH,
            theme::HEADER_HEIGHT + self.plot_px() + theme::X_AXIS_HEIGHT,
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let body = root.titled(&self.title, theme::title())?;
        let plot = if self.legend.is_empty() {
            body
        } else {
            legend::split_right(&body, &self.legend)?
        };

        let mut names_px = 0;
        for (name, _) in &self.groups {
            names_px = names_px.max(plot.estimate_text_size(name, &theme::tick())?.0);
        }
        let max = self
            .groups
            .iter()
            .flat_map(|(_, bars)| bars.iter().map(Bar::end))
            .fold(0.0, f64::max);
        // An all-zero chart still needs a non-empty range.
        let x_max = if max > 0.0 {
            max * (1.0 + LABEL_ROOM)
        } else {
            1.0
        };

        // Group i is centred on y = n-1-i, so the first design is at the top;
        // one y unit is one group, with any spare height split above and below.
        let n = self.groups.len();
        let top_index = n as f64 - 1.0;
        let centres: Vec<f64> = (0..n).map(|i| i as f64).collect();
        let group_px = f64::from(self.group_px());
        let spare = (f64::from(self.plot_px()) / group_px - n as f64) / 2.0;
        let y_range = -0.5 - spare..top_index + 0.5 + spare;
        let mut chart = ChartBuilder::on(&plot)
            .margin_top(theme::TOP_MARGIN)
            .margin_right(theme::RIGHT_MARGIN)
            .margin_left(theme::LEFT_MARGIN)
            .x_label_area_size(theme::X_AXIS_HEIGHT)
            .y_label_area_size(names_px + 16)
            .build_cartesian_2d(0.0..x_max, TickedAxis::new(y_range, centres))?;
        let name_of = |y: &f64| {
            let index = (top_index - y).round();
            let name = (index >= 0.0)
                .then(|| self.groups.get(index as usize))
                .flatten();
            name.map(|(name, _)| name.clone()).unwrap_or_default()
        };
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_labels(8)
            .x_label_formatter(&theme::tick_labels(x_max))
            .y_label_formatter(&name_of)
            .x_desc(self.x_desc)
            .light_line_style(TRANSPARENT)
            .label_style(theme::tick())
            .axis_desc_style(theme::axis_desc())
            .draw()?;

        let per_group = self.bars_per_group();
        let bar_height = f64::from(BAR_PX) / group_px;
        for (i, (_, bars)) in self.groups.iter().enumerate() {
            let band_top = top_index - i as f64 + bar_height * per_group as f64 / 2.0;
            for (j, bar) in bars.iter().enumerate() {
                let top = band_top - bar_height * j as f64;
                let bottom = top - bar_height;
                let corners = [(0.0, bottom), (bar.value, top)];
                chart.draw_series([
                    Rectangle::new(corners, bar.fill.filled()),
                    Rectangle::new(corners, bar.edge.stroke_width(1)),
                ])?;
                let middle = (top + bottom) / 2.0;
                let mut text = theme::value_label(bar.value);
                if let Some(high) = bar.whisker {
                    let cap = bar_height * 0.3;
                    let stroke = bar.edge.stroke_width(2);
                    chart.draw_series([
                        PathElement::new(vec![(bar.value, middle), (high, middle)], stroke),
                        PathElement::new(vec![(high, middle - cap), (high, middle + cap)], stroke),
                    ])?;
                    text = format!("{text} / {}", theme::value_label(high));
                }
                let label =
                    EmptyElement::at((bar.end(), middle)) + Text::new(text, (4, 0), theme::value());
                chart.draw_series([label])?;
            }
        }
        Ok(())
    }
}
