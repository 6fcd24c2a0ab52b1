//! Authentication and authorisation: bearer tokens bound to live sessions,
//! roles. The rules (sessions, lockdown, bans) are the domain's
//! `authenticate` use case; these extractors feed it the request.

pub mod client;
pub mod jwt;
pub mod keys;
pub mod password;
pub mod random;

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, dev::Payload};
use domain::identity::Origin;
pub use domain::identity::Principal;

use crate::problem::ApiError;
use crate::state::SharedState;

/// The token of an `Authorization: Bearer` header, if any.
pub(crate) fn bearer(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get("authorization")?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

fn is_private(path: &str) -> bool {
    path.starts_with("/v1/me") || path.starts_with("/v1/admin")
}

fn state(req: &HttpRequest) -> Result<SharedState, ApiError> {
    req.app_data::<SharedState>()
        .cloned()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("application state missing")))
}

async fn authenticate(req: HttpRequest) -> Result<Principal, ApiError> {
    keys::refuse_key(&req).await?;
    let state = state(&req)?;
    let origin = state.origin(&req);
    Ok(domain::identity::authenticate(
        state.store.as_ref(),
        &state.tokens,
        state.clock.as_ref(),
        &state.identity,
        bearer(&req),
        is_private(req.path()),
        origin,
    )
    .await?)
}

type Fut<T> = Pin<Box<dyn Future<Output = Result<T, ApiError>>>>;
/// Any signed-in account whose password does not need replacing.
#[derive(Debug, Clone)]
pub struct Auth(pub Principal);

/// Any signed-in account, even one that must replace a generated password
/// (for changing it and logging out).
#[derive(Debug, Clone)]
pub struct AuthAllowingPasswordChange(pub Principal);

/// A shop manager or an admin.
#[derive(Debug, Clone)]
pub struct Staff(pub Principal);

/// An admin.
#[derive(Debug, Clone)]
pub struct Admin(pub Principal);

fn ready(p: Principal) -> Result<Principal, ApiError> {
    if p.must_change_password {
        Err(ApiError::PasswordChangeRequired)
    } else {
        Ok(p)
    }
}

impl FromRequest for AuthAllowingPasswordChange {
    type Error = ApiError;
    type Future = Fut<Self>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authenticate(req).await.map(Self) })
    }
}

impl FromRequest for Auth {
    type Error = ApiError;
    type Future = Fut<Self>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { ready(authenticate(req).await?).map(Self) })
    }
}

impl FromRequest for Staff {
    type Error = ApiError;
    type Future = Fut<Self>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let p = ready(authenticate(req).await?)?;
            if p.role.can_manage_shop() {
                Ok(Self(p))
            } else {
                Err(ApiError::Forbidden("Staff only.".into()))
            }
        })
    }
}

impl FromRequest for Admin {
    type Error = ApiError;
    type Future = Fut<Self>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let p = ready(authenticate(req).await?)?;
            if p.role.can_administer() {
                Ok(Self(p))
            } else {
                Err(ApiError::Forbidden("Administrators only.".into()))
            }
        })
    }
}

/// A signed-in account when a token is sent, anonymous otherwise: for
/// endpoints open to both (comments, the contact form). A token that is
/// sent must be valid.
#[derive(Debug, Clone)]
pub struct MaybeAuth(pub Option<Principal>);

impl FromRequest for MaybeAuth {
    type Error = ApiError;
    type Future = Fut<Self>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            if req.headers().get("authorization").is_none() {
                return Ok(Self(None));
            }
            Ok(Self(Some(ready(authenticate(req).await?)?)))
        })
    }
}

/// The caller's origin, for unauthenticated endpoints (login, register...).
#[derive(Debug, Clone)]
pub struct Caller(pub Origin);

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(state(req).map(|s| Self(s.origin(req))))
    }
}
