//! Database schema migrations, one file per migration, each with a real `down`.
//! The same migrations run on SQLite and PostgreSQL. The key store, which
//! lives in a database of its own, has its own migrator.

pub use sea_orm_migration::MigrationStatus;
pub use sea_orm_migration::prelude::*;

mod common;
mod keystore_m20261126_000001_subject_keys;
mod m20261126_000001_catalogue;
mod m20261126_000002_identity;
mod m20261128_000001_idempotency;
mod m20261129_000001_consent;
mod m20261129_000002_catalogue_changes;
mod m20261207_000001_shop;
mod m20261207_000002_invoices;
mod m20261207_000003_payments;
mod m20261209_000001_downloads;
mod m20261210_000001_reviews;
mod m20261212_000001_refunds_and_complaints;
mod m20261214_000001_guest_attach;
mod m20261215_000001_retention;
mod m20261216_000001_breaches;
mod m20261217_000001_privacy_requests;
mod m20261218_000001_dpo_requests;
mod m20261219_000001_integrations;
mod m20261220_000001_order_source_status;

pub use m20261129_000001_consent::document_hash;

/// Every migration of the data database, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_catalogue::Migration),
            Box::new(m20261126_000002_identity::Migration),
            Box::new(m20261128_000001_idempotency::Migration),
            Box::new(m20261129_000001_consent::Migration),
            Box::new(m20261129_000002_catalogue_changes::Migration),
            Box::new(m20261207_000001_shop::Migration),
            Box::new(m20261207_000002_invoices::Migration),
            Box::new(m20261207_000003_payments::Migration),
            Box::new(m20261209_000001_downloads::Migration),
            Box::new(m20261210_000001_reviews::Migration),
            Box::new(m20261212_000001_refunds_and_complaints::Migration),
            Box::new(m20261214_000001_guest_attach::Migration),
            Box::new(m20261215_000001_retention::Migration),
            Box::new(m20261216_000001_breaches::Migration),
            Box::new(m20261217_000001_privacy_requests::Migration),
            Box::new(m20261218_000001_dpo_requests::Migration),
            Box::new(m20261219_000001_integrations::Migration),
            Box::new(m20261220_000001_order_source_status::Migration),
        ]
    }
}

/// Every migration of the key store database.
pub struct KeystoreMigrator;

#[async_trait::async_trait]
impl MigratorTrait for KeystoreMigrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(keystore_m20261126_000001_subject_keys::Migration)]
    }
}
