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
    CouponCode,
    SourceKey,
    FraudSignals,
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
enum Coupons {
    Table,
    Id,
    Code,
    Kind,
    Value,
    Currency,
    StartsAt,
    EndsAt,
    MinBasket,
    MaxUses,
    MaxUsesPerPerson,
    Active,
    Uses,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CouponUses {
    Table,
    Id,
    CouponId,
    OrderId,
    EmailBidx,
    UsedAt,
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
                    .col(string_len_null(Orders::CouponCode, 32))
                    .col(string_len(Orders::SourceKey, 128))
                    .col(string_len(Orders::FraudSignals, 200))
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
                "ix_orders_source",
                vec![Orders::SourceKey.into_iden(), Orders::CreatedAt.into_iden()],
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
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Coupons::Table)
                    .col(uuid(Coupons::Id).primary_key())
                    .col(string_len(Coupons::Code, 32))
                    .col(string_len(Coupons::Kind, 16))
                    .col(big_integer(Coupons::Value))
                    .col(string_len_null(Coupons::Currency, 3))
                    .col(timestamp_with_time_zone_null(Coupons::StartsAt))
                    .col(timestamp_with_time_zone_null(Coupons::EndsAt))
                    .col(big_integer_null(Coupons::MinBasket))
                    .col(integer_null(Coupons::MaxUses))
                    .col(integer_null(Coupons::MaxUsesPerPerson))
                    .col(boolean(Coupons::Active))
                    .col(integer(Coupons::Uses))
                    .col(timestamp_with_time_zone(Coupons::CreatedAt))
                    .col(timestamp_with_time_zone(Coupons::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_coupons_code",
            Coupons::Table,
            vec![Coupons::Code.into_iden()],
            true,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(CouponUses::Table)
                    .col(uuid(CouponUses::Id).primary_key())
                    .col(uuid(CouponUses::CouponId))
                    .col(uuid(CouponUses::OrderId))
                    .col(blob(CouponUses::EmailBidx))
                    .col(timestamp_with_time_zone(CouponUses::UsedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_coupon_uses_person",
            CouponUses::Table,
            vec![
                CouponUses::CouponId.into_iden(),
                CouponUses::EmailBidx.into_iden(),
            ],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            CouponUses::Table.into_iden(),
            Coupons::Table.into_iden(),
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
