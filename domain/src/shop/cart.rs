//! Carts (SHOP-1): a guest's (used with the cart's secret) or a signed-in
//! customer's. Lines name a plan's format and a quantity, never a price:
//! prices are read from the catalogue every time. Every change records the
//! cart's last activity, which its retention rule counts from.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::pricing::MAX_QUANTITY;
use super::{Offer, Offers};
use crate::clock::Clock;
use crate::error::StorageError;
use crate::identity::{BlindIndex, CustomerId, Email, Principal};
use crate::ids::{CartId, CartLineId, FormatId, ProductId};
use crate::money::{Currency, Money};
use crate::service::ServiceError;
use crate::store::Store;
use crate::subject::{SubjectId, subject_for_email};

/// The namespace of cart secrets.
pub const CART_SECRET: &str = "cart-access";
/// Most lines in one cart.
pub const MAX_LINES: usize = 50;

/// Where a cart stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CartStatus {
    /// Being filled.
    Open,
    /// Became an order.
    CheckedOut,
    /// Merged into its customer's cart.
    Merged,
}

impl CartStatus {
    /// The stored name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::CheckedOut => "checked_out",
            Self::Merged => "merged",
        }
    }

    /// Parses a stored name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Open, Self::CheckedOut, Self::Merged]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// A line: a format of a plan, and how many.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CartLine {
    /// Id.
    pub id: CartLineId,
    /// The plan.
    pub product_id: ProductId,
    /// The format.
    pub format_id: FormatId,
    /// How many (1 to 99).
    pub quantity: u32,
    /// When it was added.
    pub added_at: DateTime<Utc>,
}

/// A stored cart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cart {
    /// Id.
    pub id: CartId,
    /// The customer's, when it belongs to an account.
    pub customer_id: Option<CustomerId>,
    /// Whose key seals its e-mail, once one is attached.
    pub subject: Option<SubjectId>,
    /// The attached e-mail (`None` when none, or its key was destroyed).
    pub email: Option<Email>,
    /// Where it stands.
    pub status: CartStatus,
    /// Its lines, oldest first.
    pub lines: Vec<CartLine>,
    /// Creation.
    pub created_at: DateTime<Utc>,
    /// Last change or use.
    pub last_activity_at: DateTime<Utc>,
}

/// Carts.
#[async_trait]
pub trait CartRepo: Send + Sync {
    /// Stores a new, empty cart.
    async fn insert(
        &self,
        id: CartId,
        customer: Option<CustomerId>,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError>;
    /// A cart with its lines.
    async fn get(&self, id: CartId) -> Result<Option<Cart>, StorageError>;
    /// Locks a cart's row until the unit of work ends, so changes to one
    /// cart happen one after the other (an embedded database's unit of
    /// work holds the write lock already).
    async fn lock(&self, id: CartId) -> Result<(), StorageError>;
    /// The customer's open cart, if any (the newest).
    async fn open_of(&self, customer: CustomerId) -> Result<Option<CartId>, StorageError>;
    /// Adds a line, or sets the quantity of the line of this format.
    async fn put_line(&self, cart: CartId, line: &CartLine) -> Result<(), StorageError>;
    /// Sets a line's quantity; false when the cart has no such line.
    async fn set_quantity(
        &self,
        cart: CartId,
        line: CartLineId,
        quantity: u32,
    ) -> Result<bool, StorageError>;
    /// Removes a line; false when the cart has no such line.
    async fn remove_line(&self, cart: CartId, line: CartLineId) -> Result<bool, StorageError>;
    /// Attaches an e-mail, sealed under `subject`.
    async fn set_email(
        &self,
        cart: CartId,
        subject: SubjectId,
        email: &Email,
        email_bidx: &[u8],
    ) -> Result<(), StorageError>;
    /// Gives a guest cart to a customer.
    async fn set_customer(&self, cart: CartId, customer: CustomerId) -> Result<(), StorageError>;
    /// Records activity.
    async fn touch(&self, cart: CartId, now: DateTime<Utc>) -> Result<(), StorageError>;
    /// Moves an open cart to `status`; false when it was not open any more
    /// (a concurrent checkout won): the one statement that settles races.
    async fn close(
        &self,
        cart: CartId,
        status: CartStatus,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError>;
}

/// Who uses a cart: a signed-in customer, or whoever holds its secret.
#[derive(Debug, Clone, Copy)]
pub struct Holder<'a> {
    /// The signed-in caller, if any.
    pub customer: Option<CustomerId>,
    /// The `X-Cart-Secret` sent, if any.
    pub secret: Option<&'a str>,
}

impl Holder<'_> {
    /// Whether this holder may use `cart`: its owner, or (for a guest
    /// cart) the holder of its secret.
    #[must_use]
    pub fn holds(&self, index: &dyn BlindIndex, cart: &Cart) -> bool {
        match cart.customer_id {
            Some(owner) => self.customer == Some(owner),
            None => self
                .secret
                .is_some_and(|s| super::secret_matches(index, CART_SECRET, cart.id.as_uuid(), s)),
        }
    }
}

/// A line with what it costs now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedLine {
    /// The line.
    pub line: CartLine,
    /// The offer, `None` when the plan or format is no longer for sale.
    pub offer: Option<Offer>,
    /// Unit price times quantity (French VAT included), when for sale.
    pub total: Option<Money>,
}

/// A cart as its holder sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CartView {
    /// The cart.
    pub cart: Cart,
    /// Its lines, priced now.
    pub lines: Vec<PricedLine>,
    /// Sum of the available lines (French VAT included; the estimate
    /// gives the destination's taxes and shipping).
    pub subtotal: Money,
    /// How many items (sum of quantities of available lines).
    pub item_count: u32,
    /// Whether a line is a printed set, so a shipping address is needed.
    pub requires_shipping: bool,
    /// The secret, for a guest cart (to its holder only).
    pub secret: Option<String>,
}

/// Prices a cart's lines from the catalogue.
#[must_use]
pub fn price(cart: Cart, offers: &dyn Offers, secret: Option<String>) -> CartView {
    let mut subtotal = 0i64;
    let mut item_count = 0u32;
    let mut requires_shipping = false;
    let lines = cart
        .lines
        .iter()
        .map(|l| {
            let offer = offers.offer(l.product_id, l.format_id);
            let total = offer.as_ref().and_then(|o| {
                let t = o.price.amount_minor().checked_mul(i64::from(l.quantity))?;
                Money::new(t, o.price.currency()).ok()
            });
            if let (Some(o), Some(t)) = (&offer, total) {
                subtotal = subtotal.saturating_add(t.amount_minor());
                item_count = item_count.saturating_add(l.quantity);
                requires_shipping |= o.kind.requires_shipping();
            }
            PricedLine {
                line: l.clone(),
                offer,
                total,
            }
        })
        .collect();
    CartView {
        subtotal: Money::new(subtotal, Currency::EUR)
            .unwrap_or(Money::from_minor(0, Currency::EUR)),
        cart,
        lines,
        item_count,
        requires_shipping,
        secret,
    }
}

fn not_found() -> ServiceError {
    ServiceError::NotFound("No cart has this id, or it is not yours.")
}

/// Loads a cart its holder may use (any status).
async fn held(
    repos: &dyn crate::store::Repos,
    index: &dyn BlindIndex,
    holder: &Holder<'_>,
    id: CartId,
) -> Result<Cart, ServiceError> {
    match repos.carts().get(id).await? {
        Some(c) if holder.holds(index, &c) => Ok(c),
        _ => Err(not_found()),
    }
}

/// Loads an open cart its holder may use.
async fn held_open(
    repos: &dyn crate::store::Repos,
    index: &dyn BlindIndex,
    holder: &Holder<'_>,
    id: CartId,
) -> Result<Cart, ServiceError> {
    repos.carts().lock(id).await?;
    let cart = held(repos, index, holder, id).await?;
    if cart.status != CartStatus::Open {
        return Err(ServiceError::CartClosed);
    }
    Ok(cart)
}

fn secret_of(index: &dyn BlindIndex, cart: &Cart) -> Option<String> {
    cart.customer_id
        .is_none()
        .then(|| super::access_secret(index, CART_SECRET, cart.id.as_uuid()))
}

/// Creates a cart: a guest's (the answer carries its secret), or for a
/// signed-in customer their open cart, created when they have none.
/// Whether it was created is the second value.
///
/// # Errors
/// Storage failure.
pub async fn create(
    store: &dyn Store,
    index: &dyn BlindIndex,
    clock: &dyn Clock,
    offers: &dyn Offers,
    signed_in: Option<&Principal>,
) -> Result<(CartView, bool), ServiceError> {
    let now = clock.now();
    let uow = store.begin().await?;
    let customer = signed_in.map(|p| p.customer_id);
    if let Some(c) = customer
        && let Some(existing) = uow.carts().open_of(c).await?
        && let Some(cart) = uow.carts().get(existing).await?
    {
        uow.commit().await?;
        return Ok((price(cart, offers, None), false));
    }
    let id = CartId::new();
    uow.carts().insert(id, customer, now).await?;
    let cart = uow.carts().get(id).await?.ok_or_else(not_found)?;
    uow.commit().await?;
    let secret = secret_of(index, &cart);
    Ok((price(cart, offers, secret), true))
}

/// Reads a cart.
///
/// # Errors
/// [`ServiceError::NotFound`] for an unknown cart or another's; storage failure.
pub async fn read(
    store: &dyn Store,
    index: &dyn BlindIndex,
    offers: &dyn Offers,
    holder: &Holder<'_>,
    id: CartId,
) -> Result<CartView, ServiceError> {
    let cart = held(store.reader().as_ref(), index, holder, id).await?;
    let secret = secret_of(index, &cart);
    Ok(price(cart, offers, secret))
}

/// Checks a quantity.
///
/// # Errors
/// A field error on `quantity`.
pub fn quantity(q: i64) -> Result<u32, ServiceError> {
    u32::try_from(q)
        .ok()
        .filter(|q| (1..=MAX_QUANTITY).contains(q))
        .ok_or_else(|| {
            ServiceError::field("quantity", format!("must be between 1 and {MAX_QUANTITY}"))
        })
}

async fn after_change(
    uow: Box<dyn crate::store::UnitOfWork>,
    index: &dyn BlindIndex,
    offers: &dyn Offers,
    id: CartId,
    now: DateTime<Utc>,
) -> Result<CartView, ServiceError> {
    uow.carts().touch(id, now).await?;
    let cart = uow.carts().get(id).await?.ok_or_else(not_found)?;
    uow.commit().await?;
    let secret = secret_of(index, &cart);
    Ok(price(cart, offers, secret))
}

/// Adds a format of a plan (or adds to its quantity, up to the maximum).
///
/// # Errors
/// A field error when the plan or format is not for sale or the quantity
/// is out of range; [`ServiceError::CartClosed`]; not found; storage.
#[allow(clippy::too_many_arguments)]
pub async fn add(
    store: &dyn Store,
    index: &dyn BlindIndex,
    clock: &dyn Clock,
    offers: &dyn Offers,
    holder: &Holder<'_>,
    id: CartId,
    product: ProductId,
    format: FormatId,
    qty: u32,
) -> Result<CartView, ServiceError> {
    if offers.offer(product, format).is_none() {
        return Err(ServiceError::field(
            "format_id",
            "this format of this plan is not for sale (unknown, or the plan is not published)",
        ));
    }
    let now = clock.now();
    let uow = store.begin().await?;
    let cart = held_open(uow.as_ref(), index, holder, id).await?;
    let line = match cart.lines.iter().find(|l| l.format_id == format) {
        Some(l) => {
            let q = l.quantity.saturating_add(qty);
            if q > MAX_QUANTITY {
                return Err(ServiceError::field(
                    "quantity",
                    format!("at most {MAX_QUANTITY} of one format per cart"),
                ));
            }
            CartLine {
                quantity: q,
                ..l.clone()
            }
        }
        None => {
            if cart.lines.len() >= MAX_LINES {
                return Err(ServiceError::Conflict(format!(
                    "a cart holds at most {MAX_LINES} lines"
                )));
            }
            CartLine {
                id: CartLineId::new(),
                product_id: product,
                format_id: format,
                quantity: qty,
                added_at: now,
            }
        }
    };
    uow.carts().put_line(id, &line).await?;
    after_change(uow, index, offers, id, now).await
}

/// Sets a line's quantity.
///
/// # Errors
/// Not found (cart or line); [`ServiceError::CartClosed`]; storage.
#[allow(clippy::too_many_arguments)]
pub async fn set_quantity(
    store: &dyn Store,
    index: &dyn BlindIndex,
    clock: &dyn Clock,
    offers: &dyn Offers,
    holder: &Holder<'_>,
    id: CartId,
    line: CartLineId,
    qty: u32,
) -> Result<CartView, ServiceError> {
    let now = clock.now();
    let uow = store.begin().await?;
    held_open(uow.as_ref(), index, holder, id).await?;
    if !uow.carts().set_quantity(id, line, qty).await? {
        return Err(ServiceError::NotFound(
            "This cart has no line with this id.",
        ));
    }
    after_change(uow, index, offers, id, now).await
}

/// Removes a line.
///
/// # Errors
/// Not found (cart or line); [`ServiceError::CartClosed`]; storage.
pub async fn remove(
    store: &dyn Store,
    index: &dyn BlindIndex,
    clock: &dyn Clock,
    offers: &dyn Offers,
    holder: &Holder<'_>,
    id: CartId,
    line: CartLineId,
) -> Result<CartView, ServiceError> {
    let now = clock.now();
    let uow = store.begin().await?;
    held_open(uow.as_ref(), index, holder, id).await?;
    if !uow.carts().remove_line(id, line).await? {
        return Err(ServiceError::NotFound(
            "This cart has no line with this id.",
        ));
    }
    after_change(uow, index, offers, id, now).await
}

/// Attaches an e-mail (for an abandoned-cart reminder or the checkout):
/// sealed under the subject of that address (the account's when it has
/// one; the answer is the same either way).
///
/// # Errors
/// Not found; [`ServiceError::CartClosed`]; storage.
#[allow(clippy::too_many_arguments)]
pub async fn attach_email(
    store: &dyn Store,
    index: &dyn BlindIndex,
    clock: &dyn Clock,
    offers: &dyn Offers,
    holder: &Holder<'_>,
    id: CartId,
    email: &Email,
) -> Result<CartView, ServiceError> {
    let now = clock.now();
    let uow = store.begin().await?;
    let cart = held_open(uow.as_ref(), index, holder, id).await?;
    let subject = match cart.customer_id {
        Some(c) => SubjectId::customer(c),
        None => subject_for_email(uow.as_ref(), index, email, now).await?.0,
    };
    uow.carts()
        .set_email(id, subject, email, &index.email(email))
        .await?;
    after_change(uow, index, offers, id, now).await
}

/// Merges a guest cart (held by its secret) into the signed-in customer's
/// open cart, or makes it theirs when they have none: what a shop does at
/// login. Quantities of the same format add up, to the maximum.
///
/// # Errors
/// Not found (unknown cart or wrong secret, or a customer's cart);
/// [`ServiceError::CartClosed`]; storage.
pub async fn merge(
    store: &dyn Store,
    index: &dyn BlindIndex,
    clock: &dyn Clock,
    offers: &dyn Offers,
    customer: &Principal,
    guest_cart: CartId,
    secret: &str,
) -> Result<CartView, ServiceError> {
    let now = clock.now();
    let uow = store.begin().await?;
    let holder = Holder {
        customer: None,
        secret: Some(secret),
    };
    let guest = held_open(uow.as_ref(), index, &holder, guest_cart).await?;
    if guest.customer_id.is_some() {
        return Err(not_found());
    }
    let target = match uow.carts().open_of(customer.customer_id).await? {
        Some(t) => t,
        None => {
            uow.carts()
                .set_customer(guest_cart, customer.customer_id)
                .await?;
            return after_change(uow, index, offers, guest_cart, now).await;
        }
    };
    let mine = uow.carts().get(target).await?.ok_or_else(not_found)?;
    for l in &guest.lines {
        let line = match mine.lines.iter().find(|m| m.format_id == l.format_id) {
            Some(m) => CartLine {
                quantity: m.quantity.saturating_add(l.quantity).min(MAX_QUANTITY),
                ..m.clone()
            },
            None => CartLine {
                id: CartLineId::new(),
                ..l.clone()
            },
        };
        uow.carts().put_line(target, &line).await?;
    }
    if !uow
        .carts()
        .close(guest_cart, CartStatus::Merged, now)
        .await?
    {
        return Err(ServiceError::CartClosed);
    }
    after_change(uow, index, offers, target, now).await
}
