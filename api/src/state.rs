//! The application state: the use cases' ports and settings that every
//! handler can reach. It holds no route types, so routes depend on it and
//! never the reverse.

use std::sync::Arc;

use actix_web::{HttpRequest, web};
use anyhow::Context as _;
use domain::catalogue::Catalogue;
use domain::clock::Clock;
use domain::identity::{AccountSetup, IdentityConfig, Origin};
use domain::store::Store;
use persistence::vault::Keyring;
use persistence::{Db, KeyStore, OutboxDelivery, SqlCatalogueStore, SqlJobLeases, SqlStore};

use crate::auth::jwt::Tokens;
use crate::auth::password::PasswordHasher;
use crate::auth::random::OsRandom;
use crate::background::Background;
use crate::config::Config;
use crate::mail::Mailer;

/// What every handler can reach: the use cases' ports and settings. Route
/// types (the rendered catalogue, the OpenAPI document) live in their own
/// app data, so routes depend on the state and never the reverse.
pub struct AppState {
    /// The data database (readiness, tools).
    pub db: Db,
    /// Units of work and repositories.
    pub store: Arc<dyn Store>,
    /// The catalogue and its in-memory index.
    pub catalogue: Arc<Catalogue<SqlCatalogueStore>>,
    /// Where time comes from.
    pub clock: Arc<dyn Clock>,
    /// Configuration.
    pub config: Arc<Config>,
    /// Identity rules (link lifetimes, sessions, lockdown).
    pub identity: IdentityConfig,
    /// Newsletter rules (links, confirmation lifetime, limits, batches).
    pub newsletter: domain::newsletter::NewsletterConfig,
    /// Limits of the contact form and comments.
    pub forms: domain::contact::FormLimits,
    /// Data keys of every subject (rotation, erasure, readiness).
    pub keys: KeyStore,
    /// Keyed hashes for look-ups (e-mails, sources).
    pub index: Arc<Keyring>,
    /// The outbox's delivery side.
    pub outbox: OutboxDelivery,
    /// Job leases.
    pub leases: SqlJobLeases,
    /// Password hashing.
    pub hasher: PasswordHasher,
    /// Access tokens.
    pub tokens: Tokens,
    /// Randomness for links and generated passwords.
    pub random: OsRandom,
    /// Mail delivery.
    pub mailer: Arc<Mailer>,
    /// This instance's name in job leases.
    pub instance_id: String,
    /// Work done after the answer.
    pub background: Background,
    /// The seller, as invoices name it.
    pub seller: domain::shop::invoice::Seller,
    /// Countries of source addresses, when a database is configured.
    pub geo: crate::geo::Geo,
    /// The card payment provider (Stripe), when configured.
    pub payments: Option<Arc<dyn domain::shop::payment::PaymentProvider>>,
    /// Recently viewed plans waiting to be written (SHOP-2).
    pub views: crate::views::ViewRecorder,
    /// Where the plans' files are kept.
    pub files: Arc<dyn domain::shop::download::FileStore>,
    /// Download limit and link lifetime.
    pub downloads: domain::shop::download::DownloadPolicy,
    /// The retention rules in force (RET-1..6).
    pub retention: domain::retention::Policies,
    /// Held while this instance runs retention: the lease keeps other
    /// instances out, this keeps a second run of this one out.
    pub retention_running: Arc<tokio::sync::Mutex<()>>,
    /// Requests per API key per minute.
    pub key_limiter: crate::auth::keys::KeyLimiter,
    /// Posts webhook deliveries.
    pub webhooks: Arc<crate::webhooks::Sender>,
    /// Counters for `GET /metrics`.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// The port `GET /metrics` listens on, once bound.
    pub metrics_port: std::sync::OnceLock<u16>,
}

/// The seller from `BOUTIQUE_SELLER_FILE`; without one, a placeholder in
/// development (invoices then say so), and a refusal to start in production.
fn seller(config: &Config) -> anyhow::Result<domain::shop::invoice::Seller> {
    let Some(path) = &config.seller_file else {
        anyhow::ensure!(
            config.environment != crate::config::Environment::Production,
            "BOUTIQUE_SELLER_FILE is required in production: invoices must name the seller"
        );
        return Ok(domain::shop::invoice::Seller {
            name: "Boutique (démonstration, pas un vendeur réel)".into(),
            legal_form_and_capital: "SAS au capital de 1 000 €".into(),
            address_lines: vec!["1 rue de l'Exemple".into(), "69001 Lyon, France".into()],
            siren: "000000000".into(),
            siret: None,
            rcs: "RCS Lyon 000 000 000".into(),
            vat_number: "FR00000000000".into(),
            email: "contact@boutique.example".into(),
        });
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the seller file {}", path.display()))?;
    let seller: domain::shop::invoice::Seller = serde_json::from_str(&text)
        .with_context(|| format!("the seller file {} is not valid", path.display()))?;
    let missing = seller.missing();
    anyhow::ensure!(
        missing.is_empty(),
        "the seller file {} leaves blank: {}",
        path.display(),
        missing.join(", ")
    );
    Ok(seller)
}

impl AppState {
    /// Builds the state on an open, migrated database: keys, key store,
    /// repositories, and the catalogue loaded.
    ///
    /// # Errors
    /// Missing or malformed keys, key store failure, catalogue load failure.
    pub async fn new(config: Config, db: Db, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        let secrets = crate::secrets::load(&config)?;
        let keystore_db = Db::connect(&config.keystore_url(), 5)
            .await
            .context("cannot open the key store")?;
        keystore_db
            .migrate_keystore_up()
            .await
            .context("cannot migrate the key store")?;
        let keys = KeyStore::new(
            keystore_db,
            Arc::clone(&secrets.keyring),
            Some(config.data_dir.join("keystore-backup.jsonl")),
        );
        let store: Arc<dyn Store> = Arc::new(SqlStore::new(db.clone(), keys.clone()));
        let catalogue = Arc::new(Catalogue::new(
            SqlCatalogueStore::new(db.clone()),
            Arc::clone(&store),
            Arc::clone(&clock),
        ));
        catalogue
            .refresh()
            .await
            .context("cannot load the catalogue")?;
        let hash_concurrency = config.hash_concurrency.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(2, std::num::NonZero::get)
        });
        let mailer = Mailer::new(
            config.smtp_url.as_deref(),
            &config.mail_from,
            &config.data_dir,
        )?;
        let mut identity = IdentityConfig::new(
            match config.account_setup {
                crate::config::AccountSetup::Link => AccountSetup::Link,
                crate::config::AccountSetup::GeneratedPassword => AccountSetup::GeneratedPassword,
            },
            config.frontend_url.clone(),
        );
        identity.set_password_ttl =
            chrono::Duration::hours(i64::from(config.set_password_link_hours));
        identity.reset_password_ttl =
            chrono::Duration::minutes(i64::from(config.reset_link_minutes));
        let payments: Option<Arc<dyn domain::shop::payment::PaymentProvider>> =
            match &config.stripe_secret_key {
                Some(key) => Some(Arc::new(
                    crate::stripe::Stripe::new(&config.stripe_api_url, key)
                        .map_err(|e| anyhow::anyhow!(e))?,
                )),
                None => None,
            };
        Ok(Self {
            seller: seller(&config)?,
            geo: crate::geo::Geo::open(config.geoip_db.as_deref())?,
            payments,
            views: crate::views::ViewRecorder::default(),
            files: Arc::new(persistence::LocalFiles::new(config.files_dir())),
            downloads: domain::shop::download::DownloadPolicy {
                limit: config.download_limit,
                link_ttl: chrono::Duration::hours(i64::from(config.download_link_hours)),
            },
            retention_running: Arc::default(),
            key_limiter: crate::auth::keys::KeyLimiter::default(),
            metrics: Arc::default(),
            metrics_port: std::sync::OnceLock::new(),
            webhooks: Arc::new(crate::webhooks::Sender::new(
                config.environment == crate::config::Environment::Production,
            )?),
            retention: domain::retention::Policies::with_overrides(&config.retention)
                .map_err(|e| anyhow::anyhow!("BOUTIQUE_RETENTION: {e}"))?,
            catalogue,
            store,
            clock,
            identity,
            newsletter: domain::newsletter::NewsletterConfig::new(
                config.frontend_url.clone(),
                config.public_url.clone(),
            ),
            forms: domain::contact::FormLimits::default(),
            outbox: OutboxDelivery::new(db.clone(), keys.clone()),
            leases: SqlJobLeases::new(db.clone()),
            index: Arc::clone(&secrets.keyring),
            keys,
            hasher: PasswordHasher::new(hash_concurrency).map_err(|e| anyhow::anyhow!(e))?,
            tokens: Tokens::new(&secrets.jwt_secret),
            random: OsRandom,
            mailer: Arc::new(mailer),
            instance_id: uuid::Uuid::now_v7().to_string(),
            background: Background::default(),
            config: Arc::new(config),
            db,
        })
    }

    /// The origin of a request: its source address (the last
    /// `X-Forwarded-For` entry when the proxy is trusted) and browser.
    #[must_use]
    pub fn origin(&self, req: &HttpRequest) -> Origin {
        crate::auth::client::origin(
            req,
            self.config.trust_proxy,
            self.config.ipv6_prefix,
            self.index.as_ref(),
        )
    }
}

/// The state as handlers receive it.
pub type SharedState = web::Data<AppState>;
