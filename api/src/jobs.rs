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
        outbox: state.outbox.clone(),
        mailer: Arc::clone(&state.mailer),
        clock: Arc::clone(&state.clock),
        interval: Duration::from_secs(state.config.outbox_interval_secs.max(1)),
        links: LinkLifetimes {
            set_password: state.identity.set_password_ttl,
            reset: state.identity.reset_password_ttl,
        },
    })];
    jobs.push(Arc::new(crate::idempotency::PurgeJob::new(state)));
    jobs
}

/// Runs jobs on their intervals while holding their leases.
pub struct JobRunner {
    jobs: Vec<Arc<dyn Job>>,
    leases: Arc<dyn JobLeases>,
    clock: Arc<dyn Clock>,
    holder: String,
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
        }
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
        job.run_once().await.map(Some)
    }

    /// Starts one task per job.
    #[must_use]
    pub fn spawn(&self) -> Vec<tokio::task::JoinHandle<()>> {
        self.jobs
            .iter()
            .map(|job| {
                let job = Arc::clone(job);
                let runner = Self::new(
                    vec![],
                    Arc::clone(&self.leases),
                    Arc::clone(&self.clock),
                    self.holder.clone(),
                );
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
            let (subject, body) = render(&envelope, &self.links);
            match self
                .mailer
                .deliver(m.id, envelope.to.as_str(), &subject, body)
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
