//! When to try a failed delivery again: exponential backoff from a base delay, capped, with
//! random jitter so that many deliveries failing together do not retry in step; and when to give
//! up, by attempts and by the message's age.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub base: Duration,
    pub cap: Duration,
    /// Attempts in all, the first one included.
    pub max_attempts: u32,
    /// A message older than this is not tried again.
    pub max_age: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            base: Duration::from_secs(5),
            cap: Duration::from_secs(60 * 60),
            max_attempts: 12,
            max_age: Duration::from_secs(3 * 24 * 60 * 60),
        }
    }
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    RetryAfter(Duration),
    /// Dead-letter it: too many attempts, or too old.
    GiveUp,
}

impl Policy {
    /// After `attempts` failed attempts of a message `age` old; `jitter` is a number in
    /// `[0, 1)` (random in use, fixed in tests). The delay is `base × 2^(attempts−1)`, capped,
    /// then a random part of up to half of it taken off ("equal jitter").
    pub fn after_failure(&self, attempts: u32, age: Duration, jitter: f64) -> Next {
        if attempts >= self.max_attempts || age >= self.max_age {
            return Next::GiveUp;
        }
        let exponent = attempts.saturating_sub(1).min(30);
        let delay = self.base.saturating_mul(1u32 << exponent).min(self.cap);
        let jitter = jitter.clamp(0.0, 1.0);
        let delay = delay.mul_f64(1.0 - jitter / 2.0);
        if age + delay >= self.max_age { Next::GiveUp } else { Next::RetryAfter(delay) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff() {
        let policy = Policy {
            base: Duration::from_secs(1),
            cap: Duration::from_secs(30),
            max_attempts: 8,
            max_age: Duration::from_secs(600),
        };
        let young = Duration::ZERO;
        let delays: Vec<Next> = (1..=7).map(|n| policy.after_failure(n, young, 0.0)).collect();
        let seconds = |s| Next::RetryAfter(Duration::from_secs(s));
        assert_eq!(delays, [seconds(1), seconds(2), seconds(4), seconds(8), seconds(16), seconds(30), seconds(30)]);
        assert_eq!(policy.after_failure(8, young, 0.0), Next::GiveUp, "attempts run out");
        assert_eq!(policy.after_failure(2, Duration::from_secs(600), 0.0), Next::GiveUp, "too old");
        assert_eq!(policy.after_failure(6, Duration::from_secs(590), 0.0), Next::GiveUp, "would retry past the age");
        assert_eq!(policy.after_failure(3, young, 0.5), Next::RetryAfter(Duration::from_secs(3)), "a quarter off");
        assert_eq!(
            policy.after_failure(3, young, 0.999_999),
            Next::RetryAfter(Duration::from_secs_f64(4.0 * (1.0 - 0.999_999 / 2.0)))
        );
    }
}
