//! Staff accounts and roles (admins only).

use actix_web::{HttpResponse, get, post, put, web};
use domain::FieldErrors;
use domain::idempotency::Caller;
use domain::identity::{Customer, CustomerId, Email, NewStaff, PersonName, Role};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::auth::Admin;
use crate::body::Body;
use crate::idempotency::{Answer, IdempotencyKeyHeader, IdempotentBody};
use crate::problem::{ApiError, BodyErrors, Problem, SignedInErrors, or_not_found};
use crate::routes::common::validate;
use crate::routes::me::RoleDto;
use crate::state::SharedState;

/// A staff member.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01a21fb2-7d8e-7f90-a1b2-c3d4e5f6a7b8",
    "email": "marc@boutique.example",
    "name": "Marc Durand",
    "role": "shop_manager",
    "created_at": "2026-10-05T07:58:12Z"
}))]
pub struct StaffMember {
    /// Account id (UUID v7).
    pub id: uuid::Uuid,
    /// E-mail address, also the staff member's login.
    pub email: String,
    /// Full name, 1 to 100 characters.
    pub name: String,
    /// What the account may do (see `Role`); `customer` once staff rights
    /// were removed.
    pub role: RoleDto,
    /// When the account was created (RFC 3339, UTC).
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl From<&Customer> for StaffMember {
    fn from(c: &Customer) -> Self {
        Self {
            id: c.id.as_uuid(),
            email: c.email.as_str().to_owned(),
            name: c.name.as_str().to_owned(),
            role: c.role.into(),
            created_at: c.created_at,
        }
    }
}

/// Every staff member, on one page.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "items": [
        {"id": "01a21fa0-1b2c-7d3e-8f40-5a6b7c8d9e0f", "email": "admin@boutique.example", "name": "Claire Martin", "role": "admin", "created_at": "2026-09-01T08:00:00Z"},
        {"id": "01a21fb2-7d8e-7f90-a1b2-c3d4e5f6a7b8", "email": "marc@boutique.example", "name": "Marc Durand", "role": "shop_manager", "created_at": "2026-10-05T07:58:12Z"}
    ],
    "next_cursor": null
}))]
pub struct StaffPage {
    /// Every account with a staff role (`shop_manager`, `admin`), oldest
    /// first.
    pub items: Vec<StaffMember>,
    /// Always `null`: the staff fits one page.
    pub next_cursor: Option<String>,
}

/// List staff members.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_list_staff",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Staff members", body = StaffPage),
        SignedInErrors,
    )
)]
#[get("/v1/admin/staff")]
pub async fn admin_list_staff(
    state: SharedState,
    _admin: Admin,
) -> Result<web::Json<StaffPage>, ApiError> {
    let staff = state.store.reader().accounts().list_staff().await?;
    Ok(web::Json(StaffPage {
        items: staff.iter().map(StaffMember::from).collect(),
        next_cursor: None,
    }))
}

/// A role a staff account can be created with:
///
/// - `shop_manager`: manages the catalogue and reads customers' records
///   (audited).
/// - `admin`: everything, including staff accounts and roles, locks and
///   bans, and the audit log.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = StaffRole)]
pub enum StaffRoleDto {
    /// Catalogue, orders, customers.
    ShopManager,
    /// Everything, including staff and security settings.
    Admin,
}

impl From<StaffRoleDto> for Role {
    fn from(r: StaffRoleDto) -> Self {
        match r {
            StaffRoleDto::ShopManager => Self::ShopManager,
            StaffRoleDto::Admin => Self::Admin,
        }
    }
}

/// A new staff member (the body of `POST /v1/admin/staff`).
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "marc@boutique.example", "name": "Marc Durand", "role": "shop_manager"}))]
#[schema(as = NewStaffMember)]
pub struct CreateStaffRequest {
    /// E-mail address (`name@example.com`, at most 254 bytes): the login,
    /// and where the set-password link (valid 48 hours) is sent.
    #[validate(length(max = 254))]
    #[schema(min_length = 5, max_length = 254)]
    pub email: String,
    /// Name: 1 to 100 characters, not blank, without control characters
    /// (surrounding white space is dropped).
    #[validate(length(max = 100))]
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^\u0000-\u001f\u007f-\u009f]*[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
    )]
    pub name: String,
    /// What the account may do (see `StaffRole`).
    pub role: StaffRoleDto,
}

/// Create a staff account; the member receives a set-password link.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_create_staff",
    security(("bearer" = [])),
    params(IdempotencyKeyHeader),
    request_body = CreateStaffRequest,
    responses(
        (status = 201, description = "Created", body = StaffMember, headers(
            ("Location" = String, description = "The staff list"),
            ("Idempotent-Replayed" = String, description = "`true` when this is the recorded answer of an earlier request with the same `Idempotency-Key`"),
        )),
        (status = 409, description = "The address already has an account (`/problems/email-taken`), or a request with this `Idempotency-Key` is still being processed (`/problems/idempotency-key-in-use`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "This `Idempotency-Key` was sent with another request body within 24 hours (`/problems/idempotency-key-reused`)", body = Problem, content_type = "application/problem+json"),
        BodyErrors,
        SignedInErrors,
    )
)]
#[post("/v1/admin/staff")]
pub async fn admin_create_staff(
    state: SharedState,
    admin: Admin,
    body: IdempotentBody<CreateStaffRequest>,
) -> Result<HttpResponse, ApiError> {
    let (b, idempotency) = body.read().await?;
    validate(&b)?;
    let mut f = FieldErrors::default();
    let email = f.take_coded("email", Email::parse(&b.email));
    let name = f.take_coded("name", PersonName::parse(&b.name));
    let role = Role::from(b.role);
    let (email, name) = f.finish(|| Some((email?, name?)))?;
    let admin = admin.0;
    let caller = Caller::Account(admin.customer_id);
    idempotency
        .run(&state, caller, move |state| async move {
            let id = domain::identity::create_staff(
                state.store.as_ref(),
                &state.hasher,
                &state.random,
                state.clock.as_ref(),
                &state.identity,
                admin.actor(),
                NewStaff {
                    email,
                    name,
                    role,
                    password: None,
                },
                &admin.origin,
            )
            .await?;
            let c = state
                .store
                .reader()
                .accounts()
                .get(id)
                .await?
                .ok_or_else(|| ApiError::NotFound("Account not found.".into()))?;
            Answer::created("/v1/admin/staff".to_owned(), &StaffMember::from(&c))
        })
        .await
}

/// A new role for an account (the body of
/// `PUT /v1/admin/staff/{account_id}/role`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"role": "admin"}))]
#[schema(as = RoleChange)]
pub struct SetRoleRequest {
    /// The account's new role (see `Role`); `customer` removes staff rights.
    pub role: RoleDto,
}

/// Change an account's role (audited).
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_set_role",
    security(("bearer" = [])),
    params(("account_id" = uuid::Uuid, Path, description = "Account id")),
    request_body = SetRoleRequest,
    responses(
        (status = 200, description = "The account", body = StaffMember),
        (status = 404, description = "No account has this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "An admin cannot demote themself (`/problems/self-demotion`)", body = Problem, content_type = "application/problem+json"),
        BodyErrors,
        SignedInErrors,
    )
)]
#[put("/v1/admin/staff/{account_id}/role")]
pub async fn admin_set_role(
    state: SharedState,
    admin: Admin,
    path: web::Path<String>,
    body: Body<SetRoleRequest>,
) -> Result<web::Json<StaffMember>, ApiError> {
    const NO_ACCOUNT: &str = "No account has this id.";
    let id: CustomerId = path
        .parse()
        .map_err(|_| ApiError::NotFound(NO_ACCOUNT.into()))?;
    let c = domain::identity::set_role(
        state.store.as_ref(),
        state.clock.as_ref(),
        &admin.0,
        id,
        body.read().await?.role.into(),
    )
    .await
    .map_err(or_not_found(NO_ACCOUNT))?;
    Ok(web::Json(StaffMember::from(&c)))
}
