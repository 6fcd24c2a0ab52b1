//! Who is calling, as far as the network says: the source address, its keyed
//! hash (for counters) and its truncated form (for the audit log).

use std::net::IpAddr;

use actix_web::HttpRequest;
use domain::audit::truncate_ip;
use persistence::vault::Keyring;

/// The caller's source.
#[derive(Debug, Clone)]
pub struct Client {
    /// Full address: personal data, only ever stored encrypted.
    pub ip: Option<IpAddr>,
    /// Keyed hash of the address, for security counters.
    pub source_key: String,
    /// Truncated address (/24 or /48), for the audit log and admins.
    pub source_display: Option<String>,
    /// The browser, as it says (personal data, stored encrypted).
    pub user_agent: Option<String>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

impl Client {
    /// Reads the source from the connection, or from the last
    /// `X-Forwarded-For` entry (the one our proxy added) when the proxy is trusted.
    #[must_use]
    pub fn from_request(req: &HttpRequest, trust_proxy: bool, keyring: &Keyring) -> Self {
        let forwarded = trust_proxy
            .then(|| req.headers().get("x-forwarded-for"))
            .flatten()
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse::<IpAddr>().ok());
        let ip = forwarded.or_else(|| req.peer_addr().map(|a| a.ip()));
        let text = ip.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
        Self {
            ip,
            source_key: hex(&keyring.blind_index("source", &text)),
            source_display: ip.map(truncate_ip),
            user_agent: req
                .headers()
                .get("user-agent")
                .and_then(|v| v.to_str().ok())
                .map(|s| s.chars().take(300).collect()),
        }
    }

    /// The hex key of an e-mail's blind index, for per-account counters.
    #[must_use]
    pub fn account_key(email_index: &[u8]) -> String {
        hex(email_index)
    }
}
