//! Orders (SHOP-5): the state machine, the snapshot a checkout takes, and
//! the use cases of customers, guests and staff.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::cart::{CartStatus, Holder};
use super::pricing::{self, Country, LineInput, ShippingCode};
use super::{Offers, access_secret, secret_matches};
use crate::audit::{AuditAction, AuditTarget};
use crate::clock::Clock;
use crate::consent::Channel;
use crate::error::{FieldErrors, StorageError};
use crate::identity::{BlindIndex, CustomerId, Email, Language, Origin, PersonName, PostalAddress};
use crate::ids::{CartId, FormatId, OrderId, ProductId};
use crate::mail::{Envelope, Mail};
use crate::money::{Currency, Money};
use crate::service::ServiceError;
use crate::store::{Repos, Store};
use crate::subject::{SubjectId, subject_for_email};

/// The namespace of order access secrets.
pub const ORDER_SECRET: &str = "order-access";

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    /// Waiting for the payment.
    PendingPayment,
    /// Held for staff (fraud signals, a question).
    OnHold,
    /// Paid; printed sets being prepared.
    Processing,
    /// Delivered (files: at payment).
    Completed,
    /// The payment failed.
    Failed,
    /// Cancelled before payment, or by staff.
    Cancelled,
    /// Refunded in full.
    Refunded,
    /// Refunded in part.
    PartiallyRefunded,
}

impl OrderStatus {
    /// Every status.
    pub const ALL: [Self; 8] = [
        Self::PendingPayment,
        Self::OnHold,
        Self::Processing,
        Self::Completed,
        Self::Failed,
        Self::Cancelled,
        Self::Refunded,
        Self::PartiallyRefunded,
    ];

    /// The wire and stored name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::PendingPayment => "pending_payment",
            Self::OnHold => "on_hold",
            Self::Processing => "processing",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
            Self::Refunded => "refunded",
            Self::PartiallyRefunded => "partially_refunded",
        }
    }

    /// Parses a name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// Whether the order may move from this status to `to`.
    #[must_use]
    pub const fn can_become(self, to: Self) -> bool {
        use OrderStatus::{
            Cancelled, Completed, Failed, OnHold, PartiallyRefunded, PendingPayment, Processing,
            Refunded,
        };
        matches!(
            (self, to),
            (
                PendingPayment,
                OnHold | Processing | Completed | Failed | Cancelled
            ) | (OnHold, PendingPayment | Processing | Completed | Cancelled)
                | (
                    Processing,
                    OnHold | Completed | Cancelled | Refunded | PartiallyRefunded
                )
                | (Completed, Refunded | PartiallyRefunded)
                | (PartiallyRefunded, Refunded | PartiallyRefunded)
                | (Failed, PendingPayment | Cancelled)
        )
    }

    /// Whether the order was paid (it holds an invoice, its files may be
    /// downloaded).
    #[must_use]
    pub const fn is_paid(self) -> bool {
        matches!(
            self,
            Self::Processing | Self::Completed | Self::PartiallyRefunded
        )
    }
}

/// How the customer pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentMethod {
    /// A bank transfer; staff mark the order paid when it arrives.
    BankTransfer,
    /// Stripe (card and others), through a PaymentIntent.
    Stripe,
}

impl PaymentMethod {
    /// Wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::BankTransfer => "bank_transfer",
            Self::Stripe => "stripe",
        }
    }

    /// Parses a name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        [Self::BankTransfer, Self::Stripe]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// One line of an order as sold: nothing here changes when the catalogue does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    /// The plan.
    pub product_id: ProductId,
    /// The format.
    pub format_id: FormatId,
    /// Plan slug then.
    pub slug: String,
    /// Plan title then.
    pub title: String,
    /// Format kind (`pdf`, `cad`, `printed_set`).
    pub kind: String,
    /// SKU.
    pub sku: String,
    /// How many.
    pub quantity: u32,
    /// Catalogue price then (French VAT included), cents.
    pub unit_price: i64,
    /// Unit price before VAT, cents.
    pub unit_net: i64,
    /// VAT rate, hundredths of a percent.
    pub vat_rate_bp: u32,
    /// Discount on the line, before VAT, cents.
    pub discount_net: i64,
    /// Line total before VAT, after discount, cents.
    pub net: i64,
    /// VAT of the line, cents.
    pub vat: i64,
    /// Line total with VAT, cents.
    pub gross: i64,
}

/// The order's amounts, in cents (clear: no one is named by them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderTotals {
    /// Currency.
    pub currency: Currency,
    /// Goods before VAT and discount.
    pub goods_net: i64,
    /// Discount before VAT.
    pub discount_net: i64,
    /// Shipping before VAT.
    pub shipping_net: i64,
    /// All VAT.
    pub vat: i64,
    /// What is paid.
    pub total: i64,
}

/// How the order ships, when it holds printed sets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderShipping {
    /// `standard` or `express`.
    pub method: String,
    /// Before VAT, cents.
    pub net: i64,
    /// VAT, cents.
    pub vat: i64,
    /// With VAT, cents.
    pub gross: i64,
    /// VAT rate, hundredths of a percent.
    pub vat_rate_bp: u32,
}

/// The buyer's details: all personal, sealed under the order's subject.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuyerDetails {
    /// E-mail.
    pub email: String,
    /// Name.
    pub name: String,
    /// Phone.
    pub phone: Option<String>,
    /// Billing address.
    pub billing: PostalAddress,
    /// Shipping address (printed sets).
    pub shipping: Option<PostalAddress>,
    /// Source address of the checkout (fraud checks, tax evidence).
    pub ip: Option<String>,
    /// Browser of the checkout (fraud checks).
    pub user_agent: Option<String>,
}

impl std::fmt::Debug for BuyerDetails {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BuyerDetails(<redacted>)")
    }
}

/// A status change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderEvent {
    /// From (none for the creation).
    pub from: Option<OrderStatus>,
    /// To.
    pub to: OrderStatus,
    /// When.
    pub at: DateTime<Utc>,
    /// Who (`customer`, `system`, `staff:<id>`).
    pub actor: String,
    /// Why (no personal data).
    pub note: Option<String>,
}

/// An order's fields that name no one: what lists show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderSummary {
    /// Id.
    pub id: OrderId,
    /// The number customers see.
    pub number: String,
    /// The account, when it has one.
    pub customer_id: Option<CustomerId>,
    /// Status.
    pub status: OrderStatus,
    /// How it is paid.
    pub payment_method: PaymentMethod,
    /// Destination country (tax and shipping).
    pub country: String,
    /// Amounts.
    pub totals: OrderTotals,
    /// Language of its mails.
    pub language: Language,
    /// Placed.
    pub created_at: DateTime<Utc>,
    /// Last status change.
    pub status_changed_at: DateTime<Utc>,
    /// Paid.
    pub paid_at: Option<DateTime<Utc>>,
    /// The coupon used, by its code.
    pub coupon: Option<String>,
    /// Why the checkout was held for staff (empty when it was not).
    pub fraud_signals: Vec<super::fraud::Signal>,
}

/// A whole order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    /// What lists show.
    pub summary: OrderSummary,
    /// Whose key seals it.
    pub subject: SubjectId,
    /// The lines sold (sealed: a purchase history is personal).
    pub lines: Vec<OrderLine>,
    /// Shipping.
    pub shipping: Option<OrderShipping>,
    /// The buyer (`None` once the subject's key is destroyed).
    pub buyer: Option<BuyerDetails>,
    /// Status changes, oldest first.
    pub events: Vec<OrderEvent>,
}

/// A new order, as checkout writes it.
#[derive(Debug, Clone)]
pub struct NewOrder {
    /// Everything lists show.
    pub summary: OrderSummary,
    /// Its cart.
    pub cart: CartId,
    /// Whose key seals it.
    pub subject: SubjectId,
    /// The blind index of the buyer's e-mail (staff search).
    pub email_bidx: Vec<u8>,
    /// The keyed hash of the `Idempotency-Key`.
    pub key_hash: Vec<u8>,
    /// The keyed hash of the request.
    pub fingerprint: Vec<u8>,
    /// The keyed hash of the checkout's source (fraud counts), never the
    /// address.
    pub source_key: String,
    /// Lines.
    pub lines: Vec<OrderLine>,
    /// Shipping.
    pub shipping: Option<OrderShipping>,
    /// Buyer.
    pub buyer: BuyerDetails,
}

/// Which orders a staff list shows.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    /// Of this status.
    pub status: Option<OrderStatus>,
    /// Placed at or after.
    pub from: Option<DateTime<Utc>>,
    /// Placed before.
    pub until: Option<DateTime<Utc>>,
    /// Bought with this e-mail (its blind index).
    pub email_bidx: Option<Vec<u8>>,
    /// Of this account.
    pub customer: Option<CustomerId>,
    /// Older than this order (cursor).
    pub before: Option<OrderId>,
}

/// Orders.
#[async_trait]
pub trait OrderRepo: Send + Sync {
    /// Stores a new order, its lines and its creation event.
    async fn insert(&self, order: &NewOrder) -> Result<(), StorageError>;
    /// One order, opened.
    async fn get(&self, id: OrderId) -> Result<Option<Order>, StorageError>;
    /// Gives the account the orders (and their complaints) a guest subject
    /// placed with this e-mail's blind index; answers how many orders.
    async fn attach_guest(
        &self,
        guest: SubjectId,
        email_bidx: &[u8],
        customer: CustomerId,
    ) -> Result<u64, StorageError>;
    /// The order made from a cart, with its key and request hashes.
    async fn of_cart(
        &self,
        cart: CartId,
    ) -> Result<Option<(OrderId, Vec<u8>, Vec<u8>)>, StorageError>;
    /// Orders, newest first, at most `limit`.
    async fn list(
        &self,
        filter: &OrderFilter,
        limit: u64,
    ) -> Result<Vec<OrderSummary>, StorageError>;
    /// Orders from a source (its keyed hash) placed since `orders_since`,
    /// and those of them that failed since `failed_since`, each counted up
    /// to `cap` at most: a busy source costs no more than a quiet one.
    async fn source_activity(
        &self,
        source_key: &str,
        orders_since: DateTime<Utc>,
        failed_since: DateTime<Utc>,
        cap: u64,
    ) -> Result<(u64, u64), StorageError>;
    /// The mean total of the last `last` orders, cents.
    async fn usual_total(&self, last: u64) -> Result<Option<i64>, StorageError>;
    /// Moves an order from `from` to `to`, recording the event; false when
    /// it was no longer in `from` (a concurrent change won).
    async fn transition(
        &self,
        id: OrderId,
        from: OrderStatus,
        event: &OrderEvent,
    ) -> Result<bool, StorageError>;
}

/// A checkout, parsed.
#[derive(Debug, Clone)]
pub struct CheckoutInput {
    /// Buyer's e-mail.
    pub email: Email,
    /// Buyer's name.
    pub name: PersonName,
    /// Buyer's phone.
    pub phone: Option<String>,
    /// Billing address.
    pub billing: PostalAddress,
    /// Shipping address.
    pub shipping: Option<PostalAddress>,
    /// The privacy policy version accepted.
    pub policy_version: i32,
    /// The terms version accepted.
    pub terms_version: Option<i32>,
    /// Commercial e-mails chosen.
    pub marketing: bool,
    /// Shipping method chosen.
    pub shipping_method: Option<ShippingCode>,
    /// Payment method.
    pub payment_method: PaymentMethod,
    /// Language of the mails.
    pub language: Language,
    /// A coupon's code.
    pub coupon: Option<super::coupon::CouponCode>,
    /// The country of the checkout's source address, when a country
    /// database knows it (a fraud signal when it is not the billing one).
    pub source_country: Option<String>,
}

/// The buyer asked for an account at checkout (ACC-2): opened with the
/// order when the address has none, with the mail that lets them in.
#[derive(Clone, Copy)]
pub struct AccountOpening<'a> {
    /// Makes the set-password link or the password.
    pub random: &'a dyn crate::identity::Randomness,
    /// How accounts are set up.
    pub config: &'a crate::identity::IdentityConfig,
    /// Decided before the unit of work.
    pub setup: &'a crate::identity::Setup,
}

/// What a checkout answers.
#[derive(Debug, Clone)]
pub struct Placed {
    /// The order.
    pub order: Order,
    /// Its access secret (guests read it with it).
    pub secret: String,
    /// False when this was a retry answered with the order made before.
    pub created: bool,
}

/// The order number customers see: the random end of the id, so numbers
/// reveal neither sales volume nor the next number.
#[must_use]
pub fn number(id: OrderId) -> String {
    let hex = id.as_uuid().simple().to_string().to_uppercase();
    format!("BQ-{}-{}", &hex[20..26], &hex[26..32])
}

fn money_err(e: crate::money::MoneyError) -> ServiceError {
    ServiceError::Conflict(format!("the cart's amounts cannot be added up: {e}"))
}

fn pricing_err(e: pricing::PricingError) -> ServiceError {
    ServiceError::field("cart", e.to_string())
}

/// Places an order from a cart (SHOP-5), in one unit of work: the cart is
/// closed, the order keeps a snapshot of lines, prices, VAT, shipping,
/// addresses and the source, the acceptance of the documents in force
/// (and the marketing choice, when made) goes to the consent ledger, and
/// the confirmation mail to the outbox. The same `Idempotency-Key` with
/// the same request answers the order made before; with another request
/// it is [`ServiceError::IdempotencyConflict`]. Of concurrent checkouts of
/// one cart, exactly one makes the order.
///
/// # Errors
/// Not found; [`ServiceError::CartClosed`]; field errors; conflicts
/// (empty cart, unavailable plans, key reused); storage.
#[allow(clippy::too_many_arguments)]
pub async fn checkout(
    store: &dyn Store,
    index: &dyn BlindIndex,
    clock: &dyn Clock,
    offers: &dyn Offers,
    holder: &Holder<'_>,
    cart_id: CartId,
    input: &CheckoutInput,
    request: &crate::idempotency::IdempotentRequest,
    origin: &Origin,
    opening: Option<AccountOpening<'_>>,
) -> Result<Placed, ServiceError> {
    // A concurrent checkout that committed first makes this one's close
    // fail (or a registration of the address, the account's creation); the
    // second attempt then finds that order (or account).
    for _ in 0..2 {
        if let Some(placed) = try_checkout(
            store, index, clock, offers, holder, cart_id, input, request, origin, opening,
        )
        .await?
        {
            return Ok(placed);
        }
    }
    Err(ServiceError::CartClosed)
}

#[allow(clippy::too_many_arguments)]
async fn try_checkout(
    store: &dyn Store,
    index: &dyn BlindIndex,
    clock: &dyn Clock,
    offers: &dyn Offers,
    holder: &Holder<'_>,
    cart_id: CartId,
    input: &CheckoutInput,
    request: &crate::idempotency::IdempotentRequest,
    origin: &Origin,
    opening: Option<AccountOpening<'_>>,
) -> Result<Option<Placed>, ServiceError> {
    let now = clock.now();
    let uow = store.begin().await?;
    uow.carts().lock(cart_id).await?;
    let cart = match uow.carts().get(cart_id).await? {
        Some(c) if holder.holds(index, &c) => c,
        _ => {
            return Err(ServiceError::NotFound(
                "No cart has this id, or it is not yours.",
            ));
        }
    };
    if cart.status == CartStatus::CheckedOut {
        let Some((id, key, fingerprint)) = uow.orders().of_cart(cart_id).await? else {
            return Err(ServiceError::CartClosed);
        };
        if key != request.key_hash() {
            return Err(ServiceError::CartClosed);
        }
        if fingerprint != request.fingerprint() {
            return Err(ServiceError::IdempotencyConflict);
        }
        let order = uow
            .orders()
            .get(id)
            .await?
            .ok_or(ServiceError::NotFound("No order has this id."))?;
        return Ok(Some(Placed {
            secret: access_secret(index, ORDER_SECRET, id.as_uuid()),
            order,
            created: false,
        }));
    }
    if cart.status != CartStatus::Open {
        return Err(ServiceError::CartClosed);
    }
    if cart.lines.is_empty() {
        return Err(ServiceError::Conflict("the cart is empty".into()));
    }
    let mut offered = Vec::with_capacity(cart.lines.len());
    let mut gone = Vec::new();
    for l in &cart.lines {
        match offers.offer(l.product_id, l.format_id) {
            Some(o) => offered.push((l, o)),
            None => gone.push(l.id.to_string()),
        }
    }
    if !gone.is_empty() {
        return Err(ServiceError::ItemsUnavailable(gone));
    }
    let ships = offered.iter().any(|(_, o)| o.kind.requires_shipping());
    let mut f = FieldErrors::default();
    if ships && input.shipping.is_none() {
        f.push(
            "shipping_address",
            "required: the cart holds a printed set, which is shipped",
        );
    }
    let docs = crate::legal::current_documents(uow.as_ref()).await?;
    if let Some(p) = &docs.privacy
        && p.version != input.policy_version
    {
        f.push(
            "privacy_policy_version",
            format!("must be the version in force, {}", p.version),
        );
    }
    if let Some(t) = &docs.terms
        && input.terms_version != Some(t.version)
    {
        f.push(
            "terms_version",
            format!("must be the version in force, {}", t.version),
        );
    }
    f.check()?;
    let destination = input
        .shipping
        .as_ref()
        .filter(|_| ships)
        .unwrap_or(&input.billing);
    let country = Country::parse(&destination.country).map_err(pricing_err)?;
    let inputs: Vec<LineInput> = offered
        .iter()
        .enumerate()
        .map(|(i, (l, o))| LineInput {
            key: i,
            unit_gross_fr: o.price,
            quantity: l.quantity,
            kind: o.kind,
        })
        .collect();
    let email_bidx = index.email(&input.email);
    let coupon = match &input.coupon {
        Some(code) => {
            let goods = offered.iter().try_fold(0i64, |sum, (l, o)| {
                o.price
                    .amount_minor()
                    .checked_mul(i64::from(l.quantity))
                    .and_then(|t| sum.checked_add(t))
            });
            let goods = goods
                .and_then(|g| Money::new(g, Currency::EUR).ok())
                .ok_or_else(|| ServiceError::Conflict("the cart's amounts overflow".into()))?;
            Some(
                super::coupon::discount_for(uow.as_ref(), code, goods, Some(&email_bidx), now)
                    .await?,
            )
        }
        None => None,
    };
    let est = pricing::estimate(
        &inputs,
        country,
        now.date_naive(),
        coupon.as_ref().map(|(_, d)| *d),
        input.shipping_method,
    )
    .map_err(pricing_err)?;
    let lines: Vec<OrderLine> = est
        .lines
        .iter()
        .filter_map(|p| {
            let (_, o) = offered.get(p.key)?;
            Some(OrderLine {
                product_id: o.product_id,
                format_id: o.format_id,
                slug: o.slug.clone(),
                title: o.title.clone(),
                kind: o.kind.as_str().to_owned(),
                sku: o.sku.clone(),
                quantity: p.quantity,
                unit_price: o.price.amount_minor(),
                unit_net: p.unit_net.amount_minor(),
                vat_rate_bp: p.vat_rate_bp,
                discount_net: p.discount_net.amount_minor(),
                net: p.line_net.amount_minor(),
                vat: p.line_vat.amount_minor(),
                gross: p.line_gross.amount_minor(),
            })
        })
        .collect();
    let shipping = est.shipping.as_ref().map(|s| OrderShipping {
        method: s.code.as_str().to_owned(),
        net: s.net.amount_minor(),
        vat: s.vat.amount_minor(),
        gross: s.gross.amount_minor(),
        vat_rate_bp: s.vat_rate_bp,
    });
    let t = &est.totals;
    let totals = OrderTotals {
        currency: t.gross.currency(),
        goods_net: t.goods_net.amount_minor(),
        discount_net: t.discount_net.amount_minor(),
        shipping_net: t.shipping_net.amount_minor(),
        vat: t.vat.amount_minor(),
        total: t.gross.amount_minor(),
    };
    let policy = super::fraud::FraudPolicy::default();
    // Counting past the thresholds changes no signal.
    let (orders_last_hour, failed_last_day) = uow
        .orders()
        .source_activity(
            &origin.source.key,
            now - chrono::Duration::hours(1),
            now - chrono::Duration::days(1),
            policy.orders_per_hour.max(policy.failed_per_day),
        )
        .await?;
    let fraud_signals = super::fraud::signals(
        &policy,
        &super::fraud::Facts {
            source_country: input.source_country.clone(),
            billing_country: input.billing.country.clone(),
            orders_last_hour: orders_last_hour + 1,
            failed_last_day,
            total: totals.total,
            usual_total: uow.orders().usual_total(100).await?,
        },
    );
    let (subject, customer, opened) = match (cart.customer_id, holder.customer, opening) {
        (Some(c), _, _) | (None, Some(c), _) => (SubjectId::customer(c), Some(c), None),
        (None, None, Some(o)) if uow.accounts().login_record(&input.email).await?.is_none() => {
            let id = CustomerId::new();
            let new = crate::identity::NewCustomer {
                email: input.email.clone(),
                name: input.name.clone(),
                phone: input
                    .phone
                    .as_deref()
                    .and_then(|p| crate::identity::Phone::parse(p).ok()),
                role: crate::identity::Role::Customer,
                language: input.language,
            };
            let opened = crate::identity::open_account(
                uow.as_ref(),
                o.random,
                o.config,
                o.setup.clone(),
                id,
                &new,
                now,
            )
            .await?;
            // None: the address was registered meanwhile; try again.
            let Some(mail) = opened else { return Ok(None) };
            (SubjectId::customer(id), Some(id), Some((id, mail)))
        }
        (None, None, _) => {
            let (s, c) = subject_for_email(uow.as_ref(), index, &input.email, now).await?;
            (s, c, None)
        }
    };
    // An order keeps its account active (RET-2 counts from the last login
    // or order).
    if let Some(c) = customer {
        uow.accounts().touch(c, now).await?;
    }
    let id = OrderId::new();
    let summary = OrderSummary {
        id,
        number: number(id),
        customer_id: customer,
        // Staff look at a held order before it is paid or delivered.
        status: if fraud_signals.is_empty() {
            OrderStatus::PendingPayment
        } else {
            OrderStatus::OnHold
        },
        payment_method: input.payment_method,
        country: country.as_str().to_owned(),
        totals,
        language: input.language,
        created_at: now,
        status_changed_at: now,
        paid_at: None,
        coupon: coupon
            .as_ref()
            .map(|(c, _)| c.rules.code.as_str().to_owned()),
        fraud_signals,
    };
    let new = NewOrder {
        summary,
        cart: cart_id,
        subject,
        email_bidx: email_bidx.clone(),
        key_hash: request.key_hash().to_vec(),
        fingerprint: request.fingerprint().to_vec(),
        source_key: origin.source.key.clone(),
        lines,
        shipping,
        buyer: BuyerDetails {
            email: input.email.as_str().to_owned(),
            name: input.name.as_str().to_owned(),
            phone: input.phone.clone(),
            billing: input.billing.clone(),
            shipping: input.shipping.clone().filter(|_| ships),
            ip: origin.ip.map(|ip| ip.to_string()),
            user_agent: origin.user_agent.clone(),
        },
    };
    if !uow
        .carts()
        .close(cart_id, CartStatus::CheckedOut, now)
        .await?
    {
        return Ok(None);
    }
    uow.orders().insert(&new).await?;
    crate::integration::emit(
        uow.as_ref(),
        crate::integration::EventType::OrderCreated,
        crate::integration::webhooks::order_data(&new.summary),
        Some(id),
        now,
    )
    .await?;
    if let Some((c, _)) = &coupon
        && !uow.coupons().record_use(c.id, id, &email_bidx, now).await?
    {
        return Err(ServiceError::field(
            "coupon_code",
            "this coupon has just been used as many times as it may",
        ));
    }
    crate::consent::record_in(
        uow.as_ref(),
        subject,
        "terms_and_privacy",
        true,
        Channel::Checkout,
        origin,
        now,
    )
    .await?;
    if input.marketing {
        crate::consent::record_in(
            uow.as_ref(),
            subject,
            "marketing_email",
            true,
            Channel::Checkout,
            origin,
            now,
        )
        .await?;
    }
    let secret = access_secret(index, ORDER_SECRET, id.as_uuid());
    let to_buyer = |mail| Envelope {
        to: input.email.clone(),
        name: Some(input.name.clone()),
        language: input.language,
        mail,
    };
    uow.outbox()
        .enqueue(
            subject,
            &to_buyer(Mail::OrderConfirmation {
                order: id,
                number: new.summary.number.clone(),
                total: Money::new(totals.total, totals.currency)
                    .map_err(money_err)?
                    .to_string(),
                payment_method: input.payment_method.as_str().to_owned(),
                // Whoever is not signed in reads the order with it,
                // even when it went to an account.
                secret: holder.customer.is_none().then(|| secret.clone()),
            }),
            now,
        )
        .await?;
    if let Some((id, mail)) = opened {
        uow.outbox().enqueue(subject, &to_buyer(mail), now).await?;
        uow.audit()
            .append(
                crate::audit::NewAuditEntry::new(
                    crate::audit::Actor::Anonymous,
                    AuditAction::AccountCreated,
                    Some(AuditTarget::Customer(id)),
                    origin.source.display.clone(),
                )
                .because("account asked for at checkout"),
                now,
            )
            .await?;
    }
    let order = uow
        .orders()
        .get(id)
        .await?
        .ok_or(ServiceError::NotFound("No order has this id."))?;
    uow.commit().await?;
    Ok(Some(Placed {
        order,
        secret,
        created: true,
    }))
}

/// Who reads an order: its customer, or a guest with its secret.
#[derive(Debug, Clone, Copy)]
pub struct OrderHolder<'a> {
    /// The signed-in caller.
    pub customer: Option<CustomerId>,
    /// The `X-Order-Secret` sent.
    pub secret: Option<&'a str>,
}

fn holds_order(index: &dyn BlindIndex, h: &OrderHolder<'_>, o: &OrderSummary) -> bool {
    (o.customer_id.is_some() && h.customer == o.customer_id)
        || h.secret
            .is_some_and(|s| secret_matches(index, ORDER_SECRET, o.id.as_uuid(), s))
}

async fn held_order(
    repos: &dyn Repos,
    index: &dyn BlindIndex,
    h: &OrderHolder<'_>,
    id: OrderId,
) -> Result<Order, ServiceError> {
    match repos.orders().get(id).await? {
        Some(o) if holds_order(index, h, &o.summary) => Ok(o),
        _ => Err(ServiceError::NotFound(
            "No order has this id, or it is not yours.",
        )),
    }
}

/// Reads an order as its customer or with its secret.
///
/// # Errors
/// Not found (also for another's order); storage.
pub async fn read(
    store: &dyn Store,
    index: &dyn BlindIndex,
    holder: &OrderHolder<'_>,
    id: OrderId,
) -> Result<Order, ServiceError> {
    held_order(store.reader().as_ref(), index, holder, id).await
}

/// The customer's orders, newest first.
///
/// # Errors
/// Storage.
pub async fn list_mine(
    store: &dyn Store,
    customer: CustomerId,
    before: Option<OrderId>,
    limit: u64,
) -> Result<Vec<OrderSummary>, ServiceError> {
    Ok(store
        .reader()
        .orders()
        .list(
            &OrderFilter {
                customer: Some(customer),
                before,
                ..OrderFilter::default()
            },
            limit,
        )
        .await?)
}

async fn move_order(
    repos: &dyn Repos,
    order: &Order,
    to: OrderStatus,
    actor: String,
    note: Option<String>,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let from = order.summary.status;
    if !from.can_become(to) {
        return Err(ServiceError::IllegalTransition {
            from: from.as_str(),
            to: to.as_str(),
        });
    }
    let event = OrderEvent {
        from: Some(from),
        to,
        at: now,
        actor,
        note,
    };
    if !repos
        .orders()
        .transition(order.summary.id, from, &event)
        .await?
    {
        return Err(ServiceError::Conflict(
            "the order changed meanwhile; read it again".into(),
        ));
    }
    if from != to {
        let mut after = order.summary.clone();
        after.status = to;
        let newly_paid = to.is_paid() && after.paid_at.is_none();
        if newly_paid {
            after.paid_at = Some(now);
        }
        crate::integration::webhooks::emit_status_change(repos, from, &after, newly_paid, now)
            .await?;
    }
    if let (Some(buyer), true) = (&order.buyer, from != to) {
        let email = Email::parse(&buyer.email)
            .map_err(|_| StorageError::msg("corrupt stored data: order e-mail"))?;
        repos
            .outbox()
            .enqueue(
                order.subject,
                &Envelope {
                    to: email,
                    name: PersonName::parse(&buyer.name).ok(),
                    language: order.summary.language,
                    mail: Mail::OrderStatusChanged {
                        order: order.summary.id,
                        number: order.summary.number.clone(),
                        status: to.as_str().to_owned(),
                    },
                },
                now,
            )
            .await?;
    }
    Ok(())
}

/// Cancels an order still waiting for its payment, as its customer (or a
/// guest with its secret).
///
/// # Errors
/// Not found; [`ServiceError::IllegalTransition`] once paid or closed; storage.
pub async fn cancel(
    store: &dyn Store,
    index: &dyn BlindIndex,
    clock: &dyn Clock,
    holder: &OrderHolder<'_>,
    id: OrderId,
) -> Result<Order, ServiceError> {
    let now = clock.now();
    let uow = store.begin().await?;
    let order = held_order(uow.as_ref(), index, holder, id).await?;
    if order.summary.status != OrderStatus::PendingPayment {
        return Err(ServiceError::IllegalTransition {
            from: order.summary.status.as_str(),
            to: OrderStatus::Cancelled.as_str(),
        });
    }
    move_order(
        uow.as_ref(),
        &order,
        OrderStatus::Cancelled,
        "customer".into(),
        Some("cancelled by the customer".into()),
        now,
    )
    .await?;
    let order = uow
        .orders()
        .get(id)
        .await?
        .ok_or(ServiceError::NotFound("No order has this id."))?;
    uow.commit().await?;
    Ok(order)
}

/// What staff do to an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffAction {
    /// The bank transfer arrived: paid (completed when it holds only files).
    MarkPaid,
    /// Hold for a question or a fraud check.
    Hold,
    /// Release a held order (back to waiting for payment, or processing
    /// when it was paid).
    Release,
    /// Printed sets shipped.
    Complete,
    /// Cancel.
    Cancel,
}

impl StaffAction {
    /// Every action.
    pub const ALL: [Self; 5] = [
        Self::MarkPaid,
        Self::Hold,
        Self::Release,
        Self::Complete,
        Self::Cancel,
    ];

    /// Wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::MarkPaid => "mark_paid",
            Self::Hold => "hold",
            Self::Release => "release",
            Self::Complete => "complete",
            Self::Cancel => "cancel",
        }
    }

    /// Parses a name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

fn only_files(order: &Order) -> bool {
    order.lines.iter().all(|l| l.kind != "printed_set")
}

/// Staff list orders (no personal data in the list; not an audited read).
///
/// # Errors
/// Storage.
pub async fn staff_list(
    store: &dyn Store,
    filter: &OrderFilter,
    limit: u64,
) -> Result<Vec<OrderSummary>, ServiceError> {
    Ok(store.reader().orders().list(filter, limit).await?)
}

/// Staff read an order, audited with the reason given.
///
/// # Errors
/// Not found; storage.
pub async fn staff_read(
    store: &dyn Store,
    clock: &dyn Clock,
    staff: &impl crate::integration::Acting,
    id: OrderId,
    reason: &str,
) -> Result<Order, ServiceError> {
    let now = clock.now();
    let uow = store.begin().await?;
    let order = uow
        .orders()
        .get(id)
        .await?
        .ok_or(ServiceError::NotFound("No order has this id."))?;
    crate::audit::record(
        uow.as_ref(),
        staff.by(),
        AuditAction::PersonalDataAccessed,
        AuditTarget::Order(id),
        &staff.reason(reason),
        now,
    )
    .await?;
    uow.commit().await?;
    Ok(order)
}

/// Staff move an order (bank transfer received, hold, release, complete,
/// cancel), audited; the customer is told by mail. Marking it paid issues
/// its invoice, with `seller`'s identity, in the same unit of work.
///
/// # Errors
/// Not found; [`ServiceError::IllegalTransition`]; a conflict when the paid
/// order cannot be invoiced (its buyer was erased); storage.
pub async fn staff_act(
    store: &dyn Store,
    clock: &dyn Clock,
    staff: &impl crate::integration::Acting,
    id: OrderId,
    action: StaffAction,
    note: Option<String>,
    seller: &super::invoice::Seller,
) -> Result<Order, ServiceError> {
    let now = clock.now();
    let uow = store.begin().await?;
    let order = uow
        .orders()
        .get(id)
        .await?
        .ok_or(ServiceError::NotFound("No order has this id."))?;
    let status = order.summary.status;
    let paid_to = if only_files(&order) {
        OrderStatus::Completed
    } else {
        OrderStatus::Processing
    };
    let to = match action {
        StaffAction::MarkPaid => paid_to,
        StaffAction::Hold => OrderStatus::OnHold,
        StaffAction::Release if order.summary.paid_at.is_some() => paid_to,
        StaffAction::Release => OrderStatus::PendingPayment,
        StaffAction::Complete => OrderStatus::Completed,
        StaffAction::Cancel => OrderStatus::Cancelled,
    };
    if action == StaffAction::MarkPaid && order.summary.paid_at.is_some() {
        return Err(ServiceError::IllegalTransition {
            from: status.as_str(),
            to: to.as_str(),
        });
    }
    if action == StaffAction::Release && status != OrderStatus::OnHold {
        return Err(ServiceError::IllegalTransition {
            from: status.as_str(),
            to: to.as_str(),
        });
    }
    let order = settle_in(
        uow.as_ref(),
        &order,
        to,
        staff.label(),
        note.clone(),
        seller,
        now,
    )
    .await?;
    crate::audit::record(
        uow.as_ref(),
        staff.by(),
        AuditAction::OrderStatusChanged,
        AuditTarget::Order(id),
        &format!(
            "{} -> {} ({})",
            status.as_str(),
            to.as_str(),
            action.as_str()
        ),
        now,
    )
    .await?;
    uow.commit().await?;
    Ok(order)
}

/// Moves an order inside a unit of work, tells the buyer, and issues the
/// invoice when this is its payment; the order as it is now.
///
/// # Errors
/// [`ServiceError::IllegalTransition`]; a conflict when the order changed
/// meanwhile; storage.
pub(crate) async fn settle_in(
    repos: &dyn Repos,
    order: &Order,
    to: OrderStatus,
    actor: String,
    note: Option<String>,
    seller: &super::invoice::Seller,
    now: DateTime<Utc>,
) -> Result<Order, ServiceError> {
    move_order(repos, order, to, actor, note, now).await?;
    let after = repos
        .orders()
        .get(order.summary.id)
        .await?
        .ok_or(ServiceError::NotFound("No order has this id."))?;
    if to.is_paid() && order.summary.paid_at.is_none() {
        super::invoice::issue_in(repos, &after, seller, now).await?;
    }
    Ok(after)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_listed_transitions_are_legal() {
        use OrderStatus::*;
        assert!(PendingPayment.can_become(Processing));
        assert!(PendingPayment.can_become(Cancelled));
        assert!(!Cancelled.can_become(Processing));
        assert!(!Refunded.can_become(Completed));
        assert!(!Completed.can_become(PendingPayment));
        assert!(!Completed.can_become(Cancelled));
        assert!(OnHold.can_become(Processing));
        for s in OrderStatus::ALL {
            assert!(!Refunded.can_become(s), "refunded is final");
            assert!(!Cancelled.can_become(s), "cancelled is final");
            assert_eq!(OrderStatus::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn order_numbers_use_the_random_end_of_the_id() {
        let id = OrderId::new();
        let n = number(id);
        assert_eq!(n.len(), 16);
        assert!(n.starts_with("BQ-"));
        assert_ne!(number(OrderId::new()), n);
    }

    #[test]
    fn statuses_and_actions_round_trip() {
        for a in StaffAction::ALL {
            assert_eq!(StaffAction::parse(a.as_str()), Some(a));
        }
        assert_eq!(PaymentMethod::parse("stripe"), Some(PaymentMethod::Stripe));
        assert_eq!(super::super::cart::CART_SECRET, "cart-access");
    }
}
