//! Latency distributions (nanoseconds) for `-z osd_op,lat`: exact up to
//! [`EXACT_SAMPLES`] samples, then a log-linear histogram of fixed size.

use super::stats::EXACT_SAMPLES;

/// A distribution of latencies (nanoseconds): exact up to
/// [`EXACT_SAMPLES`], then a log-linear histogram (64 buckets per power of
/// two, under 1.6% error).
#[derive(Debug, Clone, Default)]
pub struct Latency {
    /// Samples.
    pub count: u64,
    /// Smallest.
    pub min: u64,
    /// Largest.
    pub max: u64,
    samples: Vec<u64>,
    hist: Vec<u64>,
}

const SUB_BITS: u32 = 6;
const SUB: u64 = 1 << SUB_BITS;

fn bucket(v: u64) -> usize {
    if v < SUB {
        return usize::try_from(v).unwrap_or(0);
    }
    let e = 63 - v.leading_zeros();
    let m = (v >> (e - SUB_BITS)) & (SUB - 1);
    usize::try_from(u64::from(e - SUB_BITS + 1) * SUB + m).unwrap_or(0)
}

fn bucket_low(b: usize) -> u64 {
    let b = u64::try_from(b).unwrap_or(u64::MAX);
    if b < SUB {
        return b;
    }
    let e = b / SUB + u64::from(SUB_BITS) - 1;
    let m = b % SUB;
    (SUB | m) << (e - u64::from(SUB_BITS))
}

impl Latency {
    /// Add one sample.
    pub fn add(&mut self, ns: u64) {
        if self.count == 0 || ns < self.min {
            self.min = ns;
        }
        self.max = self.max.max(ns);
        self.count += 1;
        if self.hist.is_empty() {
            self.samples.push(ns);
            if self.samples.len() > EXACT_SAMPLES {
                self.hist = vec![0; bucket(u64::MAX) + 1];
                for s in std::mem::take(&mut self.samples) {
                    self.bump(s);
                }
            }
        } else {
            self.bump(ns);
        }
    }

    fn bump(&mut self, ns: u64) {
        if let Some(c) = self.hist.get_mut(bucket(ns)) {
            *c += 1;
        }
    }

    /// The `p`-quantile (0..=1), nearest rank.
    pub fn quantile(&self, p: f64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        let rank = ((p * self.count as f64).ceil() as u64).clamp(1, self.count);
        if self.hist.is_empty() {
            let mut s = self.samples.clone();
            s.sort_unstable();
            let i = usize::try_from(rank - 1).unwrap_or(0);
            return s.get(i).copied().unwrap_or(self.max);
        }
        let mut seen = 0u64;
        for (b, n) in self.hist.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return bucket_low(b).clamp(self.min, self.max);
            }
        }
        self.max
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_monotonic_and_tight() {
        let mut last = 0;
        for v in [0u64, 1, 63, 64, 65, 127, 128, 1000, 123_456_789, u64::MAX] {
            let b = bucket(v);
            assert!(b >= last);
            last = b;
            let low = bucket_low(b);
            assert!(low <= v && v - low <= v / 64, "{v} {low}");
        }
    }

    #[test]
    fn quantiles_exact_then_histogram() {
        let mut l = Latency::default();
        for v in 1..=100 {
            l.add(v * 1000);
        }
        assert_eq!(
            (l.min, l.max, l.quantile(0.5), l.quantile(0.99)),
            (1000, 100_000, 50_000, 99_000)
        );
        let mut h = Latency::default();
        for v in 1..=(EXACT_SAMPLES as u64 * 2) {
            h.add(v);
        }
        let med = h.quantile(0.5) as f64;
        assert!((med - EXACT_SAMPLES as f64).abs() / med < 0.02, "{med}");
        assert_eq!(h.count, EXACT_SAMPLES as u64 * 2);
    }
}
