//! Reviews of plans (SHOP-6): a customer who bought a plan (an order of
//! theirs holding it was paid) reviews it once, with a rating of 1 to 5, a
//! title and a text. A review waits for moderation; approved reviews are
//! shown with the author's first name only, newest first. The title, the
//! text and the first name (taken from the account when the review is
//! written) are sealed under the customer's subject key: a customer whose
//! key is destroyed has their reviews vanish from every list. Each plan's
//! count and sum of approved ratings are kept in clear, changed in the
//! moderation's unit of work, and shown with the plan in the catalogue.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::audit::{AuditAction, AuditTarget};
use crate::catalogue::Rating;
use crate::clock::Clock;
use crate::error::{FieldCode, FieldErrors, StorageError};
use crate::identity::{CustomerId, PersonName, Principal};
use crate::ids::{ProductId, ReviewId};
use crate::service::ServiceError;
use crate::shop::order::OrderFilter;
use crate::store::{Repos, Store};
use crate::text::bounded;

/// Longest title, in characters.
pub const MAX_TITLE: usize = 120;
/// Longest text, in characters.
pub const MAX_TEXT: usize = 5000;

/// Where a review stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReviewStatus {
    /// Waiting for moderation: shown to its author and staff only.
    Pending,
    /// Shown with the plan.
    Approved,
    /// Refused by staff: shown to its author and staff only.
    Rejected,
}

impl ReviewStatus {
    /// Every status.
    pub const ALL: [Self; 3] = [Self::Pending, Self::Approved, Self::Rejected];

    /// The stored and wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
        }
    }

    /// Parses a stored name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// A review as written, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReview {
    /// 1 to 5.
    pub rating: u8,
    /// 1 to 120 characters, one line.
    pub title: String,
    /// 1 to 5,000 characters.
    pub text: String,
}

impl NewReview {
    /// Parses a review: a rating of 1 to 5, a one-line title of 1 to 120
    /// characters and a text of 1 to 5,000.
    ///
    /// # Errors
    /// Every refused field.
    pub fn parse(rating: i64, title: &str, text: &str) -> Result<Self, FieldErrors> {
        let mut f = FieldErrors::default();
        let rating = match u8::try_from(rating) {
            Ok(r @ 1..=5) => Some(r),
            _ => {
                f.push_code(
                    "rating",
                    if rating < 1 {
                        FieldCode::TooSmall
                    } else {
                        FieldCode::TooLarge
                    },
                    "must be a whole number from 1 to 5",
                );
                None
            }
        };
        let title = f.take_coded("title", bounded(title, 1, MAX_TITLE, false));
        let text = f.take_coded("text", bounded(text, 1, MAX_TEXT, true));
        f.finish(|| {
            Some(Self {
                rating: rating?,
                title: title?,
                text: text?,
            })
        })
    }
}

/// The first name shown with a review: the first word of the account's
/// name, at most 40 characters.
#[must_use]
pub fn first_name(name: &PersonName) -> String {
    let full = name.as_str().trim();
    let first = full.split_whitespace().next().unwrap_or(full);
    first.chars().take(40).collect()
}

/// What a new review stores.
#[derive(Debug, Clone)]
pub struct ReviewDraft {
    /// Id.
    pub id: ReviewId,
    /// The plan.
    pub product_id: ProductId,
    /// The author (also the subject whose key seals it).
    pub customer_id: CustomerId,
    /// What was written.
    pub review: NewReview,
    /// The author's first name, as shown.
    pub author: String,
    /// Written.
    pub created_at: DateTime<Utc>,
}

/// A review's fields kept in clear: what moderation and the ratings need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReviewHead {
    /// Id.
    pub id: ReviewId,
    /// The plan.
    pub product_id: ProductId,
    /// The author.
    pub customer_id: CustomerId,
    /// Where it stands.
    pub status: ReviewStatus,
    /// 1 to 5.
    pub rating: u8,
}

/// A whole review, opened: as its author and moderators see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    /// The clear fields.
    pub head: ReviewHead,
    /// Title.
    pub title: String,
    /// Text.
    pub text: String,
    /// The author's first name, as shown once approved.
    pub author: String,
    /// Written.
    pub created_at: DateTime<Utc>,
    /// Last approved or rejected.
    pub moderated_at: Option<DateTime<Utc>>,
}

/// An approved review, as everyone sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicReview {
    /// Id.
    pub id: ReviewId,
    /// 1 to 5.
    pub rating: u8,
    /// Title.
    pub title: String,
    /// Text.
    pub text: String,
    /// The author's first name.
    pub author: String,
    /// Written.
    pub created_at: DateTime<Utc>,
}

/// One page of a plan's approved reviews.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewPage {
    /// Newest first (those whose author's key is destroyed are left out).
    pub items: Vec<PublicReview>,
    /// The review to continue before, when there are more.
    pub next: Option<ReviewId>,
}

/// Reviews and the ratings they make.
#[async_trait]
pub trait ReviewRepo: Send + Sync {
    /// Stores a pending review, sealed under its author's key; false when
    /// the author has reviewed this plan already (one statement decides,
    /// so concurrent writes make one review).
    async fn insert(&self, draft: &ReviewDraft) -> Result<bool, StorageError>;
    /// A review's clear fields.
    async fn head(&self, id: ReviewId) -> Result<Option<ReviewHead>, StorageError>;
    /// The author's reviews, newest first, opened.
    async fn of_customer(&self, customer: CustomerId) -> Result<Vec<Review>, StorageError>;
    /// A plan's approved reviews older than `before`, newest first, at
    /// most `limit` rows read (rows that no longer open are skipped).
    async fn approved(
        &self,
        product: ProductId,
        before: Option<ReviewId>,
        limit: u64,
    ) -> Result<ReviewPage, StorageError>;
    /// Reviews for moderation, newest first, opened (those of erased
    /// authors are left out).
    async fn for_moderation(
        &self,
        status: Option<ReviewStatus>,
        limit: u64,
        offset: u64,
    ) -> Result<Vec<Review>, StorageError>;
    /// Moves a review from `from` to `to`; false when it was no longer in
    /// `from` (a concurrent change won).
    async fn set_status(
        &self,
        id: ReviewId,
        from: ReviewStatus,
        to: ReviewStatus,
        by: CustomerId,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError>;
    /// Deletes a review still in `status`; false otherwise.
    async fn delete(&self, id: ReviewId, status: ReviewStatus) -> Result<bool, StorageError>;
    /// Adds `count` reviews and `sum` to a plan's ratings (negative to take
    /// them away), and marks the plan changed in the catalogue's revision,
    /// so every instance renders it again with its new rating.
    async fn adjust_rating(
        &self,
        product: ProductId,
        count: i64,
        sum: i64,
    ) -> Result<(), StorageError>;
    /// A plan's ratings.
    async fn rating(&self, product: ProductId) -> Result<Option<Rating>, StorageError>;
}

/// Orders of a customer read per page while looking for a purchase.
const ORDERS_PER_PAGE: u64 = 100;

/// Whether one of the customer's paid orders (processing, completed or
/// partially refunded) holds the plan.
///
/// # Errors
/// Storage failure.
pub async fn bought(
    repos: &dyn Repos,
    customer: CustomerId,
    product: ProductId,
) -> Result<bool, StorageError> {
    let mut before = None;
    loop {
        let page = repos
            .orders()
            .list(
                &OrderFilter {
                    customer: Some(customer),
                    before,
                    ..OrderFilter::default()
                },
                ORDERS_PER_PAGE,
            )
            .await?;
        for summary in page.iter().filter(|o| o.status.is_paid()) {
            if let Some(order) = repos.orders().get(summary.id).await?
                && order.summary.status.is_paid()
                && order.lines.iter().any(|l| l.product_id == product)
            {
                return Ok(true);
            }
        }
        if (page.len() as u64) < ORDERS_PER_PAGE {
            return Ok(false);
        }
        before = page.last().map(|o| o.id);
    }
}

/// Writes a review of a plan the customer bought: stored pending, sealed
/// under their key, with the first word of their account's name.
///
/// # Errors
/// [`ServiceError::Conflict`] when no paid order of theirs holds the plan,
/// or they reviewed it already; storage failure.
pub async fn write(
    store: &dyn Store,
    clock: &dyn Clock,
    author: &Principal,
    product: ProductId,
    review: NewReview,
) -> Result<Review, ServiceError> {
    let customer = author.customer_id;
    if !bought(store.reader().as_ref(), customer, product).await? {
        return Err(ServiceError::Conflict(
            "only a customer who bought this plan (a paid order) may review it".into(),
        ));
    }
    let now = clock.now();
    let uow = store.begin().await?;
    let account = uow
        .accounts()
        .get(customer)
        .await?
        .ok_or_else(|| StorageError::msg("the signed-in account is missing"))?;
    let draft = ReviewDraft {
        id: ReviewId::new(),
        product_id: product,
        customer_id: customer,
        author: first_name(&account.name),
        review,
        created_at: now,
    };
    if !uow.reviews().insert(&draft).await? {
        return Err(ServiceError::Conflict(
            "you have reviewed this plan already: delete that review to write another".into(),
        ));
    }
    uow.commit().await?;
    Ok(Review {
        head: ReviewHead {
            id: draft.id,
            product_id: product,
            customer_id: customer,
            status: ReviewStatus::Pending,
            rating: draft.review.rating,
        },
        title: draft.review.title,
        text: draft.review.text,
        author: draft.author,
        created_at: now,
        moderated_at: None,
    })
}

/// The customer's own reviews, whatever their status, newest first.
///
/// # Errors
/// Storage failure.
pub async fn mine(store: &dyn Store, customer: CustomerId) -> Result<Vec<Review>, ServiceError> {
    Ok(store.reader().reviews().of_customer(customer).await?)
}

/// Deletes one of the customer's reviews; an approved one leaves its
/// plan's rating at once. Returns whether the plan's rating changed.
///
/// # Errors
/// [`ServiceError::NotFound`] for another's review or an unknown one;
/// [`ServiceError::Conflict`] when it was moderated meanwhile; storage.
pub async fn delete_mine(
    store: &dyn Store,
    customer: CustomerId,
    id: ReviewId,
) -> Result<bool, ServiceError> {
    let uow = store.begin().await?;
    let Some(head) = uow
        .reviews()
        .head(id)
        .await?
        .filter(|h| h.customer_id == customer)
    else {
        return Err(ServiceError::NotFound("No review of yours has this id."));
    };
    if !uow.reviews().delete(id, head.status).await? {
        return Err(ServiceError::Conflict(
            "the review changed meanwhile; try again".into(),
        ));
    }
    let rated = head.status == ReviewStatus::Approved;
    if rated {
        uow.reviews()
            .adjust_rating(head.product_id, -1, -i64::from(head.rating))
            .await?;
    }
    uow.commit().await?;
    Ok(rated)
}

/// A page of a plan's approved reviews, with the plan's ratings.
///
/// # Errors
/// Storage failure.
pub async fn public(
    store: &dyn Store,
    product: ProductId,
    before: Option<ReviewId>,
    limit: u64,
) -> Result<(ReviewPage, Option<Rating>), ServiceError> {
    let reader = store.reader();
    let page = reader.reviews().approved(product, before, limit).await?;
    let rating = reader.reviews().rating(product).await?;
    Ok((page, rating))
}

/// Reviews for moderation (staff). Their title and text name no one but
/// their author's id, so the read is not an audited access; the author's
/// name is not part of it.
///
/// # Errors
/// Storage failure.
pub async fn for_moderation(
    store: &dyn Store,
    status: Option<ReviewStatus>,
    limit: u64,
    offset: u64,
) -> Result<Vec<Review>, ServiceError> {
    Ok(store
        .reader()
        .reviews()
        .for_moderation(status, limit, offset)
        .await?)
}

/// Approves or rejects a review (staff), audited. Approving adds its
/// rating to its plan's; rejecting an approved review takes it away; both
/// in the same unit of work. Moderating a review to the status it has
/// changes nothing. Returns the review's plan when its rating changed.
///
/// # Errors
/// [`ServiceError::NotFound`]; [`ServiceError::Conflict`] when moderated
/// concurrently; storage failure.
pub async fn moderate(
    store: &dyn Store,
    clock: &dyn Clock,
    staff: &Principal,
    id: ReviewId,
    to: ReviewStatus,
) -> Result<Option<ProductId>, ServiceError> {
    let now = clock.now();
    let uow = store.begin().await?;
    let Some(head) = uow.reviews().head(id).await? else {
        return Err(ServiceError::NotFound("No review has this id."));
    };
    if head.status == to {
        return Ok(None);
    }
    if !uow
        .reviews()
        .set_status(id, head.status, to, staff.customer_id, now)
        .await?
    {
        return Err(ServiceError::Conflict(
            "the review was moderated meanwhile; read it again".into(),
        ));
    }
    let rating = i64::from(head.rating);
    let delta = match (head.status, to) {
        (_, ReviewStatus::Approved) => Some((1, rating)),
        (ReviewStatus::Approved, _) => Some((-1, -rating)),
        _ => None,
    };
    if let Some((count, sum)) = delta {
        uow.reviews()
            .adjust_rating(head.product_id, count, sum)
            .await?;
    }
    if to == ReviewStatus::Approved {
        crate::integration::emit(
            uow.as_ref(),
            crate::integration::EventType::ReviewApproved,
            serde_json::json!({
                "review_id": id.to_string(),
                "product_id": head.product_id.to_string(),
                "rating": head.rating,
            }),
            None,
            now,
        )
        .await?;
    }
    crate::audit::record(
        uow.as_ref(),
        staff.by(),
        AuditAction::ReviewModerated,
        AuditTarget::Review(id),
        to.as_str(),
        now,
    )
    .await?;
    uow.commit().await?;
    Ok(delta.map(|_| head.product_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shop_6_a_review_has_a_rating_of_1_to_5_a_title_and_a_text() {
        let ok = NewReview::parse(5, "  Superbe  ", "Plan clair.\nMerci.").unwrap();
        assert_eq!((ok.rating, ok.title.as_str()), (5, "Superbe"));
        let err = NewReview::parse(0, "", "").unwrap_err();
        let fields: Vec<&str> = err.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["rating", "title", "text"]);
        assert_eq!(err.0[0].code, FieldCode::TooSmall);
        assert_eq!(
            NewReview::parse(6, "t", "x").unwrap_err().0[0].code,
            FieldCode::TooLarge
        );
        assert!(NewReview::parse(3, "deux\nlignes", "x").is_err());
        assert!(NewReview::parse(3, &"t".repeat(MAX_TITLE + 1), "x").is_err());
    }

    #[test]
    fn shop_6_only_the_first_word_of_the_name_is_shown() {
        let name = PersonName::parse("Jeanne Marie Martin").unwrap();
        assert_eq!(first_name(&name), "Jeanne");
        let one = PersonName::parse("Cher").unwrap();
        assert_eq!(first_name(&one), "Cher");
    }

    #[test]
    fn shop_6_the_average_is_rounded_to_one_decimal() {
        let r = Rating::of(3, 13).unwrap();
        assert!((r.average() - 4.3).abs() < f64::EPSILON);
        assert!(Rating::of(0, 0).is_none());
        assert!(Rating::of(-1, 4).is_none());
    }
}
