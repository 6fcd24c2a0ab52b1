//! What the metrics endpoint reads at each scrape: backlogs and blocks in
//! force, as counts (no row, no personal value).

use chrono::{DateTime, Utc};
use domain::StorageError;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::Db;
use crate::entities::{outbox_message, security_counter, webhook_delivery, webhook_endpoint};
use crate::store::err;

/// Counts at one moment.
#[derive(Debug, Clone, Default)]
pub struct Backlog {
    /// Mail waiting to be sent.
    pub outbox: u64,
    /// Webhook deliveries waiting.
    pub webhooks: u64,
    /// Webhook deliveries that failed every attempt.
    pub webhooks_failed: u64,
    /// Disabled webhook endpoints.
    pub endpoints_disabled: u64,
    /// Account locks in force.
    pub locks: u64,
    /// Source bans in force.
    pub bans: u64,
}

/// The counts at `now`.
///
/// # Errors
/// Storage failure.
pub async fn backlog(db: &Db, now: DateTime<Utc>) -> Result<Backlog, StorageError> {
    let conn = db.conn();
    let blocked = |kind: &'static str| {
        security_counter::Entity::find()
            .filter(security_counter::Column::Kind.eq(kind))
            .filter(security_counter::Column::BlockedUntil.gt(now))
            .count(conn)
    };
    let deliveries = |status: &'static str| {
        webhook_delivery::Entity::find()
            .filter(webhook_delivery::Column::Status.eq(status))
            .count(conn)
    };
    Ok(Backlog {
        outbox: outbox_message::Entity::find()
            .filter(outbox_message::Column::Status.eq("pending"))
            .count(conn)
            .await
            .map_err(err("failed to count the outbox"))?,
        webhooks: deliveries("pending")
            .await
            .map_err(err("failed to count webhook deliveries"))?,
        webhooks_failed: deliveries("failed")
            .await
            .map_err(err("failed to count webhook deliveries"))?,
        endpoints_disabled: webhook_endpoint::Entity::find()
            .filter(webhook_endpoint::Column::Enabled.eq(false))
            .count(conn)
            .await
            .map_err(err("failed to count webhook endpoints"))?,
        locks: blocked("account_source_lock")
            .await
            .map_err(err("failed to count locks"))?,
        bans: blocked("source_ban")
            .await
            .map_err(err("failed to count bans"))?,
    })
}
