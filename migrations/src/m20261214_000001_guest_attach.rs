//! A guest subject attached to the account that proved it owns the
//! address (by a set-password or reset link): that account then lists the
//! guest's orders, and its erasure will destroy the guest subject's key too.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum GuestSubjects {
    Table,
    CustomerId,
    AttachedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        manager
            .alter_table(
                Table::alter()
                    .table(GuestSubjects::Table)
                    .add_column(uuid_null(GuestSubjects::CustomerId))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(GuestSubjects::Table)
                    .add_column(timestamp_with_time_zone_null(GuestSubjects::AttachedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for col in [GuestSubjects::AttachedAt, GuestSubjects::CustomerId] {
            manager
                .alter_table(
                    Table::alter()
                        .table(GuestSubjects::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
