//! The record of processing activities (GDPR art. 30), made from what the
//! shop actually runs: its retention rules as configured, the consent
//! purposes defined, and whether card payments and a country database are
//! in use. It changes when they do.

use crate::consent::{LegalBasis, Purpose};
use crate::retention::{Category, Policies};

/// What the register is made from.
#[derive(Debug, Clone)]
pub struct Setup<'a> {
    /// The retention rules in force.
    pub policies: &'a Policies,
    /// The consent purposes defined (built in and by admins).
    pub purposes: &'a [Purpose],
    /// Card payments go through Stripe.
    pub stripe: bool,
    /// A country database locates checkouts.
    pub geoip: bool,
    /// Third-party systems that receive personal data: API keys with a
    /// personal scope, webhook endpoints opted in to buyers' details.
    pub integrations: &'a [Integration],
}

/// A third-party system that receives personal data (GDPR art. 30(1)(d)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Integration {
    /// How it is named (an API key's name, a webhook's description or URL).
    pub name: String,
    /// How it receives data (`API key: orders:read customers:read`,
    /// `webhook: order.paid`).
    pub channel: String,
    /// Its stated purpose.
    pub purpose: String,
    /// Whether it reaches customers' accounts (else orders only).
    pub customers: bool,
}

impl Integration {
    /// The integrations among `keys` (live ones with a personal scope) and
    /// `endpoints` (with a stated purpose).
    #[must_use]
    pub fn of(
        keys: &[crate::integration::ApiKey],
        endpoints: &[crate::integration::Endpoint],
        now: chrono::DateTime<chrono::Utc>,
    ) -> Vec<Self> {
        use crate::integration::{KeyStatus, Scope};
        let mut out: Vec<Self> = keys
            .iter()
            .filter(|k| k.personal() && k.status(now) == KeyStatus::Active)
            .map(|k| Self {
                name: k.name.clone(),
                channel: format!(
                    "API key: {}",
                    k.scopes
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
                purpose: k.purpose.clone().unwrap_or_default(),
                customers: k.scopes.contains(&Scope::CustomersRead),
            })
            .collect();
        out.extend(endpoints.iter().filter_map(|e| {
            let purpose = e.personal_purpose.clone()?;
            Some(Self {
                name: if e.description.is_empty() {
                    e.url.clone()
                } else {
                    e.description.clone()
                },
                channel: format!(
                    "webhook: {}",
                    e.events
                        .iter()
                        .map(|t| t.as_str())
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
                purpose,
                customers: false,
            })
        }));
        out
    }

    fn recipient(&self) -> String {
        format!("{} ({}), for: {}", self.name, self.channel, self.purpose)
    }
}

/// One processing activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    /// Its stable name.
    pub name: String,
    /// What it is for.
    pub purpose: String,
    /// What it rests on.
    pub legal_basis: LegalBasis,
    /// Categories of personal data.
    pub data: Vec<String>,
    /// Categories of people.
    pub people: Vec<String>,
    /// Who receives the data (staff roles and processors; nothing is sold
    /// or given, SEC-7).
    pub recipients: Vec<String>,
    /// How long, per kind (`category: period`).
    pub retention: Vec<String>,
}

/// The whole register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Register {
    /// The controller.
    pub controller: String,
    /// Every activity.
    pub activities: Vec<Activity>,
    /// Transfers outside the EU.
    pub transfers: String,
    /// Technical and organisational security measures (art. 32).
    pub security: Vec<String>,
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// The register for `setup`.
#[must_use]
pub fn register(setup: &Setup<'_>) -> Register {
    let keep = |cats: &[Category]| -> Vec<String> {
        cats.iter()
            .map(|c| format!("{}: {}", c.as_str(), setup.policies.period(*c)))
            .collect()
    };
    let staff = ["shop managers", "administrators"];
    let mut order_recipients = strings(&staff);
    if setup.stripe {
        order_recipients.push("Stripe (card payments, as processor)".to_owned());
    }
    order_recipients.extend(setup.integrations.iter().map(Integration::recipient));
    let mut account_recipients = strings(&staff);
    account_recipients.extend(
        setup
            .integrations
            .iter()
            .filter(|i| i.customers)
            .map(Integration::recipient),
    );
    let mut order_data = strings(&[
        "identity (name)",
        "contact (e-mail, phone)",
        "billing and shipping addresses",
        "plans bought, prices, VAT, payment status",
        "IP address and browser at checkout (fraud checks, tax evidence)",
    ]);
    if setup.geoip {
        order_data.push("country of the IP address".to_owned());
    }
    let mut activities = vec![
        Activity {
            name: "customer_accounts".into(),
            purpose: "Customer accounts: sign-in, profile, saved addresses, sessions".into(),
            legal_basis: LegalBasis::Contract,
            data: strings(&[
                "identity (name)",
                "contact (e-mail, phone)",
                "addresses",
                "password (argon2id hash)",
                "sessions (IP address, browser)",
            ]),
            people: strings(&["customers"]),
            recipients: account_recipients,
            retention: keep(&[
                Category::InactiveAccounts,
                Category::Sessions,
                Category::LinkTokens,
            ]),
        },
        Activity {
            name: "orders".into(),
            purpose: "Carts, orders, payments, plan downloads, refunds and complaints".into(),
            legal_basis: LegalBasis::Contract,
            data: order_data,
            people: strings(&["customers", "guests who order"]),
            recipients: order_recipients,
            retention: keep(&[
                Category::Carts,
                Category::UnpaidOrders,
                Category::CancelledOrders,
                Category::ClosedOrders,
                Category::DownloadLog,
                Category::PaymentEvents,
                Category::ClosedComplaints,
            ]),
        },
        Activity {
            name: "invoicing".into(),
            purpose: "Invoices and credit notes kept for accounting (Code de commerce L123-22)"
                .into(),
            legal_basis: LegalBasis::LegalObligation,
            data: strings(&["buyer's name and billing address", "amounts and VAT"]),
            people: strings(&["customers", "guests who order"]),
            recipients: strings(&[
                "administrators (audited reads)",
                "tax authorities on request",
            ]),
            retention: keep(&[Category::LegalArchive]),
        },
        Activity {
            name: "contact".into(),
            purpose: "Answering messages sent through the contact form".into(),
            legal_basis: LegalBasis::LegitimateInterest,
            data: strings(&[
                "identity (name)",
                "e-mail",
                "the message",
                "IP address, browser",
            ]),
            people: strings(&["anyone who writes"]),
            recipients: strings(&staff),
            retention: keep(&[Category::ContactMessages]),
        },
        Activity {
            name: "comments_and_reviews".into(),
            purpose: "Comments on articles and reviews of plans, moderated".into(),
            legal_basis: LegalBasis::LegitimateInterest,
            data: strings(&[
                "name",
                "e-mail (never shown)",
                "website",
                "text",
                "IP address, browser",
            ]),
            people: strings(&["commenters", "customers who review"]),
            recipients: strings(&staff),
            retention: keep(&[Category::UnapprovedComments]),
        },
        Activity {
            name: "security".into(),
            purpose: "Security of the shop: audit log, login lockdown, rate limits".into(),
            legal_basis: LegalBasis::LegitimateInterest,
            data: strings(&["account ids", "truncated IP addresses", "failed attempts"]),
            people: strings(&["customers", "staff", "visitors"]),
            recipients: strings(&["administrators"]),
            retention: keep(&[
                Category::AuditLog,
                Category::SecurityCounters,
                Category::IdempotencyRecords,
            ]),
        },
        Activity {
            name: "data_protection".into(),
            purpose: "Proof of consent, data-subject requests, breach register".into(),
            legal_basis: LegalBasis::LegalObligation,
            data: strings(&[
                "consent given or withdrawn, with the documents' versions",
                "requests and their answers",
            ]),
            people: strings(&["customers", "guests", "subscribers"]),
            recipients: strings(&["administrators", "the supervisory authority on request"]),
            retention: keep(&[Category::ConsentProofs, Category::IdleGuests]),
        },
    ];
    for p in setup.purposes {
        let (data, retention) = match p.key.as_str() {
            crate::consent::NEWSLETTER | crate::consent::MARKETING_EMAIL => (
                strings(&["e-mail", "language", "subscription and consent history"]),
                keep(&[
                    Category::UnconfirmedSubscriptions,
                    Category::EndedSubscriptions,
                    Category::IdleSubscribers,
                ]),
            ),
            crate::consent::TERMS_AND_PRIVACY => continue,
            _ => (
                strings(&["what the purpose needs, with the consent history"]),
                keep(&[Category::ConsentProofs]),
            ),
        };
        activities.push(Activity {
            name: p.key.as_str().to_owned(),
            purpose: p.description_en.clone(),
            legal_basis: p.legal_basis,
            data,
            people: strings(&["people who consented"]),
            recipients: strings(&staff),
            retention,
        });
    }
    Register {
        controller: "API PARTNER, the shop (contact: the contact form, topic privacy_request)"
            .into(),
        activities,
        transfers: if setup.stripe {
            "None by the shop itself; Stripe, as payment processor, may transfer under its Standard Contractual Clauses".into()
        } else {
            "None: data stays in the EU".into()
        },
        security: strings(&[
            "Each person's fields encrypted with AES-256-GCM under their own data key, the keys wrapped by a master key in a separate key store; erasure destroys the key",
            "E-mail addresses looked up by keyed blind index (HMAC-SHA-256), never in clear",
            "Passwords hashed with argon2id; login lockdown and source bans",
            "A tamper-evident audit log (hash chain) of staff access to personal data",
            "Staff roles: shop managers and administrators see only what their role needs, with a stated reason",
            "Encrypted backups (age), the key store kept apart",
            "TLS for every connection; nothing personal in logs",
        ]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_register_follows_the_configuration() {
        let policies = Policies::with_overrides("carts=15d").unwrap();
        let plain = register(&Setup {
            policies: &policies,
            purposes: &[],
            stripe: false,
            geoip: false,
            integrations: &[],
        });
        let orders = plain
            .activities
            .iter()
            .find(|a| a.name == "orders")
            .unwrap();
        assert!(orders.retention.contains(&"carts: 15d".to_owned()));
        assert!(!orders.recipients.iter().any(|r| r.contains("Stripe")));
        let with_stripe = register(&Setup {
            policies: &policies,
            purposes: &[],
            stripe: true,
            geoip: true,
            integrations: &[Integration {
                name: "Print shop".into(),
                channel: "API key: orders:read".into(),
                purpose: "prints the printed sets".into(),
                customers: false,
            }],
        });
        let orders = with_stripe
            .activities
            .iter()
            .find(|a| a.name == "orders")
            .unwrap();
        assert!(orders.recipients.iter().any(|r| r.contains("Stripe")));
        assert!(orders.data.iter().any(|d| d.contains("country")));
        assert!(
            orders
                .recipients
                .iter()
                .any(|r| r.contains("Print shop") && r.contains("prints the printed sets")),
            "an integration with personal data is a recipient"
        );
    }
}
