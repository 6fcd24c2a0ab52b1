//! sea-orm entities, one module per table. They mirror the migrations and
//! never leave this crate: repositories convert rows to domain types.

pub mod catalogue_revision;
pub mod product;
pub mod product_format;
