//! Raw SQL on the data database, for operators' tools and for tests that
//! act as someone with direct database access (a DBA, a thief with a dump).

use crate::{Db, DbError};
use sea_orm::ConnectionTrait;

impl Db {
    /// Runs statements as given, outside any repository.
    ///
    /// # Errors
    /// [`DbError::Query`].
    pub async fn execute_sql(&self, sql: &str) -> Result<(), DbError> {
        self.conn()
            .execute_unprepared(sql)
            .await
            .map(|_| ())
            .map_err(DbError::Query)
    }

    /// The first column of each row of a query, as text (for tools and tests).
    ///
    /// # Errors
    /// [`DbError::Query`].
    pub async fn query_strings(&self, sql: &str) -> Result<Vec<String>, DbError> {
        let backend = self.conn().get_database_backend();
        let rows = self
            .conn()
            .query_all_raw(sea_orm::Statement::from_string(backend, sql.to_owned()))
            .await
            .map_err(DbError::Query)?;
        rows.into_iter()
            .map(|r| r.try_get_by_index::<String>(0).map_err(DbError::Query))
            .collect()
    }
}
