//! The catalogue of house plans: plans, their formats and prices, and a
//! revision counter that tells every instance when its cached catalogue is stale.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
    Slug,
    Title,
    Description,
    Style,
    LivingAreaM2,
    Bedrooms,
    Bathrooms,
    Levels,
    GarageSpaces,
    LotWidthCm,
    LotDepthCm,
    ImageUrls,
    Published,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ProductFormats {
    Table,
    Id,
    ProductId,
    Kind,
    Sku,
    PriceMinor,
    Currency,
}

#[derive(DeriveIden)]
enum CatalogueRevision {
    Table,
    Id,
    Revision,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Products::Table)
                    .col(uuid(Products::Id).primary_key())
                    .col(string_len_uniq(Products::Slug, 100))
                    .col(string_len(Products::Title, 200))
                    .col(text(Products::Description))
                    .col(string_len(Products::Style, 32))
                    .col(integer(Products::LivingAreaM2))
                    .col(small_integer(Products::Bedrooms))
                    .col(small_integer(Products::Bathrooms))
                    .col(small_integer(Products::Levels))
                    .col(small_integer(Products::GarageSpaces))
                    .col(integer(Products::LotWidthCm))
                    .col(integer(Products::LotDepthCm))
                    .col(text(Products::ImageUrls))
                    .col(boolean(Products::Published))
                    .col(timestamp_with_time_zone(Products::CreatedAt))
                    .col(timestamp_with_time_zone(Products::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ProductFormats::Table)
                    .col(uuid(ProductFormats::Id).primary_key())
                    .col(uuid(ProductFormats::ProductId))
                    .col(string_len(ProductFormats::Kind, 32))
                    .col(string_len_uniq(ProductFormats::Sku, 64))
                    .col(big_integer(ProductFormats::PriceMinor))
                    .col(char_len(ProductFormats::Currency, 3))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_product_formats_product")
                            .from(ProductFormats::Table, ProductFormats::ProductId)
                            .to(Products::Table, Products::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_product_formats_product_kind")
                    .table(ProductFormats::Table)
                    .col(ProductFormats::ProductId)
                    .col(ProductFormats::Kind)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CatalogueRevision::Table)
                    .col(integer(CatalogueRevision::Id).primary_key())
                    .col(big_integer(CatalogueRevision::Revision))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(CatalogueRevision::Table)
                    .columns([CatalogueRevision::Id, CatalogueRevision::Revision])
                    .values_panic([1.into(), 0.into()])
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CatalogueRevision::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(ProductFormats::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Products::Table).to_owned())
            .await
    }
}
