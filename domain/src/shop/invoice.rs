//! Invoices and credit notes: issued when an order is paid, numbered
//! without gaps per kind and year (`F-2026-000001`, credit notes
//! `A-2026-000001`), and kept for 10 years in the legal archive.
//!
//! French law (Code de commerce L123-22) makes the shop keep its invoices
//! for 10 years, whatever the customer asks. An invoice's personal content
//! (its buyer's name and billing address, what was bought) is therefore
//! sealed under the key of a data subject of its own, the **legal
//! archive** ([`LEGAL_ARCHIVE`]), from the moment it is issued, and never
//! under the customer's key: erasing a customer destroys the customer's key
//! and with it the order's copy of those data, but not the invoice. Every
//! other personal field of an order stays under the customer's key.
//!
//! The number is taken inside the unit of work that issues the document:
//! the sequence's row stays locked until that unit of work ends, so two
//! concurrent payments never share a number, and a unit of work that fails
//! gives its number back, so none is skipped.

use std::collections::BTreeMap;
use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::order::{Order, OrderHolder};
use crate::audit::{AuditAction, AuditTarget, NewAuditEntry};
use crate::clock::Clock;
use crate::error::StorageError;
use crate::identity::{BlindIndex, PostalAddress, Principal};
use crate::ids::OrderId;
use crate::money::Currency;
use crate::service::ServiceError;
use crate::store::{Repos, Store};
use crate::subject::SubjectId;

/// The legal archive: the data subject whose key seals every invoice and
/// credit note, `00000000-0000-7000-8000-00000000a7c1`. It is no person:
/// its key is created when the first document is issued and is never
/// destroyed by an erasure request, as the law makes the shop keep
/// invoices for 10 years.
pub const LEGAL_ARCHIVE: SubjectId =
    SubjectId::from_uuid(Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0000_a7c1));

/// The legal archive's subject (the same as [`LEGAL_ARCHIVE`]).
#[must_use]
pub const fn legal_archive() -> SubjectId {
    LEGAL_ARCHIVE
}

/// An invoice's or credit note's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct InvoiceId(Uuid);

impl InvoiceId {
    /// A fresh, time-ordered id.
    #[must_use]
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }

    /// Wraps an id read from storage or a request.
    #[must_use]
    pub const fn from_uuid(id: Uuid) -> Self {
        Self(id)
    }

    /// The raw UUID, for storage.
    #[must_use]
    pub const fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl Default for InvoiceId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for InvoiceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceKind {
    /// An invoice (facture), issued when an order is paid.
    Invoice,
    /// A credit note (avoir), issued for a refund.
    CreditNote,
}

impl InvoiceKind {
    /// Both kinds.
    pub const ALL: [Self; 2] = [Self::Invoice, Self::CreditNote];

    /// The stored and wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Invoice => "invoice",
            Self::CreditNote => "credit_note",
        }
    }

    /// Parses a name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The first letter of its numbers: `F` (facture) or `A` (avoir).
    #[must_use]
    pub const fn prefix(self) -> char {
        match self {
            Self::Invoice => 'F',
            Self::CreditNote => 'A',
        }
    }
}

/// The number of the `sequence`-th document of `kind` in `year`:
/// `F-2026-000001` for an invoice, `A-2026-000001` for a credit note.
#[must_use]
pub fn format_number(kind: InvoiceKind, year: i32, sequence: u32) -> String {
    format!("{}-{year:04}-{sequence:06}", kind.prefix())
}

/// The seller as invoices name it, from the configuration. French law asks
/// an invoice to name the seller with its legal form and capital, its
/// address, SIREN, RCS registration and intra-EU VAT number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seller {
    /// Company name.
    pub name: String,
    /// Legal form and share capital (`SAS au capital de 10 000 €`).
    pub legal_form_and_capital: String,
    /// Registered office, one line each.
    pub address_lines: Vec<String>,
    /// SIREN (9 digits).
    pub siren: String,
    /// SIRET of the establishment (14 digits), when it differs from the
    /// registered office's.
    pub siret: Option<String>,
    /// RCS registration (`RCS Lyon 123 456 789`).
    pub rcs: String,
    /// Intra-EU VAT number (`FR12123456789`).
    pub vat_number: String,
    /// Contact e-mail.
    pub email: String,
}

impl Seller {
    /// The required fields left blank, by name (an empty list when the
    /// seller can be printed on an invoice): the configuration refuses to
    /// start without them.
    #[must_use]
    pub fn missing(&self) -> Vec<&'static str> {
        let mut m = Vec::new();
        for (name, v) in [
            ("name", &self.name),
            ("legal_form_and_capital", &self.legal_form_and_capital),
            ("siren", &self.siren),
            ("rcs", &self.rcs),
            ("vat_number", &self.vat_number),
            ("email", &self.email),
        ] {
            if v.trim().is_empty() {
                m.push(name);
            }
        }
        if self.address_lines.iter().all(|l| l.trim().is_empty()) {
            m.push("address_lines");
        }
        m
    }
}

/// The `kind` of a credit note's refund lines.
pub const REFUND_KIND: &str = "refund";

/// A line of a document, amounts in cents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceLine {
    /// What was sold (the plan's title then), or the refund's wording.
    pub description: String,
    /// SKU (empty on refund lines).
    pub sku: String,
    /// Format kind (`pdf`, `cad`, `printed_set`), or [`REFUND_KIND`].
    pub kind: String,
    /// How many.
    pub quantity: u32,
    /// Unit price before VAT.
    pub unit_net: i64,
    /// Discount on the line, before VAT.
    pub discount_net: i64,
    /// VAT rate, hundredths of a percent.
    pub vat_rate_bp: u32,
    /// Line total before VAT, after discount.
    pub net: i64,
    /// VAT of the line.
    pub vat: i64,
    /// Line total with VAT.
    pub gross: i64,
}

/// Shipping, when printed sets were shipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceShipping {
    /// `standard` or `express`.
    pub method: String,
    /// VAT rate, hundredths of a percent.
    pub vat_rate_bp: u32,
    /// Before VAT.
    pub net: i64,
    /// VAT.
    pub vat: i64,
    /// With VAT.
    pub gross: i64,
}

/// The VAT of one rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VatAmount {
    /// Rate, hundredths of a percent.
    pub rate_bp: u32,
    /// Taxable base.
    pub net: i64,
    /// VAT.
    pub vat: i64,
}

/// A document's sums, in cents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceTotals {
    /// Discount before VAT (already taken off the lines).
    pub discount_net: i64,
    /// Everything before VAT.
    pub net: i64,
    /// All VAT.
    pub vat: i64,
    /// `net + vat`: what was paid (or is refunded).
    pub gross: i64,
    /// VAT by rate, highest rate first.
    pub vat_by_rate: Vec<VatAmount>,
}

/// Why a VAT-free line is VAT-free, as the invoice must say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum VatExemption {
    /// Goods exported outside the EU: "Exonération de TVA, article 262 I du
    /// CGI".
    ExportOfGoods,
    /// Electronic services to a customer outside the EU: "TVA non
    /// applicable, art. 259 B du CGI".
    ServicesOutsideEu,
}

/// An invoice or credit note, as issued: a snapshot that never changes.
/// All of it is sealed under the [`LEGAL_ARCHIVE`]'s key as one document;
/// its id, kind, number, year, order, date, total and currency are also
/// kept in clear for lists and retention.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invoice {
    /// Id.
    pub id: InvoiceId,
    /// Invoice or credit note.
    pub kind: InvoiceKind,
    /// `F-2026-000001` or `A-2026-000001`.
    pub number: String,
    /// The year of its sequence.
    pub year: i32,
    /// Its place in the sequence of its kind and year.
    pub sequence: u32,
    /// The order invoiced.
    pub order_id: OrderId,
    /// The order's number, as the customer knows it.
    pub order_number: String,
    /// Date of issue.
    pub issued_at: DateTime<Utc>,
    /// When the order was placed.
    pub ordered_at: DateTime<Utc>,
    /// When it was paid (an invoice is issued paid: "facture acquittée").
    pub paid_at: Option<DateTime<Utc>>,
    /// How it was paid (`bank_transfer`, `stripe`).
    pub payment_method: String,
    /// Currency of every amount.
    #[serde(with = "currency_code")]
    pub currency: Currency,
    /// The lines.
    pub lines: Vec<InvoiceLine>,
    /// Shipping.
    pub shipping: Option<InvoiceShipping>,
    /// Sums.
    pub totals: InvoiceTotals,
    /// The buyer's name.
    pub buyer_name: String,
    /// The billing address.
    pub billing_address: PostalAddress,
    /// The country whose VAT applied (the destination, ISO code).
    pub tax_country: String,
    /// For a credit note: the number of the invoice it corrects.
    pub credit_note_of: Option<String>,
    /// For a credit note: why (no personal data).
    pub reason: Option<String>,
    /// The seller, as configured when the document was issued.
    pub seller: Seller,
}

impl fmt::Debug for Invoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Invoice")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("number", &self.number)
            .field("order_id", &self.order_id)
            .field("issued_at", &self.issued_at)
            .field("currency", &self.currency)
            .field("totals", &self.totals)
            .field("credit_note_of", &self.credit_note_of)
            .finish_non_exhaustive()
    }
}

impl Invoice {
    /// Why the VAT-free lines are VAT-free (none when every line is taxed):
    /// printed sets and their shipping exported outside the EU, files sold
    /// to a customer outside the EU.
    #[must_use]
    pub fn vat_exemptions(&self) -> Vec<VatExemption> {
        let mut out = Vec::new();
        let mut push = |e| {
            if !out.contains(&e) {
                out.push(e);
            }
        };
        for l in self.lines.iter().filter(|l| l.vat_rate_bp == 0) {
            match l.kind.as_str() {
                "printed_set" => push(VatExemption::ExportOfGoods),
                REFUND_KIND => {}
                _ => push(VatExemption::ServicesOutsideEu),
            }
        }
        if self.shipping.as_ref().is_some_and(|s| s.vat_rate_bp == 0) {
            push(VatExemption::ExportOfGoods);
        }
        out.sort_unstable();
        out
    }
}

mod currency_code {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::money::Currency;

    pub(super) fn serialize<S: Serializer>(c: &Currency, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(c.as_str())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Currency, D::Error> {
        let code = String::deserialize(d)?;
        Currency::parse(&code).map_err(serde::de::Error::custom)
    }
}

/// Invoices and credit notes.
#[async_trait]
pub trait InvoiceRepo: Send + Sync {
    /// Takes the next number of `kind` in `year` (1 for the first). Only
    /// inside a unit of work: the sequence stays locked until it ends, so
    /// concurrent units of work take their numbers one after the other, and
    /// one that fails gives its number back.
    async fn next_number(&self, kind: InvoiceKind, year: i32) -> Result<u32, StorageError>;
    /// Stores a document, sealed under the legal archive's key (which must
    /// exist: see [`crate::subject::SubjectKeys::ensure`]).
    async fn insert(&self, invoice: &Invoice) -> Result<(), StorageError>;
    /// An order's documents, oldest first.
    async fn of_order(&self, order: OrderId) -> Result<Vec<Invoice>, StorageError>;
    /// One document.
    async fn get(&self, id: InvoiceId) -> Result<Option<Invoice>, StorageError>;
    /// An invoice or credit note by its number.
    async fn by_number(&self, number: &str) -> Result<Option<Invoice>, StorageError>;
}

/// Why a document cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvoiceError {
    /// Only a paid order is invoiced.
    #[error("an order is invoiced once paid; this one is {0}")]
    NotPaid(&'static str),
    /// The order's buyer was erased (its key destroyed).
    #[error("the order's buyer details were erased: no invoice can be issued")]
    BuyerErased,
    /// The lines do not add up to the order's totals.
    #[error("the order's lines do not add up to its totals")]
    TotalsMismatch,
    /// A credit note corrects an invoice, not another credit note.
    #[error("a credit note corrects an invoice, not a credit note")]
    NotAnInvoice,
    /// A refund of nothing, or a negative one.
    #[error("a refund must be a positive amount")]
    NothingToRefund,
    /// More than what is left of the invoice after its credit notes.
    #[error("the credit notes would exceed the invoice: at most {remaining} cents are left")]
    AboveInvoice {
        /// What may still be credited, in cents.
        remaining: i64,
    },
}

impl From<InvoiceError> for ServiceError {
    fn from(e: InvoiceError) -> Self {
        Self::Conflict(e.to_string())
    }
}

/// The number a new document takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Numbered {
    /// Its id.
    pub id: InvoiceId,
    /// The year of its sequence.
    pub year: i32,
    /// Its place in the sequence.
    pub sequence: u32,
}

fn vat_by_rate(amounts: impl Iterator<Item = (u32, i64, i64)>) -> Vec<VatAmount> {
    let mut by: BTreeMap<u32, (i64, i64)> = BTreeMap::new();
    for (rate, net, vat) in amounts {
        let e = by.entry(rate).or_default();
        e.0 += net;
        e.1 += vat;
    }
    by.into_iter()
        .rev()
        .map(|(rate_bp, (net, vat))| VatAmount { rate_bp, net, vat })
        .collect()
}

/// The invoice of a paid order, as issued at `now` (pure: the number is
/// given).
///
/// # Errors
/// [`InvoiceError::NotPaid`], [`InvoiceError::BuyerErased`],
/// [`InvoiceError::TotalsMismatch`].
pub fn invoice_of(
    order: &Order,
    seller: &Seller,
    n: Numbered,
    now: DateTime<Utc>,
) -> Result<Invoice, InvoiceError> {
    let s = &order.summary;
    if !s.status.is_paid() {
        return Err(InvoiceError::NotPaid(s.status.as_str()));
    }
    let buyer = order.buyer.as_ref().ok_or(InvoiceError::BuyerErased)?;
    let lines: Vec<InvoiceLine> = order
        .lines
        .iter()
        .map(|l| InvoiceLine {
            description: l.title.clone(),
            sku: l.sku.clone(),
            kind: l.kind.clone(),
            quantity: l.quantity,
            unit_net: l.unit_net,
            discount_net: l.discount_net,
            vat_rate_bp: l.vat_rate_bp,
            net: l.net,
            vat: l.vat,
            gross: l.gross,
        })
        .collect();
    let shipping = order.shipping.as_ref().map(|sh| InvoiceShipping {
        method: sh.method.clone(),
        vat_rate_bp: sh.vat_rate_bp,
        net: sh.net,
        vat: sh.vat,
        gross: sh.gross,
    });
    let amounts: Vec<(u32, i64, i64)> = lines
        .iter()
        .map(|l| (l.vat_rate_bp, l.net, l.vat))
        .chain(shipping.iter().map(|sh| (sh.vat_rate_bp, sh.net, sh.vat)))
        .collect();
    let net: i64 = amounts.iter().map(|a| a.1).sum();
    let vat: i64 = amounts.iter().map(|a| a.2).sum();
    let t = &s.totals;
    let gross_of_lines: i64 =
        lines.iter().map(|l| l.gross).sum::<i64>() + shipping.as_ref().map_or(0, |sh| sh.gross);
    if lines.is_empty()
        || vat != t.vat
        || net + vat != t.total
        || gross_of_lines != t.total
        || net != t.goods_net - t.discount_net + t.shipping_net
    {
        return Err(InvoiceError::TotalsMismatch);
    }
    Ok(Invoice {
        id: n.id,
        kind: InvoiceKind::Invoice,
        number: format_number(InvoiceKind::Invoice, n.year, n.sequence),
        year: n.year,
        sequence: n.sequence,
        order_id: s.id,
        order_number: s.number.clone(),
        issued_at: now,
        ordered_at: s.created_at,
        paid_at: s.paid_at,
        payment_method: s.payment_method.as_str().to_owned(),
        currency: t.currency,
        lines,
        shipping,
        totals: InvoiceTotals {
            discount_net: t.discount_net,
            net,
            vat,
            gross: t.total,
            vat_by_rate: vat_by_rate(amounts.into_iter()),
        },
        buyer_name: buyer.name.clone(),
        billing_address: buyer.billing.clone(),
        tax_country: s.country.clone(),
        credit_note_of: None,
        reason: None,
        seller: seller.clone(),
    })
}

/// How much a refund gives back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refund {
    /// Everything not credited yet.
    Full,
    /// This much, VAT included, in cents.
    Partial {
        /// Gross amount.
        gross: i64,
    },
}

/// `a × b / c` rounded half-up, for non-negative operands (`c > 0`).
fn mul_div_round(a: i64, b: i64, c: i64) -> i64 {
    let p = i128::from(a) * i128::from(b);
    let c = i128::from(c);
    i64::try_from((2 * p + c) / (2 * c)).unwrap_or(i64::MAX)
}

/// Spreads `amount` over `weights` in proportion (largest remainder, so the
/// shares add up exactly to `amount`). `amount` and weights are
/// non-negative.
fn spread(amount: i64, weights: &[i64]) -> Vec<i64> {
    let total: i64 = weights.iter().sum();
    if total <= 0 {
        return vec![0; weights.len()];
    }
    let mut shares = Vec::with_capacity(weights.len());
    let mut rests = Vec::with_capacity(weights.len());
    for (i, w) in weights.iter().enumerate() {
        let p = i128::from(amount) * i128::from(*w);
        let t = i128::from(total);
        shares.push(i64::try_from(p / t).unwrap_or(0));
        rests.push((p % t, i));
    }
    let mut left = amount - shares.iter().sum::<i64>();
    rests.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, i) in rests {
        if left <= 0 {
            break;
        }
        if let Some(s) = shares.get_mut(i) {
            *s += 1;
            left -= 1;
        }
    }
    shares
}

/// The credit note of a refund of `invoice`, after the credit notes
/// `previous` (pure: the number is given). A full refund of an invoice
/// never credited repeats its lines; any other refund is one line per VAT
/// rate, the amount split between the rates in proportion to the invoice's
/// gross by rate, and each rate's VAT taken out of its share (rounded
/// half-up), so every cent adds up. The credit notes of an invoice never
/// add up to more than the invoice.
///
/// # Errors
/// [`InvoiceError::NotAnInvoice`], [`InvoiceError::NothingToRefund`],
/// [`InvoiceError::AboveInvoice`].
pub fn credit_note_of(
    invoice: &Invoice,
    previous: &[Invoice],
    refund: Refund,
    reason: &str,
    n: Numbered,
    now: DateTime<Utc>,
) -> Result<Invoice, InvoiceError> {
    if invoice.kind != InvoiceKind::Invoice {
        return Err(InvoiceError::NotAnInvoice);
    }
    let credited: i64 = previous
        .iter()
        .filter(|p| {
            p.kind == InvoiceKind::CreditNote
                && p.credit_note_of.as_deref() == Some(invoice.number.as_str())
        })
        .map(|p| p.totals.gross)
        .sum();
    let remaining = invoice.totals.gross - credited;
    let amount = match refund {
        Refund::Full => remaining,
        Refund::Partial { gross } => gross,
    };
    if amount <= 0 {
        return Err(if remaining <= 0 {
            InvoiceError::AboveInvoice { remaining: 0 }
        } else {
            InvoiceError::NothingToRefund
        });
    }
    if amount > remaining {
        return Err(InvoiceError::AboveInvoice {
            remaining: remaining.max(0),
        });
    }
    let (lines, shipping, totals) = if credited == 0 && amount == invoice.totals.gross {
        (
            invoice.lines.clone(),
            invoice.shipping.clone(),
            invoice.totals.clone(),
        )
    } else {
        let rates = &invoice.totals.vat_by_rate;
        let weights: Vec<i64> = rates.iter().map(|r| r.net + r.vat).collect();
        let shares = spread(amount, &weights);
        let description = if reason.trim().is_empty() {
            REFUND_KIND.to_owned()
        } else {
            reason.trim().to_owned()
        };
        let lines: Vec<InvoiceLine> = rates
            .iter()
            .zip(shares)
            .filter(|(_, gross)| *gross > 0)
            .map(|(r, gross)| {
                let bp = i64::from(r.rate_bp);
                let vat = mul_div_round(gross, bp, 10_000 + bp);
                InvoiceLine {
                    description: description.clone(),
                    sku: String::new(),
                    kind: REFUND_KIND.to_owned(),
                    quantity: 1,
                    unit_net: gross - vat,
                    discount_net: 0,
                    vat_rate_bp: r.rate_bp,
                    net: gross - vat,
                    vat,
                    gross,
                }
            })
            .collect();
        let net = lines.iter().map(|l| l.net).sum();
        let vat = lines.iter().map(|l| l.vat).sum();
        let by = vat_by_rate(lines.iter().map(|l| (l.vat_rate_bp, l.net, l.vat)));
        (
            lines,
            None,
            InvoiceTotals {
                discount_net: 0,
                net,
                vat,
                gross: amount,
                vat_by_rate: by,
            },
        )
    };
    Ok(Invoice {
        id: n.id,
        kind: InvoiceKind::CreditNote,
        number: format_number(InvoiceKind::CreditNote, n.year, n.sequence),
        year: n.year,
        sequence: n.sequence,
        order_id: invoice.order_id,
        order_number: invoice.order_number.clone(),
        issued_at: now,
        ordered_at: invoice.ordered_at,
        paid_at: invoice.paid_at,
        payment_method: invoice.payment_method.clone(),
        currency: invoice.currency,
        lines,
        shipping,
        totals,
        buyer_name: invoice.buyer_name.clone(),
        billing_address: invoice.billing_address.clone(),
        tax_country: invoice.tax_country.clone(),
        credit_note_of: Some(invoice.number.clone()),
        reason: Some(reason.trim().to_owned()).filter(|r| !r.is_empty()),
        seller: invoice.seller.clone(),
    })
}

async fn numbered(
    repos: &dyn Repos,
    kind: InvoiceKind,
    now: DateTime<Utc>,
) -> Result<Numbered, StorageError> {
    repos.keys().ensure(LEGAL_ARCHIVE, now).await?;
    let year = now.year();
    let sequence = repos.invoices().next_number(kind, year).await?;
    Ok(Numbered {
        id: InvoiceId::new(),
        year,
        sequence,
    })
}

/// Issues the invoice of a paid order inside the unit of work `repos`
/// (the one that marked it paid), at `now`: the order's snapshot of lines,
/// VAT, shipping, buyer's name and billing address, and the seller, sealed
/// under the legal archive's key (created on first use). An order has one
/// invoice: when it has one already, that one is answered.
///
/// # Errors
/// A conflict when the order is not paid, its buyer was erased or its
/// lines do not add up; storage.
pub async fn issue_in(
    repos: &dyn Repos,
    order: &Order,
    seller: &Seller,
    now: DateTime<Utc>,
) -> Result<Invoice, ServiceError> {
    if let Some(existing) = repos
        .invoices()
        .of_order(order.summary.id)
        .await?
        .into_iter()
        .find(|i| i.kind == InvoiceKind::Invoice)
    {
        return Ok(existing);
    }
    if order.buyer.is_none() {
        return Err(InvoiceError::BuyerErased.into());
    }
    if !order.summary.status.is_paid() {
        return Err(InvoiceError::NotPaid(order.summary.status.as_str()).into());
    }
    let n = numbered(repos, InvoiceKind::Invoice, now).await?;
    let invoice = invoice_of(order, seller, n, now)?;
    repos.invoices().insert(&invoice).await?;
    Ok(invoice)
}

/// Issues a credit note for a refund of `invoice` inside the unit of work
/// `repos`, at `now`. It needs only the invoice (kept in the legal
/// archive), so it can be made after the customer was erased.
///
/// # Errors
/// A conflict when `invoice` is a credit note, or the refund is not
/// positive or exceeds what is left of the invoice; storage.
pub async fn credit_note_in(
    repos: &dyn Repos,
    invoice: &Invoice,
    refund: Refund,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Invoice, ServiceError> {
    let previous = repos.invoices().of_order(invoice.order_id).await?;
    // Checked before a number is taken (the unit of work would give it
    // back anyway).
    credit_note_of(
        invoice,
        &previous,
        refund,
        reason,
        Numbered {
            id: InvoiceId::new(),
            year: now.year(),
            sequence: 1,
        },
        now,
    )?;
    let n = numbered(repos, InvoiceKind::CreditNote, now).await?;
    let note = credit_note_of(invoice, &previous, refund, reason, n, now)?;
    repos.invoices().insert(&note).await?;
    Ok(note)
}

/// An order's documents, as its customer (or a guest with its secret)
/// reads them.
#[derive(Debug, Clone)]
pub struct OrderInvoices {
    /// The order.
    pub order: Order,
    /// Its invoice.
    pub invoice: Invoice,
    /// Its credit notes, oldest first.
    pub credit_notes: Vec<Invoice>,
}

/// The invoice of an order, as its customer or with its secret: not found
/// when the caller may not read the order, or the order has no invoice
/// (it is issued when the order is paid).
///
/// # Errors
/// Not found; storage.
pub async fn read(
    store: &dyn Store,
    index: &dyn BlindIndex,
    holder: &OrderHolder<'_>,
    id: OrderId,
) -> Result<OrderInvoices, ServiceError> {
    let order = super::order::read(store, index, holder, id).await?;
    let mut docs = store.reader().invoices().of_order(id).await?;
    let Some(at) = docs.iter().position(|d| d.kind == InvoiceKind::Invoice) else {
        return Err(ServiceError::NotFound(
            "This order has no invoice yet: it is issued when the order is paid.",
        ));
    };
    let invoice = docs.remove(at);
    Ok(OrderInvoices {
        order,
        invoice,
        credit_notes: docs
            .into_iter()
            .filter(|d| d.kind == InvoiceKind::CreditNote)
            .collect(),
    })
}

/// Reads an invoice or credit note of the legal archive by its number
/// (admins), the order long gone or not: what the law keeps 10 years, read
/// only with a stated reason, and audited.
///
/// # Errors
/// Not found; storage.
pub async fn archive_read(
    store: &dyn Store,
    clock: &dyn Clock,
    admin: &Principal,
    number: &str,
    reason: &str,
) -> Result<Invoice, ServiceError> {
    let now = clock.now();
    let uow = store.begin().await?;
    let Some(inv) = uow.invoices().by_number(number).await? else {
        return Err(ServiceError::NotFound(
            "No invoice or credit note has this number.",
        ));
    };
    uow.audit()
        .append(
            NewAuditEntry::new(
                admin.actor(),
                AuditAction::PersonalDataAccessed,
                Some(AuditTarget::Invoice(inv.id.as_uuid())),
                admin.source(),
            )
            .because(reason),
            now,
        )
        .await?;
    uow.commit().await?;
    Ok(inv)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Language;
    use crate::ids::{FormatId, ProductId};
    use crate::shop::order::{
        BuyerDetails, OrderLine, OrderShipping, OrderStatus, OrderSummary, OrderTotals,
        PaymentMethod,
    };

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_780_000_000, 0).unwrap()
    }

    fn seller() -> Seller {
        Seller {
            name: "Boutique Plans".into(),
            legal_form_and_capital: "SAS au capital de 10 000 €".into(),
            address_lines: vec!["1 place Bellecour".into(), "69002 Lyon, France".into()],
            siren: "123456789".into(),
            siret: Some("12345678900012".into()),
            rcs: "RCS Lyon 123 456 789".into(),
            vat_number: "FR12123456789".into(),
            email: "factures@example.com".into(),
        }
    }

    fn line(kind: &str, unit_net: i64, quantity: u32, rate: u32, discount: i64) -> OrderLine {
        let net = unit_net * i64::from(quantity) - discount;
        let vat = mul_div_round(net, i64::from(rate), 10_000);
        OrderLine {
            product_id: ProductId::new(),
            format_id: FormatId::new(),
            slug: "maison".into(),
            title: "Maison contemporaine de 129 m²".into(),
            kind: kind.into(),
            sku: "BTQ-021".into(),
            quantity,
            unit_price: unit_net * 12 / 10,
            unit_net,
            vat_rate_bp: rate,
            discount_net: discount,
            net,
            vat,
            gross: net + vat,
        }
    }

    fn order(lines: Vec<OrderLine>, shipping: Option<OrderShipping>, country: &str) -> Order {
        let goods_net: i64 = lines.iter().map(|l| l.net + l.discount_net).sum();
        let discount_net: i64 = lines.iter().map(|l| l.discount_net).sum();
        let shipping_net = shipping.as_ref().map_or(0, |s| s.net);
        let vat: i64 =
            lines.iter().map(|l| l.vat).sum::<i64>() + shipping.as_ref().map_or(0, |s| s.vat);
        let total: i64 =
            lines.iter().map(|l| l.gross).sum::<i64>() + shipping.as_ref().map_or(0, |s| s.gross);
        let id = OrderId::new();
        Order {
            summary: OrderSummary {
                id,
                number: crate::shop::order::number(id),
                customer_id: None,
                status: OrderStatus::Completed,
                payment_method: PaymentMethod::BankTransfer,
                country: country.into(),
                totals: OrderTotals {
                    currency: Currency::EUR,
                    goods_net,
                    discount_net,
                    shipping_net,
                    vat,
                    total,
                },
                language: Language::Fr,
                created_at: t0(),
                status_changed_at: t0(),
                paid_at: Some(t0()),
                coupon: None,
                fraud_signals: Vec::new(),
            },
            subject: SubjectId::from_uuid(Uuid::now_v7()),
            lines,
            shipping,
            buyer: Some(BuyerDetails {
                email: "jeanne@example.com".into(),
                name: "Jeanne Dupont".into(),
                phone: None,
                billing: PostalAddress {
                    full_name: "Jeanne Dupont".into(),
                    line1: "12 rue des Lilas".into(),
                    line2: None,
                    postal_code: "69003".into(),
                    city: "Lyon".into(),
                    country: country.into(),
                },
                shipping: None,
                ip: None,
                user_agent: None,
            }),
            events: Vec::new(),
        }
    }

    fn n(sequence: u32) -> Numbered {
        Numbered {
            id: InvoiceId::new(),
            year: 2026,
            sequence,
        }
    }

    fn mixed_order() -> Order {
        order(
            vec![
                line("pdf", 66_667, 1, 1900, 0),
                line("printed_set", 20_833, 2, 1900, 4_166),
            ],
            Some(OrderShipping {
                method: "standard".into(),
                net: 1_500,
                vat: 285,
                gross: 1_785,
                vat_rate_bp: 1900,
            }),
            "DE",
        )
    }

    #[test]
    fn numbers_have_a_letter_the_year_and_six_digits() {
        assert_eq!(
            format_number(InvoiceKind::Invoice, 2026, 1),
            "F-2026-000001"
        );
        assert_eq!(
            format_number(InvoiceKind::CreditNote, 2026, 42),
            "A-2026-000042"
        );
        assert_eq!(
            format_number(InvoiceKind::Invoice, 2027, 123_456),
            "F-2027-123456"
        );
        for k in InvoiceKind::ALL {
            assert_eq!(InvoiceKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(
            LEGAL_ARCHIVE.to_string(),
            "00000000-0000-7000-8000-00000000a7c1"
        );
        assert_eq!(legal_archive(), LEGAL_ARCHIVE);
    }

    #[test]
    fn an_invoice_adds_up_to_its_order() {
        let o = mixed_order();
        let inv = invoice_of(&o, &seller(), n(7), t0()).unwrap();
        assert_eq!(inv.number, "F-2026-000007");
        assert_eq!(inv.kind, InvoiceKind::Invoice);
        assert_eq!(inv.totals.gross, o.summary.totals.total);
        assert_eq!(inv.totals.vat, o.summary.totals.vat);
        assert_eq!(
            inv.totals.net,
            o.summary.totals.goods_net - o.summary.totals.discount_net
                + o.summary.totals.shipping_net
        );
        assert_eq!(inv.totals.net + inv.totals.vat, inv.totals.gross);
        let by_rate_vat: i64 = inv.totals.vat_by_rate.iter().map(|r| r.vat).sum();
        assert_eq!(by_rate_vat, inv.totals.vat);
        assert_eq!(inv.totals.vat_by_rate.len(), 1);
        assert_eq!(inv.buyer_name, "Jeanne Dupont");
        assert_eq!(inv.billing_address.city, "Lyon");
        assert_eq!(inv.seller, seller());
        assert!(inv.vat_exemptions().is_empty());
        assert!(
            !format!("{inv:?}").contains("Jeanne"),
            "Debug redacts the buyer"
        );
    }

    #[test]
    fn an_unpaid_erased_or_inconsistent_order_is_not_invoiced() {
        let mut o = mixed_order();
        o.summary.status = OrderStatus::PendingPayment;
        assert_eq!(
            invoice_of(&o, &seller(), n(1), t0()),
            Err(InvoiceError::NotPaid("pending_payment"))
        );
        let mut o = mixed_order();
        o.buyer = None;
        assert_eq!(
            invoice_of(&o, &seller(), n(1), t0()),
            Err(InvoiceError::BuyerErased)
        );
        let mut o = mixed_order();
        o.summary.totals.total += 1;
        assert_eq!(
            invoice_of(&o, &seller(), n(1), t0()),
            Err(InvoiceError::TotalsMismatch)
        );
    }

    #[test]
    fn exports_say_why_they_bear_no_vat() {
        let o = order(
            vec![
                line("pdf", 66_667, 1, 0, 0),
                line("printed_set", 20_833, 1, 0, 0),
            ],
            Some(OrderShipping {
                method: "express".into(),
                net: 4_000,
                vat: 0,
                gross: 4_000,
                vat_rate_bp: 0,
            }),
            "US",
        );
        let inv = invoice_of(&o, &seller(), n(1), t0()).unwrap();
        assert_eq!(
            inv.vat_exemptions(),
            vec![VatExemption::ExportOfGoods, VatExemption::ServicesOutsideEu]
        );
        let files = order(vec![line("cad", 66_667, 1, 0, 0)], None, "CH");
        let inv = invoice_of(&files, &seller(), n(2), t0()).unwrap();
        assert_eq!(inv.vat_exemptions(), vec![VatExemption::ServicesOutsideEu]);
    }

    #[test]
    fn a_full_credit_note_mirrors_the_invoice() {
        let inv = invoice_of(&mixed_order(), &seller(), n(1), t0()).unwrap();
        let note = credit_note_of(&inv, &[], Refund::Full, "annulation", n(1), t0()).unwrap();
        assert_eq!(note.number, "A-2026-000001");
        assert_eq!(note.kind, InvoiceKind::CreditNote);
        assert_eq!(note.credit_note_of.as_deref(), Some("F-2026-000001"));
        assert_eq!(note.totals, inv.totals);
        assert_eq!(note.lines, inv.lines);
        assert_eq!(note.shipping, inv.shipping);
        assert_eq!(
            credit_note_of(
                &inv,
                std::slice::from_ref(&note),
                Refund::Full,
                "",
                n(2),
                t0()
            ),
            Err(InvoiceError::AboveInvoice { remaining: 0 })
        );
        assert_eq!(
            credit_note_of(&note, &[], Refund::Full, "", n(2), t0()),
            Err(InvoiceError::NotAnInvoice)
        );
    }

    #[test]
    fn partial_credit_notes_split_vat_exactly_and_never_exceed_the_invoice() {
        let o = order(
            vec![
                line("pdf", 10_000, 1, 2000, 0),
                line("cad", 10_001, 1, 550, 0),
            ],
            None,
            "FR",
        );
        let inv = invoice_of(&o, &seller(), n(1), t0()).unwrap();
        assert_eq!(inv.totals.vat_by_rate.len(), 2);
        assert_eq!(
            inv.totals.vat_by_rate[0].rate_bp, 2000,
            "highest rate first"
        );
        let first = credit_note_of(
            &inv,
            &[],
            Refund::Partial { gross: 5_001 },
            "geste commercial",
            n(1),
            t0(),
        )
        .unwrap();
        assert_eq!(first.totals.gross, 5_001);
        assert_eq!(first.totals.net + first.totals.vat, 5_001);
        assert_eq!(first.lines.iter().map(|l| l.gross).sum::<i64>(), 5_001);
        assert_eq!(first.lines.len(), 2);
        for l in &first.lines {
            assert_eq!(l.kind, REFUND_KIND);
            assert_eq!(l.net + l.vat, l.gross);
            assert!(l.vat >= 0 && l.net >= 0);
        }
        let remaining = inv.totals.gross - 5_001;
        assert_eq!(
            credit_note_of(
                &inv,
                std::slice::from_ref(&first),
                Refund::Partial {
                    gross: remaining + 1
                },
                "",
                n(2),
                t0()
            ),
            Err(InvoiceError::AboveInvoice { remaining })
        );
        assert_eq!(
            credit_note_of(&inv, &[], Refund::Partial { gross: 0 }, "", n(2), t0()),
            Err(InvoiceError::NothingToRefund)
        );
        let rest = credit_note_of(
            &inv,
            std::slice::from_ref(&first),
            Refund::Full,
            "",
            n(2),
            t0(),
        )
        .unwrap();
        assert_eq!(rest.totals.gross, remaining);
        assert_eq!(rest.totals.gross + first.totals.gross, inv.totals.gross);
        assert_eq!(rest.reason, None);
    }

    #[test]
    fn spreading_adds_up_to_the_amount() {
        assert_eq!(spread(10, &[1, 1, 1]), vec![4, 3, 3]);
        assert_eq!(spread(0, &[5, 5]), vec![0, 0]);
        assert_eq!(spread(7, &[0, 3]), vec![0, 7]);
        assert_eq!(mul_div_round(1200, 2000, 12_000), 200);
        assert_eq!(mul_div_round(5, 1, 2), 3, "half rounds up");
    }

    #[test]
    fn a_seller_without_its_legal_identity_is_reported() {
        assert!(seller().missing().is_empty());
        let mut s = seller();
        s.siren = " ".into();
        s.address_lines.clear();
        assert_eq!(s.missing(), vec!["siren", "address_lines"]);
    }
}
