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

/// Settings of the HTTP server and its database. Its `Debug` hides the keys
/// and the passwords of URLs.
#[derive(Clone, Args)]
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

    /// Largest accepted request body, in bytes; an operation whose schema
    /// allows larger bodies accepts up to its schema's largest (at most
    /// 1 MiB).
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

    /// The API's public base URL, as mail recipients reach it: one-click
    /// unsubscribe links (`List-Unsubscribe`) point here.
    #[arg(
        long,
        env = "BOUTIQUE_PUBLIC_URL",
        default_value = "http://localhost:8080"
    )]
    pub public_url: String,

    /// Believe `X-Forwarded-For` and `X-Forwarded-Proto` (only behind a
    /// proxy that sets them).
    #[arg(long, env = "BOUTIQUE_TRUST_PROXY", default_value_t = false)]
    pub trust_proxy: bool,

    /// A PEM certificate chain: with `BOUTIQUE_TLS_KEY`, the API is served
    /// over HTTPS itself (rustls; TLS 1.2 and 1.3). Unset: plain HTTP, for
    /// a proxy that terminates TLS in front.
    #[arg(long, env = "BOUTIQUE_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// The PEM private key (PKCS#8, PKCS#1 or SEC1) of `BOUTIQUE_TLS_CERT`.
    #[arg(long, env = "BOUTIQUE_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// A request header in which the proxy in front of the API gives the
    /// caller's country, as an ISO 3166-1 alpha-2 code (`CF-IPCountry`
    /// behind Cloudflare): cart estimates use it when neither the request
    /// nor a saved address names a country. Unset: not used.
    #[arg(long, env = "BOUTIQUE_COUNTRY_HEADER")]
    pub country_header: Option<String>,

    /// A MaxMind-format country database (`.mmdb`: GeoLite2-Country, or
    /// the public-domain ip-location-db country database): estimates use
    /// the caller's country when neither the request, a saved address nor
    /// the proxy's header names one, and checkouts from another country
    /// than their billing address are flagged for staff. Unset: not used.
    #[arg(long, env = "BOUTIQUE_GEOIP_DB")]
    pub geoip_db: Option<PathBuf>,

    /// How long a set-password link (sent to accounts created without a
    /// password) works, in hours.
    #[arg(long, env = "BOUTIQUE_SET_PASSWORD_LINK_HOURS", default_value_t = 48, value_parser = clap::value_parser!(u32).range(1..=720))]
    pub set_password_link_hours: u32,

    /// How long a password reset link works, in minutes.
    #[arg(long, env = "BOUTIQUE_RESET_LINK_MINUTES", default_value_t = 60, value_parser = clap::value_parser!(u32).range(5..=1440))]
    pub reset_link_minutes: u32,

    /// How many leading bits of an IPv6 address name one source for login
    /// lockdown, bans and rate limits (one host usually holds a whole /64).
    #[arg(long, env = "BOUTIQUE_IPV6_PREFIX", default_value_t = 64, value_parser = clap::value_parser!(u8).range(0..=128))]
    pub ipv6_prefix: u8,

    /// Password hashes computed at once (each takes 19 MiB and a core).
    #[arg(long, env = "BOUTIQUE_HASH_CONCURRENCY")]
    pub hash_concurrency: Option<usize>,

    /// Seconds between two runs of the outbox delivery job.
    #[arg(long, env = "BOUTIQUE_OUTBOX_INTERVAL_SECS", default_value_t = 2)]
    pub outbox_interval_secs: u64,

    /// Requests an API key may make per minute unless its own
    /// `rate_per_minute` says otherwise.
    #[arg(long, env = "BOUTIQUE_API_KEY_RATE", default_value_t = 600, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub api_key_rate: u32,

    /// Webhook deliveries in flight at once.
    #[arg(long, env = "BOUTIQUE_WEBHOOK_CONCURRENCY", default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub webhook_concurrency: u32,

    /// Where `GET /metrics` (Prometheus) is served, apart from the API
    /// (`127.0.0.1:9464`); unset, nowhere.
    #[arg(long, env = "BOUTIQUE_METRICS_ADDR")]
    pub metrics_addr: Option<String>,

    /// The bearer token `GET /metrics` asks for, if any.
    #[arg(long, env = "BOUTIQUE_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,

    /// Retention periods changed from the privacy policy's defaults, as
    /// `category=period` pairs separated by commas (`carts=15d,closed_orders=2y`;
    /// units `h`, `d`, `mo`, `y`; `inactivity_warning` is the warning's
    /// advance). `GET /v1/admin/retention/policies` lists the categories.
    #[arg(long, env = "BOUTIQUE_RETENTION", default_value = "")]
    pub retention: String,

    /// Seconds between two runs of the retention job (at most an hour
    /// keeps every period to the hour).
    #[arg(long, env = "BOUTIQUE_RETENTION_INTERVAL_SECS", default_value_t = 3600)]
    pub retention_interval_secs: u64,

    /// Items purged per unit of work by a retention run: small enough that
    /// the shop's writes never wait long behind it.
    #[arg(long, env = "BOUTIQUE_RETENTION_BATCH", default_value_t = 500, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub retention_batch: u64,

    /// The age recipient (`age1...`, from `age-keygen`) backups are
    /// encrypted to. Set: `serve` backs up every 24 hours. Unset: no
    /// scheduled backups, and `boutique backup create` refuses.
    #[arg(long, env = "BOUTIQUE_BACKUP_RECIPIENT")]
    pub backup_recipient: Option<String>,

    /// Where backups go (default: `<data dir>/backups`).
    #[arg(long, env = "BOUTIQUE_BACKUP_DIR")]
    pub backup_dir: Option<PathBuf>,

    /// How many backups are kept (the oldest go first).
    #[arg(long, env = "BOUTIQUE_BACKUP_KEEP", default_value_t = 14, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub backup_keep: u64,

    /// Seconds between two scheduled backups.
    #[arg(long, env = "BOUTIQUE_BACKUP_INTERVAL_SECS", default_value_t = 86_400)]
    pub backup_interval_secs: u64,

    /// The folder of `pg_dump` and `psql` (default: found on `PATH`, then
    /// under `/usr/lib/postgresql/*/bin`).
    #[arg(long, env = "BOUTIQUE_PG_BIN_DIR")]
    pub pg_bin_dir: Option<PathBuf>,

    /// Run background jobs in this instance (mail delivery, ...).
    #[arg(long, env = "BOUTIQUE_JOBS", default_value_t = true, action = clap::ArgAction::Set)]
    pub jobs: bool,

    /// A JSON file naming the seller as invoices must (name, legal form and
    /// capital, address lines, SIREN, RCS, VAT number, e-mail). Required
    /// in production; development prints a placeholder seller.
    #[arg(long, env = "BOUTIQUE_SELLER_FILE")]
    pub seller_file: Option<PathBuf>,

    /// Stripe's secret API key (`sk_live_...`). Unset: card payments are
    /// not offered (checkout with `stripe` is refused).
    #[arg(long, env = "BOUTIQUE_STRIPE_SECRET_KEY")]
    pub stripe_secret_key: Option<String>,

    /// The signing secret of the Stripe webhook endpoint (`whsec_...`).
    #[arg(long, env = "BOUTIQUE_STRIPE_WEBHOOK_SECRET")]
    pub stripe_webhook_secret: Option<String>,

    /// Stripe's API base URL (a fake such as localstripe in tests).
    #[arg(
        long,
        env = "BOUTIQUE_STRIPE_API_URL",
        default_value = "https://api.stripe.com"
    )]
    pub stripe_api_url: String,

    /// Folder of the plans' files (downloads). Default: `files` in the
    /// data directory.
    #[arg(long, env = "BOUTIQUE_FILES_DIR")]
    pub files_dir: Option<PathBuf>,

    /// Largest plan file staff may upload, in bytes (200 MiB by default).
    #[arg(
        long,
        env = "BOUTIQUE_FILE_UPLOAD_LIMIT",
        default_value_t = 209_715_200
    )]
    pub file_upload_limit: u64,

    /// How many times each file format of an order may be downloaded.
    #[arg(long, env = "BOUTIQUE_DOWNLOAD_LIMIT", default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub download_limit: u32,

    /// How long a download link works once listed, in hours.
    #[arg(long, env = "BOUTIQUE_DOWNLOAD_LINK_HOURS", default_value_t = 24, value_parser = clap::value_parser!(u32).range(1..=720))]
    pub download_link_hours: u32,
}

/// What `Debug` shows instead of a secret.
const REDACTED: &str = "<redacted>";

/// `url` with its password, and the value of any query parameter that looks
/// like one, replaced by [`REDACTED`]; the whole URL when it cannot be read
/// with confidence.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        // `sqlite:path`, `sqlite::memory:`: no authority, so no password,
        // unless it is a malformed URL with credentials.
        return if url.contains('@') {
            REDACTED.to_owned()
        } else {
            url.to_owned()
        };
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    // An `@` past the authority means a password with an unescaped `/`, `?`
    // or `#` (or an address in the path): where it ends is a guess.
    if tail.contains('@') {
        return REDACTED.to_owned();
    }
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{user}:{REDACTED}@{host}"),
            None => format!("{userinfo}@{host}"),
        },
        None => authority.to_owned(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let query: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((key, _)) if is_secret_parameter(key) => format!("{key}={REDACTED}"),
                    _ => pair.to_owned(),
                })
                .collect();
            format!("{path}?{}", query.join("&"))
        }
        None => tail.to_owned(),
    };
    format!("{scheme}://{authority}{tail}")
}

/// Query parameters that carry a credential (`password`, `sslpassword`, ...).
fn is_secret_parameter(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["pass", "secret", "token", "key"]
        .iter()
        .any(|word| key.contains(word))
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Destructured, so a new field cannot be forgotten here.
        let Self {
            host,
            port,
            database_url,
            data_dir,
            db_max_connections,
            cors_origins,
            body_limit,
            catalogue_refresh_secs,
            workers,
            shutdown_timeout_secs,
            environment,
            master_key,
            old_master_keys,
            blind_index_key,
            jwt_secret,
            keystore_url,
            smtp_url,
            mail_from,
            frontend_url,
            account_setup,
            public_url,
            trust_proxy,
            tls_cert,
            tls_key,
            country_header,
            geoip_db,
            ipv6_prefix,
            set_password_link_hours,
            reset_link_minutes,
            hash_concurrency,
            outbox_interval_secs,
            api_key_rate,
            webhook_concurrency,
            metrics_addr,
            metrics_token,
            retention,
            retention_interval_secs,
            retention_batch,
            backup_recipient,
            backup_dir,
            backup_keep,
            backup_interval_secs,
            pg_bin_dir,
            jobs,
            seller_file,
            stripe_secret_key,
            stripe_webhook_secret,
            stripe_api_url,
            files_dir,
            file_upload_limit,
            download_limit,
            download_link_hours,
        } = self;
        let secret = |value: &Option<String>| value.as_ref().map(|_| REDACTED);
        let url = |value: &Option<String>| value.as_deref().map(redact_url);
        f.debug_struct("Config")
            .field("host", host)
            .field("port", port)
            .field("database_url", &url(database_url))
            .field("data_dir", data_dir)
            .field("db_max_connections", db_max_connections)
            .field("cors_origins", cors_origins)
            .field("body_limit", body_limit)
            .field("catalogue_refresh_secs", catalogue_refresh_secs)
            .field("workers", workers)
            .field("shutdown_timeout_secs", shutdown_timeout_secs)
            .field("environment", environment)
            .field("master_key", &secret(master_key))
            .field("old_master_keys", &vec![REDACTED; old_master_keys.len()])
            .field("blind_index_key", &secret(blind_index_key))
            .field("jwt_secret", &secret(jwt_secret))
            .field("keystore_url", &url(keystore_url))
            .field("smtp_url", &url(smtp_url))
            .field("mail_from", mail_from)
            .field("frontend_url", &redact_url(frontend_url))
            .field("account_setup", account_setup)
            .field("public_url", &redact_url(public_url))
            .field("trust_proxy", trust_proxy)
            .field("tls_cert", tls_cert)
            .field("tls_key", tls_key)
            .field("country_header", country_header)
            .field("geoip_db", geoip_db)
            .field("ipv6_prefix", ipv6_prefix)
            .field("set_password_link_hours", set_password_link_hours)
            .field("reset_link_minutes", reset_link_minutes)
            .field("hash_concurrency", hash_concurrency)
            .field("outbox_interval_secs", outbox_interval_secs)
            .field("api_key_rate", api_key_rate)
            .field("webhook_concurrency", webhook_concurrency)
            .field("metrics_addr", metrics_addr)
            .field("metrics_token", &metrics_token.as_ref().map(|_| "<set>"))
            .field("retention", retention)
            .field("retention_interval_secs", retention_interval_secs)
            .field("retention_batch", retention_batch)
            .field("backup_recipient", backup_recipient)
            .field("backup_dir", backup_dir)
            .field("backup_keep", backup_keep)
            .field("backup_interval_secs", backup_interval_secs)
            .field("pg_bin_dir", pg_bin_dir)
            .field("jobs", jobs)
            .field("seller_file", seller_file)
            .field("stripe_secret_key", &secret(stripe_secret_key))
            .field("stripe_webhook_secret", &secret(stripe_webhook_secret))
            .field("stripe_api_url", &redact_url(stripe_api_url))
            .field("files_dir", files_dir)
            .field("file_upload_limit", file_upload_limit)
            .field("download_limit", download_limit)
            .field("download_link_hours", download_link_hours)
            .finish()
    }
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

    /// The folder of the plans' files, by default `files` in the data
    /// directory.
    #[must_use]
    pub fn files_dir(&self) -> PathBuf {
        self.files_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("files"))
    }

    /// Where backups go.
    #[must_use]
    pub fn backups_dir(&self) -> PathBuf {
        self.backup_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("backups"))
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
            public_url: "http://localhost:8080".into(),
            trust_proxy: false,
            tls_cert: None,
            tls_key: None,
            country_header: None,
            geoip_db: None,
            ipv6_prefix: 64,
            set_password_link_hours: 48,
            reset_link_minutes: 60,
            hash_concurrency: Some(2),
            outbox_interval_secs: 1,
            api_key_rate: 600,
            webhook_concurrency: 16,
            metrics_addr: None,
            metrics_token: None,
            retention: String::new(),
            retention_interval_secs: 3600,
            retention_batch: 500,
            backup_recipient: None,
            backup_dir: None,
            backup_keep: 14,
            backup_interval_secs: 86_400,
            pg_bin_dir: None,
            jobs: true,
            seller_file: None,
            stripe_secret_key: None,
            stripe_webhook_secret: None,
            stripe_api_url: "https://api.stripe.com".into(),
            files_dir: None,
            file_upload_limit: 209_715_200,
            download_limit: 5,
            download_link_hours: 24,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MASTER: &str = "k1:bWFzdGVyLWtleS1tYXN0ZXIta2V5LW1hc3Rlci1rZXk=";
    const OLD_MASTER: &str = "k0:b2xkLW1hc3Rlci1rZXktb2xkLW1hc3Rlci1rZXktb2xk";
    const BLIND: &str = "YmxpbmQtaW5kZXgta2V5LWJsaW5kLWluZGV4LWtleQ==";
    const JWT: &str = "and0LXNlY3JldC1qd3Qtc2VjcmV0LWp3dC1zZWNyZXQ=";

    #[test]
    fn sec_4_debug_output_of_the_configuration_shows_no_secret() {
        let mut config = Config::for_tests(
            "postgres://boutique:db-pa55word@db.internal:5432/boutique?sslmode=require".into(),
            PathBuf::from("/var/lib/boutique"),
        );
        config.master_key = Some(MASTER.into());
        config.old_master_keys = vec![OLD_MASTER.into()];
        config.blind_index_key = Some(BLIND.into());
        config.jwt_secret = Some(JWT.into());
        config.keystore_url =
            Some("postgres://keys@keys.internal/keys?password=ks-pa55word".into());
        config.smtp_url = Some("smtps://mailer:smtp-pa55word@smtp.example:465".into());
        config.stripe_secret_key = Some("sk_live_stripe-pa55word".into());
        config.stripe_webhook_secret = Some("whsec_hook-pa55word".into());

        for shown in [format!("{config:?}"), format!("{config:#?}")] {
            for secret in [
                MASTER,
                "bWFzdGVy",
                OLD_MASTER,
                "b2xkLW1h",
                BLIND,
                JWT,
                "db-pa55word",
                "ks-pa55word",
                "smtp-pa55word",
                "stripe-pa55word",
                "hook-pa55word",
            ] {
                assert!(!shown.contains(secret), "{secret} in {shown}");
            }
            // Everything else is still there to debug with.
            for visible in [
                "postgres://boutique:<redacted>@db.internal:5432/boutique?sslmode=require",
                "postgres://keys@keys.internal/keys?password=<redacted>",
                "smtps://mailer:<redacted>@smtp.example:465",
                "/var/lib/boutique",
                "127.0.0.1",
                "Development",
                "Boutique <no-reply@boutique.example>",
                "https://shop.example",
                "http://localhost:8080",
            ] {
                assert!(shown.contains(visible), "{visible} not in {shown}");
            }
        }
        let shown = format!("{config:?}");
        assert!(
            shown.contains(r#"master_key: Some("<redacted>")"#),
            "{shown}"
        );
        assert!(
            shown.contains(r#"old_master_keys: ["<redacted>"]"#),
            "{shown}"
        );
        assert!(
            shown.contains(r#"jwt_secret: Some("<redacted>")"#),
            "{shown}"
        );
    }

    #[test]
    fn unset_secrets_show_as_unset() {
        let config = Config::for_tests("sqlite::memory:".into(), PathBuf::from("data"));
        let shown = format!("{config:?}");
        assert!(shown.contains("master_key: None"), "{shown}");
        assert!(shown.contains("old_master_keys: []"), "{shown}");
        assert!(
            shown.contains(r#"database_url: Some("sqlite::memory:")"#),
            "{shown}"
        );
    }

    #[test]
    fn urls_lose_their_passwords_and_keep_the_rest() {
        let cases = [
            (
                "sqlite://data/boutique.db?mode=rwc",
                "sqlite://data/boutique.db?mode=rwc",
            ),
            ("sqlite::memory:", "sqlite::memory:"),
            ("postgres://u:p@h/db", "postgres://u:<redacted>@h/db"),
            ("postgres://u@h/db", "postgres://u@h/db"),
            ("postgres://u:p@ss@h/db", "postgres://u:<redacted>@h/db"),
            ("postgres://u:pa/ss@h/db", REDACTED),
            (
                "postgres://h/db?user=u&sslpassword=p&sslmode=verify-full",
                "postgres://h/db?user=u&sslpassword=<redacted>&sslmode=verify-full",
            ),
            (
                "smtps://user:pass@smtp.example",
                "smtps://user:<redacted>@smtp.example",
            ),
            ("smtp://localhost:25", "smtp://localhost:25"),
            ("user:pass@host", REDACTED),
        ];
        for (url, shown) in cases {
            assert_eq!(redact_url(url), shown, "{url}");
        }
    }
}
