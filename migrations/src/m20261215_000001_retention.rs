//! Retention (RET-2, RET-6): when an inactive account's owner was warned
//! of its erasure, and where the audit chain starts once its oldest
//! entries are past their period (the last entry dropped: its position
//! and hash).

use sea_orm_migration::{prelude::*, schema::*};

use crate::common::{add_columns, drop_columns};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone)]
enum Customers {
    Table,
    InactivityWarnedAt,
}

#[derive(DeriveIden, Clone)]
enum AuditHead {
    Table,
    PrunedSeq,
    PrunedHash,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_columns(
            manager,
            Customers::Table,
            vec![timestamp_with_time_zone_null(Customers::InactivityWarnedAt)],
        )
        .await?;
        add_columns(
            manager,
            AuditHead::Table,
            vec![
                big_integer(AuditHead::PrunedSeq).default(0).to_owned(),
                string(AuditHead::PrunedHash).default("").to_owned(),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_columns(
            manager,
            AuditHead::Table,
            vec![
                AuditHead::PrunedHash.into_iden(),
                AuditHead::PrunedSeq.into_iden(),
            ],
        )
        .await?;
        drop_columns(
            manager,
            Customers::Table,
            vec![Customers::InactivityWarnedAt.into_iden()],
        )
        .await
    }
}
