//! Fraud signals of a checkout: facts about the order and its source that
//! make staff look at it before it is paid or delivered. An order with a
//! signal is put `on_hold`; the signals are kept on the order (codes only,
//! nothing personal).

/// Something that makes an order worth a look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Signal {
    /// The checkout came from another country than the billing address.
    SourceCountryDiffers,
    /// Several orders from the same source within an hour.
    ManyOrdersFromSource,
    /// Failed payments from the same source within a day.
    FailedPaymentsFromSource,
    /// The amount is far above the shop's usual order.
    AmountFarAboveUsual,
}

impl Signal {
    /// Every signal.
    pub const ALL: [Self; 4] = [
        Self::SourceCountryDiffers,
        Self::ManyOrdersFromSource,
        Self::FailedPaymentsFromSource,
        Self::AmountFarAboveUsual,
    ];

    /// The stored code.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::SourceCountryDiffers => "source_country_differs",
            Self::ManyOrdersFromSource => "many_orders_from_source",
            Self::FailedPaymentsFromSource => "failed_payments_from_source",
            Self::AmountFarAboveUsual => "amount_far_above_usual",
        }
    }

    /// Parses a code.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// When a fact becomes a signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FraudPolicy {
    /// Orders from one source within an hour before the next is held
    /// (the order being placed included).
    pub orders_per_hour: u64,
    /// Failed payments from one source within a day.
    pub failed_per_day: u64,
    /// How many times the usual order's total is "far above".
    pub amount_factor: i64,
    /// Below this total (cents) no amount is "far above", whatever the usual.
    pub amount_floor: i64,
}

impl Default for FraudPolicy {
    fn default() -> Self {
        Self {
            orders_per_hour: 4,
            failed_per_day: 2,
            amount_factor: 5,
            amount_floor: 200_000,
        }
    }
}

/// What is known of a checkout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// The source's country, when a country database knows it.
    pub source_country: Option<String>,
    /// The billing address's country.
    pub billing_country: String,
    /// Orders from the same source in the last hour, this one included.
    pub orders_last_hour: u64,
    /// Failed orders from the same source in the last day.
    pub failed_last_day: u64,
    /// This order's total, cents.
    pub total: i64,
    /// The usual order's total (the mean of recent orders), cents.
    pub usual_total: Option<i64>,
}

/// The signals these facts raise, in [`Signal::ALL`]'s order.
#[must_use]
pub fn signals(policy: &FraudPolicy, f: &Facts) -> Vec<Signal> {
    let mut out = Vec::new();
    if f.source_country
        .as_deref()
        .is_some_and(|c| c != f.billing_country)
    {
        out.push(Signal::SourceCountryDiffers);
    }
    if f.orders_last_hour >= policy.orders_per_hour {
        out.push(Signal::ManyOrdersFromSource);
    }
    if f.failed_last_day >= policy.failed_per_day {
        out.push(Signal::FailedPaymentsFromSource);
    }
    if f.total > policy.amount_floor
        && f.usual_total
            .is_some_and(|u| f.total > u.saturating_mul(policy.amount_factor))
    {
        out.push(Signal::AmountFarAboveUsual);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calm() -> Facts {
        Facts {
            source_country: Some("FR".into()),
            billing_country: "FR".into(),
            orders_last_hour: 1,
            failed_last_day: 0,
            total: 24_000,
            usual_total: Some(30_000),
        }
    }

    #[test]
    fn a_calm_checkout_raises_nothing() {
        assert!(signals(&FraudPolicy::default(), &calm()).is_empty());
        let unknown = Facts {
            source_country: None,
            usual_total: None,
            ..calm()
        };
        assert!(signals(&FraudPolicy::default(), &unknown).is_empty());
    }

    #[test]
    fn each_fact_raises_its_signal() {
        let p = FraudPolicy::default();
        let all = Facts {
            source_country: Some("US".into()),
            orders_last_hour: 4,
            failed_last_day: 2,
            total: 300_000,
            ..calm()
        };
        assert_eq!(signals(&p, &all), Signal::ALL.to_vec());
        // Far above the usual, but small: no signal.
        let small = Facts {
            total: 190_000,
            usual_total: Some(1_000),
            ..calm()
        };
        assert!(signals(&p, &small).is_empty());
        for s in Signal::ALL {
            assert_eq!(Signal::parse(s.as_str()), Some(s));
        }
    }
}
