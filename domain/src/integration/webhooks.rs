//! Outgoing webhooks (Standard Webhooks): endpoints subscribe to event
//! types; each event becomes one delivery per subscribed endpoint, written
//! in the unit of work of the change that caused it (an outbox, like mail),
//! and sent later by the delivery job with retries over about a day.
//!
//! Payloads carry ids and non-personal facts. An endpoint that states a
//! purpose may receive the buyer's contact details too; those are read at
//! sending, never stored with the delivery, so an erased buyer's details
//! are never sent.

use std::net::IpAddr;

use async_trait::async_trait;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::audit::{Actor, AuditAction, AuditTarget};
use crate::clock::Clock;
use crate::error::{FieldErrors, StorageError};
use crate::ids::{OrderId, WebhookDeliveryId, WebhookEndpointId};
use crate::integration::keys::Acting;
use crate::mail::{Envelope, Mail};
use crate::service::ServiceError;
use crate::shop::order::OrderSummary;
use crate::store::{Repos, Store};
use crate::subject::SubjectId;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventType {
    /// An order was placed (checkout).
    OrderCreated,
    /// An order was paid (card or bank transfer).
    OrderPaid,
    /// An order changed status.
    OrderStatusChanged,
    /// An order was refunded, fully or in part.
    OrderRefunded,
    /// A plan was published.
    ProductPublished,
    /// A review was approved.
    ReviewApproved,
    /// A customer was erased: forget these ids.
    CustomerErased,
}

impl EventType {
    /// Every event type.
    pub const ALL: [Self; 7] = [
        Self::OrderCreated,
        Self::OrderPaid,
        Self::OrderStatusChanged,
        Self::OrderRefunded,
        Self::ProductPublished,
        Self::ReviewApproved,
        Self::CustomerErased,
    ];

    /// Its stable name (`order.paid`).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::OrderCreated => "order.created",
            Self::OrderPaid => "order.paid",
            Self::OrderStatusChanged => "order.status_changed",
            Self::OrderRefunded => "order.refunded",
            Self::ProductPublished => "product.published",
            Self::ReviewApproved => "review.approved",
            Self::CustomerErased => "customer.erased",
        }
    }

    /// The event type of a stable name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// A registered endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Its id.
    pub id: WebhookEndpointId,
    /// Where deliveries are posted.
    pub url: String,
    /// What it is (`Print shop orders`).
    pub description: String,
    /// The event types it receives.
    pub events: Vec<EventType>,
    /// Why it receives the buyer's contact details, when it does.
    pub personal_purpose: Option<String>,
    /// Bumped when its secret is replaced (the secret is derived from it).
    pub secret_version: i32,
    /// Whether deliveries go out.
    pub enabled: bool,
    /// When it was disabled.
    pub disabled_at: Option<DateTime<Utc>>,
    /// Why it was disabled.
    pub disabled_reason: Option<String>,
    /// When it was registered.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Waiting for its next attempt.
    Pending,
    /// The endpoint answered 2xx.
    Delivered,
    /// Every attempt failed.
    Failed,
}

impl DeliveryStatus {
    /// Its stable name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }

    /// The status of a stable name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Delivered, Self::Failed]
            .into_iter()
            .find(|c| c.as_str() == s)
    }
}

/// One event on its way to one endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Its id.
    pub id: WebhookDeliveryId,
    /// The endpoint.
    pub endpoint_id: WebhookEndpointId,
    /// The event's id (`webhook-id`), the same on every attempt and replay.
    pub message_id: String,
    /// What happened.
    pub event_type: EventType,
    /// The body (`type`, `timestamp`, `data`), without personal data.
    pub payload: String,
    /// The order it is about, whose buyer's details an endpoint with a
    /// purpose receives.
    pub order_id: Option<OrderId>,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Attempts made.
    pub attempts: u32,
    /// When it is tried next (pending).
    pub next_attempt_at: DateTime<Utc>,
    /// When it was last tried.
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// The HTTP status of the last answer.
    pub last_status_code: Option<u16>,
    /// Why the last attempt failed (no response body is kept).
    pub last_error: Option<String>,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// When the endpoint took it.
    pub delivered_at: Option<DateTime<Utc>>,
}

/// The outcome of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// A 2xx answer.
    Delivered {
        /// Its status.
        code: u16,
    },
    /// Anything else: another status, a timeout, a refused connection.
    Failed {
        /// The status, when there was an answer.
        code: Option<u16>,
        /// What went wrong, in a few words.
        error: String,
    },
}

/// Webhook endpoints and deliveries in storage.
#[async_trait]
pub trait WebhookRepo: Send + Sync {
    /// Stores a new endpoint.
    async fn insert_endpoint(&self, e: &Endpoint) -> Result<(), StorageError>;
    /// Writes an endpoint's changes.
    async fn update_endpoint(&self, e: &Endpoint) -> Result<(), StorageError>;
    /// Deletes an endpoint and its deliveries; false when it did not exist.
    async fn delete_endpoint(&self, id: WebhookEndpointId) -> Result<bool, StorageError>;
    /// One endpoint.
    async fn endpoint(&self, id: WebhookEndpointId) -> Result<Option<Endpoint>, StorageError>;
    /// Every endpoint, oldest first.
    async fn endpoints(&self) -> Result<Vec<Endpoint>, StorageError>;
    /// The enabled endpoints subscribed to `event`.
    async fn subscribed(&self, event: EventType) -> Result<Vec<Endpoint>, StorageError>;
    /// Queues deliveries.
    async fn insert_deliveries(&self, d: &[Delivery]) -> Result<(), StorageError>;
    /// Up to `limit` pending deliveries due at `now` to enabled endpoints,
    /// oldest first, each pushed back by `lease` so a crashed sender's
    /// claims come back.
    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u64,
    ) -> Result<Vec<Delivery>, StorageError>;
    /// Writes a delivery's new state after an attempt.
    async fn save_delivery(&self, d: &Delivery) -> Result<(), StorageError>;
    /// One delivery.
    async fn delivery(&self, id: WebhookDeliveryId) -> Result<Option<Delivery>, StorageError>;
    /// An endpoint's deliveries, newest first, older than `before` when
    /// given.
    async fn deliveries(
        &self,
        endpoint: WebhookEndpointId,
        status: Option<DeliveryStatus>,
        before: Option<WebhookDeliveryId>,
        limit: u64,
    ) -> Result<Vec<Delivery>, StorageError>;
}

/// Waits before each retry (Standard Webhooks' schedule): 5 s, 5 min,
/// 30 min, 2 h, 5 h, 10 h, 10 h; about 28 hours in all, then the delivery
/// has failed.
const RETRIES: [i64; 7] = [5, 300, 1_800, 7_200, 18_000, 36_000, 36_000];
/// Attempts a delivery gets.
pub const ATTEMPTS: u32 = RETRIES.len() as u32 + 1;

/// The wait after `attempts` failed attempts, with `jitter` (0 to 1)
/// spreading it by up to a fifth so retries of many deliveries do not
/// arrive together; `None` once every attempt is spent.
#[must_use]
pub fn retry_delay(attempts: u32, jitter: f64) -> Option<Duration> {
    let base = *RETRIES.get(usize::try_from(attempts).ok()?.checked_sub(1)?)?;
    let spread = jitter.clamp(0.0, 1.0).mul_add(0.4, -0.2);
    // Milliseconds fit easily: the longest wait is 36,000 s.
    #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
    let ms = ((base * 1_000) as f64 * (1.0 + spread)) as i64;
    Some(Duration::milliseconds(ms.max(1_000)))
}

/// Addresses a production endpoint may not resolve to (SSRF): loopback,
/// private, link-local, shared, documentation, multicast and unspecified
/// ranges, and IPv4 inside IPv6.
#[must_use]
pub fn forbidden_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (b == 18 || b == 19))
                || a >= 240
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || first == 0x2001 && v6.segments()[1] == 0x0db8
                || v6
                    .to_ipv4_mapped()
                    .is_some_and(|v4| forbidden_ip(IpAddr::V4(v4)))
                || v6.segments()[..6] == [0, 0, 0, 0, 0, 0]
        }
    }
}

/// What an admin or an integration registers.
#[derive(Debug, Clone)]
pub struct EndpointInput {
    /// Where to post (already checked by the caller against the
    /// environment's rules: scheme, and in production, public addresses).
    pub url: String,
    /// What it is.
    pub description: String,
    /// The event types it wants.
    pub events: Vec<EventType>,
    /// Why it needs the buyer's contact details, if it does.
    pub personal_purpose: Option<String>,
    /// Whether deliveries go out.
    pub enabled: bool,
}

fn checked(input: EndpointInput) -> Result<EndpointInput, FieldErrors> {
    let mut f = FieldErrors::default();
    let description = input.description.trim().to_owned();
    if description.chars().count() > 200 || description.chars().any(char::is_control) {
        f.push("description", "at most 200 printable characters");
    }
    let mut events = input.events;
    events.sort();
    events.dedup();
    if events.is_empty() {
        f.push("events", "at least one event type");
    }
    let purpose = input
        .personal_purpose
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty());
    if let Some(p) = &purpose
        && (!(3..=500).contains(&p.chars().count()) || p.chars().any(char::is_control))
    {
        f.push("personal_purpose", "3 to 500 printable characters");
    }
    f.check()?;
    Ok(EndpointInput {
        url: input.url,
        description,
        events,
        personal_purpose: purpose,
        enabled: input.enabled,
    })
}

fn names(events: &[EventType]) -> String {
    events
        .iter()
        .map(|e| e.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The endpoint `id`, or not found.
async fn endpoint_in(repos: &dyn Repos, id: WebhookEndpointId) -> Result<Endpoint, ServiceError> {
    repos
        .webhooks()
        .endpoint(id)
        .await?
        .ok_or(ServiceError::NotFound("No webhook endpoint has this id."))
}

/// Registers an endpoint. Audited, and so is its opt-in to personal data.
///
/// # Errors
/// Invalid fields; storage.
pub async fn create_endpoint(
    store: &dyn Store,
    clock: &dyn Clock,
    by: &impl Acting,
    input: EndpointInput,
) -> Result<Endpoint, ServiceError> {
    let input = checked(input)?;
    let now = clock.now();
    let e = Endpoint {
        id: WebhookEndpointId::new(),
        url: input.url,
        description: input.description,
        events: input.events,
        personal_purpose: input.personal_purpose,
        secret_version: 1,
        enabled: input.enabled,
        disabled_at: (!input.enabled).then_some(now),
        disabled_reason: (!input.enabled).then(|| "registered disabled".to_owned()),
        created_at: now,
        updated_at: now,
    };
    let uow = store.begin().await?;
    uow.webhooks().insert_endpoint(&e).await?;
    let personal = e.personal_purpose.as_deref().map_or_else(String::new, |p| {
        format!("; receives buyers' contact details for: {p}")
    });
    crate::audit::record(
        uow.as_ref(),
        by.by(),
        AuditAction::WebhookEndpointChanged,
        AuditTarget::WebhookEndpoint(e.id),
        &format!("registered [{}]{personal}", names(&e.events)),
        now,
    )
    .await?;
    uow.commit().await?;
    Ok(e)
}

/// Every endpoint.
///
/// # Errors
/// Storage.
pub async fn list_endpoints(store: &dyn Store) -> Result<Vec<Endpoint>, ServiceError> {
    Ok(store.reader().webhooks().endpoints().await?)
}

/// One endpoint.
///
/// # Errors
/// Not found; storage.
pub async fn get_endpoint(
    store: &dyn Store,
    id: WebhookEndpointId,
) -> Result<Endpoint, ServiceError> {
    endpoint_in(store.reader().as_ref(), id).await
}

/// Replaces an endpoint's settings; enabling a disabled one resumes its
/// pending deliveries. Audited.
///
/// # Errors
/// Not found; invalid fields; storage.
pub async fn update_endpoint(
    store: &dyn Store,
    clock: &dyn Clock,
    by: &impl Acting,
    id: WebhookEndpointId,
    input: EndpointInput,
) -> Result<Endpoint, ServiceError> {
    let input = checked(input)?;
    let now = clock.now();
    let uow = store.begin().await?;
    let mut e = endpoint_in(uow.as_ref(), id).await?;
    let mut what = vec![format!("events [{}]", names(&input.events))];
    if e.personal_purpose != input.personal_purpose {
        what.push(match &input.personal_purpose {
            Some(p) => format!("receives buyers' contact details for: {p}"),
            None => "no longer receives personal data".to_owned(),
        });
    }
    if e.enabled != input.enabled {
        what.push(if input.enabled { "enabled" } else { "disabled" }.to_owned());
        e.disabled_at = (!input.enabled).then_some(now);
        e.disabled_reason = (!input.enabled).then(|| "disabled by hand".to_owned());
    }
    if e.url != input.url {
        what.push("new URL".to_owned());
    }
    e.url = input.url;
    e.description = input.description;
    e.events = input.events;
    e.personal_purpose = input.personal_purpose;
    e.enabled = input.enabled;
    e.updated_at = now;
    uow.webhooks().update_endpoint(&e).await?;
    crate::audit::record(
        uow.as_ref(),
        by.by(),
        AuditAction::WebhookEndpointChanged,
        AuditTarget::WebhookEndpoint(id),
        &format!("changed: {}", what.join("; ")),
        now,
    )
    .await?;
    uow.commit().await?;
    Ok(e)
}

/// Replaces an endpoint's signing secret (the old one stops at once).
/// Audited.
///
/// # Errors
/// Not found; storage.
pub async fn rotate_secret(
    store: &dyn Store,
    clock: &dyn Clock,
    by: &impl Acting,
    id: WebhookEndpointId,
) -> Result<Endpoint, ServiceError> {
    let now = clock.now();
    let uow = store.begin().await?;
    let mut e = endpoint_in(uow.as_ref(), id).await?;
    e.secret_version += 1;
    e.updated_at = now;
    uow.webhooks().update_endpoint(&e).await?;
    crate::audit::record(
        uow.as_ref(),
        by.by(),
        AuditAction::WebhookEndpointChanged,
        AuditTarget::WebhookEndpoint(id),
        "signing secret replaced",
        now,
    )
    .await?;
    uow.commit().await?;
    Ok(e)
}

/// Deletes an endpoint with its deliveries. Audited.
///
/// # Errors
/// Not found; storage.
pub async fn delete_endpoint(
    store: &dyn Store,
    clock: &dyn Clock,
    by: &impl Acting,
    id: WebhookEndpointId,
) -> Result<(), ServiceError> {
    let now = clock.now();
    let uow = store.begin().await?;
    if !uow.webhooks().delete_endpoint(id).await? {
        return Err(ServiceError::NotFound("No webhook endpoint has this id."));
    }
    crate::audit::record(
        uow.as_ref(),
        by.by(),
        AuditAction::WebhookEndpointChanged,
        AuditTarget::WebhookEndpoint(id),
        "deleted",
        now,
    )
    .await?;
    uow.commit().await?;
    Ok(())
}

/// An endpoint's deliveries, newest first.
///
/// # Errors
/// Not found; storage.
pub async fn list_deliveries(
    store: &dyn Store,
    id: WebhookEndpointId,
    status: Option<DeliveryStatus>,
    before: Option<WebhookDeliveryId>,
    limit: u64,
) -> Result<Vec<Delivery>, ServiceError> {
    let reader = store.reader();
    endpoint_in(reader.as_ref(), id).await?;
    Ok(reader
        .webhooks()
        .deliveries(id, status, before, limit)
        .await?)
}

/// Sends a delivery again, as a new delivery with the same event id (a
/// receiver that already took it can tell). Audited.
///
/// # Errors
/// Not found; a disabled endpoint (conflict); storage.
pub async fn replay(
    store: &dyn Store,
    clock: &dyn Clock,
    by: &impl Acting,
    endpoint: WebhookEndpointId,
    id: WebhookDeliveryId,
) -> Result<Delivery, ServiceError> {
    let now = clock.now();
    let uow = store.begin().await?;
    let e = endpoint_in(uow.as_ref(), endpoint).await?;
    let d = uow
        .webhooks()
        .delivery(id)
        .await?
        .filter(|d| d.endpoint_id == endpoint)
        .ok_or(ServiceError::NotFound(
            "This endpoint has no delivery with this id.",
        ))?;
    if !e.enabled {
        return Err(ServiceError::Conflict(
            "the endpoint is disabled; enable it first".into(),
        ));
    }
    let again = Delivery {
        id: WebhookDeliveryId::new(),
        status: DeliveryStatus::Pending,
        attempts: 0,
        next_attempt_at: now,
        last_attempt_at: None,
        last_status_code: None,
        last_error: None,
        created_at: now,
        delivered_at: None,
        ..d
    };
    uow.webhooks()
        .insert_deliveries(std::slice::from_ref(&again))
        .await?;
    crate::audit::record(
        uow.as_ref(),
        by.by(),
        AuditAction::WebhookEndpointChanged,
        AuditTarget::WebhookEndpoint(endpoint),
        &format!("delivery {id} replayed as {}", again.id),
        now,
    )
    .await?;
    uow.commit().await?;
    Ok(again)
}

/// Queues `event` for every enabled endpoint subscribed to it, inside the
/// caller's unit of work. `data` must hold no personal data; `order` names
/// the order whose buyer's details endpoints with a purpose receive.
///
/// # Errors
/// Storage.
pub async fn emit(
    repos: &dyn Repos,
    event: EventType,
    data: Value,
    order: Option<OrderId>,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    let endpoints = repos.webhooks().subscribed(event).await?;
    if endpoints.is_empty() {
        return Ok(());
    }
    let message_id = format!("msg_{}", uuid::Uuid::now_v7().simple());
    let payload = json!({
        "type": event.as_str(),
        "timestamp": now.to_rfc3339_opts(SecondsFormat::Millis, true),
        "data": data,
    })
    .to_string();
    let deliveries: Vec<Delivery> = endpoints
        .iter()
        .map(|e| Delivery {
            id: WebhookDeliveryId::new(),
            endpoint_id: e.id,
            message_id: message_id.clone(),
            event_type: event,
            payload: payload.clone(),
            order_id: order,
            status: DeliveryStatus::Pending,
            attempts: 0,
            next_attempt_at: now,
            last_attempt_at: None,
            last_status_code: None,
            last_error: None,
            created_at: now,
            delivered_at: None,
        })
        .collect();
    repos.webhooks().insert_deliveries(&deliveries).await
}

/// The non-personal facts of an order, as its events carry them.
#[must_use]
pub fn order_data(o: &OrderSummary) -> Value {
    json!({
        "order_id": o.id.to_string(),
        "number": o.number,
        "customer_id": o.customer_id.map(|c| c.to_string()),
        "status": o.status.as_str(),
        "payment_method": o.payment_method.as_str(),
        "country": o.country,
        "currency": o.totals.currency.as_str(),
        "total": o.totals.total,
        "paid_at": o.paid_at.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true)),
    })
}

/// Queues the events of an order's move from `from` to its status now:
/// `order.status_changed`, and `order.paid` when it was paid by it.
///
/// # Errors
/// Storage.
pub async fn emit_status_change(
    repos: &dyn Repos,
    from: crate::shop::order::OrderStatus,
    o: &OrderSummary,
    newly_paid: bool,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    let mut data = order_data(o);
    data["from"] = json!(from.as_str());
    emit(repos, EventType::OrderStatusChanged, data, Some(o.id), now).await?;
    if newly_paid {
        emit(repos, EventType::OrderPaid, order_data(o), Some(o.id), now).await?;
    }
    Ok(())
}

/// What became of an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settled {
    /// The delivery as saved.
    pub delivery: Delivery,
    /// Whether its endpoint was disabled by it.
    pub disabled: bool,
}

/// Records an attempt: delivered; or retried later (`jitter` 0 to 1
/// spreads the wait); or, with every attempt spent, failed, its endpoint
/// disabled, admins told by mail and the audit log told, in one unit of
/// work.
///
/// # Errors
/// Storage.
pub async fn record_attempt(
    store: &dyn Store,
    clock: &dyn Clock,
    delivery: &Delivery,
    attempt: Attempt,
    jitter: f64,
) -> Result<Settled, StorageError> {
    let now = clock.now();
    let mut d = delivery.clone();
    d.attempts += 1;
    d.last_attempt_at = Some(now);
    let mut exhausted = false;
    match attempt {
        Attempt::Delivered { code } => {
            d.status = DeliveryStatus::Delivered;
            d.delivered_at = Some(now);
            d.last_status_code = Some(code);
            d.last_error = None;
        }
        Attempt::Failed { code, error } => {
            d.last_status_code = code;
            d.last_error = Some(error.chars().take(200).collect());
            match retry_delay(d.attempts, jitter) {
                Some(wait) => d.next_attempt_at = now + wait,
                None => {
                    d.status = DeliveryStatus::Failed;
                    exhausted = true;
                }
            }
        }
    }
    if !exhausted {
        store.reader().webhooks().save_delivery(&d).await?;
        return Ok(Settled {
            delivery: d,
            disabled: false,
        });
    }
    let uow = store.begin().await?;
    uow.webhooks().save_delivery(&d).await?;
    let mut disabled = false;
    if let Some(mut e) = uow.webhooks().endpoint(d.endpoint_id).await?
        && e.enabled
    {
        let reason = format!(
            "{} attempts over about a day failed (last: {})",
            d.attempts,
            d.last_error.as_deref().unwrap_or("unknown")
        );
        e.enabled = false;
        e.disabled_at = Some(now);
        e.disabled_reason = Some(reason.clone());
        e.updated_at = now;
        uow.webhooks().update_endpoint(&e).await?;
        crate::audit::record(
            uow.as_ref(),
            (Actor::System, None),
            AuditAction::WebhookEndpointChanged,
            AuditTarget::WebhookEndpoint(e.id),
            &format!("disabled: {reason}"),
            now,
        )
        .await?;
        for admin in uow.accounts().list_staff().await? {
            if !admin.role.can_administer() {
                continue;
            }
            uow.outbox()
                .enqueue(
                    SubjectId::customer(admin.id),
                    &Envelope {
                        to: admin.email,
                        name: Some(admin.name),
                        language: admin.language,
                        mail: Mail::WebhookEndpointDisabled {
                            endpoint: e.id.to_string(),
                            url: e.url.clone(),
                            reason: reason.clone(),
                        },
                    },
                    now,
                )
                .await?;
        }
        disabled = true;
    }
    uow.commit().await?;
    Ok(Settled {
        delivery: d,
        disabled,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_types_have_stable_names() {
        for e in EventType::ALL {
            assert_eq!(EventType::parse(e.as_str()), Some(e));
        }
        assert_eq!(EventType::parse("order.deleted"), None);
    }

    #[test]
    fn retries_spread_over_about_a_day_then_stop() {
        let total: i64 = (1..ATTEMPTS)
            .map(|n| retry_delay(n, 0.5).unwrap().num_seconds())
            .sum();
        assert!((24 * 3600..30 * 3600).contains(&total), "{total}");
        assert_eq!(retry_delay(ATTEMPTS, 0.5), None);
        assert_eq!(retry_delay(0, 0.5), None);
        let low = retry_delay(2, 0.0).unwrap().num_seconds();
        let high = retry_delay(2, 1.0).unwrap().num_seconds();
        assert_eq!((low, high), (240, 360));
    }

    #[test]
    fn private_and_special_addresses_are_forbidden() {
        for bad in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::",
        ] {
            assert!(forbidden_ip(bad.parse().unwrap()), "{bad}");
        }
        for good in ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"] {
            assert!(!forbidden_ip(good.parse().unwrap()), "{good}");
        }
    }
}
