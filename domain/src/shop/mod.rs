//! The shop: carts, estimates, checkout and orders. Prices always come
//! from the catalogue through [`Offers`]; a client never sends one.

pub mod cart;
pub mod complaint;
pub mod coupon;
pub mod download;
pub mod fraud;
pub mod invoice;
pub mod order;
pub mod payment;
pub mod pricing;
pub mod refund;

use crate::catalogue::{CatalogueView, FormatKind};
use crate::identity::BlindIndex;
use crate::ids::{FormatId, ProductId};
use crate::money::Money;

/// A format of a published plan, as it is sold now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    /// The plan.
    pub product_id: ProductId,
    /// The format.
    pub format_id: FormatId,
    /// The plan's slug.
    pub slug: String,
    /// The plan's title.
    pub title: String,
    /// What is delivered.
    pub kind: FormatKind,
    /// The format's SKU.
    pub sku: String,
    /// Price, French VAT included (the catalogue's price).
    pub price: Money,
}

/// Where offers come from: the published catalogue.
pub trait Offers: Send + Sync {
    /// The format `format` of plan `product`, when both are for sale.
    fn offer(&self, product: ProductId, format: FormatId) -> Option<Offer>;
}

impl Offers for CatalogueView {
    fn offer(&self, product: ProductId, format: FormatId) -> Option<Offer> {
        let plan = self.get(&product.to_string())?;
        if plan.id != product || !plan.published {
            return None;
        }
        let f = plan.formats.iter().find(|f| f.id == format)?;
        Some(Offer {
            product_id: plan.id,
            format_id: f.id,
            slug: plan.slug.as_str().to_owned(),
            title: plan.title.clone(),
            kind: f.kind,
            sku: f.sku.clone(),
            price: f.price,
        })
    }
}

/// The secret that proves holding a cart or an order: a keyed hash of its
/// id, so nothing is stored, a retried checkout answers the same secret,
/// and no one without the server's key can make one.
#[must_use]
pub fn access_secret(index: &dyn BlindIndex, kind: &str, id: uuid::Uuid) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(index.index(kind, &id.to_string()))
}

/// Whether `secret` is the access secret of `id`, compared in constant time.
#[must_use]
pub fn secret_matches(index: &dyn BlindIndex, kind: &str, id: uuid::Uuid, secret: &str) -> bool {
    use subtle::ConstantTimeEq;
    bool::from(
        access_secret(index, kind, id)
            .as_bytes()
            .ct_eq(secret.as_bytes()),
    )
}
