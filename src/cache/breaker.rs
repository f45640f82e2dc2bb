//! A small circuit breaker: after `threshold` consecutive failures calls are
//! refused for `cool_down`, then one trial call decides whether to close.

use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug)]
enum State {
    Closed {
        failures: u32,
    },
    Open {
        until: Instant,
    },
    /// A trial call started at `since`. If it never reports back (its caller
    /// was cancelled), another trial is allowed after a further cool-down,
    /// so the breaker cannot stay stuck half-open.
    HalfOpen {
        since: Instant,
    },
}

#[derive(Debug)]
pub struct Breaker {
    state: Mutex<State>,
    threshold: u32,
    cool_down: Duration,
}

impl Breaker {
    pub fn new(threshold: u32, cool_down: Duration) -> Breaker {
        Breaker { state: Mutex::new(State::Closed { failures: 0 }), threshold, cool_down }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether a call may be attempted now.
    pub fn allow(&self) -> bool {
        let mut state = self.lock();
        let now = Instant::now();
        match *state {
            State::Closed { .. } => true,
            State::Open { until } if now >= until => {
                *state = State::HalfOpen { since: now };
                true
            }
            State::HalfOpen { since } if now >= since + self.cool_down => {
                *state = State::HalfOpen { since: now };
                true
            }
            State::Open { .. } | State::HalfOpen { .. } => false,
        }
    }

    pub fn success(&self) {
        *self.lock() = State::Closed { failures: 0 };
    }

    pub fn failure(&self) {
        let mut state = self.lock();
        let failures = match *state {
            State::Closed { failures } => failures + 1,
            State::HalfOpen { .. } | State::Open { .. } => self.threshold,
        };
        *state = if failures >= self.threshold {
            State::Open { until: Instant::now() + self.cool_down }
        } else {
            State::Closed { failures }
        };
    }

    pub fn is_open(&self) -> bool {
        !matches!(*self.lock(), State::Closed { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_repeated_failures_and_closes_after_a_successful_trial() {
        let breaker = Breaker::new(3, Duration::from_millis(20));
        breaker.failure();
        breaker.failure();
        assert!(!breaker.is_open());
        breaker.failure();
        assert!(breaker.is_open());
        assert!(!breaker.allow(), "cooling down");
        std::thread::sleep(Duration::from_millis(25));
        assert!(breaker.allow(), "cool-down over: one trial");
        assert!(!breaker.allow(), "only one trial at a time");
        breaker.success();
        assert!(!breaker.is_open());

        let slow = Breaker::new(1, Duration::from_secs(3600));
        slow.failure();
        assert!(!slow.allow(), "still cooling down");
    }

    #[test]
    fn a_trial_that_never_reports_back_does_not_keep_the_breaker_half_open() {
        let breaker = Breaker::new(1, Duration::from_millis(20));
        breaker.failure();
        std::thread::sleep(Duration::from_millis(25));
        assert!(breaker.allow(), "the trial");
        assert!(!breaker.allow(), "one trial at a time");
        // The trial's caller was cancelled: neither success nor failure comes.
        std::thread::sleep(Duration::from_millis(25));
        assert!(breaker.allow(), "a new trial after another cool-down");
    }
}
