//! The one font every plot uses, compiled into the binary so that text renders
//! identically everywhere, with no fontconfig or system fonts at run time.

use std::sync::OnceLock;

use plotters::style::{FontStyle, register_font};

use crate::PlotError;

/// Family name the charts ask for; plotters' own defaults use it too.
pub(crate) const FAMILY: &str = "sans-serif";

/// DejaVu Sans 2.37, Bitstream Vera licence (see assets/LICENSE-DejaVu.txt).
static DEJAVU_SANS: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

/// Registers the font once per process; later calls return the first outcome.
/// Other styles (bold, italic) fall back to this regular face.
pub(crate) fn register() -> Result<(), PlotError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED
        .get_or_init(|| register_font(FAMILY, FontStyle::Normal, DEJAVU_SANS).is_ok());
    if ok { Ok(()) } else { Err(PlotError::Font) }
}
