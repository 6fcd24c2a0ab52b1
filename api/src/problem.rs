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
use domain::identity::{IdentityError, LimitReason};
use serde::Serialize;
use utoipa::ToSchema;

use crate::i18n::{self, Lang};

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One refused field or parameter.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"field": "formats[0].kind", "code": "unknown_value", "message": "must be one of: pdf, cad, printed_set"}))]
pub struct FieldProblem {
    /// The field: a body field by its JSON path (`name`, `formats[0].sku`;
    /// `body` for the body as a whole, when it is not a JSON object), or a
    /// query parameter or header by its name.
    #[schema(example = "formats[0].kind")]
    pub field: String,
    /// Why, as a stable machine code: branch on this.
    pub code: FieldErrorCode,
    /// What is wrong, for a person, in the language `Accept-Language`
    /// prefers (English or French; `Content-Language` says which). May
    /// change between versions; never repeats the refused value.
    #[schema(example = "must be one of: pdf, cad, printed_set")]
    pub message: String,
}

/// Why a field was refused:
///
/// - `required`: a required field is missing.
/// - `invalid_type`: the value has the wrong JSON type (a string where a
///   number goes, an array where an object goes...).
/// - `unknown_value`: the value is not one of the field's enumerated values.
/// - `unknown_field`: the operation has no such field.
/// - `null_not_allowed`: `null` where the field needs a value (a field that
///   may be left out is not for that nullable: leave it out instead).
/// - `too_short`: fewer characters (Unicode code points) or items than the
///   minimum.
/// - `too_long`: more characters or items than the maximum.
/// - `too_small`: a number below the minimum.
/// - `too_large`: a number above the maximum.
/// - `invalid_format`: text that does not have the documented format
///   (pattern, e-mail address, phone number, date...).
/// - `invalid`: breaks a rule no other code names (a common password, a
///   wrong current password, an expired link, a minimum above a maximum...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FieldErrorCode {
    /// Missing.
    Required,
    /// Wrong JSON type.
    InvalidType,
    /// Not an enumerated value.
    UnknownValue,
    /// No such field.
    UnknownField,
    /// `null` not allowed.
    NullNotAllowed,
    /// Too few characters or items.
    TooShort,
    /// Too many characters or items.
    TooLong,
    /// Below the minimum.
    TooSmall,
    /// Above the maximum.
    TooLarge,
    /// Not the documented format.
    InvalidFormat,
    /// Breaks another rule.
    Invalid,
}

impl From<domain::FieldCode> for FieldErrorCode {
    fn from(code: domain::FieldCode) -> Self {
        use domain::FieldCode as C;
        match code {
            C::Required => Self::Required,
            C::InvalidType => Self::InvalidType,
            C::UnknownValue => Self::UnknownValue,
            C::UnknownField => Self::UnknownField,
            C::NullNotAllowed => Self::NullNotAllowed,
            C::TooShort => Self::TooShort,
            C::TooLong => Self::TooLong,
            C::TooSmall => Self::TooSmall,
            C::TooLarge => Self::TooLarge,
            C::InvalidFormat => Self::InvalidFormat,
            C::Invalid => Self::Invalid,
        }
    }
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
    "errors": [{"field": "min_surface", "code": "invalid", "message": "must not be greater than max_surface"}]
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
    /// The id of the request (also in the `X-Request-Id` header), for support:
    /// the client's own `X-Request-Id` when it sent a valid one, else a UUID v7.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "01a21faf-6bed-763f-b118-5f19d3069f85")]
    pub request_id: Option<String>,
    /// For `validation-failed`: every refused field at once, each with its
    /// path, a stable `code` and a message. A body's shape (missing fields,
    /// types, enumerated values, unknown fields, `null`, bounds, formats)
    /// is checked against this document's schema first and every breach is
    /// listed; once the shape is right, every breach of the rules the
    /// schema cannot say (a common password, an undeliverable address...)
    /// is listed. `title`, `detail` and the messages follow
    /// `Accept-Language` (English or French).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldProblem>>,
    /// For `too-many-requests`: which limit refused the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<LimitReasonDto>,
    /// For `too-many-requests`: seconds to wait (also in `Retry-After`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = 60, minimum = 1)]
    pub retry_after: Option<i64>,
    /// For `items-unavailable`: the ids (UUIDs) of the cart's lines whose
    /// plan or format is no longer for sale; remove them and check out
    /// again.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = json!(["01a21fb2-3c4d-7e5f-8a6b-7c8d9e0f1a2b"]))]
    pub line_ids: Option<Vec<String>>,
    /// For `illegal-transition`: the order's current status.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "completed")]
    pub from: Option<String>,
    /// For `illegal-transition`: the status the request would have moved
    /// the order to.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "cancelled")]
    pub to: Option<String>,
}

/// Which limit refused a request (429), so a client can tell the person
/// what to do:
///
/// - `account_locked`: too many failed logins for this account from this
///   source address: the pair is locked (after 5 failures, for 1, 2, 4...
///   minutes); other accounts and other addresses are not affected.
///   Resetting the password lifts the lock.
/// - `source_banned`: this source address (an IPv4 address, or an IPv6 /64)
///   is banned for an hour, after 20 failed logins or invalid link tokens
///   across accounts, or 20 requests to private areas without valid
///   credentials, within an hour.
/// - `rate_limited`: this source address sent too many requests of this
///   kind: 20 registrations, or 20 password reset requests, an hour.
/// - `key_rate_limited`: this API key made more requests this minute than
///   its `rate_per_minute` allows; `retry_after` is the start of the next
///   minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = LimitReason)]
pub enum LimitReasonDto {
    /// Too many failed logins for this account from this address: the
    /// account is locked for this address (5 failures, then 1, 2, 4...
    /// minutes). Resetting the password lifts it.
    AccountLocked,
    /// This address is banned for an hour (20 failed logins or invalid reset
    /// tokens across accounts, or 20 unauthenticated requests to private
    /// areas, within an hour).
    SourceBanned,
    /// This address sent too many requests of this kind (20 registrations or
    /// 20 reset requests an hour).
    RateLimited,
    /// This API key made more requests this minute than it may.
    KeyRateLimited,
}

impl LimitReasonDto {
    /// The quota and its window in seconds, for `RateLimit-Policy`.
    const fn policy(self) -> (u32, i64) {
        match self {
            Self::AccountLocked => (5, 60),
            Self::SourceBanned | Self::RateLimited => (20, 3600),
            // Each key has its own quota: the header names the window only.
            Self::KeyRateLimited => (0, 60),
        }
    }

    const fn name(self) -> &'static str {
        match self {
            Self::AccountLocked => "account",
            Self::SourceBanned => "source",
            Self::RateLimited => "requests",
            Self::KeyRateLimited => "key",
        }
    }
}

/// The errors of every operation that needs a signed-in account.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // documentation only: errors are `ApiError`s
pub enum SignedInErrors {
    /// Not logged in, or the token's session has ended (`WWW-Authenticate` says so).
    #[response(
        status = 401,
        content_type = "application/problem+json",
        example = json!({
            "type": "/problems/unauthorized",
            "title": "Authentication is required",
            "status": 401,
            "detail": "The access token is invalid, expired, or its session has ended; log in again.",
            "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85"
        })
    )]
    Unauthorized(Problem),
    /// Not allowed: a generated password must be changed first, the role
    /// does not grant this operation, or an API key lacks its scope (or
    /// calls an operation only people may call).
    #[response(
        status = 403,
        content_type = "application/problem+json",
        examples(
            ("password-change-required" = (
                summary = "The account still has its generated password",
                value = json!({
                    "type": "/problems/password-change-required",
                    "title": "The password must be changed first",
                    "status": 403,
                    "detail": "This account has a generated password: change it with PUT /v1/me/password first.",
                    "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85"
                })
            )),
            ("forbidden" = (
                summary = "The role does not grant this operation",
                value = json!({
                    "type": "/problems/forbidden",
                    "title": "Not allowed",
                    "status": 403,
                    "detail": "Administrators only.",
                    "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85"
                })
            ))
        )
    )]
    Forbidden(Problem),
    /// The source address is banned for an hour (`reason: source_banned`; see
    /// `Retry-After`): after 20 requests to private areas without valid
    /// credentials (no token, or a token this API did not sign) or 20 failed
    /// logins within an hour. A token whose session has simply ended (expired,
    /// logged out) answers 401 and does not count. An API key over its
    /// rate per minute gets `reason: key_rate_limited`.
    #[response(
        status = 429,
        content_type = "application/problem+json",
        headers(("Retry-After" = u32, description = "Seconds to wait before trying again")),
        example = json!({
            "type": "/problems/too-many-requests",
            "title": "Too many requests",
            "status": 429,
            "detail": "This address is banned after repeated failures; retry in 3599 seconds.",
            "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85",
            "reason": "source_banned",
            "retry_after": 3599
        })
    )]
    Banned(Problem),
}

/// The 423 of an operation changing a customer's own data, refused while
/// their data are restricted (GDPR art. 18).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // documentation only
pub enum RestrictedErrors {
    /// The customer's data are restricted at their request: changes are
    /// refused until the shop lifts the restriction.
    #[response(
        status = 423,
        content_type = "application/problem+json",
        example = json!({
            "type": "/problems/data-restricted",
            "title": "The data are restricted",
            "status": 423,
            "detail": "Your data are restricted at your request (GDPR art. 18): they cannot be changed until the restriction is lifted; write to the shop to lift it.",
            "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85"
        })
    )]
    Restricted(Problem),
}

/// The errors of an operation open to guests and signed-in customers alike
/// (carts, orders read with their secret): a token is optional, but one
/// that is sent must be valid.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // documentation only: errors are `ApiError`s
pub enum MaybeSignedInErrors {
    /// Neither a token nor the cart's or order's secret was sent, or a
    /// token was sent but is not valid or its session has ended (send none
    /// to act as a guest, with the secret).
    #[response(
        status = 401,
        content_type = "application/problem+json",
        example = json!({
            "type": "/problems/unauthorized",
            "title": "Authentication is required",
            "status": 401,
            "detail": "The access token is invalid, expired, or its session has ended; log in again.",
            "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85"
        })
    )]
    Unauthorized(Problem),
    /// The token's account still has its generated password: change it
    /// first.
    #[response(
        status = 403,
        content_type = "application/problem+json",
        example = json!({
            "type": "/problems/password-change-required",
            "title": "The password must be changed first",
            "status": 403,
            "detail": "This account has a generated password: change it with PUT /v1/me/password first.",
            "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85"
        })
    )]
    PasswordChangeRequired(Problem),
}

/// The 429 of an unauthenticated operation limited per source (20 an hour)
/// that a banned source cannot use either.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // documentation only
pub enum ThrottledErrors {
    /// Too many requests of this kind from this address within the hour
    /// (`reason: rate_limited`), or the address is banned (`source_banned`);
    /// see `Retry-After`.
    #[response(
        status = 429,
        content_type = "application/problem+json",
        headers(("Retry-After" = u32, description = "Seconds to wait before trying again")),
        examples(
            ("rate-limited" = (summary = "20 requests of this kind from this address within the hour", value = json!({
                "type": "/problems/too-many-requests",
                "title": "Too many requests",
                "status": 429,
                "detail": "Too many requests of this kind from this address; retry in 1800 seconds.",
                "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85",
                "reason": "rate_limited",
                "retry_after": 1800
            }))),
            ("source-banned" = (summary = "The address is banned", value = json!({
                "type": "/problems/too-many-requests",
                "title": "Too many requests",
                "status": 429,
                "detail": "This address is banned after repeated failures; retry in 3599 seconds.",
                "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85",
                "reason": "source_banned",
                "retry_after": 3599
            })))
        )
    )]
    Throttled(Problem),
}

/// The 429 of an unauthenticated operation whose failures count toward the
/// source's ban (invalid link tokens, like failed logins).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // documentation only
pub enum BannedErrors {
    /// The address is banned for an hour after 20 invalid link tokens or
    /// failed logins (`reason: source_banned`); see `Retry-After`.
    #[response(
        status = 429,
        content_type = "application/problem+json",
        headers(("Retry-After" = u32, description = "Seconds to wait before trying again")),
        example = json!({
            "type": "/problems/too-many-requests",
            "title": "Too many requests",
            "status": 429,
            "detail": "This address is banned after repeated failures; retry in 3599 seconds.",
            "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85",
            "reason": "source_banned",
            "retry_after": 3599
        })
    )]
    Banned(Problem),
}

/// The errors of every operation that reads a JSON body.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // documentation only
pub enum BodyErrors {
    /// `validation-failed`: fields are missing, of the wrong type, unknown,
    /// `null`, out of bounds or break a rule, every one listed in `errors`
    /// with its JSON path and code (messages in English or French by
    /// `Accept-Language`); `malformed-json`: the body is not JSON at all.
    #[response(
        status = 400,
        content_type = "application/problem+json",
        examples(
            ("validation-failed" = (
                summary = "Two fields refused at once",
                value = json!({
                    "type": "/problems/validation-failed",
                    "title": "The request has invalid fields",
                    "status": 400,
                    "detail": "2 fields were refused; see errors.",
                    "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85",
                    "errors": [
                        {"field": "name", "code": "required", "message": "is required"},
                        {"field": "phone", "code": "invalid_format", "message": "does not have the expected format (see the field's description)"}
                    ]
                })
            )),
            ("malformed-json" = (
                summary = "The body is not JSON",
                value = json!({
                    "type": "/problems/malformed-json",
                    "title": "The request body is not valid JSON for this operation",
                    "status": 400,
                    "detail": "The body is not valid JSON (line 1, column 49).",
                    "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85"
                })
            ))
        )
    )]
    Invalid(Problem),
    /// The body is larger than the limit (`BOUTIQUE_BODY_LIMIT`, 65536
    /// bytes by default, or more where this operation's schema allows a
    /// larger body; the problem's `detail` says how many bytes).
    #[response(
        status = 413,
        content_type = "application/problem+json",
        example = json!({
            "type": "/problems/payload-too-large",
            "title": "The request body is too large",
            "status": 413,
            "detail": "The body must be at most 65536 bytes.",
            "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85"
        })
    )]
    TooLarge(Problem),
    /// The body is not `application/json`.
    #[response(
        status = 415,
        content_type = "application/problem+json",
        example = json!({
            "type": "/problems/unsupported-media-type",
            "title": "Unsupported media type",
            "status": 415,
            "detail": "Send the body as application/json.",
            "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85"
        })
    )]
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
    /// A list cursor was made for other filters, another sort or order.
    #[error("cursor mismatch")]
    CursorMismatch,
    /// A request with this `Idempotency-Key` is still being processed.
    #[error("idempotency key in use")]
    IdempotencyKeyInUse,
    /// This `Idempotency-Key` was used with another request.
    #[error("idempotency key reused")]
    IdempotencyKeyReused,
    /// The cart was checked out or merged already.
    #[error("cart closed")]
    CartClosed,
    /// The cart was checked out with this `Idempotency-Key` and another
    /// request.
    #[error("idempotency key conflict")]
    IdempotencyConflict,
    /// Lines of the cart (by id) are no longer for sale.
    #[error("items unavailable")]
    ItemsUnavailable(Vec<String>),
    /// An order cannot go from its status to the one asked for.
    #[error("illegal transition")]
    IllegalTransition {
        /// The current status.
        from: String,
        /// The status asked for.
        to: String,
    },
    /// A download link expired, was never valid, or its order was
    /// cancelled or refunded.
    #[error("download link expired")]
    DownloadLinkExpired,
    /// A file was downloaded as many times as an order allows.
    #[error("download limit reached")]
    DownloadLimitReached,
    /// The customer's data are restricted (GDPR art. 18): frozen.
    #[error("data restricted")]
    DataRestricted,
    /// A refund above what is left of the order's payment.
    #[error("refund exceeds payment")]
    RefundExceedsPayment {
        /// What is left to refund, as displayed (`50.00 EUR`).
        remaining: String,
        /// What was asked, as displayed.
        requested: String,
        /// Nothing at all is left.
        nothing_left: bool,
    },
    /// The payment provider did not make a refund, or card payments are not
    /// configured: nothing was refunded.
    #[error("refund failed: {0}")]
    RefundFailed(String),
    /// Locked, banned or rate limited; retry after this many seconds.
    #[error("too many requests")]
    TooManyRequests {
        /// Seconds to wait.
        retry_after: i64,
        /// Which limit.
        reason: LimitReasonDto,
    },
    /// A dependency (the database) is unavailable.
    #[error("service unavailable")]
    Unavailable,
    /// The payment provider failed, or card payments are not configured.
    #[error("payment provider unavailable: {0}")]
    PaymentUnavailable(String),
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
            IdentityError::Limited {
                retry_after,
                reason,
                ..
            } => Self::TooManyRequests {
                retry_after,
                reason: match reason {
                    LimitReason::AccountLocked => LimitReasonDto::AccountLocked,
                    LimitReason::SourceBanned => LimitReasonDto::SourceBanned,
                    LimitReason::RateLimited => LimitReasonDto::RateLimited,
                },
            },
            IdentityError::Unauthenticated { token_presented } => Self::Unauthorized {
                invalid_token: token_presented,
            },
            IdentityError::SessionEnded => Self::Unauthorized {
                invalid_token: true,
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
            IdentityError::Restricted => Self::DataRestricted,
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

/// The one mapping of the consent, newsletter, contact, blog and shop use
/// cases' errors to problems.
impl From<domain::service::ServiceError> for ApiError {
    fn from(e: domain::service::ServiceError) -> Self {
        use domain::service::ServiceError as E;
        match e {
            E::Invalid(f) => Self::Validation(f),
            E::NotFound(detail) => Self::NotFound(detail.into()),
            E::Conflict(detail) => Self::Conflict(detail),
            E::Taken("slug") => Self::SlugTaken,
            E::Taken(what) => Self::Conflict(format!("this {what} is already taken")),
            E::InvalidLinkToken => {
                let mut f = FieldErrors::default();
                f.push(
                    "token",
                    "is unknown, already used or expired; ask for a new link",
                );
                Self::Validation(f)
            }
            E::CartClosed => Self::CartClosed,
            E::IdempotencyConflict => Self::IdempotencyConflict,
            E::ItemsUnavailable(ids) => Self::ItemsUnavailable(ids),
            E::IllegalTransition { from, to } => Self::IllegalTransition {
                from: from.to_owned(),
                to: to.to_owned(),
            },
            E::Unavailable(why) => Self::PaymentUnavailable(why),
            E::RefundExceedsPayment {
                remaining,
                requested,
                currency,
            } => {
                let show = |cents: i64| {
                    domain::money::Money::new(cents, currency)
                        .map_or_else(|_| format!("{cents} cents"), |m| m.to_string())
                };
                Self::RefundExceedsPayment {
                    remaining: show(remaining),
                    requested: show(requested),
                    nothing_left: remaining <= 0,
                }
            }
            E::RefundFailed(why) => Self::RefundFailed(why),
            E::Identity(i) => i.into(),
            E::Storage(s) => s.into(),
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
    "/problems/cursor-mismatch",
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
    "/problems/idempotency-key-in-use",
    "/problems/cart-closed",
    "/problems/idempotency-key-conflict",
    "/problems/items-unavailable",
    "/problems/illegal-transition",
    "/problems/refund-exceeds-payment",
    "/problems/download-link-expired",
    "/problems/download-limit-reached",
    "/problems/data-restricted",
    "/problems/length-required",
    "/problems/payload-too-large",
    "/problems/uri-too-long",
    "/problems/unsupported-media-type",
    "/problems/unprocessable-content",
    "/problems/idempotency-key-reused",
    "/problems/too-many-requests",
    "/problems/headers-too-large",
    "/problems/client-error",
    "/problems/internal-error",
    "/problems/service-unavailable",
    "/problems/payment-provider-unavailable",
];

/// What each problem type means: its status and a short explanation, served
/// at the type's own URI (`GET /problems/{slug}`) and used to type each
/// operation's error responses in the OpenAPI document.
pub const PROBLEM_DOCS: &[(&str, u16, &str)] = &[
    (
        "/problems/bad-request",
        400,
        "The request could not be understood: a query string that does not parse, a header that breaks its rule.",
    ),
    (
        "/problems/validation-failed",
        400,
        "Fields or parameters break a rule; `errors` lists every one of them with its field, code and message.",
    ),
    ("/problems/malformed-json", 400, "The body is not JSON."),
    (
        "/problems/cursor-mismatch",
        400,
        "The cursor was made for other filters, sort or order: start again from the first page.",
    ),
    (
        "/problems/unauthorized",
        401,
        "No valid credentials: send `Authorization: Bearer <access_token>`, or log in again when the session has ended.",
    ),
    (
        "/problems/invalid-credentials",
        401,
        "The e-mail address or the password is wrong (never says which).",
    ),
    (
        "/problems/forbidden",
        403,
        "Authenticated, but the account's role does not grant this operation.",
    ),
    (
        "/problems/password-change-required",
        403,
        "The account has a generated password: change it with `PUT /v1/me/password` first.",
    ),
    (
        "/problems/not-found",
        404,
        "No resource at this path, or none that this caller may see.",
    ),
    (
        "/problems/method-not-allowed",
        405,
        "The path exists but not with this method; `Allow` lists the methods.",
    ),
    (
        "/problems/not-acceptable",
        406,
        "No representation matches the `Accept` header.",
    ),
    (
        "/problems/request-timeout",
        408,
        "The request took too long to arrive.",
    ),
    (
        "/problems/conflict",
        409,
        "The request conflicts with the current state of the resource.",
    ),
    (
        "/problems/email-taken",
        409,
        "Another account uses this e-mail address.",
    ),
    (
        "/problems/self-demotion",
        409,
        "Administrators cannot remove their own administrator role, so the shop always keeps one.",
    ),
    (
        "/problems/slug-taken",
        409,
        "Another plan (or article) uses this slug.",
    ),
    (
        "/problems/sku-taken",
        409,
        "Another format uses one of these SKUs.",
    ),
    (
        "/problems/idempotency-key-in-use",
        409,
        "A request with this `Idempotency-Key` is still being processed: retry later.",
    ),
    (
        "/problems/cart-closed",
        409,
        "The cart was checked out or merged into another cart: it takes no more changes. Create a new one (`POST /v1/carts`).",
    ),
    (
        "/problems/idempotency-key-conflict",
        409,
        "The cart was checked out with this `Idempotency-Key` and another request body: the same body answers the order made then; a new order needs a new cart and a new key.",
    ),
    (
        "/problems/items-unavailable",
        409,
        "Some lines of the cart are no longer for sale (the plan was unpublished or the format removed); `line_ids` names them. Remove them and check out again.",
    ),
    (
        "/problems/illegal-transition",
        409,
        "The order cannot move from its status to the one asked for (a paid order cannot be cancelled by its customer, a completed one not put on hold...); `from` and `to` name both.",
    ),
    (
        "/problems/refund-exceeds-payment",
        409,
        "A refund would give back more than what is left of the order's payment (what was paid minus its refunds, those under way included), or nothing is left: the detail says how much may still be refunded.",
    ),
    (
        "/problems/download-link-expired",
        410,
        "The download link has expired (links work for a limited time once listed), was never valid, or its order was cancelled or refunded: list the order's downloads again (`GET /v1/orders/{order_id}/downloads`) for fresh links.",
    ),
    (
        "/problems/data-restricted",
        423,
        "The customer's data are restricted at their request (GDPR art. 18): kept, left out of mailings, and frozen: changes are refused until the shop lifts the restriction.",
    ),
    (
        "/problems/download-limit-reached",
        410,
        "The file was downloaded as many times as an order allows (a limit per format and order): contact the shop.",
    ),
    (
        "/problems/length-required",
        411,
        "A `Content-Length` is required.",
    ),
    (
        "/problems/payload-too-large",
        413,
        "The body is larger than the configured limit.",
    ),
    (
        "/problems/uri-too-long",
        414,
        "The request URI is too long.",
    ),
    (
        "/problems/unsupported-media-type",
        415,
        "The body must be sent as `application/json`.",
    ),
    (
        "/problems/unprocessable-content",
        422,
        "The request is well-formed but cannot be processed.",
    ),
    (
        "/problems/idempotency-key-reused",
        422,
        "This `Idempotency-Key` was used with another request body: use a new key for a new request.",
    ),
    (
        "/problems/too-many-requests",
        429,
        "A limit refused the request: `reason` says which (`account_locked`, `source_banned`, `rate_limited`); wait `retry_after` seconds (also in `Retry-After`).",
    ),
    (
        "/problems/headers-too-large",
        431,
        "The request headers are too large.",
    ),
    (
        "/problems/client-error",
        400,
        "The request cannot be served.",
    ),
    (
        "/problems/internal-error",
        500,
        "An unexpected error; it has been logged with the request id.",
    ),
    (
        "/problems/service-unavailable",
        503,
        "A dependency (the database) is not reachable; retry later (`Retry-After`).",
    ),
    (
        "/problems/payment-provider-unavailable",
        503,
        "Card payments cannot be started (or a card payment refunded) now: the provider did not answer or refused, or card payments are not configured. The order is kept as it was; retry after `Retry-After` (or pay by bank transfer).",
    ),
];

/// The status and explanation of a problem type.
#[must_use]
pub fn problem_doc(kind: &str) -> Option<(u16, &'static str)> {
    PROBLEM_DOCS
        .iter()
        .find(|(k, _, _)| *k == kind)
        .map(|(_, status, text)| (*status, *text))
}

/// A request id as the examples of the document show it.
pub const EXAMPLE_REQUEST_ID: &str = "01a21faf-6bed-763f-b118-5f19d3069f85";

/// A typical problem answered with `status`, as the API renders it, for the
/// OpenAPI document's examples (`None` for a status no operation documents).
#[must_use]
pub fn example_problem(status: u16) -> Option<Problem> {
    let error = match status {
        400 => {
            let mut f = FieldErrors::default();
            f.push_code(
                "phone",
                domain::FieldCode::InvalidFormat,
                i18n::for_code(Lang::En, domain::FieldCode::InvalidFormat, &[]),
            );
            ApiError::Validation(f)
        }
        401 => ApiError::Unauthorized {
            invalid_token: true,
        },
        403 => ApiError::Forbidden("Staff only.".into()),
        404 => ApiError::NotFound("No resource at this path.".into()),
        409 => ApiError::EmailTaken,
        410 => ApiError::DownloadLinkExpired,
        423 => ApiError::DataRestricted,
        413 => ApiError::PayloadTooLarge(65_536),
        415 => ApiError::UnsupportedMediaType,
        422 => ApiError::IdempotencyKeyReused,
        429 => ApiError::TooManyRequests {
            retry_after: 60,
            reason: LimitReasonDto::AccountLocked,
        },
        500 => ApiError::Internal(anyhow::anyhow!("example")),
        503 => ApiError::Unavailable,
        _ => return None,
    };
    let mut problem = error.problem();
    problem.request_id = Some(EXAMPLE_REQUEST_ID.to_owned());
    Some(problem)
}

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
            Self::CursorMismatch => ("cursor-mismatch", "The cursor belongs to another listing"),
            Self::IdempotencyKeyInUse => (
                "idempotency-key-in-use",
                "A request with this Idempotency-Key is still being processed",
            ),
            Self::IdempotencyKeyReused => (
                "idempotency-key-reused",
                "The Idempotency-Key was used with another request",
            ),
            Self::CartClosed => ("cart-closed", "The cart is closed"),
            Self::IdempotencyConflict => (
                "idempotency-key-conflict",
                "The cart was checked out with this Idempotency-Key and another request",
            ),
            Self::ItemsUnavailable(_) => ("items-unavailable", "Some items are no longer for sale"),
            Self::IllegalTransition { .. } => {
                ("illegal-transition", "The order cannot move to this status")
            }
            Self::DownloadLinkExpired => (
                "download-link-expired",
                "The download link has expired or is not valid",
            ),
            Self::DataRestricted => ("data-restricted", "The data are restricted"),
            Self::DownloadLimitReached => (
                "download-limit-reached",
                "The download limit of this file is reached",
            ),
            Self::PaymentUnavailable(_) | Self::RefundFailed(_) => (
                "payment-provider-unavailable",
                "The payment provider is not available",
            ),
            Self::RefundExceedsPayment { .. } => (
                "refund-exceeds-payment",
                "The refund exceeds what is left of the payment",
            ),
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
            Self::CursorMismatch => {
                "The cursor was made for other filters, sort or order: start again from the first page."
                    .to_owned()
            }
            Self::IdempotencyKeyInUse => {
                "A request with this Idempotency-Key is still being processed; retry in a moment to get its answer."
                    .to_owned()
            }
            Self::IdempotencyKeyReused => {
                "This Idempotency-Key was sent with another request body in the last 24 hours; use a new key for a new request."
                    .to_owned()
            }
            Self::PasswordChangeRequired => {
                "This account has a generated password: change it with PUT /v1/me/password first."
                    .to_owned()
            }
            Self::CartClosed => {
                "This cart was checked out or merged into another: create a new cart with POST /v1/carts."
                    .to_owned()
            }
            Self::IdempotencyConflict => {
                "This cart was checked out with this Idempotency-Key and another request body: send the same body to get that order, or use a new key for a new cart."
                    .to_owned()
            }
            Self::ItemsUnavailable(ids) => format!(
                "{} line{} of the cart {} no longer for sale (see line_ids): remove {} and check out again.",
                ids.len(),
                if ids.len() == 1 { "" } else { "s" },
                if ids.len() == 1 { "is" } else { "are" },
                if ids.len() == 1 { "it" } else { "them" },
            ),
            Self::IllegalTransition { from, to } => {
                format!("An order cannot go from {from} to {to}.")
            }
            Self::DownloadLinkExpired => {
                "This download link has expired or is not valid, or its order was cancelled or refunded: list the order's downloads again (GET /v1/orders/{order_id}/downloads) for fresh links."
                    .to_owned()
            }
            Self::DownloadLimitReached => {
                "This file was downloaded as many times as the order allows; contact the shop if you need it again."
                    .to_owned()
            }
            Self::DataRestricted => {
                "Your data are restricted at your request (GDPR art. 18): they cannot be changed until the restriction is lifted; write to the shop to lift it."
                    .to_owned()
            }
            Self::TooManyRequests {
                retry_after,
                reason,
            } => match reason {
                LimitReasonDto::AccountLocked => format!(
                    "Too many failed logins for this account from this address; retry in {retry_after} seconds, or reset the password."
                ),
                LimitReasonDto::SourceBanned => format!(
                    "This address is banned after repeated failures; retry in {retry_after} seconds."
                ),
                LimitReasonDto::RateLimited => format!(
                    "Too many requests of this kind from this address; retry in {retry_after} seconds."
                ),
                LimitReasonDto::KeyRateLimited => format!(
                    "This API key made more requests this minute than it may; retry in {retry_after} seconds."
                ),
            },
            Self::MethodNotAllowed(allow) => format!("Allowed methods: {}.", allow.join(", ")),
            Self::UnsupportedMediaType => "Send the body as application/json.".to_owned(),
            Self::PayloadTooLarge(limit) => format!("The body must be at most {limit} bytes."),
            Self::Unavailable => "The database is not reachable; retry later.".to_owned(),
            Self::RefundExceedsPayment {
                nothing_left: true,
                ..
            } => "Nothing is left to refund on this order: what was paid is refunded (or being refunded) in full."
                .to_owned(),
            Self::RefundExceedsPayment {
                remaining,
                requested,
                ..
            } => format!(
                "At most {remaining} can still be refunded on this order (what was paid minus its refunds, those under way included); {requested} was asked."
            ),
            Self::RefundFailed(why) => format!(
                "The card payment could not be refunded ({why}): nothing was refunded and the order is unchanged; retry later."
            ),
            Self::PaymentUnavailable(why) => format!(
                "Card payments cannot be started now ({why}); the order is kept: retry later, or pay by bank transfer."
            ),
            Self::Internal(_) => "An unexpected error occurred; it has been logged.".to_owned(),
        };
        let errors = match self {
            Self::Validation(e) => Some(
                e.0.iter()
                    .map(|f| FieldProblem {
                        field: f.field.clone(),
                        code: f.code.into(),
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
            reason: match self {
                Self::TooManyRequests { reason, .. } => Some(*reason),
                _ => None,
            },
            retry_after: match self {
                Self::TooManyRequests { retry_after, .. } => Some(*retry_after),
                _ => None,
            },
            line_ids: match self {
                Self::ItemsUnavailable(ids) => Some(ids.clone()),
                _ => None,
            },
            from: match self {
                Self::IllegalTransition { from, .. } => Some(from.clone()),
                _ => None,
            },
            to: match self {
                Self::IllegalTransition { to, .. } => Some(to.clone()),
                _ => None,
            },
        }
    }
}

impl ApiError {
    /// [`ApiError::problem`] told in `lang`: a validation problem's title,
    /// detail and messages (the others are in English).
    #[must_use]
    pub fn problem_in(&self, lang: Lang) -> Problem {
        let mut problem = self.problem();
        if let Self::Validation(e) = self
            && lang != Lang::En
        {
            problem.title = i18n::validation_title(lang).to_owned();
            problem.detail = i18n::validation_detail(lang, e.0.len());
            problem.errors = Some(
                e.0.iter()
                    .map(|f| FieldProblem {
                        field: f.field.clone(),
                        code: f.code.into(),
                        message: i18n::message(lang, f),
                    })
                    .collect(),
            );
        }
        problem
    }

    /// The language of this error's body, when it depends on the request's
    /// (validation problems).
    #[must_use]
    pub const fn is_localised(&self) -> bool {
        matches!(self, Self::Validation(_))
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
        reason: None,
        retry_after: None,
        line_ids: None,
        from: None,
        to: None,
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Validation(_)
            | Self::BadRequest(_)
            | Self::MalformedJson(_)
            | Self::CursorMismatch => StatusCode::BAD_REQUEST,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Unauthorized { .. } | Self::InvalidCredentials => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) | Self::PasswordChangeRequired => StatusCode::FORBIDDEN,
            Self::Conflict(_)
            | Self::EmailTaken
            | Self::SelfDemotion
            | Self::SlugTaken
            | Self::SkuTaken
            | Self::IdempotencyKeyInUse
            | Self::CartClosed
            | Self::IdempotencyConflict
            | Self::ItemsUnavailable(_)
            | Self::IllegalTransition { .. }
            | Self::RefundExceedsPayment { .. } => StatusCode::CONFLICT,
            Self::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            Self::DownloadLinkExpired | Self::DownloadLimitReached => StatusCode::GONE,
            Self::DataRestricted => StatusCode::LOCKED,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unavailable | Self::PaymentUnavailable(_) | Self::RefundFailed(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
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
            Self::PaymentUnavailable(_) | Self::RefundFailed(_) => {
                res.insert_header((header::RETRY_AFTER, HeaderValue::from_static("30")));
            }
            Self::IdempotencyKeyInUse => {
                res.insert_header((header::RETRY_AFTER, HeaderValue::from_static("1")));
            }
            Self::TooManyRequests {
                retry_after,
                reason,
            } => {
                res.insert_header((header::RETRY_AFTER, retry_after.to_string()));
                // IETF httpapi RateLimit header fields (structured fields).
                let (quota, window) = reason.policy();
                if quota > 0 {
                    res.insert_header((
                        "ratelimit-policy",
                        format!("\"{}\";q={quota};w={window}", reason.name()),
                    ));
                }
                res.insert_header((
                    "ratelimit",
                    format!("\"{}\";r=0;t={retry_after}", reason.name()),
                ));
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
                ApiError::IdempotencyKeyInUse,
                409,
                "/problems/idempotency-key-in-use",
            ),
            (
                ApiError::IdempotencyKeyReused,
                422,
                "/problems/idempotency-key-reused",
            ),
            (ApiError::CartClosed, 409, "/problems/cart-closed"),
            (
                ApiError::RefundExceedsPayment {
                    remaining: "50.00 EUR".into(),
                    requested: "60.00 EUR".into(),
                    nothing_left: false,
                },
                409,
                "/problems/refund-exceeds-payment",
            ),
            (
                ApiError::RefundFailed("Stripe unreachable".into()),
                503,
                "/problems/payment-provider-unavailable",
            ),
            (ApiError::DataRestricted, 423, "/problems/data-restricted"),
            (
                ApiError::DownloadLinkExpired,
                410,
                "/problems/download-link-expired",
            ),
            (
                ApiError::DownloadLimitReached,
                410,
                "/problems/download-limit-reached",
            ),
            (
                ApiError::IdempotencyConflict,
                409,
                "/problems/idempotency-key-conflict",
            ),
            (
                ApiError::ItemsUnavailable(vec!["x".into()]),
                409,
                "/problems/items-unavailable",
            ),
            (
                ApiError::IllegalTransition {
                    from: "completed".into(),
                    to: "cancelled".into(),
                },
                409,
                "/problems/illegal-transition",
            ),
            (
                ApiError::TooManyRequests {
                    retry_after: 60,
                    reason: LimitReasonDto::AccountLocked,
                },
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
    fn every_problem_type_has_its_explanation() {
        for kind in PROBLEM_TYPES {
            assert!(problem_doc(kind).is_some(), "{kind} has no explanation");
        }
        for (kind, _, _) in PROBLEM_DOCS {
            assert!(PROBLEM_TYPES.contains(kind), "{kind} is not a listed type");
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
        let res = ApiError::TooManyRequests {
            retry_after: 90,
            reason: LimitReasonDto::SourceBanned,
        }
        .error_response();
        assert_eq!(res.headers().get(header::RETRY_AFTER).unwrap(), "90");
    }

    #[test]
    fn shop_errors_carry_their_extension_members() {
        use domain::service::ServiceError as E;
        let b = body(
            ApiError::from(E::ItemsUnavailable(vec!["l1".into(), "l2".into()])).error_response(),
        );
        assert_eq!(b["type"], "/problems/items-unavailable");
        assert_eq!(b["line_ids"], serde_json::json!(["l1", "l2"]));
        let b = body(
            ApiError::from(E::IllegalTransition {
                from: "completed",
                to: "cancelled",
            })
            .error_response(),
        );
        assert_eq!(b["type"], "/problems/illegal-transition");
        assert_eq!(
            (b["from"].as_str(), b["to"].as_str()),
            (Some("completed"), Some("cancelled"))
        );
        let b = body(ApiError::from(E::CartClosed).error_response());
        assert_eq!(b["type"], "/problems/cart-closed");
        assert!(b.get("line_ids").is_none() && b.get("from").is_none());
        assert_eq!(
            ApiError::from(E::IdempotencyConflict).problem().kind,
            "/problems/idempotency-key-conflict"
        );
        assert_eq!(
            ApiError::from(E::Conflict("the cart is empty".into()))
                .problem()
                .kind,
            "/problems/conflict"
        );
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
