//! Complaints and refund requests (SHOP-5): a customer (bearer token) or
//! a guest (`X-Order-Secret`) opens one on their order and writes in its
//! thread; staff see an inbox without personal data in
//! `/v1/admin/complaints`, read a thread (audited, `X-Access-Reason`),
//! answer (the buyer is mailed) and close it. Both sides see the thread.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use domain::ids::ComplaintId;
use domain::pagination::Limit;
use domain::shop::complaint::{
    self, Complaint, ComplaintFilter, ComplaintKind, ComplaintStatus, ComplaintSummary,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::{MaybeAuth, Staff};
use crate::body::{Body, Params};
use crate::problem::{ApiError, BodyErrors, MaybeSignedInErrors, Problem, SignedInErrors};
use crate::routes::admin::customers::reason;
use crate::routes::common::{PageParams, cursor_after, validate};
use crate::routes::orders::order_holder;
use crate::state::SharedState;

const NOT_OURS: &str = "No complaint of this order has this id.";
const UNKNOWN: &str = "No complaint has this id.";

/// What the customer asks for:
///
/// - `complaint`: something went wrong (a file, a delivery, a question
///   about the order).
/// - `refund_request`: the customer asks for their money back (a paid
///   order only); staff decide, and refund with
///   `POST /v1/admin/orders/{order_id}/refunds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ComplaintKind)]
pub enum ComplaintKindDto {
    /// Something went wrong.
    Complaint,
    /// Money back, please.
    RefundRequest,
}

impl From<ComplaintKindDto> for ComplaintKind {
    fn from(k: ComplaintKindDto) -> Self {
        match k {
            ComplaintKindDto::Complaint => Self::Complaint,
            ComplaintKindDto::RefundRequest => Self::RefundRequest,
        }
    }
}

impl From<ComplaintKind> for ComplaintKindDto {
    fn from(k: ComplaintKind) -> Self {
        match k {
            ComplaintKind::Complaint => Self::Complaint,
            ComplaintKind::RefundRequest => Self::RefundRequest,
        }
    }
}

/// Where a complaint stands:
///
/// - `open`: waiting for staff (just opened, or the customer wrote last).
/// - `answered`: staff answered last; the customer may write again.
/// - `closed`: closed by staff; it takes no more messages (open a new one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ComplaintStatus)]
pub enum ComplaintStatusDto {
    /// Waiting for staff.
    Open,
    /// Staff answered.
    Answered,
    /// Closed.
    Closed,
}

impl From<ComplaintStatusDto> for ComplaintStatus {
    fn from(s: ComplaintStatusDto) -> Self {
        match s {
            ComplaintStatusDto::Open => Self::Open,
            ComplaintStatusDto::Answered => Self::Answered,
            ComplaintStatusDto::Closed => Self::Closed,
        }
    }
}

impl From<ComplaintStatus> for ComplaintStatusDto {
    fn from(s: ComplaintStatus) -> Self {
        match s {
            ComplaintStatus::Open => Self::Open,
            ComplaintStatus::Answered => Self::Answered,
            ComplaintStatus::Closed => Self::Closed,
        }
    }
}

/// Who wrote a message:
///
/// - `customer`: the order's customer (or the guest with its secret).
/// - `staff`: the shop's staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ComplaintAuthor)]
pub enum ComplaintAuthorDto {
    /// The customer.
    Customer,
    /// Staff.
    Staff,
}

/// One message of a complaint's thread.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ComplaintMessage, example = json!({"author": "staff", "staff_id": null, "body": "Bonjour, le fichier est corrigé : vous pouvez le télécharger de nouveau.", "created_at": "2026-11-22T09:30:00Z"}))]
pub struct ComplaintMessageDto {
    /// Who wrote it.
    pub author: ComplaintAuthorDto,
    /// For staff's view: the staff member who wrote it (an account UUID);
    /// always `null` for the customer, who sees `staff` only.
    pub staff_id: Option<Uuid>,
    /// What it says (1 to 5,000 characters).
    pub body: String,
    /// When it was written (RFC 3339, UTC).
    pub created_at: DateTime<Utc>,
}

/// A complaint or refund request and its thread, as both sides see it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Complaint, example = json!({
    "id": "01a21fc4-7e8f-7a90-8b1c-2d3e4f5a6b7c",
    "order_id": "01a21fb3-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
    "kind": "complaint",
    "status": "answered",
    "created_at": "2026-11-22T08:12:00Z",
    "updated_at": "2026-11-22T09:30:00Z",
    "answered_at": "2026-11-22T09:30:00Z",
    "closed_at": null,
    "messages": [
        {"author": "customer", "staff_id": null, "body": "Le PDF du plan ne s'ouvre pas : le fichier semble abîmé.", "created_at": "2026-11-22T08:12:00Z"},
        {"author": "staff", "staff_id": null, "body": "Bonjour, le fichier est corrigé : vous pouvez le télécharger de nouveau.", "created_at": "2026-11-22T09:30:00Z"}
    ]
}))]
pub struct ComplaintDto {
    /// Complaint id (UUID v7).
    pub id: Uuid,
    /// The order it is about (a UUID).
    pub order_id: Uuid,
    /// What is asked for.
    pub kind: ComplaintKindDto,
    /// Where it stands.
    pub status: ComplaintStatusDto,
    /// When it was opened (RFC 3339, UTC).
    pub created_at: DateTime<Utc>,
    /// Its last message or change (RFC 3339, UTC).
    pub updated_at: DateTime<Utc>,
    /// Staff's last answer (RFC 3339, UTC); `null` before any.
    pub answered_at: Option<DateTime<Utc>>,
    /// When staff closed it (RFC 3339, UTC); `null` while open.
    pub closed_at: Option<DateTime<Utc>>,
    /// The thread, oldest first.
    pub messages: Vec<ComplaintMessageDto>,
}

impl ComplaintDto {
    fn new(c: Complaint, staff_view: bool) -> Self {
        let s = c.summary;
        Self {
            id: s.id.as_uuid(),
            order_id: s.order_id.as_uuid(),
            kind: s.kind.into(),
            status: s.status.into(),
            created_at: s.created_at,
            updated_at: s.updated_at,
            answered_at: s.answered_at,
            closed_at: s.closed_at,
            messages: c
                .messages
                .into_iter()
                .map(|m| ComplaintMessageDto {
                    author: if m.staff_id.is_some() {
                        ComplaintAuthorDto::Staff
                    } else {
                        ComplaintAuthorDto::Customer
                    },
                    staff_id: m.staff_id.filter(|_| staff_view).map(|s| s.as_uuid()),
                    body: m.body,
                    created_at: m.created_at,
                })
                .collect(),
        }
    }

    /// The thread as the customer sees it: staff are `staff`.
    #[must_use]
    pub fn for_holder(c: Complaint) -> Self {
        Self::new(c, false)
    }

    /// The thread as staff see it: who answered.
    #[must_use]
    pub fn for_staff(c: Complaint) -> Self {
        Self::new(c, true)
    }
}

/// An order's complaints and their threads, oldest first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ComplaintList, example = json!({"items": [{
    "id": "01a21fc4-7e8f-7a90-8b1c-2d3e4f5a6b7c",
    "order_id": "01a21fb3-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
    "kind": "refund_request",
    "status": "open",
    "created_at": "2026-11-22T08:12:00Z",
    "updated_at": "2026-11-22T08:12:00Z",
    "answered_at": null,
    "closed_at": null,
    "messages": [{"author": "customer", "staff_id": null, "body": "Je me suis trompé de plan : puis-je être remboursé ?", "created_at": "2026-11-22T08:12:00Z"}]
}]}))]
pub struct ComplaintList {
    /// The complaints, oldest first (an order takes at most 10).
    pub items: Vec<ComplaintDto>,
}

/// A new complaint (the body of `POST /v1/orders/{order_id}/complaints`).
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(as = ComplaintInput, example = json!({"kind": "complaint", "message": "Le PDF du plan ne s'ouvre pas : le fichier semble abîmé."}))]
pub struct OpenComplaintRequest {
    /// What is asked for (`refund_request`: a paid order only).
    pub kind: ComplaintKindDto,
    /// What happened: 10 to 5,000 characters. Staff read it; it is kept
    /// encrypted, with the order.
    #[validate(length(max = 5000))]
    #[schema(min_length = 10, max_length = 5000)]
    pub message: String,
}

/// A message (the body of
/// `POST /v1/orders/{order_id}/complaints/{complaint_id}/messages`).
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(as = ComplaintMessageInput, example = json!({"message": "Merci, le fichier s'ouvre maintenant."}))]
pub struct ComplaintMessageRequest {
    /// What the customer adds: 1 to 5,000 characters.
    #[validate(length(max = 5000))]
    #[schema(min_length = 1, max_length = 5000)]
    pub message: String,
}

fn complaint_id(raw: &str, not_found: &'static str) -> Result<ComplaintId, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::NotFound(not_found.into()))
}

/// Open a complaint or a refund request on an order: its customer with
/// the bearer token, or a guest with `X-Order-Secret`. Staff answer in its
/// thread (the buyer is e-mailed each answer).
///
/// A refund can be requested for a paid order only; an order takes at
/// most 10 complaints. Any other caller gets 404, never 403.
#[utoipa::path(
    tag = "orders",
    operation_id = "open_order_complaint",
    security(("bearer" = []), ("order_secret" = [])),
    params(("order_id" = Uuid, Path, description = "The order's id")),
    request_body = OpenComplaintRequest,
    responses(
        (status = 201, description = "Opened: the complaint and its first message", body = ComplaintDto, headers(
            ("Location" = String, description = "The order's complaints"),
        )),
        (status = 404, description = "No order has this id, or the caller may not use it", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A refund was requested for an unpaid order, the order has 10 complaints already, or its personal data were erased", body = Problem, content_type = "application/problem+json", example = json!({
            "type": "/problems/conflict",
            "title": "The request conflicts with the current state",
            "status": 409,
            "detail": "a refund can be requested for a paid order only; this one is pending_payment",
            "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85"
        })),
        BodyErrors,
        MaybeSignedInErrors,
    )
)]
#[post("/v1/orders/{order_id}/complaints")]
pub async fn open_order_complaint(
    state: SharedState,
    auth: MaybeAuth,
    req: HttpRequest,
    path: web::Path<String>,
    body: Body<OpenComplaintRequest>,
) -> Result<HttpResponse, ApiError> {
    let (holder, id) = order_holder(&state, &auth, &req, &path)?;
    let b = body.read().await?;
    validate(&b)?;
    let c = complaint::open(
        state.store.as_ref(),
        state.index.as_ref(),
        state.clock.as_ref(),
        &holder,
        id,
        b.kind.into(),
        &b.message,
    )
    .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/orders/{id}/complaints")))
        .json(ComplaintDto::for_holder(c)))
}

/// An order's complaints and their threads, oldest first: its customer
/// with the bearer token, or a guest with `X-Order-Secret`. Staff's
/// messages are signed `staff`.
#[utoipa::path(
    tag = "orders",
    operation_id = "list_order_complaints",
    security(("bearer" = []), ("order_secret" = [])),
    params(("order_id" = Uuid, Path, description = "The order's id")),
    responses(
        (status = 200, description = "The order's complaints", body = ComplaintList),
        (status = 404, description = "No order has this id, or the caller may not read it", body = Problem, content_type = "application/problem+json"),
        MaybeSignedInErrors,
    )
)]
#[get("/v1/orders/{order_id}/complaints")]
pub async fn list_order_complaints(
    state: SharedState,
    auth: MaybeAuth,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<web::Json<ComplaintList>, ApiError> {
    let (holder, id) = order_holder(&state, &auth, &req, &path)?;
    let items =
        complaint::of_order(state.store.as_ref(), state.index.as_ref(), &holder, id).await?;
    Ok(web::Json(ComplaintList {
        items: items.into_iter().map(ComplaintDto::for_holder).collect(),
    }))
}

/// Write in a complaint's thread: the order's customer with the bearer
/// token, or a guest with `X-Order-Secret`. The complaint waits for staff
/// again (`open`). A closed complaint takes no more messages.
#[utoipa::path(
    tag = "orders",
    operation_id = "add_order_complaint_message",
    security(("bearer" = []), ("order_secret" = [])),
    params(
        ("order_id" = Uuid, Path, description = "The order's id"),
        ("complaint_id" = Uuid, Path, description = "The complaint's id"),
    ),
    request_body = ComplaintMessageRequest,
    responses(
        (status = 201, description = "Added: the complaint and its thread", body = ComplaintDto),
        (status = 404, description = "No order has this id, the caller may not use it, or the order has no such complaint", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The complaint is closed, or its thread is full (100 messages): open a new one", body = Problem, content_type = "application/problem+json", example = json!({
            "type": "/problems/conflict",
            "title": "The request conflicts with the current state",
            "status": 409,
            "detail": "this complaint is closed: open a new one",
            "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85"
        })),
        BodyErrors,
        MaybeSignedInErrors,
    )
)]
#[post("/v1/orders/{order_id}/complaints/{complaint_id}/messages")]
pub async fn add_order_complaint_message(
    state: SharedState,
    auth: MaybeAuth,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: Body<ComplaintMessageRequest>,
) -> Result<HttpResponse, ApiError> {
    let (order, complaint) = path.into_inner();
    let (holder, order) = order_holder(&state, &auth, &req, &order)?;
    let complaint = complaint_id(&complaint, NOT_OURS)?;
    let b = body.read().await?;
    validate(&b)?;
    let c = complaint::write(
        state.store.as_ref(),
        state.index.as_ref(),
        state.clock.as_ref(),
        &holder,
        order,
        complaint,
        &b.message,
    )
    .await?;
    Ok(HttpResponse::Created().json(ComplaintDto::for_holder(c)))
}

/// A complaint in staff's inbox: no personal data (read it for its
/// thread, audited).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ComplaintSummary, example = json!({
    "id": "01a21fc4-7e8f-7a90-8b1c-2d3e4f5a6b7c",
    "order_id": "01a21fb3-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
    "customer_id": null,
    "kind": "refund_request",
    "status": "open",
    "created_at": "2026-11-22T08:12:00Z",
    "updated_at": "2026-11-22T08:12:00Z",
    "answered_at": null,
    "closed_at": null
}))]
pub struct ComplaintSummaryDto {
    /// Complaint id (UUID v7).
    pub id: Uuid,
    /// The order it is about (a UUID), for `/v1/admin/orders/{order_id}`.
    pub order_id: Uuid,
    /// The order's customer account (a UUID); `null` for a guest's order.
    pub customer_id: Option<Uuid>,
    /// What is asked for.
    pub kind: ComplaintKindDto,
    /// Where it stands.
    pub status: ComplaintStatusDto,
    /// When it was opened (RFC 3339, UTC).
    pub created_at: DateTime<Utc>,
    /// Its last message or change (RFC 3339, UTC).
    pub updated_at: DateTime<Utc>,
    /// Staff's last answer (RFC 3339, UTC); `null` before any.
    pub answered_at: Option<DateTime<Utc>>,
    /// When staff closed it (RFC 3339, UTC); `null` while open.
    pub closed_at: Option<DateTime<Utc>>,
}

impl From<ComplaintSummary> for ComplaintSummaryDto {
    fn from(s: ComplaintSummary) -> Self {
        Self {
            id: s.id.as_uuid(),
            order_id: s.order_id.as_uuid(),
            customer_id: s.customer_id.map(|c| c.as_uuid()),
            kind: s.kind.into(),
            status: s.status.into(),
            created_at: s.created_at,
            updated_at: s.updated_at,
            answered_at: s.answered_at,
            closed_at: s.closed_at,
        }
    }
}

/// A page of staff's inbox, newest first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ComplaintPage, example = json!({"items": [{
    "id": "01a21fc4-7e8f-7a90-8b1c-2d3e4f5a6b7c",
    "order_id": "01a21fb3-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
    "customer_id": "01a21fb0-2c4e-7a31-8f0d-5b6e7c8d9e01",
    "kind": "complaint",
    "status": "open",
    "created_at": "2026-11-22T08:12:00Z",
    "updated_at": "2026-11-22T08:12:00Z",
    "answered_at": null,
    "closed_at": null
}], "next_cursor": null}))]
pub struct ComplaintPage {
    /// The complaints of this page, newest first, at most `limit` of them.
    pub items: Vec<ComplaintSummaryDto>,
    /// Pass as `cursor` to get the next (older) page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Filters and page of staff's inbox.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ComplaintListParams {
    /// Only complaints in this status (`open`: waiting for staff).
    #[param(inline)]
    pub status: Option<ComplaintStatusDto>,
    /// Only complaints of this kind.
    #[param(inline)]
    pub kind: Option<ComplaintKindDto>,
    /// Page size, 1 to 100 (default 20).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100, example = 20)]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page; empty means the first page.
    #[param(max_length = 512, pattern = "^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
}

const LISTING: &str = "admin-complaints";

/// Complaints and refund requests (staff), newest first, without personal
/// data (read one for its thread, audited). Not an audited read.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_list_complaints",
    security(("bearer" = [])),
    params(ComplaintListParams),
    responses(
        (status = 200, description = "A page of complaints", body = ComplaintPage),
        (status = 400, description = "A filter, the limit or the cursor is malformed", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[get("/v1/admin/complaints")]
pub async fn admin_list_complaints(
    state: SharedState,
    _staff: Staff,
    params: Params<ComplaintListParams>,
) -> Result<web::Json<ComplaintPage>, ApiError> {
    let p = params.read()?;
    let (limit, before): (Limit, _) = PageParams {
        limit: p.limit.clone(),
        cursor: p.cursor.clone(),
    }
    .parse(LISTING)?;
    let filter = ComplaintFilter {
        status: p.status.map(Into::into),
        kind: p.kind.map(Into::into),
        order: None,
        before: before.map(ComplaintId::from_uuid),
    };
    let mut items = complaint::staff_list(
        state.store.as_ref(),
        &filter,
        u64::try_from(limit.get())
            .unwrap_or(u64::MAX)
            .saturating_add(1),
    )
    .await?;
    let next_cursor = if items.len() > limit.get() {
        items.truncate(limit.get());
        items.last().map(|c| cursor_after(LISTING, c.id.as_uuid()))
    } else {
        None
    };
    Ok(web::Json(ComplaintPage {
        items: items.into_iter().map(Into::into).collect(),
        next_cursor,
    }))
}

/// Read a complaint and its thread (staff): audited with
/// `X-Access-Reason`.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_get_complaint",
    security(("bearer" = [])),
    params(
        ("complaint_id" = Uuid, Path, description = "The complaint's id"),
        ("X-Access-Reason" = String, Header, description = "Why this personal data is read: 3 to 200 printable ASCII characters (tabs allowed inside)", example = "answering the complaint", min_length = 3, max_length = 200, pattern = r"^[!-~](?:[\t -~]*[!-~])?$"),
    ),
    responses(
        (status = 200, description = "The complaint and its thread", body = ComplaintDto),
        (status = 400, description = "`X-Access-Reason` is missing or malformed", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No complaint has this id (or its buyer's data were erased)", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[get("/v1/admin/complaints/{complaint_id}")]
pub async fn admin_get_complaint(
    state: SharedState,
    staff: Staff,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<web::Json<ComplaintDto>, ApiError> {
    let why = reason(&req)?;
    let id = complaint_id(&path, UNKNOWN)?;
    let c = complaint::staff_read(
        state.store.as_ref(),
        state.clock.as_ref(),
        &staff.0,
        id,
        &why,
    )
    .await?;
    Ok(web::Json(ComplaintDto::for_staff(c)))
}

/// An answer (the body of `POST /v1/admin/complaints/{complaint_id}/answers`).
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(as = ComplaintAnswerInput, example = json!({"body": "Bonjour, le fichier est corrigé : vous pouvez le télécharger de nouveau."}))]
pub struct ComplaintAnswerRequest {
    /// The answer: 1 to 5,000 characters, e-mailed to the buyer and added
    /// to the thread.
    #[validate(length(max = 5000))]
    #[schema(min_length = 1, max_length = 5000)]
    pub body: String,
}

/// Answer a complaint (staff): the answer joins the thread, the complaint
/// is `answered`, and the buyer is e-mailed the answer. Audited.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_answer_complaint",
    security(("bearer" = [])),
    params(("complaint_id" = Uuid, Path, description = "The complaint's id")),
    request_body = ComplaintAnswerRequest,
    responses(
        (status = 201, description = "Answered: the complaint and its thread", body = ComplaintDto),
        (status = 404, description = "No complaint has this id (or its buyer's data were erased)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The complaint is closed, or its thread is full", body = Problem, content_type = "application/problem+json", example = json!({
            "type": "/problems/conflict",
            "title": "The request conflicts with the current state",
            "status": 409,
            "detail": "this complaint is closed: open a new one",
            "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85"
        })),
        BodyErrors,
        SignedInErrors,
    )
)]
#[post("/v1/admin/complaints/{complaint_id}/answers")]
pub async fn admin_answer_complaint(
    state: SharedState,
    staff: Staff,
    path: web::Path<String>,
    body: Body<ComplaintAnswerRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = complaint_id(&path, UNKNOWN)?;
    let b = body.read().await?;
    validate(&b)?;
    let c = complaint::staff_answer(
        state.store.as_ref(),
        state.clock.as_ref(),
        &staff.0,
        id,
        &b.body,
    )
    .await?;
    Ok(HttpResponse::Created().json(ComplaintDto::for_staff(c)))
}

/// Close a complaint (staff): it takes no more messages. Audited; closing
/// a closed complaint changes nothing.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_close_complaint",
    security(("bearer" = [])),
    params(("complaint_id" = Uuid, Path, description = "The complaint's id")),
    responses(
        (status = 200, description = "Closed", body = ComplaintSummaryDto),
        (status = 404, description = "No complaint has this id", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[post("/v1/admin/complaints/{complaint_id}/close")]
pub async fn admin_close_complaint(
    state: SharedState,
    staff: Staff,
    path: web::Path<String>,
) -> Result<web::Json<ComplaintSummaryDto>, ApiError> {
    let id = complaint_id(&path, UNKNOWN)?;
    let c =
        complaint::staff_close(state.store.as_ref(), state.clock.as_ref(), &staff.0, id).await?;
    Ok(web::Json(c.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_and_status_has_its_wire_name() {
        for k in ComplaintKind::ALL {
            let dto = ComplaintKindDto::from(k);
            assert_eq!(
                serde_json::to_value(dto).unwrap(),
                serde_json::json!(k.as_str())
            );
            assert_eq!(ComplaintKind::from(dto), k);
        }
        for s in ComplaintStatus::ALL {
            let dto = ComplaintStatusDto::from(s);
            assert_eq!(
                serde_json::to_value(dto).unwrap(),
                serde_json::json!(s.as_str())
            );
            assert_eq!(ComplaintStatus::from(dto), s);
        }
    }

    #[test]
    fn customers_see_staff_as_staff() {
        let at = Utc::now();
        let staff = domain::identity::CustomerId::new();
        let c = Complaint {
            summary: ComplaintSummary {
                id: ComplaintId::new(),
                order_id: domain::ids::OrderId::new(),
                customer_id: None,
                kind: ComplaintKind::Complaint,
                status: ComplaintStatus::Answered,
                created_at: at,
                updated_at: at,
                answered_at: Some(at),
                closed_at: None,
            },
            subject: domain::subject::SubjectId::from_uuid(Uuid::now_v7()),
            messages: vec![
                domain::shop::complaint::ComplaintMessage {
                    staff_id: None,
                    body: "x".into(),
                    created_at: at,
                },
                domain::shop::complaint::ComplaintMessage {
                    staff_id: Some(staff),
                    body: "y".into(),
                    created_at: at,
                },
            ],
        };
        let seen = ComplaintDto::for_holder(c.clone());
        assert_eq!(seen.messages[0].author, ComplaintAuthorDto::Customer);
        assert_eq!(seen.messages[1].author, ComplaintAuthorDto::Staff);
        assert_eq!(seen.messages[1].staff_id, None);
        let staff_view = ComplaintDto::for_staff(c);
        assert_eq!(staff_view.messages[1].staff_id, Some(staff.as_uuid()));
    }
}
