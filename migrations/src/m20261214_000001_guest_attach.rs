//! A guest subject attached to the account that proved it owns the
//! address (by a set-password or reset link): that account then lists the
//! guest's orders, and its erasure will destroy the guest subject's key too.

use sea_orm_migration::{prelude::*, schema::*};

use crate::common::{add_columns, drop_columns};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone)]
enum GuestSubjects {
    Table,
    CustomerId,
    AttachedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_columns(
            manager,
            GuestSubjects::Table,
            vec![
                uuid_null(GuestSubjects::CustomerId),
                timestamp_with_time_zone_null(GuestSubjects::AttachedAt),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_columns(
            manager,
            GuestSubjects::Table,
            vec![
                GuestSubjects::AttachedAt.into_iden(),
                GuestSubjects::CustomerId.into_iden(),
            ],
        )
        .await
    }
}
