//! `/v1/admin/retention/*` (RET-1..6): the rules in force, what the next
//! run would purge, and a run now. Admins only: a run destroys data.

use actix_web::{HttpResponse, get, post};
use chrono::{DateTime, Utc};
use domain::retention::{self, Mode, Report};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Admin;
use crate::problem::{ApiError, Problem, SignedInErrors};
use crate::state::SharedState;

/// One retention rule.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "category": "carts",
    "period": "30d",
    "requirement": "RET-5",
    "rule": "carts not checked out, with their e-mail and contents, after their last activity",
    "tables": ["carts", "cart_lines", "recently_viewed"]
}))]
pub struct RetentionPolicy {
    /// The category's stable name (the key of `BOUTIQUE_RETENTION`).
    pub category: String,
    /// How long it is kept: a number and `h`, `d`, `mo` or `y`.
    #[schema(example = "30d")]
    pub period: String,
    /// The requirement it keeps (`RET-1`..`RET-6`, `NEWS-1`).
    pub requirement: String,
    /// What is kept, and from when the period counts.
    pub rule: String,
    /// The tables it purges.
    pub tables: Vec<String>,
}

/// The rules in force.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "items": [{
        "category": "cancelled_orders",
        "period": "48h",
        "requirement": "RET-4",
        "rule": "cancelled orders, after their cancellation",
        "tables": ["orders", "order_events"]
    }],
    "inactivity_warning": "14d"
}))]
pub struct RetentionPolicies {
    /// Every rule.
    pub items: Vec<RetentionPolicy>,
    /// How long before an inactive account's erasure its owner is mailed.
    pub inactivity_warning: String,
}

/// One category's count in a run.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"category": "unpaid_orders", "count": 12}))]
pub struct RetentionCount {
    /// The category's stable name.
    #[schema(example = "unpaid_orders")]
    pub category: String,
    /// Items purged (a preview: to purge).
    #[schema(example = 12)]
    pub count: u64,
}

/// What a run did, or would do.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "at": "2026-12-07T21:00:00Z",
    "dry_run": false,
    "total": 13,
    "warned": 1,
    "categories": [{"category": "unpaid_orders", "count": 12}, {"category": "carts", "count": 1}]
}))]
pub struct RetentionReport {
    /// When it ran (RFC 3339, UTC).
    pub at: DateTime<Utc>,
    /// `true` for a preview: nothing was purged.
    pub dry_run: bool,
    /// Items purged (to purge) in all.
    pub total: u64,
    /// Accounts whose owners were mailed that their erasure nears (0 in a
    /// preview).
    pub warned: u64,
    /// Every category, with its count.
    pub categories: Vec<RetentionCount>,
}

impl From<Report> for RetentionReport {
    fn from(r: Report) -> Self {
        Self {
            at: r.at,
            dry_run: r.mode == Mode::DryRun,
            total: r.total(),
            warned: r.warned,
            categories: r
                .purged
                .into_iter()
                .map(|(c, n)| RetentionCount {
                    category: c.as_str().to_owned(),
                    count: n,
                })
                .collect(),
        }
    }
}

/// The retention rules in force: the privacy policy's periods, as
/// `BOUTIQUE_RETENTION` changed them (admins).
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_list_retention_policies",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every rule", body = RetentionPolicies),
        SignedInErrors,
    )
)]
#[get("/v1/admin/retention/policies")]
pub async fn admin_list_retention_policies(
    state: SharedState,
    _admin: Admin,
) -> actix_web::web::Json<RetentionPolicies> {
    actix_web::web::Json(RetentionPolicies {
        items: state
            .retention
            .rules()
            .iter()
            .map(|r| RetentionPolicy {
                category: r.category.as_str().to_owned(),
                period: r.period.to_string(),
                requirement: r.requirement.to_owned(),
                rule: r.rule.to_owned(),
                tables: r.tables.iter().map(|t| (*t).to_owned()).collect(),
            })
            .collect(),
        inactivity_warning: state.retention.inactivity_warning.to_string(),
    })
}

/// What a run now would purge, per category (admins). Nothing changes.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_preview_retention",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The counts a run would purge", body = RetentionReport),
        SignedInErrors,
    )
)]
#[get("/v1/admin/retention/preview")]
pub async fn admin_preview_retention(
    state: SharedState,
    admin: Admin,
) -> Result<actix_web::web::Json<RetentionReport>, ApiError> {
    let report = retention::run(
        state.store.as_ref(),
        state.clock.as_ref(),
        &state.retention,
        Mode::DryRun,
        state.config.retention_batch,
        admin.0.actor(),
    )
    .await?;
    Ok(actix_web::web::Json(report.into()))
}

/// Run the retention job now (admins): everything past its period is
/// purged in batches, inactive accounts' owners are warned, and the report
/// goes to the audit log (`retention_run`). The job also runs on its own,
/// hourly; one instance runs it at a time.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_run_retention",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "What was purged", body = RetentionReport),
        (status = 409, description = "A run is under way on this or another instance: try again when it ends", body = Problem, content_type = "application/problem+json", example = json!({
            "type": "/problems/conflict",
            "title": "The request conflicts with the current state",
            "status": 409,
            "detail": "a retention run is under way; try again in a minute",
            "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85"
        })),
        SignedInErrors,
    )
)]
#[post("/v1/admin/retention/runs")]
pub async fn admin_run_retention(
    state: SharedState,
    admin: Admin,
) -> Result<HttpResponse, ApiError> {
    let report = crate::jobs::retention_now(&state, admin.0.actor())
        .await?
        .ok_or_else(|| {
            domain::service::ServiceError::Conflict(
                "a retention run is under way; try again in a minute".into(),
            )
        })?;
    Ok(HttpResponse::Ok().json(RetentionReport::from(report)))
}
