//! Sizes and text styles shared by all charts, so they look like one set.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::font::FAMILY;

pub(crate) const WIDTH: u32 = 1000;
/// Gap between the title and the plotting area; the legend starts at the same
/// height so its top lines up with the plot's.
pub(crate) const TOP_MARGIN: i32 = 12;
pub(crate) const RIGHT_MARGIN: i32 = 24;
pub(crate) const LEFT_MARGIN: i32 = 12;
/// Height above the plotting area: the title as plotters' `titled` lays it
/// out (text plus padding) and TOP_MARGIN.
pub(crate) const HEADER_HEIGHT: u32 = 34 + TOP_MARGIN as u32;
/// Height of the x axis: tick labels plus the axis description.
pub(crate) const X_AXIS_HEIGHT: u32 = 64;

pub(crate) fn title() -> TextStyle<'static> {
    (FAMILY, 24).into_font().into()
}

pub(crate) fn axis_desc() -> TextStyle<'static> {
    (FAMILY, 18).into_font().into()
}

pub(crate) fn tick() -> TextStyle<'static> {
    (FAMILY, 15).into_font().into()
}

pub(crate) fn legend() -> TextStyle<'static> {
    (FAMILY, 16)
        .into_font()
        .color(&BLACK)
        .pos(Pos::new(HPos::Left, VPos::Center))
}

/// Annotation printed next to a bar's end.
pub(crate) fn value() -> TextStyle<'static> {
    (FAMILY, 13)
        .into_font()
        .color(&RGBColor(60, 60, 60))
        .pos(Pos::new(HPos::Left, VPos::Center))
}

/// Tick labels for a linear axis spanning `span`: enough decimals for
/// plotters' 1-2-5 steps (about span / 10), then trailing zeros dropped, so
/// 0.1 steps never print as 0.30000000000000004 nor 5 as 5.00.
pub(crate) fn tick_labels(span: f64) -> impl Fn(&f64) -> String {
    let decimals = (2.0 - span.log10().floor()).clamp(0.0, 12.0) as usize;
    move |v| {
        let text = format!("{v:.decimals$}");
        let text = if text.contains('.') {
            text.trim_end_matches('0').trim_end_matches('.')
        } else {
            &text
        };
        if text == "-0" {
            "0".into()
        } else {
            text.into()
        }
    }
}

/// A measured value with three significant digits (all digits from 100 up).
pub(crate) fn value_label(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let decimals = (2.0 - v.abs().log10().floor()).clamp(0.0, 12.0) as usize;
    format!("{v:.decimals$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_labels_are_short_and_distinct() {
        let label = tick_labels(2.0);
        assert_eq!(label(&(0.1 + 0.2)), "0.3");
        assert_eq!(label(&2.0), "2");
        assert_eq!(label(&-0.0001), "0");
        assert_eq!(tick_labels(14_000.0)(&1500.0), "1500");
        let tiny = tick_labels(0.0012);
        assert_eq!(
            (tiny(&0.0002), tiny(&0.0004)),
            ("0.0002".into(), "0.0004".into())
        );
    }

    #[test]
    fn value_labels_keep_three_digits() {
        assert_eq!(value_label(12345.6), "12346");
        assert_eq!(value_label(12.345), "12.3");
        assert_eq!(value_label(1.2345), "1.23");
        assert_eq!(value_label(0.12345), "0.123");
        assert_eq!(value_label(0.0012), "0.00120");
        assert_eq!(value_label(0.0), "0");
    }
}
