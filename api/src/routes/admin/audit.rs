//! The security audit log and the locks and bans in force (admins only).
//! No endpoint edits or deletes audit entries.

use actix_web::{HttpResponse, delete, get, web};
use chrono::{DateTime, Utc};
use domain::FieldErrors;
use domain::audit::{AuditAction, AuditFilter, AuditRecord};
use domain::pagination::{Limit, decode_cursor, encode_cursor};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Admin;
use crate::problem::{ApiError, Problem, SignedInErrors, or_not_found};
use crate::state::SharedState;

/// One audit entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    /// Position in the chain.
    pub seq: i64,
    /// When (UTC).
    pub at: DateTime<Utc>,
    /// Who: an account id, `anonymous` or `system`.
    pub actor: String,
    /// What happened.
    #[schema(example = "personal_data_accessed")]
    pub action: String,
    /// What it happened to (`customer:<id>`, `product:<id>`, `source:<net>`).
    pub target: Option<String>,
    /// Truncated source address.
    #[schema(example = "203.0.113.0/24")]
    pub source: Option<String>,
    /// Why.
    pub reason: Option<String>,
    /// Hash of the previous entry.
    pub prev_hash: String,
    /// This entry's hash.
    pub hash: String,
}

impl From<AuditRecord> for AuditEntry {
    fn from(r: AuditRecord) -> Self {
        Self {
            seq: r.seq,
            at: r.at,
            actor: r.actor,
            action: r.action,
            target: r.target,
            source: r.source,
            reason: r.reason,
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

/// A page of audit entries, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    /// Entries.
    pub items: Vec<AuditEntry>,
    /// Cursor of the next page.
    pub next_cursor: Option<String>,
}

/// Filters of the audit log.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Only this action (e.g. `login_failed`).
    #[param(max_length = 64)]
    pub action: Option<String>,
    /// Only this actor (an account id, `anonymous`, `system`).
    #[param(max_length = 64)]
    pub actor: Option<String>,
    /// Only this target (e.g. `customer:<id>`).
    #[param(max_length = 128)]
    pub target: Option<String>,
    /// From this instant (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    pub since: Option<String>,
    /// Before this instant (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    pub until: Option<String>,
    /// Page size, 1 to 100 (default 20).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page.
    #[param(max_length = 512, pattern = "^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
}

/// Read the security audit log.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_list_audit_log",
    security(("bearer" = [])),
    params(AuditParams),
    responses(
        (status = 200, description = "A page of entries", body = AuditPage),
        (status = 400, description = "Invalid filter", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[get("/v1/admin/audit-log")]
pub async fn admin_list_audit_log(
    state: SharedState,
    _admin: Admin,
    q: web::Query<AuditParams>,
) -> Result<web::Json<AuditPage>, ApiError> {
    let mut f = FieldErrors::default();
    let action = q.action.as_deref().and_then(|a| {
        let parsed = AuditAction::parse(a);
        if parsed.is_none() {
            f.push("action", "is not a known action");
        }
        parsed
    });
    let time = |f: &mut FieldErrors, field: &str, v: &Option<String>| {
        v.as_deref().and_then(|s| {
            f.take(
                field,
                DateTime::parse_from_rfc3339(s).map(|d| d.with_timezone(&Utc)),
            )
        })
    };
    let since = time(&mut f, "since", &q.since);
    let until = time(&mut f, "until", &q.until);
    let limit = f.take("limit", Limit::parse(q.limit.as_deref()));
    let before_seq = q.cursor.as_deref().and_then(|c| {
        let seq = decode_cursor(c, 2)
            .ok()
            .filter(|p| p[0] == "audit")
            .and_then(|p| p[1].parse::<i64>().ok());
        if seq.is_none() {
            f.push("cursor", "is not valid for this listing");
        }
        seq
    });
    f.check()?;
    let limit = limit.unwrap_or(Limit::DEFAULT).get();
    let filter = AuditFilter {
        action,
        actor: q.actor.clone(),
        target: q.target.clone(),
        since,
        until,
        before_seq,
    };
    let mut rows = state
        .store
        .reader()
        .audit()
        .list(&filter, u64::try_from(limit + 1).unwrap_or(101))
        .await?;
    let next_cursor = if rows.len() > limit {
        rows.truncate(limit);
        rows.last()
            .map(|r| encode_cursor(&["audit", &r.seq.to_string()]))
    } else {
        None
    };
    Ok(web::Json(AuditPage {
        items: rows.into_iter().map(AuditEntry::from).collect(),
        next_cursor,
    }))
}

/// The result of checking the chain.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditVerification {
    /// Whether every entry and link verifies.
    pub valid: bool,
    /// Entries checked before the first broken link (all of them when valid).
    pub checked: i64,
    /// The first entry that does not verify.
    pub first_broken_seq: Option<i64>,
    /// What is wrong with it.
    pub problem: Option<String>,
}

/// Verify the audit log's hash chain.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_verify_audit_log",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The verification", body = AuditVerification),
        SignedInErrors,
    )
)]
#[get("/v1/admin/audit-log/verify")]
pub async fn admin_verify_audit_log(
    state: SharedState,
    _admin: Admin,
) -> Result<web::Json<AuditVerification>, ApiError> {
    let v = state.store.reader().audit().verify().await?;
    Ok(web::Json(AuditVerification {
        valid: v.broken.is_none(),
        checked: v.checked,
        first_broken_seq: v.broken.as_ref().map(|b| b.seq),
        problem: v.broken.map(|b| b.problem.to_owned()),
    }))
}

/// A lock (account + source) or ban (source) in force.
#[derive(Debug, Serialize, ToSchema)]
pub struct Block {
    /// Id, to lift it.
    pub id: String,
    /// `account_source_lock` or `source_ban`.
    pub kind: String,
    /// Truncated source address.
    pub source: Option<String>,
    /// The account, for locks of known accounts.
    pub customer_id: Option<uuid::Uuid>,
    /// Failures or probes counted.
    pub count: i32,
    /// Until when.
    pub blocked_until: DateTime<Utc>,
}

/// Locks and bans.
#[derive(Debug, Serialize, ToSchema)]
pub struct BlockPage {
    /// In force now.
    pub items: Vec<Block>,
    /// Always null.
    pub next_cursor: Option<String>,
}

/// List the locks and bans in force.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_list_blocks",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Locks and bans", body = BlockPage),
        SignedInErrors,
    )
)]
#[get("/v1/admin/security/blocks")]
pub async fn admin_list_blocks(
    state: SharedState,
    _admin: Admin,
) -> Result<web::Json<BlockPage>, ApiError> {
    let blocks = state
        .store
        .reader()
        .counters()
        .blocks(state.clock.now())
        .await?;
    Ok(web::Json(BlockPage {
        items: blocks
            .into_iter()
            .map(|b| Block {
                id: b.key,
                kind: b.kind,
                source: b.source,
                customer_id: b.customer_id.map(|c| c.as_uuid()),
                count: b.count,
                blocked_until: b.blocked_until,
            })
            .collect(),
        next_cursor: None,
    }))
}

/// Lift a lock or ban.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_lift_block",
    security(("bearer" = [])),
    params(("block_id" = String, Path, description = "The block's id")),
    responses(
        (status = 204, description = "Lifted"),
        (status = 404, description = "No block in force has this id", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[delete("/v1/admin/security/blocks/{block_id}")]
pub async fn admin_lift_block(
    state: SharedState,
    admin: Admin,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    domain::identity::lift_block(state.store.as_ref(), state.clock.as_ref(), &admin.0, &path)
        .await
        .map_err(or_not_found("No block in force has this id."))?;
    Ok(HttpResponse::NoContent().finish())
}
