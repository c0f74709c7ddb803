//! Reconnect delays as pure functions of the attempt number and a jitter
//! value passed in: deterministic under test, random in the app.

use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// Base delay; the first retry waits between half of it and all of it.
    pub base: Duration,
    pub cap: Duration,
    /// A connection live this long resets the attempt count.
    pub reset_after: Duration,
}

pub const MIN_SERVER_RETRY: Duration = Duration::from_millis(250);
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: Duration::from_secs(1),
            cap: Duration::from_secs(60),
            reset_after: Duration::from_secs(60),
        }
    }
}

impl Backoff {
    /// The server's `retry:` becomes the base, clamped so `retry: 0` cannot
    /// make a hot loop and a huge value cannot stall past the cap.
    pub fn with_server_retry(self, millis: u64) -> Self {
        let base = Duration::from_millis(millis).clamp(MIN_SERVER_RETRY, self.cap);
        Backoff { base, ..self }
    }

    /// Delay before retry number `attempt` (0 for the first), with `jitter`
    /// in [0, 1): a time in `[d/2, d]`, `d = min(cap, base * 2^attempt)`.
    pub fn delay(&self, attempt: u32, jitter: f64) -> Duration {
        let factor = 2u32.saturating_pow(attempt.min(20));
        let d = self.base.saturating_mul(factor).min(self.cap);
        let jitter = if jitter.is_finite() {
            jitter.clamp(0.0, 1.0)
        } else {
            0.0
        };
        d / 2 + d.mul_f64(jitter / 2.0)
    }

    /// The attempt number after a failure: reset when the connection had
    /// been live for `reset_after`.
    pub fn next_attempt(&self, attempt: u32, live_for: Option<Duration>) -> u32 {
        match live_for {
            Some(t) if t >= self.reset_after => 0,
            _ => attempt.saturating_add(1),
        }
    }

    /// A `Retry-After` asks for at least this long (clamped to 1 s .. 5 min).
    pub fn honour_retry_after(&self, delay: Duration, retry_after: Option<Duration>) -> Duration {
        match retry_after {
            Some(ra) => delay.max(ra.clamp(Duration::from_secs(1), MAX_RETRY_AFTER)),
            None => delay,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_retry_within_one_second_and_never_past_the_cap() {
        let b = Backoff::default();
        assert!(b.delay(0, 0.0) >= Duration::from_millis(500));
        assert!(b.delay(0, 0.999) <= Duration::from_secs(1));
        for attempt in 0..100 {
            for j in [0.0, 0.5, 0.999] {
                assert!(
                    b.delay(attempt, j) <= Duration::from_secs(60),
                    "{attempt} {j}"
                );
            }
        }
        assert_eq!(b.delay(30, 0.999_999_9).as_secs(), 59);
    }

    #[test]
    fn grows_exponentially() {
        let b = Backoff::default();
        let lows: Vec<u64> = (0..7).map(|a| b.delay(a, 0.0).as_millis() as u64).collect();
        assert_eq!(lows, [500, 1000, 2000, 4000, 8000, 16000, 30000]);
    }

    #[test]
    fn resets_after_a_stable_period() {
        let b = Backoff::default();
        assert_eq!(b.next_attempt(5, Some(Duration::from_secs(61))), 0);
        assert_eq!(b.next_attempt(5, Some(Duration::from_secs(10))), 6);
        assert_eq!(b.next_attempt(5, None), 6);
    }

    #[test]
    fn server_retry_is_clamped() {
        let b = Backoff::default();
        assert_eq!(b.with_server_retry(0).base, MIN_SERVER_RETRY);
        assert_eq!(
            b.with_server_retry(10_000_000).base,
            Duration::from_secs(60)
        );
        assert_eq!(
            b.with_server_retry(2000).delay(0, 0.0),
            Duration::from_secs(1)
        );
    }

    #[test]
    fn retry_after_only_lengthens() {
        let b = Backoff::default();
        let d = Duration::from_secs(2);
        assert_eq!(
            b.honour_retry_after(d, Some(Duration::from_secs(30))),
            Duration::from_secs(30)
        );
        assert_eq!(b.honour_retry_after(d, Some(Duration::from_secs(0))), d);
        assert_eq!(
            b.honour_retry_after(d, Some(Duration::from_secs(3600))),
            MAX_RETRY_AFTER
        );
    }
}
