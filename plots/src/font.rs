//! The one font every plot uses, compiled into the binary so that text renders
//! identically everywhere, with no fontconfig or system fonts at run time.

use std::sync::OnceLock;

use ab_glyph::FontRef;
use plotters::style::{FontStyle, register_font};

use crate::PlotError;

/// Family name the charts ask for; plotters' own defaults use it too.
pub(crate) const FAMILY: &str = "sans-serif";

/// DejaVu Sans 2.37, Bitstream Vera licence (see assets/LICENSE-DejaVu.txt).
static DEJAVU_SANS: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

/// The parsed font. The first call also registers it with plotters, which
/// measures text with it (bold and italic fall back to this regular face).
pub(crate) fn face() -> Result<&'static FontRef<'static>, PlotError> {
    static FACE: OnceLock<Option<FontRef<'static>>> = OnceLock::new();
    FACE.get_or_init(|| {
        let face = FontRef::try_from_slice(DEJAVU_SANS).ok()?;
        register_font(FAMILY, FontStyle::Normal, DEJAVU_SANS).ok()?;
        Some(face)
    })
    .as_ref()
    .ok_or(PlotError::Font)
}
