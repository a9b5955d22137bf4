//! Rate limits (EV-13, EV-14, GEN-18): a fixed one-second window per key (the Events API keys
//! by data source) with a budget of requests and of body bytes, answered with the
//! `X-RateLimit-*` headers (about requests) on every limited route and `Retry-After` on a
//! refusal. Bytes are charged once a request's body has been read, so one request may take
//! the window past its byte budget; the next ones are refused until the window ends.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use http::{HeaderMap, HeaderValue};

const WINDOW: Duration = Duration::from_secs(1);

/// Keys beyond this many are swept of finished windows, so unknown names cannot grow the map.
const SWEEP_ABOVE: usize = 10_000;

pub struct RateLimiter {
    per_window: u32,
    bytes_per_window: u64,
    windows: Mutex<HashMap<String, Window>>,
}

struct Window {
    started: Instant,
    requests: u32,
    bytes: u64,
}

impl Window {
    fn starting(at: Instant) -> Window {
        Window {
            started: at,
            requests: 0,
            bytes: 0,
        }
    }
}

/// What the limiter decided for one request.
#[derive(Debug, Clone, Copy)]
pub struct Decision {
    pub allowed: bool,
    limit: u32,
    remaining: u32,
    /// Whole seconds until the window resets (at least 1, as clients parse integers).
    reset_seconds: u64,
}

impl RateLimiter {
    pub fn new(per_second: u32, bytes_per_second: u64) -> RateLimiter {
        RateLimiter {
            per_window: per_second,
            bytes_per_window: bytes_per_second,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request for `key` and says whether it may go on.
    pub fn check(&self, key: &str) -> Decision {
        let now = Instant::now();
        let mut windows = self.windows.lock().expect("rate limiter lock");
        if windows.len() > SWEEP_ABOVE {
            windows.retain(|_, w| now.duration_since(w.started) < WINDOW);
        }
        let window = windows
            .entry(key.to_string())
            .or_insert_with(|| Window::starting(now));
        if now.duration_since(window.started) >= WINDOW {
            *window = Window::starting(now);
        }
        let allowed = window.requests < self.per_window && window.bytes < self.bytes_per_window;
        if allowed {
            window.requests += 1;
        }
        let left = WINDOW.saturating_sub(now.duration_since(window.started));
        Decision {
            allowed,
            limit: self.per_window,
            remaining: self.per_window - window.requests,
            reset_seconds: left.as_secs_f64().ceil().max(1.0) as u64,
        }
    }

    /// Charges body bytes read for `key` to its current window.
    pub fn charge_bytes(&self, key: &str, bytes: u64) {
        let mut windows = self.windows.lock().expect("rate limiter lock");
        if let Some(window) = windows.get_mut(key) {
            window.bytes += bytes;
        }
    }
}

impl Decision {
    /// The `X-RateLimit-*` headers (and `Retry-After` when refused), as plain integers.
    pub fn add_headers(&self, headers: &mut HeaderMap) {
        let number = |n: u64| HeaderValue::from(n);
        headers.insert("x-ratelimit-limit", number(u64::from(self.limit)));
        headers.insert("x-ratelimit-remaining", number(u64::from(self.remaining)));
        headers.insert("x-ratelimit-reset", number(self.reset_seconds));
        if !self.allowed {
            headers.insert(http::header::RETRY_AFTER, number(self.reset_seconds));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_past_the_limit_per_key() {
        let limiter = RateLimiter::new(2, u64::MAX);
        assert!(limiter.check("a").allowed);
        let second = limiter.check("a");
        assert!(second.allowed);
        assert_eq!(second.remaining, 0);
        let third = limiter.check("a");
        assert!(!third.allowed);
        assert_eq!(third.reset_seconds, 1);
        assert!(limiter.check("b").allowed);
        let mut headers = HeaderMap::new();
        third.add_headers(&mut headers);
        assert_eq!(headers["retry-after"], "1");
        assert_eq!(headers["x-ratelimit-limit"], "2");
    }

    #[test]
    fn refuses_once_the_bytes_of_a_window_are_spent() {
        let limiter = RateLimiter::new(100, 1000);
        assert!(limiter.check("a").allowed);
        limiter.charge_bytes("a", 999);
        assert!(limiter.check("a").allowed);
        limiter.charge_bytes("a", 1);
        assert!(!limiter.check("a").allowed);
        assert!(limiter.check("b").allowed);
    }
}
