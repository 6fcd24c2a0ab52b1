//! Card payments through Stripe: the order's payment intent for the
//! frontend, and Stripe's webhook, each event checked and applied once.

use actix_web::web::Bytes;
use actix_web::{HttpRequest, post, web};
use domain::shop::order;
use domain::shop::payment::{self, Applied, Intent};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::MaybeAuth;
use crate::problem::{ApiError, MaybeSignedInErrors, Problem};
use crate::routes::common::header;
use crate::state::SharedState;

/// The header Stripe signs its webhooks with.
pub const STRIPE_SIGNATURE: &str = "stripe-signature";

/// An order's card payment: what the frontend confirms with Stripe.js.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "provider": "stripe",
    "intent_id": "pi_3QmZ8sLkdIwHu7ix0a1b2c3d",
    "client_secret": "pi_3QmZ8sLkdIwHu7ix0a1b2c3d_secret_Xy7zAbCdEfGh",
    "status": "requires_payment_method",
    "amount": {"amount": 80000, "currency": "EUR"}
}))]
#[schema(as = CardPayment)]
pub struct PaymentDto {
    /// The provider: `stripe`.
    #[schema(example = "stripe")]
    pub provider: String,
    /// Stripe's PaymentIntent id.
    pub intent_id: String,
    /// Confirms the payment in the browser (`stripe.confirmPayment`):
    /// give it to Stripe.js only, never store or log it. Card details go
    /// from the browser to Stripe, never through Boutique.
    pub client_secret: String,
    /// Stripe's status of the intent (`requires_payment_method`,
    /// `processing`, `succeeded`...). The order itself changes when
    /// Stripe's webhook says the payment succeeded or failed.
    pub status: String,
    /// What is charged, in cents (the order's total).
    pub amount: crate::routes::products::dto::MoneyDto,
}

impl PaymentDto {
    /// The view of an intent.
    #[must_use]
    pub fn of(i: Intent) -> Self {
        let currency = i.currency.to_uppercase();
        Self {
            provider: "stripe".into(),
            intent_id: i.id,
            client_secret: i.client_secret,
            status: i.status,
            amount: crate::routes::products::dto::MoneyDto {
                amount: i.amount,
                currency,
            },
        }
    }
}

/// The order's card payment, started when needed.
///
/// # Errors
/// As [`payment::start`]; 503 when card payments are not configured.
pub async fn start(state: &SharedState, o: &order::Order) -> Result<PaymentDto, ApiError> {
    let Some(provider) = state.payments.as_deref() else {
        return Err(ApiError::PaymentUnavailable(
            "card payments are not configured".into(),
        ));
    };
    Ok(PaymentDto::of(
        payment::start(state.store.as_ref(), state.clock.as_ref(), provider, o).await?,
    ))
}

/// Pay an order by card: its Stripe PaymentIntent (created on first call,
/// the same one after), whose `client_secret` the frontend confirms with
/// Stripe.js. Its customer with the bearer token, or a guest with
/// `X-Order-Secret`. The order becomes paid when Stripe's webhook says
/// so, not when this answers.
#[utoipa::path(
    tag = "orders",
    operation_id = "start_order_payment",
    security(("bearer" = []), ("order_secret" = [])),
    params(("order_id" = Uuid, Path, description = "The order's id (UUID)")),
    responses(
        (status = 200, description = "The order's payment intent", body = PaymentDto),
        (status = 404, description = "No order has this id, or the caller may not use it", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`illegal-transition`: the order no longer waits for a payment; `conflict`: it is paid by bank transfer", body = Problem, content_type = "application/problem+json", example = json!({
            "type": "/problems/illegal-transition",
            "title": "The order cannot move to this status",
            "status": 409,
            "detail": "An order cannot go from completed to processing.",
            "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85",
            "from": "completed",
            "to": "processing"
        })),
        (status = 503, description = "Stripe did not answer, or card payments are not configured (`/problems/payment-provider-unavailable`); retry after `Retry-After`", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u32, description = "Seconds to wait")),
            example = json!({
                "type": "/problems/payment-provider-unavailable",
                "title": "The payment provider is not available",
                "status": 503,
                "detail": "Card payments cannot be started now (card payments are not configured); the order is kept: retry later, or pay by bank transfer.",
                "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85"
            })),
        MaybeSignedInErrors,
    )
)]
#[post("/v1/orders/{order_id}/payment")]
pub async fn start_order_payment(
    state: SharedState,
    auth: MaybeAuth,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<web::Json<PaymentDto>, ApiError> {
    let (holder, id) = crate::routes::orders::order_holder(&state, &auth, &req, &path)?;
    let o = order::read(state.store.as_ref(), state.index.as_ref(), &holder, id).await?;
    Ok(web::Json(start(&state, &o).await?))
}

/// A Stripe event, as far as Boutique reads it (Stripe sends more).
#[derive(Debug, serde::Deserialize, ToSchema)]
#[schema(as = StripeEvent, example = json!({
    "id": "evt_3QmZ8sLkdIwHu7ix1a2b3c4d",
    "type": "payment_intent.succeeded",
    "data": {"object": {"object": "payment_intent", "id": "pi_3QmZ8sLkdIwHu7ix0a1b2c3d", "amount": 80000, "amount_received": 80000, "currency": "eur"}}
}))]
#[allow(dead_code)] // documentation only: the raw body is verified, then read
pub struct StripeEventDoc {
    /// Stripe's event id (`evt_...`): each is applied once.
    pub id: String,
    /// The event type (`payment_intent.succeeded`, `payment_intent.payment_failed`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    /// `object`: the Stripe object the event is about (a PaymentIntent).
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

/// What the webhook answers Stripe.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"received": true, "outcome": "applied"}))]
#[schema(as = WebhookReceipt)]
pub struct WebhookReceiptDto {
    /// Always `true`: Stripe stops retrying.
    pub received: bool,
    /// `applied` (the order changed), `duplicate` (seen before: nothing
    /// done) or `ignored` (recorded; an unknown intent, another event
    /// type, or an order not waiting for it).
    #[schema(example = "applied")]
    pub outcome: String,
}

/// Stripe's webhook. Each call is checked against `Stripe-Signature`
/// (HMAC-SHA256 of the timestamp and the raw body with the endpoint's
/// signing secret, compared in constant time, at most 5 minutes old) and
/// applied once: `payment_intent.succeeded` marks the order paid (and
/// issues its invoice), `payment_intent.payment_failed` marks it failed;
/// other events, unknown intents and replays are recorded and change
/// nothing. Only Stripe calls this.
#[utoipa::path(
    tag = "payments",
    operation_id = "stripe_webhook",
    request_body(content = StripeEventDoc, content_type = "application/json", description = "A Stripe event, as Stripe sends it", example = json!({
        "id": "evt_3QmZ8sLkdIwHu7ix1a2b3c4d",
        "object": "event",
        "type": "payment_intent.succeeded",
        "data": {"object": {"object": "payment_intent", "id": "pi_3QmZ8sLkdIwHu7ix0a1b2c3d", "amount": 80000, "amount_received": 80000, "currency": "eur"}}
    })),
    params(("Stripe-Signature" = String, Header, description = "`t=<unix time>,v1=<hex HMAC-SHA256>`, as Stripe signs it", example = "t=1764600000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd")),
    responses(
        (status = 200, description = "Received (applied, a duplicate, or ignored)", body = WebhookReceiptDto),
        (status = 400, description = "Missing, malformed, stale or wrong signature, or not a Stripe event (`/problems/bad-request`): nothing changed", body = Problem, content_type = "application/problem+json", example = json!({
            "type": "/problems/bad-request",
            "title": "The request is malformed",
            "status": 400,
            "detail": "The Stripe-Signature does not match this event.",
            "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85"
        })),
        (status = 409, description = "The order changed while the event was applied; Stripe retries it", body = Problem, content_type = "application/problem+json", example = json!({
            "type": "/problems/conflict",
            "title": "The request conflicts with the current state",
            "status": 409,
            "detail": "the order changed meanwhile; read it again",
            "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85"
        })),
        (status = 413, description = "The body is larger than the configured limit", body = Problem, content_type = "application/problem+json", example = json!({
            "type": "/problems/payload-too-large",
            "title": "The body is too large",
            "status": 413,
            "detail": "The body must be at most 65536 bytes.",
            "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85"
        })),
        (status = 503, description = "Card payments are not configured on this server", body = Problem, content_type = "application/problem+json", example = json!({
            "type": "/problems/payment-provider-unavailable",
            "title": "The payment provider is not available",
            "status": 503,
            "detail": "Card payments cannot be started now (card payments are not configured); the order is kept: retry later, or pay by bank transfer.",
            "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85"
        })),
    )
)]
#[post("/v1/payments/stripe/webhook")]
pub async fn stripe_webhook(
    state: SharedState,
    req: HttpRequest,
    body: Bytes,
) -> Result<web::Json<WebhookReceiptDto>, ApiError> {
    let Some(secret) = state.config.stripe_webhook_secret.as_deref() else {
        return Err(ApiError::PaymentUnavailable(
            "card payments are not configured".into(),
        ));
    };
    let signature = header(&req, STRIPE_SIGNATURE).unwrap_or_default();
    crate::stripe::verify(signature, &body, secret, state.clock.now())
        .map_err(|e| ApiError::BadRequest(format!("The Stripe-Signature is refused: {e}.")))?;
    let event = crate::stripe::parse_event(&body)
        .map_err(|_| ApiError::BadRequest("The body is not a Stripe event.".into()))?;
    let outcome = payment::apply_event(
        state.store.as_ref(),
        state.clock.as_ref(),
        &state.seller,
        &event,
    )
    .await?;
    tracing::info!(event = %event.id, kind = %event.kind_name, ?outcome, "stripe event");
    Ok(web::Json(WebhookReceiptDto {
        received: true,
        outcome: match outcome {
            Applied::Changed(..) => "applied",
            Applied::Duplicate => "duplicate",
            Applied::Ignored => "ignored",
        }
        .into(),
    }))
}
