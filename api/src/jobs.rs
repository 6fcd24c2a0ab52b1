//! Background jobs inside `serve`, on one runner: each job runs every
//! interval, and each run first takes the job's lease in the database, so
//! with several instances on one database a job runs on one of them at a
//! time. The outbox is the first job.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use domain::clock::Clock;
use domain::jobs::{Job, JobError, JobLeases};
use persistence::OutboxDelivery;

use crate::mail::{LinkLifetimes, Mailer, render};
use crate::state::AppState;

/// Every job of this binary.
#[must_use]
pub fn jobs(state: &AppState) -> Vec<Arc<dyn Job>> {
    let mut jobs: Vec<Arc<dyn Job>> = vec![Arc::new(OutboxJob {
        store: Arc::clone(&state.store),
        outbox: state.outbox.clone(),
        mailer: Arc::clone(&state.mailer),
        clock: Arc::clone(&state.clock),
        interval: Duration::from_secs(state.config.outbox_interval_secs.max(1)),
        links: LinkLifetimes {
            set_password: state.identity.set_password_ttl,
            reset: state.identity.reset_password_ttl,
            shop_url: state.config.frontend_url.clone(),
        },
    })];
    jobs.push(Arc::new(crate::idempotency::PurgeJob::new(state)));
    jobs.push(Arc::new(webhook_job(state)));
    jobs.push(Arc::new(NewsletterJob {
        store: Arc::clone(&state.store),
        index: Arc::clone(&state.index),
        clock: Arc::clone(&state.clock),
        config: state.newsletter.clone(),
        interval: Duration::from_secs(state.config.outbox_interval_secs.max(1)),
    }));
    if let Some(to) = state.config.backup_recipient.as_deref() {
        match persistence::backup::recipient(to) {
            Ok(to) => jobs.push(Arc::new(BackupJob {
                db: state.db.clone(),
                config: Arc::clone(&state.config),
                clock: Arc::clone(&state.clock),
                to,
            })),
            Err(e) => {
                tracing::error!(error = %e, "BOUTIQUE_BACKUP_RECIPIENT: no scheduled backups")
            }
        }
    }
    jobs.push(Arc::new(RetentionJob {
        running: Arc::clone(&state.retention_running),
        store: Arc::clone(&state.store),
        clock: Arc::clone(&state.clock),
        policies: state.retention.clone(),
        batch: state.config.retention_batch,
        interval: Duration::from_secs(state.config.retention_interval_secs.max(1)),
        metrics: Arc::clone(&state.metrics),
    }));
    jobs
}

/// Backs the database up (BK-1), every 24 hours by default, keeping the
/// newest `BOUTIQUE_BACKUP_KEEP`.
pub struct BackupJob {
    db: persistence::Db,
    config: Arc<crate::config::Config>,
    clock: Arc<dyn Clock>,
    to: age::x25519::Recipient,
}

#[async_trait]
impl Job for BackupJob {
    fn name(&self) -> &'static str {
        "backup"
    }

    fn interval(&self) -> Duration {
        Duration::from_secs(self.config.backup_interval_secs.max(60))
    }

    async fn run_once(&self) -> Result<usize, JobError> {
        let file = backup_now(&self.db, &self.config, self.clock.now(), &self.to)
            .await
            .map_err(|e| JobError(e.to_string()))?;
        tracing::info!(file = %file.display(), "backup written");
        Ok(1)
    }
}

/// Writes a backup now and prunes the old ones; answers its path.
///
/// # Errors
/// [`persistence::backup::BackupError`].
pub async fn backup_now(
    db: &persistence::Db,
    config: &crate::config::Config,
    now: chrono::DateTime<chrono::Utc>,
    to: &age::x25519::Recipient,
) -> Result<std::path::PathBuf, persistence::backup::BackupError> {
    let dir = config.backups_dir();
    let file = persistence::backup::create(
        db,
        &config.database_url(),
        &dir,
        to,
        config.pg_bin_dir.as_deref(),
        now,
    )
    .await?;
    persistence::backup::prune(
        &dir,
        usize::try_from(config.backup_keep).unwrap_or(usize::MAX),
    )?;
    Ok(file)
}

/// The retention job's name, also its lease's.
pub const RETENTION: &str = "retention";

/// Purges what is past its retention period (RET-1..6), hourly by default.
pub struct RetentionJob {
    running: Arc<tokio::sync::Mutex<()>>,
    store: Arc<dyn domain::store::Store>,
    clock: Arc<dyn Clock>,
    policies: domain::retention::Policies,
    batch: u64,
    interval: Duration,
    metrics: Arc<crate::metrics::Metrics>,
}

#[async_trait]
impl Job for RetentionJob {
    fn name(&self) -> &'static str {
        RETENTION
    }

    fn interval(&self) -> Duration {
        self.interval
    }

    async fn run_once(&self) -> Result<usize, JobError> {
        // An admin's run is under way here: this tick skips.
        let Ok(_running) = self.running.try_lock() else {
            return Ok(0);
        };
        let report = domain::retention::run(
            self.store.as_ref(),
            self.clock.as_ref(),
            &self.policies,
            domain::retention::Mode::Apply,
            self.batch,
            domain::audit::Actor::System,
        )
        .await?;
        if report.total() > 0 || report.warned > 0 {
            tracing::info!(summary = %report.summary(), "retention run");
        }
        self.metrics.purged(&report);
        Ok(usize::try_from(report.total()).unwrap_or(usize::MAX))
    }
}

/// A retention run now, outside the schedule (an admin's request, the
/// command line), under the job's lease: `None` when another instance is
/// running it.
///
/// # Errors
/// Storage failure.
pub async fn retention_now(
    state: &AppState,
    by: domain::audit::Actor,
) -> Result<Option<domain::retention::Report>, domain::StorageError> {
    let Ok(_running) = state.retention_running.try_lock() else {
        return Ok(None);
    };
    if !state
        .leases
        .acquire(
            RETENTION,
            &state.instance_id,
            chrono::Duration::minutes(30),
            state.clock.now(),
        )
        .await?
    {
        return Ok(None);
    }
    let report = domain::retention::run(
        state.store.as_ref(),
        state.clock.as_ref(),
        &state.retention,
        domain::retention::Mode::Apply,
        state.config.retention_batch,
        by,
    )
    .await;
    let _ = state.leases.release(RETENTION, &state.instance_id).await;
    report.map(Some)
}

/// Runs jobs on their intervals while holding their leases.
pub struct JobRunner {
    jobs: Vec<Arc<dyn Job>>,
    leases: Arc<dyn JobLeases>,
    clock: Arc<dyn Clock>,
    holder: String,
    metrics: Option<Arc<crate::metrics::Metrics>>,
}

impl JobRunner {
    /// A runner for `jobs`, taking leases as `holder`.
    #[must_use]
    pub fn new(
        jobs: Vec<Arc<dyn Job>>,
        leases: Arc<dyn JobLeases>,
        clock: Arc<dyn Clock>,
        holder: String,
    ) -> Self {
        Self {
            jobs,
            leases,
            clock,
            holder,
            metrics: None,
        }
    }

    /// Counts each run's outcome in `metrics`.
    #[must_use]
    pub fn with_metrics(mut self, metrics: Arc<crate::metrics::Metrics>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// Runs `job` once if this instance gets its lease; `None` when another
    /// instance holds it.
    ///
    /// # Errors
    /// The run's failure, or a lease that could not be taken.
    pub async fn run_once(&self, job: &dyn Job) -> Result<Option<usize>, JobError> {
        // The lease outlives a few missed ticks, not a crashed holder.
        let ttl =
            chrono::Duration::from_std(job.interval() * 5).unwrap_or(chrono::Duration::seconds(30));
        if !self
            .leases
            .acquire(job.name(), &self.holder, ttl, self.clock.now())
            .await?
        {
            return Ok(None);
        }
        let result = job.run_once().await;
        if let Some(m) = &self.metrics {
            m.job(job.name(), result.is_ok());
        }
        result.map(Some)
    }

    /// Starts one task per job.
    #[must_use]
    pub fn spawn(&self) -> Vec<tokio::task::JoinHandle<()>> {
        self.jobs
            .iter()
            .map(|job| {
                let job = Arc::clone(job);
                let mut runner = Self::new(
                    vec![],
                    Arc::clone(&self.leases),
                    Arc::clone(&self.clock),
                    self.holder.clone(),
                );
                runner.metrics = self.metrics.clone();
                tokio::spawn(async move {
                    let mut tick = tokio::time::interval(job.interval());
                    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                    loop {
                        tick.tick().await;
                        if let Err(e) = runner.run_once(job.as_ref()).await {
                            tracing::warn!(job = job.name(), error = %e, "job failed");
                        }
                    }
                })
            })
            .collect()
    }

    /// Hands every lease over at once (on shutdown) rather than after it expires.
    pub async fn release_all(&self) {
        for job in &self.jobs {
            let _ = self.leases.release(job.name(), &self.holder).await;
        }
    }
}

/// Delivers due outbox messages.
pub struct OutboxJob {
    /// Storage, for what a campaign letter needs at delivery.
    pub store: Arc<dyn domain::store::Store>,
    /// The outbox.
    pub outbox: OutboxDelivery,
    /// Where mail goes.
    pub mailer: Arc<Mailer>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// How often.
    pub interval: Duration,
    /// Link lifetimes, as the mails say them.
    pub links: LinkLifetimes,
}

#[async_trait]
impl Job for OutboxJob {
    fn name(&self) -> &'static str {
        "outbox"
    }

    fn interval(&self) -> Duration {
        self.interval
    }

    async fn run_once(&self) -> Result<usize, JobError> {
        let now = self.clock.now();
        let due = self
            .outbox
            .claim_due(now, chrono::Duration::minutes(2), 50)
            .await?;
        let mut delivered = 0;
        for m in due {
            let Some(envelope) = m.envelope else {
                self.outbox
                    .mark_failed(
                        m.id,
                        persistence::outbox::MAX_ATTEMPTS,
                        "undecodable message",
                        now,
                    )
                    .await?;
                continue;
            };
            // A letter goes only if its recipient still wants it, with its
            // campaign's text as it is now.
            let letter = match &envelope.mail {
                domain::mail::Mail::CampaignLetter {
                    campaign,
                    recipient,
                    audience,
                    ..
                } => {
                    let reader = self.store.reader();
                    match domain::newsletter::letter_still_wanted(
                        reader.as_ref(),
                        *campaign,
                        *recipient,
                        audience,
                    )
                    .await?
                    {
                        Some(c) => Some(c.content),
                        None => {
                            self.outbox
                                .mark_dropped(m.id, "withdrawn or cancelled", now)
                                .await?;
                            continue;
                        }
                    }
                }
                _ => None,
            };
            let (subject, body) = render(&envelope, &self.links, letter.as_ref());
            let headers = crate::mail::extra_headers(&envelope.mail);
            match self
                .mailer
                .deliver(m.id, envelope.to.as_str(), &subject, body, &headers)
                .await
            {
                Ok(()) => {
                    self.outbox.mark_sent(m.id, self.clock.now()).await?;
                    tracing::info!(message_id = %m.id, template = %m.template, "mail delivered");
                    delivered += 1;
                }
                Err(reason) => {
                    tracing::warn!(message_id = %m.id, template = %m.template, %reason, "mail delivery failed; will retry");
                    self.outbox
                        .mark_failed(m.id, m.attempts, &reason, self.clock.now())
                        .await?;
                }
            }
        }
        Ok(delivered)
    }
}

/// Queues due campaigns' letters batch by batch, and forgets newsletter
/// subscriptions left unconfirmed past their 7 days.
pub struct NewsletterJob {
    /// Storage.
    pub store: Arc<dyn domain::store::Store>,
    /// Keyed hashes (unsubscribe tokens).
    pub index: Arc<persistence::vault::Keyring>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Newsletter settings.
    pub config: domain::newsletter::NewsletterConfig,
    /// How often.
    pub interval: Duration,
}

#[async_trait]
impl Job for NewsletterJob {
    fn name(&self) -> &'static str {
        "newsletter"
    }

    fn interval(&self) -> Duration {
        self.interval
    }

    async fn run_once(&self) -> Result<usize, JobError> {
        let expired =
            domain::newsletter::expire_unconfirmed(self.store.as_ref(), self.clock.as_ref())
                .await?;
        if expired > 0 {
            tracing::info!(expired, "unconfirmed newsletter subscriptions deleted");
        }
        let queued = domain::newsletter::run_campaigns(
            self.store.as_ref(),
            self.index.as_ref(),
            self.clock.as_ref(),
            &self.config,
        )
        .await
        .map_err(|e| JobError(e.to_string()))?;
        Ok(queued)
    }
}

/// Runs the newsletter job once (tests, tools, the campaign benchmark).
///
/// # Errors
/// Storage failure.
pub async fn run_newsletter(state: &AppState) -> Result<usize, JobError> {
    let mut n = 0;
    for job in jobs(state).iter().filter(|j| j.name() == "newsletter") {
        n += job.run_once().await?;
    }
    Ok(n)
}

/// Runs the outbox job once, as its runner would (tests, tools).
///
/// # Errors
/// Storage failure.
pub async fn deliver_outbox(state: &AppState) -> Result<usize, JobError> {
    let jobs = jobs(state);
    let mut n = 0;
    for job in jobs.iter().filter(|j| j.name() == "outbox") {
        n += job.run_once().await?;
    }
    Ok(n)
}

fn webhook_job(state: &AppState) -> crate::webhooks::WebhookJob {
    crate::webhooks::WebhookJob {
        store: Arc::clone(&state.store),
        index: Arc::clone(&state.index) as Arc<dyn domain::identity::BlindIndex>,
        clock: Arc::clone(&state.clock),
        sender: Arc::clone(&state.webhooks),
        interval: Duration::from_secs(state.config.outbox_interval_secs.max(1)),
        concurrency: state.config.webhook_concurrency as usize,
    }
}

/// Sends the due webhook deliveries once, as the job would (tests, tools).
///
/// # Errors
/// Storage failure.
pub async fn deliver_webhooks(state: &AppState) -> Result<usize, JobError> {
    webhook_job(state).run_once().await
}
