//! The caller's profile, password and e-mail address.

use actix_web::{HttpResponse, get, patch, put, web};
use chrono::{DateTime, Utc};
use domain::FieldErrors;
use domain::identity::{Customer, Email, Password, PersonName, Phone, ProfileChanges};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::RoleDto;
use crate::auth::{Auth, AuthAllowingPasswordChange};
use crate::body::Body;
use crate::problem::{ApiError, BodyErrors, Problem, SignedInErrors};
use crate::routes::auth::LanguageDto;
use crate::routes::common::validate;
use crate::state::SharedState;

/// An account's profile.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01a21fb0-2c4e-7a31-8f0d-5b6e7c8d9e01",
    "email": "jeanne.dupont@example.fr",
    "name": "Jeanne Dupont",
    "phone": "+33612345678",
    "preferred_language": "fr",
    "display_preferences": {"catalogue_view": "grid"},
    "role": "customer",
    "must_change_password": false,
    "privacy_policy_version": 1,
    "consent_required": false,
    "created_at": "2026-11-02T08:15:00Z",
    "updated_at": "2026-11-20T17:42:31Z"
}))]
pub struct Profile {
    /// Account id (UUID v7).
    pub id: Uuid,
    /// E-mail address, as typed (surrounding spaces dropped); also the
    /// login, compared case-insensitively.
    #[schema(example = "jeanne.dupont@example.fr")]
    pub email: String,
    /// Full name, 1 to 100 characters.
    #[schema(example = "Jeanne Dupont")]
    pub name: String,
    /// Phone number as stored: an optional `+` and 6 to 15 digits, the
    /// separators given dropped; `null` when none was given.
    #[schema(example = "+33612345678")]
    pub phone: Option<String>,
    /// Language of the e-mails the shop sends (see `Language`).
    pub preferred_language: LanguageDto,
    /// Display preferences ("screen options") the frontend keeps here for
    /// itself: a JSON object of at most 4 KiB, `{}` when none; kept 1 year
    /// after their last change.
    #[schema(value_type = Object, example = json!({"catalogue_view": "grid"}))]
    pub display_preferences: serde_json::Value,
    /// What the account may do (see `Role`).
    pub role: RoleDto,
    /// `true` while the account has a generated password: only
    /// `PUT /v1/me/password` and logout work until it is changed.
    pub must_change_password: bool,
    /// The privacy policy version this customer last accepted (see
    /// `GET /v1/legal/privacy-policy/versions`); `null` for staff
    /// accounts, which do not register.
    #[schema(example = 1, minimum = 1)]
    pub privacy_policy_version: Option<i32>,
    /// `true` when a newer privacy policy (or terms) was published since
    /// this customer last accepted: show it and send
    /// `PUT /v1/me/consents/terms_and_privacy` with `given: true` and the
    /// versions in force. Always `false` for staff.
    pub consent_required: bool,
    /// When the account was created (RFC 3339, UTC).
    pub created_at: DateTime<Utc>,
    /// When the account last changed (RFC 3339, UTC).
    pub updated_at: DateTime<Utc>,
}

impl From<&Customer> for Profile {
    fn from(c: &Customer) -> Self {
        Self {
            id: c.id.as_uuid(),
            email: c.email.as_str().to_owned(),
            name: c.name.as_str().to_owned(),
            phone: c.phone.as_ref().map(|p| p.as_str().to_owned()),
            preferred_language: c.language.into(),
            display_preferences: serde_json::from_str(&c.display_preferences)
                .unwrap_or_else(|_| serde_json::json!({})),
            role: c.role.into(),
            must_change_password: c.must_change_password,
            privacy_policy_version: None,
            consent_required: false,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

impl Profile {
    /// The profile with its consent state from the ledger.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn of(state: &crate::state::AppState, c: &Customer) -> Result<Self, ApiError> {
        let mut p = Self::from(c);
        let (accepted, required) =
            domain::consent::acceptance(state.store.as_ref(), c.id, c.role).await?;
        p.privacy_policy_version = accepted;
        p.consent_required = required;
        Ok(p)
    }
}

/// The signed-in account.
#[utoipa::path(
    tag = "me",
    operation_id = "get_me",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The profile", body = Profile),
        SignedInErrors,
        SignedInErrors,
    )
)]
#[get("/v1/me")]
pub async fn get_me(state: SharedState, auth: Auth) -> Result<web::Json<Profile>, ApiError> {
    let c = domain::identity::profile(state.store.as_ref(), &auth.0).await?;
    Ok(web::Json(Profile::of(&state, &c).await?))
}

/// Profile changes; absent fields stay as they are. Only `phone` may be
/// `null` (it removes the phone); `null` elsewhere is refused
/// (`null_not_allowed`): leave a field out to keep it.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Jeanne Martin", "phone": "", "preferred_language": "en", "display_preferences": {"catalogue_view": "list"}}))]
#[schema(as = ProfileChanges)]
pub struct UpdateMeRequest {
    /// Full name: 1 to 100 characters, not blank, without control
    /// characters (surrounding white space is dropped).
    #[validate(length(max = 100))]
    #[schema(
        nullable = false,
        min_length = 1,
        max_length = 100,
        pattern = r"^[\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^\u0000-\u001f\u007f-\u009f]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
    )]
    pub name: Option<String>,
    /// Phone: an optional leading `+`, then 6 to 15 digits, which spaces,
    /// dots, hyphens and brackets may separate; `null` or an empty (or
    /// blank) string removes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(
        value_type = Option<String>,
        max_length = 32,
        pattern = r"^[\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*(?:\+?[ .()-]*(?:[0-9][ .()-]*){6,15})?[\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
    )]
    pub phone: Option<Option<String>>,
    /// Language of the e-mails the shop sends (see `Language`).
    #[schema(nullable = false)]
    pub preferred_language: Option<LanguageDto>,
    /// Display preferences, replacing the stored ones as a whole: a JSON
    /// object of at most 4 KiB (4096 bytes once serialised); kept 1 year
    /// after their last change.
    #[schema(schema_with = display_preferences_schema)]
    pub display_preferences: Option<serde_json::Map<String, serde_json::Value>>,
}

/// Any JSON object the frontend keeps, bounded in size: `x-max-bytes`
/// says so to clients, and lets the body limit admit the largest one.
fn display_preferences_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::Object)
        .description(Some(
            "Display preferences, replacing the stored ones as a whole: a JSON object of at most 4 KiB (4096 bytes once serialised, `x-max-bytes`); kept 1 year after their last change.",
        ))
        .examples([serde_json::json!({"catalogue_view": "list"})])
        .extensions(Some(
            utoipa::openapi::extensions::Extensions::builder()
                .add("x-max-bytes", DISPLAY_PREFERENCES_MAX_BYTES)
                .build(),
        ))
        .build()
}

/// The largest display preferences, serialised.
const DISPLAY_PREFERENCES_MAX_BYTES: usize = 4096;

/// A field that is present, `null` or not: `Some(None)` for `null`, so
/// `null` and absent can mean different things.
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// Change name, phone, language or display preferences.
///
/// Unknown fields (`role`, `id`, `email`...) are refused; the e-mail
/// address changes with `PUT /v1/me/email`.
#[utoipa::path(
    tag = "me",
    operation_id = "update_me",
    security(("bearer" = [])),
    request_body = UpdateMeRequest,
    responses(
        (status = 200, description = "The updated profile", body = Profile),
        BodyErrors,
        crate::problem::RestrictedErrors,
        SignedInErrors,
    )
)]
#[patch("/v1/me")]
pub async fn update_me(
    state: SharedState,
    auth: Auth,
    body: Body<UpdateMeRequest>,
) -> Result<web::Json<Profile>, ApiError> {
    let b = body.read().await?;
    validate(&b)?;
    let mut f = FieldErrors::default();
    let name = b
        .name
        .as_deref()
        .and_then(|n| f.take_coded("name", PersonName::parse(n)));
    let phone = b.phone.as_ref().map(|p| match p.as_deref() {
        None => None,
        Some(p) if p.trim().is_empty() => None,
        Some(p) => f.take_coded("phone", Phone::parse(p)),
    });
    let prefs = b
        .display_preferences
        .map(|m| serde_json::Value::Object(m).to_string());
    if prefs
        .as_ref()
        .is_some_and(|p| p.len() > DISPLAY_PREFERENCES_MAX_BYTES)
    {
        f.push("display_preferences", "must be at most 4096 bytes of JSON");
    }
    f.check()?;
    let changes = ProfileChanges {
        name,
        phone,
        language: b.preferred_language.map(Into::into),
        display_preferences: prefs,
    };
    let c = domain::identity::update_profile(
        state.store.as_ref(),
        state.clock.as_ref(),
        &auth.0,
        &changes,
    )
    .await?;
    Ok(web::Json(Profile::of(&state, &c).await?))
}

/// The current password and a new one (the body of `PUT /v1/me/password`).
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"current_password": "un long mot de passe facile à retenir", "new_password": "un autre long mot de passe"}))]
#[schema(as = PasswordChange)]
pub struct ChangePasswordRequest {
    /// The account's password now (or its generated password), at most 128
    /// characters.
    #[validate(length(max = 128))]
    #[schema(max_length = 128)]
    pub current_password: String,
    /// The new password: 12 to 128 characters, not a common one.
    #[validate(length(max = 128))]
    #[schema(min_length = 12, max_length = 128)]
    pub new_password: String,
}

/// Change the password; every other session ends.
///
/// Also the way out of a generated password (works before it is changed).
#[utoipa::path(
    tag = "me",
    operation_id = "change_password",
    security(("bearer" = [])),
    request_body = ChangePasswordRequest,
    responses(
        (status = 204, description = "Changed; other sessions ended"),
        BodyErrors,
        SignedInErrors,
    )
)]
#[put("/v1/me/password")]
pub async fn change_password(
    state: SharedState,
    auth: AuthAllowingPasswordChange,
    body: Body<ChangePasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    let b = body.read().await?;
    validate(&b)?;
    let mut f = FieldErrors::default();
    let new = f.take_coded("new_password", Password::parse(&b.new_password));
    let new = f.finish(|| new)?;
    domain::identity::change_password(
        state.store.as_ref(),
        &state.hasher,
        state.index.as_ref(),
        state.clock.as_ref(),
        &state.identity,
        &auth.0,
        b.current_password,
        &new,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A new e-mail address, confirmed by the password (the body of
/// `PUT /v1/me/email`).
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"new_email": "jeanne.martin@example.fr", "password": "un long mot de passe facile à retenir"}))]
#[schema(as = EmailChange)]
pub struct ChangeEmailRequest {
    /// The new address and login (`name@example.com`, at most 254 bytes);
    /// the old address is told of the change.
    #[validate(length(max = 254))]
    #[schema(min_length = 5, max_length = 254)]
    pub new_email: String,
    /// The account's current password, at most 128 characters, confirming
    /// the change.
    #[validate(length(max = 128))]
    #[schema(max_length = 128)]
    pub password: String,
}

/// Change the e-mail address (needs the password; the old address is told).
#[utoipa::path(
    tag = "me",
    operation_id = "change_email",
    security(("bearer" = [])),
    request_body = ChangeEmailRequest,
    responses(
        (status = 200, description = "The updated profile", body = Profile),
        (status = 409, description = "Another account uses this address (`/problems/email-taken`)", body = Problem, content_type = "application/problem+json"),
        BodyErrors,
        crate::problem::RestrictedErrors,
        SignedInErrors,
    )
)]
#[put("/v1/me/email")]
pub async fn change_email(
    state: SharedState,
    auth: Auth,
    body: Body<ChangeEmailRequest>,
) -> Result<web::Json<Profile>, ApiError> {
    let b = body.read().await?;
    validate(&b)?;
    let mut f = FieldErrors::default();
    let email = f.take_coded("new_email", Email::parse(&b.new_email));
    let email = f.finish(|| email)?;
    domain::identity::change_email(
        state.store.as_ref(),
        &state.hasher,
        state.index.as_ref(),
        state.clock.as_ref(),
        &state.identity,
        &auth.0,
        b.password,
        &email,
    )
    .await?;
    let c = domain::identity::profile(state.store.as_ref(), &auth.0).await?;
    Ok(web::Json(Profile::of(&state, &c).await?))
}
