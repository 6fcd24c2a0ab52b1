//! `/v1/newsletter/*`: double opt-in subscriptions and one-click
//! unsubscribe (NEWS-1, NEWS-2); `/v1/admin/newsletter/*`: campaigns and
//! objections recorded by staff.

use actix_web::{HttpResponse, delete, get, post, put, web};
use chrono::{DateTime, Utc};
use domain::identity::{Email, Language};
use domain::ids::CampaignId;
use domain::newsletter::{Audience, Campaign, CampaignContent, CampaignStatus};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::auth::{Caller, Staff};
use crate::body::{Body, Params};
use crate::problem::{ApiError, BodyErrors, Problem, SignedInErrors, ThrottledErrors};
use crate::routes::auth::LanguageDto;
use crate::routes::common::{Accepted, PageParams, page_by_id, validate};
use crate::state::SharedState;

/// A subscription request (the body of `POST /v1/newsletter/subscriptions`).
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "jeanne.dupont@example.fr", "language": "fr", "consent": true}))]
#[schema(as = NewsletterSubscription)]
pub struct SubscriptionRequest {
    /// The address to send letters to (at most 254 bytes).
    #[validate(length(max = 254))]
    #[schema(min_length = 5, max_length = 254)]
    pub email: String,
    /// Language of the letters (`fr` when absent).
    pub language: Option<LanguageDto>,
    /// Must be `true`: the person ticked the box asking for the newsletter.
    /// Never implied.
    pub consent: bool,
}

/// Subscribe to the newsletter (double opt-in).
///
/// Answers 202 whatever the address's state, so the answer reveals
/// nothing. A confirmation link
/// `<BOUTIQUE_FRONTEND_URL>/newsletter/confirm?token=<token>` goes out (at
/// most once per 10 minutes per address), valid 7 days; the page confirms
/// with `POST /v1/newsletter/confirmations`. Only confirmed addresses
/// receive letters; unconfirmed ones are deleted after 7 days. At most 10
/// requests per source and hour.
#[utoipa::path(
    tag = "newsletter",
    operation_id = "subscribe_to_newsletter",
    request_body = SubscriptionRequest,
    responses(
        (status = 202, description = "Accepted; a confirmation e-mail follows if needed", body = Accepted),
        ThrottledErrors,
        BodyErrors,
    )
)]
#[post("/v1/newsletter/subscriptions")]
pub async fn subscribe_to_newsletter(
    state: SharedState,
    caller: Caller,
    body: Body<SubscriptionRequest>,
) -> Result<HttpResponse, ApiError> {
    let b = body.read().await?;
    validate(&b)?;
    let mut f = domain::FieldErrors::default();
    let email = f.take_coded("email", Email::parse(&b.email));
    if !b.consent {
        f.push(
            "consent",
            "must be true: the newsletter has to be actively asked for",
        );
    }
    let email = f.finish(|| email)?;
    domain::newsletter::subscribe(
        state.store.as_ref(),
        state.index.as_ref(),
        &state.random,
        state.clock.as_ref(),
        &state.identity,
        &state.newsletter,
        email,
        b.language.map_or(Language::Fr, Language::from),
        &caller.0,
    )
    .await?;
    Ok(HttpResponse::Accepted().json(Accepted::new(
        "If this address can be subscribed, a confirmation e-mail is on its way.",
    )))
}

/// A confirmation link's token (the body of `POST /v1/newsletter/confirmations`).
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"token": "sQm1Yk0cX2rV8eQ4pZ7nH3jL6tW9uB5dA1fG0hK2iM4"}))]
#[schema(as = NewsletterConfirmation)]
pub struct ConfirmationRequest {
    /// The `token` of the confirmation link.
    #[validate(length(max = 128))]
    #[schema(min_length = 1, max_length = 128)]
    pub token: String,
}

/// The outcome of a newsletter action.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"subscribed": true}))]
pub struct SubscriptionState {
    /// Whether the address now receives letters.
    pub subscribed: bool,
}

/// Confirm a subscription (double opt-in).
///
/// The frontend's confirmation page posts the link's token when the
/// person clicks (a GET of the link by a mail scanner confirms nothing).
/// From then on the address receives letters, and the consent ledger
/// records the consent given. Confirming twice is fine.
#[utoipa::path(
    tag = "newsletter",
    operation_id = "confirm_newsletter_subscription",
    request_body = ConfirmationRequest,
    responses(
        (status = 200, description = "Confirmed", body = SubscriptionState),
        BodyErrors,
    )
)]
#[post("/v1/newsletter/confirmations")]
pub async fn confirm_newsletter_subscription(
    state: SharedState,
    caller: Caller,
    body: Body<ConfirmationRequest>,
) -> Result<web::Json<SubscriptionState>, ApiError> {
    let b = body.read().await?;
    validate(&b)?;
    domain::newsletter::confirm(
        state.store.as_ref(),
        state.clock.as_ref(),
        &b.token,
        &caller.0,
    )
    .await?;
    Ok(web::Json(SubscriptionState { subscribed: true }))
}

/// The personal token of a letter's unsubscribe link.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnsubscribeParams {
    /// The `token` of the letter's unsubscribe link.
    #[param(
        min_length = 65,
        max_length = 65,
        pattern = "^[nm][0-9a-f]{64}$",
        example = "n0193a5b27c1e7d2a9f003b5c1d2e4f60c2a1b3d4e5f60718293a4b5c6d7e8f9"
    )]
    pub token: String,
}

/// Whether a letter's recipient still receives letters. Changes nothing:
/// mail scanners follow links, so only a `POST` unsubscribes.
#[utoipa::path(
    tag = "newsletter",
    operation_id = "get_unsubscribe_state",
    params(UnsubscribeParams),
    responses(
        (status = 200, description = "Where the recipient stands", body = SubscriptionState),
        (status = 400, description = "A token this shop did not make (`errors[].field` is `token`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/newsletter/unsubscribe")]
pub async fn get_unsubscribe_state(
    state: SharedState,
    params: Params<UnsubscribeParams>,
) -> Result<web::Json<SubscriptionState>, ApiError> {
    let p = params.read()?;
    let subscribed =
        domain::newsletter::unsubscribe_state(state.store.as_ref(), state.index.as_ref(), &p.token)
            .await?;
    Ok(web::Json(SubscriptionState { subscribed }))
}

/// The one-click body mail clients send (RFC 8058).
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"List-Unsubscribe": "One-Click"}))]
pub struct OneClickForm {
    /// Always `One-Click`.
    #[serde(rename = "List-Unsubscribe")]
    #[schema(example = "One-Click")]
    pub list_unsubscribe: Option<String>,
}

/// Unsubscribe in one step, with no login (RFC 8058).
///
/// The URL of every letter's `List-Unsubscribe` header: mail clients post
/// `List-Unsubscribe=One-Click` to it; the frontend's unsubscribe page can
/// post to it too (any body, or none). The subscription ends (or a
/// customer's `marketing_email` consent is withdrawn), the consent ledger
/// records it, and letters still queued are dropped. Doing it twice is
/// fine.
#[utoipa::path(
    tag = "newsletter",
    operation_id = "unsubscribe_from_newsletter",
    params(UnsubscribeParams),
    request_body(content = OneClickForm, content_type = "application/x-www-form-urlencoded", description = "`List-Unsubscribe=One-Click` (optional; the token says who)"),
    responses(
        (status = 200, description = "Unsubscribed", body = SubscriptionState),
        (status = 400, description = "A token this shop did not make (`errors[].field` is `token`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/newsletter/unsubscribe")]
pub async fn unsubscribe_from_newsletter(
    state: SharedState,
    caller: Caller,
    params: Params<UnsubscribeParams>,
) -> Result<web::Json<SubscriptionState>, ApiError> {
    let p = params.read()?;
    domain::newsletter::unsubscribe(
        state.store.as_ref(),
        state.index.as_ref(),
        state.clock.as_ref(),
        &p.token,
        &caller.0,
    )
    .await?;
    Ok(web::Json(SubscriptionState { subscribed: false }))
}

/// Who a campaign goes to:
///
/// - `newsletter`: confirmed newsletter subscribers.
/// - `marketing_email`: customers whose `marketing_email` consent stands.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CampaignAudience {
    /// Newsletter subscribers.
    Newsletter,
    /// Customers who accept commercial e-mails.
    MarketingEmail,
}

/// Where a campaign stands:
///
/// - `draft`: being written; can be changed, sent or deleted.
/// - `scheduled`: will start at `scheduled_at`; can be changed or cancelled.
/// - `sending`: letters are being queued, batch by batch; can be cancelled.
/// - `sent`: every letter is queued.
/// - `cancelled`: stopped; letters not yet delivered are dropped.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CampaignState {
    /// Draft.
    Draft,
    /// Scheduled.
    Scheduled,
    /// Sending.
    Sending,
    /// Sent.
    Sent,
    /// Cancelled.
    Cancelled,
}

/// A campaign's content (the body of `POST` and `PUT` on campaigns).
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"audience": "newsletter", "subject_fr": "Nos nouveaux plans de novembre", "subject_en": "Our new plans for November", "body_fr": "Bonjour,\n\nDécouvrez nos maisons de plain-pied…", "body_en": "Hello,\n\nDiscover our single-storey houses…", "scheduled_at": null}))]
pub struct CampaignInput {
    /// Who it goes to (`newsletter` when absent).
    pub audience: Option<CampaignAudience>,
    /// Subject in French, 1 to 200 characters.
    #[validate(length(max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub subject_fr: String,
    /// Subject in English, 1 to 200 characters.
    #[validate(length(max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub subject_en: String,
    /// Body in French, plain text, 1 to 20,000 characters. Each letter
    /// ends with the recipient's unsubscribe link.
    #[validate(length(max = 20000))]
    #[schema(min_length = 1, max_length = 20000)]
    pub body_fr: String,
    /// Body in English, plain text, 1 to 20,000 characters.
    #[validate(length(max = 20000))]
    #[schema(min_length = 1, max_length = 20000)]
    pub body_en: String,
    /// When to start sending (RFC 3339, UTC); sending starts at once when
    /// absent or past.
    pub scheduled_at: Option<DateTime<Utc>>,
}

impl CampaignInput {
    fn parse(self) -> Result<CampaignContent, ApiError> {
        validate(&self)?;
        Ok(CampaignContent::parse(
            match self.audience.unwrap_or(CampaignAudience::Newsletter) {
                CampaignAudience::Newsletter => Audience::Newsletter,
                CampaignAudience::MarketingEmail => Audience::MarketingEmail,
            },
            &self.subject_fr,
            &self.subject_en,
            &self.body_fr,
            &self.body_en,
            self.scheduled_at,
        )?)
    }
}

/// A campaign and its progress.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "01a21fb1-0d2c-7f4e-9a1b-2c3d4e5f6a7b", "audience": "newsletter", "status": "sending", "subject_fr": "Nos nouveaux plans de novembre", "subject_en": "Our new plans for November", "body_fr": "Bonjour…", "body_en": "Hello…", "scheduled_at": null, "created_at": "2026-11-20T17:42:31Z", "updated_at": "2026-11-20T17:45:00Z", "started_at": "2026-11-20T17:45:00Z", "finished_at": null, "audience_size": 1200, "enqueued": 500}))]
#[schema(as = Campaign)]
pub struct CampaignDto {
    /// Identifier (a UUID v7).
    pub id: uuid::Uuid,
    /// Who it goes to.
    pub audience: CampaignAudience,
    /// Where it stands.
    pub status: CampaignState,
    /// Subject in French.
    pub subject_fr: String,
    /// Subject in English.
    pub subject_en: String,
    /// Body in French.
    pub body_fr: String,
    /// Body in English.
    pub body_en: String,
    /// When sending is to start (RFC 3339, UTC).
    pub scheduled_at: Option<DateTime<Utc>>,
    /// Created (RFC 3339, UTC).
    pub created_at: DateTime<Utc>,
    /// Last change (RFC 3339, UTC).
    pub updated_at: DateTime<Utc>,
    /// When sending started (RFC 3339, UTC).
    pub started_at: Option<DateTime<Utc>>,
    /// When the last letter was queued, or it was cancelled (RFC 3339, UTC).
    pub finished_at: Option<DateTime<Utc>>,
    /// How many recipients there were when sending started (who gets a
    /// letter is decided batch by batch, from consent at that moment).
    pub audience_size: Option<i64>,
    /// Letters queued so far: the progress.
    pub enqueued: i64,
}

impl From<Campaign> for CampaignDto {
    fn from(c: Campaign) -> Self {
        Self {
            id: c.id.as_uuid(),
            audience: match c.content.audience {
                Audience::Newsletter => CampaignAudience::Newsletter,
                Audience::MarketingEmail => CampaignAudience::MarketingEmail,
            },
            status: match c.status {
                CampaignStatus::Draft => CampaignState::Draft,
                CampaignStatus::Scheduled => CampaignState::Scheduled,
                CampaignStatus::Sending => CampaignState::Sending,
                CampaignStatus::Sent => CampaignState::Sent,
                CampaignStatus::Cancelled => CampaignState::Cancelled,
            },
            subject_fr: c.content.subject_fr,
            subject_en: c.content.subject_en,
            body_fr: c.content.body_fr,
            body_en: c.content.body_en,
            scheduled_at: c.content.scheduled_at,
            created_at: c.created_at,
            updated_at: c.updated_at,
            started_at: c.started_at,
            finished_at: c.finished_at,
            audience_size: c.audience_size,
            enqueued: c.enqueued,
        }
    }
}

/// A page of campaigns.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"id": "01a21fb1-0d2c-7f4e-9a1b-2c3d4e5f6a7b", "audience": "newsletter", "status": "sent", "subject_fr": "Nos nouveaux plans de novembre", "subject_en": "Our new plans for November", "body_fr": "Bonjour…", "body_en": "Hello…", "scheduled_at": null, "created_at": "2026-11-20T17:42:31Z", "updated_at": "2026-11-20T17:46:00Z", "started_at": "2026-11-20T17:45:00Z", "finished_at": "2026-11-20T17:46:00Z", "audience_size": 1200, "enqueued": 1198}], "next_cursor": null}))]
pub struct CampaignPage {
    /// Campaigns, oldest first.
    pub items: Vec<CampaignDto>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

fn campaign_id(raw: &str) -> Result<CampaignId, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::NotFound("No campaign has this id.".into()))
}

/// Campaigns (staff).
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_list_campaigns",
    security(("bearer" = [])),
    params(PageParams),
    responses(
        (status = 200, description = "A page of campaigns", body = CampaignPage),
        (status = 400, description = "Bad limit or cursor", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[get("/v1/admin/newsletter/campaigns")]
pub async fn admin_list_campaigns(
    state: SharedState,
    _staff: Staff,
    page: Params<PageParams>,
) -> Result<web::Json<CampaignPage>, ApiError> {
    let page = page.read()?;
    let (limit, after) = page.parse("campaigns")?;
    let all = state.store.reader().newsletter().campaigns(1000, 0).await?;
    let (items, next_cursor) = page_by_id(all, |c| c.id.as_uuid(), limit, after, "campaigns");
    Ok(web::Json(CampaignPage {
        items: items.into_iter().map(Into::into).collect(),
        next_cursor,
    }))
}

/// Write a campaign (staff): a draft, audited.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_create_campaign",
    security(("bearer" = [])),
    request_body = CampaignInput,
    responses(
        (status = 201, description = "Created", body = CampaignDto, headers(("Location" = String, description = "The campaign"))),
        BodyErrors,
        SignedInErrors,
    )
)]
#[post("/v1/admin/newsletter/campaigns")]
pub async fn admin_create_campaign(
    state: SharedState,
    staff: Staff,
    body: Body<CampaignInput>,
) -> Result<HttpResponse, ApiError> {
    let content = body.read().await?.parse()?;
    let c = domain::newsletter::create_campaign(
        state.store.as_ref(),
        state.clock.as_ref(),
        &staff.0,
        content,
    )
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            "Location",
            format!("/v1/admin/newsletter/campaigns/{}", c.id),
        ))
        .json(CampaignDto::from(c)))
}

/// A campaign and its progress (staff).
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_get_campaign",
    security(("bearer" = [])),
    params(("campaign_id" = uuid::Uuid, Path, description = "The campaign's id")),
    responses(
        (status = 200, description = "The campaign", body = CampaignDto),
        (status = 404, description = "No campaign has this id", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[get("/v1/admin/newsletter/campaigns/{campaign_id}")]
pub async fn admin_get_campaign(
    state: SharedState,
    _staff: Staff,
    path: web::Path<String>,
) -> Result<web::Json<CampaignDto>, ApiError> {
    let id = campaign_id(&path)?;
    Ok(web::Json(
        domain::newsletter::campaign(state.store.as_ref(), id)
            .await?
            .into(),
    ))
}

/// Replace a draft or scheduled campaign's content (staff), audited.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_replace_campaign",
    security(("bearer" = [])),
    params(("campaign_id" = uuid::Uuid, Path, description = "The campaign's id")),
    request_body = CampaignInput,
    responses(
        (status = 200, description = "Replaced", body = CampaignDto),
        (status = 404, description = "No campaign has this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Sending has started: the content is fixed", body = Problem, content_type = "application/problem+json"),
        BodyErrors,
        SignedInErrors,
    )
)]
#[put("/v1/admin/newsletter/campaigns/{campaign_id}")]
pub async fn admin_replace_campaign(
    state: SharedState,
    staff: Staff,
    path: web::Path<String>,
    body: Body<CampaignInput>,
) -> Result<web::Json<CampaignDto>, ApiError> {
    let id = campaign_id(&path)?;
    let content = body.read().await?.parse()?;
    let c = domain::newsletter::update_campaign(
        state.store.as_ref(),
        state.clock.as_ref(),
        &staff.0,
        id,
        content,
    )
    .await?;
    Ok(web::Json(c.into()))
}

/// Delete a draft campaign (staff), audited.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_delete_campaign",
    security(("bearer" = [])),
    params(("campaign_id" = uuid::Uuid, Path, description = "The campaign's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No campaign has this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not a draft: cancel it instead", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[delete("/v1/admin/newsletter/campaigns/{campaign_id}")]
pub async fn admin_delete_campaign(
    state: SharedState,
    staff: Staff,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = campaign_id(&path)?;
    domain::newsletter::delete_campaign(state.store.as_ref(), state.clock.as_ref(), &staff.0, id)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Send a draft campaign (staff), audited.
///
/// With a future `scheduled_at` it waits until then; otherwise sending
/// starts at once. Letters are queued through the outbox in batches of
/// 500; who receives one is decided from consent at the moment of its
/// batch, so a person who unsubscribed a second before receives nothing.
/// `enqueued` on the campaign shows the progress.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_send_campaign",
    security(("bearer" = [])),
    params(("campaign_id" = uuid::Uuid, Path, description = "The campaign's id")),
    responses(
        (status = 202, description = "Scheduled or sending", body = CampaignDto),
        (status = 404, description = "No campaign has this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not a draft", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[post("/v1/admin/newsletter/campaigns/{campaign_id}/send")]
pub async fn admin_send_campaign(
    state: SharedState,
    staff: Staff,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = campaign_id(&path)?;
    let c =
        domain::newsletter::send_campaign(state.store.as_ref(), state.clock.as_ref(), &staff.0, id)
            .await?;
    Ok(HttpResponse::Accepted().json(CampaignDto::from(c)))
}

/// Cancel a scheduled or sending campaign (staff), audited: no further
/// letter is queued, and letters not yet delivered are dropped.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_cancel_campaign",
    security(("bearer" = [])),
    params(("campaign_id" = uuid::Uuid, Path, description = "The campaign's id")),
    responses(
        (status = 200, description = "Cancelled", body = CampaignDto),
        (status = 404, description = "No campaign has this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Neither scheduled nor sending", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[post("/v1/admin/newsletter/campaigns/{campaign_id}/cancel")]
pub async fn admin_cancel_campaign(
    state: SharedState,
    staff: Staff,
    path: web::Path<String>,
) -> Result<web::Json<CampaignDto>, ApiError> {
    let id = campaign_id(&path)?;
    let c = domain::newsletter::cancel_campaign(
        state.store.as_ref(),
        state.clock.as_ref(),
        &staff.0,
        id,
    )
    .await?;
    Ok(web::Json(c.into()))
}

/// A person's objection, received by staff (the body of
/// `POST /v1/admin/newsletter/objections`).
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "jeanne.dupont@example.fr", "reason": "asked by phone on 2026-11-20"}))]
#[schema(as = Objection)]
pub struct ObjectionRequest {
    /// The person's address.
    #[validate(length(max = 254))]
    #[schema(min_length = 5, max_length = 254)]
    pub email: String,
    /// How the request came (kept in the audit log): 3 to 200 characters.
    #[validate(length(max = 200))]
    #[schema(min_length = 3, max_length = 200)]
    pub reason: String,
}

/// What an objection found.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"found": true}))]
pub struct ObjectionOutcome {
    /// Whether the address had an account, a subscription or a guest record.
    pub found: bool,
}

/// Record a person's objection to the newsletter and commercial e-mails,
/// received by staff (GDPR art. 21): every subscription of the address
/// ends, the ledger records the withdrawal (`staff_request`), queued
/// letters are dropped. Audited.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_record_objection",
    security(("bearer" = [])),
    request_body = ObjectionRequest,
    responses(
        (status = 200, description = "Recorded", body = ObjectionOutcome),
        BodyErrors,
        SignedInErrors,
    )
)]
#[post("/v1/admin/newsletter/objections")]
pub async fn admin_record_objection(
    state: SharedState,
    staff: Staff,
    body: Body<ObjectionRequest>,
) -> Result<web::Json<ObjectionOutcome>, ApiError> {
    let b = body.read().await?;
    validate(&b)?;
    let mut f = domain::FieldErrors::default();
    let email = f.take_coded("email", Email::parse(&b.email));
    let reason = f.take_coded("reason", domain::text::bounded(&b.reason, 3, 200, false));
    let (email, reason) = f.finish(|| Some((email?, reason?)))?;
    let found = domain::consent::withdraw_on_request(
        state.store.as_ref(),
        state.index.as_ref(),
        state.clock.as_ref(),
        &staff.0,
        &email,
        &reason,
    )
    .await?;
    Ok(web::Json(ObjectionOutcome { found }))
}
