//! Step retry policy: tenacity's `wait_exponential_jitter(initial=0.3, max=5, jitter=0.5)`.

/// Seconds to wait before the attempt after `attempt` (1-based) failed.
pub fn backoff_seconds(attempt: u32) -> f64 {
    let base = 0.3 * 2f64.powi(attempt.saturating_sub(1).min(30) as i32);
    (base + jitter() * 0.5).min(5.0)
}

/// A uniform number in [0, 1) from the uuid v4 generator (no extra RNG crate needed).
fn jitter() -> f64 {
    let bits = uuid::Uuid::new_v4().as_u128() as u64 >> 11;
    bits as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn backoff_grows_and_is_capped() {
        for _ in 0..50 {
            let a = backoff_seconds(1);
            assert!((0.3..0.8).contains(&a));
            let b = backoff_seconds(2);
            assert!((0.6..1.1).contains(&b));
            assert!(backoff_seconds(10) <= 5.0);
        }
    }
}
