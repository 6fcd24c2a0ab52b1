//! Delivering the transactional outbox: messages are queued in the unit of
//! work of the change that causes them (`store::outbox`), then claimed,
//! opened and marked here by the outbox job. Payloads (recipient, name,
//! links) are personal data, sealed under the recipient's data key.

use chrono::{DateTime, Duration, Utc};
use domain::StorageError;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use domain::identity::{Email, PersonName};
use domain::mail::{Envelope, Mail};

use crate::Db;
use crate::entities::outbox_message as om;
use crate::keystore::KeyStore;
use crate::sealed::OUTBOX_PAYLOAD;

/// A message ready to send, decrypted.
#[derive(Debug, Clone)]
pub struct DueMessage {
    /// Id: also the `Message-ID` and file name, so delivery is idempotent.
    pub id: Uuid,
    /// The message; `None` when its payload no longer decodes (it is then
    /// given up).
    pub envelope: Option<Envelope>,
    /// Template name, for the log.
    pub template: String,
    /// Attempts so far.
    pub attempts: i32,
}

/// The envelope of a stored payload; payloads queued before typed mail
/// carried the template only in its column, so it is filled in from there.
fn decode(template: &str, language: &str, payload: &str) -> Option<Envelope> {
    let mut v: serde_json::Value = serde_json::from_str(payload).ok()?;
    let o = v.as_object_mut()?;
    o.entry("template").or_insert_with(|| template.into());
    let to = Email::parse(o.get("to")?.as_str()?).ok()?;
    let name = match o.get("name") {
        Some(n) => Some(PersonName::parse(n.as_str()?).ok()?),
        None => None,
    };
    let mail: Mail = serde_json::from_value(v).ok()?;
    Some(Envelope {
        to,
        name,
        language: language.parse().ok()?,
        mail,
    })
}

/// The outbox's delivery side.
#[derive(Debug, Clone)]
pub struct OutboxDelivery {
    db: Db,
    keys: KeyStore,
}

fn err(context: &'static str) -> impl Fn(sea_orm::DbErr) -> StorageError {
    move |e| StorageError::new(context, e)
}

/// Attempts before a message is given up.
pub const MAX_ATTEMPTS: i32 = 10;

impl OutboxDelivery {
    /// The outbox on `db`.
    #[must_use]
    pub fn new(db: Db, keys: KeyStore) -> Self {
        Self { db, keys }
    }

    /// Claims up to `limit` due messages for `lease` (other instances skip
    /// them meanwhile) and decrypts them. Messages whose subject was erased
    /// are dropped.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u64,
    ) -> Result<Vec<DueMessage>, StorageError> {
        let conn = self.db.conn();
        let candidates = om::Entity::find()
            .filter(om::Column::Status.eq("pending"))
            .filter(om::Column::NextAttemptAt.lte(now))
            .filter(
                om::Column::LockedUntil
                    .is_null()
                    .or(om::Column::LockedUntil.lt(now)),
            )
            .order_by_asc(om::Column::CreatedAt)
            .limit(limit)
            .all(conn)
            .await
            .map_err(err("failed to read the outbox"))?;
        let mut out = Vec::new();
        for m in candidates {
            // Conditional claim: only one instance wins a message.
            let claimed = om::Entity::update_many()
                .col_expr(om::Column::LockedUntil, Expr::value(now + lease))
                .filter(om::Column::Id.eq(m.id))
                .filter(
                    om::Column::LockedUntil
                        .is_null()
                        .or(om::Column::LockedUntil.lt(now)),
                )
                .exec(conn)
                .await
                .map_err(err("failed to claim a message"))?;
            if claimed.rows_affected != 1 {
                continue;
            }
            let key = match m.subject_id {
                Some(s) => self.keys.get(s).await?,
                None => None,
            };
            let Some(key) = key else {
                self.finish(m.id, "dropped", now, Some("subject erased"))
                    .await?;
                continue;
            };
            let payload = key
                .open_str(&OUTBOX_PAYLOAD, m.id, &m.payload_enc)
                .map_err(|e| StorageError::new("failed to decrypt a message", e))?;
            out.push(DueMessage {
                id: m.id,
                envelope: decode(&m.template, &m.language, &payload),
                template: m.template,
                attempts: m.attempts,
            });
        }
        Ok(out)
    }

    /// Gives up a message that must not go any more (its recipient
    /// withdrew, its campaign was cancelled).
    ///
    /// # Errors
    /// Storage failure.
    pub async fn mark_dropped(
        &self,
        id: Uuid,
        why: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        self.finish(id, "dropped", now, Some(why)).await
    }

    async fn finish(
        &self,
        id: Uuid,
        status: &str,
        now: DateTime<Utc>,
        error: Option<&str>,
    ) -> Result<(), StorageError> {
        om::Entity::update_many()
            .col_expr(om::Column::Status, Expr::value(status))
            .col_expr(
                om::Column::SentAt,
                Expr::value(if status == "sent" { Some(now) } else { None }),
            )
            .col_expr(
                om::Column::LockedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(om::Column::LastError, Expr::value(error.map(str::to_owned)))
            .filter(om::Column::Id.eq(id))
            .exec(self.db.conn())
            .await
            .map_err(err("failed to update a message"))?;
        Ok(())
    }

    /// Records a delivery.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn mark_sent(&self, id: Uuid, now: DateTime<Utc>) -> Result<(), StorageError> {
        self.finish(id, "sent", now, None).await
    }

    /// Records a failed attempt: retried later with exponential backoff, given
    /// up after [`MAX_ATTEMPTS`].
    ///
    /// # Errors
    /// Storage failure.
    pub async fn mark_failed(
        &self,
        id: Uuid,
        attempts: i32,
        error: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let attempts = attempts + 1;
        if attempts >= MAX_ATTEMPTS {
            return self.finish(id, "failed", now, Some(error)).await;
        }
        let backoff = Duration::seconds(30 * (1i64 << attempts.clamp(0, 12)));
        om::Entity::update_many()
            .col_expr(om::Column::Attempts, Expr::value(attempts))
            .col_expr(om::Column::NextAttemptAt, Expr::value(now + backoff))
            .col_expr(
                om::Column::LockedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(om::Column::LastError, Expr::value(error.to_owned()))
            .filter(om::Column::Id.eq(id))
            .exec(self.db.conn())
            .await
            .map_err(err("failed to update a message"))?;
        Ok(())
    }

    /// Delivery attempts of each pending message, oldest first (monitoring).
    ///
    /// # Errors
    /// Storage failure.
    pub async fn pending_attempts(&self) -> Result<Vec<i32>, StorageError> {
        Ok(om::Entity::find()
            .filter(om::Column::Status.eq("pending"))
            .order_by_asc(om::Column::CreatedAt)
            .all(self.db.conn())
            .await
            .map_err(err("failed to read the outbox"))?
            .into_iter()
            .map(|m| m.attempts)
            .collect())
    }

    /// Counts messages by status (for tests and monitoring).
    ///
    /// # Errors
    /// Storage failure.
    pub async fn count(&self, status: &str) -> Result<u64, StorageError> {
        use sea_orm::PaginatorTrait;
        om::Entity::find()
            .filter(om::Column::Status.eq(status))
            .count(self.db.conn())
            .await
            .map_err(err("failed to count messages"))
    }
}
