//! The shop: carts and their lines, orders with the snapshot a checkout
//! takes, and every status change of an order. Personal fields (a cart's
//! e-mail, an order's buyer and lines) are sealed under the subject's key;
//! amounts, statuses and timestamps stay in clear for lists and retention.

use sea_orm_migration::{prelude::*, schema::*};

use crate::common::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Carts {
    Table,
    Id,
    CustomerId,
    SubjectId,
    EmailEnc,
    EmailBidx,
    Status,
    CreatedAt,
    UpdatedAt,
    LastActivityAt,
}

#[derive(DeriveIden)]
enum CartLines {
    Table,
    Id,
    CartId,
    ProductId,
    FormatId,
    Quantity,
    AddedAt,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
    Number,
    CartId,
    SubjectId,
    CustomerId,
    EmailBidx,
    Status,
    PaymentMethod,
    Country,
    Language,
    Currency,
    GoodsNet,
    DiscountNet,
    ShippingNet,
    Vat,
    Total,
    Shipping,
    KeyHash,
    Fingerprint,
    LinesEnc,
    BuyerEnc,
    CreatedAt,
    UpdatedAt,
    StatusChangedAt,
    PaidAt,
}

#[derive(DeriveIden)]
enum OrderEvents {
    Table,
    Id,
    OrderId,
    FromStatus,
    ToStatus,
    At,
    Actor,
    Note,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    #[allow(clippy::too_many_lines)]
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Carts::Table)
                    .col(uuid(Carts::Id).primary_key())
                    .col(uuid_null(Carts::CustomerId))
                    .col(uuid_null(Carts::SubjectId))
                    .col(blob_null(Carts::EmailEnc))
                    .col(blob_null(Carts::EmailBidx))
                    .col(string_len(Carts::Status, 16))
                    .col(timestamp_with_time_zone(Carts::CreatedAt))
                    .col(timestamp_with_time_zone(Carts::UpdatedAt))
                    .col(timestamp_with_time_zone(Carts::LastActivityAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_carts_customer",
            Carts::Table,
            vec![Carts::CustomerId.into_iden(), Carts::Status.into_iden()],
            false,
        )
        .await?;
        index(
            manager,
            "ix_carts_activity",
            Carts::Table,
            vec![Carts::LastActivityAt.into_iden()],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(CartLines::Table)
                    .col(uuid(CartLines::Id).primary_key())
                    .col(uuid(CartLines::CartId))
                    .col(uuid(CartLines::ProductId))
                    .col(uuid(CartLines::FormatId))
                    .col(integer(CartLines::Quantity))
                    .col(timestamp_with_time_zone(CartLines::AddedAt))
                    .foreign_key(
                        &mut ForeignKey::create()
                            .name("fk_cart_line_cart")
                            .from_tbl(CartLines::Table)
                            .from_col(CartLines::CartId)
                            .to(Carts::Table, Carts::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .to_owned(),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_cart_lines_format",
            CartLines::Table,
            vec![
                CartLines::CartId.into_iden(),
                CartLines::FormatId.into_iden(),
            ],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Orders::Table)
                    .col(uuid(Orders::Id).primary_key())
                    .col(string_len(Orders::Number, 24))
                    .col(uuid(Orders::CartId))
                    .col(uuid(Orders::SubjectId))
                    .col(uuid_null(Orders::CustomerId))
                    .col(blob(Orders::EmailBidx))
                    .col(string_len(Orders::Status, 24))
                    .col(string_len(Orders::PaymentMethod, 16))
                    .col(string_len(Orders::Country, 2))
                    .col(string_len(Orders::Language, 8))
                    .col(string_len(Orders::Currency, 3))
                    .col(big_integer(Orders::GoodsNet))
                    .col(big_integer(Orders::DiscountNet))
                    .col(big_integer(Orders::ShippingNet))
                    .col(big_integer(Orders::Vat))
                    .col(big_integer(Orders::Total))
                    .col(text_null(Orders::Shipping))
                    .col(blob(Orders::KeyHash))
                    .col(blob(Orders::Fingerprint))
                    .col(blob(Orders::LinesEnc))
                    .col(blob(Orders::BuyerEnc))
                    .col(timestamp_with_time_zone(Orders::CreatedAt))
                    .col(timestamp_with_time_zone(Orders::UpdatedAt))
                    .col(timestamp_with_time_zone(Orders::StatusChangedAt))
                    .col(timestamp_with_time_zone_null(Orders::PaidAt))
                    .to_owned(),
            )
            .await?;
        for (name, cols, unique) in [
            ("ux_orders_number", vec![Orders::Number.into_iden()], true),
            ("ux_orders_cart", vec![Orders::CartId.into_iden()], true),
            (
                "ix_orders_customer",
                vec![Orders::CustomerId.into_iden(), Orders::Id.into_iden()],
                false,
            ),
            (
                "ix_orders_status",
                vec![Orders::Status.into_iden(), Orders::Id.into_iden()],
                false,
            ),
            (
                "ix_orders_email",
                vec![Orders::EmailBidx.into_iden()],
                false,
            ),
            (
                "ix_orders_status_changed",
                vec![Orders::StatusChangedAt.into_iden()],
                false,
            ),
        ] {
            index(manager, name, Orders::Table, cols, unique).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(OrderEvents::Table)
                    .col(uuid(OrderEvents::Id).primary_key())
                    .col(uuid(OrderEvents::OrderId))
                    .col(string_len_null(OrderEvents::FromStatus, 24))
                    .col(string_len(OrderEvents::ToStatus, 24))
                    .col(timestamp_with_time_zone(OrderEvents::At))
                    .col(string_len(OrderEvents::Actor, 64))
                    .col(text_null(OrderEvents::Note))
                    .foreign_key(
                        &mut ForeignKey::create()
                            .name("fk_order_event_order")
                            .from_tbl(OrderEvents::Table)
                            .from_col(OrderEvents::OrderId)
                            .to(Orders::Table, Orders::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .to_owned(),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_order_events_order",
            OrderEvents::Table,
            vec![
                OrderEvents::OrderId.into_iden(),
                OrderEvents::At.into_iden(),
            ],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            OrderEvents::Table.into_iden(),
            Orders::Table.into_iden(),
            CartLines::Table.into_iden(),
            Carts::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
