//! Legends drawn in their own column right of the plot, so they never cover data.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::render::DrawResult;
use crate::style::DesignStyle;
use crate::theme;

/// What an entry's sample looks like.
pub(crate) enum Swatch {
    /// A filled box, as for a bar.
    Bar { fill: RGBColor, edge: RGBColor },
    /// A line segment with the design's marker, as for a curve.
    Line(DesignStyle),
    /// A capped line, as for a whisker.
    Whisker(RGBColor),
}

pub(crate) struct Entry {
    pub(crate) label: String,
    pub(crate) swatch: Swatch,
}

const SWATCH_WIDTH: i32 = 32;
/// Gap between a swatch and its label.
const GAP: i32 = 8;
const ROW_HEIGHT: i32 = 26;
const PADDING: i32 = 8;

/// Height of the legend box: what the plot next to it needs at least.
pub(crate) fn height(entries: &[Entry]) -> u32 {
    if entries.is_empty() {
        0
    } else {
        (2 * PADDING + ROW_HEIGHT * entries.len() as i32) as u32
    }
}

/// Splits a legend column off the right of `area`, draws `entries` in it
/// (boxed, top aligned with the plot) and returns the area left for the plot.
pub(crate) fn split_right<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[Entry],
) -> Result<DrawingArea<DB, Shift>, DrawingAreaErrorKind<DB::ErrorType>> {
    let style = theme::legend();
    let mut label_width = 0;
    for entry in entries {
        label_width = label_width.max(area.estimate_text_size(&entry.label, &style)?.0 as i32);
    }
    let box_width = PADDING + SWATCH_WIDTH + GAP + label_width + PADDING;
    let (plot, column) =
        area.split_horizontally(area.dim_in_pixel().0 as i32 - box_width - theme::RIGHT_MARGIN);
    draw_box(&column, entries, box_width)?;
    Ok(plot)
}

fn draw_box<DB: DrawingBackend>(
    column: &DrawingArea<DB, Shift>,
    entries: &[Entry],
    width: i32,
) -> DrawResult<DB> {
    let top = theme::TOP_MARGIN;
    let height = height(entries) as i32;
    column.draw(&Rectangle::new(
        [(0, top), (width, top + height)],
        RGBColor(160, 160, 160).stroke_width(1),
    ))?;
    for (i, entry) in entries.iter().enumerate() {
        let y = top + PADDING + ROW_HEIGHT * i as i32 + ROW_HEIGHT / 2;
        let (x0, x1) = (PADDING, PADDING + SWATCH_WIDTH);
        match entry.swatch {
            Swatch::Bar { fill, edge } => {
                column.draw(&Rectangle::new([(x0, y - 8), (x1, y + 8)], fill.filled()))?;
                column.draw(&Rectangle::new(
                    [(x0, y - 8), (x1, y + 8)],
                    edge.stroke_width(1),
                ))?;
            }
            Swatch::Whisker(colour) => {
                let stroke = colour.stroke_width(2);
                column.draw(&PathElement::new(vec![(x0, y), (x1, y)], stroke))?;
                column.draw(&PathElement::new(vec![(x1, y - 6), (x1, y + 6)], stroke))?;
            }
            Swatch::Line(style) => {
                column.draw(&PathElement::new(
                    vec![(x0, y), (x1, y)],
                    style.colour.stroke_width(2),
                ))?;
                style
                    .marker
                    .draw(column, ((x0 + x1) / 2, y), 5, style.colour)?;
            }
        }
        column.draw_text(&entry.label, &theme::legend(), (x1 + GAP, y))?;
    }
    Ok(())
}
