//! Login lockdown and bans (SEC-1, SEC-2), on counters every instance shares.

use chrono::{DateTime, Utc};

use super::LockoutPolicy;
use super::error::{IdentityError, LimitReason};
use super::ports::{CounterKey, CounterKind, Origin};
use crate::audit::{Actor, AuditAction, AuditTarget, NewAuditEntry};
use crate::clock::Clock;
use crate::ids::CustomerId;
use crate::store::{Repos, Store};

fn ban_key(origin: &Origin) -> CounterKey {
    CounterKey::source(CounterKind::SourceBan, &origin.source)
}

async fn refuse_blocked(
    repos: &dyn Repos,
    keys: &[CounterKey],
    reason_of: impl Fn(DateTime<Utc>) -> LimitReason,
    now: DateTime<Utc>,
) -> Result<(), IdentityError> {
    match repos.counters().blocked_until(keys, now).await? {
        Some(until) => Err(IdentityError::limited(reason_of(until), until, now)),
        None => Ok(()),
    }
}

/// Refuses a banned source (on login and private areas).
///
/// # Errors
/// [`IdentityError::Limited`] while banned; storage failure.
pub async fn check_source(
    store: &dyn Store,
    clock: &dyn Clock,
    origin: &Origin,
) -> Result<(), IdentityError> {
    let reader = store.reader();
    refuse_blocked(
        reader.as_ref(),
        &[ban_key(origin)],
        |_| LimitReason::SourceBanned,
        clock.now(),
    )
    .await
}

/// Refuses a login while the account is locked for this source or the
/// source is banned.
pub(crate) async fn check_login(
    repos: &dyn Repos,
    account: &str,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<(), IdentityError> {
    let ban = ban_key(origin);
    let pair = CounterKey::account_source(account, &origin.source);
    if let Some(until) = repos.counters().blocked_until(&[ban], now).await? {
        return Err(IdentityError::limited(
            LimitReason::SourceBanned,
            until,
            now,
        ));
    }
    refuse_blocked(repos, &[pair], |_| LimitReason::AccountLocked, now).await
}

async fn maybe_ban(
    repos: &dyn Repos,
    policy: &LockoutPolicy,
    counted: (i32, DateTime<Utc>),
    threshold: u32,
    origin: &Origin,
    why: &str,
    now: DateTime<Utc>,
) -> Result<(), IdentityError> {
    let (count, window_start) = counted;
    // A source already banned stays banned until its ban ends: it is not
    // banned (and audited) again on every further attempt.
    if repos
        .counters()
        .blocked_until(&[ban_key(origin)], now)
        .await?
        .is_some()
    {
        return Ok(());
    }
    if let Some(until) = policy.ban_after(
        u32::try_from(count).unwrap_or(0),
        threshold,
        window_start,
        now,
    ) {
        repos
            .counters()
            .block(&ban_key(origin), until, now, &origin.source, None, count)
            .await?;
        repos
            .audit()
            .append(
                NewAuditEntry::new(
                    Actor::Anonymous,
                    AuditAction::SourceBanned,
                    origin.source.display.clone().map(AuditTarget::Source),
                    origin.source.display.clone(),
                )
                .because(why),
                now,
            )
            .await?;
    }
    Ok(())
}

/// Counts a failed login for the account (known or not) and the source, in
/// one unit of work; locks the pair with exponential backoff and bans a
/// source failing across accounts. Answers [`IdentityError::Limited`] when
/// this failure triggered a lock, else [`IdentityError::InvalidCredentials`].
pub(crate) async fn record_failure(
    store: &dyn Store,
    policy: &LockoutPolicy,
    clock: &dyn Clock,
    account: &str,
    customer: Option<CustomerId>,
    origin: &Origin,
    reserved: Option<i32>,
) -> IdentityError {
    match record_failure_in(store, policy, clock, account, customer, origin, reserved).await {
        Ok(None) => IdentityError::InvalidCredentials,
        Ok(Some(e)) | Err(e) => e,
    }
}

/// Reserves one attempt for the account from this source before its
/// password is checked, in one unit of work, so the lock threshold holds
/// however many attempts arrive at once. The attempt that reaches the
/// threshold (and each one after a lock has expired) first sets the lock it
/// would earn by failing, so that every concurrent attempt is refused without
/// spending a hash; a success lifts it. Returns the attempt's number.
pub(crate) async fn reserve_attempt(
    store: &dyn Store,
    policy: &LockoutPolicy,
    account: &str,
    customer: Option<CustomerId>,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<i32, IdentityError> {
    let pair = CounterKey::account_source(account, &origin.source);
    let uow = store.begin().await?;
    // The counter row is written first: it is the lock concurrent attempts
    // for this account and source queue on.
    let (count, _) = uow
        .counters()
        .bump(&pair, policy.max_lock, now, &origin.source, customer)
        .await?;
    if let Some(until) = uow
        .counters()
        .blocked_until(std::slice::from_ref(&pair), now)
        .await?
    {
        // Refused while locked: dropping the unit of work forgets this
        // attempt, so refusals do not lengthen the next lock.
        return Err(IdentityError::limited(
            LimitReason::AccountLocked,
            until,
            now,
        ));
    }
    if let Some(lock) = policy.account_lock(u32::try_from(count).unwrap_or(u32::MAX)) {
        uow.counters()
            .block(&pair, now + lock, now, &origin.source, customer, count)
            .await?;
    }
    uow.commit().await?;
    Ok(count)
}

/// Counts a request of `kind` from the source and refuses it past `limit`
/// within the lockout window (registrations, reset requests: each sends a
/// mail or costs a hash). The answer says nothing about any account.
///
/// # Errors
/// [`IdentityError::Limited`] with [`LimitReason::RateLimited`]; storage failure.
pub(crate) async fn throttle(
    store: &dyn Store,
    policy: &LockoutPolicy,
    clock: &dyn Clock,
    kind: CounterKind,
    limit: u32,
    origin: &Origin,
) -> Result<(), IdentityError> {
    let now = clock.now();
    let (count, start) = store
        .reader()
        .counters()
        .bump(
            &CounterKey::source(kind, &origin.source),
            policy.window,
            now,
            &origin.source,
            None,
        )
        .await?;
    if u32::try_from(count).unwrap_or(u32::MAX) > limit {
        return Err(IdentityError::limited(
            LimitReason::RateLimited,
            start + policy.window,
            now,
        ));
    }
    Ok(())
}

/// Whether a mail of `kind` may go to `account` now: at most one per
/// `policy.mail_interval`, silently (the answer must not reveal accounts).
pub(crate) async fn mail_allowed(
    repos: &dyn Repos,
    policy: &LockoutPolicy,
    kind: CounterKind,
    account: &str,
    origin: &Origin,
    now: DateTime<Utc>,
) -> Result<bool, IdentityError> {
    let (count, _) = repos
        .counters()
        .bump(
            &CounterKey::account(kind, account),
            policy.mail_interval,
            now,
            &origin.source,
            None,
        )
        .await?;
    Ok(count == 1)
}

/// Counts an event of `kind` against the source in one unit of work, and
/// bans the source once `threshold` of them fall within the window.
async fn count_toward_ban(
    store: &dyn Store,
    policy: &LockoutPolicy,
    clock: &dyn Clock,
    origin: &Origin,
    kind: CounterKind,
    threshold: u32,
    why: &str,
) -> Result<(), IdentityError> {
    let now = clock.now();
    let uow = store.begin().await?;
    let counted = uow
        .counters()
        .bump(
            &CounterKey::source(kind, &origin.source),
            policy.window,
            now,
            &origin.source,
            None,
        )
        .await?;
    maybe_ban(uow.as_ref(), policy, counted, threshold, origin, why, now).await?;
    uow.commit().await?;
    Ok(())
}

/// Counts a failed password reset (a token that is unknown, used or
/// expired) against the source, like a failed login: many of them ban it.
pub(crate) async fn record_reset_failure(
    store: &dyn Store,
    policy: &LockoutPolicy,
    clock: &dyn Clock,
    origin: &Origin,
) -> Result<(), IdentityError> {
    count_toward_ban(
        store,
        policy,
        clock,
        origin,
        CounterKind::SourceFailures,
        policy.source_failures,
        "repeated invalid password reset tokens",
    )
    .await
}

async fn record_failure_in(
    store: &dyn Store,
    policy: &LockoutPolicy,
    clock: &dyn Clock,
    account: &str,
    customer: Option<CustomerId>,
    origin: &Origin,
    reserved: Option<i32>,
) -> Result<Option<IdentityError>, IdentityError> {
    let now = clock.now();
    let target = customer.map(AuditTarget::Customer);
    let uow = store.begin().await?;
    uow.audit()
        .append(
            NewAuditEntry::new(
                Actor::Anonymous,
                AuditAction::LoginFailed,
                target.clone(),
                origin.source.display.clone(),
            )
            .because("invalid credentials"),
            now,
        )
        .await?;
    let pair = CounterKey::account_source(account, &origin.source);
    // A login reserved its attempt (counted it) before checking the password.
    let count = match reserved {
        Some(count) => count,
        None => {
            uow.counters()
                .bump(&pair, policy.max_lock, now, &origin.source, customer)
                .await?
                .0
        }
    };
    let source_failures = uow
        .counters()
        .bump(
            &CounterKey::source(CounterKind::SourceFailures, &origin.source),
            policy.window,
            now,
            &origin.source,
            None,
        )
        .await?;
    maybe_ban(
        uow.as_ref(),
        policy,
        source_failures,
        policy.source_failures,
        origin,
        "repeated login failures across accounts",
        now,
    )
    .await?;
    let mut outcome = None;
    if let Some(lock) = policy.account_lock(u32::try_from(count).unwrap_or(0)) {
        let until = now + lock;
        uow.counters()
            .block(&pair, until, now, &origin.source, customer, count)
            .await?;
        uow.audit()
            .append(
                NewAuditEntry::new(
                    Actor::Anonymous,
                    AuditAction::AccountLocked,
                    target,
                    origin.source.display.clone(),
                )
                .because(format!("{count} consecutive failures")),
                now,
            )
            .await?;
        outcome = Some(IdentityError::limited(
            LimitReason::AccountLocked,
            until,
            now,
        ));
    }
    uow.commit().await?;
    Ok(outcome)
}

/// Counts an unauthenticated request to a private area; bans the source
/// when they repeat (SEC-2).
///
/// # Errors
/// Storage failure.
pub async fn record_probe(
    store: &dyn Store,
    policy: &LockoutPolicy,
    clock: &dyn Clock,
    origin: &Origin,
) -> Result<(), IdentityError> {
    count_toward_ban(
        store,
        policy,
        clock,
        origin,
        CounterKind::PrivateProbes,
        policy.private_probes,
        "repeated unauthenticated access to private areas",
    )
    .await
}
