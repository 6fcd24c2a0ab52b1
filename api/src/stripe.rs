//! Stripe, the payment provider adapter: payment intents over Stripe's
//! form-encoded API (plain HTTPS calls, no SDK), and the verification of
//! the `Stripe-Signature` header of its webhooks. No card data ever passes
//! through Boutique: the frontend confirms the intent with its client
//! secret, in Stripe's own elements.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::ids::OrderId;
use domain::shop::payment::{EventKind, Intent, PaymentProvider, ProviderError, ProviderEvent};
use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// How far a signed timestamp may be from now (Stripe's default tolerance).
pub const TOLERANCE_SECONDS: i64 = 300;

/// Makes rustls on ring the process's TLS provider, for HTTP clients that
/// take the default (the build has one TLS stack, rustls on ring, and no
/// other provider compiled in). Calling it again does nothing.
pub fn install_crypto_provider() {
    // Err only means a provider is installed already.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A Stripe account, as Boutique calls it.
#[derive(Clone)]
pub struct Stripe {
    base: String,
    secret_key: String,
    http: reqwest::Client,
}

impl std::fmt::Debug for Stripe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stripe")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct IntentJson {
    id: String,
    client_secret: Option<String>,
    status: String,
    amount: i64,
    currency: String,
}

#[derive(Deserialize)]
struct RefundJson {
    id: String,
}

#[derive(Deserialize)]
struct ErrorJson {
    error: ErrorBody,
}

#[derive(Deserialize)]
struct ErrorBody {
    message: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
}

impl Stripe {
    /// Stripe at `base` (`https://api.stripe.com`, or a fake such as
    /// localstripe in tests) with the account's secret key. Calls time out
    /// after 10 seconds.
    ///
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn new(base: &str, secret_key: &str) -> Result<Self, ProviderError> {
        // rustls on ring with the Mozilla roots: the one TLS stack of the
        // build, the same as the mail's.
        let tls = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| ProviderError(format!("TLS: {e}")))?
        .with_root_certificates(rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        })
        .with_no_client_auth();
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| ProviderError(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            base: base.trim_end_matches('/').to_owned(),
            secret_key: secret_key.to_owned(),
            http,
        })
    }

    async fn send<T: for<'de> Deserialize<'de>>(
        &self,
        req: reqwest::RequestBuilder,
    ) -> Result<T, ProviderError> {
        let res = req
            .basic_auth(&self.secret_key, Some(""))
            .send()
            .await
            .map_err(|e| ProviderError(format!("Stripe unreachable: {}", e.without_url())))?;
        let status = res.status();
        let body = res
            .bytes()
            .await
            .map_err(|e| ProviderError(format!("Stripe answer cut: {}", e.without_url())))?;
        if !status.is_success() {
            let why = serde_json::from_slice::<ErrorJson>(&body)
                .ok()
                .map(|e| {
                    format!(
                        "{}: {}",
                        e.error.kind.unwrap_or_default(),
                        e.error.message.unwrap_or_default()
                    )
                })
                .unwrap_or_default();
            return Err(ProviderError(format!("Stripe answered {status} {why}")));
        }
        serde_json::from_slice(&body)
            .map_err(|e| ProviderError(format!("unexpected Stripe answer: {e}")))
    }
}

fn intent(j: IntentJson) -> Intent {
    Intent {
        id: j.id,
        client_secret: j.client_secret.unwrap_or_default(),
        status: j.status,
        amount: j.amount,
        currency: j.currency,
    }
}

#[async_trait]
impl PaymentProvider for Stripe {
    async fn create_intent(
        &self,
        order: OrderId,
        number: &str,
        amount: i64,
        currency: &str,
    ) -> Result<Intent, ProviderError> {
        let form = [
            ("amount", amount.to_string()),
            ("currency", currency.to_owned()),
            ("payment_method_types[]", "card".to_owned()),
            ("metadata[order_id]", order.to_string()),
            ("metadata[order_number]", number.to_owned()),
        ];
        let req = self
            .http
            .post(format!("{}/v1/payment_intents", self.base))
            // One intent per order, whatever the retries.
            .header("Idempotency-Key", format!("boutique-order-{order}"))
            .form(&form);
        self.send::<IntentJson>(req).await.map(intent)
    }

    async fn retrieve_intent(&self, id: &str) -> Result<Intent, ProviderError> {
        if !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(ProviderError("malformed intent id".into()));
        }
        let req = self
            .http
            .get(format!("{}/v1/payment_intents/{id}", self.base));
        self.send::<IntentJson>(req).await.map(intent)
    }

    async fn refund(&self, intent: &str, amount: i64) -> Result<String, ProviderError> {
        let form = [
            ("payment_intent", intent.to_owned()),
            ("amount", amount.to_string()),
        ];
        let req = self
            .http
            .post(format!("{}/v1/refunds", self.base))
            .form(&form);
        self.send::<RefundJson>(req).await.map(|r| r.id)
    }

    async fn refund_once(
        &self,
        intent: &str,
        amount: i64,
        key: &str,
    ) -> Result<String, ProviderError> {
        let form = [
            ("payment_intent", intent.to_owned()),
            ("amount", amount.to_string()),
        ];
        let req = self
            .http
            .post(format!("{}/v1/refunds", self.base))
            // A retry of this refund answers the refund made the first time.
            .header("Idempotency-Key", key)
            .form(&form);
        self.send::<RefundJson>(req).await.map(|r| r.id)
    }
}

/// Why a webhook was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No `Stripe-Signature`, or not `t=...,v1=...`.
    #[error("the Stripe-Signature header is missing or malformed")]
    Malformed,
    /// The timestamp is more than 5 minutes away from now (a replay).
    #[error("the signature's timestamp is outside the tolerance")]
    Stale,
    /// No `v1` signature matches.
    #[error("no signature matches")]
    Mismatch,
}

/// Verifies a webhook as Stripe documents it: `Stripe-Signature:
/// t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` (several `v1`
/// during a secret's rotation), compared in constant time, the timestamp
/// within 5 minutes of now.
///
/// # Errors
/// [`SignatureError`].
pub fn verify(
    header: &str,
    body: &[u8],
    secret: &str,
    now: DateTime<Utc>,
) -> Result<(), SignatureError> {
    let mut t = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => signatures.push(v),
            _ => {}
        }
    }
    let t = t.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if (now.timestamp() - t).abs() > TOLERANCE_SECONDS {
        return Err(SignatureError::Stale);
    }
    let expected = sign(secret, t, body);
    if signatures
        .iter()
        .any(|s| bool::from(s.as_bytes().ct_eq(expected.as_bytes())))
    {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// The hex `v1` signature of `body` at `t`.
#[must_use]
pub fn sign(secret: &str, t: i64, body: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[derive(Deserialize)]
struct EventJson {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    data: EventData,
}

#[derive(Deserialize)]
struct EventData {
    object: serde_json::Value,
}

/// Reads a verified event: its id, type, and the payment intent it is about.
///
/// # Errors
/// When the body is not a Stripe event.
pub fn parse_event(body: &[u8]) -> Result<ProviderEvent, serde_json::Error> {
    let e: EventJson = serde_json::from_slice(body)?;
    let object = &e.data.object;
    let is_intent = object["object"] == "payment_intent";
    let kind = match e.kind.as_str() {
        "payment_intent.succeeded" => EventKind::Succeeded,
        "payment_intent.payment_failed" => EventKind::Failed,
        other => EventKind::Other(other.to_owned()),
    };
    Ok(ProviderEvent {
        id: e.id,
        kind_name: e.kind,
        kind,
        intent_id: is_intent
            .then(|| object["id"].as_str().map(str::to_owned))
            .flatten(),
        amount: is_intent
            .then(|| {
                object["amount_received"]
                    .as_i64()
                    .filter(|a| *a > 0)
                    .or_else(|| object["amount"].as_i64())
            })
            .flatten(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const SECRET: &str = "whsec_test_secret";

    #[test]
    fn a_signature_made_as_stripe_documents_it_verifies() {
        let now = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
        let body = br#"{"id":"evt_1","type":"payment_intent.succeeded"}"#;
        let header = format!("t=1700000000,v1={}", sign(SECRET, 1_700_000_000, body));
        assert_eq!(verify(&header, body, SECRET, now), Ok(()));
        // Another v1 beside it (a rotation) is fine.
        let two = format!(
            "t=1700000000,v1=00ff,v1={}",
            sign(SECRET, 1_700_000_000, body)
        );
        assert_eq!(verify(&two, body, SECRET, now), Ok(()));
    }

    #[test]
    fn tampered_stale_or_malformed_signatures_are_refused() {
        let now = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
        let body = br#"{"id":"evt_1"}"#;
        let good = sign(SECRET, 1_700_000_000, body);
        let header = format!("t=1700000000,v1={good}");
        assert_eq!(
            verify(&header, br#"{"id":"evt_2"}"#, SECRET, now),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(&header, body, "whsec_other", now),
            Err(SignatureError::Mismatch)
        );
        let later = now + chrono::Duration::seconds(301);
        assert_eq!(
            verify(&header, body, SECRET, later),
            Err(SignatureError::Stale)
        );
        for bad in ["", "v1=abc", "t=abc,v1=abc", "t=1700000000"] {
            assert_eq!(
                verify(bad, body, SECRET, now),
                Err(SignatureError::Malformed),
                "{bad}"
            );
        }
    }

    #[test]
    fn events_name_their_intent_and_amount() {
        let body = br#"{"id":"evt_9","type":"payment_intent.succeeded","data":{"object":{"object":"payment_intent","id":"pi_1","amount":4200,"amount_received":4200}}}"#;
        let e = parse_event(body).unwrap();
        assert_eq!(e.kind, EventKind::Succeeded);
        assert_eq!(e.intent_id.as_deref(), Some("pi_1"));
        assert_eq!(e.amount, Some(4200));
        let other = br#"{"id":"evt_8","type":"charge.refunded","data":{"object":{"object":"charge","id":"ch_1"}}}"#;
        let e = parse_event(other).unwrap();
        assert_eq!(e.kind, EventKind::Other("charge.refunded".into()));
        assert_eq!(e.intent_id, None);
    }
}
