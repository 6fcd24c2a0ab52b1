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

/// One entry of the security audit log; entries are kept 1 year.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "seq": 1842,
    "at": "2026-11-27T10:03:19.482113Z",
    "actor": "01a21fb2-7d8e-7f90-a1b2-c3d4e5f6a7b8",
    "action": "personal_data_accessed",
    "target": "customer:01a21fb0-2c4e-7a31-8f0d-5b6e7c8d9e01",
    "source": "203.0.113.0/24",
    "reason": "order 2026-0042 refund",
    "prev_hash": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "hash": "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"
}))]
pub struct AuditEntry {
    /// Position in the hash chain: 1 for the first entry, then one more per
    /// entry.
    pub seq: i64,
    /// When it happened (RFC 3339, UTC, to the microsecond).
    pub at: DateTime<Utc>,
    /// Who acted: an account id (UUID v7), `anonymous` (no one signed in)
    /// or `system` (the shop itself: command line, background jobs).
    pub actor: String,
    /// What happened (see `AuditAction` for each value).
    #[schema(value_type = AuditActionDto)]
    pub action: String,
    /// What it happened to, by id only: `customer:<id>`, `product:<id>`,
    /// `source:<net>`...; `null` when nothing in particular.
    pub target: Option<String>,
    /// The request's source address, truncated: an IPv4 address to its
    /// /24, an IPv6 address to its /48; `null` without a request (command
    /// line, background jobs).
    #[schema(example = "203.0.113.0/24")]
    pub source: Option<String>,
    /// Why: the staff member's `X-Access-Reason` for
    /// `personal_data_accessed`, the kind of failure for a failed login...;
    /// `null` when there is nothing to add.
    pub reason: Option<String>,
    /// The previous entry's `hash` (64 hex digits), empty for the first
    /// entry: the link that `GET /v1/admin/audit-log/verify` checks.
    pub prev_hash: String,
    /// SHA-256 of this entry's fields and `prev_hash`, 64 hex digits.
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
#[schema(example = json!({"items": [{
    "seq": 1842,
    "at": "2026-11-27T10:03:19.482113Z",
    "actor": "01a21fb2-7d8e-7f90-a1b2-c3d4e5f6a7b8",
    "action": "personal_data_accessed",
    "target": "customer:01a21fb0-2c4e-7a31-8f0d-5b6e7c8d9e01",
    "source": "203.0.113.0/24",
    "reason": "order 2026-0042 refund",
    "prev_hash": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "hash": "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"
}], "next_cursor": "cDJ8YXVkaXR8MTg0Mg"}))]
pub struct AuditPage {
    /// The entries of this page matching the filters, newest first, at most
    /// `limit` of them.
    pub items: Vec<AuditEntry>,
    /// Pass as `cursor` (with the same filters) to get the next page; `null`
    /// on the last page.
    pub next_cursor: Option<String>,
}

/// An audited action, by its stable wire name:
///
/// - `login_succeeded`: a successful login.
/// - `login_failed`: a login with a wrong password or an unknown address.
/// - `account_locked`: an account was locked for one source address after
///   repeated failed logins.
/// - `source_banned`: a source address was banned for an hour.
/// - `lock_lifted`: an administrator lifted a lock or a ban.
/// - `logged_out`: a session ended by logout.
/// - `session_revoked`: a session ended by its owner from another session
///   (one, or "log out other devices").
/// - `account_created`: an account was created (registration, or staff by
///   an administrator or the command line).
/// - `password_changed`: a password was changed by its owner.
/// - `password_reset`: a password was set with a single-use link token
///   (reset or set-password link).
/// - `email_changed`: an account's e-mail address was changed.
/// - `role_changed`: an account's role was granted or changed.
/// - `personal_data_accessed`: staff or an API key (actor `key:<id>`,
///   `reason` naming the key) read a customer's record or an order;
///   `reason` says why.
/// - `catalogue_changed`: a plan was created, changed, published,
///   unpublished or deleted.
/// - `subject_key_destroyed`: a data subject's key was destroyed, which
///   erases their personal data from every copy.
/// - `legal_document_published`: a new version of a legal document was published.
/// - `consent_purpose_defined`: an administrator defined a consent purpose.
/// - `consent_withdrawn_by_staff`: staff recorded a person's objection to the newsletter and commercial e-mails; `reason` says how it came.
/// - `campaign_changed`: a newsletter campaign was created, changed, scheduled, sent, cancelled or deleted.
/// - `campaign_sent`: a campaign finished queuing its letters; `reason` gives the count.
/// - `contact_message_answered`: staff answered a contact message.
/// - `contact_message_changed`: a contact message was closed, reopened or handed to the data-subject rights workflow.
/// - `article_changed`: an article was created, changed or deleted.
/// - `comment_moderated`: a comment was approved, marked as spam or deleted.
/// - `order_status_changed`: staff moved an order (marked it paid, held, released, completed or cancelled it); `reason` gives the move.
/// - `coupon_changed`: staff created, replaced or deleted a coupon; `reason` says which and names its code.
/// - `review_moderated`: staff approved or rejected a review of a plan; `reason` gives the new status.
/// - `order_refunded`: staff refunded an order, fully or in part; `reason` gives the amount, the credit note, the move and staff's reason.
/// - `complaint_answered`: staff answered a customer's complaint or refund request.
/// - `complaint_changed`: staff closed a complaint or refund request.
/// - `retention_run`: a retention run purged what was past its period (the
///   reason lists the counts per category).
/// - `personal_data_exported`: a customer downloaded the export of their
///   data.
/// - `account_erased`: a customer erased their account.
/// - `breach_recorded`: an admin recorded a breach in the register.
/// - `breach_notified`: the supervisory authority or the people concerned
///   were told of a breach.
/// - `dpo_request_changed`: a request received by the DPO was recorded,
///   verified, extended, answered or lifted.
/// - `api_key_changed`: an admin created, rotated or revoked an API key
///   (`target` `api_key:<id>`; `reason` names it, its scopes and purpose).
/// - `webhook_endpoint_changed`: a webhook endpoint was registered,
///   changed (including its opt-in to personal data), deleted, disabled
///   after repeated failure, or a delivery replayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = AuditAction)]
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
    /// A legal document version was published.
    LegalDocumentPublished,
    /// A consent purpose was defined.
    ConsentPurposeDefined,
    /// Staff recorded an objection.
    ConsentWithdrawnByStaff,
    /// A campaign changed.
    CampaignChanged,
    /// A campaign queued its last letter.
    CampaignSent,
    /// A contact message was answered.
    ContactMessageAnswered,
    /// A contact message changed.
    ContactMessageChanged,
    /// An article changed.
    ArticleChanged,
    /// A comment was moderated.
    CommentModerated,
    /// Staff changed an order's status.
    OrderStatusChanged,
    /// Staff created, changed or deleted a coupon.
    CouponChanged,
    /// Staff moderated a review.
    ReviewModerated,
    /// Staff refunded an order.
    OrderRefunded,
    /// Staff answered a complaint.
    ComplaintAnswered,
    /// Staff closed a complaint.
    ComplaintChanged,
    /// A retention run.
    RetentionRun,
    /// A customer's data export.
    PersonalDataExported,
    /// An account erased by its owner.
    AccountErased,
    /// A breach recorded.
    BreachRecorded,
    /// A breach notified.
    BreachNotified,
    /// A DPO request changed.
    DpoRequestChanged,
    /// An API key was created, rotated or revoked.
    ApiKeyChanged,
    /// A webhook endpoint was registered, changed, deleted or disabled, or
    /// a delivery replayed.
    WebhookEndpointChanged,
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
            AuditActionDto::LegalDocumentPublished => Self::LegalDocumentPublished,
            AuditActionDto::ConsentPurposeDefined => Self::ConsentPurposeDefined,
            AuditActionDto::ConsentWithdrawnByStaff => Self::ConsentWithdrawnByStaff,
            AuditActionDto::CampaignChanged => Self::CampaignChanged,
            AuditActionDto::CampaignSent => Self::CampaignSent,
            AuditActionDto::ContactMessageAnswered => Self::ContactMessageAnswered,
            AuditActionDto::ContactMessageChanged => Self::ContactMessageChanged,
            AuditActionDto::ArticleChanged => Self::ArticleChanged,
            AuditActionDto::CommentModerated => Self::CommentModerated,
            AuditActionDto::OrderStatusChanged => Self::OrderStatusChanged,
            AuditActionDto::CouponChanged => Self::CouponChanged,
            AuditActionDto::ReviewModerated => Self::ReviewModerated,
            AuditActionDto::OrderRefunded => Self::OrderRefunded,
            AuditActionDto::ComplaintAnswered => Self::ComplaintAnswered,
            AuditActionDto::ComplaintChanged => Self::ComplaintChanged,
            AuditActionDto::RetentionRun => Self::RetentionRun,
            AuditActionDto::PersonalDataExported => Self::PersonalDataExported,
            AuditActionDto::AccountErased => Self::AccountErased,
            AuditActionDto::BreachRecorded => Self::BreachRecorded,
            AuditActionDto::BreachNotified => Self::BreachNotified,
            AuditActionDto::DpoRequestChanged => Self::DpoRequestChanged,
            AuditActionDto::ApiKeyChanged => Self::ApiKeyChanged,
            AuditActionDto::WebhookEndpointChanged => Self::WebhookEndpointChanged,
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
    /// Only this actor (an account id, `key:<id>` for an API key,
    /// `anonymous`, `system`).
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

/// The result of checking the audit log's hash chain, from its first entry.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"valid": true, "checked": 1842, "first_broken_seq": null, "problem": null}))]
pub struct AuditVerification {
    /// `true` when every entry's hash matches its fields and every entry
    /// links to the one before it, with no gap in `seq`.
    pub valid: bool,
    /// How many entries were checked before the first broken link (all of
    /// them when valid).
    pub checked: i64,
    /// The `seq` of the first entry that does not verify; `null` when valid.
    pub first_broken_seq: Option<i64>,
    /// What is wrong with that entry, in English (`an entry is missing`,
    /// `the link to the previous entry does not match`, `the entry was
    /// altered`); `null` when valid.
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

/// What a block refuses:
///
/// - `account_source_lock`: logins to one account from one source address,
///   after 5 failures (then for 1, 2, 4... minutes); a password reset lifts
///   it.
/// - `source_ban`: logins, link tokens and requests to private areas from
///   one source address, for an hour, after 20 failed logins or invalid
///   link tokens, or 20 unauthenticated requests to private areas, within
///   an hour.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)] // documentation only: the store names the kind
pub enum BlockKind {
    /// A lock of one account for one source.
    AccountSourceLock,
    /// A ban of one source.
    SourceBan,
}

/// A lock (account + source) or ban (source) in force.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "as:3f7a9c1e5b2d8f40a6c9e1b3d5f7a9c1:8e0d2b4f6a1c3e5d",
    "kind": "account_source_lock",
    "source": "203.0.113.0/24",
    "customer_id": "01a21fb0-2c4e-7a31-8f0d-5b6e7c8d9e01",
    "count": 6,
    "blocked_until": "2026-11-27T10:05:19Z"
}))]
pub struct Block {
    /// Opaque id (keyed hashes, never an address), for
    /// `DELETE /v1/admin/security/blocks/{block_id}`.
    pub id: String,
    /// What it refuses (see `BlockKind`).
    #[schema(value_type = BlockKind)]
    pub kind: String,
    /// The blocked source address, truncated (IPv4 /24, IPv6 /48); `null`
    /// when unknown.
    pub source: Option<String>,
    /// The locked account (UUID v7), for locks of known accounts; `null`
    /// for bans and for locks of addresses without an account.
    pub customer_id: Option<uuid::Uuid>,
    /// How many failures (or unauthenticated probes) were counted.
    pub count: i32,
    /// When it ends by itself (RFC 3339, UTC).
    pub blocked_until: DateTime<Utc>,
}

/// The locks and bans in force now, on one page.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "items": [{
        "id": "ban:8e0d2b4f6a1c3e5d",
        "kind": "source_ban",
        "source": "198.51.100.0/24",
        "customer_id": null,
        "count": 20,
        "blocked_until": "2026-11-27T11:02:40Z"
    }],
    "next_cursor": null
}))]
pub struct BlockPage {
    /// Every lock and ban in force now, the last to end first.
    pub items: Vec<Block>,
    /// Always `null`: every block is on this page.
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
