//! When one of our ratios agrees with the paper's.

/// How far our ratio may be from the paper's and still agree: within 25%.
pub const TOLERANCE: f64 = 0.25;
/// Ratios this close to 1 count as "on par" rather than as one side winning.
pub const PAR: f64 = 0.05;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Agreement {
    /// Same side of 1 and within [`TOLERANCE`] of the paper's ratio.
    Agrees,
    /// Same side of 1 (the same design is ahead), by a different margin.
    SameDirection,
    /// The other design is ahead in ours, or one side is on par and the
    /// other not.
    Opposite,
}

impl Agreement {
    pub fn label(self) -> &'static str {
        match self {
            Agreement::Agrees => "agrees",
            Agreement::SameDirection => "same direction",
            Agreement::Opposite => "opposite",
        }
    }
}

fn side(ratio: f64) -> i8 {
    if (ratio - 1.0).abs() <= PAR {
        0
    } else if ratio > 1.0 {
        1
    } else {
        -1
    }
}

/// Compares our ratio with the paper's; both positive.
pub fn compare(ours: f64, paper: f64) -> Agreement {
    if side(ours) != side(paper) {
        return Agreement::Opposite;
    }
    if (ours / paper - 1.0).abs() <= TOLERANCE {
        Agreement::Agrees
    } else {
        Agreement::SameDirection
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_agree_by_side_and_margin() {
        assert_eq!(compare(1.7, 1.8), Agreement::Agrees);
        assert_eq!(compare(3.0, 1.8), Agreement::SameDirection);
        assert_eq!(compare(0.8, 1.8), Agreement::Opposite);
        assert_eq!(compare(1.02, 0.98), Agreement::Agrees);
        assert_eq!(compare(1.02, 1.5), Agreement::Opposite);
    }
}
