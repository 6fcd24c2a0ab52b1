//! Keeping a session: renewal (ACC-4) and "log out my other devices".

use super::config::IdentityConfig;
use super::error::IdentityError;
use super::login::LoginOutcome;
use super::ports::{AccessClaims, TokenIssuer};
use super::principal::Principal;
use crate::audit::{AuditAction, NewAuditEntry};
use crate::clock::Clock;
use crate::store::Store;

/// Renews the caller's session: it lasts its period again (2 days, or 14
/// with "remember me") from now, never past its absolute limit from login,
/// and a new access token carries the new end. The old token keeps working
/// until its own end.
///
/// # Errors
/// [`IdentityError::SessionEnded`] when the session ended meanwhile;
/// storage or signing failure.
pub async fn refresh(
    store: &dyn Store,
    issuer: &dyn TokenIssuer,
    clock: &dyn Clock,
    config: &IdentityConfig,
    p: &Principal,
) -> Result<LoginOutcome, IdentityError> {
    let now = clock.now();
    let uow = store.begin().await?;
    let session = uow
        .sessions()
        .get(p.session_id)
        .await?
        .filter(|s| s.is_live(now))
        .ok_or(IdentityError::SessionEnded)?;
    let expires_at = config
        .sessions
        .renewed_until(session.created_at, now, session.remember_me)
        .max(session.expires_at);
    if !uow.sessions().renew(p.session_id, expires_at, now).await? {
        return Err(IdentityError::SessionEnded);
    }
    uow.commit().await?;
    let access_token = issuer.issue(&AccessClaims {
        subject: p.customer_id,
        session: p.session_id,
        role: p.role,
        issued_at: now,
        expires_at,
    })?;
    Ok(LoginOutcome {
        access_token,
        expires_at,
        session_id: p.session_id,
        must_change_password: p.must_change_password,
    })
}

/// Ends every session of the caller but the current one ("log out my other
/// devices"). Returns how many ended.
///
/// # Errors
/// Storage failure.
pub async fn logout_others(
    store: &dyn Store,
    clock: &dyn Clock,
    p: &Principal,
) -> Result<u64, IdentityError> {
    let now = clock.now();
    let uow = store.begin().await?;
    let ended = uow
        .sessions()
        .revoke_others(p.customer_id, Some(p.session_id), now)
        .await?;
    uow.audit()
        .append(
            NewAuditEntry::new(
                p.actor(),
                AuditAction::SessionRevoked,
                Some(p.own_account()),
                p.source(),
            )
            .because(format!("other sessions ended: {ended}")),
            now,
        )
        .await?;
    uow.commit().await?;
    Ok(ended)
}
