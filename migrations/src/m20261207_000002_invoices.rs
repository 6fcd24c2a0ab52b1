//! Invoices and credit notes, and their gap-free sequences. A document's
//! content (buyer's name, billing address, lines, seller) is one blob
//! sealed under the legal archive's key, never the customer's, so erasing
//! a customer leaves what the law makes the shop keep for 10 years; its
//! kind, number, order, date and total stay in clear for lists and
//! retention. No foreign key ties a document to its order: orders go after
//! a year, invoices stay ten.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Invoices {
    Table,
    Id,
    Kind,
    Number,
    Year,
    OrderId,
    SubjectId,
    IssuedAt,
    Currency,
    Total,
    ArchiveEnc,
}

#[derive(DeriveIden)]
enum InvoiceSequences {
    Table,
    Kind,
    Year,
    Last,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(InvoiceSequences::Table)
                    .col(string_len(InvoiceSequences::Kind, 16))
                    .col(integer(InvoiceSequences::Year))
                    .col(big_integer(InvoiceSequences::Last))
                    .primary_key(
                        Index::create()
                            .col(InvoiceSequences::Kind)
                            .col(InvoiceSequences::Year),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Invoices::Table)
                    .col(uuid(Invoices::Id).primary_key())
                    .col(string_len(Invoices::Kind, 16))
                    .col(string_len(Invoices::Number, 24))
                    .col(integer(Invoices::Year))
                    .col(uuid(Invoices::OrderId))
                    .col(uuid(Invoices::SubjectId))
                    .col(timestamp_with_time_zone(Invoices::IssuedAt))
                    .col(string_len(Invoices::Currency, 3))
                    .col(big_integer(Invoices::Total))
                    .col(blob(Invoices::ArchiveEnc))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_invoices_number")
                    .table(Invoices::Table)
                    .col(Invoices::Number)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_invoices_order")
                    .table(Invoices::Table)
                    .col(Invoices::OrderId)
                    .col(Invoices::IssuedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_invoices_issued")
                    .table(Invoices::Table)
                    .col(Invoices::IssuedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Invoices::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(InvoiceSequences::Table).to_owned())
            .await
    }
}
