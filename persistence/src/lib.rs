//! Storage for Boutique: sea-orm entities and the repositories that implement
//! the domain's ports on SQLite (the embedded default) and PostgreSQL.
//! Nothing of sea-orm leaves this crate: callers see domain types, the
//! [`SqlStore`] (units of work) and a few operational handles.

pub mod backup;
mod catalogue;
mod db;
mod entities;
pub mod files;
pub mod jobs;
pub mod keystore;
pub mod metrics;
pub mod outbox;
mod raw;
pub mod sealed;
mod store;
pub mod vault;

pub use catalogue::SqlCatalogueStore;
pub use db::{Db, DbError, create_postgres_database, create_postgres_database_from_template};
pub use files::LocalFiles;
pub use jobs::SqlJobLeases;
pub use keystore::KeyStore;
pub use outbox::OutboxDelivery;
pub use store::SqlStore;

impl domain::identity::BlindIndex for vault::Keyring {
    fn index(&self, namespace: &str, value: &str) -> Vec<u8> {
        self.blind_index(namespace, value)
    }
}
