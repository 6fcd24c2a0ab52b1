//! Reviews of plans (SHOP-6): written by customers who bought the plan,
//! once per plan; shown once approved, with the author's first name only;
//! their average and count are part of the plan in the catalogue. Staff
//! moderate them in `/v1/admin/reviews` (audited).

use actix_web::{HttpResponse, delete, get, post, web};
use chrono::{DateTime, Utc};
use domain::ids::{ProductId, ReviewId};
use domain::review::{NewReview, PublicReview, Review, ReviewStatus};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::{Auth, Staff};
use crate::body::{Body, Params};
use crate::problem::{ApiError, BodyErrors, Problem, SignedInErrors};
use crate::routes::common::{OffsetParams, PageParams, cursor_after};
use crate::routes::products::dto::RatingDto;
use crate::state::SharedState;

/// Where a review stands:
///
/// - `pending`: waiting for moderation; only its author and staff see it.
/// - `approved`: shown with the plan, and counted in its rating.
/// - `rejected`: refused by staff; only its author and staff see it.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ReviewState {
    /// Waiting for moderation.
    Pending,
    /// Shown.
    Approved,
    /// Refused.
    Rejected,
}

impl From<ReviewStatus> for ReviewState {
    fn from(s: ReviewStatus) -> Self {
        match s {
            ReviewStatus::Pending => Self::Pending,
            ReviewStatus::Approved => Self::Approved,
            ReviewStatus::Rejected => Self::Rejected,
        }
    }
}

impl From<ReviewState> for ReviewStatus {
    fn from(s: ReviewState) -> Self {
        match s {
            ReviewState::Pending => Self::Pending,
            ReviewState::Approved => Self::Approved,
            ReviewState::Rejected => Self::Rejected,
        }
    }
}

/// An approved review, as everyone sees it: the author's first name only.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "01a21fb3-1a2b-7c3d-8e4f-5a6b7c8d9e0f", "rating": 5, "title": "Des plans très clairs", "text": "Notre constructeur a tout compris du premier coup.", "author_first_name": "Jeanne", "created_at": "2026-12-02T18:20:00Z"}))]
pub struct ProductReview {
    /// Review id (a UUID v7).
    pub id: Uuid,
    /// The author's rating, 1 (poor) to 5 (excellent).
    #[schema(minimum = 1, maximum = 5, example = 5)]
    pub rating: u8,
    /// One-line title, 1 to 120 characters.
    pub title: String,
    /// The review's text (line breaks kept), 1 to 5,000 characters.
    pub text: String,
    /// The first word of the author's account name when they wrote it;
    /// never their full name or e-mail.
    #[schema(example = "Jeanne")]
    pub author_first_name: String,
    /// When it was written (RFC 3339, UTC).
    pub created_at: DateTime<Utc>,
}

impl From<PublicReview> for ProductReview {
    fn from(r: PublicReview) -> Self {
        Self {
            id: r.id.as_uuid(),
            rating: r.rating,
            title: r.title,
            text: r.text,
            author_first_name: r.author,
            created_at: r.created_at,
        }
    }
}

/// A page of a plan's approved reviews, newest first, with the plan's rating.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"id": "01a21fb3-1a2b-7c3d-8e4f-5a6b7c8d9e0f", "rating": 5, "title": "Des plans très clairs", "text": "Notre constructeur a tout compris du premier coup.", "author_first_name": "Jeanne", "created_at": "2026-12-02T18:20:00Z"}], "next_cursor": null, "rating": {"average": 4.5, "count": 12}}))]
pub struct ProductReviewPage {
    /// Approved reviews, newest first, at most `limit` (fewer when an
    /// author's data was erased).
    pub items: Vec<ProductReview>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
    /// Average and count of the plan's approved reviews, as the catalogue
    /// shows them; `null` before the first is approved.
    pub rating: Option<RatingDto>,
}

/// A review as written (the body of `POST /v1/products/{product_id}/reviews`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ReviewInput, example = json!({"rating": 5, "title": "Des plans très clairs", "text": "Notre constructeur a tout compris du premier coup."}))]
pub struct ReviewRequest {
    /// The rating, a whole number from 1 (poor) to 5 (excellent).
    #[schema(minimum = 1, maximum = 5, example = 5)]
    pub rating: i64,
    /// One-line title, 1 to 120 characters.
    #[schema(min_length = 1, max_length = 120)]
    pub title: String,
    /// The review (line breaks allowed), 1 to 5,000 characters.
    #[schema(min_length = 1, max_length = 5000)]
    pub text: String,
}

/// One of the caller's reviews, whatever its status.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "01a21fb3-1a2b-7c3d-8e4f-5a6b7c8d9e0f", "product_id": "01a21faf-9618-77eb-b003-08aa8b7892a7", "status": "pending", "rating": 5, "title": "Des plans très clairs", "text": "Notre constructeur a tout compris du premier coup.", "author_first_name": "Jeanne", "created_at": "2026-12-02T18:20:00Z", "moderated_at": null}))]
pub struct MyReview {
    /// Review id (a UUID v7), for `DELETE /v1/me/reviews/{review_id}`.
    pub id: Uuid,
    /// The plan reviewed (a UUID).
    pub product_id: Uuid,
    /// Where the review stands (see `ReviewState`).
    pub status: ReviewState,
    /// The rating given, 1 (poor) to 5 (excellent).
    #[schema(minimum = 1, maximum = 5, example = 5)]
    pub rating: u8,
    /// One-line title, 1 to 120 characters.
    pub title: String,
    /// The review's text, 1 to 5,000 characters.
    pub text: String,
    /// The first name shown with it once approved (the first word of the
    /// account's name when it was written).
    #[schema(example = "Jeanne")]
    pub author_first_name: String,
    /// When it was written (RFC 3339, UTC).
    pub created_at: DateTime<Utc>,
    /// When staff last approved or rejected it (RFC 3339, UTC); `null`
    /// while pending.
    pub moderated_at: Option<DateTime<Utc>>,
}

impl From<Review> for MyReview {
    fn from(r: Review) -> Self {
        Self {
            id: r.head.id.as_uuid(),
            product_id: r.head.product_id.as_uuid(),
            status: r.head.status.into(),
            rating: r.head.rating,
            title: r.title,
            text: r.text,
            author_first_name: r.author,
            created_at: r.created_at,
            moderated_at: r.moderated_at,
        }
    }
}

/// The caller's reviews, newest first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"id": "01a21fb3-1a2b-7c3d-8e4f-5a6b7c8d9e0f", "product_id": "01a21faf-9618-77eb-b003-08aa8b7892a7", "status": "approved", "rating": 5, "title": "Des plans très clairs", "text": "Notre constructeur a tout compris du premier coup.", "author_first_name": "Jeanne", "created_at": "2026-12-02T18:20:00Z", "moderated_at": "2026-12-03T08:00:00Z"}]}))]
pub struct MyReviewList {
    /// Every review of the caller (one per plan at most), newest first.
    pub items: Vec<MyReview>,
}

/// A review as moderators see it: its text and its author's account id,
/// never the author's name.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "01a21fb3-1a2b-7c3d-8e4f-5a6b7c8d9e0f", "product_id": "01a21faf-9618-77eb-b003-08aa8b7892a7", "customer_id": "01a21fb0-5e6f-7a8b-9c0d-1e2f3a4b5c6d", "status": "pending", "rating": 5, "title": "Des plans très clairs", "text": "Notre constructeur a tout compris du premier coup.", "created_at": "2026-12-02T18:20:00Z", "moderated_at": null}))]
pub struct ReviewForModeration {
    /// Review id (a UUID v7), for `/v1/admin/reviews/{review_id}/approve`
    /// and `/reject`.
    pub id: Uuid,
    /// The plan reviewed (a UUID).
    pub product_id: Uuid,
    /// The author's account (a UUID), who bought the plan.
    pub customer_id: Uuid,
    /// Where the review stands (see `ReviewState`).
    pub status: ReviewState,
    /// The rating given, 1 (poor) to 5 (excellent).
    #[schema(minimum = 1, maximum = 5, example = 5)]
    pub rating: u8,
    /// One-line title, 1 to 120 characters.
    pub title: String,
    /// The review's text, 1 to 5,000 characters.
    pub text: String,
    /// When it was written (RFC 3339, UTC).
    pub created_at: DateTime<Utc>,
    /// When staff last approved or rejected it (RFC 3339, UTC); `null`
    /// while pending.
    pub moderated_at: Option<DateTime<Utc>>,
}

impl From<Review> for ReviewForModeration {
    fn from(r: Review) -> Self {
        Self {
            id: r.head.id.as_uuid(),
            product_id: r.head.product_id.as_uuid(),
            customer_id: r.head.customer_id.as_uuid(),
            status: r.head.status.into(),
            rating: r.head.rating,
            title: r.title,
            text: r.text,
            created_at: r.created_at,
            moderated_at: r.moderated_at,
        }
    }
}

/// Reviews for moderation, newest first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"id": "01a21fb3-1a2b-7c3d-8e4f-5a6b7c8d9e0f", "product_id": "01a21faf-9618-77eb-b003-08aa8b7892a7", "customer_id": "01a21fb0-5e6f-7a8b-9c0d-1e2f3a4b5c6d", "status": "pending", "rating": 5, "title": "Des plans très clairs", "text": "Notre constructeur a tout compris du premier coup.", "created_at": "2026-12-02T18:20:00Z", "moderated_at": null}]}))]
pub struct ReviewModerationPage {
    /// Reviews, newest first (those of erased authors are left out).
    pub items: Vec<ReviewForModeration>,
}

/// Filters and page of the moderation queue.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReviewParams {
    /// Only reviews in this status (all when absent).
    pub status: Option<ReviewState>,
    /// Page size, 1 to 100 (default 20).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100, example = 20)]
    pub limit: Option<String>,
    /// Items to skip (default 0).
    #[param(value_type = Option<u32>, minimum = 0, maximum = 100000, example = 0)]
    pub offset: Option<String>,
}

/// The cursor listing of a plan's reviews.
const LISTING: &str = "reviews";

/// A published plan's id (404 for anything else).
fn published(state: &SharedState, raw: &str) -> Result<ProductId, ApiError> {
    let missing = || ApiError::NotFound("No published plan has this id.".into());
    let id: ProductId = raw.parse().map_err(|_| missing())?;
    state
        .catalogue
        .index()
        .get(&id.to_string())
        .filter(|p| p.id == id && p.published)
        .map(|p| p.id)
        .ok_or_else(missing)
}

fn review_id(raw: &str) -> Result<ReviewId, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::NotFound("No review has this id.".into()))
}

/// Brings this instance's catalogue up to date after a plan's rating
/// changed (the others follow the revision on their next refresh).
async fn refresh(state: &SharedState) {
    if let Err(e) = state.catalogue.refresh().await {
        tracing::warn!(error = %e, "catalogue refresh after a rating change failed");
    }
}

/// A plan's approved reviews, newest first.
///
/// Each shows its rating, title, text and the first name of its author
/// (never more of them); the page also carries the plan's average rating
/// and review count, as the catalogue shows them.
#[utoipa::path(
    tag = "catalogue",
    operation_id = "list_product_reviews",
    params(("product_id" = Uuid, Path, description = "The plan's id"), PageParams),
    responses(
        (status = 200, description = "A page of approved reviews", body = ProductReviewPage),
        (status = 400, description = "Bad `limit` or `cursor` (`validation-failed`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No published plan has this id", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/products/{product_id}/reviews")]
pub async fn list_product_reviews(
    state: SharedState,
    path: web::Path<String>,
    params: Params<PageParams>,
) -> Result<web::Json<ProductReviewPage>, ApiError> {
    let product = published(&state, &path)?;
    let (limit, after) = params.read()?.parse(LISTING)?;
    let (page, rating) = domain::review::public(
        state.store.as_ref(),
        product,
        after.map(ReviewId::from_uuid),
        limit.get() as u64,
    )
    .await?;
    Ok(web::Json(ProductReviewPage {
        items: page.items.into_iter().map(Into::into).collect(),
        next_cursor: page.next.map(|id| cursor_after(LISTING, id.as_uuid())),
        rating: rating.map(Into::into),
    }))
}

/// Review a plan you bought.
///
/// One review per plan and customer, and only by a customer with a paid
/// order (processing, completed or partially refunded) holding the plan:
/// otherwise 409. The review waits for moderation (`status: pending`) and
/// is shown once approved, with the first word of the account's name.
#[utoipa::path(
    tag = "catalogue",
    operation_id = "review_product",
    security(("bearer" = [])),
    params(("product_id" = Uuid, Path, description = "The plan's id")),
    request_body = ReviewRequest,
    responses(
        (status = 201, description = "Written; waiting for moderation", body = MyReview),
        (status = 404, description = "No published plan has this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "No paid order of the caller holds this plan, or the caller reviewed it already (`conflict`)", body = Problem, content_type = "application/problem+json"),
        BodyErrors,
        SignedInErrors,
    )
)]
#[post("/v1/products/{product_id}/reviews")]
pub async fn review_product(
    state: SharedState,
    auth: Auth,
    path: web::Path<String>,
    body: Body<ReviewRequest>,
) -> Result<HttpResponse, ApiError> {
    let product = published(&state, &path)?;
    let b = body.read().await?;
    let review = NewReview::parse(b.rating, &b.title, &b.text)?;
    let written = domain::review::write(
        state.store.as_ref(),
        state.clock.as_ref(),
        &auth.0,
        product,
        review,
    )
    .await?;
    Ok(HttpResponse::Created().json(MyReview::from(written)))
}

/// The caller's reviews, whatever their status (pending ones included),
/// newest first.
#[utoipa::path(
    tag = "me",
    operation_id = "list_my_reviews",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's reviews", body = MyReviewList),
        SignedInErrors,
    )
)]
#[get("/v1/me/reviews")]
pub async fn list_my_reviews(
    state: SharedState,
    auth: Auth,
) -> Result<web::Json<MyReviewList>, ApiError> {
    let items = domain::review::mine(state.store.as_ref(), auth.0.customer_id).await?;
    Ok(web::Json(MyReviewList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// Delete one of the caller's reviews, whatever its status; an approved
/// one leaves the plan's rating at once. The plan may then be reviewed
/// again.
#[utoipa::path(
    tag = "me",
    operation_id = "delete_my_review",
    security(("bearer" = [])),
    params(("review_id" = Uuid, Path, description = "The review's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No review of the caller has this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The review was moderated at the same moment: try again (`conflict`)", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[delete("/v1/me/reviews/{review_id}")]
pub async fn delete_my_review(
    state: SharedState,
    auth: Auth,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = review_id(&path)?;
    if domain::review::delete_mine(state.store.as_ref(), auth.0.customer_id, id).await? {
        refresh(&state).await;
    }
    Ok(HttpResponse::NoContent().finish())
}

/// The reviews to moderate (staff), newest first.
///
/// Each shows its text and its author's account id but not the author's
/// name, so reading them is not an audited access to personal data.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_list_reviews",
    security(("bearer" = [])),
    params(ReviewParams),
    responses(
        (status = 200, description = "A page of reviews", body = ReviewModerationPage),
        (status = 400, description = "Bad status, limit or offset", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[get("/v1/admin/reviews")]
pub async fn admin_list_reviews(
    state: SharedState,
    _staff: Staff,
    params: Params<ReviewParams>,
) -> Result<web::Json<ReviewModerationPage>, ApiError> {
    let p = params.read()?;
    let (limit, offset) = OffsetParams {
        limit: p.limit.clone(),
        offset: p.offset.clone(),
    }
    .parse()?;
    let items = domain::review::for_moderation(
        state.store.as_ref(),
        p.status.map(Into::into),
        limit,
        offset,
    )
    .await?;
    Ok(web::Json(ReviewModerationPage {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

async fn moderate(
    state: &SharedState,
    staff: &Staff,
    raw: &str,
    to: ReviewStatus,
) -> Result<HttpResponse, ApiError> {
    let id = review_id(raw)?;
    let changed =
        domain::review::moderate(state.store.as_ref(), state.clock.as_ref(), &staff.0, id, to)
            .await?;
    if changed.is_some() {
        refresh(state).await;
    }
    Ok(HttpResponse::NoContent().finish())
}

/// Approve a review (staff): it is shown with its plan and counts in the
/// plan's rating at once. Audited. Approving an approved review changes
/// nothing.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_approve_review",
    security(("bearer" = [])),
    params(("review_id" = Uuid, Path, description = "The review's id")),
    responses(
        (status = 204, description = "Approved"),
        (status = 404, description = "No review has this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another moderator changed it at the same moment: read it again (`conflict`)", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[post("/v1/admin/reviews/{review_id}/approve")]
pub async fn admin_approve_review(
    state: SharedState,
    staff: Staff,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    moderate(&state, &staff, &path, ReviewStatus::Approved).await
}

/// Reject a review (staff): it is not shown, and an approved review leaves
/// the plan's rating at once. Audited. Rejecting a rejected review changes
/// nothing.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_reject_review",
    security(("bearer" = [])),
    params(("review_id" = Uuid, Path, description = "The review's id")),
    responses(
        (status = 204, description = "Rejected"),
        (status = 404, description = "No review has this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another moderator changed it at the same moment: read it again (`conflict`)", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[post("/v1/admin/reviews/{review_id}/reject")]
pub async fn admin_reject_review(
    state: SharedState,
    staff: Staff,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    moderate(&state, &staff, &path, ReviewStatus::Rejected).await
}
