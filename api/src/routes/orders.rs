//! Orders (SHOP-5): what a checkout made, as its customer (bearer token)
//! or a guest (`X-Order-Secret`) reads it and cancels it while it waits
//! for its payment. Staff's side is [`crate::routes::admin::orders`].

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use domain::identity::PostalAddress;
use domain::ids::{CustomerId, OrderId};
use domain::shop::order::{
    self, Order, OrderEvent, OrderHolder, OrderLine, OrderShipping, OrderStatus, OrderSummary,
    OrderTotals, PaymentMethod,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::{Auth, MaybeAuth};
use crate::body::Params;
use crate::problem::{ApiError, MaybeSignedInErrors, Problem, SignedInErrors};
use crate::routes::auth::LanguageDto;
use crate::routes::common::{PageParams, cursor_after, header};
use crate::routes::products::dto::MoneyDto;
use crate::state::SharedState;

/// The request header of an order's secret.
pub const ORDER_SECRET_HEADER: &str = "x-order-secret";

/// Where an order stands:
///
/// - `pending_payment`: placed, waiting for its payment (a bank transfer
///   arrives, or the card payment is accepted). Its customer may cancel it.
/// - `on_hold`: held by staff (a question, a fraud check).
/// - `processing`: paid; printed sets are being prepared.
/// - `completed`: delivered (files: as soon as paid; printed sets: shipped).
/// - `failed`: the payment failed.
/// - `cancelled`: cancelled before payment, by its customer or staff.
/// - `refunded`: refunded in full.
/// - `partially_refunded`: refunded in part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = OrderStatus)]
pub enum OrderStatusDto {
    /// Waiting for its payment.
    PendingPayment,
    /// Held by staff.
    OnHold,
    /// Paid, being prepared.
    Processing,
    /// Delivered.
    Completed,
    /// The payment failed.
    Failed,
    /// Cancelled.
    Cancelled,
    /// Refunded in full.
    Refunded,
    /// Refunded in part.
    PartiallyRefunded,
}

impl From<OrderStatus> for OrderStatusDto {
    fn from(s: OrderStatus) -> Self {
        match s {
            OrderStatus::PendingPayment => Self::PendingPayment,
            OrderStatus::OnHold => Self::OnHold,
            OrderStatus::Processing => Self::Processing,
            OrderStatus::Completed => Self::Completed,
            OrderStatus::Failed => Self::Failed,
            OrderStatus::Cancelled => Self::Cancelled,
            OrderStatus::Refunded => Self::Refunded,
            OrderStatus::PartiallyRefunded => Self::PartiallyRefunded,
        }
    }
}

impl From<OrderStatusDto> for OrderStatus {
    fn from(s: OrderStatusDto) -> Self {
        match s {
            OrderStatusDto::PendingPayment => Self::PendingPayment,
            OrderStatusDto::OnHold => Self::OnHold,
            OrderStatusDto::Processing => Self::Processing,
            OrderStatusDto::Completed => Self::Completed,
            OrderStatusDto::Failed => Self::Failed,
            OrderStatusDto::Cancelled => Self::Cancelled,
            OrderStatusDto::Refunded => Self::Refunded,
            OrderStatusDto::PartiallyRefunded => Self::PartiallyRefunded,
        }
    }
}

/// How an order is paid:
///
/// - `bank_transfer`: a bank transfer; the payment instructions are
///   e-mailed, and staff mark the order paid when the transfer arrives.
/// - `stripe`: a card (and the other means Stripe offers), paid online.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = PaymentMethod)]
pub enum PaymentMethodDto {
    /// A bank transfer.
    BankTransfer,
    /// Stripe.
    Stripe,
}

impl From<PaymentMethod> for PaymentMethodDto {
    fn from(m: PaymentMethod) -> Self {
        match m {
            PaymentMethod::BankTransfer => Self::BankTransfer,
            PaymentMethod::Stripe => Self::Stripe,
        }
    }
}

impl From<PaymentMethodDto> for PaymentMethod {
    fn from(m: PaymentMethodDto) -> Self {
        match m {
            PaymentMethodDto::BankTransfer => Self::BankTransfer,
            PaymentMethodDto::Stripe => Self::Stripe,
        }
    }
}

/// An amount of `currency`, in cents.
fn money(amount: i64, currency: &str) -> MoneyDto {
    MoneyDto {
        amount,
        currency: currency.to_owned(),
    }
}

/// A postal address: the body's billing or shipping address at checkout,
/// and an order's addresses as they were given.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"full_name": "Jeanne Dupont", "line1": "12 rue des Lilas", "line2": "Bâtiment B, 3e étage", "postal_code": "69003", "city": "Lyon", "country": "FR"}))]
#[schema(as = PostalAddress)]
pub struct PostalAddressDto {
    /// Recipient: 1 to 100 characters, not blank, without control
    /// characters (surrounding white space is dropped).
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^\u0000-\u001f\u007f-\u009f]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
    )]
    pub full_name: String,
    /// Street and number: 1 to 200 characters, not blank, without control
    /// characters (surrounding white space is dropped).
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^\u0000-\u001f\u007f-\u009f]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
    )]
    pub line1: String,
    /// Building, floor...: at most 200 characters, without control
    /// characters; blank is the same as absent.
    #[schema(
        max_length = 200,
        pattern = r"^[\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*(?:[^\u0000-\u001f\u007f-\u009f]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000])?[\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
    )]
    pub line2: Option<String>,
    /// Postal code: 1 to 16 characters, not blank, without control
    /// characters (surrounding white space is dropped).
    #[schema(
        min_length = 1,
        max_length = 16,
        pattern = r"^[\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^\u0000-\u001f\u007f-\u009f]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
    )]
    pub postal_code: String,
    /// City: 1 to 100 characters, not blank, without control characters
    /// (surrounding white space is dropped).
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^\u0000-\u001f\u007f-\u009f]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
    )]
    pub city: String,
    /// ISO 3166-1 alpha-2 country code, in capitals (`FR`, `BE`, `CH`...):
    /// only officially assigned codes.
    #[schema(schema_with = crate::routes::me::addresses::country_schema)]
    pub country: String,
}

impl PostalAddressDto {
    /// The address as the domain takes it; refused fields are named
    /// `<field>.<part>` (`billing_address.city`).
    ///
    /// # Errors
    /// Every refused part.
    pub fn parse(&self, field: &str) -> Result<PostalAddress, domain::FieldErrors> {
        PostalAddress::parse(
            &self.full_name,
            &self.line1,
            self.line2.as_deref(),
            &self.postal_code,
            &self.city,
            &self.country,
        )
        .map_err(|e| {
            domain::FieldErrors(
                e.0.into_iter()
                    .map(|mut error| {
                        error.field = format!("{field}.{}", error.field);
                        error
                    })
                    .collect(),
            )
        })
    }
}

impl From<PostalAddress> for PostalAddressDto {
    fn from(a: PostalAddress) -> Self {
        Self {
            full_name: a.full_name,
            line1: a.line1,
            line2: a.line2,
            postal_code: a.postal_code,
            city: a.city,
            country: a.country,
        }
    }
}

/// A line of an order, as it was sold: nothing here changes when the
/// catalogue does.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "product_id": "01a21faf-9618-77eb-b003-08a5b1c2d3e4",
    "format_id": "01a21faf-9618-77eb-b003-08a737d60ad2",
    "slug": "maison-contemporaine-129",
    "title": "Maison contemporaine de 129 m²",
    "kind": "pdf",
    "sku": "BTQ-021-PDF",
    "quantity": 1,
    "unit_price": {"amount": 80000, "currency": "EUR"},
    "unit_net": {"amount": 66667, "currency": "EUR"},
    "vat_rate_bp": 1900,
    "discount_net": {"amount": 0, "currency": "EUR"},
    "net": {"amount": 66667, "currency": "EUR"},
    "vat": {"amount": 12667, "currency": "EUR"},
    "gross": {"amount": 79334, "currency": "EUR"}
}))]
#[schema(as = OrderLine)]
pub struct OrderLineDto {
    /// The plan bought (a UUID).
    pub product_id: Uuid,
    /// The format bought (a UUID).
    pub format_id: Uuid,
    /// The plan's slug when it was bought.
    pub slug: String,
    /// The plan's title when it was bought.
    pub title: String,
    /// What was bought: `pdf` or `cad` (files, downloaded) or `printed_set`
    /// (shipped).
    pub kind: String,
    /// The format's stock-keeping unit.
    pub sku: String,
    /// How many copies.
    pub quantity: u32,
    /// The catalogue's price of one copy then, in cents, French VAT included.
    pub unit_price: MoneyDto,
    /// One copy before VAT, in cents.
    pub unit_net: MoneyDto,
    /// VAT rate applied, in hundredths of a percent (basis points): 2000 is
    /// 20 %, 1900 is 19 %; 0 outside the EU (exports).
    #[schema(example = 2000)]
    pub vat_rate_bp: u32,
    /// This line's share of a discount, before VAT, in cents.
    pub discount_net: MoneyDto,
    /// The line before VAT, after discount, in cents.
    pub net: MoneyDto,
    /// VAT of the line, in cents.
    pub vat: MoneyDto,
    /// The line with VAT, in cents: what it costs.
    pub gross: MoneyDto,
}

fn line(l: OrderLine, currency: &str) -> OrderLineDto {
    OrderLineDto {
        product_id: l.product_id.as_uuid(),
        format_id: l.format_id.as_uuid(),
        slug: l.slug,
        title: l.title,
        kind: l.kind,
        sku: l.sku,
        quantity: l.quantity,
        unit_price: money(l.unit_price, currency),
        unit_net: money(l.unit_net, currency),
        vat_rate_bp: l.vat_rate_bp,
        discount_net: money(l.discount_net, currency),
        net: money(l.net, currency),
        vat: money(l.vat, currency),
        gross: money(l.gross, currency),
    }
}

/// How an order's printed sets are shipped.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"method": "standard", "net": {"amount": 1400, "currency": "EUR"}, "vat": {"amount": 280, "currency": "EUR"}, "gross": {"amount": 1680, "currency": "EUR"}, "vat_rate_bp": 2000}))]
#[schema(as = OrderShipping)]
pub struct OrderShippingDto {
    /// The service chosen: `standard` or `express`.
    #[schema(example = "standard")]
    pub method: String,
    /// Its price before VAT, in cents.
    pub net: MoneyDto,
    /// Its VAT, in cents.
    pub vat: MoneyDto,
    /// Its price with VAT, in cents.
    pub gross: MoneyDto,
    /// VAT rate applied, in hundredths of a percent (basis points): 2000 is
    /// 20 %; 0 outside the EU.
    #[schema(example = 2000)]
    pub vat_rate_bp: u32,
}

fn shipping(s: OrderShipping, currency: &str) -> OrderShippingDto {
    OrderShippingDto {
        method: s.method,
        net: money(s.net, currency),
        vat: money(s.vat, currency),
        gross: money(s.gross, currency),
        vat_rate_bp: s.vat_rate_bp,
    }
}

/// What an order costs, in cents.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "goods_net": {"amount": 66667, "currency": "EUR"},
    "discount_net": {"amount": 0, "currency": "EUR"},
    "shipping_net": {"amount": 0, "currency": "EUR"},
    "net": {"amount": 66667, "currency": "EUR"},
    "vat": {"amount": 12667, "currency": "EUR"},
    "total": {"amount": 79334, "currency": "EUR"}
}))]
#[schema(as = OrderTotals)]
pub struct OrderTotalsDto {
    /// Goods before VAT and discount, in cents.
    pub goods_net: MoneyDto,
    /// The discount, before VAT, in cents.
    pub discount_net: MoneyDto,
    /// Shipping before VAT, in cents (0 when nothing ships).
    pub shipping_net: MoneyDto,
    /// Everything before VAT, in cents: `goods_net - discount_net + shipping_net`.
    pub net: MoneyDto,
    /// All VAT, in cents.
    pub vat: MoneyDto,
    /// What is paid, in cents, VAT included: `net + vat`.
    pub total: MoneyDto,
}

impl From<OrderTotals> for OrderTotalsDto {
    fn from(t: OrderTotals) -> Self {
        let c = t.currency.as_str();
        Self {
            goods_net: money(t.goods_net, c),
            discount_net: money(t.discount_net, c),
            shipping_net: money(t.shipping_net, c),
            net: money(t.total.saturating_sub(t.vat), c),
            vat: money(t.vat, c),
            total: money(t.total, c),
        }
    }
}

/// Who bought, as given at checkout (personal data: only the order's
/// customer, its guest and staff see it).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"email": "jeanne.dupont@example.fr", "name": "Jeanne Dupont", "phone": "+33612345678", "billing_address": {"full_name": "Jeanne Dupont", "line1": "12 rue des Lilas", "line2": null, "postal_code": "69003", "city": "Lyon", "country": "FR"}, "shipping_address": null}))]
#[schema(as = Buyer)]
pub struct BuyerDto {
    /// Where the order's e-mails go.
    pub email: String,
    /// The buyer's full name.
    pub name: String,
    /// The buyer's phone number, when given.
    pub phone: Option<String>,
    /// The address on the invoice.
    pub billing_address: PostalAddressDto,
    /// Where printed sets are shipped; `null` when nothing ships.
    pub shipping_address: Option<PostalAddressDto>,
}

/// A change of an order's status.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"from": "pending_payment", "to": "processing", "at": "2026-11-22T09:12:00Z", "actor": "staff", "note": null}))]
#[schema(as = OrderEvent)]
pub struct OrderEventDto {
    /// The status before; `null` for the order's creation.
    pub from: Option<OrderStatusDto>,
    /// The status after.
    pub to: OrderStatusDto,
    /// When (RFC 3339, UTC).
    pub at: DateTime<Utc>,
    /// Who made the change: `customer`, `system` or `staff` (staff see
    /// `staff:<their account's UUID>`).
    #[schema(example = "staff")]
    pub actor: String,
    /// Why, when said (never personal data). Staff's notes are for staff:
    /// customers see `null` instead.
    pub note: Option<String>,
}

/// An order's status changes as its customer sees them: staff are
/// `staff`, and their notes are theirs.
fn customer_event(e: OrderEvent) -> OrderEventDto {
    let by_staff = e.actor.starts_with("staff");
    OrderEventDto {
        from: e.from.map(Into::into),
        to: e.to.into(),
        at: e.at,
        actor: if by_staff {
            "staff".to_owned()
        } else {
            e.actor
        },
        note: e.note.filter(|_| !by_staff),
    }
}

fn staff_event(e: OrderEvent) -> OrderEventDto {
    OrderEventDto {
        from: e.from.map(Into::into),
        to: e.to.into(),
        at: e.at,
        actor: e.actor,
        note: e.note,
    }
}

/// An order.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01a21fb3-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
    "number": "BQ-7C8D9E-0F1A2B",
    "status": "pending_payment",
    "payment_method": "bank_transfer",
    "customer_id": null,
    "country": "DE",
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
        "vat_rate_bp": 1900,
        "discount_net": {"amount": 0, "currency": "EUR"},
        "net": {"amount": 66667, "currency": "EUR"},
        "vat": {"amount": 12667, "currency": "EUR"},
        "gross": {"amount": 79334, "currency": "EUR"}
    }],
    "shipping": null,
    "totals": {
        "goods_net": {"amount": 66667, "currency": "EUR"},
        "discount_net": {"amount": 0, "currency": "EUR"},
        "shipping_net": {"amount": 0, "currency": "EUR"},
        "net": {"amount": 66667, "currency": "EUR"},
        "vat": {"amount": 12667, "currency": "EUR"},
        "total": {"amount": 79334, "currency": "EUR"}
    },
    "buyer": {"email": "jeanne.dupont@example.fr", "name": "Jeanne Dupont", "phone": null, "billing_address": {"full_name": "Jeanne Dupont", "line1": "Invalidenstraße 12", "line2": null, "postal_code": "10115", "city": "Berlin", "country": "DE"}, "shipping_address": null},
    "events": [{"from": null, "to": "pending_payment", "at": "2026-11-20T17:42:31Z", "actor": "customer", "note": null}],
    "created_at": "2026-11-20T17:42:31Z",
    "status_changed_at": "2026-11-20T17:42:31Z",
    "paid_at": null
}))]
#[schema(as = Order)]
pub struct OrderDto {
    /// Order id (UUID v7), for `/v1/orders/{order_id}`.
    pub id: Uuid,
    /// The number the customer sees in e-mails and on invoices: `BQ-`
    /// then twelve random hexadecimal digits, so numbers reveal neither
    /// sales volume nor the next number.
    #[schema(example = "BQ-7C8D9E-0F1A2B")]
    pub number: String,
    /// Where it stands.
    pub status: OrderStatusDto,
    /// How it is paid.
    pub payment_method: PaymentMethodDto,
    /// The customer's account (a UUID); `null` for a guest's order.
    pub customer_id: Option<Uuid>,
    /// The destination country that decided VAT and shipping (ISO 3166-1
    /// alpha-2): the shipping address's when printed sets ship, else the
    /// billing address's.
    #[schema(example = "DE")]
    pub country: String,
    /// Language of the order's e-mails.
    pub language: LanguageDto,
    /// What was bought, as sold then.
    pub lines: Vec<OrderLineDto>,
    /// How the printed sets ship; `null` when nothing ships.
    pub shipping: Option<OrderShippingDto>,
    /// What it costs.
    pub totals: OrderTotalsDto,
    /// Who bought; `null` once the buyer's personal data were erased.
    pub buyer: Option<BuyerDto>,
    /// Its status changes, oldest first, its creation included.
    pub events: Vec<OrderEventDto>,
    /// When it was placed (RFC 3339, UTC).
    pub created_at: DateTime<Utc>,
    /// When its status last changed (RFC 3339, UTC).
    pub status_changed_at: DateTime<Utc>,
    /// When it was paid (RFC 3339, UTC); `null` until then.
    pub paid_at: Option<DateTime<Utc>>,
    /// For staff only (absent for customers and guests): why the checkout
    /// was held (`source_country_differs`, `many_orders_from_source`,
    /// `failed_payments_from_source`, `amount_far_above_usual`); empty
    /// when it was not.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = json!([]))]
    pub fraud_signals: Option<Vec<String>>,
}

impl OrderDto {
    fn new(o: Order, event: fn(OrderEvent) -> OrderEventDto, staff: bool) -> Self {
        let s = o.summary;
        let fraud_signals = staff.then(|| {
            s.fraud_signals
                .iter()
                .map(|f| f.as_str().to_owned())
                .collect()
        });
        let currency = s.totals.currency.as_str().to_owned();
        Self {
            id: s.id.as_uuid(),
            number: s.number,
            status: s.status.into(),
            payment_method: s.payment_method.into(),
            customer_id: s.customer_id.map(|c| c.as_uuid()),
            country: s.country,
            language: s.language.into(),
            lines: o.lines.into_iter().map(|l| line(l, &currency)).collect(),
            shipping: o.shipping.map(|x| shipping(x, &currency)),
            totals: s.totals.into(),
            // The source address and browser of the checkout stay out:
            // they serve fraud checks and tax evidence, not the reader.
            buyer: o.buyer.map(|b| BuyerDto {
                email: b.email,
                name: b.name,
                phone: b.phone,
                billing_address: b.billing.into(),
                shipping_address: b.shipping.map(Into::into),
            }),
            events: o.events.into_iter().map(event).collect(),
            created_at: s.created_at,
            status_changed_at: s.status_changed_at,
            paid_at: s.paid_at,
            fraud_signals,
        }
    }

    /// The order as its customer (or guest) sees it. The account it is
    /// attached to shows only to that account: a guest who bought with an
    /// address that has one learns nothing about it.
    #[must_use]
    pub fn for_holder(o: Order, viewer: Option<CustomerId>) -> Self {
        let own = o.summary.customer_id.is_some() && o.summary.customer_id == viewer;
        let mut dto = Self::new(o, customer_event, false);
        if !own {
            dto.customer_id = None;
        }
        dto
    }

    /// The order as staff see it: who changed it, and their notes.
    #[must_use]
    pub fn for_staff(o: Order) -> Self {
        Self::new(o, staff_event, true)
    }
}

/// A placed order, as the checkout answers it: the order, and for a
/// guest the secret that reads it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01a21fb3-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
    "number": "BQ-7C8D9E-0F1A2B",
    "status": "pending_payment",
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
    "events": [{"from": null, "to": "pending_payment", "at": "2026-11-20T17:42:31Z", "actor": "customer", "note": null}],
    "created_at": "2026-11-20T17:42:31Z",
    "status_changed_at": "2026-11-20T17:42:31Z",
    "paid_at": null,
    "access_secret": "m3x9Qh2bJ0cVtq6Yw1sR8fKp4LzN7uDe5aGiHjXoBv0",
    "payment": null
}))]
pub struct PlacedOrder {
    /// The order.
    #[serde(flatten)]
    pub order: OrderDto,
    /// For a guest's order: its secret, shown here and in the confirmation
    /// e-mail's link only. Send it as `X-Order-Secret` to read the order
    /// (`GET /v1/orders/{order_id}`) or cancel it; keep it like a password.
    /// `null` for a customer's order, which the bearer token reads.
    pub access_secret: Option<String>,
    /// For `stripe`: the card payment to confirm with Stripe.js. `null`
    /// for a bank transfer, or when Stripe did not answer in time: then
    /// ask `POST /v1/orders/{order_id}/payment`.
    pub payment: Option<crate::routes::payments::PaymentDto>,
}

/// An order in a list: no personal data (no buyer, no lines).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01a21fb3-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
    "number": "BQ-7C8D9E-0F1A2B",
    "status": "pending_payment",
    "payment_method": "bank_transfer",
    "customer_id": "01a21fb0-2c4e-7a31-8f0d-5b6e7c8d9e01",
    "country": "FR",
    "language": "fr",
    "totals": {
        "goods_net": {"amount": 66667, "currency": "EUR"},
        "discount_net": {"amount": 0, "currency": "EUR"},
        "shipping_net": {"amount": 0, "currency": "EUR"},
        "net": {"amount": 66667, "currency": "EUR"},
        "vat": {"amount": 13333, "currency": "EUR"},
        "total": {"amount": 80000, "currency": "EUR"}
    },
    "created_at": "2026-11-20T17:42:31Z",
    "status_changed_at": "2026-11-20T17:42:31Z",
    "paid_at": null
}))]
#[schema(as = OrderSummary)]
pub struct OrderSummaryDto {
    /// Order id (UUID v7), for `/v1/orders/{order_id}`.
    pub id: Uuid,
    /// The number the customer sees (`BQ-` then twelve random hexadecimal
    /// digits).
    #[schema(example = "BQ-7C8D9E-0F1A2B")]
    pub number: String,
    /// Where it stands.
    pub status: OrderStatusDto,
    /// How it is paid.
    pub payment_method: PaymentMethodDto,
    /// The customer's account (a UUID); `null` for a guest's order.
    pub customer_id: Option<Uuid>,
    /// The destination country that decided VAT and shipping (ISO 3166-1
    /// alpha-2).
    #[schema(example = "FR")]
    pub country: String,
    /// Language of the order's e-mails.
    pub language: LanguageDto,
    /// What it costs.
    pub totals: OrderTotalsDto,
    /// When it was placed (RFC 3339, UTC).
    pub created_at: DateTime<Utc>,
    /// When its status last changed (RFC 3339, UTC).
    pub status_changed_at: DateTime<Utc>,
    /// When it was paid (RFC 3339, UTC); `null` until then.
    pub paid_at: Option<DateTime<Utc>>,
}

impl From<OrderSummary> for OrderSummaryDto {
    fn from(s: OrderSummary) -> Self {
        Self {
            id: s.id.as_uuid(),
            number: s.number,
            status: s.status.into(),
            payment_method: s.payment_method.into(),
            customer_id: s.customer_id.map(|c| c.as_uuid()),
            country: s.country,
            language: s.language.into(),
            totals: s.totals.into(),
            created_at: s.created_at,
            status_changed_at: s.status_changed_at,
            paid_at: s.paid_at,
        }
    }
}

/// A page of orders, newest first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "items": [{
        "id": "01a21fb3-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
        "number": "BQ-7C8D9E-0F1A2B",
        "status": "completed",
        "payment_method": "stripe",
        "customer_id": "01a21fb0-2c4e-7a31-8f0d-5b6e7c8d9e01",
        "country": "FR",
        "language": "fr",
        "totals": {
            "goods_net": {"amount": 66667, "currency": "EUR"},
            "discount_net": {"amount": 0, "currency": "EUR"},
            "shipping_net": {"amount": 0, "currency": "EUR"},
            "net": {"amount": 66667, "currency": "EUR"},
            "vat": {"amount": 13333, "currency": "EUR"},
            "total": {"amount": 80000, "currency": "EUR"}
        },
        "created_at": "2026-11-20T17:42:31Z",
        "status_changed_at": "2026-11-20T17:45:02Z",
        "paid_at": "2026-11-20T17:45:02Z"
    }],
    "next_cursor": null
}))]
pub struct OrderPage {
    /// The orders of this page, newest first, at most `limit` of them.
    pub items: Vec<OrderSummaryDto>,
    /// Pass as `cursor` to get the next (older) page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Pages `list(before, limit + 1)`: the extra order tells whether a next
/// page exists, whose cursor is the last order shown.
pub(crate) fn page(mut items: Vec<OrderSummary>, limit: usize, listing: &str) -> OrderPage {
    let next_cursor = if items.len() > limit {
        items.truncate(limit);
        items.last().map(|o| cursor_after(listing, o.id.as_uuid()))
    } else {
        None
    };
    OrderPage {
        items: items.into_iter().map(Into::into).collect(),
        next_cursor,
    }
}

/// `limit + 1`, as the order lists ask storage for it.
pub(crate) fn one_more(limit: usize) -> u64 {
    u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1)
}

const NOT_YOURS: &str = "No order has this id, or it is not yours.";

/// Whoever calls, and the order: the signed-in customer and the order
/// secret sent. With neither, or a secret that is not this order's, 401
/// before anything is looked up; another customer's order is a 404, so ids
/// cannot be probed.
///
/// # Errors
/// 401 without a token or a secret, or with a wrong secret; 404 for a
/// malformed id.
pub(crate) fn order_holder<'a>(
    state: &SharedState,
    auth: &MaybeAuth,
    req: &'a HttpRequest,
    raw_id: &str,
) -> Result<(OrderHolder<'a>, OrderId), ApiError> {
    let h = OrderHolder {
        customer: auth.0.as_ref().map(|p| p.customer_id),
        secret: header(req, ORDER_SECRET_HEADER),
    };
    if h.customer.is_none() && h.secret.is_none() {
        return Err(ApiError::Unauthorized {
            invalid_token: false,
        });
    }
    let id = order_id(raw_id, NOT_YOURS)?;
    // A secret is a keyed hash of the id: a wrong one is refused without
    // looking anything up.
    if h.secret.is_some_and(|s| {
        !domain::shop::secret_matches(
            state.index.as_ref(),
            domain::shop::order::ORDER_SECRET,
            id.as_uuid(),
            s,
        )
    }) {
        return Err(ApiError::Unauthorized {
            invalid_token: true,
        });
    }
    Ok((h, id))
}

pub(crate) fn order_id(raw: &str, not_found: &'static str) -> Result<OrderId, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::NotFound(not_found.into()))
}

/// The signed-in customer's orders, newest first (no personal data in the
/// list: read one for its lines and addresses).
#[utoipa::path(
    tag = "me",
    operation_id = "list_my_orders",
    security(("bearer" = [])),
    params(PageParams),
    responses(
        (status = 200, description = "A page of the caller's orders", body = OrderPage),
        (status = 400, description = "Bad limit or cursor", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[get("/v1/me/orders")]
pub async fn list_my_orders(
    state: SharedState,
    auth: Auth,
    page_params: Params<PageParams>,
) -> Result<web::Json<OrderPage>, ApiError> {
    let p = page_params.read()?;
    let (limit, before) = p.parse("orders")?;
    let items = order::list_mine(
        state.store.as_ref(),
        auth.0.customer_id,
        before.map(OrderId::from_uuid),
        one_more(limit.get()),
    )
    .await?;
    Ok(web::Json(page(items, limit.get(), "orders")))
}

/// Read an order: its customer with the bearer token, or a guest with its
/// secret (`X-Order-Secret`, from the checkout's answer or the
/// confirmation e-mail's link).
///
/// Any other caller gets 404, never 403, so order ids cannot be probed.
#[utoipa::path(
    tag = "orders",
    operation_id = "get_order",
    security(("bearer" = []), ("order_secret" = [])),
    params(("order_id" = Uuid, Path, description = "The order's id")),
    responses(
        (status = 200, description = "The order", body = OrderDto),
        (status = 404, description = "No order has this id, or the caller may not read it", body = Problem, content_type = "application/problem+json"),
        MaybeSignedInErrors,
    )
)]
#[get("/v1/orders/{order_id}")]
pub async fn get_order(
    state: SharedState,
    auth: MaybeAuth,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<web::Json<OrderDto>, ApiError> {
    let (holder, id) = order_holder(&state, &auth, &req, &path)?;
    let o = order::read(state.store.as_ref(), state.index.as_ref(), &holder, id).await?;
    Ok(web::Json(OrderDto::for_holder(o, holder.customer)))
}

/// Cancel an order that still waits for its payment: its customer with
/// the bearer token, or a guest with `X-Order-Secret`. The buyer is told
/// by e-mail.
///
/// Once paid, on hold or closed it cannot be cancelled here (409
/// `/problems/illegal-transition`): write to the shop (a refund is staff's
/// decision).
#[utoipa::path(
    tag = "orders",
    operation_id = "cancel_order",
    security(("bearer" = []), ("order_secret" = [])),
    params(("order_id" = Uuid, Path, description = "The order's id")),
    responses(
        (status = 200, description = "Cancelled: the order", body = OrderDto),
        (status = 404, description = "No order has this id, or the caller may not use it", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`illegal-transition`: the order no longer waits for its payment (`from` is its status); `conflict`: it changed meanwhile, read it again", body = Problem, content_type = "application/problem+json", examples(
            ("illegal-transition" = (summary = "The order was paid already", value = json!({
                "type": "/problems/illegal-transition",
                "title": "The order cannot move to this status",
                "status": 409,
                "detail": "An order cannot go from processing to cancelled.",
                "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85",
                "from": "processing",
                "to": "cancelled"
            }))),
            ("conflict" = (summary = "The order changed meanwhile", value = json!({
                "type": "/problems/conflict",
                "title": "The request conflicts with the current state",
                "status": 409,
                "detail": "the order changed meanwhile; read it again",
                "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85"
            })))
        )),
        MaybeSignedInErrors,
    )
)]
#[post("/v1/orders/{order_id}/cancel")]
pub async fn cancel_order(
    state: SharedState,
    auth: MaybeAuth,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (holder, id) = order_holder(&state, &auth, &req, &path)?;
    let o = order::cancel(
        state.store.as_ref(),
        state.index.as_ref(),
        state.clock.as_ref(),
        &holder,
        id,
    )
    .await?;
    Ok(HttpResponse::Ok().json(OrderDto::for_holder(o, holder.customer)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_order_status_has_its_wire_name() {
        for s in OrderStatus::ALL {
            let dto = OrderStatusDto::from(s);
            assert_eq!(
                serde_json::to_value(dto).unwrap(),
                serde_json::json!(s.as_str())
            );
            assert_eq!(OrderStatus::from(dto), s);
        }
        for m in [PaymentMethod::BankTransfer, PaymentMethod::Stripe] {
            assert_eq!(
                serde_json::to_value(PaymentMethodDto::from(m)).unwrap(),
                serde_json::json!(m.as_str())
            );
        }
    }

    #[test]
    fn customers_see_neither_staff_ids_nor_staff_notes() {
        let at = chrono::Utc::now();
        let staff = OrderEvent {
            from: Some(OrderStatus::PendingPayment),
            to: OrderStatus::OnHold,
            at,
            actor: "staff:01a21fb0-2c4e-7a31-8f0d-5b6e7c8d9e01".into(),
            note: Some("fraud check".into()),
        };
        let seen = customer_event(staff.clone());
        assert_eq!(seen.actor, "staff");
        assert_eq!(seen.note, None);
        let seen = staff_event(staff);
        assert!(seen.actor.starts_with("staff:"));
        assert_eq!(seen.note.as_deref(), Some("fraud check"));
        let mine = customer_event(OrderEvent {
            from: Some(OrderStatus::PendingPayment),
            to: OrderStatus::Cancelled,
            at,
            actor: "customer".into(),
            note: Some("cancelled by the customer".into()),
        });
        assert_eq!(mine.actor, "customer");
        assert!(mine.note.is_some());
    }

    #[test]
    fn order_pages_ask_one_more_and_continue_after_the_last_shown() {
        use domain::identity::Language;
        use domain::money::Currency;
        let summary = || OrderSummary {
            id: OrderId::new(),
            number: "BQ-000000-000000".into(),
            customer_id: None,
            status: OrderStatus::PendingPayment,
            payment_method: PaymentMethod::Stripe,
            country: "FR".into(),
            totals: OrderTotals {
                currency: Currency::EUR,
                goods_net: 100,
                discount_net: 0,
                shipping_net: 0,
                vat: 20,
                total: 120,
            },
            language: Language::Fr,
            created_at: chrono::Utc::now(),
            status_changed_at: chrono::Utc::now(),
            paid_at: None,
            coupon: None,
            fraud_signals: Vec::new(),
        };
        assert_eq!(one_more(20), 21);
        let items: Vec<OrderSummary> = (0..3).map(|_| summary()).collect();
        let second = items[1].id.as_uuid();
        let p = page(items, 2, "orders");
        assert_eq!(p.items.len(), 2);
        assert_eq!(p.next_cursor, Some(cursor_after("orders", second)));
        assert_eq!(p.items[0].totals.net.amount, 100);
        let p = page(vec![summary()], 2, "orders");
        assert_eq!((p.items.len(), p.next_cursor), (1, None));
    }
}
