//! Background jobs inside `serve`. Each run first takes the job's lease in
//! the database, so with several instances on one database a job runs on one
//! of them at a time.

use std::sync::Arc;
use std::time::Duration;

use crate::app::AppState;
use crate::mail::{Mailer, render};

/// Delivers due outbox messages. Returns how many were delivered.
///
/// # Errors
/// Storage failure.
pub async fn deliver_outbox(state: &AppState, mailer: &Mailer) -> anyhow::Result<usize> {
    let now = state.clock.now();
    let due = state
        .outbox
        .claim_due(now, chrono::Duration::minutes(2), 50)
        .await?;
    let mut delivered = 0;
    for m in due {
        let payload: serde_json::Value = serde_json::from_str(&m.payload).unwrap_or_default();
        let Some((to, subject, body)) = render(&m.template, &m.language, &payload) else {
            state
                .outbox
                .mark_failed(
                    m.id,
                    persistence::outbox::MAX_ATTEMPTS,
                    "unknown template",
                    now,
                )
                .await?;
            continue;
        };
        match mailer.deliver(m.id, &to, &subject, body).await {
            Ok(()) => {
                state.outbox.mark_sent(m.id, state.clock.now()).await?;
                tracing::info!(message_id = %m.id, template = %m.template, "mail delivered");
                delivered += 1;
            }
            Err(reason) => {
                tracing::warn!(message_id = %m.id, template = %m.template, %reason, "mail delivery failed; will retry");
                state
                    .outbox
                    .mark_failed(m.id, m.attempts, &reason, state.clock.now())
                    .await?;
            }
        }
    }
    Ok(delivered)
}

/// Runs the outbox job every `period` while this instance holds its lease.
pub fn spawn_outbox(
    state: Arc<AppState>,
    mailer: Arc<Mailer>,
    holder: String,
    period: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let ttl = chrono::Duration::from_std(period * 5).unwrap_or(chrono::Duration::seconds(30));
        loop {
            tick.tick().await;
            match state
                .leases
                .acquire("outbox", &holder, ttl, state.clock.now())
                .await
            {
                Ok(true) => {
                    if let Err(e) = deliver_outbox(&state, &mailer).await {
                        tracing::warn!(error = %e, "outbox job failed");
                    }
                }
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "cannot take the outbox lease"),
            }
        }
    })
}
