//! The caller's login sessions.

use actix_web::{HttpResponse, delete, get, web};
use chrono::{DateTime, Utc};
use domain::identity::SessionId;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Auth;
use crate::body::Params;
use crate::problem::{ApiError, Problem, SignedInErrors, or_not_found};
use crate::routes::common::{PageParams, page_by_id};
use crate::state::SharedState;

/// A live session.
#[derive(Debug, Serialize, ToSchema)]
pub struct Session {
    /// Id.
    pub id: Uuid,
    /// The session making this request.
    pub current: bool,
    /// Opened with "remember me" (14 days instead of 2).
    pub remember_me: bool,
    /// Opened.
    pub created_at: DateTime<Utc>,
    /// Ends.
    pub expires_at: DateTime<Utc>,
    /// Last used.
    pub last_seen_at: DateTime<Utc>,
    /// The browser that opened it.
    pub user_agent: Option<String>,
}

/// A page of sessions.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionPage {
    /// The sessions.
    pub items: Vec<Session>,
    /// Cursor of the next page.
    pub next_cursor: Option<String>,
}

/// The caller's live sessions.
#[utoipa::path(
    tag = "me",
    operation_id = "list_sessions",
    security(("bearer" = [])),
    params(PageParams),
    responses(
        (status = 200, description = "A page of sessions", body = SessionPage),
        (status = 400, description = "Bad limit or cursor", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[get("/v1/me/sessions")]
pub async fn list_sessions(
    state: SharedState,
    auth: Auth,
    page: Params<PageParams>,
) -> Result<web::Json<SessionPage>, ApiError> {
    let page = page.read()?;
    let (limit, after) = page.parse("sessions")?;
    let all = state
        .store
        .reader()
        .sessions()
        .live(auth.0.customer_id, state.clock.now())
        .await?;
    let (items, next_cursor) = page_by_id(all, |s| s.id.as_uuid(), limit, after, "sessions");
    Ok(web::Json(SessionPage {
        items: items
            .into_iter()
            .map(|s| Session {
                id: s.id.as_uuid(),
                current: s.id == auth.0.session_id,
                remember_me: s.remember_me,
                created_at: s.created_at,
                expires_at: s.expires_at,
                last_seen_at: s.last_seen_at,
                user_agent: s.user_agent,
            })
            .collect(),
        next_cursor,
    }))
}

/// End one of the caller's sessions (its token stops working at once).
#[utoipa::path(
    tag = "me",
    operation_id = "revoke_session",
    security(("bearer" = [])),
    params(("session_id" = Uuid, Path, description = "Session id")),
    responses(
        (status = 204, description = "Ended"),
        (status = 404, description = "No live session of yours has this id", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[delete("/v1/me/sessions/{session_id}")]
pub async fn revoke_session(
    state: SharedState,
    auth: Auth,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id: SessionId = path
        .parse()
        .map_err(|_| ApiError::NotFound("No live session of yours has this id.".into()))?;
    domain::identity::revoke_session(state.store.as_ref(), state.clock.as_ref(), &auth.0, id)
        .await
        .map_err(or_not_found("No live session of yours has this id."))?;
    Ok(HttpResponse::NoContent().finish())
}

/// Log out every other device: end all the caller's sessions but this one.
#[utoipa::path(
    tag = "me",
    operation_id = "revoke_other_sessions",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Every other session ended; this one goes on"),
        SignedInErrors,
    )
)]
#[delete("/v1/me/sessions")]
pub async fn revoke_other_sessions(
    state: SharedState,
    auth: Auth,
) -> Result<HttpResponse, ApiError> {
    domain::identity::logout_others(state.store.as_ref(), state.clock.as_ref(), &auth.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
