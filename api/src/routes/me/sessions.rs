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

/// A live session: a login on one device, until it ends.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01a21fb0-5e6f-7a8b-9c0d-1e2f3a4b5c6d",
    "current": true,
    "remember_me": false,
    "created_at": "2026-11-27T09:12:44Z",
    "expires_at": "2026-11-29T09:12:44Z",
    "last_seen_at": "2026-11-27T10:03:19Z",
    "user_agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15"
}))]
pub struct Session {
    /// Session id (UUID v7), the `session_id` of its login; for
    /// `DELETE /v1/me/sessions/{session_id}`.
    pub id: Uuid,
    /// `true` for the session of the token making this request.
    pub current: bool,
    /// Opened with "remember me": it lasts 14 days from login or renewal
    /// (renewable up to 90 days after login) instead of 2 (up to 30).
    pub remember_me: bool,
    /// When the login opened it (RFC 3339, UTC).
    pub created_at: DateTime<Utc>,
    /// When it ends unless renewed (RFC 3339, UTC): 2 days after login or
    /// the last renewal, 14 with remember-me.
    pub expires_at: DateTime<Utc>,
    /// When an authenticated request last used it (RFC 3339, UTC).
    pub last_seen_at: DateTime<Utc>,
    /// The `User-Agent` header of the login that opened it, as sent; `null`
    /// when there was none.
    pub user_agent: Option<String>,
}

/// A page of the caller's live sessions, oldest first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "items": [{
        "id": "01a21fb0-5e6f-7a8b-9c0d-1e2f3a4b5c6d",
        "current": true,
        "remember_me": false,
        "created_at": "2026-11-27T09:12:44Z",
        "expires_at": "2026-11-29T09:12:44Z",
        "last_seen_at": "2026-11-27T10:03:19Z",
        "user_agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15"
    }],
    "next_cursor": null
}))]
pub struct SessionPage {
    /// The sessions of this page, oldest first, at most `limit` of them.
    pub items: Vec<Session>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
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
