//! Retention (RET-1..6): how long each kind of personal data is kept, as
//! data, with the privacy policy's periods as defaults that configuration
//! may change; and the run that purges what is past its period, in bounded
//! batches (one unit of work each, so the shop never waits long), with a
//! report in the audit log.

use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use chrono::{DateTime, Months, Utc};

use crate::audit::{Actor, AuditAction, NewAuditEntry};
use crate::clock::Clock;
use crate::error::StorageError;
use crate::identity::CustomerId;
use crate::mail::Mail;
use crate::store::Store;

/// A length of time as the policy states it: hours, days, months, years.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// Hours.
    Hours(u32),
    /// Days.
    Days(u32),
    /// Calendar months.
    Months(u32),
}

impl Period {
    /// The moment `self` before `now`: what is older is past its period.
    #[must_use]
    pub fn before(self, now: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            Self::Hours(h) => now - chrono::Duration::hours(i64::from(h)),
            Self::Days(d) => now - chrono::Duration::days(i64::from(d)),
            Self::Months(m) => now
                .checked_sub_months(Months::new(m))
                .unwrap_or(DateTime::<Utc>::MIN_UTC),
        }
    }

    /// The moment `self` after `at`: when what counts from `at` ends.
    #[must_use]
    pub fn after(self, at: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            Self::Hours(h) => at + chrono::Duration::hours(i64::from(h)),
            Self::Days(d) => at + chrono::Duration::days(i64::from(d)),
            Self::Months(m) => at
                .checked_add_months(Months::new(m))
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
        }
    }

    /// Roughly in days, to compare periods.
    #[must_use]
    pub fn approx_days(self) -> u64 {
        match self {
            Self::Hours(h) => u64::from(h) / 24,
            Self::Days(d) => u64::from(d),
            Self::Months(m) => u64::from(m) * 30,
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Hours(h) => write!(f, "{h}h"),
            Self::Days(d) => write!(f, "{d}d"),
            Self::Months(m) if m % 12 == 0 => write!(f, "{}y", m / 12),
            Self::Months(m) => write!(f, "{m}mo"),
        }
    }
}

impl FromStr for Period {
    type Err = String;

    /// `48h`, `30d`, `6mo`, `1y`: a positive number and its unit.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let (n, unit) = s.split_at(split);
        let n: u32 = n
            .parse()
            .ok()
            .filter(|n| *n > 0 && *n <= 100_000)
            .ok_or_else(|| format!("`{s}`: expected a positive number and h, d, mo or y"))?;
        match unit {
            "h" => Ok(Self::Hours(n)),
            "d" => Ok(Self::Days(n)),
            "mo" => Ok(Self::Months(n)),
            "y" => n
                .checked_mul(12)
                .map(Self::Months)
                .ok_or_else(|| format!("`{s}`: too long")),
            _ => Err(format!("`{s}`: the unit must be h, d, mo or y")),
        }
    }
}

/// A kind of personal data with its own retention rule. The names are
/// stable: configuration and the admin API use them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    /// Carts not checked out, with their e-mail and lines (RET-5).
    Carts,
    /// Orders awaiting payment and failed orders (RET-3).
    UnpaidOrders,
    /// Cancelled orders (RET-4).
    CancelledOrders,
    /// Completed and refunded orders: their personal data; the invoice
    /// stays in the legal archive (RET-1).
    ClosedOrders,
    /// Invoices and credit notes in the legal archive (Code de commerce
    /// L123-22).
    LegalArchive,
    /// Customer accounts without login or order (RET-2); never staff.
    InactiveAccounts,
    /// Ended sessions.
    Sessions,
    /// Used or expired set-password and reset links.
    LinkTokens,
    /// Login failure counters and blocks whose window has ended.
    SecurityCounters,
    /// The audit log.
    AuditLog,
    /// Delivered or abandoned messages of the outbox.
    SentMail,
    /// Idempotency records of retried requests.
    IdempotencyRecords,
    /// Proofs of consent of people no longer known here.
    ConsentProofs,
    /// Newsletter subscriptions never confirmed.
    UnconfirmedSubscriptions,
    /// Ended newsletter subscriptions.
    EndedSubscriptions,
    /// Confirmed subscriptions without activity.
    IdleSubscribers,
    /// Contact messages and their answers.
    ContactMessages,
    /// Comments never approved (pending or spam).
    UnapprovedComments,
    /// Payment provider events.
    PaymentEvents,
    /// The log of plan downloads.
    DownloadLog,
    /// Plans recently viewed.
    RecentlyViewed,
    /// Closed complaints and their threads.
    ClosedComplaints,
    /// Requests of people without an account, and their answers.
    PrivacyRequests,
    /// Requests received by the DPO, once answered.
    DpoRequests,
    /// Guests of whom no data remains: their subject and data key.
    IdleGuests,
    /// Webhook deliveries delivered or failed.
    WebhookDeliveries,
    /// Revoked or expired API keys.
    EndedApiKeys,
}

impl Category {
    /// Every category, in the order a run takes them (what holds other
    /// data first, so what it frees is purged in the same run).
    pub const ALL: [Self; 27] = [
        Self::InactiveAccounts,
        Self::Carts,
        Self::UnpaidOrders,
        Self::CancelledOrders,
        Self::ClosedOrders,
        Self::LegalArchive,
        Self::Sessions,
        Self::LinkTokens,
        Self::SecurityCounters,
        Self::AuditLog,
        Self::SentMail,
        Self::IdempotencyRecords,
        Self::UnconfirmedSubscriptions,
        Self::EndedSubscriptions,
        Self::IdleSubscribers,
        Self::ContactMessages,
        Self::UnapprovedComments,
        Self::PaymentEvents,
        Self::DownloadLog,
        Self::RecentlyViewed,
        Self::ClosedComplaints,
        Self::ConsentProofs,
        Self::PrivacyRequests,
        Self::DpoRequests,
        Self::IdleGuests,
        Self::WebhookDeliveries,
        Self::EndedApiKeys,
    ];

    /// The stable name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Carts => "carts",
            Self::UnpaidOrders => "unpaid_orders",
            Self::CancelledOrders => "cancelled_orders",
            Self::ClosedOrders => "closed_orders",
            Self::LegalArchive => "legal_archive",
            Self::InactiveAccounts => "inactive_accounts",
            Self::Sessions => "sessions",
            Self::LinkTokens => "link_tokens",
            Self::SecurityCounters => "security_counters",
            Self::AuditLog => "audit_log",
            Self::SentMail => "sent_mail",
            Self::IdempotencyRecords => "idempotency_records",
            Self::ConsentProofs => "consent_proofs",
            Self::UnconfirmedSubscriptions => "unconfirmed_subscriptions",
            Self::EndedSubscriptions => "ended_subscriptions",
            Self::IdleSubscribers => "idle_subscribers",
            Self::ContactMessages => "contact_messages",
            Self::UnapprovedComments => "unapproved_comments",
            Self::PaymentEvents => "payment_events",
            Self::DownloadLog => "download_log",
            Self::RecentlyViewed => "recently_viewed",
            Self::ClosedComplaints => "closed_complaints",
            Self::PrivacyRequests => "privacy_requests",
            Self::DpoRequests => "dpo_requests",
            Self::IdleGuests => "idle_guests",
            Self::WebhookDeliveries => "webhook_deliveries",
            Self::EndedApiKeys => "ended_api_keys",
        }
    }

    /// The category of a stable name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The policy's default period, and the rule as the record of
    /// processing states it.
    #[must_use]
    pub const fn default_rule(self) -> Rule {
        use Period::{Days, Hours, Months};
        let (period, requirement, rule, tables): (Period, &str, &str, &[&str]) = match self {
            Self::Carts => (
                Days(30),
                "RET-5",
                "carts not checked out, with their e-mail and contents, after their last activity",
                &["carts", "cart_lines", "recently_viewed"],
            ),
            Self::UnpaidOrders => (
                Days(7),
                "RET-3",
                "orders awaiting payment and failed orders, after their last status change",
                ORDER_TABLES,
            ),
            Self::CancelledOrders => (
                Hours(48),
                "RET-4",
                "cancelled orders, after their cancellation",
                ORDER_TABLES,
            ),
            Self::ClosedOrders => (
                Months(12),
                "RET-1",
                "completed and refunded orders (name, e-mail, addresses, lines), after their last status change; the invoice stays in the legal archive",
                ORDER_TABLES,
            ),
            Self::LegalArchive => (
                Months(120),
                "RET-1",
                "invoices and credit notes (number, date, amounts, VAT, buyer's name and billing address) under the legal archive's key, after issue (Code de commerce L123-22)",
                &["invoices"],
            ),
            Self::InactiveAccounts => (
                Months(6),
                "RET-2",
                "customer accounts without login or order (warned by e-mail 14 days before); the account's data key is destroyed with it",
                &[
                    "customers",
                    "customer_addresses",
                    "sessions",
                    "auth_tokens",
                    "consent_state",
                    "reviews",
                    "guest_subjects",
                ],
            ),
            Self::Sessions => (
                Days(30),
                "RET-6",
                "sessions, after their end",
                &["sessions"],
            ),
            Self::LinkTokens => (
                Days(7),
                "RET-6",
                "set-password and reset links, after their expiry",
                &["auth_tokens"],
            ),
            Self::SecurityCounters => (
                Days(1),
                "RET-6",
                "failed-login counters and blocks, after their window or block ends",
                &["security_counters"],
            ),
            Self::AuditLog => (
                Months(12),
                "RET-6",
                "audit log entries (ids, truncated addresses), after they were written",
                &["audit_log"],
            ),
            Self::SentMail => (
                Days(30),
                "RET-6",
                "delivered or abandoned messages, after they were queued",
                &["outbox"],
            ),
            Self::IdempotencyRecords => (
                Hours(24),
                "RET-6",
                "answers kept for retried requests",
                &["idempotency_records"],
            ),
            Self::ConsentProofs => (
                Months(60),
                "RET-6",
                "proofs of consent of people with neither account nor guest data left, after they were recorded (limitation period)",
                &["consent_events"],
            ),
            Self::UnconfirmedSubscriptions => (
                Days(7),
                "NEWS-1",
                "newsletter subscriptions never confirmed",
                &["newsletter_subscribers"],
            ),
            Self::EndedSubscriptions => (
                Days(30),
                "RET-6",
                "newsletter subscriptions after the unsubscription",
                &["newsletter_subscribers"],
            ),
            Self::IdleSubscribers => (
                Months(36),
                "RET-6",
                "confirmed newsletter subscriptions, after the last change (subscription, confirmation or choice)",
                &["newsletter_subscribers"],
            ),
            Self::ContactMessages => (
                Months(12),
                "RET-6",
                "contact messages and their answers, after the last change",
                &["contact_messages", "contact_replies"],
            ),
            Self::UnapprovedComments => (
                Days(30),
                "RET-6",
                "comments pending moderation or marked as spam, after they were written",
                &["article_comments"],
            ),
            Self::PaymentEvents => (
                Days(90),
                "RET-6",
                "the payment provider's events, after they were received",
                &["payment_events"],
            ),
            Self::DownloadLog => (
                Months(12),
                "RET-6",
                "downloads (time, sealed address and browser), after the download",
                &["download_log"],
            ),
            Self::RecentlyViewed => (
                Months(6),
                "RET-6",
                "plans recently viewed, after the view",
                &["recently_viewed"],
            ),
            Self::ClosedComplaints => (
                Months(12),
                "RET-6",
                "closed complaints and their messages, after closing",
                &["complaints", "complaint_messages"],
            ),
            Self::PrivacyRequests => (
                Months(12),
                "RET-6",
                "export and erasure requests of people without an account (proof they were answered; the address in them sealed), after they were made",
                &["privacy_requests"],
            ),
            Self::DpoRequests => (
                Months(36),
                "RET-6",
                "requests received by the DPO and how they were answered (proof, limitation period), after they were answered; staff notes sealed under the person's key",
                &["dpo_requests"],
            ),
            Self::IdleGuests => (
                Days(30),
                "RET-6",
                "guests (people without an account) of whom nothing else remains, after their last action; their data key is destroyed",
                &["guest_subjects", "consent_state"],
            ),
            Self::WebhookDeliveries => (
                Days(30),
                "RET-6",
                "webhook deliveries (ids and facts, never buyers' details), after they were delivered or failed",
                &["webhook_deliveries"],
            ),
            Self::EndedApiKeys => (
                Months(12),
                "RET-6",
                "API keys (name, purpose, scopes; only a keyed hash of the secret), after their revocation or expiry",
                &["api_keys"],
            ),
        };
        Rule {
            category: self,
            period,
            requirement,
            rule,
            tables,
        }
    }
}

/// What an order's purge removes with it: nothing of its invoice, which
/// lives in the legal archive under its own key.
const ORDER_TABLES: &[&str] = &[
    "orders",
    "order_events",
    "payments",
    "coupon_uses",
    "download_counts",
    "refunds",
    "complaints",
    "complaint_messages",
    "carts",
    "cart_lines",
];

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One category's rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// The category.
    pub category: Category,
    /// How long it is kept.
    pub period: Period,
    /// The requirement it keeps.
    pub requirement: &'static str,
    /// What is kept, and from when the period counts.
    pub rule: &'static str,
    /// The tables it purges.
    pub tables: &'static [&'static str],
}

/// Every rule in force: the defaults, with configuration's changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policies {
    rules: Vec<Rule>,
    /// How long before an inactive account's erasure its owner is warned.
    pub inactivity_warning: Period,
}

impl Default for Policies {
    fn default() -> Self {
        Self {
            rules: Category::ALL.iter().map(|c| c.default_rule()).collect(),
            inactivity_warning: Period::Days(14),
        }
    }
}

impl Policies {
    /// The defaults changed by `overrides` (`category=period`, comma
    /// separated, e.g. `carts=15d,closed_orders=2y`).
    ///
    /// # Errors
    /// An unknown category or a malformed period.
    pub fn with_overrides(overrides: &str) -> Result<Self, String> {
        let mut p = Self::default();
        for item in overrides
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let (name, period) = item
                .split_once('=')
                .ok_or_else(|| format!("`{item}`: expected category=period"))?;
            let name = name.trim();
            let period: Period = period.parse()?;
            if name == "inactivity_warning" {
                p.inactivity_warning = period;
                continue;
            }
            let category =
                Category::parse(name).ok_or_else(|| format!("`{name}`: no such category"))?;
            if let Some(r) = p.rules.iter_mut().find(|r| r.category == category) {
                r.period = period;
            }
        }
        if p.inactivity_warning.approx_days() >= p.period(Category::InactiveAccounts).approx_days()
        {
            return Err("inactivity_warning must be shorter than inactive_accounts".into());
        }
        Ok(p)
    }

    /// Every rule.
    #[must_use]
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// A category's period.
    #[must_use]
    pub fn period(&self, c: Category) -> Period {
        self.rules
            .iter()
            .find(|r| r.category == c)
            .map_or(c.default_rule().period, |r| r.period)
    }

    /// What is older than this is past its period.
    #[must_use]
    pub fn cutoff(&self, c: Category, now: DateTime<Utc>) -> DateTime<Utc> {
        self.period(c).before(now)
    }

    /// Accounts inactive since before this are warned.
    #[must_use]
    pub fn warning_cutoff(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let erase = self.cutoff(Category::InactiveAccounts, now);
        // Warned `inactivity_warning` before the erasure would come.
        erase + (now - self.inactivity_warning.before(now))
    }
}

/// Storage of the purges.
#[async_trait]
pub trait RetentionRepo: Send + Sync {
    /// How many items of `category` are past `cutoff` (for inactive
    /// accounts: also warned at least `warned_before`).
    async fn count(&self, category: Category, limits: &Limits) -> Result<u64, StorageError>;
    /// Purges at most `limit` of them and answers how many; a subject's
    /// data key is destroyed with the subject.
    async fn purge(
        &self,
        category: Category,
        limits: &Limits,
        limit: u64,
    ) -> Result<u64, StorageError>;
    /// Customers inactive since before `cutoff` not warned since their
    /// last activity (at most `limit`).
    async fn to_warn(
        &self,
        cutoff: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<CustomerId>, StorageError>;
    /// Records the warning.
    async fn warned(&self, id: CustomerId, now: DateTime<Utc>) -> Result<(), StorageError>;
}

/// Where a purge stops, for one category.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// What is older is past its period.
    pub cutoff: DateTime<Utc>,
    /// Now.
    pub now: DateTime<Utc>,
    /// Inactive accounts: erased only when warned before this (so the
    /// warning had its time).
    pub warned_before: DateTime<Utc>,
}

/// Apply, or only count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Purge.
    Apply,
    /// Count what a run would purge.
    DryRun,
}

/// What a run did (or would do), per category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// When it ran.
    pub at: DateTime<Utc>,
    /// Dry run or not.
    pub mode: Mode,
    /// Items purged (or to purge) per category, every category listed.
    pub purged: Vec<(Category, u64)>,
    /// Accounts warned of their coming erasure (none in a dry run).
    pub warned: u64,
}

impl Report {
    /// The report as the audit log keeps it: no personal data, counts only.
    #[must_use]
    pub fn summary(&self) -> String {
        let mut parts: Vec<String> = self
            .purged
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(c, n)| format!("{c}={n}"))
            .collect();
        if self.warned > 0 {
            parts.push(format!("warned={}", self.warned));
        }
        if parts.is_empty() {
            "nothing past its period".to_owned()
        } else {
            parts.join(", ")
        }
    }

    /// Total purged.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.purged.iter().map(|(_, n)| n).sum()
    }
}

/// Purges everything past its period, `batch` items per unit of work, and
/// warns accounts whose erasure nears; the report goes to the audit log
/// (`retention_run`), also when nothing was due. A dry run counts and
/// writes nothing.
///
/// # Errors
/// Storage failure (what was purged before it stays purged; the next run
/// goes on).
pub async fn run(
    store: &dyn Store,
    clock: &dyn Clock,
    policies: &Policies,
    mode: Mode,
    batch: u64,
    by: Actor,
) -> Result<Report, StorageError> {
    let now = clock.now();
    let batch = batch.max(1);
    let warned_before = policies.inactivity_warning.before(now);
    let mut purged = Vec::with_capacity(Category::ALL.len());
    for c in Category::ALL {
        let limits = Limits {
            cutoff: policies.cutoff(c, now),
            now,
            warned_before,
        };
        let n = match mode {
            Mode::DryRun => store.reader().retention().count(c, &limits).await?,
            Mode::Apply => {
                let mut total = 0;
                loop {
                    let uow = store.begin().await?;
                    let n = uow.retention().purge(c, &limits, batch).await?;
                    uow.commit().await?;
                    total += n;
                    if n < batch {
                        break;
                    }
                }
                total
            }
        };
        purged.push((c, n));
    }
    let warned = match mode {
        Mode::DryRun => 0,
        Mode::Apply => warn_inactive(store, policies, now, batch).await?,
    };
    let report = Report {
        at: now,
        mode,
        purged,
        warned,
    };
    if mode == Mode::Apply {
        let uow = store.begin().await?;
        uow.audit()
            .append(
                NewAuditEntry::new(by, AuditAction::RetentionRun, None, None)
                    .because(report.summary()),
                now,
            )
            .await?;
        uow.commit().await?;
    }
    Ok(report)
}

/// Mails the owners of accounts whose erasure nears (once per inactivity:
/// a login in between starts it over).
async fn warn_inactive(
    store: &dyn Store,
    policies: &Policies,
    now: DateTime<Utc>,
    batch: u64,
) -> Result<u64, StorageError> {
    let cutoff = policies.warning_cutoff(now);
    // The erasure comes once the warning has had its time.
    let erase_on = now + (now - policies.inactivity_warning.before(now));
    let mut total = 0;
    loop {
        let uow = store.begin().await?;
        let due = uow.retention().to_warn(cutoff, batch).await?;
        for id in &due {
            crate::identity::notify_account(
                uow.as_ref(),
                *id,
                Mail::InactiveAccountWarning {
                    erased_on: erase_on.date_naive().to_string(),
                },
                now,
            )
            .await?;
            uow.retention().warned(*id, now).await?;
        }
        uow.commit().await?;
        total += due.len() as u64;
        if (due.len() as u64) < batch {
            return Ok(total);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn periods_parse_and_print_as_configured() {
        assert_eq!("48h".parse(), Ok(Period::Hours(48)));
        assert_eq!("30d".parse(), Ok(Period::Days(30)));
        assert_eq!("6mo".parse(), Ok(Period::Months(6)));
        assert_eq!("10y".parse(), Ok(Period::Months(120)));
        for bad in ["", "0d", "d", "12", "3w", "-1d", "1.5y"] {
            assert!(bad.parse::<Period>().is_err(), "{bad}");
        }
        assert_eq!(Period::Months(120).to_string(), "10y");
        assert_eq!(Period::Months(6).to_string(), "6mo");
    }

    #[test]
    fn ret_the_policy_s_periods_are_the_defaults() {
        let p = Policies::default();
        assert_eq!(p.period(Category::Carts), Period::Days(30));
        assert_eq!(p.period(Category::UnpaidOrders), Period::Days(7));
        assert_eq!(p.period(Category::CancelledOrders), Period::Hours(48));
        assert_eq!(p.period(Category::ClosedOrders), Period::Months(12));
        assert_eq!(p.period(Category::InactiveAccounts), Period::Months(6));
        assert_eq!(p.period(Category::LegalArchive), Period::Months(120));
        assert_eq!(p.rules().len(), Category::ALL.len());
        for c in Category::ALL {
            assert_eq!(Category::parse(c.as_str()), Some(c));
        }
    }

    #[test]
    fn overrides_change_one_rule_and_refuse_nonsense() {
        let p = Policies::with_overrides("carts=15d, closed_orders=2y").unwrap();
        assert_eq!(p.period(Category::Carts), Period::Days(15));
        assert_eq!(p.period(Category::ClosedOrders), Period::Months(24));
        assert_eq!(p.period(Category::UnpaidOrders), Period::Days(7));
        assert!(Policies::with_overrides("baskets=15d").is_err());
        assert!(Policies::with_overrides("carts").is_err());
        assert!(Policies::with_overrides("inactivity_warning=7mo").is_err());
    }

    #[test]
    fn months_count_by_the_calendar() {
        let now = Utc.with_ymd_and_hms(2026, 8, 31, 12, 0, 0).unwrap();
        assert_eq!(
            Period::Months(6).before(now),
            Utc.with_ymd_and_hms(2026, 2, 28, 12, 0, 0).unwrap()
        );
        let p = Policies::default();
        // Warned 14 days before the 6 months are up.
        assert_eq!(
            p.warning_cutoff(now),
            Utc.with_ymd_and_hms(2026, 3, 14, 12, 0, 0).unwrap()
        );
    }
}
