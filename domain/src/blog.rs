//! The shop's blog (COMM-1): articles staff write, comments visitors and
//! customers leave. Comments wait for moderation and only approved ones
//! are shown, with the author's name and website, never the e-mail. A
//! commenter's name, e-mail, website, address, browser and text are sealed
//! under their subject key (a guest subject without an account), so export
//! and erasure reach them.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::audit::{AuditAction, AuditTarget};
use crate::catalogue::Slug;
use crate::clock::Clock;
use crate::contact::{FormLimits, limit_form};
use crate::error::{FieldErrors, StorageError};
use crate::identity::{
    BlindIndex, CounterKind, CustomerId, Email, IdentityConfig, Origin, PersonName, Principal,
};
use crate::ids::{ArticleId, CommentId};
use crate::service::ServiceError;
use crate::store::Store;
use crate::subject::{SubjectId, subject_for_email};
use crate::text::bounded;

/// Whether an article is visible.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArticleStatus {
    /// Only staff see it.
    Draft,
    /// Visible from its publication date.
    Published,
}

impl ArticleStatus {
    /// The stored name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Published => "published",
        }
    }

    /// Parses a stored name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Draft, Self::Published]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// What staff write, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleDraft {
    /// Slug (`/v1/articles/{slug}`).
    pub slug: Slug,
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
    /// Draft or published.
    pub status: ArticleStatus,
    /// Publication date; when absent on publishing, now.
    pub published_at: Option<DateTime<Utc>>,
    /// Whether visitors may comment.
    pub comments_open: bool,
}

impl ArticleDraft {
    /// Parses an article: titles of 1 to 200 characters, summaries of at
    /// most 500, bodies of 1 to 20,000.
    ///
    /// # Errors
    /// Every refused field.
    #[allow(clippy::too_many_arguments)]
    pub fn parse(
        slug: &str,
        titles: (&str, &str),
        summaries: (&str, &str),
        bodies: (&str, &str),
        status: ArticleStatus,
        published_at: Option<DateTime<Utc>>,
        comments_open: bool,
    ) -> Result<Self, FieldErrors> {
        let mut f = FieldErrors::default();
        let slug = f.take("slug", Slug::parse(slug));
        let title_fr = f.take_coded("title_fr", bounded(titles.0, 1, 200, false));
        let title_en = f.take_coded("title_en", bounded(titles.1, 1, 200, false));
        let summary_fr = f.take_coded("summary_fr", bounded(summaries.0, 0, 500, false));
        let summary_en = f.take_coded("summary_en", bounded(summaries.1, 0, 500, false));
        let body_fr = f.take_coded("body_fr", bounded(bodies.0, 1, 20_000, true));
        let body_en = f.take_coded("body_en", bounded(bodies.1, 1, 20_000, true));
        f.finish(|| {
            Some(Self {
                slug: slug?,
                title_fr: title_fr?,
                title_en: title_en?,
                summary_fr: summary_fr?,
                summary_en: summary_en?,
                body_fr: body_fr?,
                body_en: body_en?,
                status,
                published_at,
                comments_open,
            })
        })
    }
}

/// A stored article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Article {
    /// Id.
    pub id: ArticleId,
    /// What staff wrote.
    pub draft: ArticleDraft,
    /// Approved comments.
    pub comment_count: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl Article {
    /// Whether the public sees it at `now`.
    #[must_use]
    pub fn is_visible(&self, now: DateTime<Utc>) -> bool {
        self.draft.status == ArticleStatus::Published
            && self.draft.published_at.is_some_and(|at| at <= now)
    }
}

/// Where a comment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentStatus {
    /// Waiting for moderation: shown to no one but staff.
    Pending,
    /// Shown under the article.
    Approved,
    /// Marked as spam: never shown.
    Spam,
}

impl CommentStatus {
    /// Every status.
    pub const ALL: [Self; 3] = [Self::Pending, Self::Approved, Self::Spam];

    /// The stored name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Spam => "spam",
        }
    }

    /// Parses a stored name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// A comment as written, parsed.
#[derive(Debug, Clone)]
pub struct NewComment {
    /// Name shown.
    pub name: PersonName,
    /// Address (never shown).
    pub email: Email,
    /// Website shown with the name (`https://` or `http://`).
    pub website: Option<String>,
    /// The text.
    pub text: String,
}

impl NewComment {
    /// Parses a comment: text of 2 to 3,000 characters, a website of at
    /// most 200 characters starting with `http://` or `https://`.
    ///
    /// # Errors
    /// Every refused field.
    pub fn parse(
        name: &str,
        email: &str,
        website: Option<&str>,
        text: &str,
    ) -> Result<Self, FieldErrors> {
        let mut f = FieldErrors::default();
        let name = f.take_coded("name", PersonName::parse(name));
        let email = f.take_coded("email", Email::parse(email));
        let website = website.filter(|w| !w.trim().is_empty()).and_then(|w| {
            let w = w.trim();
            let ok = w.len() <= 200
                && (w.starts_with("https://") || w.starts_with("http://"))
                && w.len() > 8
                && w.bytes().all(|b| b.is_ascii_graphic());
            if ok {
                Some(w.to_owned())
            } else {
                f.push_code(
                    "website",
                    crate::error::FieldCode::InvalidFormat,
                    "must be an http:// or https:// address of at most 200 characters",
                );
                None
            }
        });
        let text = f.take_coded("text", bounded(text, 2, 3000, true));
        f.finish(|| {
            Some(Self {
                name: name?,
                email: email?,
                website,
                text: text?,
            })
        })
    }
}

/// An approved comment, as the public sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicComment {
    /// Id.
    pub id: CommentId,
    /// Name.
    pub name: String,
    /// Website.
    pub website: Option<String>,
    /// Text.
    pub text: String,
    /// Written.
    pub created_at: DateTime<Utc>,
}

/// A comment as moderators see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModeratedComment {
    /// Id.
    pub id: CommentId,
    /// The article.
    pub article_id: ArticleId,
    /// Where it stands.
    pub status: CommentStatus,
    /// The author's account, when signed in.
    pub customer_id: Option<CustomerId>,
    /// Name.
    pub name: String,
    /// Address.
    pub email: String,
    /// Website.
    pub website: Option<String>,
    /// Text.
    pub text: String,
    /// Written.
    pub created_at: DateTime<Utc>,
}

/// Articles and comments.
#[async_trait]
pub trait BlogRepo: Send + Sync {
    /// Stores an article; false when the slug is taken.
    async fn insert_article(&self, a: &Article) -> Result<bool, StorageError>;
    /// Replaces an article; `None` when unknown, `Some(false)` when the
    /// slug is taken.
    async fn update_article(
        &self,
        id: ArticleId,
        draft: &ArticleDraft,
        now: DateTime<Utc>,
    ) -> Result<Option<bool>, StorageError>;
    /// Deletes an article and its comments; false when unknown.
    async fn delete_article(&self, id: ArticleId) -> Result<bool, StorageError>;
    /// One article.
    async fn article(&self, id: ArticleId) -> Result<Option<Article>, StorageError>;
    /// One article by slug.
    async fn article_by_slug(&self, slug: &str) -> Result<Option<Article>, StorageError>;
    /// Articles, newest publication first (drafts last); only those visible
    /// at `visible_at` when given.
    async fn articles(
        &self,
        visible_at: Option<DateTime<Utc>>,
        limit: u64,
        offset: u64,
    ) -> Result<(Vec<Article>, u64), StorageError>;
    /// Stores a pending comment, sealed under `subject`'s key.
    #[allow(clippy::too_many_arguments)]
    async fn insert_comment(
        &self,
        id: CommentId,
        article: ArticleId,
        subject: SubjectId,
        customer: Option<CustomerId>,
        comment: &NewComment,
        origin: &Origin,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError>;
    /// An article's approved comments, oldest first, decrypted (those of
    /// erased authors are gone).
    async fn approved_comments(
        &self,
        article: ArticleId,
    ) -> Result<Vec<PublicComment>, StorageError>;
    /// Comments for moderation, newest first, decrypted.
    async fn comments(
        &self,
        status: Option<CommentStatus>,
        limit: u64,
        offset: u64,
    ) -> Result<Vec<ModeratedComment>, StorageError>;
    /// Sets a comment's status; its article, or `None` when unknown.
    async fn set_comment_status(
        &self,
        id: CommentId,
        status: CommentStatus,
        by: CustomerId,
        now: DateTime<Utc>,
    ) -> Result<Option<ArticleId>, StorageError>;
    /// Deletes a comment; false when unknown.
    async fn delete_comment(&self, id: CommentId) -> Result<bool, StorageError>;
    /// The revision of everything the public sees (articles and approved
    /// comments), for caches.
    async fn revision(&self) -> Result<i64, StorageError>;
    /// Moves the revision on.
    async fn bump_revision(&self) -> Result<(), StorageError>;
}

fn settle(mut draft: ArticleDraft, now: DateTime<Utc>) -> ArticleDraft {
    if draft.status == ArticleStatus::Published && draft.published_at.is_none() {
        draft.published_at = Some(now);
    }
    draft
}

/// Creates an article (staff).
///
/// # Errors
/// [`ServiceError::Taken`] for a slug in use; storage failure.
pub async fn create_article(
    store: &dyn Store,
    clock: &dyn Clock,
    staff: &Principal,
    draft: ArticleDraft,
) -> Result<Article, ServiceError> {
    let now = clock.now();
    let a = Article {
        id: ArticleId::new(),
        draft: settle(draft, now),
        comment_count: 0,
        created_at: now,
        updated_at: now,
    };
    let uow = store.begin().await?;
    if !uow.blog().insert_article(&a).await? {
        return Err(ServiceError::Taken("slug"));
    }
    uow.blog().bump_revision().await?;
    crate::audit::record(
        uow.as_ref(),
        staff.by(),
        AuditAction::ArticleChanged,
        AuditTarget::Article(a.id),
        "created",
        now,
    )
    .await?;
    uow.commit().await?;
    Ok(a)
}

/// Replaces an article (staff).
///
/// # Errors
/// [`ServiceError::NotFound`], [`ServiceError::Taken`]; storage failure.
pub async fn update_article(
    store: &dyn Store,
    clock: &dyn Clock,
    staff: &Principal,
    id: ArticleId,
    draft: ArticleDraft,
) -> Result<Article, ServiceError> {
    let now = clock.now();
    let uow = store.begin().await?;
    match uow
        .blog()
        .update_article(id, &settle(draft, now), now)
        .await?
    {
        None => return Err(ServiceError::NotFound("No article has this id.")),
        Some(false) => return Err(ServiceError::Taken("slug")),
        Some(true) => {}
    }
    uow.blog().bump_revision().await?;
    crate::audit::record(
        uow.as_ref(),
        staff.by(),
        AuditAction::ArticleChanged,
        AuditTarget::Article(id),
        "changed",
        now,
    )
    .await?;
    let a = uow
        .blog()
        .article(id)
        .await?
        .ok_or(ServiceError::NotFound("No article has this id."))?;
    uow.commit().await?;
    Ok(a)
}

/// Deletes an article and its comments (staff).
///
/// # Errors
/// [`ServiceError::NotFound`]; storage failure.
pub async fn delete_article(
    store: &dyn Store,
    clock: &dyn Clock,
    staff: &Principal,
    id: ArticleId,
) -> Result<(), ServiceError> {
    let now = clock.now();
    let uow = store.begin().await?;
    if !uow.blog().delete_article(id).await? {
        return Err(ServiceError::NotFound("No article has this id."));
    }
    uow.blog().bump_revision().await?;
    crate::audit::record(
        uow.as_ref(),
        staff.by(),
        AuditAction::ArticleChanged,
        AuditTarget::Article(id),
        "deleted",
        now,
    )
    .await?;
    uow.commit().await?;
    Ok(())
}

/// Leaves a comment on a visible article: stored pending moderation,
/// sealed under the author's subject. Limited per source and per address;
/// a comment whose hidden trap field was filled is answered the same and
/// dropped.
///
/// # Errors
/// [`ServiceError::NotFound`] for an article not visible;
/// [`ServiceError::Conflict`] when comments are closed;
/// [`ServiceError::Identity`] past a limit; storage failure.
#[allow(clippy::too_many_arguments)]
pub async fn comment(
    store: &dyn Store,
    index: &dyn BlindIndex,
    clock: &dyn Clock,
    identity: &IdentityConfig,
    limits: FormLimits,
    signed_in: Option<&Principal>,
    slug: &str,
    new: NewComment,
    trapped: bool,
    origin: &Origin,
) -> Result<Option<CommentId>, ServiceError> {
    let now = clock.now();
    let Some(article) = store
        .reader()
        .blog()
        .article_by_slug(slug)
        .await?
        .filter(|a| a.is_visible(now))
    else {
        return Err(ServiceError::NotFound(
            "No published article has this slug.",
        ));
    };
    if !article.draft.comments_open {
        return Err(ServiceError::Conflict(
            "comments are closed on this article".into(),
        ));
    }
    limit_form(
        store,
        clock,
        identity,
        (CounterKind::Comments, CounterKind::CommentEmails),
        limits,
        &index.email(&new.email),
        origin,
    )
    .await?;
    if trapped {
        return Ok(None);
    }
    let uow = store.begin().await?;
    let (subject, customer) = match signed_in {
        Some(p) => (SubjectId::customer(p.customer_id), Some(p.customer_id)),
        None => subject_for_email(uow.as_ref(), index, &new.email, now).await?,
    };
    let id = CommentId::new();
    uow.blog()
        .insert_comment(id, article.id, subject, customer, &new, origin, now)
        .await?;
    uow.commit().await?;
    Ok(Some(id))
}

/// Comments for moderation (staff): personal data, so the read is
/// audited with the reason given.
///
/// # Errors
/// Storage failure.
pub async fn comments_for_moderation(
    store: &dyn Store,
    clock: &dyn Clock,
    staff: &Principal,
    status: Option<CommentStatus>,
    limit: u64,
    offset: u64,
    reason: &str,
) -> Result<Vec<ModeratedComment>, ServiceError> {
    let now = clock.now();
    let uow = store.begin().await?;
    let list = uow.blog().comments(status, limit, offset).await?;
    for c in &list {
        crate::audit::record(
            uow.as_ref(),
            staff.by(),
            AuditAction::PersonalDataAccessed,
            AuditTarget::Comment(c.id),
            reason,
            now,
        )
        .await?;
    }
    uow.commit().await?;
    Ok(list)
}

/// Approves a comment or marks it as spam (staff), audited.
///
/// # Errors
/// [`ServiceError::NotFound`]; storage failure.
pub async fn moderate(
    store: &dyn Store,
    clock: &dyn Clock,
    staff: &Principal,
    id: CommentId,
    status: CommentStatus,
) -> Result<(), ServiceError> {
    let now = clock.now();
    let uow = store.begin().await?;
    if uow
        .blog()
        .set_comment_status(id, status, staff.customer_id, now)
        .await?
        .is_none()
    {
        return Err(ServiceError::NotFound("No comment has this id."));
    }
    uow.blog().bump_revision().await?;
    crate::audit::record(
        uow.as_ref(),
        staff.by(),
        AuditAction::CommentModerated,
        AuditTarget::Comment(id),
        status.as_str(),
        now,
    )
    .await?;
    uow.commit().await?;
    Ok(())
}

/// Deletes a comment (staff), audited.
///
/// # Errors
/// [`ServiceError::NotFound`]; storage failure.
pub async fn delete_comment(
    store: &dyn Store,
    clock: &dyn Clock,
    staff: &Principal,
    id: CommentId,
) -> Result<(), ServiceError> {
    let now = clock.now();
    let uow = store.begin().await?;
    if !uow.blog().delete_comment(id).await? {
        return Err(ServiceError::NotFound("No comment has this id."));
    }
    uow.blog().bump_revision().await?;
    crate::audit::record(
        uow.as_ref(),
        staff.by(),
        AuditAction::CommentModerated,
        AuditTarget::Comment(id),
        "deleted",
        now,
    )
    .await?;
    uow.commit().await?;
    Ok(())
}
