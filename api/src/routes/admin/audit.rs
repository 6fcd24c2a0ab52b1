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
use crate::body::Params;
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

/// An audited action, by its stable wire name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuditActionDto {
    /// Successful login.
    LoginSucceeded,
    /// Wrong password or unknown account.
    LoginFailed,
    /// An account was locked for a source.
    AccountLocked,
    /// A source was banned.
    SourceBanned,
    /// A lock or ban was lifted by an admin.
    LockLifted,
    /// A session ended by logout.
    LoggedOut,
    /// A session revoked by its owner.
    SessionRevoked,
    /// An account was created.
    AccountCreated,
    /// A password was changed.
    PasswordChanged,
    /// A password was reset with a single-use token.
    PasswordReset,
    /// An e-mail address was changed.
    EmailChanged,
    /// A role was granted or changed.
    RoleChanged,
    /// Staff read a customer's personal data.
    PersonalDataAccessed,
    /// A catalogue entry was created, changed, published, unpublished or deleted.
    CatalogueChanged,
    /// A subject's data key was destroyed.
    SubjectKeyDestroyed,
}

impl From<AuditActionDto> for AuditAction {
    fn from(a: AuditActionDto) -> Self {
        match a {
            AuditActionDto::LoginSucceeded => Self::LoginSucceeded,
            AuditActionDto::LoginFailed => Self::LoginFailed,
            AuditActionDto::AccountLocked => Self::AccountLocked,
            AuditActionDto::SourceBanned => Self::SourceBanned,
            AuditActionDto::LockLifted => Self::LockLifted,
            AuditActionDto::LoggedOut => Self::LoggedOut,
            AuditActionDto::SessionRevoked => Self::SessionRevoked,
            AuditActionDto::AccountCreated => Self::AccountCreated,
            AuditActionDto::PasswordChanged => Self::PasswordChanged,
            AuditActionDto::PasswordReset => Self::PasswordReset,
            AuditActionDto::EmailChanged => Self::EmailChanged,
            AuditActionDto::RoleChanged => Self::RoleChanged,
            AuditActionDto::PersonalDataAccessed => Self::PersonalDataAccessed,
            AuditActionDto::CatalogueChanged => Self::CatalogueChanged,
            AuditActionDto::SubjectKeyDestroyed => Self::SubjectKeyDestroyed,
        }
    }
}

/// Filters of the audit log.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Only this action. An unknown action is a 400.
    #[param(inline)]
    pub action: Option<AuditActionDto>,
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
    /// The `next_cursor` of the previous page; empty means the first page.
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
    q: Params<AuditParams>,
) -> Result<web::Json<AuditPage>, ApiError> {
    let q = q.read()?;
    let mut f = FieldErrors::default();
    let action = q.action.map(AuditAction::from);
    for (field, value, max) in [("actor", &q.actor, 64), ("target", &q.target, 128)] {
        if value.as_ref().is_some_and(|v| v.chars().count() > max) {
            f.push(field, format!("must be at most {max} characters"));
        }
    }
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
    // `cursor=` (what a form sends for "no cursor") is the first page.
    let before_seq = q.cursor.as_deref().filter(|c| !c.is_empty()).and_then(|c| {
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

#[cfg(test)]
mod tests {
    use super::*;
    use utoipa::PartialSchema as _;

    #[test]
    fn the_action_filter_offers_every_audit_action_and_nothing_else() {
        for &action in AuditAction::ALL {
            let dto: AuditActionDto = serde_json::from_value(action.as_str().into())
                .unwrap_or_else(|_| panic!("{} is not offered", action.as_str()));
            assert_eq!(AuditAction::from(dto), action);
        }
        let schema = serde_json::to_value(AuditActionDto::schema()).unwrap();
        let offered = schema["enum"].as_array().map_or(0, Vec::len);
        assert_eq!(offered, AuditAction::ALL.len());
    }
}
