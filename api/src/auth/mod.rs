//! Authentication and authorisation: bearer tokens bound to live sessions,
//! roles, login lockdown.

pub mod client;
pub mod jwt;
pub mod lockdown;
pub mod password;

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use domain::identity::{CustomerId, Role, SessionId};

use self::client::Client;
use crate::app::{AppState, SharedState};
use crate::problem::ApiError;

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The account.
    pub customer_id: CustomerId,
    /// The session the token is bound to.
    pub session_id: SessionId,
    /// The account's current role.
    pub role: Role,
    /// A generated password still has to be replaced.
    pub must_change_password: bool,
    /// Where the request comes from.
    pub client: Client,
}

impl Principal {
    /// How the audit log names this caller.
    #[must_use]
    pub fn actor(&self) -> String {
        self.customer_id.to_string()
    }
}

fn bearer(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get("authorization")?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

fn is_private(path: &str) -> bool {
    path.starts_with("/v1/me") || path.starts_with("/v1/admin")
}

async fn authenticate(req: HttpRequest) -> Result<Principal, ApiError> {
    let state = req
        .app_data::<SharedState>()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("application state missing")))?
        .clone();
    let client = Client::from_request(&req, state.config.trust_proxy, state.keys.keyring());
    let private = is_private(req.path());
    // A banned source is refused even with valid credentials; without any it
    // gets the plain 401 (and the attempt still counts).
    if private && bearer(&req).is_some() {
        lockdown::check_source(&state, &client).await?;
    }
    match principal(&state, &req, client.clone()).await {
        Ok(p) => Ok(p),
        Err(e) => {
            if private && matches!(e, ApiError::Unauthorized { .. }) {
                lockdown::record_probe(&state, &client).await?;
            }
            Err(e)
        }
    }
}

async fn principal(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    client: Client,
) -> Result<Principal, ApiError> {
    let Some(token) = bearer(req) else {
        return Err(ApiError::Unauthorized {
            invalid_token: false,
        });
    };
    let invalid = || ApiError::Unauthorized {
        invalid_token: true,
    };
    let claims = state.tokens.verify(token).ok_or_else(invalid)?;
    let sid: SessionId = claims.sid.parse().map_err(|_| invalid())?;
    let sub: CustomerId = claims.sub.parse().map_err(|_| invalid())?;
    let now = state.clock.now();
    let session = state.accounts.session(sid).await?.ok_or_else(invalid)?;
    if session.customer_id != sub || !session.is_live(now) || claims.exp <= now.timestamp() {
        return Err(invalid());
    }
    let account = state
        .accounts
        .login_record_by_id(sub)
        .await?
        .ok_or_else(invalid)?;
    state.accounts.touch_session(sid, sub, now).await?;
    Ok(Principal {
        customer_id: sub,
        session_id: sid,
        role: account.role,
        must_change_password: account.must_change_password,
        client,
    })
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

/// The caller's source, for unauthenticated endpoints (login, register...).
#[derive(Debug, Clone)]
pub struct Caller(pub Client);

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(
            req.app_data::<SharedState>()
                .map(|s| {
                    Self(Client::from_request(
                        req,
                        s.config.trust_proxy,
                        s.keys.keyring(),
                    ))
                })
                .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("application state missing"))),
        )
    }
}
