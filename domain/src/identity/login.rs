//! Logging in, with lockdown (ACC-4, SEC-1).

use chrono::{DateTime, Utc};

use super::config::IdentityConfig;
use super::error::IdentityError;
use super::lockdown;
use super::ports::{
    AccessClaims, BlindIndex, CounterKey, NewSession, Origin, PasswordHasher, TokenIssuer, hex16,
};
use super::{Email, SessionId};
use crate::audit::{Actor, AuditAction, AuditTarget, NewAuditEntry};
use crate::clock::Clock;
use crate::store::Store;

/// Credentials as typed.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The e-mail address, unparsed: a malformed one fails like a wrong one.
    pub email: String,
    /// The password.
    pub password: String,
    /// Keep the session 14 days instead of 2.
    pub remember_me: bool,
}

/// A new session.
#[derive(Debug, Clone)]
pub struct LoginOutcome {
    /// The bearer token.
    pub access_token: String,
    /// When it (and the session) ends.
    pub expires_at: DateTime<Utc>,
    /// The session id.
    pub session_id: SessionId,
    /// A generated password must be changed before anything else.
    pub must_change_password: bool,
}

/// Logs in. Wrong e-mail and wrong password are the same failure and take
/// the same time; repeated failures lock the account for the source and ban
/// a source failing across accounts.
///
/// # Errors
/// [`IdentityError::InvalidCredentials`], [`IdentityError::Limited`], storage,
/// hashing or signing failure.
pub async fn login(
    store: &dyn Store,
    hasher: &dyn PasswordHasher,
    issuer: &dyn TokenIssuer,
    index: &dyn BlindIndex,
    clock: &dyn Clock,
    config: &IdentityConfig,
    credentials: Credentials,
    origin: &Origin,
) -> Result<LoginOutcome, IdentityError> {
    let parsed = Email::parse(&credentials.email).ok();
    let account = hex16(&parsed.as_ref().map_or_else(
        || index.index("email", &credentials.email.to_lowercase()),
        |e| index.email(e),
    ));
    let reader = store.reader();
    lockdown::check_login(reader.as_ref(), &account, origin, clock.now()).await?;
    let record = match &parsed {
        Some(e) => reader.accounts().login_record(e).await?,
        None => None,
    };
    let known = record.as_ref().map(|r| r.id);
    let reserved =
        lockdown::reserve_attempt(store, &config.lockout, &account, known, origin, clock.now())
            .await?;
    let ok = hasher
        .verify(
            credentials.password,
            record.as_ref().and_then(|r| r.password_hash.clone()),
        )
        .await?;
    let Some(record) = record.filter(|_| ok) else {
        // The account id (when there is one) lets a password reset lift its locks.
        return Err(lockdown::record_failure(
            store,
            &config.lockout,
            clock,
            &account,
            known,
            origin,
            Some(reserved),
        )
        .await);
    };
    // The password is known: the reserved attempt and any lock it set go.
    reader
        .counters()
        .clear(&CounterKey::account_source(&account, &origin.source))
        .await?;
    let now = clock.now();
    let session_id = SessionId::new();
    let expires_at = config.sessions.expires_at(now, credentials.remember_me);
    let uow = store.begin().await?;
    uow.sessions()
        .create(&NewSession {
            id: session_id,
            owner: record.id,
            remember_me: credentials.remember_me,
            created_at: now,
            expires_at,
            user_agent: origin.user_agent.clone(),
            ip: origin.ip.map(|ip| ip.to_string()),
        })
        .await?;
    uow.audit()
        .append(
            NewAuditEntry::new(
                Actor::Account(record.id),
                AuditAction::LoginSucceeded,
                Some(AuditTarget::Customer(record.id)),
                origin.source.display.clone(),
            ),
            now,
        )
        .await?;
    uow.accounts().touch(record.id, now).await?;
    uow.commit().await?;
    let access_token = issuer.issue(&AccessClaims {
        subject: record.id,
        session: session_id,
        role: record.role,
        issued_at: now,
        expires_at,
    })?;
    Ok(LoginOutcome {
        access_token,
        expires_at,
        session_id,
        must_change_password: record.must_change_password,
    })
}
