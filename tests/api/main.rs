//! Black-box tests: each starts the real application on a random port with a
//! fresh database (SQLite by default, PostgreSQL when `TEST_DATABASE_URL` is
//! set) and speaks HTTP to it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounts;
mod backups;
mod breaches;
mod catalogue;
mod catalogue_cache;
mod catalogue_io;
mod consent;
mod contract;
mod crash;
mod downloads;
mod emails;
mod errors;
mod field_errors;
mod files;
mod hardening;
mod helpers;
mod holders;
mod hostile;
mod idempotency;
mod instances;
mod integrations;
mod meta;
mod metrics;
mod openapi;
mod owasp;
mod payments;
mod privacy;
mod processes;
mod refunds;
mod retention;
mod reviews;
mod rights;
mod roles;
mod security;
mod shop;
mod staff;
mod tls;
mod world;
