//! Background jobs: work that runs on a schedule inside `serve`. With
//! several instances on one database, each run first takes the job's lease,
//! so a job runs on one instance at a time. The outbox is the first job;
//! retention, backups, campaigns and webhooks will be more of them.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::StorageError;

/// A job: a name (its lease), how often it runs, and one run.
#[async_trait]
pub trait Job: Send + Sync {
    /// The job's stable name, also the name of its lease.
    fn name(&self) -> &'static str;
    /// Time between two runs.
    fn interval(&self) -> Duration;
    /// Runs once; returns how many items it handled (for the log).
    async fn run_once(&self) -> Result<usize, JobError>;
}

/// Why a run failed; the job runs again at its next tick.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct JobError(pub String);

impl From<StorageError> for JobError {
    fn from(e: StorageError) -> Self {
        Self(format!("{e}"))
    }
}

/// Job leases in the database.
#[async_trait]
pub trait JobLeases: Send + Sync {
    /// Takes or renews `job`'s lease for `holder` until `now + ttl`; false
    /// while another holder's lease runs.
    async fn acquire(
        &self,
        job: &str,
        holder: &str,
        ttl: chrono::Duration,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError>;
    /// Gives a lease back early (on shutdown).
    async fn release(&self, job: &str, holder: &str) -> Result<(), StorageError>;
}
