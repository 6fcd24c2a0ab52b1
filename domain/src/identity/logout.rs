//! Logging out and ending sessions (ACC-4).

use super::SessionId;
use super::error::IdentityError;
use super::principal::Principal;
use crate::audit::{AuditAction, NewAuditEntry};
use crate::clock::Clock;
use crate::store::Store;

/// Ends the caller's session at once: its token stops working.
///
/// # Errors
/// Storage failure.
pub async fn logout(
    store: &dyn Store,
    clock: &dyn Clock,
    p: &Principal,
) -> Result<(), IdentityError> {
    let now = clock.now();
    let uow = store.begin().await?;
    uow.sessions()
        .revoke(p.customer_id, p.session_id, now)
        .await?;
    uow.audit()
        .append(
            NewAuditEntry::new(
                p.actor(),
                AuditAction::LoggedOut,
                Some(p.own_account()),
                p.source(),
            ),
            now,
        )
        .await?;
    uow.commit().await?;
    Ok(())
}

/// Ends one of the caller's sessions.
///
/// # Errors
/// [`IdentityError::NotFound`] when no live session of theirs has this id;
/// storage failure.
pub async fn revoke_session(
    store: &dyn Store,
    clock: &dyn Clock,
    p: &Principal,
    id: SessionId,
) -> Result<(), IdentityError> {
    let now = clock.now();
    let uow = store.begin().await?;
    if !uow.sessions().revoke(p.customer_id, id, now).await? {
        return Err(IdentityError::NotFound);
    }
    uow.audit()
        .append(
            NewAuditEntry::new(
                p.actor(),
                AuditAction::SessionRevoked,
                Some(p.own_account()),
                p.source(),
            ),
            now,
        )
        .await?;
    uow.commit().await?;
    Ok(())
}
