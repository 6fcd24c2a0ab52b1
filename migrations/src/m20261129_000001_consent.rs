//! The consent ledger and what rides on it: versioned legal documents, the
//! purposes consent is asked for, one row per consent event (and the
//! current state per subject and purpose, kept beside it), guest subjects,
//! newsletter subscribers and campaigns, contact messages and their
//! answers, articles and their comments.
//!
//! Registration's policy acceptance, kept until now on `customers`, moves
//! into the ledger: each accepting customer gets a `given` event for
//! `terms_and_privacy` at the moment recorded, against version 1 (the
//! policy of 6 March 2019, the only one there was), and the two columns go.

use sea_orm_migration::sea_orm::ConnectionTrait;
use sea_orm_migration::{prelude::*, schema::*};

use crate::common::index;
use sha2::{Digest, Sha256};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The policy in force since 6 March 2019, seeded as version 1.
const POLICY_FR: &str = include_str!("seed/privacy-policy-v1.fr.txt");
const POLICY_EN: &str = include_str!("seed/privacy-policy-v1.en.txt");

/// The hash the API shows and the ledger records: SHA-256 of the French
/// text, a NUL byte, and the English text, in lowercase hex.
#[must_use]
pub fn document_hash(fr: &str, en: &str) -> String {
    let mut h = Sha256::new();
    h.update(fr.as_bytes());
    h.update([0u8]);
    h.update(en.as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(DeriveIden)]
enum LegalDocuments {
    Table,
    Id,
    Kind,
    Version,
    PublishedAt,
    TextFr,
    TextEn,
    TextHash,
    Summary,
    PublishedBy,
}

#[derive(DeriveIden)]
enum ConsentPurposes {
    Table,
    Key,
    LegalBasis,
    DescriptionFr,
    DescriptionEn,
    Builtin,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ConsentEvents {
    Table,
    Id,
    SubjectId,
    Purpose,
    Given,
    Channel,
    PolicyVersion,
    PolicyHash,
    TermsVersion,
    TermsHash,
    At,
    SourceEnc,
}

#[derive(DeriveIden)]
enum ConsentState {
    Table,
    SubjectId,
    Purpose,
    Given,
    PolicyVersion,
    TermsVersion,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum GuestSubjects {
    Table,
    Id,
    EmailBidx,
    CreatedAt,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum NewsletterSubscribers {
    Table,
    Id,
    SubjectId,
    EmailBidx,
    EmailEnc,
    Language,
    Status,
    ConfirmTokenHash,
    ConfirmExpiresAt,
    PolicyVersion,
    CreatedAt,
    ConfirmedAt,
    UnsubscribedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum NewsletterCampaigns {
    Table,
    Id,
    Audience,
    SubjectFr,
    SubjectEn,
    BodyFr,
    BodyEn,
    Status,
    ScheduledAt,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    StartedAt,
    FinishedAt,
    CursorId,
    AudienceSize,
    Enqueued,
}

#[derive(DeriveIden)]
enum ContactMessages {
    Table,
    Id,
    SubjectId,
    CustomerId,
    Topic,
    Language,
    Status,
    NameEnc,
    EmailEnc,
    MessageEnc,
    OrderNumberEnc,
    IpEnc,
    UserAgentEnc,
    PolicyVersion,
    CreatedAt,
    UpdatedAt,
    AnsweredAt,
    DsrRequestedAt,
    DsrRequestedBy,
}

#[derive(DeriveIden)]
enum ContactReplies {
    Table,
    Id,
    MessageId,
    SubjectId,
    StaffId,
    BodyEnc,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Articles {
    Table,
    Id,
    Slug,
    TitleFr,
    TitleEn,
    SummaryFr,
    SummaryEn,
    BodyFr,
    BodyEn,
    Status,
    PublishedAt,
    CommentsOpen,
    AuthorId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ArticleComments {
    Table,
    Id,
    ArticleId,
    SubjectId,
    CustomerId,
    Status,
    NameEnc,
    EmailEnc,
    WebsiteEnc,
    BodyEnc,
    IpEnc,
    UserAgentEnc,
    CreatedAt,
    ModeratedAt,
    ModeratedBy,
}

#[derive(DeriveIden)]
enum ContentRevisions {
    Table,
    Name,
    Revision,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
    Role,
    PrivacyPolicyVersion,
    PrivacyPolicyAcceptedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    #[allow(clippy::too_many_lines)]
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LegalDocuments::Table)
                    .col(uuid(LegalDocuments::Id).primary_key())
                    .col(string_len(LegalDocuments::Kind, 32))
                    .col(integer(LegalDocuments::Version))
                    .col(timestamp_with_time_zone(LegalDocuments::PublishedAt))
                    .col(text(LegalDocuments::TextFr))
                    .col(text(LegalDocuments::TextEn))
                    .col(string_len(LegalDocuments::TextHash, 64))
                    .col(string_len_null(LegalDocuments::Summary, 500))
                    .col(uuid_null(LegalDocuments::PublishedBy))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_legal_kind_version",
            LegalDocuments::Table,
            vec![
                LegalDocuments::Kind.into_iden(),
                LegalDocuments::Version.into_iden(),
            ],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(ConsentPurposes::Table)
                    .col(string_len(ConsentPurposes::Key, 64).primary_key())
                    .col(string_len(ConsentPurposes::LegalBasis, 32))
                    .col(string_len(ConsentPurposes::DescriptionFr, 1000))
                    .col(string_len(ConsentPurposes::DescriptionEn, 1000))
                    .col(boolean(ConsentPurposes::Builtin))
                    .col(timestamp_with_time_zone(ConsentPurposes::CreatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ConsentEvents::Table)
                    .col(uuid(ConsentEvents::Id).primary_key())
                    .col(uuid(ConsentEvents::SubjectId))
                    .col(string_len(ConsentEvents::Purpose, 64))
                    .col(boolean(ConsentEvents::Given))
                    .col(string_len(ConsentEvents::Channel, 32))
                    .col(integer_null(ConsentEvents::PolicyVersion))
                    .col(string_len_null(ConsentEvents::PolicyHash, 64))
                    .col(integer_null(ConsentEvents::TermsVersion))
                    .col(string_len_null(ConsentEvents::TermsHash, 64))
                    .col(timestamp_with_time_zone(ConsentEvents::At))
                    .col(blob_null(ConsentEvents::SourceEnc))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_consent_events_subject",
            ConsentEvents::Table,
            vec![
                ConsentEvents::SubjectId.into_iden(),
                ConsentEvents::At.into_iden(),
            ],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(ConsentState::Table)
                    .col(uuid(ConsentState::SubjectId))
                    .col(string_len(ConsentState::Purpose, 64))
                    .col(boolean(ConsentState::Given))
                    .col(integer_null(ConsentState::PolicyVersion))
                    .col(integer_null(ConsentState::TermsVersion))
                    .col(timestamp_with_time_zone(ConsentState::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(ConsentState::SubjectId)
                            .col(ConsentState::Purpose),
                    )
                    .to_owned(),
            )
            .await?;
        // A campaign's audience: everyone whose consent to a purpose stands.
        index(
            manager,
            "ix_consent_state_audience",
            ConsentState::Table,
            vec![
                ConsentState::Purpose.into_iden(),
                ConsentState::Given.into_iden(),
                ConsentState::SubjectId.into_iden(),
            ],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(GuestSubjects::Table)
                    .col(uuid(GuestSubjects::Id).primary_key())
                    .col(blob(GuestSubjects::EmailBidx))
                    .col(timestamp_with_time_zone(GuestSubjects::CreatedAt))
                    .col(timestamp_with_time_zone(GuestSubjects::LastUsedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_guest_subjects_email",
            GuestSubjects::Table,
            vec![GuestSubjects::EmailBidx.into_iden()],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(NewsletterSubscribers::Table)
                    .col(uuid(NewsletterSubscribers::Id).primary_key())
                    .col(uuid(NewsletterSubscribers::SubjectId))
                    .col(blob(NewsletterSubscribers::EmailBidx))
                    .col(blob(NewsletterSubscribers::EmailEnc))
                    .col(string_len(NewsletterSubscribers::Language, 2))
                    .col(string_len(NewsletterSubscribers::Status, 16))
                    .col(blob_null(NewsletterSubscribers::ConfirmTokenHash))
                    .col(timestamp_with_time_zone_null(
                        NewsletterSubscribers::ConfirmExpiresAt,
                    ))
                    .col(integer_null(NewsletterSubscribers::PolicyVersion))
                    .col(timestamp_with_time_zone(NewsletterSubscribers::CreatedAt))
                    .col(timestamp_with_time_zone_null(
                        NewsletterSubscribers::ConfirmedAt,
                    ))
                    .col(timestamp_with_time_zone_null(
                        NewsletterSubscribers::UnsubscribedAt,
                    ))
                    .col(timestamp_with_time_zone(NewsletterSubscribers::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_newsletter_email",
            NewsletterSubscribers::Table,
            vec![NewsletterSubscribers::EmailBidx.into_iden()],
            true,
        )
        .await?;
        index(
            manager,
            "ix_newsletter_status",
            NewsletterSubscribers::Table,
            vec![
                NewsletterSubscribers::Status.into_iden(),
                NewsletterSubscribers::Id.into_iden(),
            ],
            false,
        )
        .await?;
        index(
            manager,
            "ix_newsletter_subject",
            NewsletterSubscribers::Table,
            vec![NewsletterSubscribers::SubjectId.into_iden()],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(NewsletterCampaigns::Table)
                    .col(uuid(NewsletterCampaigns::Id).primary_key())
                    .col(string_len(NewsletterCampaigns::Audience, 32))
                    .col(string_len(NewsletterCampaigns::SubjectFr, 200))
                    .col(string_len(NewsletterCampaigns::SubjectEn, 200))
                    .col(text(NewsletterCampaigns::BodyFr))
                    .col(text(NewsletterCampaigns::BodyEn))
                    .col(string_len(NewsletterCampaigns::Status, 16))
                    .col(timestamp_with_time_zone_null(
                        NewsletterCampaigns::ScheduledAt,
                    ))
                    .col(uuid_null(NewsletterCampaigns::CreatedBy))
                    .col(timestamp_with_time_zone(NewsletterCampaigns::CreatedAt))
                    .col(timestamp_with_time_zone(NewsletterCampaigns::UpdatedAt))
                    .col(timestamp_with_time_zone_null(
                        NewsletterCampaigns::StartedAt,
                    ))
                    .col(timestamp_with_time_zone_null(
                        NewsletterCampaigns::FinishedAt,
                    ))
                    .col(uuid_null(NewsletterCampaigns::CursorId))
                    .col(integer_null(NewsletterCampaigns::AudienceSize))
                    .col(integer(NewsletterCampaigns::Enqueued).default(0))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ContactMessages::Table)
                    .col(uuid(ContactMessages::Id).primary_key())
                    .col(uuid(ContactMessages::SubjectId))
                    .col(uuid_null(ContactMessages::CustomerId))
                    .col(string_len(ContactMessages::Topic, 32))
                    .col(string_len(ContactMessages::Language, 2))
                    .col(string_len(ContactMessages::Status, 16))
                    .col(blob(ContactMessages::NameEnc))
                    .col(blob(ContactMessages::EmailEnc))
                    .col(blob(ContactMessages::MessageEnc))
                    .col(blob_null(ContactMessages::OrderNumberEnc))
                    .col(blob_null(ContactMessages::IpEnc))
                    .col(blob_null(ContactMessages::UserAgentEnc))
                    .col(integer(ContactMessages::PolicyVersion))
                    .col(timestamp_with_time_zone(ContactMessages::CreatedAt))
                    .col(timestamp_with_time_zone(ContactMessages::UpdatedAt))
                    .col(timestamp_with_time_zone_null(ContactMessages::AnsweredAt))
                    .col(timestamp_with_time_zone_null(
                        ContactMessages::DsrRequestedAt,
                    ))
                    .col(uuid_null(ContactMessages::DsrRequestedBy))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_contact_created",
            ContactMessages::Table,
            vec![ContactMessages::CreatedAt.into_iden()],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(ContactReplies::Table)
                    .col(uuid(ContactReplies::Id).primary_key())
                    .col(uuid(ContactReplies::MessageId))
                    .col(uuid(ContactReplies::SubjectId))
                    .col(uuid_null(ContactReplies::StaffId))
                    .col(blob(ContactReplies::BodyEnc))
                    .col(timestamp_with_time_zone(ContactReplies::CreatedAt))
                    .foreign_key(
                        &mut ForeignKey::create()
                            .name("fk_contact_reply_message")
                            .from_tbl(ContactReplies::Table)
                            .from_col(ContactReplies::MessageId)
                            .to(ContactMessages::Table, ContactMessages::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .to_owned(),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_contact_replies_message",
            ContactReplies::Table,
            vec![ContactReplies::MessageId.into_iden()],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Articles::Table)
                    .col(uuid(Articles::Id).primary_key())
                    .col(string_len(Articles::Slug, 100))
                    .col(string_len(Articles::TitleFr, 200))
                    .col(string_len(Articles::TitleEn, 200))
                    .col(string_len(Articles::SummaryFr, 500))
                    .col(string_len(Articles::SummaryEn, 500))
                    .col(text(Articles::BodyFr))
                    .col(text(Articles::BodyEn))
                    .col(string_len(Articles::Status, 16))
                    .col(timestamp_with_time_zone_null(Articles::PublishedAt))
                    .col(boolean(Articles::CommentsOpen))
                    .col(uuid_null(Articles::AuthorId))
                    .col(timestamp_with_time_zone(Articles::CreatedAt))
                    .col(timestamp_with_time_zone(Articles::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_articles_slug",
            Articles::Table,
            vec![Articles::Slug.into_iden()],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(ArticleComments::Table)
                    .col(uuid(ArticleComments::Id).primary_key())
                    .col(uuid(ArticleComments::ArticleId))
                    .col(uuid(ArticleComments::SubjectId))
                    .col(uuid_null(ArticleComments::CustomerId))
                    .col(string_len(ArticleComments::Status, 16))
                    .col(blob(ArticleComments::NameEnc))
                    .col(blob(ArticleComments::EmailEnc))
                    .col(blob_null(ArticleComments::WebsiteEnc))
                    .col(blob(ArticleComments::BodyEnc))
                    .col(blob_null(ArticleComments::IpEnc))
                    .col(blob_null(ArticleComments::UserAgentEnc))
                    .col(timestamp_with_time_zone(ArticleComments::CreatedAt))
                    .col(timestamp_with_time_zone_null(ArticleComments::ModeratedAt))
                    .col(uuid_null(ArticleComments::ModeratedBy))
                    .foreign_key(
                        &mut ForeignKey::create()
                            .name("fk_comment_article")
                            .from_tbl(ArticleComments::Table)
                            .from_col(ArticleComments::ArticleId)
                            .to(Articles::Table, Articles::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .to_owned(),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_comments_article",
            ArticleComments::Table,
            vec![
                ArticleComments::ArticleId.into_iden(),
                ArticleComments::Status.into_iden(),
                ArticleComments::CreatedAt.into_iden(),
            ],
            false,
        )
        .await?;
        index(
            manager,
            "ix_comments_status",
            ArticleComments::Table,
            vec![
                ArticleComments::Status.into_iden(),
                ArticleComments::CreatedAt.into_iden(),
            ],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(ContentRevisions::Table)
                    .col(string_len(ContentRevisions::Name, 32).primary_key())
                    .col(big_integer(ContentRevisions::Revision))
                    .to_owned(),
            )
            .await?;

        seed(manager).await?;
        move_registration_consents(manager).await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Customers::Table)
                    .drop_column(Customers::PrivacyPolicyVersion)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Customers::Table)
                    .drop_column(Customers::PrivacyPolicyAcceptedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Customers::Table)
                    .add_column(string_len_null(Customers::PrivacyPolicyVersion, 32))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Customers::Table)
                    .add_column(timestamp_with_time_zone_null(
                        Customers::PrivacyPolicyAcceptedAt,
                    ))
                    .to_owned(),
            )
            .await?;
        for table in [
            ContentRevisions::Table.into_iden(),
            ArticleComments::Table.into_iden(),
            Articles::Table.into_iden(),
            ContactReplies::Table.into_iden(),
            ContactMessages::Table.into_iden(),
            NewsletterCampaigns::Table.into_iden(),
            NewsletterSubscribers::Table.into_iden(),
            GuestSubjects::Table.into_iden(),
            ConsentState::Table.into_iden(),
            ConsentEvents::Table.into_iden(),
            ConsentPurposes::Table.into_iden(),
            LegalDocuments::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

/// The 6 March 2019 policy as version 1, the three built-in purposes, and
/// the articles' revision counter.
async fn seed(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let published = chrono::DateTime::parse_from_rfc3339("2019-03-06T00:00:00Z")
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .with_timezone(&chrono::Utc);
    manager
        .exec_stmt(
            Query::insert()
                .into_table(LegalDocuments::Table)
                .columns([
                    LegalDocuments::Id,
                    LegalDocuments::Kind,
                    LegalDocuments::Version,
                    LegalDocuments::PublishedAt,
                    LegalDocuments::TextFr,
                    LegalDocuments::TextEn,
                    LegalDocuments::TextHash,
                    LegalDocuments::Summary,
                ])
                .values_panic([
                    uuid::Uuid::from_u128(0x0169_5025_5c00_7000_8000_0000_0000_0001).into(),
                    "privacy_policy".into(),
                    1.into(),
                    published.into(),
                    POLICY_FR.into(),
                    POLICY_EN.into(),
                    document_hash(POLICY_FR, POLICY_EN).into(),
                    "Politique de confidentialité du 6 mars 2019.".into(),
                ])
                .to_owned(),
        )
        .await?;
    let purposes: [(&str, &str, &str, &str); 3] = [
        (
            "terms_and_privacy",
            "contract",
            "Acceptation des conditions et de la politique de confidentialité, nécessaire à la création d'un compte et aux commandes.",
            "Acceptance of the terms and the privacy policy, needed to open an account and to order.",
        ),
        (
            "newsletter",
            "consent",
            "Recevoir la lettre d'information de la boutique (nouveaux plans, articles), par e-mail.",
            "Receive the shop's newsletter (new plans, articles) by e-mail.",
        ),
        (
            "marketing_email",
            "consent",
            "Recevoir par e-mail les offres commerciales de la boutique.",
            "Receive the shop's commercial offers by e-mail.",
        ),
    ];
    for (key, basis, fr, en) in purposes {
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(ConsentPurposes::Table)
                    .columns([
                        ConsentPurposes::Key,
                        ConsentPurposes::LegalBasis,
                        ConsentPurposes::DescriptionFr,
                        ConsentPurposes::DescriptionEn,
                        ConsentPurposes::Builtin,
                        ConsentPurposes::CreatedAt,
                    ])
                    .values_panic([
                        key.into(),
                        basis.into(),
                        fr.into(),
                        en.into(),
                        true.into(),
                        published.into(),
                    ])
                    .to_owned(),
            )
            .await?;
    }
    manager
        .exec_stmt(
            Query::insert()
                .into_table(ContentRevisions::Table)
                .columns([ContentRevisions::Name, ContentRevisions::Revision])
                .values_panic(["articles".into(), 1i64.into()])
                .to_owned(),
        )
        .await
}

/// Each customer's recorded acceptance becomes a ledger event and state.
async fn move_registration_consents(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let select = Query::select()
        .columns([Customers::Id, Customers::PrivacyPolicyAcceptedAt])
        .from(Customers::Table)
        .and_where(Expr::col(Customers::PrivacyPolicyVersion).is_not_null())
        .and_where(Expr::col(Customers::PrivacyPolicyAcceptedAt).is_not_null())
        .and_where(Expr::col(Customers::Role).eq("customer"))
        .to_owned();
    let rows = db.query_all(&select).await?;
    let hash = document_hash(POLICY_FR, POLICY_EN);
    for row in rows {
        let id: uuid::Uuid = row.try_get("", "id")?;
        let at: chrono::DateTime<chrono::Utc> = row.try_get("", "privacy_policy_accepted_at")?;
        let event = Query::insert()
            .into_table(ConsentEvents::Table)
            .columns([
                ConsentEvents::Id,
                ConsentEvents::SubjectId,
                ConsentEvents::Purpose,
                ConsentEvents::Given,
                ConsentEvents::Channel,
                ConsentEvents::PolicyVersion,
                ConsentEvents::PolicyHash,
                ConsentEvents::At,
            ])
            .values_panic([
                uuid::Uuid::now_v7().into(),
                id.into(),
                "terms_and_privacy".into(),
                true.into(),
                "registration".into(),
                1.into(),
                hash.clone().into(),
                at.into(),
            ])
            .to_owned();
        db.execute(&event).await?;
        let state = Query::insert()
            .into_table(ConsentState::Table)
            .columns([
                ConsentState::SubjectId,
                ConsentState::Purpose,
                ConsentState::Given,
                ConsentState::PolicyVersion,
                ConsentState::UpdatedAt,
            ])
            .values_panic([
                id.into(),
                "terms_and_privacy".into(),
                true.into(),
                1.into(),
                at.into(),
            ])
            .to_owned();
        db.execute(&state).await?;
    }
    Ok(())
}
