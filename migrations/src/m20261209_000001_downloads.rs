//! Plan downloads: the file each PDF or CAD format carries (kept in a file
//! store under a random id; here only its description, which names no
//! one), how many times each format of an order was downloaded, and the
//! log of downloads, whose source address and browser are sealed under the
//! order's subject. The log has no foreign key to its order: it is kept
//! for its own period (proof of delivery), not its order's.

use sea_orm_migration::{prelude::*, schema::*};

use crate::common::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum FormatFiles {
    Table,
    FormatId,
    ProductId,
    FileId,
    ContentType,
    Extension,
    Size,
    Sha256,
    UploadedAt,
}

#[derive(DeriveIden)]
enum DownloadCounts {
    Table,
    OrderId,
    FormatId,
    Count,
    FirstAt,
    LastAt,
}

#[derive(DeriveIden)]
enum DownloadLog {
    Table,
    Id,
    OrderId,
    FormatId,
    SubjectId,
    At,
    IpEnc,
    UserAgentEnc,
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
                    .table(FormatFiles::Table)
                    .col(uuid(FormatFiles::FormatId).primary_key())
                    .col(uuid(FormatFiles::ProductId))
                    .col(string_len(FormatFiles::FileId, 64))
                    .col(string_len(FormatFiles::ContentType, 64))
                    .col(string_len(FormatFiles::Extension, 8))
                    .col(big_integer(FormatFiles::Size))
                    .col(string_len(FormatFiles::Sha256, 64))
                    .col(timestamp_with_time_zone(FormatFiles::UploadedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_format_files_product",
            FormatFiles::Table,
            vec![FormatFiles::ProductId.into_iden()],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(DownloadCounts::Table)
                    .col(uuid(DownloadCounts::OrderId))
                    .col(uuid(DownloadCounts::FormatId))
                    .col(integer(DownloadCounts::Count))
                    .col(timestamp_with_time_zone(DownloadCounts::FirstAt))
                    .col(timestamp_with_time_zone(DownloadCounts::LastAt))
                    .primary_key(
                        Index::create()
                            .col(DownloadCounts::OrderId)
                            .col(DownloadCounts::FormatId),
                    )
                    .foreign_key(
                        &mut ForeignKey::create()
                            .name("fk_download_count_order")
                            .from_tbl(DownloadCounts::Table)
                            .from_col(DownloadCounts::OrderId)
                            .to(Orders::Table, Orders::Id)
                            .on_delete(ForeignKeyAction::Cascade)
                            .to_owned(),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(DownloadLog::Table)
                    .col(uuid(DownloadLog::Id).primary_key())
                    .col(uuid(DownloadLog::OrderId))
                    .col(uuid(DownloadLog::FormatId))
                    .col(uuid(DownloadLog::SubjectId))
                    .col(timestamp_with_time_zone(DownloadLog::At))
                    .col(blob_null(DownloadLog::IpEnc))
                    .col(blob_null(DownloadLog::UserAgentEnc))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            (
                "ix_download_log_order",
                vec![
                    DownloadLog::OrderId.into_iden(),
                    DownloadLog::At.into_iden(),
                ],
            ),
            ("ix_download_log_at", vec![DownloadLog::At.into_iden()]),
            (
                "ix_download_log_subject",
                vec![DownloadLog::SubjectId.into_iden()],
            ),
        ] {
            index(manager, name, DownloadLog::Table, cols, false).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            DownloadLog::Table.into_iden(),
            DownloadCounts::Table.into_iden(),
            FormatFiles::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
