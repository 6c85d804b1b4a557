//! Percentiles by sorting (runs hold thousands of samples, not millions).

use serde::Serialize;

#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct Percentiles {
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
}

/// Nearest-rank percentile of already sorted samples; 0 for none.
fn rank(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let n = sorted.len();
    let index = ((p / 100.0) * n as f64).ceil() as usize;
    sorted[index.clamp(1, n) - 1]
}

pub fn percentiles(samples: &[f64]) -> Percentiles {
    let mut sorted: Vec<f64> = samples.iter().copied().filter(|x| x.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    Percentiles {
        p50: round(rank(&sorted, 50.0)),
        p95: round(rank(&sorted, 95.0)),
        p99: round(rank(&sorted, 99.0)),
    }
}

/// Two decimals are plenty for milliseconds and seconds alike.
pub fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank() {
        let samples: Vec<f64> = (1..=100).map(f64::from).collect();
        let p = percentiles(&samples);
        assert_eq!((p.p50, p.p95, p.p99), (50.0, 95.0, 99.0));
        assert_eq!(percentiles(&[]).p99, 0.0);
        assert_eq!(percentiles(&[7.0]).p50, 7.0);
    }
}
