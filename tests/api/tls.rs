//! SEC-5: the API served over HTTPS by the server itself (rustls), with a
//! certificate the test makes; HSTS on HTTPS responses only.

use std::sync::Arc;

use crate::helpers::{spawn_app, spawn_app_with};

/// A self-signed certificate for `localhost`, written as PEM files.
struct Certificate {
    dir: tempfile::TempDir,
    der: rustls::pki_types::CertificateDer<'static>,
}

impl Certificate {
    fn new() -> Self {
        let rcgen::CertifiedKey { cert, signing_key } =
            rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("cert.pem"), cert.pem()).unwrap();
        std::fs::write(dir.path().join("key.pem"), signing_key.serialize_pem()).unwrap();
        Self {
            dir,
            der: cert.der().clone(),
        }
    }

    fn cert(&self) -> std::path::PathBuf {
        self.dir.path().join("cert.pem")
    }

    fn key(&self) -> std::path::PathBuf {
        self.dir.path().join("key.pem")
    }

    /// A client that trusts `roots` only, speaking `versions`.
    fn client(
        roots: &[rustls::pki_types::CertificateDer<'static>],
        versions: &[&'static rustls::SupportedProtocolVersion],
    ) -> reqwest::Client {
        let mut store = rustls::RootCertStore::empty();
        for root in roots {
            store.add(root.clone()).unwrap();
        }
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(store)
        .with_no_client_auth();
        reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .build()
            .unwrap()
    }
}

fn hsts(res: &reqwest::Response) -> Option<&str> {
    res.headers()
        .get("strict-transport-security")
        .map(|v| v.to_str().unwrap())
}

#[tokio::test]
async fn sec_5_the_server_speaks_tls_itself_when_given_a_certificate_and_sends_hsts() {
    let certificate = Certificate::new();
    let app = spawn_app_with(|c| {
        c.tls_cert = Some(certificate.cert());
        c.tls_key = Some(certificate.key());
    })
    .await;
    let port = app.address.rsplit(':').next().unwrap();
    let https = format!("https://localhost:{port}");

    for versions in [
        &[&rustls::version::TLS13][..],
        &[&rustls::version::TLS12][..],
    ] {
        let client = Certificate::client(std::slice::from_ref(&certificate.der), versions);
        for path in ["/healthz", "/v1/products", "/v1/products/unknown", "/v1/me"] {
            let res = client.get(format!("{https}{path}")).send().await.unwrap();
            assert!(
                [200, 401, 404].contains(&res.status().as_u16()),
                "{path}: {}",
                res.status()
            );
            assert_eq!(
                hsts(&res),
                Some("max-age=63072000; includeSubDomains"),
                "{path} over {versions:?}"
            );
        }
    }
    // The API's JSON, not just a handshake.
    let client = Certificate::client(
        std::slice::from_ref(&certificate.der),
        &[&rustls::version::TLS13],
    );
    let list: serde_json::Value = client
        .get(format!("{https}/v1/products"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(list["items"].is_array(), "{list}");

    // Plain HTTP on the TLS port gets no answer, and a client that does not
    // trust the certificate does not get through.
    assert!(
        app.client
            .get(format!("http://localhost:{port}/healthz"))
            .send()
            .await
            .is_err_or_not_ok()
    );
    let stranger = Certificate::new();
    assert!(
        Certificate::client(&[stranger.der], &[&rustls::version::TLS13])
            .get(format!("{https}/healthz"))
            .send()
            .await
            .is_err()
    );
}

trait ErrOrNotOk {
    fn is_err_or_not_ok(&self) -> bool;
}

impl ErrOrNotOk for reqwest::Result<reqwest::Response> {
    fn is_err_or_not_ok(&self) -> bool {
        self.as_ref().map_or(true, |r| !r.status().is_success())
    }
}

#[tokio::test]
async fn sec_5_hsts_only_when_the_request_came_over_https() {
    // Plain HTTP, no proxy: no HSTS, whatever the caller claims.
    let app = spawn_app().await;
    for proto in [None, Some("https")] {
        let mut req = app.client.get(app.url("/healthz"));
        if let Some(proto) = proto {
            req = req.header("x-forwarded-proto", proto);
        }
        let res = req.send().await.unwrap();
        assert_eq!(hsts(&res), None, "untrusted X-Forwarded-Proto {proto:?}");
    }

    // Behind a trusted proxy that terminated TLS: its (last) word counts.
    let app = spawn_app_with(|c| c.trust_proxy = true).await;
    for (proto, expected) in [
        (None, false),
        (Some("https"), true),
        (Some("HTTPS"), true),
        (Some("http"), false),
        // A client's own claim, followed by the proxy's.
        (Some("https, http"), false),
        (Some("http, https"), true),
    ] {
        let mut req = app.client.get(app.url("/v1/products/unknown"));
        if let Some(proto) = proto {
            req = req.header("x-forwarded-proto", proto);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 404);
        assert_eq!(
            hsts(&res).is_some(),
            expected,
            "X-Forwarded-Proto {proto:?}"
        );
    }
}
