//! API keys at the door: the extractors of operations an integration may
//! call (a staff session, or a key holding the operation's scope), and the
//! per-key rate limit.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::{Mutex, PoisonError};

use actix_web::{FromRequest, HttpRequest, dev::Payload};
use domain::identity::Origin;
use domain::ids::ApiKeyId;
use domain::integration::{KeyPrincipal, Operator, Scope, authenticate_key, is_key};

use super::{Fut, authenticate, bearer, is_private, ready, state};
use crate::problem::{ApiError, LimitReasonDto};
use crate::state::AppState;

/// Requests per key per minute, counted in this instance (a fixed window
/// on the application's clock).
#[derive(Debug, Default)]
pub struct KeyLimiter {
    windows: Mutex<HashMap<ApiKeyId, (i64, u32)>>,
}

impl KeyLimiter {
    /// Counts a request of `key` at `now`; the seconds to wait when it is
    /// over its limit.
    pub fn hit(&self, key: &KeyPrincipal, now: chrono::DateTime<chrono::Utc>) -> Option<i64> {
        let minute = now.timestamp().div_euclid(60);
        let mut w = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        // Old windows go when the map grows: one entry per live key.
        if w.len() > 10_000 {
            w.retain(|_, (m, _)| *m == minute);
        }
        let entry = w.entry(key.id).or_insert((minute, 0));
        if entry.0 != minute {
            *entry = (minute, 0);
        }
        if entry.1 >= key.rate_per_minute {
            return Some(60 - now.timestamp().rem_euclid(60));
        }
        entry.1 += 1;
        None
    }
}

/// A scope an operation needs from a key, and whether a staff session must
/// be an admin's.
pub trait NeedsScope {
    /// The scope.
    const SCOPE: Scope;
    /// Sessions must be an admin's (else a shop manager's will do).
    const ADMIN: bool = false;
}

macro_rules! scope {
    ($name:ident, $scope:expr, $admin:expr) => {
        #[doc = concat!("Needs `", stringify!($scope), "`.")]
        #[derive(Debug, Clone, Copy)]
        pub struct $name;
        impl NeedsScope for $name {
            const SCOPE: Scope = $scope;
            const ADMIN: bool = $admin;
        }
    };
}

scope!(CatalogueRead, Scope::CatalogueRead, false);
scope!(CatalogueWrite, Scope::CatalogueWrite, false);
scope!(OrdersRead, Scope::OrdersRead, false);
scope!(OrdersWrite, Scope::OrdersWrite, false);
scope!(CustomersRead, Scope::CustomersRead, false);
scope!(WebhooksManage, Scope::WebhooksManage, true);

/// A staff session (an admin's for admin scopes), or an API key holding
/// the scope `S`.
#[derive(Debug, Clone)]
pub struct StaffOrKey<S>(pub Operator, PhantomData<S>);

impl<S> StaffOrKey<S> {
    /// Who acts.
    pub const fn operator(&self) -> &Operator {
        &self.0
    }
}

/// Authenticates the key of a request: the same source bans as sessions
/// in private areas, then the key itself.
async fn key(
    state: &AppState,
    token: &str,
    private: bool,
    origin: Origin,
) -> Result<KeyPrincipal, ApiError> {
    if private {
        domain::identity::check_source(state.store.as_ref(), state.clock.as_ref(), &origin).await?;
    }
    match authenticate_key(
        state.store.as_ref(),
        state.clock.as_ref(),
        state.index.as_ref(),
        token,
        origin.clone(),
    )
    .await
    {
        Ok(k) => Ok(k),
        Err(e) => {
            if private && matches!(e, domain::identity::IdentityError::Unauthenticated { .. }) {
                domain::identity::record_probe(
                    state.store.as_ref(),
                    &state.identity.lockout,
                    state.clock.as_ref(),
                    &origin,
                )
                .await?;
            }
            Err(e.into())
        }
    }
}

/// Refuses a valid key where keys are not accepted (403), and an invalid
/// one as any bad credential (401, counted as probing).
pub(super) async fn refuse_key(req: &HttpRequest) -> Result<(), ApiError> {
    let Some(token) = bearer(req).filter(|t| is_key(t)) else {
        return Ok(());
    };
    let state = state(req)?;
    let origin = state.origin(req);
    key(&state, token, is_private(req.path()), origin).await?;
    Err(ApiError::Forbidden(
        "API keys cannot call this operation: it needs a person's session.".into(),
    ))
}

async fn operator<S: NeedsScope>(req: HttpRequest) -> Result<Operator, ApiError> {
    let state = state(&req)?;
    if let Some(token) = bearer(&req).filter(|t| is_key(t)) {
        let origin = state.origin(&req);
        let k = key(&state, token, is_private(req.path()), origin).await?;
        if !k.scopes.contains(&S::SCOPE) {
            return Err(ApiError::Forbidden(format!(
                "This API key lacks the `{}` scope.",
                S::SCOPE.as_str()
            )));
        }
        if let Some(retry_after) = state.key_limiter.hit(&k, state.clock.now()) {
            return Err(ApiError::TooManyRequests {
                retry_after,
                reason: LimitReasonDto::KeyRateLimited,
            });
        }
        return Ok(Operator::Key(k));
    }
    let p = ready(authenticate(req).await?)?;
    let allowed = if S::ADMIN {
        p.role.can_administer()
    } else {
        p.role.can_manage_shop()
    };
    if allowed {
        Ok(Operator::Staff(p))
    } else if S::ADMIN {
        Err(ApiError::Forbidden("Administrators only.".into()))
    } else {
        Err(ApiError::Forbidden("Staff only.".into()))
    }
}

impl<S: NeedsScope + 'static> FromRequest for StaffOrKey<S> {
    type Error = ApiError;
    type Future = Fut<Self>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { operator::<S>(req).await.map(|o| Self(o, PhantomData)) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    struct Plain;
    impl domain::identity::BlindIndex for Plain {
        fn index(&self, _: &str, value: &str) -> Vec<u8> {
            value.as_bytes().to_vec()
        }
    }

    #[test]
    fn a_key_gets_its_rate_per_minute_then_waits_for_the_next_minute() {
        let limiter = KeyLimiter::default();
        let k = KeyPrincipal {
            id: ApiKeyId::new(),
            name: "CRM".into(),
            purpose: None,
            scopes: vec![Scope::CatalogueRead],
            rate_per_minute: 3,
            origin: Origin::new(None, None, &Plain),
        };
        let t = chrono::Utc
            .with_ymd_and_hms(2026, 12, 8, 10, 0, 15)
            .unwrap();
        for _ in 0..3 {
            assert_eq!(limiter.hit(&k, t), None);
        }
        assert_eq!(limiter.hit(&k, t), Some(45));
        assert_eq!(limiter.hit(&k, t + chrono::Duration::seconds(45)), None);
    }
}
