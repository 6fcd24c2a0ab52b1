//! Storage for Boutique: sea-orm entities and the repositories that implement
//! the domain's ports on SQLite (the embedded default) and PostgreSQL.

mod catalogue;
mod db;
pub mod entities;

pub use catalogue::SqlCatalogueStore;
pub use db::{Db, DbError, create_postgres_database};
