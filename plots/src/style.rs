//! The fixed look of each design, so a design is recognisable across plots.

use plotters::coord::CoordTranslate;
use plotters::prelude::*;

/// Colour and marker of a design; the same in every plot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DesignStyle {
    pub colour: RGBColor,
    pub marker: Marker,
}

/// A point marker. Variants of one design family (e.g. `faastcc` and
/// `faastcc-cm`) share a shape and differ in fill, so families read as such.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Marker {
    pub shape: Shape,
    /// Solid or outline; `Cross` and `Plus` are always drawn as strokes.
    pub filled: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Circle,
    Square,
    Diamond,
    Triangle,
    Cross,
    Plus,
}

const SHAPES: [Shape; 6] = [
    Shape::Circle,
    Shape::Square,
    Shape::Diamond,
    Shape::Triangle,
    Shape::Cross,
    Shape::Plus,
];

/// The style of a design. Known designs have hand-picked, mutually distinct
/// colours (Tableau 10); any other name gets a colour and marker derived from
/// a stable hash of the name, so it too looks the same in every plot and run.
pub fn design_style(name: &str) -> DesignStyle {
    let known = |rgb: (u8, u8, u8), shape, filled| DesignStyle {
        colour: RGBColor(rgb.0, rgb.1, rgb.2),
        marker: Marker { shape, filled },
    };
    match name {
        "causalmesh" => known((31, 119, 180), Shape::Circle, true),
        "causalmesh-tcc" => known((23, 190, 207), Shape::Circle, false),
        "hydrocache-con" => known((255, 127, 14), Shape::Square, true),
        "hydrocache-con-cm" => known((140, 86, 75), Shape::Square, false),
        "hydrocache-opt" => known((44, 160, 44), Shape::Diamond, true),
        "hydrocache-opt-cm" => known((188, 189, 34), Shape::Diamond, false),
        "faastcc" => known((148, 103, 189), Shape::Triangle, true),
        "faastcc-cm" => known((227, 119, 194), Shape::Triangle, false),
        "eventual" => known((214, 39, 40), Shape::Cross, false),
        "nocache" => known((127, 127, 127), Shape::Plus, false),
        _ => fallback_style(name),
    }
}

fn fallback_style(name: &str) -> DesignStyle {
    let hash = fnv1a(name.as_bytes());
    // Mid saturation and lightness keep any hue readable on white.
    let hue = (hash % 360) as f64 / 360.0;
    let RGBAColor(r, g, b, _) = HSLColor(hue, 0.65, 0.42).to_rgba();
    DesignStyle {
        colour: RGBColor(r, g, b),
        marker: Marker {
            shape: SHAPES[((hash >> 32) % SHAPES.len() as u64) as usize],
            filled: (hash >> 40) & 1 == 1,
        },
    }
}

/// FNV-1a: unlike `DefaultHasher`, its output is fixed across Rust releases.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// `colour` moved towards white by `share` (0 = unchanged, 1 = white).
pub(crate) fn tint(colour: RGBColor, share: f64) -> RGBColor {
    let mix = |c: u8| (f64::from(c) + (255.0 - f64::from(c)) * share).round() as u8;
    RGBColor(mix(colour.0), mix(colour.1), mix(colour.2))
}

impl Marker {
    /// Draws the marker centred on `at` with the given radius in pixels.
    pub fn draw<DB, CT>(
        self,
        area: &DrawingArea<DB, CT>,
        at: CT::From,
        radius: i32,
        colour: RGBColor,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>>
    where
        DB: DrawingBackend,
        CT: CoordTranslate,
        CT::From: Clone,
    {
        let r = radius;
        let stroke = colour.stroke_width(2);
        let style = if self.filled { colour.filled() } else { stroke };
        let anchor = || EmptyElement::<CT::From, DB>::at(at.clone());
        // Outline polygons are drawn as closed paths: plotters' Polygon
        // always fills.
        let polygon = |points: Vec<(i32, i32)>| {
            if self.filled {
                area.draw(&(anchor() + Polygon::new(points, style)))
            } else {
                let mut closed = points;
                closed.push(closed[0]);
                area.draw(&(anchor() + PathElement::new(closed, stroke)))
            }
        };
        match self.shape {
            Shape::Circle => area.draw(&(anchor() + Circle::new((0, 0), r, style))),
            Shape::Square => {
                let s = r * 4 / 5;
                polygon(vec![(-s, -s), (s, -s), (s, s), (-s, s)])
            }
            Shape::Diamond => polygon(vec![(0, -r), (r, 0), (0, r), (-r, 0)]),
            Shape::Triangle => polygon(vec![(0, -r), (r, r * 3 / 4), (-r, r * 3 / 4)]),
            Shape::Cross => area.draw(
                &(anchor()
                    + PathElement::new(vec![(-r, -r), (r, r)], stroke)
                    + PathElement::new(vec![(-r, r), (r, -r)], stroke)),
            ),
            Shape::Plus => area.draw(
                &(anchor()
                    + PathElement::new(vec![(-r, 0), (r, 0)], stroke)
                    + PathElement::new(vec![(0, -r), (0, r)], stroke)),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: [&str; 10] = [
        "causalmesh",
        "causalmesh-tcc",
        "hydrocache-con",
        "hydrocache-opt",
        "faastcc",
        "hydrocache-con-cm",
        "hydrocache-opt-cm",
        "faastcc-cm",
        "eventual",
        "nocache",
    ];

    #[test]
    fn known_designs_are_told_apart() {
        for (i, a) in KNOWN.iter().enumerate() {
            for b in &KNOWN[i + 1..] {
                let (sa, sb) = (design_style(a), design_style(b));
                assert_ne!(sa.colour, sb.colour, "{a} and {b} share a colour");
                assert_ne!(sa, sb, "{a} and {b} look the same");
            }
        }
    }

    #[test]
    fn unknown_designs_are_stable_and_varied() {
        assert_eq!(design_style("newcache"), design_style("newcache"));
        assert_ne!(
            design_style("newcache").colour,
            design_style("othercache").colour
        );
    }

    #[test]
    fn fnv1a_matches_reference_vector() {
        // Published FNV-1a 64 test vector, pinning fallback colours across releases.
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
