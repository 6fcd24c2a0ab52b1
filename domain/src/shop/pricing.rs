//! What a cart costs: VAT by destination, shipping of printed sets and
//! discounts, worked out in exact integer cents (never a float).
//!
//! Catalogue prices are gross prices including French VAT at 20 %. A line's
//! net unit price is that gross divided by 1.20, rounded half-up to the cent;
//! the destination's VAT is then added. Inside the EU both supplies are
//! taxed at the customer's country rate (files are electronically supplied
//! services, printed sets are distance sales of goods under the OSS);
//! outside the EU everything is an export at 0 %.

use std::cmp::Reverse;
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use thiserror::Error;

use crate::catalogue::FormatKind;
use crate::error::{Coded, FieldCode};
use crate::money::{Currency, Money};

/// Why a price could not be worked out.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PricingError {
    /// Not a two-letter country code.
    #[error("country must be an ISO 3166-1 alpha-2 code of two letters, such as FR")]
    Country,
    /// A line's quantity is outside `1..=MAX_QUANTITY`.
    #[error("quantity must be between 1 and {}", MAX_QUANTITY)]
    Quantity,
    /// An amount is not in the shop's currency.
    #[error("every amount must be in EUR")]
    CurrencyMismatch,
    /// An amount does not fit.
    #[error("amount too large")]
    Overflow,
    /// The shipping option is not one offered for this cart.
    #[error("shipping must be one of the options offered for this cart: standard, express")]
    UnknownShipping,
    /// A percent discount outside 0.01 % to 100 %.
    #[error("a percent discount must be between 1 and 10000 hundredths of a percent")]
    Discount,
}

impl Coded for PricingError {
    fn code(&self) -> FieldCode {
        match self {
            Self::Country => FieldCode::InvalidFormat,
            Self::UnknownShipping => FieldCode::UnknownValue,
            Self::Overflow => FieldCode::TooLarge,
            Self::Quantity | Self::CurrencyMismatch | Self::Discount => FieldCode::Invalid,
        }
    }
}

/// An ISO 3166-1 alpha-2 country code, stored upper-case.
///
/// Any two ASCII letters are accepted: pricing only needs to tell EU member
/// states from the rest, and an unknown code is simply "outside the EU".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Country([u8; 2]);

impl Country {
    /// France, the shop's own country.
    pub const FRANCE: Self = Self(*b"FR");

    /// Parses two ASCII letters, in any case.
    ///
    /// # Errors
    /// [`PricingError::Country`] when `code` is not exactly two ASCII letters.
    pub fn parse(code: &str) -> Result<Self, PricingError> {
        let bytes: [u8; 2] = code
            .as_bytes()
            .try_into()
            .map_err(|_| PricingError::Country)?;
        if bytes.iter().all(u8::is_ascii_alphabetic) {
            Ok(Self(bytes.map(|b| b.to_ascii_uppercase())))
        } else {
            Err(PricingError::Country)
        }
    }

    /// The code, upper-case.
    #[must_use]
    pub fn as_str(&self) -> &str {
        // Only ASCII letters are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("ZZ")
    }
}

impl FromStr for Country {
    type Err = PricingError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Monaco is not an EU member but lies in the French VAT territory and is
/// served by French domestic post, so it is priced exactly like France.
const MONACO: Country = Country(*b"MC");

/// The country whose VAT rules apply to `country`.
fn vat_territory(country: Country) -> Country {
    if country == MONACO {
        Country::FRANCE
    } else {
        country
    }
}

/// One period of a member state's standard VAT rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VatRate {
    /// ISO 3166-1 alpha-2 code of the member state (Greece is `GR`, not `EL`).
    pub country: &'static str,
    /// The rate in hundredths of a percent: 20 % is 2000, 25.5 % is 2550.
    pub rate_bp: u32,
    /// First day the rate applies.
    pub from: NaiveDate,
    /// Last day the rate applies (inclusive); `None` while in force.
    pub until: Option<NaiveDate>,
}

/// A calendar date usable in a constant. Every date in the table is valid;
/// a typo would yield `NaiveDate::MIN`, which a test refuses.
const fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(y, m, d) {
        Some(date) => date,
        None => NaiveDate::MIN,
    }
}

/// A rate still in force.
const fn open(country: &'static str, rate_bp: u32, from: NaiveDate) -> VatRate {
    VatRate {
        country,
        rate_bp,
        from,
        until: None,
    }
}

/// A rate that has been replaced.
const fn closed(country: &'static str, rate_bp: u32, from: NaiveDate, until: NaiveDate) -> VatRate {
    VatRate {
        country,
        rate_bp,
        from,
        until: Some(until),
    }
}

/// Where the exact start of a long-standing rate is not recorded.
const LONG_AGO: NaiveDate = ymd(2000, 1, 1);

/// Standard VAT rates of the 27 EU member states, with their changes of
/// recent years so that past orders are priced as they were. Rows of one
/// country follow each other without gap or overlap; a country's first row
/// starts at its rate's introduction (or EU accession) when known.
pub const STANDARD_RATES: &[VatRate] = &[
    open("AT", 2000, LONG_AGO),
    open("BE", 2100, LONG_AGO),
    open("BG", 2000, ymd(2007, 1, 1)),
    open("CY", 1900, ymd(2014, 1, 13)),
    open("CZ", 2100, ymd(2013, 1, 1)),
    // Germany's temporary Covid cut, second half of 2020.
    closed("DE", 1900, ymd(2007, 1, 1), ymd(2020, 6, 30)),
    closed("DE", 1600, ymd(2020, 7, 1), ymd(2020, 12, 31)),
    open("DE", 1900, ymd(2021, 1, 1)),
    open("DK", 2500, LONG_AGO),
    closed("EE", 2000, ymd(2009, 7, 1), ymd(2023, 12, 31)),
    closed("EE", 2200, ymd(2024, 1, 1), ymd(2025, 6, 30)),
    open("EE", 2400, ymd(2025, 7, 1)),
    open("ES", 2100, ymd(2012, 9, 1)),
    closed("FI", 2400, ymd(2013, 1, 1), ymd(2024, 8, 31)),
    open("FI", 2550, ymd(2024, 9, 1)),
    open("FR", 2000, ymd(2014, 1, 1)),
    open("GR", 2400, ymd(2016, 6, 1)),
    // From EU accession; the rate has been 25 % since March 2012.
    open("HR", 2500, ymd(2013, 7, 1)),
    open("HU", 2700, ymd(2012, 1, 1)),
    // Ireland's temporary Covid cut, September 2020 to February 2021.
    closed("IE", 2300, ymd(2012, 1, 1), ymd(2020, 8, 31)),
    closed("IE", 2100, ymd(2020, 9, 1), ymd(2021, 2, 28)),
    open("IE", 2300, ymd(2021, 3, 1)),
    open("IT", 2200, ymd(2013, 10, 1)),
    open("LT", 2100, ymd(2009, 9, 1)),
    // Luxembourg's one-year cut in 2023.
    closed("LU", 1700, ymd(2015, 1, 1), ymd(2022, 12, 31)),
    closed("LU", 1600, ymd(2023, 1, 1), ymd(2023, 12, 31)),
    open("LU", 1700, ymd(2024, 1, 1)),
    open("LV", 2100, ymd(2012, 7, 1)),
    open("MT", 1800, ymd(2004, 5, 1)),
    open("NL", 2100, ymd(2012, 10, 1)),
    open("PL", 2300, ymd(2011, 1, 1)),
    open("PT", 2300, ymd(2011, 1, 1)),
    closed("RO", 1900, ymd(2017, 1, 1), ymd(2025, 7, 31)),
    open("RO", 2100, ymd(2025, 8, 1)),
    open("SE", 2500, LONG_AGO),
    open("SI", 2200, ymd(2013, 7, 1)),
    closed("SK", 2000, ymd(2011, 1, 1), ymd(2024, 12, 31)),
    open("SK", 2300, ymd(2025, 1, 1)),
];

/// The standard VAT rate in force in `country` on `on`, in hundredths of a
/// percent; `None` outside the EU VAT area (or before the first known rate).
/// Monaco answers France's rate.
#[must_use]
pub fn standard_rate(country: Country, on: NaiveDate) -> Option<u32> {
    let territory = vat_territory(country);
    STANDARD_RATES
        .iter()
        .find(|r| {
            r.country == territory.as_str() && r.from <= on && r.until.is_none_or(|u| on <= u)
        })
        .map(|r| r.rate_bp)
}

/// Whether `country` is one of the 27 EU member states.
#[must_use]
pub fn is_eu(country: Country) -> bool {
    STANDARD_RATES.iter().any(|r| r.country == country.as_str())
}

/// The country whose VAT is in the catalogue prices.
pub const BASE_COUNTRY: Country = Country::FRANCE;

/// The VAT rate included in catalogue prices, in hundredths of a percent.
pub const BASE_VAT_BP: u32 = 2000;

/// Most copies of one format a line may hold.
pub const MAX_QUANTITY: u32 = 99;

/// Hundredths of a percent in a whole.
const BP: i64 = 10_000;

/// What is sold, for VAT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Supply {
    /// A file to download (PDF, CAD): an electronically supplied service.
    ElectronicService,
    /// A printed set: goods, shipped.
    Goods,
}

impl Supply {
    /// What selling a format amounts to.
    #[must_use]
    pub const fn of(kind: FormatKind) -> Self {
        if kind.requires_shipping() {
            Self::Goods
        } else {
            Self::ElectronicService
        }
    }

    /// The wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ElectronicService => "electronic_service",
            Self::Goods => "goods",
        }
    }
}

/// The VAT rate charged to a consumer in `country` for `supply`, in
/// hundredths of a percent.
///
/// Both supplies end up at the destination's rate inside the EU (place of
/// supply of B2C electronic services is the customer's country; distance
/// sales of goods are taxed at destination under the OSS) and at 0 % outside
/// (exports). The function keeps `supply` so a rule change lands in one place.
#[must_use]
pub fn vat_rate(supply: Supply, country: Country, on: NaiveDate) -> u32 {
    match supply {
        Supply::ElectronicService | Supply::Goods => standard_rate(country, on).unwrap_or(0),
    }
}

/// Net value of a catalogue (French VAT-inclusive) gross amount: divided by
/// 1.20, rounded half-up to the cent.
///
/// # Errors
/// [`PricingError::CurrencyMismatch`] when not in EUR, [`PricingError::Overflow`].
pub fn net_of_base_gross(gross: Money) -> Result<Money, PricingError> {
    money(net_cents(eur_cents(gross)?)?)
}

/// Shipping zone of a destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Zone {
    /// France (and Monaco).
    France,
    /// The other EU member states.
    Eu,
    /// Everywhere else.
    World,
}

impl Zone {
    /// Every zone.
    pub const ALL: [Self; 3] = [Self::France, Self::Eu, Self::World];

    /// The zone `country` is shipped in.
    #[must_use]
    pub fn of(country: Country) -> Self {
        if vat_territory(country) == Country::FRANCE {
            Self::France
        } else if is_eu(country) {
            Self::Eu
        } else {
            Self::World
        }
    }

    /// The wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::France => "france",
            Self::Eu => "eu",
            Self::World => "world",
        }
    }

    /// Net standard rates of the zone, in cents, and delivery times.
    const fn tariff(self) -> Tariff {
        match self {
            Self::France => Tariff {
                up_to_2kg: 900,
                up_to_5kg: 1_400,
                up_to_10kg: 2_200,
                per_extra_5kg: 400,
                standard_days: (2, 3),
                express_days: (1, 1),
            },
            Self::Eu => Tariff {
                up_to_2kg: 1_800,
                up_to_5kg: 2_600,
                up_to_10kg: 3_800,
                per_extra_5kg: 800,
                standard_days: (4, 6),
                express_days: (2, 3),
            },
            Self::World => Tariff {
                up_to_2kg: 3_200,
                up_to_5kg: 4_800,
                up_to_10kg: 7_000,
                per_extra_5kg: 1_500,
                standard_days: (7, 14),
                express_days: (4, 6),
            },
        }
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Weight of one printed set, packaging included, in grams.
pub const PRINTED_SET_GRAMS: u32 = 1_200;

/// Net standard shipping prices of a zone (cents) by weight bracket, and
/// delivery times in business days (min, max).
struct Tariff {
    up_to_2kg: i64,
    up_to_5kg: i64,
    up_to_10kg: i64,
    /// Above 10 kg, per started 5 kg.
    per_extra_5kg: i64,
    standard_days: (u8, u8),
    express_days: (u8, u8),
}

impl Tariff {
    /// Net standard price for a parcel of `grams`, in cents.
    fn standard_net(&self, grams: u64) -> Result<i64, PricingError> {
        Ok(match grams {
            0..=2_000 => self.up_to_2kg,
            2_001..=5_000 => self.up_to_5kg,
            5_001..=10_000 => self.up_to_10kg,
            _ => {
                let steps = i64::try_from((grams - 10_000).div_ceil(5_000))
                    .map_err(|_| PricingError::Overflow)?;
                steps
                    .checked_mul(self.per_extra_5kg)
                    .and_then(|extra| extra.checked_add(self.up_to_10kg))
                    .ok_or(PricingError::Overflow)?
            }
        })
    }
}

/// A shipping service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ShippingCode {
    /// The cheapest.
    Standard,
    /// Twice the price, about twice as fast.
    Express,
}

impl ShippingCode {
    /// Every code, cheapest first.
    pub const ALL: [Self; 2] = [Self::Standard, Self::Express];

    /// The wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Standard => "standard",
            Self::Express => "express",
        }
    }

    /// Parses a wire name.
    ///
    /// # Errors
    /// [`PricingError::UnknownShipping`] for anything but `standard` or `express`.
    pub fn parse(s: &str) -> Result<Self, PricingError> {
        match s {
            "standard" => Ok(Self::Standard),
            "express" => Ok(Self::Express),
            _ => Err(PricingError::UnknownShipping),
        }
    }
}

impl FromStr for ShippingCode {
    type Err = PricingError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for ShippingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A way to ship the printed sets of a cart, priced for its destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShippingOption {
    /// Which service.
    pub code: ShippingCode,
    /// The destination's zone.
    pub zone: Zone,
    /// Price before VAT.
    pub net: Money,
    /// VAT on `net`, at `vat_rate_bp`.
    pub vat: Money,
    /// `net + vat`.
    pub gross: Money,
    /// The rate applied: the goods' rate, so the destination's inside the
    /// EU and 0 outside.
    pub vat_rate_bp: u32,
    /// Fewest business days to deliver.
    pub days_min: u8,
    /// Most business days to deliver.
    pub days_max: u8,
}

/// The ways to ship `printed_sets` printed sets to `zone_country` on `on`,
/// cheapest first; empty when there is nothing to ship.
///
/// # Errors
/// [`PricingError::Overflow`] for an absurd number of sets.
pub fn shipping_options(
    zone_country: Country,
    printed_sets: u32,
    on: NaiveDate,
) -> Result<Vec<ShippingOption>, PricingError> {
    if printed_sets == 0 {
        return Ok(Vec::new());
    }
    let zone = Zone::of(zone_country);
    let tariff = zone.tariff();
    let grams = u64::from(printed_sets) * u64::from(PRINTED_SET_GRAMS);
    let standard = tariff.standard_net(grams)?;
    // Shipping follows the VAT treatment of the goods it carries.
    let rate = vat_rate(Supply::Goods, zone_country, on);
    ShippingCode::ALL
        .iter()
        .map(|&code| {
            let (net, (days_min, days_max)) = match code {
                ShippingCode::Standard => (standard, tariff.standard_days),
                ShippingCode::Express => (
                    standard.checked_mul(2).ok_or(PricingError::Overflow)?,
                    tariff.express_days,
                ),
            };
            let vat = vat_cents(net, rate)?;
            Ok(ShippingOption {
                code,
                zone,
                net: money(net)?,
                vat: money(vat)?,
                gross: money(add(net, vat)?)?,
                vat_rate_bp: rate,
                days_min,
                days_max,
            })
        })
        .collect()
}

/// One line of a cart, as the caller knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineInput {
    /// The caller's index, echoed in [`PricedLine::key`].
    pub key: usize,
    /// Catalogue price of one copy, French VAT included.
    pub unit_gross_fr: Money,
    /// How many copies, `1..=MAX_QUANTITY`.
    pub quantity: u32,
    /// The format bought.
    pub kind: FormatKind,
}

/// A reduction of the goods (never of shipping).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Discount {
    /// A share of the goods' net total, in hundredths of a percent (`1..=10000`).
    Percent(u32),
    /// An amount off, VAT included at the French rate like catalogue
    /// prices, capped at the goods' total.
    Fixed(Money),
}

/// A line of the estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PricedLine {
    /// The caller's index, from [`LineInput::key`].
    pub key: usize,
    /// How many copies.
    pub quantity: u32,
    /// What is sold, for VAT.
    pub supply: Supply,
    /// The VAT rate applied, in hundredths of a percent.
    pub vat_rate_bp: u32,
    /// Net price of one copy.
    pub unit_net: Money,
    /// `unit_net × quantity`.
    pub line_net_before_discount: Money,
    /// This line's share of the discount, net.
    pub discount_net: Money,
    /// `line_net_before_discount − discount_net`.
    pub line_net: Money,
    /// VAT of the line.
    pub line_vat: Money,
    /// `line_net + line_vat`.
    pub line_gross: Money,
}

/// Sums of an estimate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Totals {
    /// Net goods before discount.
    pub goods_net: Money,
    /// The discount, net; the sum of the lines' shares.
    pub discount_net: Money,
    /// Net price of the chosen shipping, 0 when nothing ships.
    pub shipping_net: Money,
    /// `goods_net − discount_net + shipping_net`.
    pub net: Money,
    /// Lines' VAT plus shipping VAT.
    pub vat: Money,
    /// `net + vat`: what the customer pays.
    pub gross: Money,
    /// `(rate, net base, VAT)` by rate, highest rate first, for the invoice.
    pub vat_by_rate: Vec<(u32, Money, Money)>,
}

/// A priced cart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Estimate {
    /// Destination.
    pub country: Country,
    /// Its shipping zone.
    pub zone: Zone,
    /// The lines, in input order.
    pub lines: Vec<PricedLine>,
    /// Ways to ship the printed sets, cheapest first; empty when none.
    pub shipping_options: Vec<ShippingOption>,
    /// The chosen option, or the cheapest when none was chosen; `None` when
    /// nothing ships.
    pub shipping: Option<ShippingOption>,
    /// Sums.
    pub totals: Totals,
}

/// Prices a cart for a consumer in `country` on `on`.
///
/// Net unit prices come from the French VAT-inclusive catalogue prices; the
/// discount is taken off the goods' net total and spread over the lines in
/// proportion to their net (largest remainder, so shares add up exactly);
/// each line and the shipping are then taxed at the destination's rate,
/// rounded half-up.
///
/// Where the destination's rate equals the catalogue's (France, and any
/// country at 20 %), a line's VAT is what its catalogue gross leaves over
/// its net, so the customer pays exactly the displayed price (249.99 stays
/// 249.99; net × rate would give 250.00, since no cent amount of net gives
/// 249.99 at 20 %). After a discount that gross is scaled by the remaining
/// share of net.
///
/// A shipping code is ignored when nothing ships.
///
/// # Errors
/// [`PricingError::Quantity`], [`PricingError::CurrencyMismatch`],
/// [`PricingError::Discount`], [`PricingError::UnknownShipping`],
/// [`PricingError::Overflow`].
pub fn estimate(
    lines: &[LineInput],
    country: Country,
    on: NaiveDate,
    discount: Option<Discount>,
    shipping: Option<ShippingCode>,
) -> Result<Estimate, PricingError> {
    struct Work {
        input: LineInput,
        supply: Supply,
        rate: u32,
        unit_net: i64,
        net_before: i64,
        gross_before: i64,
    }

    let mut work = Vec::with_capacity(lines.len());
    let mut goods_net = 0_i64;
    let mut printed_sets = 0_u32;
    for line in lines {
        if !(1..=MAX_QUANTITY).contains(&line.quantity) {
            return Err(PricingError::Quantity);
        }
        let unit_gross = eur_cents(line.unit_gross_fr)?;
        let unit_net = net_cents(unit_gross)?;
        let quantity = i64::from(line.quantity);
        let net_before = unit_net
            .checked_mul(quantity)
            .ok_or(PricingError::Overflow)?;
        let gross_before = unit_gross
            .checked_mul(quantity)
            .ok_or(PricingError::Overflow)?;
        goods_net = add(goods_net, net_before)?;
        let supply = Supply::of(line.kind);
        if supply == Supply::Goods {
            printed_sets = printed_sets
                .checked_add(line.quantity)
                .ok_or(PricingError::Overflow)?;
        }
        work.push(Work {
            input: *line,
            supply,
            rate: vat_rate(supply, country, on),
            unit_net,
            net_before,
            gross_before,
        });
    }

    let discount_net = match discount {
        None => 0,
        Some(Discount::Percent(bp)) => {
            if !(1..=10_000).contains(&bp) {
                return Err(PricingError::Discount);
            }
            mul_div_half_up(goods_net, i64::from(bp), BP)?
        }
        Some(Discount::Fixed(amount)) => net_cents(eur_cents(amount)?)?.min(goods_net),
    };
    let weights: Vec<i64> = work.iter().map(|w| w.net_before).collect();
    let shares = spread(discount_net, &weights)?;

    let mut by_rate: BTreeMap<u32, (i64, i64)> = BTreeMap::new();
    let mut goods_vat = 0_i64;
    let mut priced = Vec::with_capacity(work.len());
    for (w, share) in work.iter().zip(shares) {
        let line_net = w
            .net_before
            .checked_sub(share)
            .ok_or(PricingError::Overflow)?;
        let line_vat = if w.rate == BASE_VAT_BP {
            // Same rate as the catalogue: keep its gross (see the doc above).
            let gross = if w.net_before == 0 {
                0
            } else {
                mul_div_half_up(w.gross_before, line_net, w.net_before)?
            };
            gross.checked_sub(line_net).ok_or(PricingError::Overflow)?
        } else {
            vat_cents(line_net, w.rate)?
        };
        goods_vat = add(goods_vat, line_vat)?;
        tally(&mut by_rate, w.rate, line_net, line_vat)?;
        priced.push(PricedLine {
            key: w.input.key,
            quantity: w.input.quantity,
            supply: w.supply,
            vat_rate_bp: w.rate,
            unit_net: money(w.unit_net)?,
            line_net_before_discount: money(w.net_before)?,
            discount_net: money(share)?,
            line_net: money(line_net)?,
            line_vat: money(line_vat)?,
            line_gross: money(add(line_net, line_vat)?)?,
        });
    }

    let options = shipping_options(country, printed_sets, on)?;
    let chosen = if options.is_empty() {
        // Nothing ships: a requested code is moot.
        None
    } else {
        match shipping {
            Some(code) => Some(
                *options
                    .iter()
                    .find(|o| o.code == code)
                    .ok_or(PricingError::UnknownShipping)?,
            ),
            None => options
                .iter()
                .min_by_key(|o| o.gross.amount_minor())
                .copied(),
        }
    };
    let (shipping_net, shipping_vat) = match &chosen {
        Some(o) => {
            tally(
                &mut by_rate,
                o.vat_rate_bp,
                o.net.amount_minor(),
                o.vat.amount_minor(),
            )?;
            (o.net.amount_minor(), o.vat.amount_minor())
        }
        None => (0, 0),
    };

    let net = goods_net
        .checked_sub(discount_net)
        .ok_or(PricingError::Overflow)
        .and_then(|n| add(n, shipping_net))?;
    let vat = add(goods_vat, shipping_vat)?;
    let vat_by_rate = by_rate
        .into_iter()
        .rev()
        .map(|(rate, (base, vat))| Ok((rate, money(base)?, money(vat)?)))
        .collect::<Result<Vec<_>, PricingError>>()?;

    Ok(Estimate {
        country,
        zone: Zone::of(country),
        lines: priced,
        shipping_options: options,
        shipping: chosen,
        totals: Totals {
            goods_net: money(goods_net)?,
            discount_net: money(discount_net)?,
            shipping_net: money(shipping_net)?,
            net: money(net)?,
            vat: money(vat)?,
            gross: money(add(net, vat)?)?,
            vat_by_rate,
        },
    })
}

/// Adds a base and its VAT to the group of `rate`.
fn tally(
    by_rate: &mut BTreeMap<u32, (i64, i64)>,
    rate: u32,
    base: i64,
    vat: i64,
) -> Result<(), PricingError> {
    let entry = by_rate.entry(rate).or_insert((0, 0));
    *entry = (add(entry.0, base)?, add(entry.1, vat)?);
    Ok(())
}

/// Splits `total` over `weights` in proportion, by the largest-remainder
/// method: shares add up to exactly `total`, ties go to the earlier line.
/// Expects `0 <= total <= sum(weights)`, so no share exceeds its weight.
fn spread(total: i64, weights: &[i64]) -> Result<Vec<i64>, PricingError> {
    let sum: i128 = weights.iter().map(|&w| i128::from(w)).sum();
    if sum == 0 || total == 0 {
        return Ok(vec![0; weights.len()]);
    }
    let mut shares = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    for (i, &w) in weights.iter().enumerate() {
        let exact = i128::from(total) * i128::from(w);
        shares.push(exact / sum);
        remainders.push((exact % sum, i));
    }
    let mut left = i128::from(total) - shares.iter().sum::<i128>();
    remainders.sort_by_key(|&(r, i)| (Reverse(r), i));
    for (r, i) in remainders {
        // Fewer cents are left than lines with a remainder.
        if left == 0 || r == 0 {
            break;
        }
        if let Some(share) = shares.get_mut(i) {
            *share += 1;
            left -= 1;
        }
    }
    shares
        .into_iter()
        .map(|s| i64::try_from(s).map_err(|_| PricingError::Overflow))
        .collect()
}

/// `a × num / den`, rounded half-up, for non-negative `a`, `num` and
/// positive `den`.
fn mul_div_half_up(a: i64, num: i64, den: i64) -> Result<i64, PricingError> {
    let (a, num, den) = (i128::from(a), i128::from(num), i128::from(den));
    let q = a
        .checked_mul(num)
        .and_then(|p| p.checked_mul(2))
        .and_then(|p| p.checked_add(den))
        .and_then(|p| p.checked_div(den.checked_mul(2)?))
        .ok_or(PricingError::Overflow)?;
    i64::try_from(q).map_err(|_| PricingError::Overflow)
}

/// Net of a French VAT-inclusive amount, in cents.
fn net_cents(gross: i64) -> Result<i64, PricingError> {
    mul_div_half_up(gross, BP, BP + i64::from(BASE_VAT_BP))
}

/// VAT on `net` at `rate_bp`, in cents.
fn vat_cents(net: i64, rate_bp: u32) -> Result<i64, PricingError> {
    mul_div_half_up(net, i64::from(rate_bp), BP)
}

fn add(a: i64, b: i64) -> Result<i64, PricingError> {
    a.checked_add(b).ok_or(PricingError::Overflow)
}

/// The cents of an amount, which must be in EUR.
fn eur_cents(m: Money) -> Result<i64, PricingError> {
    if m.currency() == Currency::EUR {
        Ok(m.amount_minor())
    } else {
        Err(PricingError::CurrencyMismatch)
    }
}

/// EUR cents as money; a negative amount would be a bug here, reported as
/// an overflow rather than a panic.
fn money(cents: i64) -> Result<Money, PricingError> {
    Money::new(cents, Currency::EUR).map_err(|_| PricingError::Overflow)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const EU: [(&str, u32); 27] = [
        ("AT", 2000),
        ("BE", 2100),
        ("BG", 2000),
        ("HR", 2500),
        ("CY", 1900),
        ("CZ", 2100),
        ("DK", 2500),
        ("EE", 2400),
        ("FI", 2550),
        ("FR", 2000),
        ("DE", 1900),
        ("GR", 2400),
        ("HU", 2700),
        ("IE", 2300),
        ("IT", 2200),
        ("LV", 2100),
        ("LT", 2100),
        ("LU", 1700),
        ("MT", 1800),
        ("NL", 2100),
        ("PL", 2300),
        ("PT", 2300),
        ("RO", 2100),
        ("SK", 2300),
        ("SI", 2200),
        ("ES", 2100),
        ("SE", 2500),
    ];

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn on() -> NaiveDate {
        day(2026, 12, 1)
    }

    fn c(code: &str) -> Country {
        Country::parse(code).unwrap()
    }

    fn eur(cents: i64) -> Money {
        Money::new(cents, Currency::EUR).unwrap()
    }

    fn line(key: usize, gross: i64, quantity: u32, kind: FormatKind) -> LineInput {
        LineInput {
            key,
            unit_gross_fr: eur(gross),
            quantity,
            kind,
        }
    }

    fn cents(m: Money) -> i64 {
        m.amount_minor()
    }

    fn rate_on(code: &str, date: NaiveDate) -> Option<u32> {
        standard_rate(c(code), date)
    }

    #[test]
    fn countries_are_two_letters_in_any_case() {
        for ok in ["FR", "fr", "Fr", "fR"] {
            assert_eq!(Country::parse(ok), Ok(Country::FRANCE), "{ok}");
        }
        assert_eq!(c("de").as_str(), "DE");
        assert_eq!(c("gr").to_string(), "GR");
        assert_eq!("us".parse::<Country>(), Ok(c("US")));
        for bad in ["", "F", "FRA", "F1", "1F", " F", "F ", "É", "--", "ÉÉ"] {
            assert_eq!(Country::parse(bad), Err(PricingError::Country), "{bad:?}");
        }
        assert_eq!(BASE_COUNTRY, Country::FRANCE);
    }

    #[test]
    fn every_member_state_has_its_current_standard_rate() {
        let mut seen = std::collections::HashSet::new();
        for (code, rate) in EU {
            assert!(seen.insert(code), "{code} twice");
            assert_eq!(rate_on(code, on()), Some(rate), "{code}");
            assert!(is_eu(c(code)), "{code}");
        }
        let in_table: std::collections::HashSet<_> =
            STANDARD_RATES.iter().map(|r| r.country).collect();
        assert_eq!(in_table, seen);
    }

    #[test]
    fn rate_changes_apply_from_their_day() {
        let cases = [
            ("FI", day(2024, 8, 31), 2400),
            ("FI", day(2024, 9, 1), 2550),
            ("EE", day(2023, 12, 31), 2000),
            ("EE", day(2024, 1, 1), 2200),
            ("EE", day(2025, 6, 30), 2200),
            ("EE", day(2025, 7, 1), 2400),
            ("SK", day(2024, 12, 31), 2000),
            ("SK", day(2025, 1, 1), 2300),
            ("RO", day(2025, 7, 31), 1900),
            ("RO", day(2025, 8, 1), 2100),
            ("LU", day(2022, 12, 31), 1700),
            ("LU", day(2023, 1, 1), 1600),
            ("LU", day(2023, 12, 31), 1600),
            ("LU", day(2024, 1, 1), 1700),
            ("DE", day(2020, 6, 30), 1900),
            ("DE", day(2020, 7, 1), 1600),
            ("DE", day(2021, 1, 1), 1900),
            ("IE", day(2020, 9, 1), 2100),
            ("IE", day(2021, 3, 1), 2300),
            ("CZ", day(2020, 1, 1), 2100),
        ];
        for (code, date, rate) in cases {
            assert_eq!(rate_on(code, date), Some(rate), "{code} on {date}");
        }
        // Croatia was not a member before July 2013.
        assert_eq!(rate_on("HR", day(2013, 6, 30)), None);
    }

    #[test]
    fn outside_the_eu_there_is_no_rate() {
        for code in ["US", "CH", "GB", "NO", "AX", "XX"] {
            assert_eq!(rate_on(code, on()), None, "{code}");
            assert!(!is_eu(c(code)), "{code}");
            assert_eq!(Zone::of(c(code)), Zone::World, "{code}");
        }
    }

    #[test]
    fn monaco_is_priced_like_france_but_is_no_member() {
        assert_eq!(rate_on("MC", on()), Some(2000));
        assert!(!is_eu(c("MC")));
        assert_eq!(Zone::of(c("MC")), Zone::France);
    }

    #[test]
    fn rows_of_a_country_follow_each_other_without_gap_or_overlap() {
        let today = chrono::Utc::now().date_naive();
        let mut by_country: BTreeMap<&str, Vec<&VatRate>> = BTreeMap::new();
        for r in STANDARD_RATES {
            assert_ne!(r.from, NaiveDate::MIN, "{r:?}");
            assert_ne!(r.until, Some(NaiveDate::MIN), "{r:?}");
            assert!(r.until.is_none_or(|u| r.from <= u), "{r:?}");
            assert!((1..=10_000).contains(&r.rate_bp), "{r:?}");
            assert_eq!(c(r.country).as_str(), r.country);
            by_country.entry(r.country).or_default().push(r);
        }
        assert_eq!(by_country.len(), 27);
        for (code, rows) in by_country {
            assert!(rows[0].from <= day(2020, 1, 1), "{code} starts too late");
            for pair in rows.windows(2) {
                let next_day = pair[0].until.and_then(|u| u.succ_opt());
                assert_eq!(next_day, Some(pair[1].from), "{code}: {pair:?}");
            }
            let last = rows[rows.len() - 1];
            assert!(last.until.is_none_or(|u| u >= today), "{code} ends");
            // The lookup agrees on every boundary.
            for r in &rows {
                assert_eq!(standard_rate(c(code), r.from), Some(r.rate_bp));
                if let Some(u) = r.until {
                    assert_eq!(standard_rate(c(code), u), Some(r.rate_bp));
                }
            }
            assert_eq!(
                standard_rate(c(code), rows[0].from.pred_opt().unwrap()),
                None
            );
        }
    }

    #[test]
    fn files_are_services_and_printed_sets_goods() {
        assert_eq!(Supply::of(FormatKind::Pdf), Supply::ElectronicService);
        assert_eq!(Supply::of(FormatKind::Cad), Supply::ElectronicService);
        assert_eq!(Supply::of(FormatKind::PrintedSet), Supply::Goods);
        assert_eq!(vat_rate(Supply::Goods, c("DE"), on()), 1900);
        assert_eq!(vat_rate(Supply::ElectronicService, c("US"), on()), 0);
    }

    #[test]
    fn shipping_codes_parse() {
        for code in ShippingCode::ALL {
            assert_eq!(ShippingCode::parse(code.as_str()), Ok(code));
            assert_eq!(code.to_string().parse::<ShippingCode>(), Ok(code));
        }
        assert_eq!(
            ShippingCode::parse("pigeon"),
            Err(PricingError::UnknownShipping)
        );
    }

    #[test]
    fn shipping_weight_brackets() {
        let cases = [
            (Zone::France, 0, 900),
            (Zone::France, 2_000, 900),
            (Zone::France, 2_001, 1_400),
            (Zone::France, 5_000, 1_400),
            (Zone::France, 5_001, 2_200),
            (Zone::France, 10_000, 2_200),
            (Zone::France, 10_001, 2_600),
            (Zone::France, 15_000, 2_600),
            (Zone::France, 15_001, 3_000),
            (Zone::Eu, 2_000, 1_800),
            (Zone::Eu, 5_000, 2_600),
            (Zone::Eu, 10_000, 3_800),
            (Zone::Eu, 20_001, 3_800 + 3 * 800),
            (Zone::World, 2_000, 3_200),
            (Zone::World, 5_000, 4_800),
            (Zone::World, 10_000, 7_000),
            (Zone::World, 12_000, 8_500),
        ];
        for (zone, grams, net) in cases {
            assert_eq!(
                zone.tariff().standard_net(grams),
                Ok(net),
                "{zone} {grams} g"
            );
        }
    }

    #[test]
    fn shipping_options_by_zone_and_sets() {
        assert_eq!(shipping_options(c("FR"), 0, on()), Ok(Vec::new()));

        // 1 set = 1.2 kg, 4 = 4.8 kg, 5 = 6 kg, 9 = 10.8 kg, 13 = 15.6 kg.
        for (sets, net) in [
            (1, 900),
            (2, 1_400),
            (4, 1_400),
            (5, 2_200),
            (8, 2_200),
            (9, 2_600),
            (13, 3_000),
        ] {
            let o = shipping_options(c("FR"), sets, on()).unwrap();
            assert_eq!(cents(o[0].net), net, "{sets} sets");
            assert_eq!(cents(o[1].net), 2 * net, "{sets} sets");
        }

        let fr = shipping_options(c("FR"), 1, on()).unwrap();
        assert_eq!(fr.len(), 2);
        assert_eq!(fr[0].code, ShippingCode::Standard);
        assert_eq!(fr[0].zone, Zone::France);
        assert_eq!(
            (cents(fr[0].net), cents(fr[0].vat), cents(fr[0].gross)),
            (900, 180, 1_080)
        );
        assert_eq!((fr[0].days_min, fr[0].days_max), (2, 3));
        assert_eq!(fr[1].code, ShippingCode::Express);
        assert_eq!(
            (cents(fr[1].net), cents(fr[1].vat), cents(fr[1].gross)),
            (1_800, 360, 2_160)
        );
        assert_eq!((fr[1].days_min, fr[1].days_max), (1, 1));

        let de = shipping_options(c("DE"), 1, on()).unwrap();
        assert_eq!(de[0].zone, Zone::Eu);
        assert_eq!(de[0].vat_rate_bp, 1900);
        assert_eq!((cents(de[0].net), cents(de[0].vat)), (1_800, 342));
        assert_eq!(
            (
                de[0].days_min,
                de[0].days_max,
                de[1].days_min,
                de[1].days_max
            ),
            (4, 6, 2, 3)
        );

        let us = shipping_options(c("US"), 13, on()).unwrap();
        assert_eq!(us[0].zone, Zone::World);
        assert_eq!(
            (cents(us[0].net), cents(us[0].vat), cents(us[0].gross)),
            (10_000, 0, 10_000)
        );
        assert_eq!(
            (
                us[0].days_min,
                us[0].days_max,
                us[1].days_min,
                us[1].days_max
            ),
            (7, 14, 4, 6)
        );
        assert_eq!(cents(us[1].net), 20_000);
    }

    #[test]
    fn france_pays_the_catalogue_price() {
        let e = estimate(
            &[line(7, 24_000, 1, FormatKind::Pdf)],
            c("FR"),
            on(),
            None,
            None,
        )
        .unwrap();
        assert_eq!(e.zone, Zone::France);
        let l = &e.lines[0];
        assert_eq!(l.key, 7);
        assert_eq!(l.supply, Supply::ElectronicService);
        assert_eq!(l.vat_rate_bp, 2000);
        assert_eq!(
            (
                cents(l.unit_net),
                cents(l.line_net),
                cents(l.line_vat),
                cents(l.line_gross)
            ),
            (20_000, 20_000, 4_000, 24_000)
        );
        assert!(e.shipping_options.is_empty());
        assert_eq!(e.shipping, None);
        let t = &e.totals;
        assert_eq!(
            (cents(t.net), cents(t.vat), cents(t.gross)),
            (20_000, 4_000, 24_000)
        );
        assert_eq!(t.vat_by_rate, vec![(2000, eur(20_000), eur(4_000))]);
    }

    #[test]
    fn france_keeps_prices_that_no_net_reaches() {
        // 249.99 / 1.2 = 208.325 -> 208.33, and 208.33 × 1.2 = 250.00.
        let e = estimate(
            &[line(0, 24_999, 3, FormatKind::Cad)],
            c("FR"),
            on(),
            None,
            None,
        )
        .unwrap();
        let l = &e.lines[0];
        assert_eq!(cents(l.unit_net), 20_833);
        assert_eq!(
            (cents(l.line_net), cents(l.line_vat), cents(l.line_gross)),
            (62_499, 12_498, 74_997)
        );
        // A 10.00 voucher takes exactly 10.00 off.
        let e = estimate(
            &[line(0, 24_999, 1, FormatKind::Pdf)],
            c("FR"),
            on(),
            Some(Discount::Fixed(eur(1_000))),
            None,
        )
        .unwrap();
        assert_eq!(cents(e.totals.discount_net), 833);
        assert_eq!(cents(e.totals.gross), 23_999);
    }

    #[test]
    fn germany_taxes_files_goods_and_shipping_at_19() {
        let cart = [
            line(0, 36_000, 1, FormatKind::PrintedSet),
            line(1, 24_000, 1, FormatKind::Pdf),
        ];
        let e = estimate(&cart, c("DE"), on(), None, None).unwrap();
        assert_eq!(e.zone, Zone::Eu);
        let gross: Vec<_> = e
            .lines
            .iter()
            .map(|l| {
                (
                    l.supply,
                    l.vat_rate_bp,
                    cents(l.line_vat),
                    cents(l.line_gross),
                )
            })
            .collect();
        assert_eq!(
            gross,
            [
                (Supply::Goods, 1900, 5_700, 35_700),
                (Supply::ElectronicService, 1900, 3_800, 23_800)
            ]
        );
        let s = e.shipping.unwrap();
        assert_eq!(s.code, ShippingCode::Standard);
        assert_eq!(
            (cents(s.net), cents(s.vat), s.vat_rate_bp),
            (1_800, 342, 1900)
        );
        let t = &e.totals;
        assert_eq!((cents(t.goods_net), cents(t.shipping_net)), (50_000, 1_800));
        assert_eq!(
            (cents(t.net), cents(t.vat), cents(t.gross)),
            (51_800, 9_842, 61_642)
        );
        assert_eq!(t.vat_by_rate, vec![(1900, eur(51_800), eur(9_842))]);

        let express = estimate(&cart, c("DE"), on(), None, Some(ShippingCode::Express)).unwrap();
        let s = express.shipping.unwrap();
        assert_eq!((cents(s.net), cents(s.vat)), (3_600, 684));
        assert_eq!(cents(express.totals.gross), 59_500 + 4_284);
    }

    #[test]
    fn hungary_27() {
        let e = estimate(
            &[line(0, 24_000, 1, FormatKind::Pdf)],
            c("HU"),
            on(),
            None,
            None,
        )
        .unwrap();
        assert_eq!(
            (cents(e.totals.vat), cents(e.totals.gross)),
            (5_400, 25_400)
        );
    }

    #[test]
    fn finland_25_5_rounds_half_up() {
        // 241.20 -> net 201.00; 201.00 × 25.5 % = 51.255 -> 51.26.
        let cart = [line(0, 24_120, 1, FormatKind::Pdf)];
        let e = estimate(&cart, c("FI"), on(), None, None).unwrap();
        assert_eq!(e.lines[0].vat_rate_bp, 2550);
        assert_eq!(
            (
                cents(e.totals.net),
                cents(e.totals.vat),
                cents(e.totals.gross)
            ),
            (20_100, 5_126, 25_226)
        );
        let before = estimate(&cart, c("FI"), day(2024, 8, 31), None, None).unwrap();
        assert_eq!(
            (cents(before.totals.vat), cents(before.totals.gross)),
            (4_824, 24_924)
        );
    }

    #[test]
    fn luxembourg_17_and_16_in_2023() {
        let cart = [line(0, 24_000, 1, FormatKind::Pdf)];
        let e = estimate(&cart, c("LU"), on(), None, None).unwrap();
        assert_eq!(
            (cents(e.totals.vat), cents(e.totals.gross)),
            (3_400, 23_400)
        );
        let e = estimate(&cart, c("LU"), day(2023, 6, 1), None, None).unwrap();
        assert_eq!(
            (cents(e.totals.vat), cents(e.totals.gross)),
            (3_200, 23_200)
        );
    }

    #[test]
    fn united_states_pay_no_vat() {
        let cart = [
            line(0, 24_000, 1, FormatKind::Pdf),
            line(1, 36_000, 1, FormatKind::PrintedSet),
        ];
        let e = estimate(&cart, c("US"), on(), None, None).unwrap();
        assert_eq!(e.zone, Zone::World);
        for l in &e.lines {
            assert_eq!((l.vat_rate_bp, cents(l.line_vat)), (0, 0));
            assert_eq!(l.line_gross, l.line_net);
        }
        let s = e.shipping.unwrap();
        assert_eq!(
            (s.zone, cents(s.net), cents(s.vat), cents(s.gross)),
            (Zone::World, 3_200, 0, 3_200)
        );
        let t = &e.totals;
        assert_eq!(
            (cents(t.net), cents(t.vat), cents(t.gross)),
            (53_200, 0, 53_200)
        );
        assert_eq!(t.vat_by_rate, vec![(0, eur(53_200), eur(0))]);

        // A file alone ships free.
        let e = estimate(&cart[..1], c("US"), on(), None, None).unwrap();
        assert_eq!((e.shipping, cents(e.totals.gross)), (None, 20_000));
    }

    #[test]
    fn switzerland_pays_no_vat_and_a_moot_shipping_code_is_ignored() {
        let e = estimate(
            &[line(0, 24_000, 1, FormatKind::Pdf)],
            c("CH"),
            on(),
            None,
            Some(ShippingCode::Express),
        )
        .unwrap();
        assert_eq!(e.shipping, None);
        assert_eq!((cents(e.totals.vat), cents(e.totals.gross)), (0, 20_000));
    }

    #[test]
    fn a_percent_discount_is_spread_exactly() {
        // Nets 100.00, 50.00 and 33.33: 10 % of 183.33 = 18.333 -> 18.33,
        // exact shares 9.998, 4.999 and 3.332 -> 10.00, 5.00, 3.33.
        let cart = [
            line(0, 12_000, 1, FormatKind::Pdf),
            line(1, 6_000, 1, FormatKind::Cad),
            line(2, 4_000, 1, FormatKind::PrintedSet),
        ];
        let e = estimate(&cart, c("DE"), on(), Some(Discount::Percent(1_000)), None).unwrap();
        let shares: Vec<_> = e.lines.iter().map(|l| cents(l.discount_net)).collect();
        assert_eq!(shares, [1_000, 500, 333]);
        assert_eq!(cents(e.totals.discount_net), 1_833);
        assert_eq!(
            cents(e.totals.shipping_net),
            1_800,
            "shipping is not discounted"
        );
        assert_eq!(cents(e.totals.net), 18_333 - 1_833 + 1_800);
        for l in &e.lines {
            assert_eq!(
                cents(l.line_net),
                cents(l.line_net_before_discount) - cents(l.discount_net)
            );
        }
    }

    #[test]
    fn an_indivisible_cent_goes_to_the_first_of_equal_lines() {
        // 1.20 off gross is 1.00 net over three equal lines.
        let cart = [
            line(0, 12_000, 1, FormatKind::Pdf),
            line(1, 12_000, 1, FormatKind::Pdf),
            line(2, 12_000, 1, FormatKind::Pdf),
        ];
        let e = estimate(&cart, c("BE"), on(), Some(Discount::Fixed(eur(120))), None).unwrap();
        let shares: Vec<_> = e.lines.iter().map(|l| cents(l.discount_net)).collect();
        assert_eq!(shares, [34, 33, 33]);
        assert_eq!(cents(e.totals.discount_net), 100);
    }

    #[test]
    fn a_fixed_discount_is_capped_at_the_goods() {
        let cart = [
            line(0, 1_200, 1, FormatKind::Pdf),
            line(1, 2_400, 2, FormatKind::PrintedSet),
        ];
        let e = estimate(
            &cart,
            c("DE"),
            on(),
            Some(Discount::Fixed(eur(100_000))),
            None,
        )
        .unwrap();
        assert_eq!(cents(e.totals.goods_net), 5_000);
        assert_eq!(cents(e.totals.discount_net), 5_000);
        for l in &e.lines {
            assert_eq!(
                (cents(l.line_net), cents(l.line_vat), cents(l.line_gross)),
                (0, 0, 0)
            );
        }
        // Shipping (2 sets, EU, 2.4 kg) is still due.
        assert_eq!((cents(e.totals.net), cents(e.totals.vat)), (2_600, 494));
    }

    #[test]
    fn a_full_percent_discount_leaves_only_shipping() {
        let cart = [line(0, 24_999, 1, FormatKind::PrintedSet)];
        let e = estimate(&cart, c("FR"), on(), Some(Discount::Percent(10_000)), None).unwrap();
        assert_eq!(cents(e.lines[0].line_gross), 0);
        assert_eq!(cents(e.totals.gross), 1_080);
    }

    #[test]
    fn percent_discounts_out_of_range_are_refused() {
        let cart = [line(0, 12_000, 1, FormatKind::Pdf)];
        for bp in [0, 10_001] {
            assert_eq!(
                estimate(&cart, c("FR"), on(), Some(Discount::Percent(bp)), None),
                Err(PricingError::Discount)
            );
        }
    }

    #[test]
    fn quantities_are_1_to_99() {
        for (quantity, ok) in [(0, false), (1, true), (99, true), (100, false)] {
            let r = estimate(
                &[line(0, 12_000, quantity, FormatKind::Pdf)],
                c("FR"),
                on(),
                None,
                None,
            );
            if ok {
                assert!(r.is_ok(), "{quantity}");
            } else {
                assert_eq!(r, Err(PricingError::Quantity), "{quantity}");
            }
        }
    }

    #[test]
    fn amounts_must_be_euros() {
        let usd = Currency::parse("USD").unwrap();
        let cart = [LineInput {
            key: 0,
            unit_gross_fr: Money::new(100, usd).unwrap(),
            quantity: 1,
            kind: FormatKind::Pdf,
        }];
        assert_eq!(
            estimate(&cart, c("FR"), on(), None, None),
            Err(PricingError::CurrencyMismatch)
        );
        let cart = [line(0, 100, 1, FormatKind::Pdf)];
        let discount = Some(Discount::Fixed(Money::new(10, usd).unwrap()));
        assert_eq!(
            estimate(&cart, c("FR"), on(), discount, None),
            Err(PricingError::CurrencyMismatch)
        );
    }

    #[test]
    fn huge_amounts_overflow_instead_of_wrapping() {
        let cart = [line(0, i64::MAX / 2, 99, FormatKind::Pdf)];
        assert_eq!(
            estimate(&cart, c("DE"), on(), None, None),
            Err(PricingError::Overflow)
        );
        assert!(shipping_options(c("US"), u32::MAX, on()).is_ok());
    }

    #[test]
    fn an_empty_cart_costs_nothing() {
        let e = estimate(&[], c("DE"), on(), Some(Discount::Percent(5_000)), None).unwrap();
        assert_eq!(cents(e.totals.gross), 0);
        assert!(e.totals.vat_by_rate.is_empty());
    }

    #[test]
    fn base_gross_converts_half_up() {
        assert_eq!(net_of_base_gross(eur(24_000)), Ok(eur(20_000)));
        assert_eq!(net_of_base_gross(eur(3)), Ok(eur(3)));
        assert_eq!(net_of_base_gross(eur(1)), Ok(eur(1)));
    }

    #[test]
    fn errors_have_codes_and_messages() {
        assert_eq!(PricingError::Country.code(), FieldCode::InvalidFormat);
        assert_eq!(
            PricingError::Quantity.to_string(),
            "quantity must be between 1 and 99"
        );
    }

    fn eu_country() -> impl Strategy<Value = Country> {
        proptest::sample::select(EU.map(|(code, _)| code).to_vec()).prop_map(c)
    }

    fn kind() -> impl Strategy<Value = FormatKind> {
        proptest::sample::select(vec![
            FormatKind::Pdf,
            FormatKind::Cad,
            FormatKind::PrintedSet,
        ])
    }

    fn discounts() -> impl Strategy<Value = Option<Discount>> {
        prop_oneof![
            Just(None),
            (1u32..=10_000).prop_map(|bp| Some(Discount::Percent(bp))),
            (0i64..10_000_000).prop_map(|m| Some(Discount::Fixed(eur(m)))),
        ]
    }

    proptest! {
        #[test]
        fn estimates_add_up(
            cart in proptest::collection::vec((1i64..1_000_000, 1u32..=99, kind()), 1..6),
            country in eu_country(),
            discount in discounts(),
            express in any::<bool>(),
        ) {
            let lines: Vec<_> = cart.iter().enumerate()
                .map(|(i, &(gross, q, k))| line(i, gross, q, k)).collect();
            let code = express.then_some(ShippingCode::Express);
            let e = estimate(&lines, country, on(), discount, code).unwrap();
            let t = &e.totals;
            prop_assert_eq!(cents(t.gross), cents(t.net) + cents(t.vat));
            let shares: i64 = e.lines.iter().map(|l| cents(l.discount_net)).sum();
            prop_assert_eq!(shares, cents(t.discount_net));
            prop_assert!(cents(t.discount_net) <= cents(t.goods_net));
            prop_assert_eq!(cents(t.net), cents(t.goods_net) - cents(t.discount_net) + cents(t.shipping_net));
            let ship_gross = e.shipping.map_or(0, |s| cents(s.gross));
            let lines_gross: i64 = e.lines.iter().map(|l| cents(l.line_gross)).sum();
            prop_assert_eq!(cents(t.gross), lines_gross + ship_gross);
            let (base, vat) = t.vat_by_rate.iter().fold((0, 0), |(b, v), (_, mb, mv)| (b + cents(*mb), v + cents(*mv)));
            prop_assert_eq!((base, vat), (cents(t.net), cents(t.vat)));
            let ships = cart.iter().any(|&(_, _, k)| k == FormatKind::PrintedSet);
            prop_assert_eq!(e.shipping.is_some(), ships);
            for (l, input) in e.lines.iter().zip(&lines) {
                prop_assert_eq!(l.key, input.key);
                prop_assert_eq!(cents(l.line_net_before_discount), cents(l.unit_net) * i64::from(l.quantity));
                prop_assert_eq!(cents(l.line_net), cents(l.line_net_before_discount) - cents(l.discount_net));
                prop_assert_eq!(cents(l.line_gross), cents(l.line_net) + cents(l.line_vat));
                for m in [l.unit_net, l.discount_net, l.line_net, l.line_vat, l.line_gross] {
                    prop_assert!(cents(m) >= 0);
                }
                // The VAT stays within about a cent per copy of the exact rate.
                let exact = i128::from(cents(l.line_net)) * i128::from(l.vat_rate_bp);
                let diff = (i128::from(cents(l.line_vat)) * 10_000 - exact).abs();
                prop_assert!(diff <= 10_000 * (i128::from(l.quantity) + 1), "{:?}", l);
                if discount.is_none() && l.vat_rate_bp == BASE_VAT_BP {
                    prop_assert_eq!(cents(l.line_gross), cents(input.unit_gross_fr) * i64::from(l.quantity));
                }
            }
            for m in [t.goods_net, t.discount_net, t.shipping_net, t.net, t.vat, t.gross] {
                prop_assert!(cents(m) >= 0);
            }
        }
    }
}
