//! Data-subject rights (DSR-1, DSR-2): a customer's copy of everything
//! held about them, and the erasure of their account with a receipt
//! saying what went, what stays, on which basis and until when.

pub mod dpo;
pub mod requests;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::audit::{AuditAction, NewAuditEntry};
use crate::clock::Clock;
use crate::error::StorageError;
use crate::identity::{
    BlindIndex, CustomerId, IdentityConfig, IdentityError, PasswordHasher, Principal,
};
use crate::retention::{Category, Policies};
use crate::store::Store;

/// What storage holds about a person, found through the sealed-field
/// registry.
#[async_trait]
pub trait RightsRepo: Send + Sync {
    /// Every row of every personal table that belongs to the customer (or
    /// to a guest subject attached to them), by table, sealed fields opened.
    async fn export(&self, customer: CustomerId) -> Result<Map<String, Value>, StorageError>;
    /// What an erasure keeps.
    async fn held(&self, customer: CustomerId) -> Result<Held, StorageError>;
    /// Destroys the data keys of the customer's subjects, then deletes
    /// their rows; answers the rows erased per table.
    async fn erase(
        &self,
        customer: CustomerId,
        now: DateTime<Utc>,
    ) -> Result<Vec<(String, u64)>, StorageError>;
}

/// What an erasure must keep, counted before it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Held {
    /// Invoices and credit notes of the customer's orders.
    pub invoices: u64,
    /// The latest one's issue.
    pub last_invoice: Option<DateTime<Utc>>,
    /// Consent ledger entries.
    pub consent_events: u64,
}

/// A customer's data, as `GET /v1/me/export` gives it.
#[derive(Debug, Clone)]
pub struct DataExport {
    /// When it was made.
    pub generated_at: DateTime<Utc>,
    /// The account.
    pub customer: CustomerId,
    /// Rows by table.
    pub tables: Map<String, Value>,
}

/// Makes the customer's export (DSR-1); audited.
///
/// # Errors
/// Storage failure.
pub async fn export(
    store: &dyn Store,
    clock: &dyn Clock,
    p: &Principal,
) -> Result<DataExport, StorageError> {
    let now = clock.now();
    let tables = store.reader().rights().export(p.customer_id).await?;
    let uow = store.begin().await?;
    uow.audit()
        .append(
            NewAuditEntry::new(
                p.actor(),
                AuditAction::PersonalDataExported,
                Some(p.own_account()),
                p.source(),
            ),
            now,
        )
        .await?;
    uow.commit().await?;
    Ok(DataExport {
        generated_at: now,
        customer: p.customer_id,
        tables,
    })
}

/// What an erasure kept, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    /// What.
    pub category: &'static str,
    /// How many.
    pub count: u64,
    /// The legal basis for keeping it.
    pub basis: &'static str,
    /// Until when, at the latest.
    pub until: DateTime<Utc>,
}

/// The receipt of an erasure (DSR-2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErasureReceipt {
    /// The account that was erased.
    pub customer: CustomerId,
    /// When.
    pub erased_at: DateTime<Utc>,
    /// Rows erased per table.
    pub erased: Vec<(String, u64)>,
    /// What stays, for how long and why.
    pub kept: Vec<Kept>,
}

/// Erases the caller's account now, once their password is confirmed
/// (DSR-2): the data keys go first, so nothing of theirs can be read
/// again, even in a backup; then the rows. The legal archive, the proof of
/// consent and the security log stay for their periods. Audited.
///
/// # Errors
/// [`IdentityError::WrongPassword`] (counted like a failed login); storage
/// failure.
#[allow(clippy::too_many_arguments)]
pub async fn erase_account(
    store: &dyn Store,
    hasher: &dyn PasswordHasher,
    index: &dyn BlindIndex,
    clock: &dyn Clock,
    config: &IdentityConfig,
    policies: &Policies,
    p: &Principal,
    password: String,
) -> Result<ErasureReceipt, IdentityError> {
    crate::identity::confirm_password(store, hasher, index, clock, config, p, password, "password")
        .await?;
    let now = clock.now();
    let uow = store.begin().await?;
    let held = uow.rights().held(p.customer_id).await?;
    let erased = uow.rights().erase(p.customer_id, now).await?;
    uow.audit()
        .append(
            NewAuditEntry::new(
                p.actor(),
                AuditAction::AccountErased,
                Some(p.own_account()),
                p.source(),
            )
            .because("erasure asked by the customer (DSR-2)"),
            now,
        )
        .await?;
    uow.commit().await?;
    Ok(receipt(policies, p.customer_id, held, erased, now))
}

/// The receipt of an erasure: what went, and what the law keeps, why and
/// until when.
#[must_use]
pub fn receipt(
    policies: &Policies,
    customer: CustomerId,
    held: Held,
    erased: Vec<(String, u64)>,
    now: DateTime<Utc>,
) -> ErasureReceipt {
    let archive = held.last_invoice.unwrap_or(now);
    let mut kept = vec![Kept {
        category: "security_log",
        count: 0,
        basis: "GDPR art. 6(1)(f) and 32, the security of the shop: the audit log keeps account ids and truncated addresses, no name or e-mail",
        until: policies.period(Category::AuditLog).after(now),
    }];
    if held.invoices > 0 {
        kept.insert(
            0,
            Kept {
                category: "invoices",
                count: held.invoices,
                basis: "Code de commerce L123-22 (legal obligation, GDPR art. 6(1)(c)): invoices and credit notes are kept 10 years, in the legal archive under its own key, readable only by audited admins",
                until: policies.period(Category::LegalArchive).after(archive),
            },
        );
    }
    if held.consent_events > 0 {
        kept.push(Kept {
            category: "consent_proofs",
            count: held.consent_events,
            basis: "GDPR art. 7(1), proof of what was consented to, for the limitation period; the address they were given from can no longer be read",
            until: policies.period(Category::ConsentProofs).after(now),
        });
    }
    ErasureReceipt {
        customer,
        erased_at: now,
        erased,
        kept,
    }
}

impl ErasureReceipt {
    /// The receipt as a mail says it.
    #[must_use]
    pub fn summary(&self) -> String {
        let erased: Vec<String> = self
            .erased
            .iter()
            .map(|(t, n)| format!("- {t}: {n}"))
            .collect();
        let kept: Vec<String> = self
            .kept
            .iter()
            .map(|k| {
                format!(
                    "- {} ({}): {}; until {}",
                    k.category,
                    k.count,
                    k.basis,
                    k.until.format("%Y-%m-%d")
                )
            })
            .collect();
        format!(
            "Erased on {}:\n{}\n\nKept:\n{}",
            self.erased_at.format("%Y-%m-%d %H:%M UTC"),
            if erased.is_empty() {
                "- nothing was held".to_owned()
            } else {
                erased.join("\n")
            },
            kept.join("\n")
        )
    }
}
