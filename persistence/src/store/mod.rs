//! The domain's [`Store`] on SQL: repositories over one connection type,
//! either the pool (reads, single writes) or one transaction (a unit of
//! work). Each holds a key cache, so a request opens each subject's data
//! key once, and a destroyed key is never cached beyond one request.

mod accounts;
mod addresses;
mod audit;
mod blog;
mod breaches;
mod complaints;
mod consents;
mod contact;
mod counters;
mod coupons;
mod downloads;
mod dpo;
mod idempotency;
mod integrations;
mod invoices;
mod keys;
mod legal;
mod newsletter;
mod outbox;
mod payments;
mod plans;
mod privacy_requests;
mod recently_viewed;
mod refunds;
mod retention;
mod reviews;
mod rights;
mod sessions;
mod shop;
mod tokens;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use domain::StorageError;
use domain::audit::AuditTrail;
use domain::catalogue::PlanWrites;
use domain::idempotency::IdempotencyRepo;
use domain::identity::{AccountRepo, AddressRepo, CounterRepo, SessionRepo, TokenRepo};
use domain::mail::Outbox;
use domain::store::{Repos, Store, UnitOfWork};
use domain::subject::{SubjectId, SubjectKeys};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
};

use crate::Db;
use crate::keystore::KeyStore;
use crate::vault::DataKey;

/// A connection the repositories run on: the pool or a transaction.
pub(crate) trait Conn: ConnectionTrait + TransactionTrait + Send + Sync + 'static {}
impl<T: ConnectionTrait + TransactionTrait + Send + Sync + 'static> Conn for T {}

/// A statement written with `$n` parameters, for the connected database
/// (SQLite reads them as `?n`).
pub(crate) fn sql_for(backend: sea_orm::DbBackend, sql: &str) -> String {
    if backend == sea_orm::DbBackend::Postgres {
        sql.to_owned()
    } else {
        sql.replace('$', "?")
    }
}

/// The values a statement names (`$1`..`$3`), in order: SQLite and
/// PostgreSQL both refuse unused ones.
pub(crate) fn values_used(sql: &str, values: Vec<sea_orm::Value>) -> Vec<sea_orm::Value> {
    let highest = (1..=values.len())
        .rev()
        .find(|i| sql.contains(&format!("${i}")))
        .unwrap_or(0);
    values.into_iter().take(highest).collect()
}

pub(crate) fn err(context: &'static str) -> impl Fn(sea_orm::DbErr) -> StorageError {
    move |e| StorageError::new(context, e)
}

pub(crate) fn corrupt(what: &str) -> StorageError {
    StorageError::msg(format!("corrupt stored data: {what}"))
}

/// The SQL store: the data database and the key store.
#[derive(Debug, Clone)]
pub struct SqlStore {
    db: Db,
    keys: KeyStore,
    /// SQLite has one writer at a time: units of work queue here, in
    /// order, instead of polling the file lock with growing sleeps.
    writers: Option<Arc<tokio::sync::Semaphore>>,
}

impl SqlStore {
    /// The store on `db`, with data keys from `keys`.
    #[must_use]
    pub fn new(db: Db, keys: KeyStore) -> Self {
        let writers = (db.backend() == sea_orm::DbBackend::Sqlite)
            .then(|| Arc::new(tokio::sync::Semaphore::new(1)));
        Self { db, keys, writers }
    }

    /// The repositories on the pool (concrete type, for this crate's tools).
    #[must_use]
    pub(crate) fn repos(&self) -> SqlRepos<DatabaseConnection> {
        SqlRepos::new(self.db.conn().clone(), self.keys.clone())
    }
}

#[async_trait]
impl Store for SqlStore {
    async fn begin(&self) -> Result<Box<dyn UnitOfWork>, StorageError> {
        let permit = match &self.writers {
            Some(w) => Some(
                Arc::clone(w)
                    .acquire_owned()
                    .await
                    .map_err(|_| StorageError::msg("the store is closing"))?,
            ),
            None => None,
        };
        // IMMEDIATE takes SQLite's write lock at once: a unit of work that
        // reads and then writes cannot fail to upgrade its lock under
        // concurrency. PostgreSQL ignores it.
        let txn = self
            .db
            .conn()
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await
            .map_err(err("failed to begin a unit of work"))?;
        let mut repos = SqlRepos::new(txn, self.keys.clone());
        repos.permit = permit;
        Ok(Box::new(repos))
    }

    fn reader(&self) -> Box<dyn Repos> {
        Box::new(self.repos())
    }
}

/// The repositories on one connection, with a per-instance key cache.
pub(crate) struct SqlRepos<C> {
    conn: C,
    keys: KeyStore,
    cache: Mutex<HashMap<uuid::Uuid, Option<DataKey>>>,
    /// A unit of work's turn as SQLite's writer, given back with it.
    permit: Option<tokio::sync::OwnedSemaphorePermit>,
}

impl<C: Conn> SqlRepos<C> {
    fn new(conn: C, keys: KeyStore) -> Self {
        Self {
            conn,
            keys,
            cache: Mutex::new(HashMap::new()),
            permit: None,
        }
    }

    /// The subject's data key, opened once per instance; `None` once destroyed.
    pub(crate) async fn key(&self, subject: SubjectId) -> Result<Option<DataKey>, StorageError> {
        let id = subject.as_uuid();
        if let Some(k) = self
            .cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&id)
        {
            return Ok(k.clone());
        }
        let key = self.keys.get(id).await?;
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(id, key.clone());
        Ok(key)
    }

    /// The subject's data key, which must exist.
    pub(crate) async fn required_key(&self, subject: SubjectId) -> Result<DataKey, StorageError> {
        self.key(subject)
            .await?
            .ok_or_else(|| StorageError::msg("the subject's data key was destroyed"))
    }

    /// Opens the keys of `subjects` not cached yet, in one query: a batch
    /// that reads many subjects' rows opens their keys together.
    pub(crate) async fn prefetch_keys(&self, subjects: &[SubjectId]) -> Result<(), StorageError> {
        let missing: Vec<uuid::Uuid> = {
            let cache = self
                .cache
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let mut m: Vec<uuid::Uuid> = subjects
                .iter()
                .map(SubjectId::as_uuid)
                .filter(|id| !cache.contains_key(id))
                .collect();
            m.sort_unstable();
            m.dedup();
            m
        };
        if missing.is_empty() {
            return Ok(());
        }
        let found = self.keys.get_many(&missing).await?;
        let mut cache = self
            .cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for id in missing {
            cache.insert(id, None);
        }
        for (id, key) in found {
            cache.insert(id, Some(key));
        }
        Ok(())
    }

    pub(crate) fn remember_key(&self, subject: SubjectId, key: DataKey) {
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(subject.as_uuid(), Some(key));
    }

    pub(crate) fn conn(&self) -> &C {
        &self.conn
    }

    pub(crate) fn keystore(&self) -> &KeyStore {
        &self.keys
    }
}

impl<C: Conn> Repos for SqlRepos<C> {
    fn accounts(&self) -> &dyn AccountRepo {
        self
    }
    fn addresses(&self) -> &dyn AddressRepo {
        self
    }
    fn sessions(&self) -> &dyn SessionRepo {
        self
    }
    fn tokens(&self) -> &dyn TokenRepo {
        self
    }
    fn counters(&self) -> &dyn CounterRepo {
        self
    }
    fn audit(&self) -> &dyn AuditTrail {
        self
    }
    fn outbox(&self) -> &dyn Outbox {
        self
    }
    fn keys(&self) -> &dyn SubjectKeys {
        self
    }
    fn plans(&self) -> &dyn PlanWrites {
        self
    }
    fn idempotency(&self) -> &dyn IdempotencyRepo {
        self
    }
    fn legal(&self) -> &dyn domain::legal::LegalRepo {
        self
    }
    fn consents(&self) -> &dyn domain::consent::ConsentRepo {
        self
    }
    fn guests(&self) -> &dyn domain::subject::GuestRepo {
        self
    }
    fn newsletter(&self) -> &dyn domain::newsletter::NewsletterRepo {
        self
    }
    fn contact(&self) -> &dyn domain::contact::ContactRepo {
        self
    }
    fn blog(&self) -> &dyn domain::blog::BlogRepo {
        self
    }
    fn carts(&self) -> &dyn domain::shop::cart::CartRepo {
        self
    }
    fn orders(&self) -> &dyn domain::shop::order::OrderRepo {
        self
    }
    fn invoices(&self) -> &dyn domain::shop::invoice::InvoiceRepo {
        self
    }
    fn coupons(&self) -> &dyn domain::shop::coupon::CouponRepo {
        self
    }
    fn payments(&self) -> &dyn domain::shop::payment::PaymentRepo {
        self
    }
    fn downloads(&self) -> &dyn domain::shop::download::DownloadRepo {
        self
    }
    fn reviews(&self) -> &dyn domain::review::ReviewRepo {
        self
    }
    fn recently_viewed(&self) -> &dyn domain::recently_viewed::RecentlyViewedRepo {
        self
    }
    fn refunds(&self) -> &dyn domain::shop::refund::RefundRepo {
        self
    }
    fn complaints(&self) -> &dyn domain::shop::complaint::ComplaintRepo {
        self
    }
    fn retention(&self) -> &dyn domain::retention::RetentionRepo {
        self
    }
    fn rights(&self) -> &dyn domain::rights::RightsRepo {
        self
    }
    fn breaches(&self) -> &dyn domain::breach::BreachRepo {
        self
    }
    fn privacy_requests(&self) -> &dyn domain::rights::requests::PrivacyRequestRepo {
        self
    }
    fn dpo(&self) -> &dyn domain::rights::dpo::DpoRepo {
        self
    }
    fn api_keys(&self) -> &dyn domain::integration::ApiKeyRepo {
        self
    }
    fn webhooks(&self) -> &dyn domain::integration::WebhookRepo {
        self
    }
}

#[async_trait]
impl UnitOfWork for SqlRepos<DatabaseTransaction> {
    async fn commit(self: Box<Self>) -> Result<(), StorageError> {
        self.conn
            .commit()
            .await
            .map_err(err("failed to commit a unit of work"))
    }
}
