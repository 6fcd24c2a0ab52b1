//! Who is calling: a bearer token bound to a live session (ACC-4), with the
//! bans that protect private areas (SEC-2).

use super::config::IdentityConfig;
use super::error::IdentityError;
use super::lockdown;
use super::ports::{Origin, TokenIssuer};
use super::principal::Principal;
use crate::clock::Clock;
use crate::store::Store;

/// Authenticates a request. `private` marks the customer and admin areas,
/// where a banned source is refused even with valid credentials, and where
/// requests without valid credentials count toward a ban.
///
/// # Errors
/// [`IdentityError::Unauthenticated`] (counted toward a ban in private
/// areas), [`IdentityError::SessionEnded`] (not counted),
/// [`IdentityError::Limited`]; storage failure.
pub async fn authenticate(
    store: &dyn Store,
    issuer: &dyn TokenIssuer,
    clock: &dyn Clock,
    config: &IdentityConfig,
    bearer: Option<&str>,
    private: bool,
    origin: Origin,
) -> Result<Principal, IdentityError> {
    // A banned source is refused even with valid credentials; without any it
    // gets the plain 401 (and the attempt still counts).
    if private && bearer.is_some() {
        lockdown::check_source(store, clock, &origin).await?;
    }
    match principal(store, issuer, clock, bearer, origin.clone()).await {
        Ok(p) => Ok(p),
        Err(e) => {
            if private && matches!(e, IdentityError::Unauthenticated { .. }) {
                lockdown::record_probe(store, &config.lockout, clock, &origin).await?;
            }
            Err(e)
        }
    }
}

async fn principal(
    store: &dyn Store,
    issuer: &dyn TokenIssuer,
    clock: &dyn Clock,
    bearer: Option<&str>,
    origin: Origin,
) -> Result<Principal, IdentityError> {
    let Some(token) = bearer else {
        return Err(IdentityError::Unauthenticated {
            token_presented: false,
        });
    };
    // A token this API did not sign (forged, garbage) counts as probing.
    let claims = issuer.decode(token).ok_or(IdentityError::Unauthenticated {
        token_presented: true,
    })?;
    // One it signed, whose session ended, is a visitor who was logged out:
    // 401, without counting toward a ban.
    let now = clock.now();
    let reader = store.reader();
    let session = reader
        .sessions()
        .get(claims.session)
        .await?
        .ok_or(IdentityError::SessionEnded)?;
    // A signed token naming another account than its session's owner is
    // not a logged-out visitor: count it like a forged one.
    if session.customer_id != claims.subject {
        return Err(IdentityError::Unauthenticated {
            token_presented: true,
        });
    }
    if !session.is_live(now) || claims.expires_at <= now {
        return Err(IdentityError::SessionEnded);
    }
    let account = reader
        .accounts()
        .login_record_by_id(claims.subject)
        .await?
        .ok_or(IdentityError::SessionEnded)?;
    reader.sessions().touch(claims.session, now).await?;
    reader.accounts().touch(claims.subject, now).await?;
    Ok(Principal {
        customer_id: claims.subject,
        session_id: claims.session,
        role: account.role,
        must_change_password: account.must_change_password,
        origin,
    })
}
