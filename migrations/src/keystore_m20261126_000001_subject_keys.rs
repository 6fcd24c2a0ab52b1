//! The key store's own schema: wrapped per-subject data keys, kept in a
//! database apart from the data they protect.

use sea_orm_migration::{prelude::*, schema::*};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "keystore_m20261126_000001_subject_keys"
    }
}

#[derive(DeriveIden)]
enum SubjectKeys {
    Table,
    SubjectId,
    MasterKeyId,
    WrappedKey,
    CreatedAt,
}

#[derive(DeriveIden)]
enum DestroyedSubjects {
    Table,
    SubjectId,
    DestroyedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SubjectKeys::Table)
                    .col(uuid(SubjectKeys::SubjectId).primary_key())
                    .col(string_len(SubjectKeys::MasterKeyId, 32))
                    .col(blob(SubjectKeys::WrappedKey))
                    .col(timestamp_with_time_zone(SubjectKeys::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DestroyedSubjects::Table)
                    .col(uuid(DestroyedSubjects::SubjectId).primary_key())
                    .col(timestamp_with_time_zone(DestroyedSubjects::DestroyedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DestroyedSubjects::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(SubjectKeys::Table).to_owned())
            .await
    }
}
