//! Staff reads of customers' personal data (STAFF-1). Each read needs a
//! reason (`X-Access-Reason`) and writes an audit entry naming the staff
//! member, the customer and the reason.

use actix_web::{HttpRequest, get, web};
use domain::FieldErrors;
use domain::identity::{CustomerId, CustomerLookup, CustomerRecord, Email};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::keys::{CustomersRead, StaffOrKey};
use crate::body::Params;
use crate::problem::{ApiError, Problem, SignedInErrors};
use crate::routes::me::{Address, Profile};
use crate::state::SharedState;
use domain::integration::Operator;

/// A customer's record as staff see it (each read is audited).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = CustomerRecord)]
#[schema(example = json!({
    "id": "01a21fb0-2c4e-7a31-8f0d-5b6e7c8d9e01",
    "email": "jeanne.dupont@example.fr",
    "name": "Jeanne Dupont",
    "phone": "+33612345678",
    "preferred_language": "fr",
    "display_preferences": {},
    "role": "customer",
    "must_change_password": false,
    "privacy_policy_version": 1,
    "consent_required": false,
    "created_at": "2026-11-02T08:15:00Z",
    "updated_at": "2026-11-20T17:42:31Z",
    "addresses": [{
        "id": "01a21fb1-0d2c-7f4e-9a1b-2c3d4e5f6a7b",
        "kind": "billing",
        "full_name": "Jeanne Dupont",
        "line1": "12 rue des Lilas",
        "line2": null,
        "postal_code": "69003",
        "city": "Lyon",
        "country": "FR",
        "created_at": "2026-11-20T17:45:03Z",
        "updated_at": "2026-11-20T17:45:03Z"
    }],
    "last_active_at": "2026-11-27T10:03:19Z"
}))]
pub struct CustomerRecordDto {
    /// The customer's profile, as the customer sees it.
    #[serde(flatten)]
    pub profile: Profile,
    /// Every address the customer stored, oldest first.
    pub addresses: Vec<Address>,
    /// When the customer last logged in or made an authenticated request
    /// (RFC 3339, UTC).
    pub last_active_at: chrono::DateTime<chrono::Utc>,
}

/// Matching customers (an exact e-mail matches one at most).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{
    "id": "01a21fb0-2c4e-7a31-8f0d-5b6e7c8d9e01",
    "email": "jeanne.dupont@example.fr",
    "name": "Jeanne Dupont",
    "phone": "+33612345678",
    "preferred_language": "fr",
    "display_preferences": {},
    "role": "customer",
    "must_change_password": false,
    "privacy_policy_version": 1,
    "consent_required": false,
    "created_at": "2026-11-02T08:15:00Z",
    "updated_at": "2026-11-20T17:42:31Z",
    "addresses": [{
        "id": "01a21fb1-0d2c-7f4e-9a1b-2c3d4e5f6a7b",
        "kind": "billing",
        "full_name": "Jeanne Dupont",
        "line1": "12 rue des Lilas",
        "line2": null,
        "postal_code": "69003",
        "city": "Lyon",
        "country": "FR",
        "created_at": "2026-11-20T17:45:03Z",
        "updated_at": "2026-11-20T17:45:03Z"
    }],
    "last_active_at": "2026-11-27T10:03:19Z"
}], "next_cursor": null}))]
pub struct CustomerSearchResult {
    /// The customer whose e-mail address is the one searched, if any: zero
    /// or one record.
    pub items: Vec<CustomerRecordDto>,
    /// Always `null`: an exact search has one page.
    pub next_cursor: Option<String>,
}

/// Exact e-mail search.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// The customer's exact e-mail address (case-insensitive).
    #[param(min_length = 5, max_length = 254, example = "jeanne.dupont@example.fr")]
    pub email: String,
}

pub(crate) fn reason(req: &HttpRequest) -> Result<String, ApiError> {
    let r = req
        .headers()
        .get("x-access-reason")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|r| (3..=200).contains(&r.chars().count()));
    r.map(str::to_owned).ok_or_else(|| {
        let mut f = FieldErrors::default();
        f.push(
            "X-Access-Reason",
            "header required: why this personal data is read (3 to 200 characters)",
        );
        ApiError::Validation(f)
    })
}

async fn record(state: &SharedState, r: CustomerRecord) -> Result<CustomerRecordDto, ApiError> {
    Ok(CustomerRecordDto {
        profile: Profile::of(state, &r.customer).await?,
        addresses: r.addresses.into_iter().map(Address::from).collect(),
        last_active_at: r.customer.last_active_at,
    })
}

async fn read(
    state: &SharedState,
    staff: &Operator,
    lookup: CustomerLookup,
    why: &str,
) -> Result<Option<CustomerRecordDto>, ApiError> {
    match domain::identity::read_customer(
        state.store.as_ref(),
        state.clock.as_ref(),
        staff,
        lookup,
        why,
    )
    .await?
    {
        Some(r) => Ok(Some(record(state, r).await?)),
        None => Ok(None),
    }
}

/// Find a customer by exact e-mail address.
///
/// Needs `X-Access-Reason`; every customer returned is an audited read.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_search_customers",
    security(("bearer" = []), ("api_key" = ["customers:read"])),
    params(SearchParams, ("X-Access-Reason" = String, Header, description = "Why this personal data is read: 3 to 200 printable ASCII characters (tabs allowed inside). An API key's stated purpose is recorded with it", example = "order 2026-0042 refund", min_length = 3, max_length = 200, pattern = r"^[!-~](?:[\t -~]*[!-~])?$")),
    responses(
        (status = 200, description = "Matches", body = CustomerSearchResult),
        (status = 400, description = "Missing reason or invalid e-mail", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[get("/v1/admin/customers")]
pub async fn admin_search_customers(
    state: SharedState,
    staff: StaffOrKey<CustomersRead>,
    req: HttpRequest,
    q: Params<SearchParams>,
) -> Result<web::Json<CustomerSearchResult>, ApiError> {
    let q = q.read()?;
    let why = reason(&req)?;
    let mut f = FieldErrors::default();
    let email = f.take_coded("email", Email::parse(&q.email));
    f.check()?;
    let mut items = vec![];
    if let Some(email) = email
        && let Some(r) = read(&state, &staff.0, CustomerLookup::Email(email), &why).await?
    {
        items.push(r);
    }
    Ok(web::Json(CustomerSearchResult {
        items,
        next_cursor: None,
    }))
}

/// Read a customer's record (audited; needs `X-Access-Reason`).
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_get_customer",
    security(("bearer" = []), ("api_key" = ["customers:read"])),
    params(
        ("customer_id" = uuid::Uuid, Path, description = "Customer id"),
        ("X-Access-Reason" = String, Header, description = "Why this personal data is read: 3 to 200 printable ASCII characters (tabs allowed inside). An API key's stated purpose is recorded with it", example = "order 2026-0042 refund", min_length = 3, max_length = 200, pattern = r"^[!-~](?:[\t -~]*[!-~])?$"),
    ),
    responses(
        (status = 200, description = "The record", body = CustomerRecordDto),
        (status = 400, description = "Missing reason", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No customer has this id", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[get("/v1/admin/customers/{customer_id}")]
pub async fn admin_get_customer(
    state: SharedState,
    staff: StaffOrKey<CustomersRead>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<web::Json<CustomerRecordDto>, ApiError> {
    let why = reason(&req)?;
    let not_found = || ApiError::NotFound("No customer has this id.".into());
    let id: CustomerId = path.parse().map_err(|_| not_found())?;
    read(&state, &staff.0, CustomerLookup::Id(id), &why)
        .await?
        .map(web::Json)
        .ok_or_else(not_found)
}
