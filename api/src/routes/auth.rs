//! `/v1/auth/*`: registration, login, logout, forgotten passwords.

use actix_web::{HttpResponse, post};
use chrono::{DateTime, Utc};
use domain::FieldErrors;
use domain::identity::{Email, Language, Password, PersonName, Phone};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::common::{Accepted, validate};
use crate::auth::{AuthAllowingPasswordChange, Caller};
use crate::body::Body;
use crate::idempotency::{Answer, IdempotencyErrors, IdempotencyKeyHeader, IdempotentBody};
use crate::problem::{
    ApiError, BannedErrors, BodyErrors, Problem, SignedInErrors, ThrottledErrors,
};
use crate::state::SharedState;
use domain::identity::{Credentials, Registration};

/// The language of the e-mails the shop sends to an account (set-password
/// and reset links, notices):
///
/// - `fr`: French (the default).
/// - `en`: English.
///
/// The API's own error messages follow each request's `Accept-Language`
/// instead.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = Language)]
pub enum LanguageDto {
    /// French.
    Fr,
    /// English.
    En,
}

impl From<LanguageDto> for Language {
    fn from(l: LanguageDto) -> Self {
        match l {
            LanguageDto::Fr => Self::Fr,
            LanguageDto::En => Self::En,
        }
    }
}

impl From<Language> for LanguageDto {
    fn from(l: Language) -> Self {
        match l {
            Language::Fr => Self::Fr,
            Language::En => Self::En,
        }
    }
}

/// A new customer account (the body of `POST /v1/auth/register`).
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "email": "jeanne.dupont@example.fr",
    "name": "Jeanne Dupont",
    "phone": "+33 6 12 34 56 78",
    "password": "un long mot de passe facile à retenir",
    "accept_privacy_policy": true,
    "privacy_policy_version": 1,
    "preferred_language": "fr"
}))]
#[schema(as = Registration)]
pub struct RegisterRequest {
    /// E-mail address (`name@example.com`, at most 254 bytes); also the login.
    #[validate(length(max = 254))]
    #[schema(min_length = 5, max_length = 254)]
    pub email: String,
    /// Full name: 1 to 100 characters, not blank, without control
    /// characters (surrounding white space is dropped).
    #[validate(length(max = 100))]
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^\u0000-\u001f\u007f-\u009f]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
    )]
    pub name: String,
    /// Phone number, optional: an optional leading `+`, then 6 to 15
    /// digits, which spaces, dots, hyphens and brackets may separate. A
    /// blank string is the same as none.
    #[validate(length(max = 32))]
    #[schema(
        max_length = 32,
        pattern = r"^[\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*(?:\+?[ .()-]*(?:[0-9][ .()-]*){6,15})?[\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
    )]
    pub phone: Option<String>,
    /// A password of 12 to 128 characters, not a common one. Without it, the
    /// customer receives by e-mail a set-password link or a generated
    /// password (per the shop's configuration).
    #[validate(length(max = 128))]
    #[schema(min_length = 12, max_length = 128)]
    pub password: Option<String>,
    /// Must be `true`: the customer ticked the box accepting the privacy
    /// policy. Never implied.
    pub accept_privacy_policy: bool,
    /// The version of the privacy policy shown and accepted: must be the
    /// version in force (`GET /v1/legal/privacy-policy`), else the field
    /// is refused. The consent ledger records it with its text's hash.
    #[schema(example = 1, minimum = 1, maximum = 1000000)]
    pub privacy_policy_version: i32,
    /// The version of the terms shown and accepted: required once terms
    /// are published (`GET /v1/legal/terms`), and then the version in force.
    #[schema(example = 1, minimum = 1, maximum = 1000000)]
    pub terms_version: Option<i32>,
    /// Language of the e-mails the shop sends (`fr` when absent).
    pub preferred_language: Option<LanguageDto>,
}

/// Create a customer account.
///
/// Answers 202 whether or not the address already has an account (its owner
/// is told by e-mail instead, at most once per 10 minutes), so that the
/// answer reveals nothing. At most 20 registrations per source and hour.
///
/// Without a password, the customer receives by e-mail a single-use link
/// `<BOUTIQUE_FRONTEND_URL>/account/set-password?token=<token>`, valid 48
/// hours (`BOUTIQUE_SET_PASSWORD_LINK_HOURS`), whose page checks the token
/// with `POST /v1/auth/password/check` and sets the password with
/// `POST /v1/auth/password/reset` (or a generated password, per
/// `BOUTIQUE_ACCOUNT_SETUP`).
#[utoipa::path(
    tag = "auth",
    operation_id = "register",
    params(IdempotencyKeyHeader),
    request_body = RegisterRequest,
    responses(
        (status = 202, description = "Accepted; an e-mail follows", body = Accepted, headers(
            ("Idempotent-Replayed" = String, description = "`true` when this is the recorded answer of an earlier request with the same `Idempotency-Key`"),
        ), example = json!({
            "status": "accepted",
            "detail": "If this address can be registered, an e-mail is on its way."
        })),
        IdempotencyErrors,
        ThrottledErrors,
        (status = 500, description = "Unexpected error", body = Problem, content_type = "application/problem+json"),
        BodyErrors,
    )
)]
#[post("/v1/auth/register")]
pub async fn register(
    state: SharedState,
    caller: Caller,
    body: IdempotentBody<RegisterRequest>,
) -> Result<HttpResponse, ApiError> {
    let (b, idempotency) = body.read().await?;
    validate(&b)?;
    let mut f = FieldErrors::default();
    let email = f.take_coded("email", Email::parse(&b.email));
    let name = f.take_coded("name", PersonName::parse(&b.name));
    let phone = b
        .phone
        .as_deref()
        .filter(|p| !p.trim().is_empty())
        .and_then(|p| f.take_coded("phone", Phone::parse(p)));
    let password = b
        .password
        .as_deref()
        .and_then(|p| f.take_coded("password", Password::parse(p)));
    if !b.accept_privacy_policy {
        f.push(
            "accept_privacy_policy",
            "must be true: the privacy policy has to be actively accepted",
        );
    }
    let (email, name) = f.finish(|| Some((email?, name?)))?;
    let registration = Registration {
        email,
        name,
        phone,
        password,
        language: b.preferred_language.map_or(Language::Fr, Language::from),
        policy_version: b.privacy_policy_version,
        terms_version: b.terms_version,
    };
    let origin = caller.0;
    // Anonymous: the key is the source's (its keyed hash). The answer is the
    // same fixed message whatever happened, so recording it reveals nothing.
    let caller = domain::idempotency::Caller::source(&origin.source);
    idempotency
        .run(&state, caller, move |state| async move {
            domain::identity::register(
                state.store.as_ref(),
                &state.hasher,
                &state.random,
                state.index.as_ref(),
                state.clock.as_ref(),
                &state.identity,
                registration,
                &origin,
            )
            .await?;
            Answer::accepted(&Accepted::new(
                "If this address can be registered, an e-mail is on its way.",
            ))
        })
        .await
}

/// An e-mail address and its password (the body of `POST /v1/auth/login`).
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "jeanne.dupont@example.fr", "password": "un long mot de passe facile à retenir", "remember_me": false}))]
#[schema(as = Credentials)]
pub struct LoginRequest {
    /// The account's e-mail address, as registered (case is ignored), at
    /// most 254 bytes.
    #[validate(length(max = 254))]
    #[schema(max_length = 254)]
    pub email: String,
    /// The account's password, at most 128 characters.
    #[validate(length(max = 128))]
    #[schema(max_length = 128)]
    pub password: String,
    /// "Remember me": the session lasts 14 days from login or renewal
    /// (renewable up to 90 days) instead of 2 (up to 30). `false` when absent.
    #[serde(default)]
    pub remember_me: bool,
}

/// A session's access token.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIwMTkzYTViMi03YzFlLTdkMmEtOWYwMC0zYjVjMWQyZTRmNjAifQ.c2lnbmF0dXJl",
    "token_type": "Bearer",
    "expires_at": "2026-11-30T12:00:00Z",
    "session_id": "0193a5b2-7c1e-7d2a-9f00-3b5c1d2e4f61",
    "must_change_password": false
}))]
pub struct AccessToken {
    /// A JWT (HS256) to send as `Authorization: Bearer <access_token>`;
    /// opaque to clients. It works until `expires_at` or until its session
    /// ends sooner (logout, revocation, a password reset, or a password
    /// change made in another session).
    pub access_token: String,
    /// The authorization scheme to send the token with: always `Bearer`.
    #[schema(example = "Bearer")]
    pub token_type: String,
    /// When the token and its session end (RFC 3339, UTC): 2 days after login
    /// or the last renewal, 14 with remember-me; `POST /v1/auth/refresh`
    /// renews it up to 30 days (90) after login.
    pub expires_at: DateTime<Utc>,
    /// The session's id (UUID v7), as listed in `GET /v1/me/sessions`.
    pub session_id: Uuid,
    /// The account has a generated password: only `PUT /v1/me/password` and
    /// logout work until it is changed.
    pub must_change_password: bool,
}

/// Log in.
///
/// Wrong e-mail and wrong password get the same 401. After 5 failures for an
/// account from one address, that pair is locked with exponential backoff
/// (429 with `Retry-After`); 20 failures from one address within an hour ban it.
#[utoipa::path(
    tag = "auth",
    operation_id = "login",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = AccessToken),
        (status = 401, description = "Invalid e-mail or password", body = Problem, content_type = "application/problem+json",
            example = json!({
                "type": "/problems/invalid-credentials",
                "title": "Invalid e-mail or password",
                "status": 401,
                "detail": "The e-mail address or the password is wrong.",
                "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85"
            })),
        (status = 429, description = "Locked or banned; see Retry-After", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u32, description = "Seconds to wait")),
            examples(
                ("account-locked" = (summary = "This account is locked for this address", value = json!({
                    "type": "/problems/too-many-requests",
                    "title": "Too many requests",
                    "status": 429,
                    "detail": "Too many failed logins for this account from this address; retry in 60 seconds, or reset the password.",
                    "request_id": "01a21faf-6bed-763f-b118-5f19d3069f85",
                    "reason": "account_locked",
                    "retry_after": 60
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
            )),
        (status = 500, description = "Unexpected error", body = Problem, content_type = "application/problem+json"),
        BodyErrors,
    )
)]
#[post("/v1/auth/login")]
pub async fn login(
    state: SharedState,
    caller: Caller,
    body: Body<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let b = body.read().await?;
    validate(&b)?;
    let out = domain::identity::login(
        state.store.as_ref(),
        &state.hasher,
        &state.tokens,
        state.index.as_ref(),
        state.clock.as_ref(),
        &state.identity,
        Credentials {
            email: b.email,
            password: b.password,
            remember_me: b.remember_me,
        },
        &caller.0,
    )
    .await?;
    Ok(HttpResponse::Ok().json(AccessToken::from(out)))
}

/// Log out: the token stops working at once.
#[utoipa::path(
    tag = "auth",
    operation_id = "logout",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Logged out"),
        (status = 500, description = "Unexpected error", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[post("/v1/auth/logout")]
pub async fn logout(
    state: SharedState,
    auth: AuthAllowingPasswordChange,
) -> Result<HttpResponse, ApiError> {
    domain::identity::logout(state.store.as_ref(), state.clock.as_ref(), &auth.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The address of an account whose password was forgotten (the body of
/// `POST /v1/auth/password/forgot`).
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "jeanne.dupont@example.fr"}))]
#[schema(as = ForgottenPassword)]
pub struct ForgotPasswordRequest {
    /// The account's e-mail address (case is ignored), at most 254 bytes: a
    /// reset link is mailed to it if it has an account.
    #[validate(length(max = 254))]
    #[schema(max_length = 254)]
    pub email: String,
}

/// Ask for a password reset link.
///
/// Always 202: the answer never says whether the address has an account,
/// and is given before the work is done, so its timing says nothing either.
/// One link per 10 minutes while a live one exists; at most 20 requests per
/// source and hour. The current password keeps working until the link is used.
///
/// The mail carries a single-use link
/// `<BOUTIQUE_FRONTEND_URL>/account/reset-password?token=<token>`, valid 1
/// hour (`BOUTIQUE_RESET_LINK_MINUTES`).
#[utoipa::path(
    tag = "auth",
    operation_id = "forgot_password",
    request_body = ForgotPasswordRequest,
    responses(
        (status = 202, description = "Accepted; an e-mail follows if the address has an account", body = Accepted),
        ThrottledErrors,
        (status = 500, description = "Unexpected error", body = Problem, content_type = "application/problem+json"),
        BodyErrors,
    )
)]
#[post("/v1/auth/password/forgot")]
pub async fn forgot_password(
    state: SharedState,
    caller: Caller,
    body: Body<ForgotPasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    let b = body.read().await?;
    validate(&b)?;
    domain::identity::throttle_password_requests(
        state.store.as_ref(),
        state.clock.as_ref(),
        &state.identity,
        &caller.0,
    )
    .await?;
    if let Ok(email) = Email::parse(&b.email) {
        // Answered first, done after: the answer takes the same time whether
        // or not the address has an account.
        let state = state.clone();
        state.background.clone().spawn(async move {
            if let Err(e) = domain::identity::forgot_password(
                state.store.as_ref(),
                &state.random,
                state.clock.as_ref(),
                &state.identity,
                &email,
            )
            .await
            {
                tracing::error!(error = %e, "password reset request failed");
            }
        });
    }
    Ok(HttpResponse::Accepted().json(Accepted::new(
        "If this address has an account, a reset link is on its way.",
    )))
}

/// A single-use token from an e-mail, and the new password (the body of
/// `POST /v1/auth/password/reset`).
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"token": "q1xq3Vq9b0-1pS9aZkOe3oJ5c2Jbq2n4m0xVhZbYt8A", "new_password": "un autre long mot de passe"}))]
#[schema(as = PasswordReset)]
pub struct ResetPasswordRequest {
    /// The `token` query parameter of the set-password link (valid 48 hours
    /// by default) or reset link (1 hour), at most 128 characters; single use.
    #[validate(length(max = 128))]
    #[schema(max_length = 128)]
    pub token: String,
    /// The new password: 12 to 128 characters, not a common one.
    #[validate(length(max = 128))]
    #[schema(min_length = 12, max_length = 128)]
    pub new_password: String,
}

/// Set a new password with a single-use token (reset or set-password link).
///
/// Works while the account is locked, lifts its locks, and ends all its
/// sessions. An unknown, used or expired token counts against the source
/// like a failed login.
#[utoipa::path(
    tag = "auth",
    operation_id = "reset_password",
    request_body = ResetPasswordRequest,
    responses(
        (status = 204, description = "Password set"),
        BannedErrors,
        (status = 500, description = "Unexpected error", body = Problem, content_type = "application/problem+json"),
        BodyErrors,
    )
)]
#[post("/v1/auth/password/reset")]
pub async fn reset_password(
    state: SharedState,
    caller: Caller,
    body: Body<ResetPasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    let b = body.read().await?;
    validate(&b)?;
    let mut f = FieldErrors::default();
    let password = f.take_coded("new_password", Password::parse(&b.new_password));
    let password = f.finish(|| password)?;
    domain::identity::reset_password(
        state.store.as_ref(),
        &state.hasher,
        state.index.as_ref(),
        state.clock.as_ref(),
        &state.identity,
        &b.token,
        &password,
        &caller.0,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

impl From<domain::identity::LoginOutcome> for AccessToken {
    fn from(out: domain::identity::LoginOutcome) -> Self {
        Self {
            access_token: out.access_token,
            token_type: "Bearer".into(),
            expires_at: out.expires_at,
            session_id: out.session_id.as_uuid(),
            must_change_password: out.must_change_password,
        }
    }
}

/// Renew the session: it lasts its period again from now.
///
/// A session lasts 2 days (14 with remember-me) from login or from its last
/// renewal, and cannot be renewed past 30 days (90 with remember-me) after
/// login: then log in again. The answer carries a new token with the new
/// end; the old token keeps working until its own end. A frontend renews
/// whenever the person is active and the end is near.
#[utoipa::path(
    tag = "auth",
    operation_id = "refresh_session",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Renewed; a new token", body = AccessToken),
        SignedInErrors,
    )
)]
#[post("/v1/auth/refresh")]
pub async fn refresh_session(
    state: SharedState,
    auth: AuthAllowingPasswordChange,
) -> Result<HttpResponse, ApiError> {
    let out = domain::identity::refresh(
        state.store.as_ref(),
        &state.tokens,
        state.clock.as_ref(),
        &state.identity,
        &auth.0,
    )
    .await?;
    Ok(HttpResponse::Ok().json(AccessToken::from(out)))
}

/// A token from a set-password or reset link, to check (the body of
/// `POST /v1/auth/password/check`).
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"token": "q1xq3Vq9b0-1pS9aZkOe3oJ5c2Jbq2n4m0xVhZbYt8A"}))]
#[schema(as = LinkToken)]
pub struct CheckTokenRequest {
    /// The link's `token` query parameter, 1 to 128 characters; checking it
    /// does not use it up.
    #[validate(length(min = 1, max = 128))]
    #[schema(min_length = 1, max_length = 128)]
    pub token: String,
}

/// What a link's token is for:
///
/// - `set_password`: the first password of an account created without one
///   (by registration or by an administrator); the link
///   `/account/set-password?token=` works 48 hours
///   (`BOUTIQUE_SET_PASSWORD_LINK_HOURS`).
/// - `reset_password`: a forgotten password; the link
///   `/account/reset-password?token=` works 1 hour
///   (`BOUTIQUE_RESET_LINK_MINUTES`).
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = LinkPurpose)]
pub enum LinkPurposeDto {
    /// The first password of an account created without one (link valid 48 hours).
    SetPassword,
    /// A forgotten password (link valid 1 hour).
    ResetPassword,
}

/// A link token that still works: what it is for and until when.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"purpose": "reset_password", "expires_at": "2026-11-26T13:00:00Z"}))]
pub struct LinkTokenInfo {
    /// Which form the link's page shows: first password or reset.
    pub purpose: LinkPurposeDto,
    /// When it stops working (RFC 3339, UTC): 48 hours after a set-password
    /// link was sent, 1 hour after a reset link was sent (by default).
    pub expires_at: DateTime<Utc>,
}

/// Check a set-password or reset token without using it.
///
/// Lets the link's page tell the person at once when the link is unknown,
/// used or expired, before showing the password form. Counted like a reset:
/// invalid tokens count against the source (20 an hour ban it).
#[utoipa::path(
    tag = "auth",
    operation_id = "check_password_token",
    request_body = CheckTokenRequest,
    responses(
        (status = 200, description = "The token works", body = LinkTokenInfo),
        BannedErrors,
        BodyErrors,
    )
)]
#[post("/v1/auth/password/check")]
pub async fn check_password_token(
    state: SharedState,
    caller: Caller,
    body: Body<CheckTokenRequest>,
) -> Result<HttpResponse, ApiError> {
    let b = body.read().await?;
    validate(&b)?;
    let info = domain::identity::check_link_token(
        state.store.as_ref(),
        state.clock.as_ref(),
        &state.identity,
        &b.token,
        &caller.0,
    )
    .await?;
    Ok(HttpResponse::Ok().json(LinkTokenInfo {
        purpose: match info.purpose {
            domain::identity::TokenPurpose::SetPassword => LinkPurposeDto::SetPassword,
            domain::identity::TokenPurpose::ResetPassword => LinkPurposeDto::ResetPassword,
        },
        expires_at: info.expires_at,
    }))
}
