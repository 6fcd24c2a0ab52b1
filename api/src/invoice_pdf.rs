//! Invoices and credit notes as PDF: one A4 document per invoice, in French
//! or English, written as PDF/A-2u (the archival profile: every font
//! embedded, every glyph mapped to its text), so what is kept for 10 years
//! reads the same on any reader. The font, DejaVu Sans, ships in
//! `api/assets/fonts` with its licence and is embedded as a subset.
//!
//! The document carries the mentions French law asks of an invoice: the
//! seller's identity (name, legal form and capital, address, SIREN, RCS,
//! intra-EU VAT number), the number and date, the buyer's name and
//! address, each line's net price, VAT rate and VAT, the totals by rate,
//! that it was paid ("facture acquittée"), the late-payment terms for
//! professional buyers, and why a line bears no VAT (exports of goods,
//! electronic services outside the EU).
//!
//! Layout is worked out first (a list of drawing operations per page, with
//! page breaks), then drawn; text is measured with the font's own metrics.

use chrono::{DateTime, Datelike, Timelike, Utc};
use domain::identity::Language;
use domain::shop::invoice::{Invoice, InvoiceKind, InvoiceLine, REFUND_KIND, VatExemption};
use krilla::color::rgb;
use krilla::configure::{Archival, ConfigurationBuilder};
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::{DateTime as PdfDateTime, Metadata};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use krilla::{Document, SerializeSettings};
use skrifa::MetadataProvider as _;
use skrifa::instance::{LocationRef, Size};

/// DejaVu Sans (Bitstream Vera licence, DejaVu changes in the public domain).
const FONT: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");

/// A4, in points.
const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const LEFT: f32 = 42.0;
const RIGHT: f32 = PAGE_W - 42.0;
const TOP: f32 = 56.0;
/// Content stops here; the footer lies below.
const BOTTOM: f32 = PAGE_H - 70.0;

/// Right edges of the table's number columns.
const COL_QTY: f32 = 290.0;
const COL_UNIT: f32 = 352.0;
const COL_RATE: f32 = 395.0;
const COL_NET: f32 = 446.0;
const COL_VAT: f32 = 497.0;
const COL_GROSS: f32 = RIGHT;
const DESCRIPTION_W: f32 = 200.0;

/// Why an invoice could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// The embedded font does not load.
    #[error("the embedded font cannot be read")]
    Font,
    /// The writer refused the document.
    #[error("the PDF cannot be written: {0}")]
    Write(String),
}

/// The words of a document, in one language.
struct Labels {
    colon: &'static str,
    invoice: &'static str,
    credit_note: &'static str,
    number: &'static str,
    date: &'static str,
    order: &'static str,
    of: &'static str,
    credit_of: &'static str,
    seller_vat: &'static str,
    bill_to: &'static str,
    description: &'static str,
    quantity: &'static str,
    unit_net: &'static str,
    vat_rate: &'static str,
    net: &'static str,
    vat: &'static str,
    gross: &'static str,
    sku: &'static str,
    discount: &'static str,
    shipping: &'static str,
    total_net: &'static str,
    discount_included: &'static str,
    vat_on: &'static str,
    total_gross: &'static str,
    credit_total: &'static str,
    paid: &'static str,
    refunded: &'static str,
    reason: &'static str,
    refund: &'static str,
    terms: &'static str,
    export_goods: &'static str,
    services_outside_eu: &'static str,
    page: &'static str,
    bank_transfer: &'static str,
    card: &'static str,
    pdf: &'static str,
    cad: &'static str,
    printed_set: &'static str,
    standard: &'static str,
    express: &'static str,
}

const FR: Labels = Labels {
    colon: "\u{a0}: ",
    invoice: "FACTURE",
    credit_note: "AVOIR",
    number: "N°",
    date: "Date",
    order: "Commande",
    of: "du",
    credit_of: "Avoir sur la facture",
    seller_vat: "TVA intracommunautaire",
    bill_to: "Facturé à",
    description: "Désignation",
    quantity: "Qté",
    unit_net: "PU HT",
    vat_rate: "TVA %",
    net: "Total HT",
    vat: "TVA",
    gross: "Total TTC",
    sku: "Réf.",
    discount: "Remise HT",
    shipping: "Livraison",
    total_net: "Total HT",
    discount_included: "dont remise HT",
    vat_on: "sur",
    total_gross: "Total TTC",
    credit_total: "Montant de l'avoir TTC",
    paid: "Facture acquittée le",
    refunded: "Remboursement le",
    reason: "Motif",
    refund: "Remboursement",
    terms: "Pas d'escompte pour paiement anticipé. Clients professionnels : en cas de retard de \
paiement, pénalités au taux de trois fois le taux d'intérêt légal et indemnité forfaitaire pour \
frais de recouvrement de 40 € (art. L441-10 et D441-5 du Code de commerce).",
    export_goods: "Exonération de TVA, article 262 I du CGI (exportation de biens hors de l'Union \
européenne).",
    services_outside_eu: "TVA non applicable — prestation de services électroniques à un client \
établi hors de l'Union européenne (art. 259 B du CGI).",
    page: "Page",
    bank_transfer: "virement bancaire",
    card: "carte bancaire (Stripe)",
    pdf: "plan PDF",
    cad: "fichiers CAO",
    printed_set: "jeu de plans imprimés",
    standard: "standard",
    express: "express",
};

const EN: Labels = Labels {
    colon: ": ",
    invoice: "INVOICE",
    credit_note: "CREDIT NOTE",
    number: "No.",
    date: "Date",
    order: "Order",
    of: "of",
    credit_of: "Credit note for invoice",
    seller_vat: "EU VAT number",
    bill_to: "Bill to",
    description: "Description",
    quantity: "Qty",
    unit_net: "Unit excl. VAT",
    vat_rate: "VAT %",
    net: "Excl. VAT",
    vat: "VAT",
    gross: "Incl. VAT",
    sku: "SKU",
    discount: "Discount excl. VAT",
    shipping: "Shipping",
    total_net: "Total excl. VAT",
    discount_included: "including discount excl. VAT",
    vat_on: "on",
    total_gross: "Total incl. VAT",
    credit_total: "Credit note total incl. VAT",
    paid: "Paid on",
    refunded: "Refunded on",
    reason: "Reason",
    refund: "Refund",
    terms: "No discount for early payment. Business customers: late payment penalties at three \
times the French legal interest rate, and a fixed recovery fee of €40 (French Commercial Code, \
art. L441-10 and D441-5).",
    export_goods: "VAT exempt, article 262 I of the French General Tax Code (export of goods \
outside the European Union).",
    services_outside_eu: "VAT not applicable — electronic services to a customer established \
outside the European Union (art. 259 B of the French General Tax Code).",
    page: "Page",
    bank_transfer: "bank transfer",
    card: "card (Stripe)",
    pdf: "PDF plan",
    cad: "CAD files",
    printed_set: "printed set of plans",
    standard: "standard",
    express: "express",
};

const fn labels(lang: Language) -> &'static Labels {
    match lang {
        Language::Fr => &FR,
        Language::En => &EN,
    }
}

/// The embedded font, for drawing and for measuring.
struct Fonts {
    pdf: Font,
    face: skrifa::FontRef<'static>,
}

impl Fonts {
    fn load() -> Result<Self, PdfError> {
        Ok(Self {
            pdf: Font::new(krilla::Data::from(FONT), 0).ok_or(PdfError::Font)?,
            face: skrifa::FontRef::new(FONT).map_err(|_| PdfError::Font)?,
        })
    }

    fn has(&self, c: char) -> bool {
        self.face.charmap().map(c).is_some()
    }

    /// `text`'s advance at `size`, in points.
    fn width(&self, text: &str, size: f32) -> f32 {
        let metrics = self
            .face
            .glyph_metrics(Size::new(size), LocationRef::default());
        let charmap = self.face.charmap();
        text.chars()
            .map(|c| {
                charmap
                    .map(c)
                    .and_then(|g| metrics.advance_width(g))
                    .unwrap_or(size * 0.6)
            })
            .sum()
    }

    /// `text` with control characters dropped and characters the font
    /// lacks replaced by `?`: a name in a script the font does not cover
    /// still gives a document (PDF/A refuses missing glyphs).
    fn printable(&self, text: &str) -> String {
        text.chars()
            .filter(|c| !c.is_control())
            .map(|c| if self.has(c) { c } else { '?' })
            .collect()
    }

    /// `text` cut into lines of at most `width` points at `size`, at spaces
    /// (a word wider than a line is cut where it must).
    fn wrap(&self, text: &str, size: f32, width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        let mut line = String::new();
        for word in text.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_owned()
            } else {
                format!("{line} {word}")
            };
            if self.width(&candidate, size) <= width {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            for c in word.chars() {
                line.push(c);
                if self.width(&line, size) > width && line.chars().count() > 1 {
                    line.pop();
                    lines.push(std::mem::take(&mut line));
                    line.push(c);
                }
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
        lines
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Ink {
    Black,
    Grey,
}

/// One drawing operation.
#[derive(Debug, Clone)]
enum Op {
    Text {
        x: f32,
        y: f32,
        size: f32,
        text: String,
        ink: Ink,
    },
    Rule {
        x: f32,
        y: f32,
        width: f32,
    },
    Band {
        y: f32,
        height: f32,
    },
}

/// Pages of operations, and where the next one goes.
struct Layout<'a> {
    fonts: &'a Fonts,
    pages: Vec<Vec<Op>>,
    y: f32,
}

impl<'a> Layout<'a> {
    fn new(fonts: &'a Fonts) -> Self {
        Self {
            fonts,
            pages: vec![Vec::new()],
            y: TOP,
        }
    }

    fn push(&mut self, op: Op) {
        if let Some(page) = self.pages.last_mut() {
            page.push(op);
        }
    }

    fn text(&mut self, x: f32, y: f32, size: f32, text: &str, ink: Ink) {
        let text = self.fonts.printable(text);
        if text.is_empty() {
            return;
        }
        self.push(Op::Text {
            x,
            y,
            size,
            text,
            ink,
        });
    }

    fn right(&mut self, right: f32, y: f32, size: f32, text: &str, ink: Ink) {
        let text = self.fonts.printable(text);
        let x = right - self.fonts.width(&text, size);
        self.text(x, y, size, &text, ink);
    }

    fn rule(&mut self, x: f32, y: f32, width: f32) {
        self.push(Op::Rule { x, y, width });
    }

    /// Starts a new page when `height` more points would not fit.
    fn room(&mut self, height: f32) -> bool {
        if self.y + height > BOTTOM {
            self.pages.push(Vec::new());
            self.y = TOP;
            true
        } else {
            false
        }
    }
}

/// `cents` of `currency`, as people of `lang` write it: `1 234,56 €`,
/// `€1,234.56`.
fn money(cents: i64, currency: &str, lang: Language) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    let units = (abs / 100).to_string();
    let (sep, dec) = match lang {
        Language::Fr => ('\u{a0}', ','),
        Language::En => (',', '.'),
    };
    let mut grouped = String::new();
    for (i, c) in units.chars().enumerate() {
        if i > 0 && (units.len() - i).is_multiple_of(3) {
            grouped.push(sep);
        }
        grouped.push(c);
    }
    let number = format!("{grouped}{dec}{:02}", abs % 100);
    match (lang, currency) {
        (Language::Fr, "EUR") => format!("{sign}{number}\u{a0}€"),
        (Language::En, "EUR") => format!("{sign}€{number}"),
        (Language::Fr, c) => format!("{sign}{number}\u{a0}{c}"),
        (Language::En, c) => format!("{sign}{c}\u{a0}{number}"),
    }
}

/// A VAT rate in hundredths of a percent: `20 %`, `5,5 %` / `20%`, `5.5%`.
fn rate(bp: u32, lang: Language) -> String {
    let whole = bp / 100;
    let frac = bp % 100;
    let dec = if lang == Language::Fr { ',' } else { '.' };
    let number = if frac == 0 {
        whole.to_string()
    } else if frac.is_multiple_of(10) {
        format!("{whole}{dec}{}", frac / 10)
    } else {
        format!("{whole}{dec}{frac:02}")
    };
    match lang {
        Language::Fr => format!("{number}\u{a0}%"),
        Language::En => format!("{number}%"),
    }
}

fn date(at: DateTime<Utc>, lang: Language) -> String {
    match lang {
        Language::Fr => at.format("%d/%m/%Y").to_string(),
        Language::En => at.format("%-d %B %Y").to_string(),
    }
}

fn payment(method: &str, l: &Labels) -> String {
    match method {
        "bank_transfer" => l.bank_transfer.to_owned(),
        "stripe" => l.card.to_owned(),
        other => other.replace('_', " "),
    }
}

fn line_description(line: &InvoiceLine, l: &Labels) -> String {
    let kind = match line.kind.as_str() {
        "pdf" => Some(l.pdf),
        "cad" => Some(l.cad),
        "printed_set" => Some(l.printed_set),
        _ => None,
    };
    if line.kind == REFUND_KIND {
        if line.description == REFUND_KIND {
            l.refund.to_owned()
        } else {
            format!("{} — {}", l.refund, line.description)
        }
    } else if let Some(kind) = kind {
        format!("{} — {kind}", line.description)
    } else {
        line.description.clone()
    }
}

fn header(lay: &mut Layout<'_>, inv: &Invoice, lang: Language, l: &Labels) {
    let s = &inv.seller;
    let mut y = TOP;
    lay.text(LEFT, y, 13.0, &s.name, Ink::Black);
    y += 15.0;
    let mut identity: Vec<String> = vec![s.legal_form_and_capital.clone()];
    identity.extend(s.address_lines.iter().cloned());
    identity.push(match &s.siret {
        Some(siret) => format!("SIREN {} — SIRET {siret}", s.siren),
        None => format!("SIREN {}", s.siren),
    });
    identity.push(s.rcs.clone());
    identity.push(format!("{}{}{}", l.seller_vat, l.colon, s.vat_number));
    identity.push(s.email.clone());
    for line in identity.iter().filter(|x| !x.trim().is_empty()) {
        lay.text(LEFT, y, 8.0, line, Ink::Grey);
        y += 10.5;
    }
    let title = match inv.kind {
        InvoiceKind::Invoice => l.invoice,
        InvoiceKind::CreditNote => l.credit_note,
    };
    let mut ry = TOP + 4.0;
    lay.right(RIGHT, ry, 18.0, title, Ink::Black);
    ry += 20.0;
    lay.right(
        RIGHT,
        ry,
        10.5,
        &format!("{} {}", l.number, inv.number),
        Ink::Black,
    );
    ry += 14.0;
    lay.right(
        RIGHT,
        ry,
        9.0,
        &format!("{}{}{}", l.date, l.colon, date(inv.issued_at, lang)),
        Ink::Black,
    );
    ry += 12.0;
    lay.right(
        RIGHT,
        ry,
        9.0,
        &format!(
            "{} {} {} {}",
            l.order,
            inv.order_number,
            l.of,
            date(inv.ordered_at, lang)
        ),
        Ink::Black,
    );
    if let Some(of) = &inv.credit_note_of {
        ry += 12.0;
        lay.right(RIGHT, ry, 9.0, &format!("{} {of}", l.credit_of), Ink::Black);
    }

    let mut by = y.max(ry) + 22.0;
    let bx = 320.0;
    lay.text(bx, by, 8.0, l.bill_to, Ink::Grey);
    by += 13.0;
    lay.text(bx, by, 10.5, &inv.buyer_name, Ink::Black);
    let a = &inv.billing_address;
    let mut address = Vec::new();
    if a.full_name.trim() != inv.buyer_name.trim() {
        address.push(a.full_name.clone());
    }
    address.push(a.line1.clone());
    if let Some(l2) = &a.line2 {
        address.push(l2.clone());
    }
    address.push(format!("{} {}", a.postal_code, a.city));
    address.push(a.country.clone());
    for line in address.iter().filter(|x| !x.trim().is_empty()) {
        by += 12.0;
        lay.text(bx, by, 9.0, line, Ink::Black);
    }
    lay.y = by + 28.0;
}

fn table_head(lay: &mut Layout<'_>, l: &Labels) {
    let y = lay.y;
    lay.push(Op::Band {
        y: y - 11.0,
        height: 16.0,
    });
    lay.text(LEFT + 3.0, y, 7.5, l.description, Ink::Black);
    for (right, label) in [
        (COL_QTY, l.quantity),
        (COL_UNIT, l.unit_net),
        (COL_RATE, l.vat_rate),
        (COL_NET, l.net),
        (COL_VAT, l.vat),
        (COL_GROSS - 3.0, l.gross),
    ] {
        lay.right(right, y, 7.5, label, Ink::Black);
    }
    lay.y = y + 18.0;
}

fn row(
    lay: &mut Layout<'_>,
    l: &Labels,
    lang: Language,
    currency: &str,
    description: &str,
    detail: &[String],
    quantity: Option<u32>,
    unit: Option<i64>,
    (rate_bp, net, vat, gross): (u32, i64, i64, i64),
) {
    let lines = lay.fonts.wrap(description, 8.5, DESCRIPTION_W);
    let height = 11.0 * lines.len() as f32 + 9.5 * detail.len() as f32 + 6.0;
    if lay.room(height) {
        table_head(lay, l);
    }
    let top = lay.y;
    let mut y = top;
    for line in &lines {
        lay.text(LEFT + 3.0, y, 8.5, line, Ink::Black);
        y += 11.0;
    }
    for d in detail {
        lay.text(LEFT + 3.0, y - 1.0, 7.0, d, Ink::Grey);
        y += 9.5;
    }
    if let Some(q) = quantity {
        lay.right(COL_QTY, top, 8.5, &q.to_string(), Ink::Black);
    }
    if let Some(u) = unit {
        lay.right(COL_UNIT, top, 8.5, &money(u, currency, lang), Ink::Black);
    }
    lay.right(COL_RATE, top, 8.5, &rate(rate_bp, lang), Ink::Black);
    lay.right(COL_NET, top, 8.5, &money(net, currency, lang), Ink::Black);
    lay.right(COL_VAT, top, 8.5, &money(vat, currency, lang), Ink::Black);
    lay.right(
        COL_GROSS - 3.0,
        top,
        8.5,
        &money(gross, currency, lang),
        Ink::Black,
    );
    lay.y = y + 3.0;
    lay.rule(LEFT, lay.y - 9.0, 0.3);
}

fn totals(lay: &mut Layout<'_>, inv: &Invoice, lang: Language, l: &Labels) {
    let c = inv.currency.as_str();
    let t = &inv.totals;
    let rows = 3 + t.vat_by_rate.len() + usize::from(t.discount_net > 0);
    lay.room(14.0 * rows as f32 + 10.0);
    let label_x = 330.0;
    lay.y += 6.0;
    let pair = |lay: &mut Layout<'_>, label: &str, value: String, size: f32| {
        let y = lay.y;
        lay.text(label_x, y, size, label, Ink::Black);
        lay.right(COL_GROSS - 3.0, y, size, &value, Ink::Black);
        lay.y += size + 5.0;
    };
    pair(lay, l.total_net, money(t.net, c, lang), 9.0);
    if t.discount_net > 0 {
        pair(
            lay,
            l.discount_included,
            money(t.discount_net, c, lang),
            8.0,
        );
    }
    for r in &t.vat_by_rate {
        pair(
            lay,
            &format!(
                "{} {} {} {}",
                l.vat,
                rate(r.rate_bp, lang),
                l.vat_on,
                money(r.net, c, lang)
            ),
            money(r.vat, c, lang),
            9.0,
        );
    }
    let total_label = match inv.kind {
        InvoiceKind::Invoice => l.total_gross,
        InvoiceKind::CreditNote => l.credit_total,
    };
    let rule_y = lay.y - 9.0;
    lay.rule(label_x - 6.0, rule_y, 0.6);
    lay.y += 3.0;
    pair(lay, total_label, money(t.gross, c, lang), 11.0);
    lay.y += 14.0;
}

fn mentions(lay: &mut Layout<'_>, inv: &Invoice, lang: Language, l: &Labels) {
    let mut texts = Vec::new();
    match inv.kind {
        InvoiceKind::Invoice => {
            if let Some(paid) = inv.paid_at {
                texts.push(format!(
                    "{} {} ({}).",
                    l.paid,
                    date(paid, lang),
                    payment(&inv.payment_method, l)
                ));
            }
        }
        InvoiceKind::CreditNote => {
            texts.push(format!(
                "{} {} ({}).",
                l.refunded,
                date(inv.issued_at, lang),
                payment(&inv.payment_method, l)
            ));
            if let Some(reason) = &inv.reason {
                texts.push(format!("{}{}{reason}", l.reason, l.colon));
            }
        }
    }
    for e in inv.vat_exemptions() {
        texts.push(
            match e {
                VatExemption::ExportOfGoods => l.export_goods,
                VatExemption::ServicesOutsideEu => l.services_outside_eu,
            }
            .to_owned(),
        );
    }
    texts.push(l.terms.to_owned());
    for text in texts {
        let lines = lay.fonts.wrap(&text, 7.5, RIGHT - LEFT);
        lay.room(10.0 * lines.len() as f32 + 4.0);
        for line in lines {
            let y = lay.y;
            lay.text(LEFT, y, 7.5, &line, Ink::Black);
            lay.y += 10.0;
        }
        lay.y += 4.0;
    }
}

fn layout(fonts: &Fonts, inv: &Invoice, lang: Language) -> Vec<Vec<Op>> {
    let l = labels(lang);
    let c = inv.currency.as_str();
    let mut lay = Layout::new(fonts);
    header(&mut lay, inv, lang, l);
    table_head(&mut lay, l);
    for line in &inv.lines {
        let mut detail = Vec::new();
        if !line.sku.is_empty() {
            detail.push(format!("{} {}", l.sku, line.sku));
        }
        if line.discount_net > 0 {
            detail.push(format!(
                "{}{}{}",
                l.discount,
                l.colon,
                money(-line.discount_net, c, lang)
            ));
        }
        row(
            &mut lay,
            l,
            lang,
            c,
            &line_description(line, l),
            &detail,
            Some(line.quantity),
            Some(line.unit_net),
            (line.vat_rate_bp, line.net, line.vat, line.gross),
        );
    }
    if let Some(s) = &inv.shipping {
        let method = match s.method.as_str() {
            "standard" => l.standard,
            "express" => l.express,
            other => other,
        };
        row(
            &mut lay,
            l,
            lang,
            c,
            &format!("{} ({method})", l.shipping),
            &[],
            Some(1),
            Some(s.net),
            (s.vat_rate_bp, s.net, s.vat, s.gross),
        );
    }
    totals(&mut lay, inv, lang, l);
    mentions(&mut lay, inv, lang, l);
    lay.pages
}

fn fill(grey: u8) -> Fill {
    Fill {
        paint: rgb::Color::new(grey, grey, grey).into(),
        opacity: NormalizedF32::ONE,
        rule: krilla::paint::FillRule::default(),
    }
}

fn draw(surface: &mut Surface<'_>, fonts: &Fonts, op: &Op) {
    match op {
        Op::Text {
            x,
            y,
            size,
            text,
            ink,
        } => {
            surface.set_stroke(None);
            surface.set_fill(Some(fill(match ink {
                Ink::Black => 20,
                Ink::Grey => 100,
            })));
            surface.draw_text(
                Point::from_xy(*x, *y),
                fonts.pdf.clone(),
                *size,
                text,
                false,
                TextDirection::Auto,
            );
        }
        Op::Rule { x, y, width } => {
            let mut pb = PathBuilder::new();
            pb.move_to(*x, *y);
            pb.line_to(RIGHT, *y);
            if let Some(path) = pb.finish() {
                surface.set_fill(None);
                surface.set_stroke(Some(Stroke {
                    paint: rgb::Color::new(160, 160, 160).into(),
                    width: *width,
                    ..Stroke::default()
                }));
                surface.draw_path(&path);
            }
        }
        Op::Band { y, height } => {
            let mut pb = PathBuilder::new();
            if let Some(rect) = Rect::from_xywh(LEFT, *y, RIGHT - LEFT, *height) {
                pb.push_rect(rect);
            }
            if let Some(path) = pb.finish() {
                surface.set_stroke(None);
                surface.set_fill(Some(fill(238)));
                surface.draw_path(&path);
            }
        }
    }
}

fn pdf_date(at: DateTime<Utc>) -> PdfDateTime {
    let part = |v: u32| u8::try_from(v).unwrap_or(0);
    PdfDateTime::new(u16::try_from(at.year()).unwrap_or(2000))
        .month(part(at.month()))
        .day(part(at.day()))
        .hour(part(at.hour()))
        .minute(part(at.minute()))
        .second(part(at.second()))
        .utc_offset_hour(0)
        .utc_offset_minute(0)
}

/// Renders an invoice or credit note as a PDF/A-2u document in `language`.
///
/// # Errors
/// [`PdfError`] when the font does not load or the writer refuses the
/// document (a bug: every character is checked against the font first).
pub fn render(invoice: &Invoice, language: Language) -> Result<Vec<u8>, PdfError> {
    let fonts = Fonts::load()?;
    let pages = layout(&fonts, invoice, language);
    let configuration = ConfigurationBuilder::new()
        .with_archival_validator(Archival::A2_U)
        .finish()
        .map_err(|e| PdfError::Write(format!("{e:?}")))?;
    let mut document = Document::new_with(SerializeSettings {
        configuration,
        ..SerializeSettings::default()
    });
    let l = labels(language);
    let kind = match invoice.kind {
        InvoiceKind::Invoice => l.invoice,
        InvoiceKind::CreditNote => l.credit_note,
    };
    document.set_metadata(
        Metadata::new()
            .title(invoice.number.clone())
            .description(format!("{kind} {}", invoice.number))
            .authors(vec![fonts.printable(&invoice.seller.name)])
            .creator("Boutique".to_owned())
            .language(language.as_str().to_owned())
            .creation_date(pdf_date(invoice.issued_at)),
    );
    let count = pages.len();
    let footer_text = fonts.printable(&format!(
        "{} — {} — SIREN {} — {} — {} {}",
        invoice.seller.name,
        invoice.seller.legal_form_and_capital,
        invoice.seller.siren,
        invoice.seller.rcs,
        l.seller_vat,
        invoice.seller.vat_number
    ));
    for (i, ops) in pages.iter().enumerate() {
        let settings = PageSettings::from_wh(PAGE_W, PAGE_H)
            .ok_or_else(|| PdfError::Write("bad page size".into()))?;
        let mut page = document.start_page_with(settings);
        let mut surface = page.surface();
        for op in ops {
            draw(&mut surface, &fonts, op);
        }
        let number = format!("{} {}/{count}", l.page, i + 1);
        let room = RIGHT - LEFT - fonts.width(&number, 7.0) - 12.0;
        let size = (7.0 * room / fonts.width(&footer_text, 7.0).max(1.0)).min(7.0);
        for op in [
            Op::Rule {
                x: LEFT,
                y: PAGE_H - 48.0,
                width: 0.3,
            },
            Op::Text {
                x: LEFT,
                y: PAGE_H - 36.0,
                size,
                text: footer_text.clone(),
                ink: Ink::Grey,
            },
            Op::Text {
                x: RIGHT - fonts.width(&number, 7.0),
                y: PAGE_H - 36.0,
                size: 7.0,
                text: number,
                ink: Ink::Grey,
            },
        ] {
            draw(&mut surface, &fonts, &op);
        }
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|e| PdfError::Write(format!("{e:?}")))
}

#[cfg(test)]
mod tests {
    use domain::identity::PostalAddress;
    use domain::ids::OrderId;
    use domain::money::Currency;
    use domain::shop::invoice::{
        InvoiceId, InvoiceShipping, InvoiceTotals, Seller, VatAmount, format_number,
    };

    use super::*;

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_780_000_000, 0).unwrap()
    }

    pub(crate) fn sample(kind: InvoiceKind, lines: usize) -> Invoice {
        let line = InvoiceLine {
            description: "Maison contemporaine de 129 m² à étage, garage et véranda".into(),
            sku: "BTQ-021-PDF".into(),
            kind: "pdf".into(),
            quantity: 1,
            unit_net: 66_667,
            discount_net: 0,
            vat_rate_bp: 2000,
            net: 66_667,
            vat: 13_333,
            gross: 80_000,
        };
        let n = i64::try_from(lines).unwrap();
        Invoice {
            id: InvoiceId::new(),
            kind,
            number: format_number(kind, 2026, 42),
            year: 2026,
            sequence: 42,
            order_id: OrderId::new(),
            order_number: "BQ-ABCDEF-123456".into(),
            issued_at: t0(),
            ordered_at: t0(),
            paid_at: Some(t0()),
            payment_method: "bank_transfer".into(),
            currency: Currency::EUR,
            lines: vec![line; lines],
            shipping: Some(InvoiceShipping {
                method: "standard".into(),
                vat_rate_bp: 2000,
                net: 1_500,
                vat: 300,
                gross: 1_800,
            }),
            totals: InvoiceTotals {
                discount_net: 0,
                net: 66_667 * n + 1_500,
                vat: 13_333 * n + 300,
                gross: 80_000 * n + 1_800,
                vat_by_rate: vec![VatAmount {
                    rate_bp: 2000,
                    net: 66_667 * n + 1_500,
                    vat: 13_333 * n + 300,
                }],
            },
            buyer_name: "Jeanne Dupont-Hélie".into(),
            billing_address: PostalAddress {
                full_name: "Jeanne Dupont-Hélie".into(),
                line1: "12 rue des Lilas".into(),
                line2: Some("Bâtiment B, 3e étage".into()),
                postal_code: "69003".into(),
                city: "Lyon".into(),
                country: "FR".into(),
            },
            tax_country: "FR".into(),
            credit_note_of: (kind == InvoiceKind::CreditNote).then(|| "F-2026-000041".into()),
            reason: (kind == InvoiceKind::CreditNote).then(|| "Annulation".into()),
            seller: Seller {
                name: "Boutique Plans".into(),
                legal_form_and_capital: "SAS au capital de 10 000 €".into(),
                address_lines: vec!["1 place Bellecour".into(), "69002 Lyon, France".into()],
                siren: "123 456 789".into(),
                siret: Some("123 456 789 00012".into()),
                rcs: "RCS Lyon 123 456 789".into(),
                vat_number: "FR12123456789".into(),
                email: "factures@example.com".into(),
            },
        }
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn an_invoice_renders_as_a_pdf_a_with_its_number_in_both_languages() {
        for lang in [Language::Fr, Language::En] {
            for kind in InvoiceKind::ALL {
                let inv = sample(kind, 2);
                let pdf = render(&inv, lang).unwrap();
                assert!(pdf.starts_with(b"%PDF-"), "{lang:?}");
                assert!(contains(&pdf, inv.number.as_bytes()), "{lang:?} {kind:?}");
                assert!(contains(&pdf, b"pdfaid"), "PDF/A metadata");
            }
        }
    }

    #[test]
    fn accented_letters_and_the_euro_sign_have_glyphs() {
        // PDF/A-2u refuses a missing glyph, so a rendered invoice with them
        // proves they are drawn; the font is checked directly too.
        let fonts = Fonts::load().unwrap();
        for c in ['é', 'è', 'à', 'ç', 'ô', '€', '²', '—', '°', '\u{a0}', 'É'] {
            assert!(fonts.has(c), "{c}");
        }
        assert_eq!(fonts.printable("漢é€\u{7}"), "?é€");
        let mut inv = sample(InvoiceKind::Invoice, 1);
        inv.buyer_name = "漢字 Éloïse".into();
        assert!(render(&inv, Language::Fr).is_ok());
    }

    #[test]
    fn long_invoices_break_into_pages() {
        let fonts = Fonts::load().unwrap();
        let one = layout(&fonts, &sample(InvoiceKind::Invoice, 1), Language::Fr);
        assert_eq!(one.len(), 1);
        let many = layout(&fonts, &sample(InvoiceKind::Invoice, 60), Language::En);
        assert!(many.len() > 1);
        let pdf = render(&sample(InvoiceKind::Invoice, 60), Language::En).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
    }

    #[test]
    fn amounts_and_rates_are_written_as_each_language_does() {
        assert_eq!(money(123_456, "EUR", Language::Fr), "1\u{a0}234,56\u{a0}€");
        assert_eq!(money(123_456, "EUR", Language::En), "€1,234.56");
        assert_eq!(money(5, "EUR", Language::En), "€0.05");
        assert_eq!(money(-1_000, "EUR", Language::Fr), "-10,00\u{a0}€");
        assert_eq!(
            money(100_000_000, "USD", Language::En),
            "USD\u{a0}1,000,000.00"
        );
        assert_eq!(rate(2000, Language::Fr), "20\u{a0}%");
        assert_eq!(rate(550, Language::Fr), "5,5\u{a0}%");
        assert_eq!(rate(1725, Language::En), "17.25%");
        assert_eq!(rate(0, Language::En), "0%");
    }

    #[test]
    fn exports_print_their_vat_exemption() {
        let mut inv = sample(InvoiceKind::Invoice, 1);
        inv.lines[0].vat_rate_bp = 0;
        inv.lines[0].kind = "printed_set".into();
        let fonts = Fonts::load().unwrap();
        let pages = layout(&fonts, &inv, Language::Fr);
        let text: String = pages
            .iter()
            .flatten()
            .filter_map(|op| match op {
                Op::Text { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join(" ");
        assert!(text.contains("262 I du CGI"), "{text}");
        assert!(text.contains("Facture acquittée"), "{text}");
        assert!(text.contains("40 €"), "{text}");
        assert!(text.contains("SIREN 123 456 789"), "{text}");
        assert!(text.contains("FR12123456789"), "{text}");
    }
}
