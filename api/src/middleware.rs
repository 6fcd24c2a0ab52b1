//! Cross-cutting HTTP behaviour: request ids, one log line per request,
//! problem+json for every error, security headers.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::{DefaultHeaders, Next};
use actix_web::{Error, HttpMessage};
use tracing::Instrument;

use crate::i18n::Lang;
use crate::problem::{ApiError, PROBLEM_JSON, problem_for_status};

/// The header carrying the request id.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The id of the current request, in request extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// A caller's id is kept when it is short and plain, so it cannot inject
/// anything into logs; otherwise a new one is made.
fn well_formed(id: &str) -> bool {
    (8..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

fn is_problem(res: &ServiceResponse<BoxBody>) -> bool {
    res.headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()))
}

/// Request id, tracing span, access log line and problem rendering.
///
/// # Errors
/// Only what inner services fail with outside a response (not expected).
pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let request_id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| well_formed(v))
        .map_or_else(|| uuid::Uuid::now_v7().to_string(), str::to_owned);
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let path = req.path().to_owned();
    let method = req.method().clone();
    let https = came_over_https(&req);
    let span = tracing::info_span!("request", request_id = %request_id);
    let started = Instant::now();

    // Inner services turn handler errors into responses (with the error
    // attached), so an `Err` here would be an actix bug; pass it on.
    let mut res = next
        .call(req)
        .instrument(span.clone())
        .await?
        .map_into_boxed_body();

    let status = res.status();
    if status.as_u16() >= 400 {
        // Validation problems speak the request's language.
        let mut language = None;
        let problem = match res
            .response()
            .error()
            .and_then(|e| e.as_error::<ApiError>())
        {
            Some(api) if api.is_localised() => {
                let lang = Lang::of(res.request().headers());
                language = Some(lang);
                Some(api.problem_in(lang))
            }
            Some(api) => Some(api.problem()),
            None if !is_problem(&res) => Some(problem_for_status(status)),
            None => None,
        };
        if status.is_server_error()
            && let Some(err) = res.response().error()
        {
            let cause = match err.as_error::<ApiError>() {
                Some(ApiError::Internal(inner)) => format!("{inner:#}"),
                _ => err.to_string(),
            };
            tracing::error!(parent: &span, %cause, "request failed");
        }
        if let Some(mut problem) = problem {
            problem.instance = Some(path);
            problem.request_id = Some(request_id.clone());
            let body = serde_json::to_vec(&problem).unwrap_or_default();
            res = res.map_body(|head, _| {
                head.headers_mut()
                    .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
                BoxBody::new(body)
            });
        }
        if let Some(lang) = language {
            let headers = res.headers_mut();
            headers.insert(
                header::CONTENT_LANGUAGE,
                HeaderValue::from_static(lang.tag()),
            );
            headers.append(header::VARY, HeaderValue::from_static("accept-language"));
        }
    }
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        res.headers_mut().insert(REQUEST_ID, v);
    }
    if https {
        res.headers_mut().insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    // The route pattern, never the raw path or query: those can hold personal data.
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "<unmatched>".to_owned());
    if let Some(state) = res.request().app_data::<crate::state::SharedState>() {
        state.metrics.request(
            method.as_str(),
            &route,
            status.as_u16(),
            started.elapsed().as_secs_f64(),
        );
    }
    tracing::info!(
        parent: &span,
        %method,
        route,
        status = status.as_u16(),
        latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        "request"
    );
    Ok(res)
}

/// Two years, the preload lists' minimum, subdomains included.
pub const HSTS: &str = "max-age=63072000; includeSubDomains";

/// Whether the caller reached the API over HTTPS: the server's own TLS, or
/// a trusted proxy's `X-Forwarded-Proto` (its last value: the one the proxy
/// in front appended). HSTS only means something on such a response, and a
/// client's own `X-Forwarded-Proto` is not believed without the proxy.
fn came_over_https(req: &ServiceRequest) -> bool {
    let Some(state) = req.app_data::<crate::state::SharedState>() else {
        return false;
    };
    if state.config.tls_cert.is_some() {
        return true;
    }
    state.config.trust_proxy
        && req
            .headers()
            .get_all("x-forwarded-proto")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .last()
            .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"))
}

/// Headers every response carries unless a route sets its own (HSTS is
/// added by `request_context` on HTTPS responses).
#[must_use]
pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::REFERRER_POLICY, "no-referrer"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; frame-ancestors 'none'",
        ))
        // Personal data must never sit in a shared cache: no-store unless a
        // public route says otherwise.
        .add((header::CACHE_CONTROL, "no-store"))
}

/// The CSP of the documentation page: its own scripts and styles only.
pub const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
img-src 'self' data:; font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// Answers 405, with `Allow`, a method the document does not give the
/// request's path, before routing: a concrete path (`/products/import`)
/// must not reach the handlers of a template that also matches it
/// (`/products/{product_id}`). CORS preflights are answered outside.
///
/// # Errors
/// Only what inner services fail with outside a response (not expected).
pub async fn documented_methods(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    if req.method() != actix_web::http::Method::OPTIONS
        && let Some(spec) = req.app_data::<actix_web::web::Data<crate::openapi::Spec>>()
        && let Some(allowed) = spec.allowed_methods(req.path())
        && !allowed.iter().any(|m| m == req.method().as_str())
    {
        // With the error attached, as from a handler, so that the request
        // context middleware completes the problem like any other.
        return Ok(req.error_response(ApiError::MethodNotAllowed(allowed)));
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_boxed_body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_from_callers_must_be_plain() {
        assert!(well_formed("0193a5b2-7c1e-7d2a-9f00-3b5c1d2e4f60"));
        assert!(well_formed("abc_DEF.12345"));
        for bad in [
            "short",
            "has space in it",
            "new\nline-injection",
            &"a".repeat(65),
        ] {
            assert!(!well_formed(bad), "{bad}");
        }
    }
}
