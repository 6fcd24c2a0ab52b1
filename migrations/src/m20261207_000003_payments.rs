//! Payments at a provider (Stripe): one intent per order, and every event
//! the provider sent, by its id, so each is applied once.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Payments {
    Table,
    OrderId,
    Provider,
    IntentId,
    Amount,
    Currency,
    Status,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PaymentEvents {
    Table,
    EventId,
    Kind,
    OrderId,
    Outcome,
    ReceivedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Payments::Table)
                    .col(uuid(Payments::OrderId).primary_key())
                    .col(string_len(Payments::Provider, 16))
                    .col(string_len(Payments::IntentId, 255))
                    .col(big_integer(Payments::Amount))
                    .col(string_len(Payments::Currency, 3))
                    .col(string_len(Payments::Status, 32))
                    .col(timestamp_with_time_zone(Payments::CreatedAt))
                    .col(timestamp_with_time_zone(Payments::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_payments_intent")
                    .table(Payments::Table)
                    .col(Payments::IntentId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PaymentEvents::Table)
                    .col(string_len(PaymentEvents::EventId, 255).primary_key())
                    .col(string_len(PaymentEvents::Kind, 100))
                    .col(uuid_null(PaymentEvents::OrderId))
                    .col(string_len(PaymentEvents::Outcome, 32))
                    .col(timestamp_with_time_zone(PaymentEvents::ReceivedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_payment_events_received")
                    .table(PaymentEvents::Table)
                    .col(PaymentEvents::ReceivedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PaymentEvents::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Payments::Table).to_owned())
            .await
    }
}
