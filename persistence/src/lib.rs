//! Storage for Boutique: sea-orm entities and the repositories that implement
//! the domain's ports on SQLite (the embedded default) and PostgreSQL.

pub mod accounts;
pub mod audit;
mod catalogue;
mod db;
pub mod entities;
pub mod jobs;
pub mod keystore;
pub mod outbox;
pub mod security;
pub mod vault;

pub use accounts::Accounts;
pub use audit::AuditLog;
pub use catalogue::SqlCatalogueStore;
pub use db::{Db, DbError, create_postgres_database};
pub use jobs::JobLeases;
pub use keystore::KeyStore;
pub use outbox::Outbox;
pub use security::SecurityCounters;

/// Transaction plumbing for services that compose several repositories in
/// one transaction (rows and models stay in this crate).
pub use sea_orm::{ConnectionTrait, DatabaseTransaction, DbErr, TransactionTrait};
