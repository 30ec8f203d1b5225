//! The knee of a rate sweep: where a design stops keeping up.

/// One measured rate point of a design.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RatePoint {
    pub offered: f64,
    pub achieved: f64,
    pub p99_us: f64,
}

/// Achieved throughput may fall this far short of the offered rate.
const ACHIEVED_SHARE: f64 = 0.95;
/// The p99 may grow to less than this multiple of the low-load p99.
const P99_GROWTH: f64 = 5.0;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Knee {
    /// The highest offered rate the design sustained; `None` if it sustained
    /// none of them.
    pub rate: Option<f64>,
    /// The p99 at the lowest offered rate.
    pub low_load_p99_us: f64,
}

/// The highest offered rate whose achieved rate is within 5% of it and whose
/// p99 is under 5x the p99 at the lowest rate; `None` without points.
pub fn knee(points: &[RatePoint]) -> Option<Knee> {
    let low = points
        .iter()
        .min_by(|a, b| a.offered.total_cmp(&b.offered))?;
    let rate = points
        .iter()
        .filter(|p| p.achieved >= ACHIEVED_SHARE * p.offered && p.p99_us < P99_GROWTH * low.p99_us)
        .map(|p| p.offered)
        .max_by(f64::total_cmp);
    Some(Knee {
        rate,
        low_load_p99_us: low.p99_us,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(offered: f64, achieved: f64, p99_us: f64) -> RatePoint {
        RatePoint {
            offered,
            achieved,
            p99_us,
        }
    }

    #[test]
    fn the_knee_is_the_last_rate_kept_up_with() {
        let points = [
            p(3000.0, 2400.0, 90_000.0),
            p(1000.0, 998.0, 10_000.0),
            p(2000.0, 1950.0, 40_000.0),
        ];
        let k = knee(&points).unwrap();
        assert_eq!(k.rate, Some(2000.0));
        assert_eq!(k.low_load_p99_us, 10_000.0);
    }

    #[test]
    fn a_tail_blow_up_ends_the_range_even_at_full_throughput() {
        let points = [p(1000.0, 1000.0, 10_000.0), p(2000.0, 2000.0, 50_000.0)];
        assert_eq!(knee(&points).unwrap().rate, Some(1000.0));
    }

    #[test]
    fn no_sustained_rate_means_no_knee() {
        let points = [p(1000.0, 500.0, 10_000.0)];
        assert_eq!(knee(&points).unwrap().rate, None);
        assert_eq!(knee(&[]), None);
    }
}
