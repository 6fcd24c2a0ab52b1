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
pub struct Profile {
    /// Account id.
    pub id: Uuid,
    /// E-mail address (the login).
    #[schema(example = "jeanne.dupont@example.fr")]
    pub email: String,
    /// Full name.
    #[schema(example = "Jeanne Dupont")]
    pub name: String,
    /// Phone, if given.
    #[schema(example = "+33612345678")]
    pub phone: Option<String>,
    /// Language of messages.
    pub preferred_language: LanguageDto,
    /// Display preferences ("screen options"), kept 1 year.
    #[schema(value_type = Object, example = json!({"catalogue_view": "grid"}))]
    pub display_preferences: serde_json::Value,
    /// Role.
    pub role: RoleDto,
    /// A generated password must be changed first.
    pub must_change_password: bool,
    /// The privacy policy version accepted at registration.
    #[schema(example = "2019-03-06")]
    pub privacy_policy_version: Option<String>,
    /// Creation.
    pub created_at: DateTime<Utc>,
    /// Last change.
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
            privacy_policy_version: c.privacy_policy_version.clone(),
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
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
    Ok(web::Json(Profile::from(&c)))
}

/// Profile changes; absent fields stay as they are. Only `phone` may be
/// `null` (it removes the phone); `null` elsewhere is refused
/// (`null_not_allowed`): leave a field out to keep it.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Jeanne Martin", "phone": "", "preferred_language": "en", "display_preferences": {"catalogue_view": "list"}}))]
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
    /// Language of messages.
    #[schema(nullable = false)]
    pub preferred_language: Option<LanguageDto>,
    /// Display preferences: a JSON object of at most 4 KiB.
    #[schema(value_type = Option<Object>, nullable = false)]
    pub display_preferences: Option<serde_json::Map<String, serde_json::Value>>,
}

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
    if prefs.as_ref().is_some_and(|p| p.len() > 4096) {
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
    Ok(web::Json(Profile::from(&c)))
}

/// The current password and a new one.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"current_password": "un long mot de passe facile à retenir", "new_password": "un autre long mot de passe"}))]
pub struct ChangePasswordRequest {
    /// The current password.
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

/// A new e-mail address, confirmed by the password.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"new_email": "jeanne.martin@example.fr", "password": "un long mot de passe facile à retenir"}))]
pub struct ChangeEmailRequest {
    /// The new address (`name@example.com`, at most 254 bytes).
    #[validate(length(max = 254))]
    #[schema(min_length = 5, max_length = 254)]
    pub new_email: String,
    /// The account's password.
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
    Ok(web::Json(Profile::from(&c)))
}
