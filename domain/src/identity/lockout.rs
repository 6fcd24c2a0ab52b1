//! Login lockdown and bans (SEC-1, SEC-2): pure rules over counters that the
//! database keeps, so they hold across instances.

use chrono::{DateTime, Duration, Utc};

/// Thresholds and durations.
#[derive(Debug, Clone, Copy)]
pub struct LockoutPolicy {
    /// Failures for one account from one source before it is locked.
    pub account_failures: u32,
    /// First lock; doubles with each further failure.
    pub base_lock: Duration,
    /// Longest lock.
    pub max_lock: Duration,
    /// Failures from one source, across accounts, within `window`, before a ban.
    pub source_failures: u32,
    /// Unauthenticated requests to private areas within `window` before a ban.
    pub private_probes: u32,
    /// Counting window for bans.
    pub window: Duration,
    /// Ban length.
    pub ban: Duration,
    /// Registrations from one source within `window`.
    pub registrations: u32,
    /// Password reset requests from one source within `window`.
    pub password_requests: u32,
    /// Least time between two mails of one kind (reset link, registration
    /// notice) to one account.
    pub mail_interval: Duration,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        Self {
            account_failures: 5,
            base_lock: Duration::minutes(1),
            max_lock: Duration::hours(24),
            source_failures: 20,
            private_probes: 20,
            window: Duration::hours(1),
            ban: Duration::hours(1),
            registrations: 20,
            password_requests: 20,
            mail_interval: Duration::minutes(10),
        }
    }
}

/// Whether a request may proceed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Go on.
    Allowed,
    /// Refused until this instant.
    BlockedUntil(DateTime<Utc>),
}

impl LockoutPolicy {
    /// The lock after `failures` consecutive failures for an account and source:
    /// none before the threshold, then 1, 2, 4, ... minutes up to the maximum.
    #[must_use]
    pub fn account_lock(&self, failures: u32) -> Option<Duration> {
        let over = failures.checked_sub(self.account_failures)?;
        let factor = 1i32.checked_shl(over.min(20)).unwrap_or(i32::MAX);
        Some((self.base_lock * factor).min(self.max_lock))
    }

    /// Whether `count` events since `window_start` deserve a ban now.
    #[must_use]
    pub fn ban_after(
        &self,
        count: u32,
        threshold: u32,
        window_start: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        (count >= threshold && now - window_start <= self.window).then(|| now + self.ban)
    }

    /// A counting window that started at `start` is over at `now`.
    #[must_use]
    pub fn window_expired(&self, start: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        now - start > self.window
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sec_1_lock_starts_at_the_fifth_failure_and_doubles() {
        let p = LockoutPolicy::default();
        assert_eq!(p.account_lock(4), None);
        assert_eq!(p.account_lock(5), Some(Duration::minutes(1)));
        assert_eq!(p.account_lock(6), Some(Duration::minutes(2)));
        assert_eq!(p.account_lock(8), Some(Duration::minutes(8)));
        assert_eq!(p.account_lock(1000), Some(Duration::hours(24)));
    }

    #[test]
    fn sec_1_bans_need_the_threshold_within_the_window() {
        let p = LockoutPolicy::default();
        let now = Utc::now();
        assert_eq!(p.ban_after(19, 20, now, now), None);
        assert_eq!(
            p.ban_after(20, 20, now - Duration::minutes(59), now),
            Some(now + Duration::hours(1))
        );
        assert_eq!(p.ban_after(20, 20, now - Duration::minutes(61), now), None);
    }
}
