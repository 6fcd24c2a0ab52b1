//! sea-orm entities, one module per table. They mirror the migrations and
//! never leave this crate: repositories convert rows to domain types.

pub mod article;
pub mod article_comment;
pub mod audit_entry;
pub mod audit_head;
pub mod auth_token;
pub mod catalogue_change;
pub mod catalogue_revision;
pub mod consent_event;
pub mod consent_purpose;
pub mod consent_state;
pub mod contact_message;
pub mod contact_reply;
pub mod content_revision;
pub mod customer;
pub mod customer_address;
pub mod destroyed_subject;
pub mod guest_subject;
pub mod idempotency_record;
pub mod job_lease;
pub mod legal_document;
pub mod newsletter_campaign;
pub mod newsletter_subscriber;
pub mod outbox_message;
pub mod product;
pub mod product_format;
pub mod security_counter;
pub mod session;
pub mod subject_key;
