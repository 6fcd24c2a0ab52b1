//! Login lockdown and bans (SEC-1, SEC-2), on counters in the database.

use chrono::{DateTime, Utc};
use domain::audit::AuditAction;
use domain::identity::CustomerId;
use persistence::audit::NewAuditEntry;

use super::client::Client;
use crate::app::AppState;
use crate::problem::ApiError;

fn pair_key(account: &str, client: &Client) -> String {
    format!("as:{account}:{}", client.source_key)
}

fn ban_key(client: &Client) -> String {
    format!("ban:{}", client.source_key)
}

fn retry(until: DateTime<Utc>, now: DateTime<Utc>) -> ApiError {
    ApiError::TooManyRequests((until - now).num_seconds().max(1))
}

/// Refuses a banned source (on login and private areas).
///
/// # Errors
/// [`ApiError::TooManyRequests`] while banned.
pub async fn check_source(state: &AppState, client: &Client) -> Result<(), ApiError> {
    let now = state.clock.now();
    match state
        .counters
        .blocked_until(&[ban_key(client)], now)
        .await?
    {
        Some(until) => Err(retry(until, now)),
        None => Ok(()),
    }
}

/// Refuses a login attempt while the account is locked for this source or
/// the source is banned.
///
/// # Errors
/// [`ApiError::TooManyRequests`].
pub async fn check_login(state: &AppState, account: &str, client: &Client) -> Result<(), ApiError> {
    let now = state.clock.now();
    match state
        .counters
        .blocked_until(&[pair_key(account, client), ban_key(client)], now)
        .await?
    {
        Some(until) => Err(retry(until, now)),
        None => Ok(()),
    }
}

async fn audit(
    state: &AppState,
    action: AuditAction,
    target: Option<String>,
    client: &Client,
    reason: &str,
) -> Result<(), ApiError> {
    state
        .audit
        .append(
            NewAuditEntry {
                actor: "anonymous".into(),
                action,
                target,
                source: client.source_display.clone(),
                reason: Some(reason.into()),
            },
            state.clock.now(),
        )
        .await?;
    Ok(())
}

async fn maybe_ban(
    state: &AppState,
    count: i32,
    window_start: DateTime<Utc>,
    threshold: u32,
    client: &Client,
    why: &str,
) -> Result<(), ApiError> {
    let now = state.clock.now();
    if let Some(until) = state.lockout.ban_after(
        u32::try_from(count).unwrap_or(0),
        threshold,
        window_start,
        now,
    ) {
        state
            .counters
            .block(
                &ban_key(client),
                "source_ban",
                until,
                now,
                client.source_display.as_deref(),
                None,
                count,
            )
            .await?;
        audit(
            state,
            AuditAction::SourceBanned,
            client.source_display.clone().map(|s| format!("source:{s}")),
            client,
            why,
        )
        .await?;
    }
    Ok(())
}

/// Counts a failed login for the account (known or not) and the source;
/// locks the pair with exponential backoff and bans a source failing across
/// accounts. Answers 429 when this failure triggered a lock.
///
/// # Errors
/// Storage failure or [`ApiError::TooManyRequests`].
pub async fn record_failure(
    state: &AppState,
    account: &str,
    customer: Option<CustomerId>,
    client: &Client,
) -> Result<(), ApiError> {
    let now = state.clock.now();
    let policy = state.lockout;
    let target = customer.map(|c| format!("customer:{c}"));
    audit(
        state,
        AuditAction::LoginFailed,
        target.clone(),
        client,
        "invalid credentials",
    )
    .await?;

    let pair = pair_key(account, client);
    let (count, _) = state
        .counters
        .bump(
            &pair,
            "account_source_lock",
            policy.max_lock,
            now,
            client.source_display.as_deref(),
            customer.map(|c| c.as_uuid()),
        )
        .await?;
    let (src_count, src_start) = state
        .counters
        .bump(
            &format!("sf:{}", client.source_key),
            "source_failures",
            policy.window,
            now,
            client.source_display.as_deref(),
            None,
        )
        .await?;
    maybe_ban(
        state,
        src_count,
        src_start,
        policy.source_failures,
        client,
        "repeated login failures across accounts",
    )
    .await?;

    if let Some(lock) = policy.account_lock(u32::try_from(count).unwrap_or(0)) {
        let until = now + lock;
        state
            .counters
            .block(
                &pair,
                "account_source_lock",
                until,
                now,
                client.source_display.as_deref(),
                customer.map(|c| c.as_uuid()),
                count,
            )
            .await?;
        audit(
            state,
            AuditAction::AccountLocked,
            target,
            client,
            &format!("{count} consecutive failures"),
        )
        .await?;
        return Err(retry(until, now));
    }
    Ok(())
}

/// Forgets the failures of the account from this source after a success.
///
/// # Errors
/// Storage failure.
pub async fn record_success(
    state: &AppState,
    account: &str,
    client: &Client,
) -> Result<(), ApiError> {
    state.counters.clear(&pair_key(account, client)).await?;
    Ok(())
}

/// Counts an unauthenticated request to a private area; bans the source
/// when they repeat (SEC-2).
///
/// # Errors
/// Storage failure.
pub async fn record_probe(state: &AppState, client: &Client) -> Result<(), ApiError> {
    let now = state.clock.now();
    let (count, start) = state
        .counters
        .bump(
            &format!("sp:{}", client.source_key),
            "private_probes",
            state.lockout.window,
            now,
            client.source_display.as_deref(),
            None,
        )
        .await?;
    maybe_ban(
        state,
        count,
        start,
        state.lockout.private_probes,
        client,
        "repeated unauthenticated access to private areas",
    )
    .await
}
