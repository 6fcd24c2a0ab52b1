//! The order desk (STAFF-1): staff (shop managers and admins) list orders
//! without personal data, read one (audited, with `X-Access-Reason`) and
//! move it through its statuses (audited; the buyer is told by e-mail).

use actix_web::{HttpRequest, get, post, web};
use chrono::{DateTime, Utc};
use domain::FieldErrors;
use domain::identity::{BlindIndex as _, CustomerId, Email};
use domain::ids::OrderId;
use domain::pagination::Limit;
use domain::shop::order::{self, OrderFilter, StaffAction};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::auth::keys::{OrdersRead, OrdersWrite, StaffOrKey};
use crate::body::{Body, Params};
use crate::problem::{ApiError, BodyErrors, Problem, SignedInErrors};
use crate::routes::admin::customers::reason;
use crate::routes::common::{PageParams, validate};
use crate::routes::orders::{OrderDto, OrderPage, OrderStatusDto, one_more, order_id, page};
use crate::state::SharedState;

const NOT_FOUND: &str = "No order has this id.";

/// Filters and page of the order desk's list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrderListParams {
    /// Only orders in this status.
    #[param(inline)]
    pub status: Option<OrderStatusDto>,
    /// Only orders placed at or after this instant (RFC 3339, UTC or with
    /// an offset).
    #[param(value_type = Option<DateTime<Utc>>, example = "2026-11-01T00:00:00Z")]
    pub from: Option<String>,
    /// Only orders placed before this instant (RFC 3339, UTC or with an
    /// offset).
    #[param(value_type = Option<DateTime<Utc>>, example = "2026-12-01T00:00:00Z")]
    pub until: Option<String>,
    /// Only orders bought with this exact e-mail address (case-insensitive),
    /// whether or not the buyer has an account. Matched through a keyed
    /// hash: addresses are never searched in clear.
    #[param(min_length = 5, max_length = 254, example = "jeanne.dupont@example.fr")]
    pub email: Option<String>,
    /// Only the orders of this customer account (a UUID).
    #[param(value_type = Option<uuid::Uuid>)]
    pub customer_id: Option<String>,
    /// Page size, 1 to 100 (default 20).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100, example = 20)]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page; empty means the first page.
    #[param(max_length = 512, pattern = "^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
}

fn instant(f: &mut FieldErrors, field: &str, raw: Option<&str>) -> Option<DateTime<Utc>> {
    let raw = raw?;
    match DateTime::parse_from_rfc3339(raw) {
        Ok(t) => Some(t.with_timezone(&Utc)),
        Err(_) => {
            f.push_code(
                field,
                domain::FieldCode::InvalidFormat,
                "must be an RFC 3339 date-time, such as 2026-11-01T00:00:00Z",
            );
            None
        }
    }
}

/// Orders (staff), newest first, without personal data: no buyer, no
/// lines (read one for them, audited). Not an audited read.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_list_orders",
    security(("bearer" = []), ("api_key" = ["orders:read"])),
    params(OrderListParams),
    responses(
        (status = 200, description = "A page of orders", body = OrderPage),
        (status = 400, description = "A filter, the limit or the cursor is malformed", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[get("/v1/admin/orders")]
pub async fn admin_list_orders(
    state: SharedState,
    _staff: StaffOrKey<OrdersRead>,
    params: Params<OrderListParams>,
) -> Result<web::Json<OrderPage>, ApiError> {
    let p = params.read()?;
    let mut f = FieldErrors::default();
    let from = instant(&mut f, "from", p.from.as_deref());
    let until = instant(&mut f, "until", p.until.as_deref());
    let email = p
        .email
        .as_deref()
        .and_then(|e| f.take_coded("email", Email::parse(e)));
    let customer = p.customer_id.as_deref().and_then(|c| {
        f.take(
            "customer_id",
            c.parse::<CustomerId>().map_err(|_| "must be a UUID"),
        )
    });
    let paging = PageParams {
        limit: p.limit.clone(),
        cursor: p.cursor.clone(),
    }
    .parse("admin-orders");
    let (limit, before) = match paging {
        Ok(page) => page,
        // Every refused parameter at once.
        Err(ApiError::Validation(e)) => {
            for error in e.0 {
                f.push_error(error);
            }
            (Limit::DEFAULT, None)
        }
        Err(other) => return Err(other),
    };
    f.check()?;
    let filter = OrderFilter {
        status: p.status.map(Into::into),
        from,
        until,
        email_bidx: email.map(|e| state.index.email(&e)),
        customer,
        before: before.map(OrderId::from_uuid),
    };
    let items = order::staff_list(state.store.as_ref(), &filter, one_more(limit.get())).await?;
    Ok(web::Json(page(items, limit.get(), "admin-orders")))
}

/// Read an order (staff), with its buyer and lines: audited with
/// `X-Access-Reason`.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_get_order",
    security(("bearer" = []), ("api_key" = ["orders:read"])),
    params(
        ("order_id" = uuid::Uuid, Path, description = "The order's id"),
        ("X-Access-Reason" = String, Header, description = "Why this personal data is read: 3 to 200 printable ASCII characters (tabs allowed inside). An API key's stated purpose is recorded with it", example = "bank transfer received", min_length = 3, max_length = 200, pattern = r"^[!-~](?:[\t -~]*[!-~])?$"),
    ),
    responses(
        (status = 200, description = "The order", body = OrderDto),
        (status = 400, description = "`X-Access-Reason` is missing or malformed", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No order has this id", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[get("/v1/admin/orders/{order_id}")]
pub async fn admin_get_order(
    state: SharedState,
    staff: StaffOrKey<OrdersRead>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<web::Json<OrderDto>, ApiError> {
    let why = reason(&req)?;
    let id = order_id(&path, NOT_FOUND)?;
    let o = order::staff_read(
        state.store.as_ref(),
        state.clock.as_ref(),
        &staff.0,
        id,
        &why,
    )
    .await?;
    Ok(web::Json(OrderDto::for_staff(o)))
}

/// What staff do to an order:
///
/// - `mark_paid`: the bank transfer arrived: the order is paid
///   (`completed` when it holds only files, else `processing`).
/// - `hold`: hold it for a question or a fraud check (`on_hold`).
/// - `release`: release a held order: back to `pending_payment`, or to
///   `processing`/`completed` when it was paid.
/// - `complete`: the printed sets were shipped (`completed`).
/// - `cancel`: cancel it (`cancelled`).
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = OrderAction)]
pub enum OrderActionDto {
    /// Paid.
    MarkPaid,
    /// Hold.
    Hold,
    /// Release.
    Release,
    /// Shipped.
    Complete,
    /// Cancel.
    Cancel,
}

impl From<OrderActionDto> for StaffAction {
    fn from(a: OrderActionDto) -> Self {
        match a {
            OrderActionDto::MarkPaid => Self::MarkPaid,
            OrderActionDto::Hold => Self::Hold,
            OrderActionDto::Release => Self::Release,
            OrderActionDto::Complete => Self::Complete,
            OrderActionDto::Cancel => Self::Cancel,
        }
    }
}

/// An action on an order (the body of
/// `POST /v1/admin/orders/{order_id}/actions`).
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"action": "mark_paid", "note": "transfer received on 2026-11-22"}))]
#[schema(as = OrderActionInput)]
pub struct OrderActionRequest {
    /// What to do.
    pub action: OrderActionDto,
    /// Why, for the order's history: at most 500 characters, and never
    /// personal data (the history is kept as long as the order). Staff see
    /// it; the customer does not. Blank is the same as none.
    #[validate(length(max = 500))]
    #[schema(max_length = 500, example = "transfer received on 2026-11-22")]
    pub note: Option<String>,
}

/// Act on an order (staff): record a bank transfer, hold, release,
/// complete or cancel it. Audited; the buyer is told of the new status by
/// e-mail.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_order_action",
    security(("bearer" = []), ("api_key" = ["orders:write"])),
    params(("order_id" = uuid::Uuid, Path, description = "The order's id")),
    request_body = OrderActionRequest,
    responses(
        (status = 200, description = "The order, moved", body = OrderDto),
        (status = 404, description = "No order has this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`illegal-transition`: the order's status does not allow this action (`from` is its status, `to` the one the action leads to); `conflict`: the order changed meanwhile, read it again", body = Problem, content_type = "application/problem+json", examples(
            ("illegal-transition" = (summary = "A completed order cannot be held", value = json!({
                "type": "/problems/illegal-transition",
                "title": "The order cannot move to this status",
                "status": 409,
                "detail": "An order cannot go from completed to on_hold.",
                "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85",
                "from": "completed",
                "to": "on_hold"
            }))),
            ("conflict" = (summary = "The order changed meanwhile", value = json!({
                "type": "/problems/conflict",
                "title": "The request conflicts with the current state",
                "status": 409,
                "detail": "the order changed meanwhile; read it again",
                "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85"
            })))
        )),
        BodyErrors,
        SignedInErrors,
    )
)]
#[post("/v1/admin/orders/{order_id}/actions")]
pub async fn admin_order_action(
    state: SharedState,
    staff: StaffOrKey<OrdersWrite>,
    path: web::Path<String>,
    body: Body<OrderActionRequest>,
) -> Result<web::Json<OrderDto>, ApiError> {
    let id = order_id(&path, NOT_FOUND)?;
    let b = body.read().await?;
    validate(&b)?;
    let note = b
        .note
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    let o = order::staff_act(
        state.store.as_ref(),
        state.clock.as_ref(),
        &staff.0,
        id,
        b.action.into(),
        note,
        // Marking an order paid issues its invoice, naming the seller.
        &state.seller,
    )
    .await?;
    Ok(web::Json(OrderDto::for_staff(o)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_staff_action_has_its_wire_name() {
        for a in StaffAction::ALL {
            let dto: OrderActionDto =
                serde_json::from_value(serde_json::json!(a.as_str())).unwrap();
            assert_eq!(StaffAction::from(dto), a);
        }
    }

    #[test]
    fn instants_are_rfc_3339() {
        let mut f = FieldErrors::default();
        assert!(instant(&mut f, "from", Some("2026-11-01T00:00:00+01:00")).is_some());
        assert!(instant(&mut f, "from", None).is_none());
        assert!(f.is_empty());
        assert!(instant(&mut f, "until", Some("2026-11-01")).is_none());
        assert_eq!(f.0[0].field, "until");
    }
}
