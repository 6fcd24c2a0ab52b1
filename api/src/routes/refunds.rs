//! Refunds (SHOP-5): staff refund an order fully or in part, with a
//! reason, never above what was paid; through Stripe when it was paid
//! there, recorded for a bank transfer (staff send the money back). Each
//! refund issues a credit note; a full refund moves the order to
//! `refunded`, which revokes its download links.

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use domain::FieldErrors;
use domain::idempotency::Caller;
use domain::money::{Currency, Money};
use domain::shop::refund::{self, OrderRefunds, RefundRecord, RefundStatus};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use crate::auth::Staff;
use crate::auth::keys::{OrdersRead, StaffOrKey};
use crate::idempotency::{Answer, IdempotencyKeyHeader, IdempotentBody};
use crate::problem::{ApiError, BodyErrors, Problem, SignedInErrors};
use crate::routes::common::validate;
use crate::routes::orders::{OrderDto, PaymentMethodDto, order_id};
use crate::routes::products::dto::MoneyDto;
use crate::state::SharedState;

const NOT_FOUND: &str = "No order has this id.";

/// Where a refund stands:
///
/// - `pending`: asked of Stripe, its answer not recorded yet; its amount
///   counts as refunded, so no other refund can exceed the payment.
/// - `succeeded`: made (through Stripe), or recorded (a bank-transfer
///   order: staff send the money back by transfer); its credit note is
///   issued.
/// - `failed`: Stripe refused or did not answer: nothing was refunded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = RefundStatus)]
pub enum RefundStatusDto {
    /// Under way.
    Pending,
    /// Made.
    Succeeded,
    /// Not made.
    Failed,
}

impl From<RefundStatus> for RefundStatusDto {
    fn from(s: RefundStatus) -> Self {
        match s {
            RefundStatus::Pending => Self::Pending,
            RefundStatus::Succeeded => Self::Succeeded,
            RefundStatus::Failed => Self::Failed,
        }
    }
}

/// A refund of an order (no personal data).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Refund, example = json!({
    "id": "01a21fc0-5d6e-7f80-9a1b-2c3d4e5f6a7b",
    "order_id": "01a21fb3-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
    "amount": {"amount": 5000, "currency": "EUR"},
    "method": "stripe",
    "status": "succeeded",
    "reason": "plan delivered late: commercial gesture",
    "provider_refund_id": "re_3QAbCdEfGhIjKlMn",
    "credit_note_number": "A-2026-000001",
    "staff_id": "01a21fb0-2c4e-7a31-8f0d-5b6e7c8d9e01",
    "created_at": "2026-11-22T10:15:00Z",
    "updated_at": "2026-11-22T10:15:01Z"
}))]
pub struct RefundDto {
    /// Refund id (UUID v7).
    pub id: Uuid,
    /// The order refunded (a UUID).
    pub order_id: Uuid,
    /// How much is given back, VAT included: a whole number of cents and
    /// its currency.
    pub amount: MoneyDto,
    /// How the money goes back: through Stripe (`stripe`), or by a bank
    /// transfer staff make (`bank_transfer`), as the order was paid.
    pub method: PaymentMethodDto,
    /// Where it stands.
    pub status: RefundStatusDto,
    /// Staff's reason, printed on the credit note.
    pub reason: String,
    /// Stripe's refund id (`re_...`) once Stripe made it; `null` for a
    /// bank transfer.
    pub provider_refund_id: Option<String>,
    /// The number of the credit note it issued (`A-2026-000001`), in the
    /// order's invoice documents (`GET /v1/orders/{order_id}/invoice`);
    /// `null` until it succeeded.
    pub credit_note_number: Option<String>,
    /// The staff member who refunded (an account UUID).
    pub staff_id: Uuid,
    /// When it was asked for (RFC 3339, UTC).
    pub created_at: DateTime<Utc>,
    /// When it last changed (RFC 3339, UTC).
    pub updated_at: DateTime<Utc>,
}

impl From<RefundRecord> for RefundDto {
    fn from(r: RefundRecord) -> Self {
        Self {
            id: r.id.as_uuid(),
            order_id: r.order_id.as_uuid(),
            amount: Money::new(r.amount, r.currency).map_or_else(
                |_| MoneyDto {
                    amount: r.amount,
                    currency: r.currency.as_str().to_owned(),
                },
                MoneyDto::from,
            ),
            method: r.method.into(),
            status: r.status.into(),
            reason: r.reason,
            provider_refund_id: r.provider_refund_id,
            credit_note_number: r.credit_note,
            staff_id: r.staff_id.as_uuid(),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// An order's refunds, oldest first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = RefundList, example = json!({"items": [{
    "id": "01a21fc0-5d6e-7f80-9a1b-2c3d4e5f6a7b",
    "order_id": "01a21fb3-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
    "amount": {"amount": 5000, "currency": "EUR"},
    "method": "bank_transfer",
    "status": "succeeded",
    "reason": "plan delivered late: commercial gesture",
    "provider_refund_id": null,
    "credit_note_number": "A-2026-000001",
    "staff_id": "01a21fb0-2c4e-7a31-8f0d-5b6e7c8d9e01",
    "created_at": "2026-11-22T10:15:00Z",
    "updated_at": "2026-11-22T10:15:00Z"
}]}))]
pub struct RefundList {
    /// The refunds, oldest first (all of them: an order has few).
    pub items: Vec<RefundDto>,
}

/// An order after a refund, with all its refunds.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = OrderRefunds, example = json!({
    "order": {
        "id": "01a21fb3-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
        "number": "BQ-7C8D9E-0F1A2B",
        "status": "partially_refunded",
        "payment_method": "bank_transfer",
        "customer_id": null,
        "country": "FR",
        "language": "fr",
        "lines": [{
            "product_id": "01a21faf-9618-77eb-b003-08a5b1c2d3e4",
            "format_id": "01a21faf-9618-77eb-b003-08a737d60ad2",
            "slug": "maison-contemporaine-129",
            "title": "Maison contemporaine de 129 m²",
            "kind": "pdf",
            "sku": "BTQ-021-PDF",
            "quantity": 1,
            "unit_price": {"amount": 80000, "currency": "EUR"},
            "unit_net": {"amount": 66667, "currency": "EUR"},
            "vat_rate_bp": 2000,
            "discount_net": {"amount": 0, "currency": "EUR"},
            "net": {"amount": 66667, "currency": "EUR"},
            "vat": {"amount": 13333, "currency": "EUR"},
            "gross": {"amount": 80000, "currency": "EUR"}
        }],
        "shipping": null,
        "totals": {
            "goods_net": {"amount": 66667, "currency": "EUR"},
            "discount_net": {"amount": 0, "currency": "EUR"},
            "shipping_net": {"amount": 0, "currency": "EUR"},
            "net": {"amount": 66667, "currency": "EUR"},
            "vat": {"amount": 13333, "currency": "EUR"},
            "total": {"amount": 80000, "currency": "EUR"}
        },
        "buyer": {"email": "jeanne.dupont@example.fr", "name": "Jeanne Dupont", "phone": null, "billing_address": {"full_name": "Jeanne Dupont", "line1": "12 rue des Lilas", "line2": null, "postal_code": "69003", "city": "Lyon", "country": "FR"}, "shipping_address": null},
        "events": [
            {"from": null, "to": "pending_payment", "at": "2026-11-20T17:42:31Z", "actor": "customer", "note": null},
            {"from": "pending_payment", "to": "completed", "at": "2026-11-21T09:00:00Z", "actor": "staff:01a21fb0-2c4e-7a31-8f0d-5b6e7c8d9e01", "note": "transfer received"},
            {"from": "completed", "to": "partially_refunded", "at": "2026-11-22T10:15:00Z", "actor": "staff:01a21fb0-2c4e-7a31-8f0d-5b6e7c8d9e01", "note": "refund of 50.00 EUR (credit note A-2026-000001): plan delivered late: commercial gesture"}
        ],
        "created_at": "2026-11-20T17:42:31Z",
        "status_changed_at": "2026-11-22T10:15:00Z",
        "paid_at": "2026-11-21T09:00:00Z"
    },
    "refunds": [{
        "id": "01a21fc0-5d6e-7f80-9a1b-2c3d4e5f6a7b",
        "order_id": "01a21fb3-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
        "amount": {"amount": 5000, "currency": "EUR"},
        "method": "bank_transfer",
        "status": "succeeded",
        "reason": "plan delivered late: commercial gesture",
        "provider_refund_id": null,
        "credit_note_number": "A-2026-000001",
        "staff_id": "01a21fb0-2c4e-7a31-8f0d-5b6e7c8d9e01",
        "created_at": "2026-11-22T10:15:00Z",
        "updated_at": "2026-11-22T10:15:00Z"
    }]
}))]
pub struct OrderRefundsDto {
    /// The order as it is now, as staff see it.
    pub order: OrderDto,
    /// All its refunds, oldest first.
    pub refunds: Vec<RefundDto>,
}

impl From<OrderRefunds> for OrderRefundsDto {
    fn from(r: OrderRefunds) -> Self {
        Self {
            order: OrderDto::for_staff(r.order),
            refunds: r.refunds.into_iter().map(Into::into).collect(),
        }
    }
}

/// `null`, or a whole number of cents (`5000.0` is 5000).
fn optional_cents<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    use serde::de::Error as _;
    Option::<serde_json::Number>::deserialize(d)?
        .map(|n| {
            n.as_u64()
                .or_else(|| {
                    n.as_f64()
                        .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < 1e15)
                        .map(|f| f as u64)
                })
                .ok_or_else(|| D::Error::custom("expected a whole number of cents"))
        })
        .transpose()
}

/// A refund (the body of `POST /v1/admin/orders/{order_id}/refunds`).
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(as = RefundInput, example = json!({"amount": 5000, "currency": "EUR", "reason": "plan delivered late: commercial gesture"}))]
pub struct RefundRequest {
    /// How much to give back, VAT included, in cents (minor units of
    /// `currency`): 5000 is 50.00 EUR. At most what is left of the payment
    /// (what was paid minus the refunds made or under way): above, the
    /// refund is refused (409 `/problems/refund-exceeds-payment`). Absent
    /// or `null`: all that is left (a full refund).
    #[serde(default, deserialize_with = "optional_cents")]
    #[schema(value_type = Option<u64>, minimum = 1, maximum = 100_000_000, example = 5000)]
    pub amount: Option<u64>,
    /// Currency of `amount`, ISO 4217: `EUR`, the one currency the shop
    /// sells in. Optional.
    #[validate(length(max = 3))]
    #[schema(value_type = Option<crate::routes::admin::products::SellingCurrency>)]
    pub currency: Option<String>,
    /// Why: 3 to 500 characters, printed on the credit note and kept in
    /// the order's history and the audit log. About the order, never
    /// about the person (no names, addresses or health details).
    #[validate(length(max = 500))]
    #[schema(
        min_length = 3,
        max_length = 500,
        example = "plan delivered late: commercial gesture"
    )]
    pub reason: String,
}

/// Refund an order (staff), fully or in part, with a reason. Audited.
///
/// Only a paid order (`processing`, `completed`, `partially_refunded`)
/// is refunded, and never above what was paid: the amount is at most what
/// is left (what was paid minus the refunds made or under way). An order
/// paid by card is refunded through Stripe (nothing changes when Stripe
/// refuses: 503); one paid by bank transfer is recorded, and staff send
/// the money back by transfer. Each refund issues a credit note
/// (`A-2026-000001`, numbered like invoices, with the order's invoice
/// documents) and moves the order to `partially_refunded`, or `refunded`
/// once all is given back, which ends its download links. The buyer is
/// told by e-mail. Concurrent refunds of one order take turns: together
/// they never exceed the payment.
///
/// Send an `Idempotency-Key` to retry safely: a refund is made once per
/// key.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_refund_order",
    security(("bearer" = [])),
    params(
        ("order_id" = Uuid, Path, description = "The order's id"),
        IdempotencyKeyHeader,
    ),
    request_body = RefundRequest,
    responses(
        (status = 201, description = "Refunded: the order as it is now, with all its refunds", body = OrderRefundsDto, headers(
            ("Location" = String, description = "The order's refunds"),
            ("Idempotent-Replayed" = String, description = "`true` when this is the recorded answer of an earlier request with the same `Idempotency-Key`"),
        )),
        (status = 404, description = "No order has this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`refund-exceeds-payment`: the amount is above what is left of the payment, or nothing is left; `illegal-transition`: the order was never paid (or is held, failed, cancelled); `conflict`: the order changed meanwhile; `idempotency-key-in-use`: a request with this `Idempotency-Key` is still being processed", body = Problem, content_type = "application/problem+json", examples(
            ("refund-exceeds-payment" = (summary = "Above what is left of the payment", value = json!({
                "type": "/problems/refund-exceeds-payment",
                "title": "The refund exceeds what is left of the payment",
                "status": 409,
                "detail": "At most 750.00 EUR can still be refunded on this order (what was paid minus its refunds, those under way included); 800.00 EUR was asked.",
                "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85"
            }))),
            ("illegal-transition" = (summary = "The order was never paid", value = json!({
                "type": "/problems/illegal-transition",
                "title": "The order cannot move to this status",
                "status": 409,
                "detail": "An order cannot go from pending_payment to refunded.",
                "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85",
                "from": "pending_payment",
                "to": "refunded"
            }))),
            ("conflict" = (summary = "The order changed meanwhile", value = json!({
                "type": "/problems/conflict",
                "title": "The request conflicts with the current state",
                "status": 409,
                "detail": "the order changed meanwhile; read it again",
                "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85"
            }))),
            ("idempotency-key-in-use" = (summary = "The same request is still being processed", value = json!({
                "type": "/problems/idempotency-key-in-use",
                "title": "A request with this Idempotency-Key is still being processed",
                "status": 409,
                "detail": "A request with this Idempotency-Key is still being processed; retry in a moment to get its answer.",
                "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85"
            })))
        )),
        (status = 422, description = "This `Idempotency-Key` was sent with another request body within 24 hours (`/problems/idempotency-key-reused`)", body = Problem, content_type = "application/problem+json", example = json!({
            "type": "/problems/idempotency-key-reused",
            "title": "The Idempotency-Key was used with another request",
            "status": 422,
            "detail": "This Idempotency-Key was sent with another request body in the last 24 hours; use a new key for a new request.",
            "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85"
        })),
        (status = 503, description = "The order was paid by card and Stripe did not make the refund (it refused or did not answer), or card payments are not configured: nothing was refunded, the order is unchanged; retry after `Retry-After`", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u32, description = "Seconds to wait before retrying")), example = json!({
            "type": "/problems/payment-provider-unavailable",
            "title": "The payment provider is not available",
            "status": 503,
            "detail": "The card payment could not be refunded (Stripe unreachable: operation timed out): nothing was refunded and the order is unchanged; retry later.",
            "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85"
        })),
        BodyErrors,
        SignedInErrors,
    )
)]
#[post("/v1/admin/orders/{order_id}/refunds")]
pub async fn admin_refund_order(
    state: SharedState,
    staff: Staff,
    path: web::Path<String>,
    body: IdempotentBody<RefundRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = order_id(&path, NOT_FOUND)?;
    let (b, idempotency) = body.read().await?;
    validate(&b)?;
    let mut f = FieldErrors::default();
    if let Some(code) = b.currency.as_deref()
        && Currency::parse(code).ok() != Some(Currency::EUR)
    {
        f.push("currency", "the shop sells in EUR");
    }
    if b.amount.is_some_and(|a| a > 100_000_000) {
        f.push_code(
            "amount",
            domain::FieldCode::TooLarge,
            "must be at most 100000000 cents",
        );
    }
    f.check()?;
    let amount = b.amount.map(|a| i64::try_from(a).unwrap_or(i64::MAX));
    let staff = staff.0;
    let caller = Caller::Account(staff.customer_id);
    idempotency
        .run(&state, caller, move |state| async move {
            let r = refund::refund(
                state.store.as_ref(),
                state.clock.as_ref(),
                state.payments.as_deref(),
                &staff,
                id,
                amount,
                &b.reason,
                &state.seller,
            )
            .await?;
            Answer::created(
                format!("/v1/admin/orders/{id}/refunds"),
                &OrderRefundsDto::from(r),
            )
        })
        .await
}

/// An order's refunds (staff), oldest first: amounts, status, reasons,
/// Stripe's refund ids and credit notes. No personal data: not an audited
/// read.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_list_order_refunds",
    security(("bearer" = []), ("api_key" = ["orders:read"])),
    params(("order_id" = Uuid, Path, description = "The order's id")),
    responses(
        (status = 200, description = "The order's refunds", body = RefundList),
        (status = 404, description = "No order has this id", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[get("/v1/admin/orders/{order_id}/refunds")]
pub async fn admin_list_order_refunds(
    state: SharedState,
    _staff: StaffOrKey<OrdersRead>,
    path: web::Path<String>,
) -> Result<web::Json<RefundList>, ApiError> {
    let id = order_id(&path, NOT_FOUND)?;
    let items = refund::list(state.store.as_ref(), id).await?;
    Ok(web::Json(RefundList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_whole_cents_or_null() {
        let parse = |v: serde_json::Value| serde_json::from_value::<RefundRequest>(v);
        let r = parse(serde_json::json!({"reason": "geste", "amount": 5000})).unwrap();
        assert_eq!(r.amount, Some(5000));
        let r = parse(serde_json::json!({"reason": "geste", "amount": 5000.0})).unwrap();
        assert_eq!(r.amount, Some(5000));
        let r = parse(serde_json::json!({"reason": "geste", "amount": null})).unwrap();
        assert_eq!(r.amount, None);
        let r = parse(serde_json::json!({"reason": "geste"})).unwrap();
        assert_eq!(r.amount, None);
        assert!(parse(serde_json::json!({"reason": "geste", "amount": 50.5})).is_err());
        assert!(parse(serde_json::json!({"reason": "geste", "amount": -1})).is_err());
        for s in RefundStatus::ALL {
            assert_eq!(
                serde_json::to_value(RefundStatusDto::from(s)).unwrap(),
                serde_json::json!(s.as_str())
            );
        }
    }
}
