//! How long a login lasts (ACC-4).

use chrono::{DateTime, Duration, Utc};

/// Session lifetimes. A session lasts its period (2 days, or 14 with
/// "remember me") from login or from its last renewal, and is never renewed
/// past its absolute limit from login.
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    /// Without "remember me".
    pub standard: Duration,
    /// With "remember me".
    pub remembered: Duration,
    /// Longest life of a session without "remember me", renewals included.
    pub standard_limit: Duration,
    /// Longest life of a session with "remember me", renewals included.
    pub remembered_limit: Duration,
}

impl Default for SessionPolicy {
    /// 2 days, or 14 with "remember me", as the privacy policy says;
    /// renewable up to 30 days (90 with "remember me") after login.
    fn default() -> Self {
        Self {
            standard: Duration::days(2),
            remembered: Duration::days(14),
            standard_limit: Duration::days(30),
            remembered_limit: Duration::days(90),
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

impl SessionPolicy {
    /// The end of a session opened at `created_at`, renewed at `now`: its
    /// period from now, capped by its absolute limit.
    #[must_use]
    pub fn renewed_until(
        &self,
        created_at: DateTime<Utc>,
        now: DateTime<Utc>,
        remember_me: bool,
    ) -> DateTime<Utc> {
        let limit = created_at
            + if remember_me {
                self.remembered_limit
            } else {
                self.standard_limit
            };
        self.expires_at(now, remember_me).min(limit)
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

    #[test]
    fn acc_4_renewal_gives_the_period_again_up_to_the_absolute_limit() {
        let login = Utc::now();
        let p = SessionPolicy::default();
        let later = login + Duration::days(1);
        assert_eq!(
            p.renewed_until(login, later, false),
            later + Duration::days(2)
        );
        let late = login + Duration::days(29);
        assert_eq!(
            p.renewed_until(login, late, false),
            login + Duration::days(30)
        );
        assert_eq!(
            p.renewed_until(login, late, true),
            late + Duration::days(14)
        );
    }
}
