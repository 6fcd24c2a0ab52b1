//! What several migrations share.

use sea_orm_migration::prelude::*;

/// Creates index `name` on `cols` of `table`.
pub(crate) async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden + 'static,
    cols: Vec<DynIden>,
    unique: bool,
) -> Result<(), DbErr> {
    let mut i = Index::create();
    i.name(name).table(table);
    for c in cols {
        i.col(c);
    }
    if unique {
        i.unique();
    }
    manager.create_index(i.to_owned()).await
}

/// Adds columns to `table`, one statement each (SQLite's way).
pub(crate) async fn add_columns(
    manager: &SchemaManager<'_>,
    table: impl IntoIden + Clone + 'static,
    cols: Vec<ColumnDef>,
) -> Result<(), DbErr> {
    for mut col in cols {
        manager
            .alter_table(
                Table::alter()
                    .table(table.clone())
                    .add_column(&mut col)
                    .to_owned(),
            )
            .await?;
    }
    Ok(())
}

/// Drops columns of `table`, one statement each.
pub(crate) async fn drop_columns(
    manager: &SchemaManager<'_>,
    table: impl IntoIden + Clone + 'static,
    cols: Vec<DynIden>,
) -> Result<(), DbErr> {
    for col in cols {
        manager
            .alter_table(
                Table::alter()
                    .table(table.clone())
                    .drop_column(col)
                    .to_owned(),
            )
            .await?;
    }
    Ok(())
}
