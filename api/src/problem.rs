//! RFC 9457 problem details: the one wire format of every error.
//!
//! Handlers return [`ApiError`]; the request middleware renders every error
//! response (ours, actix's own, or a route that does not exist) as
//! `application/problem+json` with a stable `type`, the request path as
//! `instance` and the request id, so clients handle one shape only.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use domain::FieldErrors;
use domain::catalogue::{PlanError, PlanWriteError};
use domain::identity::IdentityError;
use serde::Serialize;
use utoipa::ToSchema;

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One refused field or parameter.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldProblem {
    /// The field (body) or parameter (query) name.
    #[schema(example = "min_surface")]
    pub field: String,
    /// What is wrong with it.
    #[schema(example = "must not be greater than max_surface")]
    pub message: String,
}

/// An RFC 9457 problem details object.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "/problems/validation-failed",
    "title": "The request has invalid fields",
    "status": 400,
    "detail": "1 field was refused; see errors.",
    "instance": "/v1/products",
    "request_id": "0193a5b2-7c1e-7d2a-9f00-3b5c1d2e4f60",
    "errors": [{"field": "min_surface", "message": "must not be greater than max_surface"}]
}))]
pub struct Problem {
    /// A stable URI reference naming the kind of problem; branch on this. One of
    /// the values of `ProblemType`.
    #[serde(rename = "type")]
    #[schema(example = "/problems/not-found")]
    pub kind: String,
    /// A short summary of the kind of problem, the same for every occurrence.
    #[schema(example = "Resource not found")]
    pub title: String,
    /// The HTTP status code.
    #[schema(example = 404, minimum = 400, maximum = 599)]
    pub status: u16,
    /// What happened this time, for a human.
    #[schema(example = "No published plan has this id or slug.")]
    pub detail: String,
    /// The request path this problem is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "/v1/products/unknown-plan")]
    pub instance: Option<String>,
    /// The id of the request (also in the `X-Request-Id` header), for support.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Per-field errors, for validation problems.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldProblem>>,
}

/// The errors of every operation that needs a signed-in account.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // documentation only: errors are `ApiError`s
pub enum SignedInErrors {
    /// Not logged in, or the token's session has ended (`WWW-Authenticate` says so).
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(Problem),
    /// Not allowed: a generated password must be changed first, or the role
    /// does not grant this operation.
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
    /// The source address is banned for now; see `Retry-After`.
    #[response(status = 429, content_type = "application/problem+json")]
    Banned(Problem),
}

/// The errors of every operation that reads a JSON body.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // documentation only
pub enum BodyErrors {
    /// The body is malformed, has unknown fields, or breaks a rule (see `errors`).
    #[response(status = 400, content_type = "application/problem+json")]
    Invalid(Problem),
    /// The body is larger than the configured limit.
    #[response(status = 413, content_type = "application/problem+json")]
    TooLarge(Problem),
    /// The body is not `application/json`.
    #[response(status = 415, content_type = "application/problem+json")]
    NotJson(Problem),
}

/// Every error the API answers with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Fields or parameters refused by the rules.
    #[error("validation failed")]
    Validation(FieldErrors),
    /// The request could not be understood (malformed query string, ...).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// The body is not valid JSON or does not have the expected shape.
    #[error("malformed JSON body: {0}")]
    MalformedJson(String),
    /// No such resource (or not visible to this caller).
    #[error("not found")]
    NotFound(String),
    /// The path exists, the method does not.
    #[error("method not allowed")]
    MethodNotAllowed(Vec<String>),
    /// The body's media type is not accepted.
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// The body is larger than the configured limit.
    #[error("payload too large")]
    PayloadTooLarge(usize),
    /// No valid credentials. `invalid_token` when a token was presented.
    #[error("unauthorized")]
    Unauthorized {
        /// A token was sent but is not valid.
        invalid_token: bool,
    },
    /// Wrong e-mail or password (never says which).
    #[error("invalid credentials")]
    InvalidCredentials,
    /// Authenticated, but not allowed.
    #[error("forbidden")]
    Forbidden(String),
    /// A generated password must be changed first.
    #[error("password change required")]
    PasswordChangeRequired,
    /// The request conflicts with current state.
    #[error("conflict")]
    Conflict(String),
    /// Another account uses this e-mail address.
    #[error("e-mail address taken")]
    EmailTaken,
    /// An administrator tried to take their own administrator role away.
    #[error("self-demotion")]
    SelfDemotion,
    /// Another plan uses this slug.
    #[error("slug taken")]
    SlugTaken,
    /// Another format uses one of these SKUs.
    #[error("sku taken")]
    SkuTaken,
    /// Locked or banned; retry after this many seconds.
    #[error("too many requests")]
    TooManyRequests(i64),
    /// A dependency (the database) is unavailable.
    #[error("service unavailable")]
    Unavailable,
    /// Anything else: a bug or an outage. The cause goes to the log only.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl From<FieldErrors> for ApiError {
    fn from(e: FieldErrors) -> Self {
        Self::Validation(e)
    }
}

impl From<domain::StorageError> for ApiError {
    fn from(e: domain::StorageError) -> Self {
        Self::Internal(e.into())
    }
}

/// The one mapping of the identity use cases' errors to problems.
impl From<IdentityError> for ApiError {
    fn from(e: IdentityError) -> Self {
        let field = |name: &str, message: &str| {
            let mut f = FieldErrors::default();
            f.push(name, message);
            Self::Validation(f)
        };
        match e {
            IdentityError::InvalidCredentials => Self::InvalidCredentials,
            IdentityError::Limited { retry_after, .. } => Self::TooManyRequests(retry_after),
            IdentityError::Unauthenticated { token_presented } => Self::Unauthorized {
                invalid_token: token_presented,
            },
            IdentityError::InvalidLinkToken => field(
                "token",
                "is unknown, already used or expired; ask for a new link",
            ),
            IdentityError::WrongPassword { field: name } => {
                field(name, "is not the account's current password")
            }
            IdentityError::EmailTaken => Self::EmailTaken,
            IdentityError::SelfDemotion => Self::SelfDemotion,
            IdentityError::NotFound => Self::NotFound("No resource of yours has this id.".into()),
            IdentityError::Invalid(f) => Self::Validation(f),
            IdentityError::Storage(e) => Self::Internal(e.into()),
            IdentityError::Hashing(e) => Self::Internal(e.into()),
            IdentityError::Issuing(e) => Self::Internal(e.into()),
        }
    }
}

/// The one mapping of the catalogue's write errors to problems.
impl From<PlanWriteError> for ApiError {
    fn from(e: PlanWriteError) -> Self {
        match e {
            PlanWriteError::Invalid(PlanError::Fields(f)) => Self::Validation(f),
            PlanWriteError::Invalid(PlanError::SlugTaken) => Self::SlugTaken,
            PlanWriteError::Invalid(PlanError::SkuTaken) => Self::SkuTaken,
            PlanWriteError::Invalid(other) => {
                let mut f = FieldErrors::default();
                f.push("body", other.to_string());
                Self::Validation(f)
            }
            PlanWriteError::Storage(s) => s.into(),
        }
    }
}

/// Maps an identity error, giving its "not found" a specific detail.
pub fn or_not_found(detail: &'static str) -> impl Fn(IdentityError) -> ApiError {
    move |e| match e {
        IdentityError::NotFound => ApiError::NotFound(detail.into()),
        other => other.into(),
    }
}

/// Every problem `type` the API answers with, as listed in the OpenAPI
/// document's `ProblemType` schema (a test keeps the two together).
pub const PROBLEM_TYPES: &[&str] = &[
    "/problems/bad-request",
    "/problems/validation-failed",
    "/problems/malformed-json",
    "/problems/unauthorized",
    "/problems/invalid-credentials",
    "/problems/forbidden",
    "/problems/password-change-required",
    "/problems/not-found",
    "/problems/method-not-allowed",
    "/problems/not-acceptable",
    "/problems/request-timeout",
    "/problems/conflict",
    "/problems/email-taken",
    "/problems/self-demotion",
    "/problems/slug-taken",
    "/problems/sku-taken",
    "/problems/length-required",
    "/problems/payload-too-large",
    "/problems/uri-too-long",
    "/problems/unsupported-media-type",
    "/problems/unprocessable-content",
    "/problems/too-many-requests",
    "/problems/headers-too-large",
    "/problems/client-error",
    "/problems/internal-error",
    "/problems/service-unavailable",
];

/// The stable slug, title and status of each kind of problem.
fn kind_of(status: StatusCode) -> (&'static str, &'static str) {
    match status.as_u16() {
        400 => ("bad-request", "The request is malformed"),
        401 => ("unauthorized", "Authentication is required"),
        403 => ("forbidden", "Not allowed"),
        404 => ("not-found", "Resource not found"),
        405 => ("method-not-allowed", "Method not allowed on this resource"),
        406 => ("not-acceptable", "No acceptable representation"),
        408 => ("request-timeout", "The request took too long to arrive"),
        409 => ("conflict", "The request conflicts with the current state"),
        411 => ("length-required", "A Content-Length is required"),
        413 => ("payload-too-large", "The request body is too large"),
        414 => ("uri-too-long", "The request URI is too long"),
        415 => ("unsupported-media-type", "Unsupported media type"),
        422 => ("unprocessable-content", "The request cannot be processed"),
        429 => ("too-many-requests", "Too many requests"),
        431 => ("headers-too-large", "The request headers are too large"),
        503 => (
            "service-unavailable",
            "The service is temporarily unavailable",
        ),
        s if s >= 500 => ("internal-error", "Internal server error"),
        _ => ("client-error", "The request cannot be served"),
    }
}

impl ApiError {
    /// The problem body for this error (without `instance` and request id,
    /// which the middleware adds).
    #[must_use]
    pub fn problem(&self) -> Problem {
        let status = self.status_code();
        let (slug, title) = match self {
            Self::Validation(_) => ("validation-failed", "The request has invalid fields"),
            Self::MalformedJson(_) => (
                "malformed-json",
                "The request body is not valid JSON for this operation",
            ),
            Self::InvalidCredentials => ("invalid-credentials", "Invalid e-mail or password"),
            Self::PasswordChangeRequired => (
                "password-change-required",
                "The password must be changed first",
            ),
            Self::EmailTaken => ("email-taken", "The e-mail address is already in use"),
            Self::SelfDemotion => (
                "self-demotion",
                "Administrators cannot remove their own administrator role",
            ),
            Self::SlugTaken => ("slug-taken", "The slug is already in use"),
            Self::SkuTaken => ("sku-taken", "A SKU is already in use"),
            _ => kind_of(status),
        };
        let detail = match self {
            Self::Validation(e) => format!(
                "{} field{} refused; see errors.",
                e.0.len(),
                if e.0.len() == 1 { " was" } else { "s were" }
            ),
            Self::BadRequest(d)
            | Self::MalformedJson(d)
            | Self::NotFound(d)
            | Self::Forbidden(d)
            | Self::Conflict(d) => d.clone(),
            Self::Unauthorized {
                invalid_token: false,
            } => "Send a bearer token: Authorization: Bearer <access_token>.".to_owned(),
            Self::Unauthorized {
                invalid_token: true,
            } => "The access token is invalid, expired, or its session has ended; log in again."
                .to_owned(),
            Self::InvalidCredentials => "The e-mail address or the password is wrong.".to_owned(),
            Self::EmailTaken => "Another account uses this e-mail address.".to_owned(),
            Self::SelfDemotion => {
                "Administrators cannot remove their own administrator role.".to_owned()
            }
            Self::SlugTaken => "Another plan uses this slug.".to_owned(),
            Self::SkuTaken => "Another format uses one of these SKUs.".to_owned(),
            Self::PasswordChangeRequired => {
                "This account has a generated password: change it with PUT /v1/me/password first."
                    .to_owned()
            }
            Self::TooManyRequests(secs) => format!("Too many attempts; retry in {secs} seconds."),
            Self::MethodNotAllowed(allow) => format!("Allowed methods: {}.", allow.join(", ")),
            Self::UnsupportedMediaType => "Send the body as application/json.".to_owned(),
            Self::PayloadTooLarge(limit) => format!("The body must be at most {limit} bytes."),
            Self::Unavailable => "The database is not reachable; retry later.".to_owned(),
            Self::Internal(_) => "An unexpected error occurred; it has been logged.".to_owned(),
        };
        let errors = match self {
            Self::Validation(e) => Some(
                e.0.iter()
                    .map(|f| FieldProblem {
                        field: f.field.clone(),
                        message: f.message.clone(),
                    })
                    .collect(),
            ),
            _ => None,
        };
        Problem {
            kind: format!("/problems/{slug}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail,
            instance: None,
            request_id: None,
            errors,
        }
    }
}

/// The problem for a status when no [`ApiError`] says more (actix's own errors).
#[must_use]
pub fn problem_for_status(status: StatusCode) -> Problem {
    let (slug, title) = kind_of(status);
    Problem {
        kind: format!("/problems/{slug}"),
        title: title.to_owned(),
        status: status.as_u16(),
        detail: status.canonical_reason().unwrap_or("Error").to_owned() + ".",
        instance: None,
        request_id: None,
        errors: None,
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Validation(_) | Self::BadRequest(_) | Self::MalformedJson(_) => {
                StatusCode::BAD_REQUEST
            }
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Unauthorized { .. } | Self::InvalidCredentials => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) | Self::PasswordChangeRequired => StatusCode::FORBIDDEN,
            Self::Conflict(_)
            | Self::EmailTaken
            | Self::SelfDemotion
            | Self::SlugTaken
            | Self::SkuTaken => StatusCode::CONFLICT,
            Self::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status_code());
        res.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        if let Self::MethodNotAllowed(allow) = self
            && let Ok(v) = HeaderValue::from_str(&allow.join(", "))
        {
            res.insert_header((header::ALLOW, v));
        }
        match self {
            Self::Unavailable => {
                res.insert_header((header::RETRY_AFTER, HeaderValue::from_static("5")));
            }
            Self::TooManyRequests(secs) => {
                res.insert_header((header::RETRY_AFTER, secs.to_string()));
            }
            Self::Unauthorized {
                invalid_token: true,
            } => {
                res.insert_header((
                    header::WWW_AUTHENTICATE,
                    r#"Bearer realm="boutique", error="invalid_token""#,
                ));
            }
            Self::Unauthorized {
                invalid_token: false,
            }
            | Self::InvalidCredentials => {
                res.insert_header((header::WWW_AUTHENTICATE, r#"Bearer realm="boutique""#));
            }
            _ => {}
        }
        res.body(serde_json::to_vec(&self.problem()).unwrap_or_default())
    }
}

/// Maps the JSON body extractor's errors to problems.
#[must_use]
pub fn json_error(err: actix_web::error::JsonPayloadError, limit: usize) -> ApiError {
    use actix_web::error::JsonPayloadError as E;
    match err {
        E::OverflowKnownLength { .. } | E::Overflow { .. } => ApiError::PayloadTooLarge(limit),
        E::ContentType => ApiError::UnsupportedMediaType,
        // serde's message names the field and position, never a value.
        E::Deserialize(e) => ApiError::MalformedJson(deserialize_detail(&e)),
        E::Payload(actix_web::error::PayloadError::Overflow) => ApiError::PayloadTooLarge(limit),
        other => ApiError::BadRequest(format!("The body could not be read: {other}.")),
    }
}

/// A description of a JSON error that says where, without echoing input.
fn deserialize_detail(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match e.classify() {
        Category::Syntax | Category::Eof | Category::Io => format!(
            "The body is not valid JSON (line {}, column {}).",
            e.line(),
            e.column()
        ),
        // "unknown/missing/duplicate field" messages name only fields; other
        // data errors ("invalid type: string \"hunter2\"") echo the value,
        // which may be a password, so they are summarised by position.
        Category::Data => {
            let msg = e.to_string();
            let msg = msg.split(" at line ").next().unwrap_or_default();
            if ["unknown field", "missing field", "duplicate field"]
                .iter()
                .any(|p| msg.starts_with(p))
            {
                format!("The body does not match the expected shape: {msg}.")
            } else {
                format!(
                    "A field has the wrong type or value (line {}, column {}).",
                    e.line(),
                    e.column()
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody;
    use actix_web::error::JsonPayloadError;

    fn body(res: HttpResponse) -> serde_json::Value {
        let bytes = res.into_body().try_into_bytes().unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[test]
    fn each_error_maps_to_its_status_and_stable_type() {
        let mut fe = FieldErrors::default();
        fe.push("limit", "too big");
        let table: Vec<(ApiError, u16, &str)> = vec![
            (ApiError::Validation(fe), 400, "/problems/validation-failed"),
            (
                ApiError::BadRequest("x".into()),
                400,
                "/problems/bad-request",
            ),
            (
                ApiError::MalformedJson("x".into()),
                400,
                "/problems/malformed-json",
            ),
            (ApiError::NotFound("x".into()), 404, "/problems/not-found"),
            (
                ApiError::MethodNotAllowed(vec!["GET".into()]),
                405,
                "/problems/method-not-allowed",
            ),
            (
                ApiError::UnsupportedMediaType,
                415,
                "/problems/unsupported-media-type",
            ),
            (
                ApiError::PayloadTooLarge(10),
                413,
                "/problems/payload-too-large",
            ),
            (ApiError::Unavailable, 503, "/problems/service-unavailable"),
            (
                ApiError::Unauthorized {
                    invalid_token: true,
                },
                401,
                "/problems/unauthorized",
            ),
            (
                ApiError::InvalidCredentials,
                401,
                "/problems/invalid-credentials",
            ),
            (ApiError::Forbidden("x".into()), 403, "/problems/forbidden"),
            (
                ApiError::PasswordChangeRequired,
                403,
                "/problems/password-change-required",
            ),
            (ApiError::Conflict("x".into()), 409, "/problems/conflict"),
            (ApiError::EmailTaken, 409, "/problems/email-taken"),
            (ApiError::SelfDemotion, 409, "/problems/self-demotion"),
            (ApiError::SlugTaken, 409, "/problems/slug-taken"),
            (ApiError::SkuTaken, 409, "/problems/sku-taken"),
            (
                ApiError::TooManyRequests(60),
                429,
                "/problems/too-many-requests",
            ),
            (
                ApiError::Internal(anyhow::anyhow!("db password is hunter2")),
                500,
                "/problems/internal-error",
            ),
        ];
        for (err, status, kind) in table {
            let res = err.error_response();
            assert_eq!(res.status().as_u16(), status);
            assert_eq!(
                res.headers().get(header::CONTENT_TYPE).unwrap(),
                PROBLEM_JSON
            );
            let b = body(res);
            assert_eq!(b["type"], kind);
            assert!(PROBLEM_TYPES.contains(&kind), "{kind} is documented");
            assert_eq!(b["status"], status);
            assert!(
                !b.to_string().contains("hunter2"),
                "internal causes never reach the client"
            );
        }
    }

    #[test]
    fn every_status_problem_type_is_documented() {
        for status in 400..=599u16 {
            if let Ok(s) = StatusCode::from_u16(status) {
                let kind = problem_for_status(s).kind;
                assert!(PROBLEM_TYPES.contains(&kind.as_str()), "{kind}");
            }
        }
    }

    #[test]
    fn validation_problems_list_the_fields() {
        let mut fe = FieldErrors::default();
        fe.push("min_surface", "bad");
        let b = body(ApiError::Validation(fe).error_response());
        assert_eq!(b["errors"][0]["field"], "min_surface");
    }

    #[test]
    fn unauthorized_carries_www_authenticate_and_429_retry_after() {
        let res = ApiError::Unauthorized {
            invalid_token: true,
        }
        .error_response();
        assert!(
            res.headers()
                .get(header::WWW_AUTHENTICATE)
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("Bearer")
        );
        let res = ApiError::TooManyRequests(90).error_response();
        assert_eq!(res.headers().get(header::RETRY_AFTER).unwrap(), "90");
    }

    #[test]
    fn method_not_allowed_carries_allow() {
        let res = ApiError::MethodNotAllowed(vec!["GET".into(), "POST".into()]).error_response();
        assert_eq!(res.headers().get(header::ALLOW).unwrap(), "GET, POST");
    }

    #[test]
    fn json_extractor_errors_map_to_413_415_and_400() {
        let too_big = json_error(
            JsonPayloadError::OverflowKnownLength {
                length: 10,
                limit: 5,
            },
            5,
        );
        assert_eq!(too_big.status_code(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(
            json_error(JsonPayloadError::ContentType, 5).status_code(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        );
        let syntax = serde_json::from_str::<serde_json::Value>("{\"a\":").unwrap_err();
        let e = json_error(JsonPayloadError::Deserialize(syntax), 5);
        assert_eq!(e.status_code(), StatusCode::BAD_REQUEST);
        assert_eq!(e.problem().kind, "/problems/malformed-json");
    }

    #[test]
    fn shape_errors_name_the_field_not_the_value() {
        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Body {
            email: String,
        }
        let err = serde_json::from_str::<Body>(r#"{"email":"a@b.c","role":"admin"}"#).unwrap_err();
        let detail = deserialize_detail(&err);
        assert!(detail.contains("role"), "{detail}");
        assert!(!detail.contains("a@b.c"), "{detail}");
        let err = serde_json::from_str::<Body>(r#"{"email":["hunter2"]}"#).unwrap_err();
        assert!(!deserialize_detail(&err).contains("hunter2"));
    }
}
