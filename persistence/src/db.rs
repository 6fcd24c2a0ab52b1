//! Connecting to the database and migrating it.

use std::path::PathBuf;
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
    /// An SQLite file could not be created or made private.
    #[error("cannot create or protect the database file {}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// The shared connection pool.
#[derive(Debug, Clone)]
pub struct Db {
    conn: DatabaseConnection,
}

impl Db {
    /// Connects to `url` (`sqlite://...` or `postgres://...`). SQLite files are
    /// created when missing, readable by this user only, and put in WAL mode,
    /// so readers never wait for the writer.
    ///
    /// # Errors
    /// [`DbError::Connect`], [`DbError::File`].
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, DbError> {
        let sqlite = url.starts_with("sqlite:");
        let url = if sqlite && !url.contains("mode=") && !url.contains(":memory:") {
            let sep = if url.contains('?') { '&' } else { '?' };
            format!("{url}{sep}mode=rwc")
        } else {
            url.to_owned()
        };
        if sqlite {
            protect_sqlite_files(&url)?;
        }
        let mut options = ConnectOptions::new(url);
        options
            .max_connections(max_connections)
            .min_connections(1)
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(Duration::from_secs(10))
            // sqlx logs every statement at INFO; statements may carry
            // ciphertext and ids, which are no business of the log.
            .sqlx_logging(false)
            // In WAL mode, NORMAL syncs the log at checkpoints rather than at
            // each commit: the database never corrupts, and a power cut can
            // only lose the last commits (SQLite's advice for WAL). The
            // embedded database trades that for write throughput;
            // PostgreSQL keeps fsync at each commit.
            .map_sqlx_sqlite_opts(|o| {
                o.synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
            });
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

/// The file an SQLite URL opens and whether connecting may create it, read
/// by the same parser as the driver's; `None` for in-memory databases and
/// `file:` URIs, which SQLite resolves itself.
#[cfg(unix)]
fn sqlite_file(url: &str) -> Option<(PathBuf, bool)> {
    use sea_orm::sqlx::sqlite::SqliteConnectOptions;
    // A URL the driver cannot read opens no file; connecting reports it.
    let options: SqliteConnectOptions = url.parse().ok()?;
    let path = options.get_filename();
    // The driver reads `mode` from the query string (ASCII values only).
    let mode = url
        .split_once('?')
        .and_then(|(_, query)| {
            query
                .split('&')
                .filter_map(|pair| pair.split_once('='))
                .rfind(|(key, _)| *key == "mode")
        })
        .map(|(_, value)| value);
    let in_memory = mode == Some("memory");
    if in_memory || path.as_os_str().is_empty() || path.to_string_lossy().starts_with("file:") {
        return None;
    }
    Some((path.to_path_buf(), mode == Some("rwc")))
}

/// Creates the SQLite file of `url` as 0600 before the driver does (SQLite
/// gives its `-wal` and `-shm` files the database file's permissions), and
/// takes group and other access away from existing ones: they hold every
/// sealed record, and the key store's file every wrapped key.
#[cfg(unix)]
fn protect_sqlite_files(url: &str) -> Result<(), DbError> {
    use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
    let Some((path, create)) = sqlite_file(url) else {
        return Ok(());
    };
    let failed = |path: &std::path::Path| {
        let path = path.to_path_buf();
        move |source| DbError::File { path, source }
    };
    if create {
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
        {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(failed(&path)(e)),
        }
    }
    let mut files = vec![path.clone()];
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut name = path.clone().into_os_string();
        name.push(suffix);
        files.push(PathBuf::from(name));
    }
    for file in files {
        let mode = match std::fs::metadata(&file) {
            Ok(meta) => meta.permissions().mode(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(failed(&file)(e)),
        };
        if mode & 0o077 != 0 {
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode & 0o700))
                .map_err(failed(&file))?;
        }
    }
    Ok(())
}

#[cfg(not(unix))]
fn protect_sqlite_files(_url: &str) -> Result<(), DbError> {
    Ok(())
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

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_name_the_file_the_driver_opens() {
        let cases: &[(&str, Option<(&str, bool)>)] = &[
            (
                "sqlite:///srv/data/x.db?mode=rwc",
                Some(("/srv/data/x.db", true)),
            ),
            ("sqlite://data/x.db?mode=rwc", Some(("data/x.db", true))),
            ("sqlite:data/x.db", Some(("data/x.db", false))),
            ("sqlite://data/x.db?mode=ro", Some(("data/x.db", false))),
            (
                "sqlite:///srv/my%3Fdb.db?mode=rwc",
                Some(("/srv/my?db.db", true)),
            ),
            ("sqlite::memory:", None),
            ("sqlite://:memory:", None),
            ("sqlite://?mode=memory", None),
            ("sqlite://x.db?mode=memory", None),
            ("sqlite://x.db?mode=bogus", None),
        ];
        for (url, expected) in cases {
            let got = sqlite_file(url);
            let expected = expected.map(|(p, create)| (PathBuf::from(p), create));
            assert_eq!(got, expected, "{url}");
        }
    }
}
