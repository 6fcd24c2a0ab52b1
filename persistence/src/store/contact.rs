//! Contact messages and answers, sealed under the writer's subject key.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::StorageError;
use domain::contact::{
    ContactRepo, ContactStatus, Message, MessageSummary, NewMessage, Reply, Topic,
};
use domain::identity::{CustomerId, Email, Origin, PersonName};
use domain::ids::ContactMessageId;
use domain::subject::SubjectId;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::{Conn, SqlRepos, corrupt, err};
use crate::entities::{contact_message as cm, contact_reply as cr};
use crate::sealed::{
    CONTACT_EMAIL, CONTACT_IP, CONTACT_MESSAGE, CONTACT_NAME, CONTACT_ORDER_NUMBER, CONTACT_REPLY,
    CONTACT_USER_AGENT,
};

fn summary(r: &cm::Model) -> Result<MessageSummary, StorageError> {
    Ok(MessageSummary {
        id: ContactMessageId::from_uuid(r.id),
        topic: Topic::parse(&r.topic).ok_or_else(|| corrupt("topic"))?,
        status: ContactStatus::parse(&r.status).ok_or_else(|| corrupt("status"))?,
        language: r.language.parse().map_err(|_| corrupt("language"))?,
        customer_id: r.customer_id.map(CustomerId::from_uuid),
        has_order_number: r.order_number_enc.is_some(),
        created_at: r.created_at,
        updated_at: r.updated_at,
        answered_at: r.answered_at,
        data_subject_request_at: r.dsr_requested_at,
    })
}

fn decrypt(e: impl std::error::Error + Send + Sync + 'static) -> StorageError {
    StorageError::new("failed to decrypt a contact message", e)
}

#[async_trait]
impl<C: Conn> ContactRepo for SqlRepos<C> {
    async fn insert(
        &self,
        id: ContactMessageId,
        subject: SubjectId,
        customer: Option<CustomerId>,
        m: &NewMessage,
        origin: &Origin,
        policy_version: i32,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let key = self.required_key(subject).await?;
        let row = id.as_uuid();
        cm::Entity::insert(cm::ActiveModel {
            id: Set(row),
            subject_id: Set(subject.as_uuid()),
            customer_id: Set(customer.map(|c| c.as_uuid())),
            topic: Set(m.topic.as_str().to_owned()),
            language: Set(m.language.as_str().to_owned()),
            status: Set(ContactStatus::New.as_str().to_owned()),
            name_enc: Set(key.seal_str(&CONTACT_NAME, row, m.name.as_str())),
            email_enc: Set(key.seal_str(&CONTACT_EMAIL, row, m.email.as_str())),
            message_enc: Set(key.seal_str(&CONTACT_MESSAGE, row, &m.message)),
            order_number_enc: Set(m
                .order_number
                .as_deref()
                .map(|o| key.seal_str(&CONTACT_ORDER_NUMBER, row, o))),
            ip_enc: Set(origin
                .ip
                .map(|ip| key.seal_str(&CONTACT_IP, row, &ip.to_string()))),
            user_agent_enc: Set(origin
                .user_agent
                .as_deref()
                .map(|ua| key.seal_str(&CONTACT_USER_AGENT, row, ua))),
            policy_version: Set(policy_version),
            created_at: Set(now),
            updated_at: Set(now),
            answered_at: Set(None),
            dsr_requested_at: Set(None),
            dsr_requested_by: Set(None),
        })
        .exec_without_returning(self.conn())
        .await
        .map_err(err("failed to store a contact message"))?;
        Ok(())
    }

    async fn list(
        &self,
        status: Option<ContactStatus>,
        topic: Option<Topic>,
        limit: u64,
        offset: u64,
    ) -> Result<Vec<MessageSummary>, StorageError> {
        let mut q = cm::Entity::find();
        if let Some(s) = status {
            q = q.filter(cm::Column::Status.eq(s.as_str()));
        }
        if let Some(t) = topic {
            q = q.filter(cm::Column::Topic.eq(t.as_str()));
        }
        q.order_by_desc(cm::Column::CreatedAt)
            .order_by_desc(cm::Column::Id)
            .limit(limit)
            .offset(offset)
            .all(self.conn())
            .await
            .map_err(err("failed to list contact messages"))?
            .iter()
            .map(summary)
            .collect()
    }

    async fn list_one(&self, id: ContactMessageId) -> Result<Option<MessageSummary>, StorageError> {
        cm::Entity::find_by_id(id.as_uuid())
            .one(self.conn())
            .await
            .map_err(err("failed to load a contact message"))?
            .as_ref()
            .map(summary)
            .transpose()
    }

    async fn get(&self, id: ContactMessageId) -> Result<Option<Message>, StorageError> {
        let Some(r) = cm::Entity::find_by_id(id.as_uuid())
            .one(self.conn())
            .await
            .map_err(err("failed to load a contact message"))?
        else {
            return Ok(None);
        };
        let subject = SubjectId::from_uuid(r.subject_id);
        let Some(key) = self.key(subject).await? else {
            return Ok(None);
        };
        let row = r.id;
        let name = key
            .open_str(&CONTACT_NAME, row, &r.name_enc)
            .map_err(decrypt)?;
        let email = key
            .open_str(&CONTACT_EMAIL, row, &r.email_enc)
            .map_err(decrypt)?;
        let message = key
            .open_str(&CONTACT_MESSAGE, row, &r.message_enc)
            .map_err(decrypt)?;
        let order_number = r
            .order_number_enc
            .as_deref()
            .map(|o| key.open_str(&CONTACT_ORDER_NUMBER, row, o))
            .transpose()
            .map_err(decrypt)?;
        let replies = cr::Entity::find()
            .filter(cr::Column::MessageId.eq(row))
            .order_by_asc(cr::Column::CreatedAt)
            .order_by_asc(cr::Column::Id)
            .all(self.conn())
            .await
            .map_err(err("failed to load answers"))?
            .into_iter()
            .map(|a| {
                Ok(Reply {
                    staff_id: a.staff_id.map(CustomerId::from_uuid),
                    body: key
                        .open_str(&CONTACT_REPLY, a.id, &a.body_enc)
                        .map_err(decrypt)?,
                    created_at: a.created_at,
                })
            })
            .collect::<Result<Vec<_>, StorageError>>()?;
        Ok(Some(Message {
            summary: summary(&r)?,
            subject,
            name: PersonName::parse(&name).map_err(|_| corrupt("name"))?,
            email: Email::parse(&email).map_err(|_| corrupt("e-mail"))?,
            message,
            order_number,
            replies,
        }))
    }

    async fn add_reply(
        &self,
        id: ContactMessageId,
        subject: SubjectId,
        staff: CustomerId,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let key = self.required_key(subject).await?;
        let reply = Uuid::now_v7();
        cr::Entity::insert(cr::ActiveModel {
            id: Set(reply),
            message_id: Set(id.as_uuid()),
            subject_id: Set(subject.as_uuid()),
            staff_id: Set(Some(staff.as_uuid())),
            body_enc: Set(key.seal_str(&CONTACT_REPLY, reply, body)),
            created_at: Set(now),
        })
        .exec_without_returning(self.conn())
        .await
        .map_err(err("failed to store an answer"))?;
        cm::Entity::update_many()
            .col_expr(
                cm::Column::Status,
                Expr::value(ContactStatus::Answered.as_str()),
            )
            .col_expr(cm::Column::AnsweredAt, Expr::value(now))
            .col_expr(cm::Column::UpdatedAt, Expr::value(now))
            .filter(cm::Column::Id.eq(id.as_uuid()))
            .exec(self.conn())
            .await
            .map_err(err("failed to mark a message answered"))?;
        Ok(())
    }

    async fn set_status(
        &self,
        id: ContactMessageId,
        status: ContactStatus,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        let r = cm::Entity::update_many()
            .col_expr(cm::Column::Status, Expr::value(status.as_str()))
            .col_expr(cm::Column::UpdatedAt, Expr::value(now))
            .filter(cm::Column::Id.eq(id.as_uuid()))
            .exec(self.conn())
            .await
            .map_err(err("failed to change a contact message"))?;
        Ok(r.rows_affected == 1)
    }

    async fn mark_request(
        &self,
        id: ContactMessageId,
        by: CustomerId,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        let r = cm::Entity::update_many()
            .col_expr(cm::Column::DsrRequestedAt, Expr::value(now))
            .col_expr(cm::Column::DsrRequestedBy, Expr::value(by.as_uuid()))
            .col_expr(cm::Column::UpdatedAt, Expr::value(now))
            .filter(cm::Column::Id.eq(id.as_uuid()))
            .filter(cm::Column::DsrRequestedAt.is_null())
            .exec(self.conn())
            .await
            .map_err(err("failed to hand a message over"))?;
        Ok(r.rows_affected == 1)
    }
}
