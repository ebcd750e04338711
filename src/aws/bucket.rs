//! A client-side token bucket: paces the GetAlternateContact requests of one calling identity.
//!
//! AWS allows 10 GetAlternateContact requests per second with a burst of 15 per calling account.
//! Every attempt (retries included) takes a token, so a retry never spends a read that the
//! quota would refuse. Tokens are *reserved*: a caller that finds the bucket empty takes a token
//! from the future and sleeps until it is due, so waiters are served in arrival order and the
//! bucket never needs a wake-up of its own.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Paces requests at `rate` per second with bursts of up to `capacity`.
#[derive(Debug)]
pub struct TokenBucket {
    rate: f64,
    capacity: f64,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// Tokens available; negative when callers hold reservations on future tokens.
    tokens: f64,
    /// When `tokens` was last brought up to date; `None` until the first request, so the
    /// bucket's clock starts with the sweep rather than when it was built.
    updated: Option<Instant>,
}

impl TokenBucket {
    /// A full bucket of `capacity` tokens refilled at `rate` per second (both at least a
    /// minimum that keeps the arithmetic sound).
    pub fn new(rate: f64, capacity: f64) -> Self {
        let rate = if rate.is_finite() && rate > 0.0 {
            rate
        } else {
            1.0
        };
        let capacity = if capacity.is_finite() {
            capacity.max(1.0)
        } else {
            1.0
        };
        TokenBucket {
            rate,
            capacity,
            state: Mutex::new(State {
                tokens: capacity,
                updated: None,
            }),
        }
    }

    /// A bucket for an AWS quota of `rate` requests per second with a burst of 1.5 × `rate`
    /// (10/s and 15 for GetAlternateContact), keeping one token of headroom: requests leave
    /// at the quota's pace but one request behind what the server would allow, so network
    /// jitter (a request that arrives a little earlier than the previous one did) does not
    /// turn into throttling.
    pub fn for_quota(rate: f64) -> Self {
        let burst = (rate * 1.5).floor();
        TokenBucket::new(rate, burst - 1.0)
    }

    /// Takes a token, waiting until one is due.
    pub async fn acquire(&self) {
        let wait = self.reserve(Instant::now());
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }

    /// Takes a token at `now` and says how long to wait before it is due.
    fn reserve(&self, now: Instant) -> Duration {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        self.refill(&mut state, now);
        state.tokens -= 1.0;
        if state.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-state.tokens / self.rate)
        }
    }

    /// The server said we are too fast (someone else shares the quota, or clocks drifted):
    /// give up the burst so the following requests leave at the steady rate.
    pub fn penalize(&self) {
        self.penalize_at(Instant::now());
    }

    fn penalize_at(&self, now: Instant) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        self.refill(&mut state, now);
        state.tokens = state.tokens.min(0.0);
    }

    fn refill(&self, state: &mut State, now: Instant) {
        let updated = *state.updated.get_or_insert(now);
        let elapsed = now.saturating_duration_since(updated).as_secs_f64();
        state.tokens = (state.tokens + elapsed * self.rate).min(self.capacity);
        state.updated = Some(now.max(updated));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_bucket_serves_its_capacity_at_once_then_paces() {
        let bucket = TokenBucket::new(10.0, 3.0);
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(bucket.reserve(start), Duration::ZERO);
        }
        // Reservations queue up one interval apart.
        let waits: Vec<Duration> = (0..3).map(|_| bucket.reserve(start)).collect();
        let ms: Vec<u128> = waits.iter().map(|w| w.as_millis()).collect();
        assert_eq!(ms, [100, 200, 300]);
    }

    #[test]
    fn tokens_refill_with_time_up_to_capacity() {
        let bucket = TokenBucket::new(10.0, 2.0);
        let start = Instant::now();
        bucket.reserve(start);
        bucket.reserve(start);
        // 10 seconds later the bucket is full again, not 100 tokens deep.
        let later = start + Duration::from_secs(10);
        assert_eq!(bucket.reserve(later), Duration::ZERO);
        assert_eq!(bucket.reserve(later), Duration::ZERO);
        assert_eq!(bucket.reserve(later).as_millis(), 100);
    }

    #[test]
    fn the_quota_bucket_keeps_one_token_of_headroom() {
        let bucket = TokenBucket::for_quota(10.0);
        let start = Instant::now();
        let immediate = (0..20)
            .take_while(|_| bucket.reserve(start).is_zero())
            .count();
        assert_eq!(immediate, 14);
        assert_eq!(bucket.rate, 10.0);
    }

    #[test]
    fn penalize_drops_the_burst() {
        let bucket = TokenBucket::new(10.0, 15.0);
        let start = Instant::now();
        bucket.reserve(start);
        bucket.penalize_at(start);
        assert_eq!(bucket.reserve(start).as_millis(), 100);
    }

    #[test]
    fn nonsense_rates_are_clamped() {
        let bucket = TokenBucket::new(f64::NAN, -3.0);
        assert_eq!(bucket.rate, 1.0);
        assert_eq!(bucket.reserve(Instant::now()), Duration::ZERO);
    }
}
