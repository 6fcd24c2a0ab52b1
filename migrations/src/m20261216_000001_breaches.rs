//! The breach register (BR-1): descriptions of breaches, never personal
//! data, with the times the authority and the people concerned were told.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Breaches {
    Table,
    Id,
    Nature,
    DataCategories,
    PeopleCategories,
    ApproxPeople,
    ApproxRecords,
    Consequences,
    Measures,
    DiscoveredAt,
    RecordedAt,
    RecordedBy,
    AuthorityNotifiedAt,
    AuthorityReference,
    PeopleNotifiedAt,
    PeopleNotified,
    AllNotifiedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Breaches::Table)
                    .col(uuid(Breaches::Id).primary_key())
                    .col(text(Breaches::Nature))
                    .col(text(Breaches::DataCategories))
                    .col(text(Breaches::PeopleCategories))
                    .col(big_integer(Breaches::ApproxPeople))
                    .col(big_integer(Breaches::ApproxRecords))
                    .col(text(Breaches::Consequences))
                    .col(text(Breaches::Measures))
                    .col(timestamp_with_time_zone(Breaches::DiscoveredAt))
                    .col(timestamp_with_time_zone(Breaches::RecordedAt))
                    .col(uuid(Breaches::RecordedBy))
                    .col(timestamp_with_time_zone_null(Breaches::AuthorityNotifiedAt))
                    .col(string_null(Breaches::AuthorityReference))
                    .col(timestamp_with_time_zone_null(Breaches::PeopleNotifiedAt))
                    .col(big_integer(Breaches::PeopleNotified).default(0))
                    .col(timestamp_with_time_zone_null(Breaches::AllNotifiedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Breaches::Table).to_owned())
            .await
    }
}
