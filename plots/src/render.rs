//! Rendering a figure to both PNG and SVG through one drawing routine.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::text::GlyphText;
use crate::{PlotError, atomic, font};

pub(crate) type DrawResult<DB> =
    Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// A chart that can draw itself on any plotters backend.
pub(crate) trait Figure {
    /// Size in pixels (PNG) or user units (SVG).
    fn size(&self) -> (u32, u32);
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB>;
}

/// Writes `dir/<stem>.png` and `dir/<stem>.svg`, each atomically.
pub(crate) fn save(
    figure: &impl Figure,
    dir: &Path,
    stem: &str,
) -> Result<[PathBuf; 2], PlotError> {
    let face = font::face()?;
    let png = dir.join(format!("{stem}.png"));
    atomic::write(&png, |tmp| {
        let root = GlyphText::new(BitMapBackend::new(tmp, figure.size()), face).into_drawing_area();
        paint(figure, &root)
    })?;
    let svg = dir.join(format!("{stem}.svg"));
    atomic::write(&svg, |tmp| {
        let root = SVGBackend::new(tmp, figure.size()).into_drawing_area();
        paint(figure, &root)
    })?;
    Ok([png, svg])
}

fn paint<DB: DrawingBackend>(
    figure: &impl Figure,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), String> {
    root.fill(&WHITE)
        .and_then(|()| figure.draw(root))
        // Both backends write their file here, reporting I/O errors.
        .and_then(|()| root.present())
        .map_err(|e| e.to_string())
}
