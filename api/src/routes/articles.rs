//! `/v1/articles`: the shop's blog, served from a per-instance cache that
//! follows the articles' revision; comments left by visitors and customers
//! (COMM-1), shown only once approved, never with their e-mail; and
//! staff's side in `/v1/admin/articles` and `/v1/admin/comments`.

use std::collections::HashMap;
use std::sync::Mutex;

use actix_web::{HttpRequest, HttpResponse, delete, get, post, put, web};
use chrono::{DateTime, Duration, Utc};
use domain::blog::{
    Article, ArticleDraft, ArticleStatus, CommentStatus, ModeratedComment, NewComment,
    PublicComment,
};
use domain::ids::{ArticleId, CommentId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::auth::{Caller, MaybeAuth, Staff};
use crate::body::{Body, Params};
use crate::problem::{ApiError, BodyErrors, Problem, SignedInErrors, ThrottledErrors};
use crate::routes::admin::customers::reason;
use crate::routes::common::{Accepted, OffsetParams, validate};
use crate::routes::products::cache;
use crate::state::SharedState;

/// Rendered public answers by request key, with the articles' revision
/// they were made at and when they stop being trusted (a future
/// publication date becomes visible without a write).
#[derive(Default)]
pub struct ArticleCache {
    entries: Mutex<HashMap<String, Rendered>>,
}

/// A rendered answer: the revision it was made at, until when it is
/// trusted, and the JSON.
type Rendered = (i64, DateTime<Utc>, String);

/// How long a rendered answer is reused at one revision.
const FRESH: i64 = 30;

impl ArticleCache {
    fn get(&self, key: &str, revision: i64, now: DateTime<Utc>) -> Option<String> {
        let entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        entries
            .get(key)
            .filter(|(r, until, _)| *r == revision && now < *until)
            .map(|(_, _, body)| body.clone())
    }

    fn put(&self, key: String, revision: i64, now: DateTime<Utc>, body: String) {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Bounded: a flood of distinct pages cannot grow it without end.
        if entries.len() > 1000 {
            entries.clear();
        }
        entries.insert(key, (revision, now + Duration::seconds(FRESH), body));
    }
}

fn tag_of(body: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(body.as_bytes())
        .iter()
        .take(12)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// An article in a list.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"slug": "bien-choisir-son-terrain", "title_fr": "Bien choisir son terrain", "title_en": "Choosing the right plot", "summary_fr": "Orientation, pente, servitudes : ce qu'il faut vérifier.", "summary_en": "Orientation, slope, easements: what to check.", "published_at": "2026-11-20T08:00:00Z", "comment_count": 3}))]
pub struct ArticleSummary {
    /// The article's slug, for `/v1/articles/{slug}`.
    pub slug: String,
    /// Title in French.
    pub title_fr: String,
    /// Title in English.
    pub title_en: String,
    /// Summary in French (may be empty).
    pub summary_fr: String,
    /// Summary in English (may be empty).
    pub summary_en: String,
    /// Publication date (RFC 3339, UTC).
    pub published_at: Option<DateTime<Utc>>,
    /// Approved comments.
    pub comment_count: i64,
}

impl From<&Article> for ArticleSummary {
    fn from(a: &Article) -> Self {
        Self {
            slug: a.draft.slug.to_string(),
            title_fr: a.draft.title_fr.clone(),
            title_en: a.draft.title_en.clone(),
            summary_fr: a.draft.summary_fr.clone(),
            summary_en: a.draft.summary_en.clone(),
            published_at: a.draft.published_at,
            comment_count: a.comment_count,
        }
    }
}

/// A page of published articles.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"slug": "bien-choisir-son-terrain", "title_fr": "Bien choisir son terrain", "title_en": "Choosing the right plot", "summary_fr": "Orientation, pente, servitudes.", "summary_en": "Orientation, slope, easements.", "published_at": "2026-11-20T08:00:00Z", "comment_count": 3}], "total": 1}))]
pub struct ArticlePage {
    /// Articles, newest publication first.
    pub items: Vec<ArticleSummary>,
    /// How many articles match, over all pages.
    pub total: u64,
}

/// An approved comment, as everyone sees it: never the e-mail.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "01a21fb1-0d2c-7f4e-9a1b-2c3d4e5f6a7b", "name": "Paul", "website": "https://paul.example", "text": "Merci, très utile !", "created_at": "2026-11-21T09:30:00Z"}))]
pub struct Comment {
    /// Identifier (a UUID v7).
    pub id: uuid::Uuid,
    /// The author's name, as given.
    pub name: String,
    /// The author's website, if given.
    pub website: Option<String>,
    /// The comment's text.
    pub text: String,
    /// When it was written (RFC 3339, UTC).
    pub created_at: DateTime<Utc>,
}

impl From<PublicComment> for Comment {
    fn from(c: PublicComment) -> Self {
        Self {
            id: c.id.as_uuid(),
            name: c.name,
            website: c.website,
            text: c.text,
            created_at: c.created_at,
        }
    }
}

/// A published article with its approved comments.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"slug": "bien-choisir-son-terrain", "title_fr": "Bien choisir son terrain", "title_en": "Choosing the right plot", "summary_fr": "Orientation, pente, servitudes.", "summary_en": "Orientation, slope, easements.", "body_fr": "Avant d'acheter…", "body_en": "Before buying…", "published_at": "2026-11-20T08:00:00Z", "updated_at": "2026-11-20T08:00:00Z", "comments_open": true, "comments": [{"id": "01a21fb1-0d2c-7f4e-9a1b-2c3d4e5f6a7b", "name": "Paul", "website": null, "text": "Merci, très utile !", "created_at": "2026-11-21T09:30:00Z"}]}))]
pub struct PublishedArticle {
    /// The article's slug.
    pub slug: String,
    /// Title in French.
    pub title_fr: String,
    /// Title in English.
    pub title_en: String,
    /// Summary in French.
    pub summary_fr: String,
    /// Summary in English.
    pub summary_en: String,
    /// Body in French (Markdown).
    pub body_fr: String,
    /// Body in English (Markdown).
    pub body_en: String,
    /// Publication date (RFC 3339, UTC).
    pub published_at: Option<DateTime<Utc>>,
    /// Last change (RFC 3339, UTC).
    pub updated_at: DateTime<Utc>,
    /// Whether `POST /v1/articles/{slug}/comments` is open.
    pub comments_open: bool,
    /// Approved comments, oldest first.
    pub comments: Vec<Comment>,
}

/// Published articles, newest first.
///
/// Public and cacheable: a strong `ETag`; send it back in `If-None-Match`
/// to get a 304 while nothing changed.
#[utoipa::path(
    tag = "articles",
    operation_id = "list_articles",
    params(OffsetParams, ("If-None-Match" = Option<String>, Header, description = "`ETag`s of answers already held (or `*`): a 304 when one is still current")),
    responses(
        (status = 200, description = "A page of articles", body = ArticlePage, headers(("ETag" = String, description = "Strong entity tag of this answer"))),
        (status = 304, description = "Not modified: the `ETag` sent is still current"),
        (status = 400, description = "Bad limit or offset", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/articles")]
pub async fn list_articles(
    state: SharedState,
    req: HttpRequest,
    rendered: web::Data<ArticleCache>,
    params: Params<OffsetParams>,
) -> Result<HttpResponse, ApiError> {
    let (limit, offset) = params.read()?.parse()?;
    let now = state.clock.now();
    let reader = state.store.reader();
    let revision = reader.blog().revision().await?;
    let key = format!("list:{limit}:{offset}");
    let body = match rendered.get(&key, revision, now) {
        Some(b) => b,
        None => {
            let (items, total) = reader.blog().articles(Some(now), limit, offset).await?;
            let page = ArticlePage {
                items: items.iter().map(ArticleSummary::from).collect(),
                total,
            };
            let body = serde_json::to_string(&page).map_err(|e| ApiError::Internal(e.into()))?;
            rendered.put(key, revision, now, body.clone());
            body
        }
    };
    let etag = cache::etag(&req, &tag_of(&body));
    Ok(cache::answer(&req, etag, || body))
}

/// A published article with its approved comments.
///
/// Public and cacheable like the list. Comments show the author's name
/// and website, never the e-mail.
#[utoipa::path(
    tag = "articles",
    operation_id = "get_article",
    params(("slug" = String, Path, description = "The article's slug", example = "bien-choisir-son-terrain", max_length = 100), ("If-None-Match" = Option<String>, Header, description = "`ETag`s of answers already held (or `*`): a 304 when one is still current")),
    responses(
        (status = 200, description = "The article", body = PublishedArticle, headers(("ETag" = String, description = "Strong entity tag of this answer"))),
        (status = 304, description = "Not modified: the `ETag` sent is still current"),
        (status = 404, description = "No published article has this slug", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/articles/{slug}")]
pub async fn get_article(
    state: SharedState,
    req: HttpRequest,
    rendered: web::Data<ArticleCache>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let now = state.clock.now();
    let reader = state.store.reader();
    let revision = reader.blog().revision().await?;
    let key = format!("article:{path}");
    let body = match rendered.get(&key, revision, now) {
        Some(b) => b,
        None => {
            let Some(a) = reader
                .blog()
                .article_by_slug(&path)
                .await?
                .filter(|a| a.is_visible(now))
            else {
                return Err(ApiError::NotFound(
                    "No published article has this slug.".into(),
                ));
            };
            let comments = reader.blog().approved_comments(a.id).await?;
            let d = a.draft;
            let article = PublishedArticle {
                slug: d.slug.to_string(),
                title_fr: d.title_fr,
                title_en: d.title_en,
                summary_fr: d.summary_fr,
                summary_en: d.summary_en,
                body_fr: d.body_fr,
                body_en: d.body_en,
                published_at: d.published_at,
                updated_at: a.updated_at,
                comments_open: d.comments_open,
                comments: comments.into_iter().map(Comment::from).collect(),
            };
            let body = serde_json::to_string(&article).map_err(|e| ApiError::Internal(e.into()))?;
            rendered.put(key, revision, now, body.clone());
            body
        }
    };
    let etag = cache::etag(&req, &tag_of(&body));
    Ok(cache::answer(&req, etag, || body))
}

/// A comment (the body of `POST /v1/articles/{slug}/comments`).
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(as = CommentInput, example = json!({"name": "Paul", "email": "paul@example.fr", "website": "https://paul.example", "text": "Merci, très utile !", "accept_privacy_policy": true}))]
pub struct CommentRequest {
    /// The name shown with the comment: 1 to 100 characters.
    #[validate(length(max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// The author's address: never shown, kept encrypted.
    #[validate(length(max = 254))]
    #[schema(min_length = 5, max_length = 254)]
    pub email: String,
    /// A website shown with the name: `http://` or `https://`, at most 200 characters.
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    pub website: Option<String>,
    /// The comment: 2 to 3,000 characters.
    #[validate(length(max = 3000))]
    #[schema(min_length = 2, max_length = 3000)]
    pub text: String,
    /// Must be `true`: the author acknowledged the privacy policy.
    pub accept_privacy_policy: bool,
    /// A trap for bots: forms keep this field hidden and empty. A comment
    /// with a value here is answered like any other and dropped.
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    pub fax: Option<String>,
}

/// Comment on a published article.
///
/// The comment waits for moderation (202) and is shown once approved,
/// with the name and website, never the e-mail. Signed-in customers'
/// comments are linked to their account. At most 5 comments per source
/// and 3 per address an hour (429 with `Retry-After`).
#[utoipa::path(
    tag = "articles",
    operation_id = "comment_on_article",
    params(("slug" = String, Path, description = "The article's slug", example = "bien-choisir-son-terrain", max_length = 100)),
    request_body = CommentRequest,
    responses(
        (status = 202, description = "Received; shown once approved", body = Accepted),
        (status = 401, description = "A token was sent but is not valid (send none to comment as a guest)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "An API key was sent: comments are for people (send none to comment as a guest)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No published article has this slug", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Comments are closed on this article", body = Problem, content_type = "application/problem+json"),
        ThrottledErrors,
        BodyErrors,
    )
)]
#[post("/v1/articles/{slug}/comments")]
pub async fn comment_on_article(
    state: SharedState,
    auth: MaybeAuth,
    caller: Caller,
    path: web::Path<String>,
    body: Body<CommentRequest>,
) -> Result<HttpResponse, ApiError> {
    let b = body.read().await?;
    validate(&b)?;
    let parsed = NewComment::parse(&b.name, &b.email, b.website.as_deref(), &b.text);
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
    f.check()?;
    let comment = parsed?;
    let trapped = b.fax.as_deref().is_some_and(|v| !v.trim().is_empty());
    domain::blog::comment(
        state.store.as_ref(),
        state.index.as_ref(),
        state.clock.as_ref(),
        &state.identity,
        state.forms,
        auth.0.as_ref(),
        &path,
        comment,
        trapped,
        &caller.0,
    )
    .await?;
    Ok(HttpResponse::Accepted().json(Accepted::new(
        "Your comment was received; it will be shown once approved.",
    )))
}

/// Whether an article is visible:
///
/// - `draft`: only staff see it.
/// - `published`: visible from `published_at`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ArticleState {
    /// Draft.
    Draft,
    /// Published.
    Published,
}

/// An article as staff write it (the body of `POST` and `PUT` on
/// `/v1/admin/articles`).
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(as = ArticleInput, example = json!({"slug": "bien-choisir-son-terrain", "title_fr": "Bien choisir son terrain", "title_en": "Choosing the right plot", "summary_fr": "Orientation, pente, servitudes.", "summary_en": "Orientation, slope, easements.", "body_fr": "Avant d'acheter…", "body_en": "Before buying…", "status": "published", "published_at": null, "comments_open": true}))]
pub struct ArticleRequest {
    /// Lower-case ASCII letters and digits in hyphen-separated words, 1 to 100 characters.
    #[validate(length(max = 100))]
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "^[a-z0-9]+(?:-[a-z0-9]+)*$"
    )]
    pub slug: String,
    /// Title in French, 1 to 200 characters.
    #[validate(length(max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub title_fr: String,
    /// Title in English, 1 to 200 characters.
    #[validate(length(max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub title_en: String,
    /// Summary in French, at most 500 characters (empty when absent).
    #[validate(length(max = 500))]
    #[schema(max_length = 500)]
    pub summary_fr: Option<String>,
    /// Summary in English, at most 500 characters (empty when absent).
    #[validate(length(max = 500))]
    #[schema(max_length = 500)]
    pub summary_en: Option<String>,
    /// Body in French (Markdown), 1 to 20,000 characters.
    #[validate(length(max = 20000))]
    #[schema(min_length = 1, max_length = 20000)]
    pub body_fr: String,
    /// Body in English (Markdown), 1 to 20,000 characters.
    #[validate(length(max = 20000))]
    #[schema(min_length = 1, max_length = 20000)]
    pub body_en: String,
    /// Draft or published (`draft` when absent).
    pub status: Option<ArticleState>,
    /// Publication date (RFC 3339, UTC); when absent on publishing, now.
    /// A future date hides the article until then.
    pub published_at: Option<DateTime<Utc>>,
    /// Whether visitors may comment (`true` when absent).
    pub comments_open: Option<bool>,
}

impl ArticleRequest {
    fn parse(self) -> Result<ArticleDraft, ApiError> {
        validate(&self)?;
        Ok(ArticleDraft::parse(
            &self.slug,
            (&self.title_fr, &self.title_en),
            (
                self.summary_fr.as_deref().unwrap_or_default(),
                self.summary_en.as_deref().unwrap_or_default(),
            ),
            (&self.body_fr, &self.body_en),
            match self.status.unwrap_or(ArticleState::Draft) {
                ArticleState::Draft => ArticleStatus::Draft,
                ArticleState::Published => ArticleStatus::Published,
            },
            self.published_at,
            self.comments_open.unwrap_or(true),
        )?)
    }
}

/// An article as staff see it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "01a21fb1-0d2c-7f4e-9a1b-2c3d4e5f6a7b", "slug": "bien-choisir-son-terrain", "title_fr": "Bien choisir son terrain", "title_en": "Choosing the right plot", "summary_fr": "", "summary_en": "", "body_fr": "Avant d'acheter…", "body_en": "Before buying…", "status": "draft", "published_at": null, "comments_open": true, "comment_count": 0, "created_at": "2026-11-20T08:00:00Z", "updated_at": "2026-11-20T08:00:00Z"}))]
pub struct StaffArticle {
    /// Identifier (a UUID v7), for `/v1/admin/articles/{article_id}`.
    pub id: uuid::Uuid,
    /// The article's slug.
    pub slug: String,
    /// Title in French.
    pub title_fr: String,
    /// Title in English.
    pub title_en: String,
    /// Summary in French.
    pub summary_fr: String,
    /// Summary in English.
    pub summary_en: String,
    /// Body in French.
    pub body_fr: String,
    /// Body in English.
    pub body_en: String,
    /// Draft or published.
    pub status: ArticleState,
    /// Publication date (RFC 3339, UTC).
    pub published_at: Option<DateTime<Utc>>,
    /// Whether visitors may comment.
    pub comments_open: bool,
    /// Approved comments.
    pub comment_count: i64,
    /// Created (RFC 3339, UTC).
    pub created_at: DateTime<Utc>,
    /// Last change (RFC 3339, UTC).
    pub updated_at: DateTime<Utc>,
}

impl From<Article> for StaffArticle {
    fn from(a: Article) -> Self {
        let d = a.draft;
        Self {
            id: a.id.as_uuid(),
            slug: d.slug.to_string(),
            title_fr: d.title_fr,
            title_en: d.title_en,
            summary_fr: d.summary_fr,
            summary_en: d.summary_en,
            body_fr: d.body_fr,
            body_en: d.body_en,
            status: match d.status {
                ArticleStatus::Draft => ArticleState::Draft,
                ArticleStatus::Published => ArticleState::Published,
            },
            published_at: d.published_at,
            comments_open: d.comments_open,
            comment_count: a.comment_count,
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

/// A page of articles for staff.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"id": "01a21fb1-0d2c-7f4e-9a1b-2c3d4e5f6a7b", "slug": "bien-choisir-son-terrain", "title_fr": "Bien choisir son terrain", "title_en": "Choosing the right plot", "summary_fr": "", "summary_en": "", "body_fr": "Avant d'acheter…", "body_en": "Before buying…", "status": "draft", "published_at": null, "comments_open": true, "comment_count": 0, "created_at": "2026-11-20T08:00:00Z", "updated_at": "2026-11-20T08:00:00Z"}], "total": 1}))]
pub struct StaffArticlePage {
    /// Articles, newest publication first, drafts last.
    pub items: Vec<StaffArticle>,
    /// How many articles there are, over all pages.
    pub total: u64,
}

fn article_id(raw: &str) -> Result<ArticleId, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::NotFound("No article has this id.".into()))
}

/// Every article, drafts included (staff).
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_list_articles",
    security(("bearer" = [])),
    params(OffsetParams),
    responses(
        (status = 200, description = "A page of articles", body = StaffArticlePage),
        (status = 400, description = "Bad limit or offset", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[get("/v1/admin/articles")]
pub async fn admin_list_articles(
    state: SharedState,
    _staff: Staff,
    params: Params<OffsetParams>,
) -> Result<web::Json<StaffArticlePage>, ApiError> {
    let (limit, offset) = params.read()?.parse()?;
    let (items, total) = state
        .store
        .reader()
        .blog()
        .articles(None, limit, offset)
        .await?;
    Ok(web::Json(StaffArticlePage {
        items: items.into_iter().map(Into::into).collect(),
        total,
    }))
}

/// Write an article (staff), audited.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_create_article",
    security(("bearer" = [])),
    request_body = ArticleRequest,
    responses(
        (status = 201, description = "Created", body = StaffArticle, headers(("Location" = String, description = "The article"))),
        (status = 409, description = "Another article uses this slug (`/problems/slug-taken`)", body = Problem, content_type = "application/problem+json"),
        BodyErrors,
        SignedInErrors,
    )
)]
#[post("/v1/admin/articles")]
pub async fn admin_create_article(
    state: SharedState,
    staff: Staff,
    body: Body<ArticleRequest>,
) -> Result<HttpResponse, ApiError> {
    let draft = body.read().await?.parse()?;
    let a =
        domain::blog::create_article(state.store.as_ref(), state.clock.as_ref(), &staff.0, draft)
            .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/v1/admin/articles/{}", a.id)))
        .json(StaffArticle::from(a)))
}

/// An article (staff), drafts included.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_get_article",
    security(("bearer" = [])),
    params(("article_id" = uuid::Uuid, Path, description = "The article's id")),
    responses(
        (status = 200, description = "The article", body = StaffArticle),
        (status = 404, description = "No article has this id", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[get("/v1/admin/articles/{article_id}")]
pub async fn admin_get_article(
    state: SharedState,
    _staff: Staff,
    path: web::Path<String>,
) -> Result<web::Json<StaffArticle>, ApiError> {
    let id = article_id(&path)?;
    state
        .store
        .reader()
        .blog()
        .article(id)
        .await?
        .map(|a| web::Json(a.into()))
        .ok_or_else(|| ApiError::NotFound("No article has this id.".into()))
}

/// Replace an article (staff), audited.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_replace_article",
    security(("bearer" = [])),
    params(("article_id" = uuid::Uuid, Path, description = "The article's id")),
    request_body = ArticleRequest,
    responses(
        (status = 200, description = "Replaced", body = StaffArticle),
        (status = 404, description = "No article has this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another article uses this slug (`/problems/slug-taken`)", body = Problem, content_type = "application/problem+json"),
        BodyErrors,
        SignedInErrors,
    )
)]
#[put("/v1/admin/articles/{article_id}")]
pub async fn admin_replace_article(
    state: SharedState,
    staff: Staff,
    path: web::Path<String>,
    body: Body<ArticleRequest>,
) -> Result<web::Json<StaffArticle>, ApiError> {
    let id = article_id(&path)?;
    let draft = body.read().await?.parse()?;
    let a = domain::blog::update_article(
        state.store.as_ref(),
        state.clock.as_ref(),
        &staff.0,
        id,
        draft,
    )
    .await?;
    Ok(web::Json(a.into()))
}

/// Delete an article and its comments (staff), audited.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_delete_article",
    security(("bearer" = [])),
    params(("article_id" = uuid::Uuid, Path, description = "The article's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No article has this id", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[delete("/v1/admin/articles/{article_id}")]
pub async fn admin_delete_article(
    state: SharedState,
    staff: Staff,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = article_id(&path)?;
    domain::blog::delete_article(state.store.as_ref(), state.clock.as_ref(), &staff.0, id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Where a comment stands:
///
/// - `pending`: waiting for moderation, shown to no one.
/// - `approved`: shown under the article.
/// - `spam`: never shown.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CommentState {
    /// Pending.
    Pending,
    /// Approved.
    Approved,
    /// Spam.
    Spam,
}

/// A comment as moderators see it (an audited read).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "01a21fb1-0d2c-7f4e-9a1b-2c3d4e5f6a7b", "article_id": "01a21fb0-2c4e-7a31-8f0d-5b6e7c8d9e01", "status": "pending", "customer_id": null, "name": "Paul", "email": "paul@example.fr", "website": null, "text": "Merci, très utile !", "created_at": "2026-11-21T09:30:00Z"}))]
pub struct CommentForModeration {
    /// Identifier (a UUID v7).
    pub id: uuid::Uuid,
    /// The article commented on (a UUID).
    pub article_id: uuid::Uuid,
    /// Where the comment stands.
    pub status: CommentState,
    /// The author's account when signed in (a UUID).
    pub customer_id: Option<uuid::Uuid>,
    /// The author's name.
    pub name: String,
    /// The author's address (never shown publicly).
    pub email: String,
    /// The author's website.
    pub website: Option<String>,
    /// The comment's text.
    pub text: String,
    /// When it was written (RFC 3339, UTC).
    pub created_at: DateTime<Utc>,
}

impl From<ModeratedComment> for CommentForModeration {
    fn from(c: ModeratedComment) -> Self {
        Self {
            id: c.id.as_uuid(),
            article_id: c.article_id.as_uuid(),
            status: match c.status {
                CommentStatus::Pending => CommentState::Pending,
                CommentStatus::Approved => CommentState::Approved,
                CommentStatus::Spam => CommentState::Spam,
            },
            customer_id: c.customer_id.map(|i| i.as_uuid()),
            name: c.name,
            email: c.email,
            website: c.website,
            text: c.text,
            created_at: c.created_at,
        }
    }
}

/// Filters and page of the moderation queue.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CommentParams {
    /// Only comments in this status (all when absent).
    pub status: Option<CommentState>,
    /// Page size, 1 to 100 (default 20).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100, example = 20)]
    pub limit: Option<String>,
    /// Items to skip (default 0).
    #[param(value_type = Option<u32>, minimum = 0, maximum = 100000, example = 0)]
    pub offset: Option<String>,
}

/// Comments for moderation.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"id": "01a21fb1-0d2c-7f4e-9a1b-2c3d4e5f6a7b", "article_id": "01a21fb0-2c4e-7a31-8f0d-5b6e7c8d9e01", "status": "pending", "customer_id": null, "name": "Paul", "email": "paul@example.fr", "website": null, "text": "Merci, très utile !", "created_at": "2026-11-21T09:30:00Z"}]}))]
pub struct CommentPage {
    /// Comments, newest first.
    pub items: Vec<CommentForModeration>,
}

/// The moderation queue (staff): personal data, so `X-Access-Reason` is
/// required and every comment returned is an audited read.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_list_comments",
    security(("bearer" = [])),
    params(CommentParams, ("X-Access-Reason" = String, Header, description = "Why this personal data is read: 3 to 200 printable ASCII characters (tabs allowed inside)", example = "moderation", min_length = 3, max_length = 200, pattern = r"^[!-~](?:[\t -~]*[!-~])?$")),
    responses(
        (status = 200, description = "A page of comments", body = CommentPage),
        (status = 400, description = "Bad filter, limit, offset or `X-Access-Reason`", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[get("/v1/admin/comments")]
pub async fn admin_list_comments(
    state: SharedState,
    staff: Staff,
    req: HttpRequest,
    params: Params<CommentParams>,
) -> Result<web::Json<CommentPage>, ApiError> {
    let why = reason(&req)?;
    let p = params.read()?;
    let (limit, offset) = OffsetParams {
        limit: p.limit.clone(),
        offset: p.offset.clone(),
    }
    .parse()?;
    let status = p.status.map(|s| match s {
        CommentState::Pending => CommentStatus::Pending,
        CommentState::Approved => CommentStatus::Approved,
        CommentState::Spam => CommentStatus::Spam,
    });
    let items = domain::blog::comments_for_moderation(
        state.store.as_ref(),
        state.clock.as_ref(),
        &staff.0,
        status,
        limit,
        offset,
        &why,
    )
    .await?;
    Ok(web::Json(CommentPage {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

fn comment_id(raw: &str) -> Result<CommentId, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::NotFound("No comment has this id.".into()))
}

async fn moderate(
    state: &SharedState,
    staff: &Staff,
    raw: &str,
    status: CommentStatus,
) -> Result<HttpResponse, ApiError> {
    let id = comment_id(raw)?;
    domain::blog::moderate(
        state.store.as_ref(),
        state.clock.as_ref(),
        &staff.0,
        id,
        status,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Approve a comment (staff): it is shown under its article. Audited.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_approve_comment",
    security(("bearer" = [])),
    params(("comment_id" = uuid::Uuid, Path, description = "The comment's id")),
    responses(
        (status = 204, description = "Approved"),
        (status = 404, description = "No comment has this id", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[post("/v1/admin/comments/{comment_id}/approve")]
pub async fn admin_approve_comment(
    state: SharedState,
    staff: Staff,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    moderate(&state, &staff, &path, CommentStatus::Approved).await
}

/// Mark a comment as spam (staff): never shown. Audited.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_mark_comment_spam",
    security(("bearer" = [])),
    params(("comment_id" = uuid::Uuid, Path, description = "The comment's id")),
    responses(
        (status = 204, description = "Marked as spam"),
        (status = 404, description = "No comment has this id", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[post("/v1/admin/comments/{comment_id}/spam")]
pub async fn admin_mark_comment_spam(
    state: SharedState,
    staff: Staff,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    moderate(&state, &staff, &path, CommentStatus::Spam).await
}

/// Delete a comment (staff). Audited.
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_delete_comment",
    security(("bearer" = [])),
    params(("comment_id" = uuid::Uuid, Path, description = "The comment's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No comment has this id", body = Problem, content_type = "application/problem+json"),
        SignedInErrors,
    )
)]
#[delete("/v1/admin/comments/{comment_id}")]
pub async fn admin_delete_comment(
    state: SharedState,
    staff: Staff,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = comment_id(&path)?;
    domain::blog::delete_comment(state.store.as_ref(), state.clock.as_ref(), &staff.0, id).await?;
    Ok(HttpResponse::NoContent().finish())
}
