//! Coupons: a percentage or a fixed amount off the goods, with validity
//! dates, a minimum basket, and limits of uses in all and per person. Uses
//! per person are counted by the blind index of the buyer's e-mail, never
//! by a list of addresses in clear.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::pricing::Discount;
use crate::audit::{AuditAction, AuditTarget};
use crate::clock::Clock;
use crate::error::{FieldErrors, StorageError};
use crate::identity::Principal;
use crate::ids::OrderId;
use crate::money::Money;
use crate::service::ServiceError;
use crate::store::{Repos, Store};

/// A coupon's code: 3 to 32 letters, digits, `-` or `_`, compared in
/// upper case (`bienvenue10` is `BIENVENUE10`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CouponCode(String);

impl CouponCode {
    /// Parses a code.
    ///
    /// # Errors
    /// A message when it is not one.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if (3..=32).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            Ok(Self(s.to_ascii_uppercase()))
        } else {
            Err("must be 3 to 32 letters, digits, `-` or `_`".into())
        }
    }

    /// The code.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a coupon takes off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CouponValue {
    /// A percentage of the goods, in hundredths of a percent (10 % = 1000).
    Percent(u32),
    /// A fixed amount, French VAT included like catalogue prices.
    Fixed(Money),
}

/// A coupon's rules, as staff write them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouponRules {
    /// The code customers type.
    pub code: CouponCode,
    /// What it takes off.
    pub value: CouponValue,
    /// Valid from (none: at once).
    pub starts_at: Option<DateTime<Utc>>,
    /// Valid until, excluded (none: no end).
    pub ends_at: Option<DateTime<Utc>>,
    /// Smallest basket it applies to (goods, catalogue prices).
    pub min_basket: Option<Money>,
    /// Uses in all.
    pub max_uses: Option<u32>,
    /// Uses per person (by e-mail).
    pub max_uses_per_person: Option<u32>,
    /// Whether it can be used at all.
    pub active: bool,
}

impl CouponRules {
    /// Checks the rules together.
    ///
    /// # Errors
    /// Every refused field.
    pub fn check(self) -> Result<Self, FieldErrors> {
        let mut f = FieldErrors::default();
        match self.value {
            CouponValue::Percent(bp) if !(1..=10_000).contains(&bp) => {
                f.push("percent_bp", "must be between 1 (0.01 %) and 10000 (100 %)");
            }
            CouponValue::Fixed(m) if m.amount_minor() <= 0 => {
                f.push("amount", "must be more than 0");
            }
            _ => {}
        }
        if let (Some(s), Some(e)) = (self.starts_at, self.ends_at)
            && e <= s
        {
            f.push("ends_at", "must be after starts_at");
        }
        if self.max_uses == Some(0) {
            f.push("max_uses", "must be at least 1 (leave it out for no limit)");
        }
        if self.max_uses_per_person == Some(0) {
            f.push(
                "max_uses_per_person",
                "must be at least 1 (leave it out for no limit)",
            );
        }
        f.finish(|| Some(self))
    }
}

/// A stored coupon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coupon {
    /// Id.
    pub id: Uuid,
    /// Its rules.
    pub rules: CouponRules,
    /// Uses so far.
    pub uses: u32,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// Why a coupon does not apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No active coupon has this code.
    Unknown,
    /// Not valid yet.
    NotYet,
    /// No longer valid.
    Expired,
    /// The basket is below its minimum.
    BelowMinimum(Money),
    /// Used as many times as allowed.
    UsedUp,
    /// Used as many times as one person may.
    UsedUpByYou,
}

impl Refusal {
    /// What to tell the buyer.
    #[must_use]
    pub fn message(&self) -> String {
        match self {
            Self::Unknown => "no coupon has this code".into(),
            Self::NotYet => "this coupon is not valid yet".into(),
            Self::Expired => "this coupon has expired".into(),
            Self::BelowMinimum(m) => format!("this coupon needs a basket of at least {m}"),
            Self::UsedUp => "this coupon has been used as many times as it may".into(),
            Self::UsedUpByYou => "you have used this coupon as many times as you may".into(),
        }
    }
}

impl Coupon {
    /// The discount for a basket of `goods` (catalogue prices) at `now`,
    /// bought by someone who used it `used_by_buyer` times.
    ///
    /// # Errors
    /// Why it does not apply.
    pub fn applies(
        &self,
        goods: Money,
        now: DateTime<Utc>,
        used_by_buyer: u32,
    ) -> Result<Discount, Refusal> {
        let r = &self.rules;
        if !r.active {
            return Err(Refusal::Unknown);
        }
        if r.starts_at.is_some_and(|s| now < s) {
            return Err(Refusal::NotYet);
        }
        if r.ends_at.is_some_and(|e| now >= e) {
            return Err(Refusal::Expired);
        }
        if let Some(min) = r.min_basket
            && goods.amount_minor() < min.amount_minor()
        {
            return Err(Refusal::BelowMinimum(min));
        }
        if r.max_uses.is_some_and(|m| self.uses >= m) {
            return Err(Refusal::UsedUp);
        }
        if r.max_uses_per_person.is_some_and(|m| used_by_buyer >= m) {
            return Err(Refusal::UsedUpByYou);
        }
        Ok(match r.value {
            CouponValue::Percent(bp) => Discount::Percent(bp),
            CouponValue::Fixed(m) => Discount::Fixed(m),
        })
    }
}

/// Coupons and their uses.
#[async_trait]
pub trait CouponRepo: Send + Sync {
    /// Stores a coupon; false when the code is taken.
    async fn insert(&self, c: &Coupon) -> Result<bool, StorageError>;
    /// Replaces a coupon's rules; `None` when unknown, `Some(false)` when
    /// the new code is taken.
    async fn update(
        &self,
        id: Uuid,
        rules: &CouponRules,
        now: DateTime<Utc>,
    ) -> Result<Option<bool>, StorageError>;
    /// Deletes a coupon (its uses stay counted on orders); whether it existed.
    async fn delete(&self, id: Uuid) -> Result<bool, StorageError>;
    /// One coupon.
    async fn get(&self, id: Uuid) -> Result<Option<Coupon>, StorageError>;
    /// The coupon of a code.
    async fn by_code(&self, code: &CouponCode) -> Result<Option<Coupon>, StorageError>;
    /// Coupons, newest first.
    async fn list(&self, limit: u64, offset: u64) -> Result<Vec<Coupon>, StorageError>;
    /// How many times the person of this e-mail index used the coupon.
    async fn uses_by(&self, coupon: Uuid, email_bidx: &[u8]) -> Result<u32, StorageError>;
    /// Counts a use by an order, in one conditional statement: false when
    /// the coupon was used up meanwhile (concurrent checkouts).
    async fn record_use(
        &self,
        coupon: Uuid,
        order: OrderId,
        email_bidx: &[u8],
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError>;
}

fn refused(r: &Refusal) -> ServiceError {
    ServiceError::field("coupon_code", r.message())
}

/// The coupon of `code` and its discount for this basket, checked against
/// every rule; per-person uses only when the buyer's e-mail index is known.
///
/// # Errors
/// A field error on `coupon_code`; storage.
pub async fn discount_for(
    repos: &dyn Repos,
    code: &CouponCode,
    goods: Money,
    email_bidx: Option<&[u8]>,
    now: DateTime<Utc>,
) -> Result<(Coupon, Discount), ServiceError> {
    let Some(coupon) = repos.coupons().by_code(code).await? else {
        return Err(refused(&Refusal::Unknown));
    };
    let used = match email_bidx {
        Some(b) => repos.coupons().uses_by(coupon.id, b).await?,
        None => 0,
    };
    let discount = coupon.applies(goods, now, used).map_err(|r| refused(&r))?;
    Ok((coupon, discount))
}

fn taken() -> ServiceError {
    ServiceError::Taken("coupon code")
}

/// Creates a coupon (staff), audited.
///
/// # Errors
/// [`ServiceError::Taken`] for a code in use; storage.
pub async fn create(
    store: &dyn Store,
    clock: &dyn Clock,
    staff: &Principal,
    rules: CouponRules,
) -> Result<Coupon, ServiceError> {
    let now = clock.now();
    let coupon = Coupon {
        id: Uuid::now_v7(),
        rules,
        uses: 0,
        created_at: now,
        updated_at: now,
    };
    let uow = store.begin().await?;
    if !uow.coupons().insert(&coupon).await? {
        return Err(taken());
    }
    crate::audit::record(
        uow.as_ref(),
        staff.by(),
        AuditAction::CouponChanged,
        AuditTarget::Coupon(coupon.id),
        &format!("created {}", coupon.rules.code.as_str()),
        now,
    )
    .await?;
    uow.commit().await?;
    Ok(coupon)
}

/// Replaces a coupon's rules (staff), audited; its uses stay.
///
/// # Errors
/// Not found; [`ServiceError::Taken`]; storage.
pub async fn replace(
    store: &dyn Store,
    clock: &dyn Clock,
    staff: &Principal,
    id: Uuid,
    rules: CouponRules,
) -> Result<Coupon, ServiceError> {
    let now = clock.now();
    let uow = store.begin().await?;
    match uow.coupons().update(id, &rules, now).await? {
        None => return Err(ServiceError::NotFound("No coupon has this id.")),
        Some(false) => return Err(taken()),
        Some(true) => {}
    }
    crate::audit::record(
        uow.as_ref(),
        staff.by(),
        AuditAction::CouponChanged,
        AuditTarget::Coupon(id),
        &format!("replaced {}", rules.code.as_str()),
        now,
    )
    .await?;
    let c = uow
        .coupons()
        .get(id)
        .await?
        .ok_or(ServiceError::NotFound("No coupon has this id."))?;
    uow.commit().await?;
    Ok(c)
}

/// Deletes a coupon (staff), audited.
///
/// # Errors
/// Not found; storage.
pub async fn delete(
    store: &dyn Store,
    clock: &dyn Clock,
    staff: &Principal,
    id: Uuid,
) -> Result<(), ServiceError> {
    let now = clock.now();
    let uow = store.begin().await?;
    if !uow.coupons().delete(id).await? {
        return Err(ServiceError::NotFound("No coupon has this id."));
    }
    crate::audit::record(
        uow.as_ref(),
        staff.by(),
        AuditAction::CouponChanged,
        AuditTarget::Coupon(id),
        "deleted",
        now,
    )
    .await?;
    uow.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;
    use chrono::TimeZone;

    fn coupon(value: CouponValue) -> Coupon {
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
        Coupon {
            id: Uuid::now_v7(),
            rules: CouponRules {
                code: CouponCode::parse("noel-26").unwrap(),
                value,
                starts_at: Some(now),
                ends_at: Some(now + chrono::Duration::days(31)),
                min_basket: Some(Money::new(10_000, Currency::EUR).unwrap()),
                max_uses: Some(2),
                max_uses_per_person: Some(1),
                active: true,
            },
            uses: 0,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn a_coupon_applies_only_within_its_rules() {
        let c = coupon(CouponValue::Percent(1000));
        assert_eq!(c.rules.code.as_str(), "NOEL-26");
        let day = Utc.with_ymd_and_hms(2026, 12, 10, 0, 0, 0).unwrap();
        let basket = Money::new(24_000, Currency::EUR).unwrap();
        assert_eq!(c.applies(basket, day, 0), Ok(Discount::Percent(1000)));
        assert_eq!(
            c.applies(basket, day - chrono::Duration::days(30), 0),
            Err(Refusal::NotYet)
        );
        assert_eq!(
            c.applies(basket, day + chrono::Duration::days(30), 0),
            Err(Refusal::Expired)
        );
        assert!(matches!(
            c.applies(Money::new(9_999, Currency::EUR).unwrap(), day, 0),
            Err(Refusal::BelowMinimum(_))
        ));
        assert_eq!(c.applies(basket, day, 1), Err(Refusal::UsedUpByYou));
        let used = Coupon {
            uses: 2,
            ..c.clone()
        };
        assert_eq!(used.applies(basket, day, 0), Err(Refusal::UsedUp));
        let off = Coupon {
            rules: CouponRules {
                active: false,
                ..c.rules.clone()
            },
            ..c
        };
        assert_eq!(off.applies(basket, day, 0), Err(Refusal::Unknown));
    }

    #[test]
    fn rules_are_checked_together() {
        let mut r = coupon(CouponValue::Percent(0)).rules;
        r.ends_at = r.starts_at;
        r.max_uses = Some(0);
        let e = r.check().unwrap_err();
        let fields: Vec<_> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["percent_bp", "ends_at", "max_uses"]);
        assert!(CouponCode::parse("a b").is_err());
        assert!(CouponCode::parse("ab").is_err());
    }
}
