//! `/v1/contact-messages`: the contact form (CONT-1); and staff's side in
//! `/v1/admin/contact-messages` (every read of a message audited).

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use domain::contact::{ContactStatus, Message, MessageSummary, NewMessage, Topic};
use domain::identity::Language;
use domain::ids::ContactMessageId;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::auth::{Caller, MaybeAuth, Staff};
use crate::body::{Body, Params};
use crate::problem::{ApiError, BodyErrors, Problem, SignedInErrors, ThrottledErrors};
use crate::routes::admin::customers::reason;
use crate::routes::auth::LanguageDto;
use crate::routes::common::{Accepted, OffsetParams, validate};
use crate::state::SharedState;

/// What a message is about:
///
/// - `product_question`: a question about a plan.
/// - `order_question`: a question about an order.
/// - `privacy_request`: a request about personal data (access, erasure...).
/// - `other`: anything else.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContactTopic {
    /// A plan.
    ProductQuestion,
    /// An order.
    OrderQuestion,
    /// Personal data.
    PrivacyRequest,
    /// Anything else.
    Other,
}

impl From<ContactTopic> for Topic {
    fn from(t: ContactTopic) -> Self {
        match t {
            ContactTopic::ProductQuestion => Self::ProductQuestion,
            ContactTopic::OrderQuestion => Self::OrderQuestion,
            ContactTopic::PrivacyRequest => Self::PrivacyRequest,
            ContactTopic::Other => Self::Other,
        }
    }
}

impl From<Topic> for ContactTopic {
    fn from(t: Topic) -> Self {
        match t {
            Topic::ProductQuestion => Self::ProductQuestion,
            Topic::OrderQuestion => Self::OrderQuestion,
            Topic::PrivacyRequest => Self::PrivacyRequest,
            Topic::Other => Self::Other,
        }
    }
}

/// A message (the body of `POST /v1/contact-messages`).
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Jeanne Dupont", "email": "jeanne.dupont@example.fr", "topic": "order_question", "message": "Bonjour, je n'ai pas reçu le lien de téléchargement de ma commande.", "order_number": "2026-0042", "language": "fr", "accept_privacy_policy": true}))]
#[schema(as = ContactMessageInput)]
pub struct ContactRequest {
    /// The writer's name: 1 to 100 characters.
    #[validate(length(max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// Where the answer goes (at most 254 bytes).
    #[validate(length(max = 254))]
    #[schema(min_length = 5, max_length = 254)]
    pub email: String,
    /// What it is about.
    pub topic: ContactTopic,
    /// The message: 10 to 5,000 characters.
    #[validate(length(max = 5000))]
    #[schema(min_length = 10, max_length = 5000)]
    pub message: String,
    /// The order it is about, if any (at most 40 characters).
    #[validate(length(max = 40))]
    #[schema(max_length = 40)]
    pub order_number: Option<String>,
    /// Language of the acknowledgement and answers (`fr` when absent).
    pub language: Option<LanguageDto>,
    /// Must be `true`: the writer acknowledged the privacy policy (what is
    /// kept and why).
    pub accept_privacy_policy: bool,
    /// A trap for bots: forms keep this field hidden and empty. A message
    /// with a value here is answered like any other and dropped.
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    pub fax: Option<String>,
}

/// Write to the shop.
///
/// Answers 202 and sends an acknowledgement e-mail. Signed-in customers'
/// messages are linked to their account. At most 5 messages per source
/// and 3 per address an hour (429 with `Retry-After`). Only what is needed
/// to answer is kept, encrypted.
#[utoipa::path(
    tag = "contact",
    operation_id = "send_contact_message",
    request_body = ContactRequest,
    responses(
        (status = 202, description = "Received; an acknowledgement e-mail follows", body = Accepted),
        (status = 401, description = "A token was sent but is not valid (send none to write as a guest)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "An API key was sent: the form is for people (send none to write as a guest)", body = Problem, content_type = "application/problem+json"),
        ThrottledErrors,
        BodyErrors,
    )
)]
#[post("/v1/contact-messages")]
pub async fn send_contact_message(
    state: SharedState,
    auth: MaybeAuth,
    caller: Caller,
    body: Body<ContactRequest>,
) -> Result<HttpResponse, ApiError> {
    let b = body.read().await?;
    validate(&b)?;
    let parsed = NewMessage::parse(
        &b.name,
        &b.email,
        b.topic.into(),
        &b.message,
        b.order_number.as_deref(),
        b.language.map_or(Language::Fr, Language::from),
    );
    let mut f = match &parsed {
        Ok(_) => domain::FieldErrors::default(),
        Err(f) => f.clone(),
    };
    if !b.accept_privacy_policy {
        f.push(
            "accept_privacy_policy",
            "must be true: the privacy policy has to be actively acknowledged",
        );
    }
    f.clone().check()?;
    let message = parsed?;
    let trapped = b.fax.as_deref().is_some_and(|v| !v.trim().is_empty());
    domain::contact::submit(
        state.store.as_ref(),
        state.index.as_ref(),
        state.clock.as_ref(),
        &state.identity,
        state.forms,
        auth.0.as_ref(),
        message,
        trapped,
        &caller.0,
    )
    .await?;
    Ok(HttpResponse::Accepted().json(Accepted::new(
        "Your message was received; an acknowledgement is on its way.",
    )))
}

/// Where a message stands:
///
/// - `new`: not answered yet.
/// - `answered`: staff answered.
/// - `closed`: nothing more to do.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContactMessageStatus {
    /// New.
    New,
    /// Answered.
    Answered,
    /// Closed.
    Closed,
}

impl From<ContactStatus> for ContactMessageStatus {
    fn from(s: ContactStatus) -> Self {
        match s {
            ContactStatus::New => Self::New,
            ContactStatus::Answered => Self::Answered,
            ContactStatus::Closed => Self::Closed,
        }
    }
}

impl From<ContactMessageStatus> for ContactStatus {
    fn from(s: ContactMessageStatus) -> Self {
        match s {
            ContactMessageStatus::New => Self::New,
            ContactMessageStatus::Answered => Self::Answered,
            ContactMessageStatus::Closed => Self::Closed,
        }
    }
}

/// A message in staff's list: no personal data (reading one is audited).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "01a21fb1-0d2c-7f4e-9a1b-2c3d4e5f6a7b", "topic": "order_question", "status": "new", "language": "fr", "customer_id": null, "has_order_number": true, "created_at": "2026-11-20T17:42:31Z", "updated_at": "2026-11-20T17:42:31Z", "answered_at": null, "data_subject_request_at": null}))]
pub struct ContactMessageSummary {
    /// Identifier (a UUID v7).
    pub id: uuid::Uuid,
    /// What about.
    pub topic: ContactTopic,
    /// Where it stands.
    pub status: ContactMessageStatus,
    /// The writer's language.
    pub language: LanguageDto,
    /// The writer's account, when they were signed in (a UUID).
    pub customer_id: Option<uuid::Uuid>,
    /// Whether an order number was given.
    pub has_order_number: bool,
    /// Received (RFC 3339, UTC).
    pub created_at: DateTime<Utc>,
    /// Last change (RFC 3339, UTC).
    pub updated_at: DateTime<Utc>,
    /// Last answer (RFC 3339, UTC).
    pub answered_at: Option<DateTime<Utc>>,
    /// When it was handed to the data-subject rights workflow (RFC 3339, UTC).
    pub data_subject_request_at: Option<DateTime<Utc>>,
}

impl From<MessageSummary> for ContactMessageSummary {
    fn from(m: MessageSummary) -> Self {
        Self {
            id: m.id.as_uuid(),
            topic: m.topic.into(),
            status: m.status.into(),
            language: m.language.into(),
            customer_id: m.customer_id.map(|c| c.as_uuid()),
            has_order_number: m.has_order_number,
            created_at: m.created_at,
            updated_at: m.updated_at,
            answered_at: m.answered_at,
            data_subject_request_at: m.data_subject_request_at,
        }
    }
}

/// An answer.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"staff_id": "01a21fb0-2c4e-7a31-8f0d-5b6e7c8d9e01", "body": "Bonjour, le lien vient de vous être renvoyé.", "created_at": "2026-11-20T18:02:00Z"}))]
pub struct ContactAnswer {
    /// The staff member who answered (a UUID).
    pub staff_id: Option<uuid::Uuid>,
    /// The answer.
    pub body: String,
    /// When (RFC 3339, UTC).
    pub created_at: DateTime<Utc>,
}

/// A message with the writer's details and the answers (an audited read).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ContactMessage, example = json!({"id": "01a21fb1-0d2c-7f4e-9a1b-2c3d4e5f6a7b", "topic": "order_question", "status": "answered", "language": "fr", "customer_id": null, "has_order_number": true, "created_at": "2026-11-20T17:42:31Z", "updated_at": "2026-11-20T18:02:00Z", "answered_at": "2026-11-20T18:02:00Z", "data_subject_request_at": null, "name": "Jeanne Dupont", "email": "jeanne.dupont@example.fr", "message": "Je n'ai pas reçu mon lien de téléchargement.", "order_number": "2026-0042", "answers": [{"staff_id": "01a21fb0-2c4e-7a31-8f0d-5b6e7c8d9e01", "body": "Le lien vient de vous être renvoyé.", "created_at": "2026-11-20T18:02:00Z"}]}))]
pub struct ContactMessageDto {
    /// The listing fields.
    #[serde(flatten)]
    pub summary: ContactMessageSummary,
    /// The writer's name.
    pub name: String,
    /// The writer's address.
    pub email: String,
    /// The text the writer sent.
    pub message: String,
    /// The order it is about.
    pub order_number: Option<String>,
    /// Answers, oldest first.
    pub answers: Vec<ContactAnswer>,
}

impl From<Message> for ContactMessageDto {
    fn from(m: Message) -> Self {
        Self {
            summary: m.summary.into(),
            name: m.name.as_str().to_owned(),
            email: m.email.as_str().to_owned(),
            message: m.message,
            order_number: m.order_number,
            answers: m
                .replies
                .into_iter()
                .map(|r| ContactAnswer {
                    staff_id: r.staff_id.map(|s| s.as_uuid()),
                    body: r.body,
                    created_at: r.created_at,
                })
                .collect(),
        }
    }
}

/// Filters and page of staff's list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContactListParams {
    /// Only messages in this status.
    pub status: Option<ContactMessageStatus>,
    /// Only messages about this.
    pub topic: Option<ContactTopic>,
    /// Page size, 1 to 100 (default 20).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100, example = 20)]
    pub limit: Option<String>,
    /// Messages to skip (default 0).
    #[param(value_type = Option<u32>, minimum = 0, maximum = 100000, example = 0)]
    pub offset: Option<String>,
}

/// A page of messages.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"id": "01a21fb1-0d2c-7f4e-9a1b-2c3d4e5f6a7b", "topic": "order_question", "status": "new", "language": "fr", "customer_id": null, "has_order_number": true, "created_at": "2026-11-20T17:42:31Z", "updated_at": "2026-11-20T17:42:31Z", "answered_at": null, "data_subject_request_at": null}]}))]
pub struct ContactMessagePage {
    /// Messages, newest first.
    pub items: Vec<ContactMessageSummary>,
}

/// Contact messages (staff), newest first, without personal data.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_list_contact_messages",
    security(("bearer" = [])),
    params(ContactListParams),
    responses(
        (status = 200, description = "A page of messages", body = ContactMessagePage),
        (status = 400, description = "Bad filter, limit or offset", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[get("/v1/admin/contact-messages")]
pub async fn admin_list_contact_messages(
    state: SharedState,
    _staff: Staff,
    params: Params<ContactListParams>,
) -> Result<web::Json<ContactMessagePage>, ApiError> {
    let p = params.read()?;
    let (limit, offset) = OffsetParams {
        limit: p.limit.clone(),
        offset: p.offset.clone(),
    }
    .parse()?;
    let items = domain::contact::list(
        state.store.as_ref(),
        p.status.map(Into::into),
        p.topic.map(Into::into),
        limit,
        offset,
    )
    .await?;
    Ok(web::Json(ContactMessagePage {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

fn message_id(raw: &str) -> Result<ContactMessageId, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::NotFound("No contact message has this id.".into()))
}

/// Read a message (staff): audited with `X-Access-Reason`.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_get_contact_message",
    security(("bearer" = [])),
    params(
        ("message_id" = uuid::Uuid, Path, description = "The message's id"),
        ("X-Access-Reason" = String, Header, description = "Why this personal data is read: 3 to 200 printable ASCII characters (tabs allowed inside)", example = "answering the customer", min_length = 3, max_length = 200, pattern = r"^[!-~](?:[\t -~]*[!-~])?$"),
    ),
    responses(
        (status = 200, description = "The message", body = ContactMessageDto),
        (status = 400, description = "`X-Access-Reason` is missing or malformed", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No contact message has this id", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[get("/v1/admin/contact-messages/{message_id}")]
pub async fn admin_get_contact_message(
    state: SharedState,
    staff: Staff,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<web::Json<ContactMessageDto>, ApiError> {
    let why = reason(&req)?;
    let id = message_id(&path)?;
    let m = domain::contact::read(
        state.store.as_ref(),
        state.clock.as_ref(),
        &staff.0,
        id,
        &why,
    )
    .await?;
    Ok(web::Json(m.into()))
}

/// An answer (the body of `POST /v1/admin/contact-messages/{message_id}/answers`).
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"body": "Bonjour, le lien vient de vous être renvoyé. Bonne journée."}))]
#[schema(as = ContactAnswerInput)]
pub struct AnswerRequest {
    /// The answer: 1 to 10,000 characters.
    #[validate(length(max = 10000))]
    #[schema(min_length = 1, max_length = 10000)]
    pub body: String,
}

/// Answer a message (staff): the answer is e-mailed to the writer through
/// the outbox and the message marked `answered`. Audited.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_answer_contact_message",
    security(("bearer" = [])),
    params(("message_id" = uuid::Uuid, Path, description = "The message's id")),
    request_body = AnswerRequest,
    responses(
        (status = 201, description = "Answered", body = ContactMessageDto),
        (status = 404, description = "No contact message has this id", body = Problem, content_type = "application/problem+json"),
        BodyErrors,
        SignedInErrors,
    )
)]
#[post("/v1/admin/contact-messages/{message_id}/answers")]
pub async fn admin_answer_contact_message(
    state: SharedState,
    staff: Staff,
    path: web::Path<String>,
    body: Body<AnswerRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = message_id(&path)?;
    let b = body.read().await?;
    validate(&b)?;
    let m = domain::contact::answer(
        state.store.as_ref(),
        state.clock.as_ref(),
        &staff.0,
        id,
        &b.body,
    )
    .await?;
    Ok(HttpResponse::Created().json(ContactMessageDto::from(m)))
}

/// A status change (the body of `POST /v1/admin/contact-messages/{message_id}/status`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "closed"}))]
#[schema(as = ContactStatusChange)]
pub struct StatusRequest {
    /// The new status.
    pub status: ContactMessageStatus,
}

/// Set a message's status (staff), audited.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_set_contact_message_status",
    security(("bearer" = [])),
    params(("message_id" = uuid::Uuid, Path, description = "The message's id")),
    request_body = StatusRequest,
    responses(
        (status = 204, description = "Changed"),
        (status = 404, description = "No contact message has this id", body = Problem, content_type = "application/problem+json"),
        BodyErrors,
        SignedInErrors,
    )
)]
#[post("/v1/admin/contact-messages/{message_id}/status")]
pub async fn admin_set_contact_message_status(
    state: SharedState,
    staff: Staff,
    path: web::Path<String>,
    body: Body<StatusRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = message_id(&path)?;
    let b = body.read().await?;
    domain::contact::set_status(
        state.store.as_ref(),
        state.clock.as_ref(),
        &staff.0,
        id,
        b.status.into(),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Hand a `privacy_request` message to the data-subject rights workflow
/// (staff), audited. The rights workflow picks it up from here.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_contact_message_to_rights_request",
    security(("bearer" = [])),
    params(("message_id" = uuid::Uuid, Path, description = "The message's id")),
    responses(
        (status = 200, description = "Handed over", body = ContactMessageSummary),
        (status = 404, description = "No contact message has this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not a `privacy_request`, or handed over already", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[post("/v1/admin/contact-messages/{message_id}/data-subject-request")]
pub async fn admin_contact_message_to_rights_request(
    state: SharedState,
    staff: Staff,
    path: web::Path<String>,
) -> Result<web::Json<ContactMessageSummary>, ApiError> {
    let id = message_id(&path)?;
    let m = domain::contact::to_rights_request(
        state.store.as_ref(),
        state.clock.as_ref(),
        &staff.0,
        id,
    )
    .await?;
    Ok(web::Json(m.into()))
}
