//! An order's invoice, as JSON or PDF, for its customer (bearer token) or
//! a guest with the order's secret (`X-Order-Secret`). The invoice is
//! issued when the order is paid and kept for 10 years in the legal
//! archive; its credit notes (refunds) come with it in JSON.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, Utc};
use domain::identity::Language;
use domain::shop::invoice::{
    self, Invoice, InvoiceKind, InvoiceLine, InvoiceShipping, InvoiceTotals, Seller, VatAmount,
    VatExemption,
};
use domain::shop::order::PaymentMethod;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::MaybeAuth;
use crate::body::Params;
use crate::i18n::Lang;
use crate::problem::{ApiError, MaybeSignedInErrors, Problem};
use crate::routes::auth::LanguageDto;
use crate::routes::orders::{PaymentMethodDto, PostalAddressDto};
use crate::routes::products::dto::MoneyDto;
use crate::state::SharedState;

/// What a document is:
///
/// - `invoice`: the invoice (facture), issued when the order was paid.
/// - `credit_note`: a credit note (avoir), issued for a refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = InvoiceKind)]
pub enum InvoiceKindDto {
    /// An invoice.
    Invoice,
    /// A credit note.
    CreditNote,
}

impl From<InvoiceKind> for InvoiceKindDto {
    fn from(k: InvoiceKind) -> Self {
        match k {
            InvoiceKind::Invoice => Self::Invoice,
            InvoiceKind::CreditNote => Self::CreditNote,
        }
    }
}

/// Why lines bear no VAT, as the document says:
///
/// - `export_of_goods`: printed sets (and their shipping) exported outside
///   the EU: "Exonération de TVA, article 262 I du CGI".
/// - `services_outside_eu`: files (electronic services) sold to a customer
///   outside the EU: "TVA non applicable, art. 259 B du CGI".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = VatExemption)]
pub enum VatExemptionDto {
    /// Goods exported outside the EU.
    ExportOfGoods,
    /// Electronic services to a customer outside the EU.
    ServicesOutsideEu,
}

impl From<VatExemption> for VatExemptionDto {
    fn from(e: VatExemption) -> Self {
        match e {
            VatExemption::ExportOfGoods => Self::ExportOfGoods,
            VatExemption::ServicesOutsideEu => Self::ServicesOutsideEu,
        }
    }
}

/// The seller, as the document names it (French legal mentions).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = InvoiceSeller, example = json!({
    "name": "Boutique Plans",
    "legal_form_and_capital": "SAS au capital de 10 000 €",
    "address_lines": ["1 place Bellecour", "69002 Lyon, France"],
    "siren": "123456789",
    "siret": "12345678900012",
    "rcs": "RCS Lyon 123 456 789",
    "vat_number": "FR12123456789",
    "email": "factures@example.com"
}))]
pub struct SellerDto {
    /// The seller's company name, as registered.
    pub name: String,
    /// Legal form and share capital.
    #[schema(example = "SAS au capital de 10 000 €")]
    pub legal_form_and_capital: String,
    /// Registered office address, one printed line each.
    pub address_lines: Vec<String>,
    /// SIREN: the company's 9-digit French registration number.
    #[schema(example = "123456789")]
    pub siren: String,
    /// SIRET: the 14-digit number of the selling establishment, when
    /// configured.
    pub siret: Option<String>,
    /// Registration at the trade and companies register (city and number).
    #[schema(example = "RCS Lyon 123 456 789")]
    pub rcs: String,
    /// Intra-EU VAT identification number.
    #[schema(example = "FR12123456789")]
    pub vat_number: String,
    /// Where customers write about invoices.
    pub email: String,
}

impl From<&Seller> for SellerDto {
    fn from(s: &Seller) -> Self {
        Self {
            name: s.name.clone(),
            legal_form_and_capital: s.legal_form_and_capital.clone(),
            address_lines: s.address_lines.clone(),
            siren: s.siren.clone(),
            siret: s.siret.clone(),
            rcs: s.rcs.clone(),
            vat_number: s.vat_number.clone(),
            email: s.email.clone(),
        }
    }
}

fn money(amount: i64, currency: &str) -> MoneyDto {
    MoneyDto {
        amount,
        currency: currency.to_owned(),
    }
}

/// A line of a document.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = InvoiceLine, example = json!({
    "description": "Maison contemporaine de 129 m²",
    "sku": "BTQ-021-PDF",
    "kind": "pdf",
    "quantity": 1,
    "unit_net": {"amount": 66667, "currency": "EUR"},
    "discount_net": {"amount": 0, "currency": "EUR"},
    "vat_rate_bp": 2000,
    "net": {"amount": 66667, "currency": "EUR"},
    "vat": {"amount": 13333, "currency": "EUR"},
    "gross": {"amount": 80000, "currency": "EUR"}
}))]
pub struct InvoiceLineDto {
    /// What was sold (the plan's title then), or the refund's wording.
    pub description: String,
    /// Stock-keeping unit of the format sold (empty on refund lines).
    pub sku: String,
    /// `pdf`, `cad`, `printed_set`, or `refund` on a credit note's lines.
    #[schema(example = "pdf")]
    pub kind: String,
    /// Number of copies.
    #[schema(example = 1, minimum = 1)]
    pub quantity: u32,
    /// Price of one copy before VAT.
    pub unit_net: MoneyDto,
    /// Discount taken off the line, before VAT.
    pub discount_net: MoneyDto,
    /// VAT rate in hundredths of a percent (`2000` is 20 %).
    #[schema(example = 2000)]
    pub vat_rate_bp: u32,
    /// Line total before VAT, after discount.
    pub net: MoneyDto,
    /// VAT charged on the line.
    pub vat: MoneyDto,
    /// Line total with VAT: what the customer paid for it.
    pub gross: MoneyDto,
}

fn line(l: &InvoiceLine, c: &str) -> InvoiceLineDto {
    InvoiceLineDto {
        description: l.description.clone(),
        sku: l.sku.clone(),
        kind: l.kind.clone(),
        quantity: l.quantity,
        unit_net: money(l.unit_net, c),
        discount_net: money(l.discount_net, c),
        vat_rate_bp: l.vat_rate_bp,
        net: money(l.net, c),
        vat: money(l.vat, c),
        gross: money(l.gross, c),
    }
}

/// Shipping on a document.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = InvoiceShipping, example = json!({
    "method": "standard",
    "vat_rate_bp": 2000,
    "net": {"amount": 1500, "currency": "EUR"},
    "vat": {"amount": 300, "currency": "EUR"},
    "gross": {"amount": 1800, "currency": "EUR"}
}))]
pub struct InvoiceShippingDto {
    /// Shipping option chosen: `standard` or `express`.
    #[schema(example = "standard")]
    pub method: String,
    /// VAT rate in hundredths of a percent (`2000` is 20 %).
    #[schema(example = 2000)]
    pub vat_rate_bp: u32,
    /// Shipping price before VAT.
    pub net: MoneyDto,
    /// VAT charged on shipping.
    pub vat: MoneyDto,
    /// Shipping price with VAT.
    pub gross: MoneyDto,
}

fn shipping(s: &InvoiceShipping, c: &str) -> InvoiceShippingDto {
    InvoiceShippingDto {
        method: s.method.clone(),
        vat_rate_bp: s.vat_rate_bp,
        net: money(s.net, c),
        vat: money(s.vat, c),
        gross: money(s.gross, c),
    }
}

/// The VAT of one rate.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = InvoiceVatAmount, example = json!({"rate_bp": 2000, "net": {"amount": 66667, "currency": "EUR"}, "vat": {"amount": 13333, "currency": "EUR"}}))]
pub struct VatAmountDto {
    /// VAT rate in hundredths of a percent (`2000` is 20 %).
    #[schema(example = 2000)]
    pub rate_bp: u32,
    /// Taxable base at this rate (before VAT).
    pub net: MoneyDto,
    /// VAT charged at this rate.
    pub vat: MoneyDto,
}

/// A document's sums.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = InvoiceTotals, example = json!({
    "discount_net": {"amount": 0, "currency": "EUR"},
    "net": {"amount": 66667, "currency": "EUR"},
    "vat": {"amount": 13333, "currency": "EUR"},
    "gross": {"amount": 80000, "currency": "EUR"},
    "vat_by_rate": [{"rate_bp": 2000, "net": {"amount": 66667, "currency": "EUR"}, "vat": {"amount": 13333, "currency": "EUR"}}]
}))]
pub struct InvoiceTotalsDto {
    /// Discount before VAT (already taken off the lines).
    pub discount_net: MoneyDto,
    /// Total before VAT, shipping included.
    pub net: MoneyDto,
    /// Total VAT, shipping included.
    pub vat: MoneyDto,
    /// Total with VAT: what was paid (or, on a credit note, is refunded).
    pub gross: MoneyDto,
    /// VAT by rate, highest rate first.
    pub vat_by_rate: Vec<VatAmountDto>,
}

fn totals(t: &InvoiceTotals, c: &str) -> InvoiceTotalsDto {
    InvoiceTotalsDto {
        discount_net: money(t.discount_net, c),
        net: money(t.net, c),
        vat: money(t.vat, c),
        gross: money(t.gross, c),
        vat_by_rate: t
            .vat_by_rate
            .iter()
            .map(|r: &VatAmount| VatAmountDto {
                rate_bp: r.rate_bp,
                net: money(r.net, c),
                vat: money(r.vat, c),
            })
            .collect(),
    }
}

/// An invoice or credit note, as issued: it never changes.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = InvoiceDocument, example = json!({
        "id": "01a21faf-9618-77eb-b003-0a5b1c2d3e4f",
        "kind": "invoice",
        "number": "F-2026-000001",
        "issued_at": "2026-06-12T09:30:00Z",
        "order_id": "01a21faf-9618-77eb-b003-08a5b1c2d3e4",
        "order_number": "BQ-B1C2D3-E4F5A6",
        "ordered_at": "2026-06-10T18:02:11Z",
        "paid_at": "2026-06-12T09:30:00Z",
        "payment_method": "bank_transfer",
        "seller": {
            "name": "Boutique Plans",
            "legal_form_and_capital": "SAS au capital de 10 000 €",
            "address_lines": ["1 place Bellecour", "69002 Lyon, France"],
            "siren": "123456789",
            "siret": "12345678900012",
            "rcs": "RCS Lyon 123 456 789",
            "vat_number": "FR12123456789",
            "email": "factures@example.com"
        },
        "buyer_name": "Jeanne Dupont",
        "billing_address": {"full_name": "Jeanne Dupont", "line1": "12 rue des Lilas", "line2": null, "postal_code": "69003", "city": "Lyon", "country": "FR"},
        "tax_country": "FR",
        "lines": [{
            "description": "Maison contemporaine de 129 m²",
            "sku": "BTQ-021-PDF",
            "kind": "pdf",
            "quantity": 1,
            "unit_net": {"amount": 66667, "currency": "EUR"},
            "discount_net": {"amount": 0, "currency": "EUR"},
            "vat_rate_bp": 2000,
            "net": {"amount": 66667, "currency": "EUR"},
            "vat": {"amount": 13333, "currency": "EUR"},
            "gross": {"amount": 80000, "currency": "EUR"}
        }],
        "shipping": null,
        "totals": {
            "discount_net": {"amount": 0, "currency": "EUR"},
            "net": {"amount": 66667, "currency": "EUR"},
            "vat": {"amount": 13333, "currency": "EUR"},
            "gross": {"amount": 80000, "currency": "EUR"},
            "vat_by_rate": [{"rate_bp": 2000, "net": {"amount": 66667, "currency": "EUR"}, "vat": {"amount": 13333, "currency": "EUR"}}]
        },
        "vat_exemptions": [],
        "credit_note_of": null,
        "reason": null
    }))]
pub struct InvoiceDocumentDto {
    /// The document's id (a UUID).
    pub id: Uuid,
    /// Invoice or credit note.
    pub kind: InvoiceKindDto,
    /// Number: `F-<year>-<6 digits>` for invoices, `A-<year>-<6 digits>`
    /// for credit notes, each without gaps within its year.
    #[schema(example = "F-2026-000001", pattern = "^[FA]-[0-9]{4}-[0-9]{6}$")]
    pub number: String,
    /// Date of issue (RFC 3339, UTC).
    pub issued_at: DateTime<Utc>,
    /// The order invoiced (a UUID).
    pub order_id: Uuid,
    /// The order's number, as its customer knows it.
    #[schema(example = "BQ-B1C2D3-E4F5A6")]
    pub order_number: String,
    /// When the order was placed (RFC 3339, UTC).
    pub ordered_at: DateTime<Utc>,
    /// When the order was paid (RFC 3339, UTC).
    pub paid_at: Option<DateTime<Utc>>,
    /// How the order was paid.
    pub payment_method: PaymentMethodDto,
    /// Who sells: identity and French legal mentions.
    pub seller: SellerDto,
    /// The buyer's full name, as given at checkout.
    pub buyer_name: String,
    /// Where the invoice is addressed, as given at checkout.
    pub billing_address: PostalAddressDto,
    /// The country whose VAT applied (ISO 3166-1 alpha-2).
    #[schema(example = "FR")]
    pub tax_country: String,
    /// What was sold (or refunded), line by line.
    pub lines: Vec<InvoiceLineDto>,
    /// Shipping, when printed sets were shipped.
    pub shipping: Option<InvoiceShippingDto>,
    /// Sums before and after VAT, and VAT by rate.
    pub totals: InvoiceTotalsDto,
    /// Why VAT-free lines are VAT-free (empty when every line is taxed).
    pub vat_exemptions: Vec<VatExemptionDto>,
    /// On a credit note: the number of the invoice it corrects.
    pub credit_note_of: Option<String>,
    /// On a credit note: why the refund was made.
    pub reason: Option<String>,
}

fn document(inv: &Invoice) -> Result<InvoiceDocumentDto, ApiError> {
    let c = inv.currency.as_str();
    let payment_method = PaymentMethod::parse(&inv.payment_method)
        .map(PaymentMethodDto::from)
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("corrupt invoice: payment method")))?;
    Ok(InvoiceDocumentDto {
        id: inv.id.as_uuid(),
        kind: inv.kind.into(),
        number: inv.number.clone(),
        issued_at: inv.issued_at,
        order_id: inv.order_id.as_uuid(),
        order_number: inv.order_number.clone(),
        ordered_at: inv.ordered_at,
        paid_at: inv.paid_at,
        payment_method,
        seller: (&inv.seller).into(),
        buyer_name: inv.buyer_name.clone(),
        billing_address: inv.billing_address.clone().into(),
        tax_country: inv.tax_country.clone(),
        lines: inv.lines.iter().map(|l| line(l, c)).collect(),
        shipping: inv.shipping.as_ref().map(|s| shipping(s, c)),
        totals: totals(&inv.totals, c),
        vat_exemptions: inv.vat_exemptions().into_iter().map(Into::into).collect(),
        credit_note_of: inv.credit_note_of.clone(),
        reason: inv.reason.clone(),
    })
}

/// An order's invoice and its credit notes.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = OrderInvoice, example = json!({
    "invoice": {
        "id": "01a21faf-9618-77eb-b003-0a5b1c2d3e4f",
        "kind": "invoice",
        "number": "F-2026-000001",
        "issued_at": "2026-06-12T09:30:00Z",
        "order_id": "01a21faf-9618-77eb-b003-08a5b1c2d3e4",
        "order_number": "BQ-B1C2D3-E4F5A6",
        "ordered_at": "2026-06-10T18:02:11Z",
        "paid_at": "2026-06-12T09:30:00Z",
        "payment_method": "bank_transfer",
        "seller": {
            "name": "Boutique Plans",
            "legal_form_and_capital": "SAS au capital de 10 000 €",
            "address_lines": ["1 place Bellecour", "69002 Lyon, France"],
            "siren": "123456789",
            "siret": "12345678900012",
            "rcs": "RCS Lyon 123 456 789",
            "vat_number": "FR12123456789",
            "email": "factures@example.com"
        },
        "buyer_name": "Jeanne Dupont",
        "billing_address": {"full_name": "Jeanne Dupont", "line1": "12 rue des Lilas", "line2": null, "postal_code": "69003", "city": "Lyon", "country": "FR"},
        "tax_country": "FR",
        "lines": [{
            "description": "Maison contemporaine de 129 m²",
            "sku": "BTQ-021-PDF",
            "kind": "pdf",
            "quantity": 1,
            "unit_net": {"amount": 66667, "currency": "EUR"},
            "discount_net": {"amount": 0, "currency": "EUR"},
            "vat_rate_bp": 2000,
            "net": {"amount": 66667, "currency": "EUR"},
            "vat": {"amount": 13333, "currency": "EUR"},
            "gross": {"amount": 80000, "currency": "EUR"}
        }],
        "shipping": null,
        "totals": {
            "discount_net": {"amount": 0, "currency": "EUR"},
            "net": {"amount": 66667, "currency": "EUR"},
            "vat": {"amount": 13333, "currency": "EUR"},
            "gross": {"amount": 80000, "currency": "EUR"},
            "vat_by_rate": [{"rate_bp": 2000, "net": {"amount": 66667, "currency": "EUR"}, "vat": {"amount": 13333, "currency": "EUR"}}]
        },
        "vat_exemptions": [],
        "credit_note_of": null,
        "reason": null
    },
    "credit_notes": []
}))]
pub struct OrderInvoiceDto {
    /// The invoice, issued when the order was paid.
    pub invoice: InvoiceDocumentDto,
    /// Its credit notes (refunds), oldest first.
    pub credit_notes: Vec<InvoiceDocumentDto>,
}

/// In what form to answer.
///
/// - `json`: the invoice and its credit notes as JSON.
/// - `pdf`: the invoice as a PDF/A document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = InvoiceFormat)]
pub enum InvoiceFormat {
    /// JSON.
    Json,
    /// PDF.
    Pdf,
}

/// `format` and `lang` of an invoice.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InvoiceParams {
    /// `json` (the invoice and its credit notes) or `pdf` (the invoice as
    /// a PDF/A document); without it, `Accept` decides (`application/pdf`
    /// preferred to `application/json` gives the PDF), JSON by default.
    #[param(inline)]
    pub format: Option<InvoiceFormat>,
    /// Language of the PDF: `fr` (French) or `en` (English); without it,
    /// `Accept-Language` when sent, else the order's language.
    #[param(inline)]
    pub lang: Option<LanguageDto>,
}

/// The weight `Accept` gives `media` (`type/*` and `*/*` count when the
/// exact type is absent); 1 when no `Accept` is sent.
fn accept_weight(req: &HttpRequest, media: &str) -> f32 {
    let value: Vec<&str> = req
        .headers()
        .get_all(header::ACCEPT)
        .filter_map(|v| v.to_str().ok())
        .collect();
    if value.is_empty() {
        return 1.0;
    }
    let family = media.split('/').next().unwrap_or_default();
    let mut best: (u8, f32) = (0, 0.0);
    for range in value.join(",").split(',') {
        let mut parts = range.split(';');
        let m = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let mut q = 1.0_f32;
        for p in parts {
            if let Some(v) = p.trim().strip_prefix("q=") {
                q = v.trim().parse::<f32>().unwrap_or(0.0).clamp(0.0, 1.0);
            }
        }
        let specificity = if m == media {
            3
        } else if m == format!("{family}/*") {
            2
        } else if m == "*/*" {
            1
        } else {
            0
        };
        if specificity > best.0 {
            best = (specificity, q);
        }
    }
    best.1
}

fn wants_pdf(req: &HttpRequest, format: Option<InvoiceFormat>) -> bool {
    match format {
        Some(f) => f == InvoiceFormat::Pdf,
        None => {
            let pdf = accept_weight(req, "application/pdf");
            pdf > 0.0 && pdf > accept_weight(req, "application/json")
        }
    }
}

/// Read an order's invoice: its customer with the bearer token, or a guest
/// with the order's secret (`X-Order-Secret`).
///
/// JSON by default (the invoice and its credit notes); the invoice as a
/// PDF/A document with `Accept: application/pdf` or `format=pdf`, in
/// French or English (`lang`, else `Accept-Language`, else the order's
/// language). The invoice is issued when the order is paid: before, and
/// for any caller who may not read the order, the answer is 404 (never
/// 403, so order ids cannot be probed).
#[utoipa::path(
    tag = "orders",
    operation_id = "get_order_invoice",
    security(("bearer" = []), ("order_secret" = [])),
    params(
        ("order_id" = Uuid, Path, description = "The order's id"),
        InvoiceParams,
    ),
    responses(
        (status = 200, description = "The invoice: JSON (with its credit notes), or the PDF (`Content-Disposition: inline; filename=\"F-2026-000001.pdf\"`)", content(
            (OrderInvoiceDto = "application/json"),
            (String = "application/pdf", example = "%PDF-1.7 …"),
        ), headers(("Content-Disposition" = String, description = "On the PDF: `inline; filename=\"<number>.pdf\"`"))),
        (status = 400, description = "Unknown `format` or `lang`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No order has this id, the caller may not read it, or it is not paid yet (no invoice)", body = Problem, content_type = "application/problem+json", examples(
            ("not-yours" = (summary = "Unknown order, or not the caller's", value = json!({
                "type": "/problems/not-found",
                "title": "Resource not found",
                "status": 404,
                "detail": "No order has this id, or it is not yours.",
                "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85"
            }))),
            ("not-paid" = (summary = "The order waits for its payment", value = json!({
                "type": "/problems/not-found",
                "title": "Resource not found",
                "status": 404,
                "detail": "This order has no invoice yet: it is issued when the order is paid.",
                "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85"
            })))
        )),
        MaybeSignedInErrors,
    )
)]
#[get("/v1/orders/{order_id}/invoice")]
pub async fn get_order_invoice(
    state: SharedState,
    auth: MaybeAuth,
    req: HttpRequest,
    path: web::Path<String>,
    params: Params<InvoiceParams>,
) -> Result<HttpResponse, ApiError> {
    let (holder, id) = crate::routes::orders::order_holder(&state, &auth, &req, &path)?;
    let p = params.read()?;
    let docs = invoice::read(state.store.as_ref(), state.index.as_ref(), &holder, id).await?;
    if !wants_pdf(&req, p.format) {
        return Ok(HttpResponse::Ok()
            .insert_header((header::VARY, "Accept"))
            .json(OrderInvoiceDto {
                invoice: document(&docs.invoice)?,
                credit_notes: docs
                    .credit_notes
                    .iter()
                    .map(document)
                    .collect::<Result<_, _>>()?,
            }));
    }
    let language = match (p.lang, req.headers().contains_key(header::ACCEPT_LANGUAGE)) {
        (Some(l), _) => l.into(),
        (None, true) => match Lang::of(req.headers()) {
            Lang::Fr => Language::Fr,
            Lang::En => Language::En,
        },
        (None, false) => docs.order.summary.language,
    };
    let filename = format!("{}.pdf", docs.invoice.number);
    let inv = docs.invoice;
    let pdf = web::block(move || crate::invoice_pdf::render(&inv, language))
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("the PDF renderer stopped: {e}")))?
        .map_err(|e| ApiError::Internal(e.into()))?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((header::VARY, "Accept, Accept-Language"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"{filename}\""),
        ))
        .body(pdf))
}

/// Read an invoice or credit note of the legal archive by its number
/// (admins; audited with `X-Access-Reason`): what the law keeps 10 years
/// after the order itself is gone (RET-1).
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_get_archived_invoice",
    security(("bearer" = [])),
    params(
        ("number" = String, Path, description = "The number: `F-<year>-<6 digits>` (invoice) or `A-<year>-<6 digits>` (credit note)", example = "F-2026-000042", pattern = r"^[FA]-[0-9]{4}-[0-9]{6}$"),
        ("X-Access-Reason" = String, Header, description = "Why this personal data is read: 3 to 200 printable ASCII characters (tabs allowed inside)", example = "tax audit 2027", min_length = 3, max_length = 200, pattern = r"^[!-~](?:[\t -~]*[!-~])?$"),
    ),
    responses(
        (status = 200, description = "The document", body = InvoiceDocumentDto),
        (status = 400, description = "`X-Access-Reason` is missing or malformed", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No invoice or credit note has this number", body = Problem, content_type = "application/problem+json"),
        crate::problem::SignedInErrors,
    )
)]
#[get("/v1/admin/legal-archive/{number}")]
pub async fn admin_get_archived_invoice(
    state: SharedState,
    admin: crate::auth::Admin,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<web::Json<InvoiceDocumentDto>, ApiError> {
    let why = crate::routes::admin::customers::reason(&req)?;
    let inv = domain::shop::invoice::archive_read(
        state.store.as_ref(),
        state.clock.as_ref(),
        &admin.0,
        &path,
        &why,
    )
    .await?;
    Ok(web::Json(document(&inv)?))
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    #[test]
    fn accept_picks_the_pdf_only_when_preferred() {
        let req = TestRequest::default().to_http_request();
        assert!(!wants_pdf(&req, None), "JSON by default");
        assert!(wants_pdf(&req, Some(InvoiceFormat::Pdf)));
        let req = TestRequest::default()
            .insert_header((header::ACCEPT, "application/pdf"))
            .to_http_request();
        assert!(wants_pdf(&req, None));
        assert!(!wants_pdf(&req, Some(InvoiceFormat::Json)));
        let req = TestRequest::default()
            .insert_header((header::ACCEPT, "application/json, application/pdf;q=0.5"))
            .to_http_request();
        assert!(!wants_pdf(&req, None));
        let req = TestRequest::default()
            .insert_header((header::ACCEPT, "application/pdf, */*;q=0.1"))
            .to_http_request();
        assert!(wants_pdf(&req, None));
        let req = TestRequest::default()
            .insert_header((header::ACCEPT, "*/*"))
            .to_http_request();
        assert!(!wants_pdf(&req, None), "a tie answers JSON");
    }

    #[test]
    fn every_kind_and_exemption_has_its_wire_name() {
        assert_eq!(
            serde_json::to_value(InvoiceKindDto::from(InvoiceKind::CreditNote)).unwrap(),
            "credit_note"
        );
        assert_eq!(
            serde_json::to_value(VatExemptionDto::from(VatExemption::ServicesOutsideEu)).unwrap(),
            "services_outside_eu"
        );
    }
}
