//! Boutique's HTTP API: actix-web handlers, problem+json errors, OpenAPI
//! documentation, and the `boutique` binary's commands.

pub mod app;
pub mod auth;
pub mod background;
pub mod body;
pub mod catalogue_io;
pub mod config;
pub mod demo;
pub mod geo;
pub mod i18n;
pub mod idempotency;
pub mod invoice_pdf;
pub mod jobs;
pub mod links;
pub mod mail;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod problem;
pub mod routes;
pub mod schema_check;
pub mod secrets;
pub mod state;
pub mod stripe;
pub mod telemetry;
pub mod tls;
pub mod views;
pub mod webhooks;

pub use app::{Application, open_database};
pub use config::Config;
