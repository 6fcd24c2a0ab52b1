//! Connecting to the database and migrating it.

use std::time::Duration;

use migrations::{KeystoreMigrator, Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend};

/// Why the database could not be opened or migrated.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// Could not connect.
    #[error("cannot connect to the database")]
    Connect(#[source] sea_orm::DbErr),
    /// A migration failed.
    #[error("database migration failed")]
    Migrate(#[source] sea_orm::DbErr),
    /// A query failed.
    #[error("database query failed")]
    Query(#[source] sea_orm::DbErr),
}

/// The shared connection pool.
#[derive(Debug, Clone)]
pub struct Db {
    conn: DatabaseConnection,
}

impl Db {
    /// Connects to `url` (`sqlite://...` or `postgres://...`). SQLite files are
    /// created when missing and put in WAL mode, so readers never wait for the writer.
    ///
    /// # Errors
    /// [`DbError::Connect`].
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, DbError> {
        let sqlite = url.starts_with("sqlite:");
        let url = if sqlite && !url.contains("mode=") && !url.contains(":memory:") {
            let sep = if url.contains('?') { '&' } else { '?' };
            format!("{url}{sep}mode=rwc")
        } else {
            url.to_owned()
        };
        let mut options = ConnectOptions::new(url);
        options
            .max_connections(max_connections)
            .min_connections(1)
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(Duration::from_secs(10))
            // sqlx logs every statement at INFO; statements may carry
            // ciphertext and ids, which are no business of the log.
            .sqlx_logging(false);
        let conn = Database::connect(options).await.map_err(DbError::Connect)?;
        if sqlite {
            for pragma in ["PRAGMA journal_mode=WAL", "PRAGMA foreign_keys=ON"] {
                conn.execute_unprepared(pragma)
                    .await
                    .map_err(DbError::Connect)?;
            }
        }
        Ok(Self { conn })
    }

    /// The underlying connection, for repositories in this crate.
    #[must_use]
    pub fn conn(&self) -> &DatabaseConnection {
        &self.conn
    }

    /// Which engine this is.
    #[must_use]
    pub fn backend(&self) -> DbBackend {
        self.conn.get_database_backend()
    }

    /// Applies every pending migration.
    ///
    /// # Errors
    /// [`DbError::Migrate`].
    pub async fn migrate_up(&self) -> Result<(), DbError> {
        Migrator::up(&self.conn, None)
            .await
            .map_err(DbError::Migrate)
    }

    /// Applies the key store's migrations (on the key store database).
    ///
    /// # Errors
    /// [`DbError::Migrate`].
    pub async fn migrate_keystore_up(&self) -> Result<(), DbError> {
        KeystoreMigrator::up(&self.conn, None)
            .await
            .map_err(DbError::Migrate)
    }

    /// Reverts the last `steps` migrations.
    ///
    /// # Errors
    /// [`DbError::Migrate`].
    pub async fn migrate_down(&self, steps: u32) -> Result<(), DbError> {
        Migrator::down(&self.conn, Some(steps))
            .await
            .map_err(DbError::Migrate)
    }

    /// Every migration with whether it is applied.
    ///
    /// # Errors
    /// [`DbError::Migrate`].
    pub async fn migration_status(&self) -> Result<Vec<(String, bool)>, DbError> {
        let all = Migrator::get_migration_with_status(&self.conn)
            .await
            .map_err(DbError::Migrate)?;
        Ok(all
            .iter()
            .map(|m| {
                (
                    m.name().to_owned(),
                    matches!(m.status(), migrations::MigrationStatus::Applied),
                )
            })
            .collect())
    }

    /// Whether the database answers.
    ///
    /// # Errors
    /// [`DbError::Query`].
    pub async fn ping(&self) -> Result<(), DbError> {
        self.conn.ping().await.map_err(DbError::Query)
    }

    /// Closes the pool, waiting for connections to be returned.
    pub async fn close(self) {
        let _ = self.conn.close().await;
    }
}

/// Creates a fresh database named `name` on the PostgreSQL server of
/// `admin_url` and returns its URL. For tests and tools that need isolation.
///
/// # Errors
/// When the server refuses.
pub async fn create_postgres_database(admin_url: &str, name: &str) -> Result<String, DbError> {
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(DbError::Query(sea_orm::DbErr::Custom(
            "invalid database name".into(),
        )));
    }
    let admin = Database::connect(admin_url)
        .await
        .map_err(DbError::Connect)?;
    // Identifiers cannot be bound as parameters; `name` was checked above.
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .map_err(DbError::Query)?;
    let _ = admin.close().await;
    let base = admin_url
        .rsplit_once('/')
        .map_or(admin_url, |(base, _)| base);
    Ok(format!("{base}/{name}"))
}

/// Creates database `name` as a copy of database `template` on the
/// PostgreSQL server of `admin_url` and returns its URL. Copying a migrated
/// template is much faster than migrating every new database.
///
/// # Errors
/// When a name is invalid or the server refuses (for instance while another
/// session is connected to `template`).
pub async fn create_postgres_database_from_template(
    admin_url: &str,
    name: &str,
    template: &str,
) -> Result<String, DbError> {
    check_database_name(name)?;
    check_database_name(template)?;
    // Identifiers cannot be bound as parameters; both were checked above.
    admin_execute(
        admin_url,
        &format!("CREATE DATABASE {name} TEMPLATE {template}"),
    )
    .await?;
    Ok(database_url(admin_url, name))
}

/// Accepts only names that need no quoting, so they can be spliced into SQL.
fn check_database_name(name: &str) -> Result<(), DbError> {
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(DbError::Query(sea_orm::DbErr::Custom(
            "invalid database name".into(),
        )));
    }
    Ok(())
}

/// Runs one statement on a short-lived admin connection.
async fn admin_execute(admin_url: &str, sql: &str) -> Result<(), DbError> {
    let admin = Database::connect(admin_url)
        .await
        .map_err(DbError::Connect)?;
    let result = admin.execute_unprepared(sql).await.map(drop);
    // Close even on failure, so no connection outlives the caller's runtime.
    let _ = admin.close().await;
    result.map_err(DbError::Query)
}

/// The URL of database `name` on the server of `admin_url`.
fn database_url(admin_url: &str, name: &str) -> String {
    let base = admin_url
        .rsplit_once('/')
        .map_or(admin_url, |(base, _)| base);
    format!("{base}/{name}")
}
