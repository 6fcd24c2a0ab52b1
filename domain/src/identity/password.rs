//! Forgotten passwords, single-use links and password changes (ACC-2, ACC-3,
//! ACC-4: a new password ends the other sessions).

use super::config::IdentityConfig;
use super::error::IdentityError;
use super::lockdown;
use super::ports::{
    BlindIndex, CounterKind, Origin, PasswordHasher, Randomness, TokenPurpose, hex16,
};
use super::principal::Principal;
use super::support::{issue_link, notify, token_hash};
use super::{Email, Password};
use crate::audit::{Actor, AuditAction, AuditTarget, NewAuditEntry};
use crate::clock::Clock;
use crate::mail::Mail;
use crate::store::Store;

/// Limits password reset requests per source: each may send a mail.
///
/// # Errors
/// [`IdentityError::Limited`] past the limit; storage failure.
pub async fn throttle_password_requests(
    store: &dyn Store,
    clock: &dyn Clock,
    config: &IdentityConfig,
    origin: &Origin,
) -> Result<(), IdentityError> {
    lockdown::check_source(store, clock, origin).await?;
    lockdown::throttle(
        store,
        &config.lockout,
        clock,
        CounterKind::PasswordRequests,
        config.lockout.password_requests,
        origin,
    )
    .await
}

/// Sends a reset link when the address has an account; says nothing either
/// way. At most one link per account and `mail_interval`, so repeated
/// requests cannot flood a mailbox. Callers answer before running
/// it, so its time says nothing about the address either.
///
/// # Errors
/// Storage failure.
pub async fn forgot_password(
    store: &dyn Store,
    random: &dyn Randomness,
    clock: &dyn Clock,
    config: &IdentityConfig,
    email: &Email,
) -> Result<(), IdentityError> {
    let now = clock.now();
    let reader = store.reader();
    let Some(account) = reader.accounts().login_record(email).await? else {
        return Ok(());
    };
    let uow = store.begin().await?;
    // One link per interval and account, decided atomically: concurrent
    // requests cannot both send.
    if !lockdown::mail_allowed(
        uow.as_ref(),
        &config.lockout,
        CounterKind::ResetMails,
        &account.id.to_string(),
        &Origin::local("mail"),
        now,
    )
    .await?
    {
        uow.commit().await?;
        return Ok(());
    }
    let link = issue_link(
        uow.as_ref(),
        random,
        config,
        account.id,
        TokenPurpose::ResetPassword,
        config.reset_password_ttl,
        now,
    )
    .await?;
    notify(uow.as_ref(), account.id, Mail::PasswordReset { link }, now).await?;
    uow.commit().await?;
    Ok(())
}

/// Sets a new password with a single-use token (set-password or reset
/// link). Works while the account is locked, lifts its locks and ends all
/// its sessions. The token is looked up before the password is hashed, so a
/// made-up token costs no hash; it counts against the source like a failed
/// login, and a banned source is refused.
///
/// # Errors
/// [`IdentityError::InvalidLinkToken`], [`IdentityError::Limited`]; storage
/// or hashing failure.
pub async fn reset_password(
    store: &dyn Store,
    hasher: &dyn PasswordHasher,
    index: &dyn BlindIndex,
    clock: &dyn Clock,
    config: &IdentityConfig,
    token: &str,
    new: &Password,
    origin: &Origin,
) -> Result<(), IdentityError> {
    lockdown::check_source(store, clock, origin).await?;
    const PURPOSES: &[TokenPurpose] = &[TokenPurpose::SetPassword, TokenPurpose::ResetPassword];
    let hashed_token = token_hash(token);
    if store
        .reader()
        .tokens()
        .find_live(PURPOSES, &hashed_token, clock.now())
        .await?
        .is_none()
    {
        lockdown::record_reset_failure(store, &config.lockout, clock, origin).await?;
        return Err(IdentityError::InvalidLinkToken);
    }
    let hash = hasher.hash(new.expose().to_owned()).await?;
    let now = clock.now();
    let uow = store.begin().await?;
    // Used here, once: a concurrent reset with the same token finds it gone.
    let Some(id) = uow.tokens().consume(PURPOSES, &hashed_token, now).await? else {
        return Err(IdentityError::InvalidLinkToken);
    };
    uow.accounts().set_password(id, hash, false, now).await?;
    uow.sessions().revoke_others(id, None, now).await?;
    // The link reached the address: what it did as a guest is the account's.
    crate::subject::attach_guest_history(uow.as_ref(), index, id, now).await?;
    uow.audit()
        .append(
            NewAuditEntry::new(
                Actor::Account(id),
                AuditAction::PasswordReset,
                Some(AuditTarget::Customer(id)),
                origin.source.display.clone(),
            ),
            now,
        )
        .await?;
    notify(uow.as_ref(), id, Mail::PasswordChanged, now).await?;
    uow.counters().clear_account(id).await?;
    uow.commit().await?;
    Ok(())
}

/// What a link's token is for, and until when it works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkToken {
    /// Set-password or reset.
    pub purpose: TokenPurpose,
    /// When it stops working.
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// Checks a set-password or reset token without using it, so a page can
/// tell the person before showing its form. Counted like a reset: an
/// unknown, used or expired token counts against the source, and a banned
/// source is refused.
///
/// # Errors
/// [`IdentityError::InvalidLinkToken`], [`IdentityError::Limited`]; storage failure.
pub async fn check_link_token(
    store: &dyn Store,
    clock: &dyn Clock,
    config: &IdentityConfig,
    token: &str,
    origin: &Origin,
) -> Result<LinkToken, IdentityError> {
    lockdown::check_source(store, clock, origin).await?;
    let found = store
        .reader()
        .tokens()
        .describe_live(&token_hash(token), clock.now())
        .await?;
    match found {
        Some((purpose, expires_at)) => Ok(LinkToken {
            purpose,
            expires_at,
        }),
        None => {
            lockdown::record_reset_failure(store, &config.lockout, clock, origin).await?;
            Err(IdentityError::InvalidLinkToken)
        }
    }
}

/// Checks the caller's password; a wrong one counts like a failed login.
pub(crate) async fn confirm_password(
    store: &dyn Store,
    hasher: &dyn PasswordHasher,
    index: &dyn BlindIndex,
    clock: &dyn Clock,
    config: &IdentityConfig,
    p: &Principal,
    password: String,
    field: &'static str,
) -> Result<(), IdentityError> {
    let reader = store.reader();
    let record = reader.accounts().login_record_by_id(p.customer_id).await?;
    let account = match reader.accounts().get(p.customer_id).await? {
        Some(c) => Some(hex16(&index.email(&c.email))),
        None => None,
    };
    // A locked account cannot confirm its password either: the lock stops
    // guessing through a stolen session as it stops it through login.
    if let Some(account) = &account {
        lockdown::check_login(reader.as_ref(), account, &p.origin, clock.now()).await?;
    }
    if hasher
        .verify(password, record.and_then(|r| r.password_hash))
        .await?
    {
        return Ok(());
    }
    if let Some(account) = &account {
        match lockdown::record_failure(
            store,
            &config.lockout,
            clock,
            account,
            Some(p.customer_id),
            &p.origin,
            None,
        )
        .await
        {
            IdentityError::InvalidCredentials => {}
            e => return Err(e),
        }
    }
    Err(IdentityError::WrongPassword { field })
}

/// Changes the caller's password; every other session ends.
///
/// # Errors
/// [`IdentityError::WrongPassword`]; storage or hashing failure.
pub async fn change_password(
    store: &dyn Store,
    hasher: &dyn PasswordHasher,
    index: &dyn BlindIndex,
    clock: &dyn Clock,
    config: &IdentityConfig,
    p: &Principal,
    current: String,
    new: &Password,
) -> Result<(), IdentityError> {
    confirm_password(
        store,
        hasher,
        index,
        clock,
        config,
        p,
        current,
        "current_password",
    )
    .await?;
    let hash = hasher.hash(new.expose().to_owned()).await?;
    let now = clock.now();
    let uow = store.begin().await?;
    uow.accounts()
        .set_password(p.customer_id, hash, false, now)
        .await?;
    uow.sessions()
        .revoke_others(p.customer_id, Some(p.session_id), now)
        .await?;
    uow.audit()
        .append(
            NewAuditEntry::new(
                p.actor(),
                AuditAction::PasswordChanged,
                Some(p.own_account()),
                p.source(),
            ),
            now,
        )
        .await?;
    notify(uow.as_ref(), p.customer_id, Mail::PasswordChanged, now).await?;
    uow.commit().await?;
    Ok(())
}

/// Changes the caller's e-mail address; needs the password. The old address
/// is told.
///
/// # Errors
/// [`IdentityError::WrongPassword`], [`IdentityError::EmailTaken`]; storage
/// or hashing failure.
pub async fn change_email(
    store: &dyn Store,
    hasher: &dyn PasswordHasher,
    index: &dyn BlindIndex,
    clock: &dyn Clock,
    config: &IdentityConfig,
    p: &Principal,
    password: String,
    new: &Email,
) -> Result<(), IdentityError> {
    confirm_password(store, hasher, index, clock, config, p, password, "password").await?;
    let now = clock.now();
    let uow = store.begin().await?;
    super::profile::unrestricted(uow.as_ref(), p).await?;
    // Queued first, so it goes to the old address.
    notify(uow.as_ref(), p.customer_id, Mail::EmailChanged, now).await?;
    uow.accounts().change_email(p.customer_id, new, now).await?;
    uow.audit()
        .append(
            NewAuditEntry::new(
                p.actor(),
                AuditAction::EmailChanged,
                Some(p.own_account()),
                p.source(),
            ),
            now,
        )
        .await?;
    uow.commit().await?;
    Ok(())
}
