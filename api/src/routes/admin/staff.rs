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
pub struct StaffMember {
    /// Account id.
    pub id: uuid::Uuid,
    /// E-mail.
    pub email: String,
    /// Name.
    pub name: String,
    /// Role.
    pub role: RoleDto,
    /// Creation.
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

/// The staff.
#[derive(Debug, Serialize, ToSchema)]
pub struct StaffPage {
    /// Staff members, oldest first.
    pub items: Vec<StaffMember>,
    /// Always null: the staff fits one page.
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

/// A role staff can be created with.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
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

/// A new staff member.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "marc@boutique.example", "name": "Marc Durand", "role": "shop_manager"}))]
pub struct CreateStaffRequest {
    /// E-mail (`name@example.com`, at most 254 bytes; the login).
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
    /// `shop_manager` or `admin`.
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

/// A new role.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"role": "admin"}))]
pub struct SetRoleRequest {
    /// The role; `customer` removes staff rights.
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
