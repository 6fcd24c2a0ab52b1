//! Queuing mail in the unit of work that causes it; the payload (recipient,
//! name, links) is sealed under the recipient's key.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::StorageError;
use domain::mail::{Envelope, Outbox};
use domain::subject::SubjectId;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::{Conn, SqlRepos, err};
use crate::entities::outbox_message as om;
use crate::sealed::OUTBOX_PAYLOAD;

/// The stored payload: the mail's own fields and `template`, plus `to` and `name`.
pub(crate) fn encode(envelope: &Envelope) -> Result<String, StorageError> {
    let mut v = serde_json::to_value(&envelope.mail)
        .map_err(|e| StorageError::new("failed to encode a message", e))?;
    if let Some(o) = v.as_object_mut() {
        o.insert("to".into(), envelope.to.as_str().into());
        if let Some(name) = &envelope.name {
            o.insert("name".into(), name.as_str().into());
        }
    }
    Ok(v.to_string())
}

#[async_trait]
impl<C: Conn> Outbox for SqlRepos<C> {
    async fn enqueue(
        &self,
        subject: SubjectId,
        envelope: &Envelope,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let Some(key) = self.key(subject).await? else {
            return Ok(());
        };
        let id = Uuid::now_v7();
        om::Entity::insert(om::ActiveModel {
            id: Set(id),
            subject_id: Set(Some(subject.as_uuid())),
            template: Set(envelope.mail.template().to_owned()),
            language: Set(envelope.language.as_str().to_owned()),
            payload_enc: Set(key.seal_str(&OUTBOX_PAYLOAD, id, &encode(envelope)?)),
            created_at: Set(now),
            status: Set("pending".into()),
            attempts: Set(0),
            next_attempt_at: Set(now),
            locked_until: Set(None),
            sent_at: Set(None),
            last_error: Set(None),
        })
        .exec(self.conn())
        .await
        .map_err(err("failed to queue a message"))?;
        Ok(())
    }

    async fn cancel_pending(
        &self,
        subject: SubjectId,
        template: &str,
    ) -> Result<u64, StorageError> {
        let r = om::Entity::update_many()
            .col_expr(om::Column::Status, Expr::value("cancelled"))
            .filter(om::Column::SubjectId.eq(subject.as_uuid()))
            .filter(om::Column::Template.eq(template))
            .filter(om::Column::Status.eq("pending"))
            .exec(self.conn())
            .await
            .map_err(err("failed to drop queued messages"))?;
        Ok(r.rows_affected)
    }
}
