//! Boutique's domain: the shop's model and rules, with no I/O.
//!
//! Everything here is plain Rust: newtypes that can only hold valid values,
//! state machines, and the ports (traits) that storage, mail and the clock
//! implement elsewhere. It compiles and tests without a database or runtime.

pub mod audit;
pub mod blog;
pub mod breach;
pub mod catalogue;
pub mod clock;
pub mod consent;
pub mod contact;
pub mod error;
pub mod idempotency;
pub mod identity;
pub mod ids;
pub mod integration;
pub mod jobs;
pub mod legal;
pub mod mail;
pub mod money;
pub mod newsletter;
pub mod pagination;
pub mod processing;
pub mod recently_viewed;
pub mod retention;
pub mod review;
pub mod rights;
pub mod service;
pub mod shop;
pub mod store;
pub mod subject;
#[cfg(test)]
pub(crate) mod testing;
pub mod text;

pub use error::{Coded, FieldCode, FieldError, FieldErrors, StorageError};
