//! `/v1/me*`: the signed-in customer's own account, addresses and sessions.
//! Everything here is personal data: answers are `no-store`, and any id
//! that is not the caller's is a 404.

use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use chrono::{DateTime, Utc};
use domain::FieldErrors;
use domain::identity::{
    AddressId, AddressKind, Customer, Email, Password, PersonName, Phone, PostalAddress, SessionId,
};
use persistence::accounts::{ProfileChanges, StoredAddress};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::auth::LanguageDto;
use super::common::{PageParams, page_by_id, validate};
use crate::app::SharedState;
use crate::auth::{Auth, AuthAllowingPasswordChange};
use crate::problem::{ApiError, BodyErrors, Problem, SignedInErrors};
use crate::services::accounts;

/// Account roles.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RoleDto {
    /// A customer.
    Customer,
    /// Staff: catalogue, orders, customers.
    ShopManager,
    /// Staff: everything.
    Admin,
}

impl From<domain::identity::Role> for RoleDto {
    fn from(r: domain::identity::Role) -> Self {
        use domain::identity::Role as R;
        match r {
            R::Customer => Self::Customer,
            R::ShopManager => Self::ShopManager,
            R::Admin => Self::Admin,
        }
    }
}

impl From<RoleDto> for domain::identity::Role {
    fn from(r: RoleDto) -> Self {
        match r {
            RoleDto::Customer => Self::Customer,
            RoleDto::ShopManager => Self::ShopManager,
            RoleDto::Admin => Self::Admin,
        }
    }
}

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

async fn load(state: &SharedState, id: domain::identity::CustomerId) -> Result<Customer, ApiError> {
    state
        .accounts
        .get(id)
        .await?
        .ok_or_else(|| ApiError::NotFound("Account not found.".into()))
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
    Ok(web::Json(Profile::from(
        &load(&state, auth.0.customer_id).await?,
    )))
}

/// Profile changes; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Jeanne Martin", "phone": "", "preferred_language": "en", "display_preferences": {"catalogue_view": "list"}}))]
pub struct UpdateMeRequest {
    /// Full name.
    #[validate(length(max = 100))]
    pub name: Option<String>,
    /// Phone; an empty string removes it.
    #[validate(length(max = 32))]
    pub phone: Option<String>,
    /// Language of messages.
    pub preferred_language: Option<LanguageDto>,
    /// Display preferences: a JSON object of at most 4 KiB.
    #[schema(value_type = Option<Object>)]
    pub display_preferences: Option<serde_json::Map<String, serde_json::Value>>,
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
    body: web::Json<UpdateMeRequest>,
) -> Result<web::Json<Profile>, ApiError> {
    let b = body.into_inner();
    validate(&b)?;
    let mut f = FieldErrors::default();
    let name = b
        .name
        .as_deref()
        .and_then(|n| f.take("name", PersonName::parse(n)));
    let phone = b.phone.as_deref().map(|p| {
        if p.trim().is_empty() {
            None
        } else {
            f.take("phone", Phone::parse(p))
        }
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
    state
        .accounts
        .update_profile(auth.0.customer_id, &changes, state.clock.now())
        .await?;
    Ok(web::Json(Profile::from(
        &load(&state, auth.0.customer_id).await?,
    )))
}

/// The current password and a new one.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"current_password": "un long mot de passe facile à retenir", "new_password": "un autre long mot de passe"}))]
pub struct ChangePasswordRequest {
    /// The current password.
    #[validate(length(max = 128))]
    pub current_password: String,
    /// The new password: 12 to 128 characters, not a common one.
    #[validate(length(max = 128))]
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
    body: web::Json<ChangePasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    validate(&b)?;
    let mut f = FieldErrors::default();
    let new = f.take("new_password", Password::parse(&b.new_password));
    f.check()?;
    let Some(new) = new else {
        return Err(ApiError::BadRequest("invalid body".into()));
    };
    accounts::change_password(&state, &auth.0, b.current_password, &new).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A new e-mail address, confirmed by the password.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"new_email": "jeanne.martin@example.fr", "password": "un long mot de passe facile à retenir"}))]
pub struct ChangeEmailRequest {
    /// The new address.
    #[validate(length(max = 254))]
    pub new_email: String,
    /// The account's password.
    #[validate(length(max = 128))]
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
        (status = 409, description = "Another account uses this address", body = Problem, content_type = "application/problem+json"),
        BodyErrors,
        SignedInErrors,
    )
)]
#[put("/v1/me/email")]
pub async fn change_email(
    state: SharedState,
    auth: Auth,
    body: web::Json<ChangeEmailRequest>,
) -> Result<web::Json<Profile>, ApiError> {
    let b = body.into_inner();
    validate(&b)?;
    let mut f = FieldErrors::default();
    let email = f.take("new_email", Email::parse(&b.new_email));
    f.check()?;
    let Some(email) = email else {
        return Err(ApiError::BadRequest("invalid body".into()));
    };
    accounts::change_email(&state, &auth.0, b.password, &email).await?;
    Ok(web::Json(Profile::from(
        &load(&state, auth.0.customer_id).await?,
    )))
}

/// Billing or shipping.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AddressKindDto {
    /// For invoices.
    Billing,
    /// Where printed sets are shipped.
    Shipping,
}

/// A postal address to store.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "shipping", "full_name": "Jeanne Dupont", "line1": "12 rue des Lilas", "line2": null, "postal_code": "69003", "city": "Lyon", "country": "FR"}))]
pub struct AddressRequest {
    /// What it is for.
    pub kind: AddressKindDto,
    /// Recipient.
    #[validate(length(max = 100))]
    pub full_name: String,
    /// Street and number.
    #[validate(length(max = 200))]
    pub line1: String,
    /// Building, floor...
    #[validate(length(max = 200))]
    pub line2: Option<String>,
    /// Postal code.
    #[validate(length(max = 16))]
    pub postal_code: String,
    /// City.
    #[validate(length(max = 100))]
    pub city: String,
    /// ISO 3166-1 alpha-2 country code.
    #[validate(length(max = 2))]
    #[schema(example = "FR")]
    pub country: String,
}

impl AddressRequest {
    fn parse(&self) -> Result<(AddressKind, PostalAddress), ApiError> {
        validate(self)?;
        let a = PostalAddress::parse(
            &self.full_name,
            &self.line1,
            self.line2.as_deref(),
            &self.postal_code,
            &self.city,
            &self.country,
        )?;
        let kind = match self.kind {
            AddressKindDto::Billing => AddressKind::Billing,
            AddressKindDto::Shipping => AddressKind::Shipping,
        };
        Ok((kind, a))
    }
}

/// A stored address.
#[derive(Debug, Serialize, ToSchema)]
pub struct Address {
    /// Id.
    pub id: Uuid,
    /// What it is for.
    pub kind: AddressKindDto,
    /// Recipient.
    pub full_name: String,
    /// Street and number.
    pub line1: String,
    /// Building, floor...
    pub line2: Option<String>,
    /// Postal code.
    pub postal_code: String,
    /// City.
    pub city: String,
    /// Country code.
    pub country: String,
    /// Creation.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<StoredAddress> for Address {
    fn from(s: StoredAddress) -> Self {
        Self {
            id: s.id.as_uuid(),
            kind: match s.kind {
                AddressKind::Billing => AddressKindDto::Billing,
                AddressKind::Shipping => AddressKindDto::Shipping,
            },
            full_name: s.address.full_name,
            line1: s.address.line1,
            line2: s.address.line2,
            postal_code: s.address.postal_code,
            city: s.address.city,
            country: s.address.country,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// A page of addresses.
#[derive(Debug, Serialize, ToSchema)]
pub struct AddressPage {
    /// The addresses.
    pub items: Vec<Address>,
    /// Cursor of the next page.
    pub next_cursor: Option<String>,
}

/// The caller's addresses.
#[utoipa::path(
    tag = "me",
    operation_id = "list_addresses",
    security(("bearer" = [])),
    params(PageParams),
    responses(
        (status = 200, description = "A page of addresses", body = AddressPage),
        (status = 400, description = "Bad limit or cursor", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[get("/v1/me/addresses")]
pub async fn list_addresses(
    state: SharedState,
    auth: Auth,
    page: web::Query<PageParams>,
) -> Result<web::Json<AddressPage>, ApiError> {
    let (limit, after) = page.parse("addresses")?;
    let all = state.accounts.addresses(auth.0.customer_id).await?;
    let (items, next_cursor) = page_by_id(all, |a| a.id.as_uuid(), limit, after, "addresses");
    Ok(web::Json(AddressPage {
        items: items.into_iter().map(Address::from).collect(),
        next_cursor,
    }))
}

/// Add an address.
#[utoipa::path(
    tag = "me",
    operation_id = "create_address",
    security(("bearer" = [])),
    request_body = AddressRequest,
    responses(
        (status = 201, description = "Created", body = Address, headers(("Location" = String, description = "The new address"))),
        BodyErrors,
        SignedInErrors,
    )
)]
#[post("/v1/me/addresses")]
pub async fn create_address(
    state: SharedState,
    auth: Auth,
    body: web::Json<AddressRequest>,
) -> Result<HttpResponse, ApiError> {
    let (kind, address) = body.parse()?;
    let id = AddressId::new();
    state
        .accounts
        .save_address(
            auth.0.customer_id,
            id,
            kind,
            &address,
            state.clock.now(),
            true,
        )
        .await?;
    let stored = state
        .accounts
        .address(auth.0.customer_id, id)
        .await?
        .ok_or_else(|| ApiError::NotFound("Address not found.".into()))?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/me/addresses/{id}")))
        .json(Address::from(stored)))
}

fn address_id(raw: &str) -> Result<AddressId, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::NotFound("No address of yours has this id.".into()))
}

/// One of the caller's addresses.
#[utoipa::path(
    tag = "me",
    operation_id = "get_address",
    security(("bearer" = [])),
    params(("address_id" = Uuid, Path, description = "Address id")),
    responses(
        (status = 200, description = "The address", body = Address),
        (status = 404, description = "No address of yours has this id", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[get("/v1/me/addresses/{address_id}")]
pub async fn get_address(
    state: SharedState,
    auth: Auth,
    path: web::Path<String>,
) -> Result<web::Json<Address>, ApiError> {
    let id = address_id(&path)?;
    let a = state
        .accounts
        .address(auth.0.customer_id, id)
        .await?
        .ok_or_else(|| ApiError::NotFound("No address of yours has this id.".into()))?;
    Ok(web::Json(a.into()))
}

/// Replace one of the caller's addresses.
#[utoipa::path(
    tag = "me",
    operation_id = "replace_address",
    security(("bearer" = [])),
    params(("address_id" = Uuid, Path, description = "Address id")),
    request_body = AddressRequest,
    responses(
        (status = 200, description = "The address", body = Address),
        (status = 404, description = "No address of yours has this id", body = Problem, content_type = "application/problem+json"),
        BodyErrors,
        SignedInErrors,
    )
)]
#[put("/v1/me/addresses/{address_id}")]
pub async fn replace_address(
    state: SharedState,
    auth: Auth,
    path: web::Path<String>,
    body: web::Json<AddressRequest>,
) -> Result<web::Json<Address>, ApiError> {
    let id = address_id(&path)?;
    let (kind, address) = body.parse()?;
    if !state
        .accounts
        .save_address(
            auth.0.customer_id,
            id,
            kind,
            &address,
            state.clock.now(),
            false,
        )
        .await?
    {
        return Err(ApiError::NotFound(
            "No address of yours has this id.".into(),
        ));
    }
    let a = state
        .accounts
        .address(auth.0.customer_id, id)
        .await?
        .ok_or_else(|| ApiError::NotFound("No address of yours has this id.".into()))?;
    Ok(web::Json(a.into()))
}

/// Delete one of the caller's addresses.
#[utoipa::path(
    tag = "me",
    operation_id = "delete_address",
    security(("bearer" = [])),
    params(("address_id" = Uuid, Path, description = "Address id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No address of yours has this id", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[delete("/v1/me/addresses/{address_id}")]
pub async fn delete_address(
    state: SharedState,
    auth: Auth,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = address_id(&path)?;
    if state
        .accounts
        .delete_address(auth.0.customer_id, id)
        .await?
    {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::NotFound(
            "No address of yours has this id.".into(),
        ))
    }
}

/// A live session.
#[derive(Debug, Serialize, ToSchema)]
pub struct Session {
    /// Id.
    pub id: Uuid,
    /// The session making this request.
    pub current: bool,
    /// Opened with "remember me" (14 days instead of 2).
    pub remember_me: bool,
    /// Opened.
    pub created_at: DateTime<Utc>,
    /// Ends.
    pub expires_at: DateTime<Utc>,
    /// Last used.
    pub last_seen_at: DateTime<Utc>,
    /// The browser that opened it.
    pub user_agent: Option<String>,
}

/// A page of sessions.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionPage {
    /// The sessions.
    pub items: Vec<Session>,
    /// Cursor of the next page.
    pub next_cursor: Option<String>,
}

/// The caller's live sessions.
#[utoipa::path(
    tag = "me",
    operation_id = "list_sessions",
    security(("bearer" = [])),
    params(PageParams),
    responses(
        (status = 200, description = "A page of sessions", body = SessionPage),
        (status = 400, description = "Bad limit or cursor", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[get("/v1/me/sessions")]
pub async fn list_sessions(
    state: SharedState,
    auth: Auth,
    page: web::Query<PageParams>,
) -> Result<web::Json<SessionPage>, ApiError> {
    let (limit, after) = page.parse("sessions")?;
    let all = state
        .accounts
        .live_sessions(auth.0.customer_id, state.clock.now())
        .await?;
    let (items, next_cursor) = page_by_id(all, |s| s.id.as_uuid(), limit, after, "sessions");
    Ok(web::Json(SessionPage {
        items: items
            .into_iter()
            .map(|s| Session {
                id: s.id.as_uuid(),
                current: s.id == auth.0.session_id,
                remember_me: s.remember_me,
                created_at: s.created_at,
                expires_at: s.expires_at,
                last_seen_at: s.last_seen_at,
                user_agent: s.user_agent,
            })
            .collect(),
        next_cursor,
    }))
}

/// End one of the caller's sessions (its token stops working at once).
#[utoipa::path(
    tag = "me",
    operation_id = "revoke_session",
    security(("bearer" = [])),
    params(("session_id" = Uuid, Path, description = "Session id")),
    responses(
        (status = 204, description = "Ended"),
        (status = 404, description = "No live session of yours has this id", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[delete("/v1/me/sessions/{session_id}")]
pub async fn revoke_session(
    state: SharedState,
    auth: Auth,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let not_found = || ApiError::NotFound("No live session of yours has this id.".into());
    let id: SessionId = path.parse().map_err(|_| not_found())?;
    if state
        .accounts
        .revoke_session(auth.0.customer_id, id, state.clock.now())
        .await?
    {
        state
            .audit
            .append(
                persistence::audit::NewAuditEntry {
                    actor: auth.0.actor(),
                    action: domain::audit::AuditAction::SessionRevoked,
                    target: Some(format!("customer:{}", auth.0.customer_id)),
                    source: auth.0.client.source_display.clone(),
                    reason: None,
                },
                state.clock.now(),
            )
            .await?;
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(not_found())
    }
}
