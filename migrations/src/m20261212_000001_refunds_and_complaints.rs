//! Refunds and complaints (SHOP-5): every refund of an order (amount,
//! staff's reason, the provider's refund id, the credit note's number),
//! and the complaints and refund requests customers open on their orders,
//! whose messages are sealed under the order's subject. All go with their
//! order.

use sea_orm_migration::{prelude::*, schema::*};

use crate::common::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Refunds {
    Table,
    Id,
    OrderId,
    Amount,
    Currency,
    Method,
    Status,
    Reason,
    ProviderRefundId,
    CreditNoteNumber,
    StaffId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Complaints {
    Table,
    Id,
    OrderId,
    SubjectId,
    CustomerId,
    Kind,
    Status,
    CreatedAt,
    UpdatedAt,
    AnsweredAt,
    ClosedAt,
}

#[derive(DeriveIden)]
enum ComplaintMessages {
    Table,
    Id,
    ComplaintId,
    SubjectId,
    StaffId,
    BodyEnc,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Refunds::Table)
                    .col(uuid(Refunds::Id).primary_key())
                    .col(uuid(Refunds::OrderId))
                    .col(big_integer(Refunds::Amount))
                    .col(string_len(Refunds::Currency, 3))
                    .col(string_len(Refunds::Method, 16))
                    .col(string_len(Refunds::Status, 16))
                    .col(string_len(Refunds::Reason, 500))
                    .col(string_len_null(Refunds::ProviderRefundId, 255))
                    .col(string_len_null(Refunds::CreditNoteNumber, 32))
                    .col(uuid(Refunds::StaffId))
                    .col(timestamp_with_time_zone(Refunds::CreatedAt))
                    .col(timestamp_with_time_zone(Refunds::UpdatedAt))
                    .foreign_key(
                        &mut ForeignKey::create()
                            .name("fk_refund_order")
                            .from_tbl(Refunds::Table)
                            .from_col(Refunds::OrderId)
                            .to(Orders::Table, Orders::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .to_owned(),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_refunds_order",
            Refunds::Table,
            vec![Refunds::OrderId.into_iden(), Refunds::CreatedAt.into_iden()],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Complaints::Table)
                    .col(uuid(Complaints::Id).primary_key())
                    .col(uuid(Complaints::OrderId))
                    .col(uuid(Complaints::SubjectId))
                    .col(uuid_null(Complaints::CustomerId))
                    .col(string_len(Complaints::Kind, 32))
                    .col(string_len(Complaints::Status, 16))
                    .col(timestamp_with_time_zone(Complaints::CreatedAt))
                    .col(timestamp_with_time_zone(Complaints::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Complaints::AnsweredAt))
                    .col(timestamp_with_time_zone_null(Complaints::ClosedAt))
                    .foreign_key(
                        &mut ForeignKey::create()
                            .name("fk_complaint_order")
                            .from_tbl(Complaints::Table)
                            .from_col(Complaints::OrderId)
                            .to(Orders::Table, Orders::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .to_owned(),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "ix_complaints_order",
                vec![Complaints::OrderId.into_iden(), Complaints::Id.into_iden()],
            ),
            (
                "ix_complaints_status",
                vec![Complaints::Status.into_iden(), Complaints::Id.into_iden()],
            ),
            (
                "ix_complaints_subject",
                vec![Complaints::SubjectId.into_iden()],
            ),
        ] {
            index(manager, name, Complaints::Table, cols, false).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(ComplaintMessages::Table)
                    .col(uuid(ComplaintMessages::Id).primary_key())
                    .col(uuid(ComplaintMessages::ComplaintId))
                    .col(uuid(ComplaintMessages::SubjectId))
                    .col(uuid_null(ComplaintMessages::StaffId))
                    .col(blob(ComplaintMessages::BodyEnc))
                    .col(timestamp_with_time_zone(ComplaintMessages::CreatedAt))
                    .foreign_key(
                        &mut ForeignKey::create()
                            .name("fk_complaint_message_complaint")
                            .from_tbl(ComplaintMessages::Table)
                            .from_col(ComplaintMessages::ComplaintId)
                            .to(Complaints::Table, Complaints::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .to_owned(),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_complaint_messages_complaint",
            ComplaintMessages::Table,
            vec![
                ComplaintMessages::ComplaintId.into_iden(),
                ComplaintMessages::CreatedAt.into_iden(),
            ],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ComplaintMessages::Table.into_iden(),
            Complaints::Table.into_iden(),
            Refunds::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
