//! The fraud check counts a source's failed orders of the last day: an
//! index on (source, status, time) keeps that count to the few rows it
//! needs, however many orders the source placed.

use sea_orm_migration::prelude::*;

use crate::common::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Orders {
    Table,
    SourceKey,
    Status,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        index(
            manager,
            "ix_orders_source_status",
            Orders::Table,
            vec![
                Orders::SourceKey.into_iden(),
                Orders::Status.into_iden(),
                Orders::CreatedAt.into_iden(),
            ],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_orders_source_status")
                    .table(Orders::Table)
                    .to_owned(),
            )
            .await
    }
}
