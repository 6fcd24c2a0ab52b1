//! Requests received by the DPO (DSR-3): access, rectification, erasure,
//! portability, restriction, objection, with their due dates; staff notes
//! sealed under the customer's key. And the restriction of a customer's
//! data (art. 18): `customers.restricted_at`.

use sea_orm_migration::{prelude::*, schema::*};

use crate::common::{add_columns, drop_columns, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone)]
enum Customers {
    Table,
    RestrictedAt,
}

#[derive(DeriveIden)]
enum DpoRequests {
    Table,
    Id,
    CustomerId,
    Kind,
    Channel,
    ReceivedAt,
    DueAt,
    Extended,
    VerifiedAt,
    Status,
    FulfilledAt,
    NotesEnc,
    ContactMessageId,
    RecordedBy,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_columns(
            manager,
            Customers::Table,
            vec![timestamp_with_time_zone_null(Customers::RestrictedAt)],
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(DpoRequests::Table)
                    .col(uuid(DpoRequests::Id).primary_key())
                    .col(uuid(DpoRequests::CustomerId))
                    .col(string(DpoRequests::Kind))
                    .col(string(DpoRequests::Channel))
                    .col(timestamp_with_time_zone(DpoRequests::ReceivedAt))
                    .col(timestamp_with_time_zone(DpoRequests::DueAt))
                    .col(boolean(DpoRequests::Extended).default(false))
                    .col(timestamp_with_time_zone_null(DpoRequests::VerifiedAt))
                    .col(string(DpoRequests::Status))
                    .col(timestamp_with_time_zone_null(DpoRequests::FulfilledAt))
                    .col(blob(DpoRequests::NotesEnc))
                    .col(uuid_null(DpoRequests::ContactMessageId))
                    .col(uuid(DpoRequests::RecordedBy))
                    .col(timestamp_with_time_zone(DpoRequests::CreatedAt))
                    .col(timestamp_with_time_zone(DpoRequests::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_dpo_requests_due",
            DpoRequests::Table,
            vec![
                DpoRequests::Status.into_iden(),
                DpoRequests::DueAt.into_iden(),
            ],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DpoRequests::Table).to_owned())
            .await?;
        drop_columns(
            manager,
            Customers::Table,
            vec![Customers::RestrictedAt.into_iden()],
        )
        .await
    }
}
