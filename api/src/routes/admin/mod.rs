//! `/v1/admin/*`: staff tools. Shop managers and admins manage the catalogue
//! and the orders, and read customers and orders (every read audited); only
//! admins manage staff, locks and the audit log.

pub mod audit;
pub mod breaches;
pub mod coupons;
pub mod customers;
pub mod dpo;
pub mod import;
pub mod integrations;
pub mod orders;
pub mod products;
pub mod retention;
pub mod staff;
