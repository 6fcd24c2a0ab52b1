//! Reviews of plans and recently viewed plans. A review's title, text and
//! author's first name are sealed under the customer's subject key; its
//! plan, author id, rating and status stay in clear for moderation and the
//! ratings, which are kept per plan in `product_ratings` (a count and a
//! sum, impersonal). `recently_viewed` holds ids and times only: a
//! customer's views or a guest cart's, at most 15 per owner. Reviews and
//! views go with their account, cart or plan (foreign keys).

use sea_orm_migration::{prelude::*, schema::*};

use crate::common::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Reviews {
    Table,
    Id,
    ProductId,
    CustomerId,
    Status,
    Rating,
    TitleEnc,
    BodyEnc,
    AuthorEnc,
    CreatedAt,
    UpdatedAt,
    ModeratedAt,
    ModeratedBy,
}

#[derive(DeriveIden)]
enum ProductRatings {
    Table,
    ProductId,
    Count,
    Sum,
}

#[derive(DeriveIden)]
enum RecentlyViewed {
    Table,
    Id,
    CustomerId,
    CartId,
    ProductId,
    ViewedAt,
}

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Carts {
    Table,
    Id,
}

fn cascade(
    name: &str,
    from: impl IntoIden + 'static,
    column: impl IntoIden + 'static,
    to: impl IntoIden + 'static,
    to_column: impl IntoIden + 'static,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from_tbl(from)
        .from_col(column)
        .to_tbl(to)
        .to_col(to_column)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Reviews::Table)
                    .col(uuid(Reviews::Id).primary_key())
                    .col(uuid(Reviews::ProductId))
                    .col(uuid(Reviews::CustomerId))
                    .col(string_len(Reviews::Status, 16))
                    .col(small_integer(Reviews::Rating))
                    .col(blob(Reviews::TitleEnc))
                    .col(blob(Reviews::BodyEnc))
                    .col(blob(Reviews::AuthorEnc))
                    .col(timestamp_with_time_zone(Reviews::CreatedAt))
                    .col(timestamp_with_time_zone(Reviews::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Reviews::ModeratedAt))
                    .col(uuid_null(Reviews::ModeratedBy))
                    .foreign_key(&mut cascade(
                        "fk_reviews_product",
                        Reviews::Table,
                        Reviews::ProductId,
                        Products::Table,
                        Products::Id,
                    ))
                    .foreign_key(&mut cascade(
                        "fk_reviews_customer",
                        Reviews::Table,
                        Reviews::CustomerId,
                        Customers::Table,
                        Customers::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, cols, unique) in [
            // One review per plan and customer, whatever the races.
            (
                "ux_reviews_customer_product",
                vec![
                    Reviews::CustomerId.into_iden(),
                    Reviews::ProductId.into_iden(),
                ],
                true,
            ),
            (
                "ix_reviews_product_status",
                vec![
                    Reviews::ProductId.into_iden(),
                    Reviews::Status.into_iden(),
                    Reviews::Id.into_iden(),
                ],
                false,
            ),
            (
                "ix_reviews_status",
                vec![Reviews::Status.into_iden(), Reviews::Id.into_iden()],
                false,
            ),
        ] {
            index(manager, name, Reviews::Table, cols, unique).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(ProductRatings::Table)
                    .col(uuid(ProductRatings::ProductId).primary_key())
                    .col(big_integer(ProductRatings::Count))
                    .col(big_integer(ProductRatings::Sum))
                    .foreign_key(&mut cascade(
                        "fk_product_ratings_product",
                        ProductRatings::Table,
                        ProductRatings::ProductId,
                        Products::Table,
                        Products::Id,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RecentlyViewed::Table)
                    .col(uuid(RecentlyViewed::Id).primary_key())
                    .col(uuid_null(RecentlyViewed::CustomerId))
                    .col(uuid_null(RecentlyViewed::CartId))
                    .col(uuid(RecentlyViewed::ProductId))
                    .col(timestamp_with_time_zone(RecentlyViewed::ViewedAt))
                    .foreign_key(&mut cascade(
                        "fk_recently_viewed_customer",
                        RecentlyViewed::Table,
                        RecentlyViewed::CustomerId,
                        Customers::Table,
                        Customers::Id,
                    ))
                    .foreign_key(&mut cascade(
                        "fk_recently_viewed_cart",
                        RecentlyViewed::Table,
                        RecentlyViewed::CartId,
                        Carts::Table,
                        Carts::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, cols, unique) in [
            // One row per owner and plan: a plan read again moves up.
            (
                "ux_recently_viewed_customer",
                vec![
                    RecentlyViewed::CustomerId.into_iden(),
                    RecentlyViewed::ProductId.into_iden(),
                ],
                true,
            ),
            (
                "ux_recently_viewed_cart",
                vec![
                    RecentlyViewed::CartId.into_iden(),
                    RecentlyViewed::ProductId.into_iden(),
                ],
                true,
            ),
            (
                "ix_recently_viewed_at",
                vec![RecentlyViewed::ViewedAt.into_iden()],
                false,
            ),
        ] {
            index(manager, name, RecentlyViewed::Table, cols, unique).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            RecentlyViewed::Table.into_iden(),
            ProductRatings::Table.into_iden(),
            Reviews::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
