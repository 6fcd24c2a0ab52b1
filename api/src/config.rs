//! Configuration, from environment variables (`BOUTIQUE_*`, `DATABASE_URL`)
//! or the matching command-line flags. Every setting has a safe default so
//! `boutique serve` works on a fresh machine.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable, for a terminal.
    Human,
    /// One JSON object per line, for a log collector.
    Json,
}

/// Settings of the HTTP server and its database.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "BOUTIQUE_HOST", default_value = "127.0.0.1")]
    pub host: String,

    /// Port to listen on (0 picks a free one).
    #[arg(long, env = "BOUTIQUE_PORT", default_value_t = 8080)]
    pub port: u16,

    /// Database URL: `postgres://user:pass@host/db`, or `sqlite://path`.
    /// Default: an SQLite file `boutique.db` in the data directory.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,

    /// Where the embedded database and other local files live.
    #[arg(long, env = "BOUTIQUE_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,

    /// Largest database connection pool.
    #[arg(long, env = "BOUTIQUE_DB_MAX_CONNECTIONS", default_value_t = 10)]
    pub db_max_connections: u32,

    /// Browser origins allowed to call the API (comma-separated, e.g.
    /// `https://shop.example`). Empty: no cross-origin access.
    #[arg(
        long,
        env = "BOUTIQUE_CORS_ORIGINS",
        value_delimiter = ',',
        default_value = ""
    )]
    pub cors_origins: Vec<String>,

    /// Largest accepted request body, in bytes.
    #[arg(long, env = "BOUTIQUE_BODY_LIMIT", default_value_t = 65_536)]
    pub body_limit: usize,

    /// How often (seconds) each instance checks whether the catalogue changed
    /// on another instance.
    #[arg(long, env = "BOUTIQUE_CATALOGUE_REFRESH_SECS", default_value_t = 2)]
    pub catalogue_refresh_secs: u64,

    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "BOUTIQUE_WORKERS")]
    pub workers: Option<usize>,

    /// Seconds given to in-flight requests to finish on shutdown.
    #[arg(long, env = "BOUTIQUE_SHUTDOWN_TIMEOUT_SECS", default_value_t = 30)]
    pub shutdown_timeout_secs: u64,
}

impl Config {
    /// The database URL, defaulting to the embedded SQLite file.
    #[must_use]
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}/boutique.db", self.data_dir.display()))
    }

    /// Whether the embedded SQLite database is used.
    #[must_use]
    pub fn is_sqlite(&self) -> bool {
        self.database_url().starts_with("sqlite:")
    }

    /// Allowed CORS origins, without empty entries.
    #[must_use]
    pub fn cors_origins(&self) -> Vec<&str> {
        self.cors_origins
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .collect()
    }

    /// Defaults for tests and tools: port 0 on loopback, the given database.
    #[must_use]
    pub fn for_tests(database_url: String, data_dir: PathBuf) -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 0,
            database_url: Some(database_url),
            data_dir,
            db_max_connections: 5,
            cors_origins: vec![],
            body_limit: 65_536,
            catalogue_refresh_secs: 2,
            workers: Some(2),
            shutdown_timeout_secs: 5,
        }
    }
}
