//! How long a login lasts (ACC-4).

use chrono::{DateTime, Duration, Utc};

/// Session lifetimes.
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    /// Without "remember me".
    pub standard: Duration,
    /// With "remember me".
    pub remembered: Duration,
}

impl Default for SessionPolicy {
    /// 2 days, or 14 with "remember me", as the privacy policy says.
    fn default() -> Self {
        Self {
            standard: Duration::days(2),
            remembered: Duration::days(14),
        }
    }
}

impl SessionPolicy {
    /// When a session opened at `now` ends.
    #[must_use]
    pub fn expires_at(&self, now: DateTime<Utc>, remember_me: bool) -> DateTime<Utc> {
        now + if remember_me {
            self.remembered
        } else {
            self.standard
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acc_4_sessions_last_2_days_or_14_with_remember_me() {
        let now = Utc::now();
        let p = SessionPolicy::default();
        assert_eq!(p.expires_at(now, false) - now, Duration::days(2));
        assert_eq!(p.expires_at(now, true) - now, Duration::days(14));
    }
}
