//! Who is calling, as far as the network says.

use std::net::IpAddr;

use actix_web::HttpRequest;
use domain::identity::{BlindIndex, Origin};

/// Reads the source from the connection, or from the last `X-Forwarded-For`
/// entry (the one our proxy added) when the proxy is trusted. Counters see
/// an IPv6 source by its first `ipv6_prefix` bits.
#[must_use]
pub fn origin(
    req: &HttpRequest,
    trust_proxy: bool,
    ipv6_prefix: u8,
    index: &dyn BlindIndex,
) -> Origin {
    let forwarded = trust_proxy
        .then(|| req.headers().get("x-forwarded-for"))
        .flatten()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .and_then(|v| v.trim().parse::<IpAddr>().ok());
    let ip = forwarded.or_else(|| req.peer_addr().map(|a| a.ip()));
    let user_agent = req
        .headers()
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    Origin::with_prefix(ip, user_agent, index, ipv6_prefix)
}
