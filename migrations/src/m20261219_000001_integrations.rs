//! Integrations: API keys (only keyed hashes of their secrets) and
//! outgoing webhooks (endpoints, and deliveries written in the unit of work
//! of the change that caused them). No personal data: a delivery holds ids
//! and facts; buyers' details are read at sending, never stored.

use sea_orm_migration::{prelude::*, schema::*};

use crate::common::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
    Name,
    Purpose,
    Scopes,
    Prefix,
    SecretHash,
    PreviousPrefix,
    PreviousHash,
    PreviousUntil,
    RatePerMinute,
    CreatedAt,
    CreatedBy,
    ExpiresAt,
    RevokedAt,
    LastUsedAt,
    RotatedAt,
}

#[derive(DeriveIden)]
enum WebhookEndpoints {
    Table,
    Id,
    Url,
    Description,
    Events,
    PersonalPurpose,
    SecretVersion,
    Enabled,
    DisabledAt,
    DisabledReason,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    EndpointId,
    MessageId,
    EventType,
    Payload,
    OrderId,
    Status,
    Attempts,
    NextAttemptAt,
    LastAttemptAt,
    LastStatusCode,
    LastError,
    CreatedAt,
    DeliveredAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ApiKeys::Table)
                    .col(uuid(ApiKeys::Id).primary_key())
                    .col(text(ApiKeys::Name))
                    .col(text_null(ApiKeys::Purpose))
                    .col(text(ApiKeys::Scopes))
                    .col(string(ApiKeys::Prefix))
                    .col(blob(ApiKeys::SecretHash))
                    .col(string_null(ApiKeys::PreviousPrefix))
                    .col(blob_null(ApiKeys::PreviousHash))
                    .col(timestamp_with_time_zone_null(ApiKeys::PreviousUntil))
                    .col(integer(ApiKeys::RatePerMinute))
                    .col(timestamp_with_time_zone(ApiKeys::CreatedAt))
                    .col(uuid(ApiKeys::CreatedBy))
                    .col(timestamp_with_time_zone_null(ApiKeys::ExpiresAt))
                    .col(timestamp_with_time_zone_null(ApiKeys::RevokedAt))
                    .col(timestamp_with_time_zone_null(ApiKeys::LastUsedAt))
                    .col(timestamp_with_time_zone_null(ApiKeys::RotatedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "api_keys_secret_hash",
            ApiKeys::Table,
            vec![ApiKeys::SecretHash.into_iden()],
            true,
        )
        .await?;
        index(
            manager,
            "api_keys_previous_hash",
            ApiKeys::Table,
            vec![ApiKeys::PreviousHash.into_iden()],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookEndpoints::Table)
                    .col(uuid(WebhookEndpoints::Id).primary_key())
                    .col(text(WebhookEndpoints::Url))
                    .col(text(WebhookEndpoints::Description))
                    .col(text(WebhookEndpoints::Events))
                    .col(text_null(WebhookEndpoints::PersonalPurpose))
                    .col(integer(WebhookEndpoints::SecretVersion))
                    .col(boolean(WebhookEndpoints::Enabled))
                    .col(timestamp_with_time_zone_null(WebhookEndpoints::DisabledAt))
                    .col(text_null(WebhookEndpoints::DisabledReason))
                    .col(timestamp_with_time_zone(WebhookEndpoints::CreatedAt))
                    .col(timestamp_with_time_zone(WebhookEndpoints::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookDeliveries::Table)
                    .col(uuid(WebhookDeliveries::Id).primary_key())
                    .col(uuid(WebhookDeliveries::EndpointId))
                    .col(string(WebhookDeliveries::MessageId))
                    .col(string(WebhookDeliveries::EventType))
                    .col(text(WebhookDeliveries::Payload))
                    .col(uuid_null(WebhookDeliveries::OrderId))
                    .col(string(WebhookDeliveries::Status))
                    .col(integer(WebhookDeliveries::Attempts))
                    .col(timestamp_with_time_zone(WebhookDeliveries::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(
                        WebhookDeliveries::LastAttemptAt,
                    ))
                    .col(integer_null(WebhookDeliveries::LastStatusCode))
                    .col(text_null(WebhookDeliveries::LastError))
                    .col(timestamp_with_time_zone(WebhookDeliveries::CreatedAt))
                    .col(timestamp_with_time_zone_null(
                        WebhookDeliveries::DeliveredAt,
                    ))
                    .to_owned(),
            )
            .await?;
        // The sender's scan: pending, by due time.
        index(
            manager,
            "webhook_deliveries_due",
            WebhookDeliveries::Table,
            vec![
                WebhookDeliveries::Status.into_iden(),
                WebhookDeliveries::NextAttemptAt.into_iden(),
            ],
            false,
        )
        .await?;
        // An endpoint's log, newest first.
        index(
            manager,
            "webhook_deliveries_endpoint",
            WebhookDeliveries::Table,
            vec![
                WebhookDeliveries::EndpointId.into_iden(),
                WebhookDeliveries::Id.into_iden(),
            ],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            WebhookDeliveries::Table.into_iden(),
            WebhookEndpoints::Table.into_iden(),
            ApiKeys::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(t).to_owned())
                .await?;
        }
        Ok(())
    }
}
