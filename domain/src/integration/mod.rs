//! Integrations: API keys for third-party systems, and outgoing webhooks.
//! Each is a recipient of personal data (GDPR art. 30): named, scoped or
//! subscribed, audited, and listed in the record of processing.

pub mod keys;
pub mod webhooks;

pub use keys::{
    Acting, ApiKey, ApiKeyRepo, KeyPrincipal, KeyStatus, NewKey, Operator, Scope, authenticate_key,
    create_key, get_key, is_key, list_keys, revoke_key, rotate_key,
};
pub use webhooks::{
    Attempt, Delivery, DeliveryStatus, Endpoint, EndpointInput, EventType, WebhookRepo, emit,
};
