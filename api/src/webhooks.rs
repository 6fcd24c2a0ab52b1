//! Outgoing webhooks on the wire (Standard Webhooks): signing, the target
//! rules (https and public addresses in production), and the delivery job.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use domain::clock::Clock;
use domain::error::FieldErrors;
use domain::identity::BlindIndex;
use domain::integration::webhooks::{Attempt, Delivery, Endpoint, forbidden_ip, record_attempt};
use domain::jobs::{Job, JobError};
use domain::store::Store;
use futures_util::StreamExt as _;
use hmac::{Hmac, KeyInit, Mac};
use rand::Rng as _;
use sha2::Sha256;

/// An endpoint's signing secret, `whsec_` and 32 bytes in base64. It is
/// derived (a keyed hash of the endpoint's id and secret version under the
/// server's index key), so no secret is stored anywhere.
#[must_use]
pub fn secret(index: &dyn BlindIndex, e: &Endpoint) -> String {
    format!("whsec_{}", STANDARD.encode(secret_bytes(index, e)))
}

fn secret_bytes(index: &dyn BlindIndex, e: &Endpoint) -> Vec<u8> {
    index.index("webhook_secret", &format!("{}:{}", e.id, e.secret_version))
}

/// `webhook-signature`'s value: `v1,` and the base64 HMAC-SHA256 of
/// `id.timestamp.body` under the secret's bytes.
#[must_use]
pub fn sign(key: &[u8], id: &str, timestamp: i64, body: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return String::new();
    };
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body.as_bytes());
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// Checks an endpoint's URL: absolute http(s) with a host, no credentials
/// or fragment; in production https only, and every address its host
/// resolves to public (no loopback, private, link-local... ranges).
///
/// # Errors
/// The refused field.
pub async fn check_url(raw: &str, production: bool) -> Result<String, FieldErrors> {
    let refuse = |m: &str| {
        let mut f = FieldErrors::default();
        f.push("url", m);
        f
    };
    let url = reqwest::Url::parse(raw.trim()).map_err(|_| refuse("an absolute URL"))?;
    if raw.len() > 2_000 {
        return Err(refuse("at most 2000 characters"));
    }
    match url.scheme() {
        "https" => {}
        "http" if !production => {}
        "http" => return Err(refuse("https only in production")),
        _ => return Err(refuse("an http or https URL")),
    }
    if !url.username().is_empty() || url.password().is_some() || url.fragment().is_some() {
        return Err(refuse("no user name, password or fragment"));
    }
    let Some(host) = url.host_str() else {
        return Err(refuse("a host is required"));
    };
    if production {
        let port = url.port_or_known_default().unwrap_or(443);
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let addrs: Vec<SocketAddr> = match host.parse::<IpAddr>() {
            Ok(ip) => vec![SocketAddr::new(ip, port)],
            // A slow resolver does not hold the request for long.
            Err(_) => tokio::time::timeout(
                Duration::from_secs(5),
                tokio::net::lookup_host((host.as_str(), port)),
            )
            .await
            .map_err(|_| refuse("the host did not resolve in 5 seconds"))?
            .map_err(|_| refuse("the host does not resolve"))?
            .collect(),
        };
        if addrs.is_empty() {
            return Err(refuse("the host does not resolve"));
        }
        if addrs.iter().any(|a| forbidden_ip(a.ip())) {
            return Err(refuse(
                "the host resolves to a loopback, private or reserved address",
            ));
        }
    }
    Ok(url.to_string())
}

/// Resolves names and refuses any that reaches a forbidden address, so a
/// name that changes its answer after registration (DNS rebinding) cannot
/// reach the inside.
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if addrs.iter().any(|a| forbidden_ip(a.ip())) {
                return Err("the host resolves to a forbidden address".into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

/// Posts deliveries: 10-second timeout, no redirects, and in production
/// public addresses only.
pub struct Sender {
    http: reqwest::Client,
    production: bool,
}

impl Sender {
    /// The sender for this environment.
    ///
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn new(production: bool) -> anyhow::Result<Self> {
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        })
        .with_no_client_auth();
        let mut b = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("Boutique-Webhooks/1");
        if production {
            b = b.dns_resolver(Arc::new(PublicOnly));
        }
        Ok(Self {
            http: b.build()?,
            production,
        })
    }

    /// Posts `body` to `e`, signed; the outcome of the attempt. No part of
    /// the answer's body is kept.
    pub async fn post(
        &self,
        e: &Endpoint,
        key: &[u8],
        message_id: &str,
        timestamp: i64,
        body: String,
    ) -> Attempt {
        // A literal address never reaches the resolver: checked here.
        if self.production
            && reqwest::Url::parse(&e.url)
                .ok()
                .and_then(|u| {
                    u.host_str()
                        .and_then(|h| h.trim_matches(['[', ']']).parse::<IpAddr>().ok())
                })
                .is_some_and(forbidden_ip)
        {
            return Attempt::Failed {
                code: None,
                error: "forbidden address".into(),
            };
        }
        let signature = sign(key, message_id, timestamp, &body);
        let res = self
            .http
            .post(&e.url)
            .header("content-type", "application/json")
            .header("webhook-id", message_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
            .await;
        match res {
            Ok(r) if r.status().is_success() => Attempt::Delivered {
                code: r.status().as_u16(),
            },
            Ok(r) => Attempt::Failed {
                code: Some(r.status().as_u16()),
                error: format!("answered {}", r.status().as_u16()),
            },
            Err(e) if e.is_timeout() => Attempt::Failed {
                code: None,
                error: "timed out after 10 s".into(),
            },
            Err(e) if e.is_connect() => Attempt::Failed {
                code: None,
                error: "connection failed".into(),
            },
            Err(_) => Attempt::Failed {
                code: None,
                error: "request failed".into(),
            },
        }
    }
}

/// Sends due deliveries, up to `concurrency` at once.
pub struct WebhookJob {
    /// Storage.
    pub store: Arc<dyn Store>,
    /// Keyed hashes (the endpoints' secrets).
    pub index: Arc<dyn BlindIndex>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// The HTTP side.
    pub sender: Arc<Sender>,
    /// How often.
    pub interval: Duration,
    /// Deliveries in flight at once.
    pub concurrency: usize,
}

impl WebhookJob {
    /// The body as this endpoint receives it: with the buyer's contact
    /// details when it has a stated purpose and the order still has them
    /// (read now, so an erased buyer's are never sent).
    async fn body(&self, e: &Endpoint, d: &Delivery) -> Result<String, JobError> {
        let (Some(_), Some(order)) = (&e.personal_purpose, d.order_id) else {
            return Ok(d.payload.clone());
        };
        let Some(o) = self.store.reader().orders().get(order).await? else {
            return Ok(d.payload.clone());
        };
        let Some(buyer) = o.buyer else {
            return Ok(d.payload.clone());
        };
        let mut v: serde_json::Value =
            serde_json::from_str(&d.payload).map_err(|e| JobError(e.to_string()))?;
        v["data"]["buyer"] = serde_json::json!({
            "email": buyer.email,
            "name": buyer.name,
            "phone": buyer.phone,
            "billing_address": serde_json::to_value(&buyer.billing).ok(),
            "shipping_address": buyer.shipping.as_ref().and_then(|a| serde_json::to_value(a).ok()),
        });
        Ok(v.to_string())
    }

    async fn deliver(&self, d: Delivery) -> Result<bool, JobError> {
        let reader = self.store.reader();
        let Some(e) = reader.webhooks().endpoint(d.endpoint_id).await? else {
            return Ok(false);
        };
        let body = self.body(&e, &d).await?;
        let key = secret_bytes(self.index.as_ref(), &e);
        // The wall clock, not the application's: receivers check the
        // signature's timestamp against their own clock.
        let timestamp = chrono::Utc::now().timestamp();
        let attempt = self
            .sender
            .post(&e, &key, &d.message_id, timestamp, body)
            .await;
        let delivered = matches!(attempt, Attempt::Delivered { .. });
        if let Attempt::Failed { code, error } = &attempt {
            tracing::warn!(delivery = %d.id, endpoint = %e.id, event = d.event_type.as_str(), ?code, %error, "webhook delivery failed; will retry");
        }
        let jitter = f64::from(rand::rng().next_u32()) / f64::from(u32::MAX);
        let settled = record_attempt(
            self.store.as_ref(),
            self.clock.as_ref(),
            &d,
            attempt,
            jitter,
        )
        .await?;
        if settled.disabled {
            tracing::error!(endpoint = %e.id, "webhook endpoint disabled after repeated failure");
        }
        Ok(delivered)
    }
}

#[async_trait]
impl Job for WebhookJob {
    fn name(&self) -> &'static str {
        "webhooks"
    }

    fn interval(&self) -> Duration {
        self.interval
    }

    async fn run_once(&self) -> Result<usize, JobError> {
        let mut delivered = 0;
        loop {
            let due = self
                .store
                .reader()
                .webhooks()
                .claim_due(self.clock.now(), chrono::Duration::minutes(2), 200)
                .await?;
            let n = due.len();
            let results: Vec<Result<bool, JobError>> = futures_util::stream::iter(due)
                .map(|d| self.deliver(d))
                .buffer_unordered(self.concurrency.max(1))
                .collect()
                .await;
            for r in results {
                if r? {
                    delivered += 1;
                }
            }
            if n < 200 {
                break;
            }
        }
        Ok(delivered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Standard Webhooks specification's own example.
    #[test]
    fn signatures_match_the_specification_example() {
        let key = STANDARD.decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            sign(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[tokio::test]
    async fn production_refuses_plain_http_and_inside_addresses() {
        assert!(check_url("http://127.0.0.1:9/hook", false).await.is_ok());
        assert!(check_url("http://example.com/hook", true).await.is_err());
        for inside in [
            "https://127.0.0.1/hook",
            "https://10.0.0.8/hook",
            "https://[::1]/hook",
            "https://169.254.169.254/latest",
            "https://localhost/hook",
        ] {
            assert!(check_url(inside, true).await.is_err(), "{inside}");
        }
        assert!(check_url("ftp://example.com/", false).await.is_err());
        assert!(
            check_url("https://user:pw@example.com/", false)
                .await
                .is_err()
        );
        assert!(check_url("not a url", false).await.is_err());
    }
}
