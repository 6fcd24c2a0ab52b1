//! The catalogue's change log: each revision of the catalogue names the
//! plan it changed, so an instance whose cached catalogue is at revision R
//! applies the plans changed after R instead of reloading everything. Only
//! the latest 10,000 entries are kept; an instance further behind reloads.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CatalogueChanges {
    Table,
    Revision,
    ProductId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CatalogueChanges::Table)
                    .col(big_integer(CatalogueChanges::Revision).primary_key())
                    .col(uuid(CatalogueChanges::ProductId))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CatalogueChanges::Table).to_owned())
            .await
    }
}
