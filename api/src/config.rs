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

/// Where the API runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Environment {
    /// Keys may be generated into the data directory, with a warning.
    Development,
    /// Every key must be configured; the server refuses to start otherwise.
    Production,
}

/// How a new account without a password gets its first credential (ACC-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AccountSetup {
    /// A single-use set-password link, valid 48 hours.
    Link,
    /// A generated password, shown only in the e-mail, to change at first login.
    GeneratedPassword,
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

    /// `production` refuses to start without configured keys.
    #[arg(long, env = "BOUTIQUE_ENV", value_enum, default_value = "development")]
    pub environment: Environment,

    /// Master key wrapping every data key: `id:base64(32 bytes)`.
    #[arg(long, env = "BOUTIQUE_MASTER_KEY", hide_env_values = true)]
    pub master_key: Option<String>,

    /// Former master keys still needed to unwrap data keys during a rotation
    /// (comma-separated `id:base64`).
    #[arg(
        long,
        env = "BOUTIQUE_OLD_MASTER_KEYS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub old_master_keys: Vec<String>,

    /// Key of the e-mail blind index: base64 of at least 32 bytes.
    #[arg(long, env = "BOUTIQUE_BLIND_INDEX_KEY", hide_env_values = true)]
    pub blind_index_key: Option<String>,

    /// Key signing access tokens (HS256): base64 of at least 32 bytes.
    #[arg(long, env = "BOUTIQUE_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,

    /// Database of the key store, kept apart from the data (and its backups).
    /// Default: an SQLite file `keystore.db` in the data directory.
    #[arg(long, env = "BOUTIQUE_KEYSTORE_URL")]
    pub keystore_url: Option<String>,

    /// SMTP server for outgoing mail (`smtps://user:pass@host`,
    /// `smtp://host:25`). Unset: messages are written as .eml files under
    /// `<data dir>/outbox/`.
    #[arg(long, env = "BOUTIQUE_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,

    /// Sender of outgoing mail.
    #[arg(
        long,
        env = "BOUTIQUE_MAIL_FROM",
        default_value = "Boutique <no-reply@boutique.example>"
    )]
    pub mail_from: String,

    /// Base URL of the shop's front end, for links in e-mails.
    #[arg(
        long,
        env = "BOUTIQUE_FRONTEND_URL",
        default_value = "http://localhost:3000"
    )]
    pub frontend_url: String,

    /// How new accounts without a password get their first credential.
    #[arg(
        long,
        env = "BOUTIQUE_ACCOUNT_SETUP",
        value_enum,
        default_value = "link"
    )]
    pub account_setup: AccountSetup,

    /// The privacy policy version customers accept (its "last update" date).
    #[arg(
        long,
        env = "BOUTIQUE_PRIVACY_POLICY_VERSION",
        default_value = "2019-03-06"
    )]
    pub privacy_policy_version: String,

    /// Believe `X-Forwarded-For` (only behind a proxy that sets it).
    #[arg(long, env = "BOUTIQUE_TRUST_PROXY", default_value_t = false)]
    pub trust_proxy: bool,

    /// Password hashes computed at once (each takes 19 MiB and a core).
    #[arg(long, env = "BOUTIQUE_HASH_CONCURRENCY")]
    pub hash_concurrency: Option<usize>,

    /// Seconds between two runs of the outbox delivery job.
    #[arg(long, env = "BOUTIQUE_OUTBOX_INTERVAL_SECS", default_value_t = 2)]
    pub outbox_interval_secs: u64,

    /// Run background jobs in this instance (mail delivery, ...).
    #[arg(long, env = "BOUTIQUE_JOBS", default_value_t = true, action = clap::ArgAction::Set)]
    pub jobs: bool,
}

impl Config {
    /// The database URL, defaulting to the embedded SQLite file.
    #[must_use]
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}/boutique.db", self.data_dir.display()))
    }

    /// The key store URL, defaulting to an SQLite file beside the data.
    #[must_use]
    pub fn keystore_url(&self) -> String {
        self.keystore_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}/keystore.db", self.data_dir.display()))
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
            workers: Some(1),
            shutdown_timeout_secs: 5,
            environment: Environment::Development,
            master_key: None,
            old_master_keys: vec![],
            blind_index_key: None,
            jwt_secret: None,
            keystore_url: None,
            smtp_url: None,
            mail_from: "Boutique <no-reply@boutique.example>".into(),
            frontend_url: "https://shop.example".into(),
            account_setup: AccountSetup::Link,
            privacy_policy_version: "2019-03-06".into(),
            trust_proxy: false,
            hash_concurrency: Some(2),
            outbox_interval_secs: 1,
            jobs: true,
        }
    }
}
