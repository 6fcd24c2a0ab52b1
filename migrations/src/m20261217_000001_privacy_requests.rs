//! Requests of people without an account (DSR-4): what was asked, for
//! which guest subject, the hashes of its single-use tokens, and the
//! address its mails go to, sealed under that subject's key.

use sea_orm_migration::{prelude::*, schema::*};

use crate::common::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PrivacyRequests {
    Table,
    Id,
    SubjectId,
    Kind,
    Language,
    EmailEnc,
    TokenHash,
    ExpiresAt,
    DownloadHash,
    DownloadExpiresAt,
    Status,
    CreatedAt,
    ConfirmedAt,
    DoneAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PrivacyRequests::Table)
                    .col(uuid(PrivacyRequests::Id).primary_key())
                    .col(uuid(PrivacyRequests::SubjectId))
                    .col(string(PrivacyRequests::Kind))
                    .col(string(PrivacyRequests::Language))
                    .col(blob(PrivacyRequests::EmailEnc))
                    .col(blob(PrivacyRequests::TokenHash))
                    .col(timestamp_with_time_zone(PrivacyRequests::ExpiresAt))
                    .col(blob_null(PrivacyRequests::DownloadHash))
                    .col(timestamp_with_time_zone_null(
                        PrivacyRequests::DownloadExpiresAt,
                    ))
                    .col(string(PrivacyRequests::Status))
                    .col(timestamp_with_time_zone(PrivacyRequests::CreatedAt))
                    .col(timestamp_with_time_zone_null(PrivacyRequests::ConfirmedAt))
                    .col(timestamp_with_time_zone_null(PrivacyRequests::DoneAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_privacy_requests_token",
            PrivacyRequests::Table,
            vec![PrivacyRequests::TokenHash.into_iden()],
            true,
        )
        .await?;
        index(
            manager,
            "ix_privacy_requests_download",
            PrivacyRequests::Table,
            vec![PrivacyRequests::DownloadHash.into_iden()],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PrivacyRequests::Table).to_owned())
            .await
    }
}
