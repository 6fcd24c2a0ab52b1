//! Idempotency records (`Idempotency-Key`): one row per caller and key,
//! kept 24 hours. The key and the request are stored as keyed hashes; the
//! recorded answer is sealed under the caller's key (`response_enc`), or in
//! clear for anonymous callers, whose answers name no one (`response`).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum IdempotencyRecords {
    Table,
    Id,
    Caller,
    KeyHash,
    SubjectId,
    Fingerprint,
    CreatedAt,
    CompletedAt,
    ResponseEnc,
    Response,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(IdempotencyRecords::Table)
                    .col(uuid(IdempotencyRecords::Id).primary_key())
                    .col(string_len(IdempotencyRecords::Caller, 200))
                    .col(blob(IdempotencyRecords::KeyHash))
                    .col(uuid_null(IdempotencyRecords::SubjectId))
                    .col(blob(IdempotencyRecords::Fingerprint))
                    .col(timestamp_with_time_zone(IdempotencyRecords::CreatedAt))
                    .col(timestamp_with_time_zone_null(
                        IdempotencyRecords::CompletedAt,
                    ))
                    .col(blob_null(IdempotencyRecords::ResponseEnc))
                    .col(blob_null(IdempotencyRecords::Response))
                    // An account's records go with it.
                    .foreign_key(
                        &mut ForeignKey::create()
                            .name("fk_idempotency_subject")
                            .from_tbl(IdempotencyRecords::Table)
                            .from_col(IdempotencyRecords::SubjectId)
                            .to(Customers::Table, Customers::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .to_owned(),
                    )
                    .to_owned(),
            )
            .await?;
        // The lock: of concurrent requests with one key, one inserts its row.
        manager
            .create_index(
                Index::create()
                    .name("ux_idempotency_caller_key")
                    .table(IdempotencyRecords::Table)
                    .col(IdempotencyRecords::Caller)
                    .col(IdempotencyRecords::KeyHash)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // Retention deletes by age.
        manager
            .create_index(
                Index::create()
                    .name("ix_idempotency_created")
                    .table(IdempotencyRecords::Table)
                    .col(IdempotencyRecords::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(IdempotencyRecords::Table).to_owned())
            .await
    }
}
