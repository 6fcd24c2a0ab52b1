//! HTTP caching of the public catalogue: strong entity tags, `If-None-Match`
//! answered with 304, the cache headers, and HEAD served beside GET.

use actix_web::dev::{AppService, HttpServiceFactory};
use actix_web::http::header::{self, AcceptEncoding, Encoding, HeaderValue, IfNoneMatch};
use actix_web::{HttpMessage as _, HttpRequest, HttpResponse};
use utoipa_actix_web::OpenApiFactory;

/// How long browsers and shared caches may reuse a catalogue answer.
pub const CACHE_CONTROL: &str = "public, max-age=30";

/// What a catalogue answer varies on besides its URL. The CORS layer adds
/// `Origin` and the CORS request headers after it.
pub const VARY: &str = "Accept-Encoding";

/// The content codings the compression middleware can apply, as it lists
/// them (`compress-gzip` is the only compression feature enabled).
const CODINGS: [Encoding; 3] = [Encoding::identity(), Encoding::gzip(), Encoding::deflate()];

/// The content coding the compression middleware will choose for this
/// request (`None`: identity), negotiated as it does. A strong entity tag
/// names one coding: the gzip bytes of an answer are another representation.
fn coding(req: &HttpRequest) -> Option<&'static str> {
    let chosen = req
        .get_header::<AcceptEncoding>()?
        .negotiate(CODINGS.iter())?;
    if chosen == Encoding::gzip() {
        Some("gzip")
    } else if chosen == Encoding::deflate() {
        Some("deflate")
    } else {
        None
    }
}

/// The strong entity tag of the answer to `req` whose content has the
/// opaque tag `opaque`: quoted, with the content coding it will be sent in.
#[must_use]
pub fn etag(req: &HttpRequest, opaque: &str) -> String {
    match coding(req) {
        Some(c) => format!("\"{opaque}-{c}\""),
        None => format!("\"{opaque}\""),
    }
}

/// Whether `If-None-Match` names `etag` (weak comparison, RFC 9110 §13.1.2)
/// or is `*`. A header that does not parse names nothing.
fn matches(req: &HttpRequest, etag: &str) -> bool {
    let opaque = etag.trim_matches('"');
    match req.get_header::<IfNoneMatch>() {
        Some(IfNoneMatch::Any) => true,
        Some(IfNoneMatch::Items(tags)) => tags.iter().any(|t| t.tag() == opaque),
        None => false,
    }
}

/// The answer to a GET or HEAD of a catalogue resource: 304 with no body
/// when `If-None-Match` names `etag`, else 200 with the JSON `body()`.
/// Both carry the same `ETag`, `Cache-Control` and `Vary` (RFC 9110 §15.4.5).
pub fn answer(req: &HttpRequest, etag: String, body: impl FnOnce() -> String) -> HttpResponse {
    let not_modified = matches(req, &etag);
    let mut res = if not_modified {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    res.insert_header((header::ETAG, etag))
        .insert_header((
            header::CACHE_CONTROL,
            HeaderValue::from_static(CACHE_CONTROL),
        ))
        .insert_header((header::VARY, HeaderValue::from_static(VARY)));
    if not_modified {
        res.finish()
    } else {
        res.content_type("application/json").body(body())
    }
}

/// A GET handler and the HEAD handler of the same path, registered (and
/// documented) together, each with its own operation.
pub struct GetAndHead<G, H>(pub G, pub H);

impl<G: HttpServiceFactory, H: HttpServiceFactory> HttpServiceFactory for GetAndHead<G, H> {
    fn register(self, config: &mut AppService) {
        self.0.register(config);
        self.1.register(config);
    }
}

impl<G: OpenApiFactory, H: OpenApiFactory> OpenApiFactory for GetAndHead<G, H> {
    fn paths(&self) -> utoipa::openapi::path::Paths {
        let mut paths = self.0.paths();
        paths.merge(self.1.paths());
        paths
    }

    fn schemas(
        &self,
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        self.0.schemas(schemas);
        self.1.schemas(schemas);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::middleware::Compress;
    use actix_web::{App, test, web};

    async fn tagged(req: HttpRequest) -> HttpResponse {
        let etag = etag(&req, "abc");
        answer(&req, etag, || {
            format!("{{\"pad\":\"{}\"}}", "x".repeat(2000))
        })
    }

    /// The tag names the coding the compression middleware really applies.
    #[actix_web::test]
    async fn the_tag_follows_the_content_coding_sent() {
        let app = test::init_service(
            App::new()
                .wrap(Compress::default())
                .route("/", web::get().to(tagged)),
        )
        .await;
        for accept in [
            None,
            Some(""),
            Some("gzip"),
            Some("br, gzip;q=0.5"),
            Some("gzip, deflate, br, zstd"),
            Some("deflate"),
            Some("deflate;q=1, gzip;q=0.9"),
            Some("identity"),
            Some("br"),
            Some("*"),
            Some("gzip;q=0, *"),
            Some("nonsense;;"),
        ] {
            let mut req = test::TestRequest::get().uri("/");
            if let Some(a) = accept {
                req = req.insert_header(("accept-encoding", a));
            }
            let res = test::call_service(&app, req.to_request()).await;
            let etag = res.headers().get("etag").unwrap().to_str().unwrap();
            let sent = res
                .headers()
                .get("content-encoding")
                .map_or("identity", |v| v.to_str().unwrap());
            let expected = if sent == "identity" {
                "\"abc\"".to_owned()
            } else {
                format!("\"abc-{sent}\"")
            };
            assert_eq!(etag, expected, "Accept-Encoding: {accept:?}");
        }
    }

    #[actix_web::test]
    async fn if_none_match_uses_the_weak_comparison_and_star() {
        let app = test::init_service(App::new().route("/", web::get().to(tagged))).await;
        for (header, status) in [
            ("\"abc\"", 304),
            ("W/\"abc\"", 304),
            ("\"x\", W/\"abc\"", 304),
            ("*", 304),
            ("\"abcd\"", 200),
            ("\"abc-gzip\"", 200),
            ("abc", 200),
        ] {
            let req = test::TestRequest::get()
                .uri("/")
                .insert_header(("if-none-match", header))
                .to_request();
            let res = test::call_service(&app, req).await;
            assert_eq!(res.status().as_u16(), status, "If-None-Match: {header}");
            assert_eq!(res.headers().get("etag").unwrap(), "\"abc\"");
            assert_eq!(res.headers().get("cache-control").unwrap(), CACHE_CONTROL);
            assert_eq!(res.headers().get("vary").unwrap(), VARY);
            let body = test::read_body(res).await;
            assert_eq!(body.is_empty(), status == 304, "{header}");
        }
    }
}

/// The 304 of a cached catalogue answer.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // documentation only
pub enum NotModified {
    /// Not modified: `If-None-Match` names the current answer; no body.
    #[response(
        status = 304,
        headers(
            ("ETag" = String, description = "The current entity tag, as the 200 would send it"),
            ("Cache-Control" = String, description = "`public, max-age=30`, as the 200 would send it"),
            ("Vary" = String, description = "As the 200 would send it"),
        )
    )]
    NotModified,
}
