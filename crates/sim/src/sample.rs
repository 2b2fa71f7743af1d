//! Random streams and the few samplers the simulator needs, written by hand to keep builds lean.

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;

/// SplitMix64's finaliser: spreads structured seeds (seed, purpose, index) over all 64 bits.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// An independent stream per (seed, purpose, index), so that changing one population's knobs
/// leaves the other populations' draws — and output — as they were.
pub(crate) fn stream(seed: u64, purpose: &str, index: u64) -> Pcg64 {
    let mut h = mix(seed);
    for b in purpose.bytes() {
        h = mix(h ^ u64::from(b));
    }
    Pcg64::seed_from_u64(mix(h ^ mix(index)))
}

pub(crate) fn chance<R: Rng>(rng: &mut R, p: f64) -> bool {
    rng.gen::<f64>() < p
}

/// Standard normal by Box–Muller (one of the pair; simplicity beats the saved draw here).
pub(crate) fn normal<R: Rng>(rng: &mut R) -> f64 {
    let u1 = 1.0 - rng.gen::<f64>(); // (0, 1]: ln never sees 0
    let u2 = rng.gen::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

pub(crate) fn lognormal<R: Rng>(rng: &mut R, median: f64, sigma: f64) -> f64 {
    median * (sigma * normal(rng)).exp()
}

pub(crate) fn exponential<R: Rng>(rng: &mut R, mean: f64) -> f64 {
    -mean * (1.0 - rng.gen::<f64>()).ln()
}

/// Poisson by multiplication of uniforms for small means, a rounded normal for large ones.
pub(crate) fn poisson<R: Rng>(rng: &mut R, lambda: f64) -> u32 {
    if lambda <= 0.0 {
        return 0;
    }
    if lambda > 30.0 {
        return (lambda + lambda.sqrt() * normal(rng)).round().max(0.0) as u32;
    }
    let limit = (-lambda).exp();
    let mut p = 1.0;
    let mut k = 0;
    loop {
        p *= rng.gen::<f64>();
        if p <= limit {
            return k;
        }
        k += 1;
    }
}

/// Rounds a fractional count up or down at random, keeping its expectation.
pub(crate) fn round_random<R: Rng>(rng: &mut R, x: f64) -> usize {
    let whole = x.max(0.0).floor();
    whole as usize + usize::from(chance(rng, x - whole))
}

/// Index drawn proportionally to `weights` (all zero: uniform).
pub(crate) fn weighted<R: Rng>(rng: &mut R, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    if total <= 0.0 {
        return rng.gen_range(0..weights.len());
    }
    let mut u = rng.gen::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if u < *w {
            return i;
        }
        u -= w;
    }
    weights.len() - 1
}

/// Zipf over ranks `0..n` by a precomputed CDF and binary search.
pub(crate) struct Zipf {
    cdf: Vec<f64>,
}

impl Zipf {
    pub fn new(n: usize, exponent: f64) -> Zipf {
        let mut acc = 0.0;
        let cdf = (1..=n.max(1))
            .map(|k| {
                acc += (k as f64).powf(-exponent);
                acc
            })
            .collect();
        Zipf { cdf }
    }

    pub fn sample<R: Rng>(&self, rng: &mut R) -> usize {
        let u = rng.gen::<f64>() * self.cdf[self.cdf.len() - 1];
        self.cdf
            .partition_point(|&c| c <= u)
            .min(self.cdf.len() - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samplers_have_the_right_centre() {
        let mut rng = stream(1, "test", 0);
        let n = 20_000;
        let mean_p = (0..n).map(|_| poisson(&mut rng, 3.5) as f64).sum::<f64>() / n as f64;
        assert!((mean_p - 3.5).abs() < 0.1, "{mean_p}");
        let mut logs: Vec<f64> = (0..n).map(|_| lognormal(&mut rng, 40.0, 1.0)).collect();
        logs.sort_by(f64::total_cmp);
        let median = logs[n / 2];
        assert!((median - 40.0).abs() < 3.0, "{median}");
        let z = Zipf::new(1000, 1.1);
        let head = (0..n).filter(|_| z.sample(&mut rng) == 0).count();
        assert!(head > n / 10, "rank 0 should dominate: {head}");
    }

    #[test]
    fn streams_differ_by_purpose_and_index() {
        let a: u64 = stream(1, "a", 0).gen();
        assert_ne!(a, stream(1, "b", 0).gen::<u64>());
        assert_ne!(a, stream(1, "a", 1).gen::<u64>());
        assert_ne!(a, stream(2, "a", 0).gen::<u64>());
        assert_eq!(a, stream(1, "a", 0).gen::<u64>());
    }
}
