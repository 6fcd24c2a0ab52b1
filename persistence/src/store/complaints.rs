//! Complaints and their threads: the complaint's fields in clear (ids,
//! kind, status, times), every message sealed under the order's subject.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::StorageError;
use domain::identity::CustomerId;
use domain::ids::{ComplaintId, OrderId};
use domain::shop::complaint::{
    Complaint, ComplaintFilter, ComplaintKind, ComplaintMessage, ComplaintRepo, ComplaintStatus,
    ComplaintSummary, NewComplaint,
};
use domain::subject::SubjectId;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::{Conn, SqlRepos, corrupt, err};
use crate::entities::{complaint, complaint_message as msg};
use crate::sealed::COMPLAINT_MESSAGE;

fn summary(r: &complaint::Model) -> Result<ComplaintSummary, StorageError> {
    Ok(ComplaintSummary {
        id: ComplaintId::from_uuid(r.id),
        order_id: OrderId::from_uuid(r.order_id),
        customer_id: r.customer_id.map(CustomerId::from_uuid),
        kind: ComplaintKind::parse(&r.kind).ok_or_else(|| corrupt("complaint kind"))?,
        status: ComplaintStatus::parse(&r.status).ok_or_else(|| corrupt("complaint status"))?,
        created_at: r.created_at,
        updated_at: r.updated_at,
        answered_at: r.answered_at,
        closed_at: r.closed_at,
    })
}

fn decrypt(e: impl std::error::Error + Send + Sync + 'static) -> StorageError {
    StorageError::new("failed to decrypt a complaint's message", e)
}

impl<C: Conn> SqlRepos<C> {
    /// Opens complaints' threads: `None` for those whose subject's key was
    /// destroyed.
    async fn threads(
        &self,
        rows: Vec<complaint::Model>,
    ) -> Result<Vec<Option<Complaint>>, StorageError> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let subjects: Vec<SubjectId> = rows
            .iter()
            .map(|r| SubjectId::from_uuid(r.subject_id))
            .collect();
        self.prefetch_keys(&subjects).await?;
        let mut messages: HashMap<Uuid, Vec<msg::Model>> = HashMap::new();
        for m in msg::Entity::find()
            .filter(msg::Column::ComplaintId.is_in(rows.iter().map(|r| r.id)))
            .order_by_asc(msg::Column::CreatedAt)
            .order_by_asc(msg::Column::Id)
            .all(self.conn())
            .await
            .map_err(err("failed to load complaints' messages"))?
        {
            messages.entry(m.complaint_id).or_default().push(m);
        }
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let subject = SubjectId::from_uuid(r.subject_id);
            let Some(key) = self.key(subject).await? else {
                out.push(None);
                continue;
            };
            let thread = messages
                .remove(&r.id)
                .unwrap_or_default()
                .into_iter()
                .map(|m| {
                    Ok(ComplaintMessage {
                        staff_id: m.staff_id.map(CustomerId::from_uuid),
                        body: key
                            .open_str(&COMPLAINT_MESSAGE, m.id, &m.body_enc)
                            .map_err(decrypt)?,
                        created_at: m.created_at,
                    })
                })
                .collect::<Result<Vec<_>, StorageError>>()?;
            out.push(Some(Complaint {
                summary: summary(&r)?,
                subject,
                messages: thread,
            }));
        }
        Ok(out)
    }
}

#[async_trait]
impl<C: Conn> ComplaintRepo for SqlRepos<C> {
    async fn insert(&self, c: &NewComplaint, now: DateTime<Utc>) -> Result<(), StorageError> {
        complaint::Entity::insert(complaint::ActiveModel {
            id: Set(c.id.as_uuid()),
            order_id: Set(c.order_id.as_uuid()),
            subject_id: Set(c.subject.as_uuid()),
            customer_id: Set(c.customer_id.map(|x| x.as_uuid())),
            kind: Set(c.kind.as_str().to_owned()),
            status: Set(ComplaintStatus::Open.as_str().to_owned()),
            created_at: Set(now),
            updated_at: Set(now),
            answered_at: Set(None),
            closed_at: Set(None),
        })
        .exec_without_returning(self.conn())
        .await
        .map_err(err("failed to store a complaint"))?;
        Ok(())
    }

    async fn add_message(
        &self,
        id: ComplaintId,
        subject: SubjectId,
        staff: Option<CustomerId>,
        body: &str,
        status: ComplaintStatus,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let key = self.required_key(subject).await?;
        let row = Uuid::now_v7();
        msg::Entity::insert(msg::ActiveModel {
            id: Set(row),
            complaint_id: Set(id.as_uuid()),
            subject_id: Set(subject.as_uuid()),
            staff_id: Set(staff.map(|s| s.as_uuid())),
            body_enc: Set(key.seal_str(&COMPLAINT_MESSAGE, row, body)),
            created_at: Set(now),
        })
        .exec_without_returning(self.conn())
        .await
        .map_err(err("failed to store a complaint's message"))?;
        let mut u = complaint::Entity::update_many()
            .col_expr(complaint::Column::Status, Expr::value(status.as_str()))
            .col_expr(complaint::Column::UpdatedAt, Expr::value(now));
        if staff.is_some() {
            u = u.col_expr(complaint::Column::AnsweredAt, Expr::value(now));
        }
        u.filter(complaint::Column::Id.eq(id.as_uuid()))
            .exec(self.conn())
            .await
            .map_err(err("failed to change a complaint"))?;
        Ok(())
    }

    async fn set_status(
        &self,
        id: ComplaintId,
        status: ComplaintStatus,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        let closed_at = (status == ComplaintStatus::Closed).then_some(now);
        let r = complaint::Entity::update_many()
            .col_expr(complaint::Column::Status, Expr::value(status.as_str()))
            .col_expr(complaint::Column::ClosedAt, Expr::value(closed_at))
            .col_expr(complaint::Column::UpdatedAt, Expr::value(now))
            .filter(complaint::Column::Id.eq(id.as_uuid()))
            .exec(self.conn())
            .await
            .map_err(err("failed to change a complaint"))?;
        Ok(r.rows_affected == 1)
    }

    async fn summary(&self, id: ComplaintId) -> Result<Option<ComplaintSummary>, StorageError> {
        complaint::Entity::find_by_id(id.as_uuid())
            .one(self.conn())
            .await
            .map_err(err("failed to load a complaint"))?
            .as_ref()
            .map(summary)
            .transpose()
    }

    async fn get(&self, id: ComplaintId) -> Result<Option<Complaint>, StorageError> {
        let Some(r) = complaint::Entity::find_by_id(id.as_uuid())
            .one(self.conn())
            .await
            .map_err(err("failed to load a complaint"))?
        else {
            return Ok(None);
        };
        Ok(self.threads(vec![r]).await?.into_iter().flatten().next())
    }

    async fn of_order(&self, order: OrderId) -> Result<Vec<Complaint>, StorageError> {
        let rows = complaint::Entity::find()
            .filter(complaint::Column::OrderId.eq(order.as_uuid()))
            .order_by_asc(complaint::Column::Id)
            .all(self.conn())
            .await
            .map_err(err("failed to load an order's complaints"))?;
        Ok(self.threads(rows).await?.into_iter().flatten().collect())
    }

    async fn list(
        &self,
        filter: &ComplaintFilter,
        limit: u64,
    ) -> Result<Vec<ComplaintSummary>, StorageError> {
        let mut q = complaint::Entity::find();
        if let Some(s) = filter.status {
            q = q.filter(complaint::Column::Status.eq(s.as_str()));
        }
        if let Some(k) = filter.kind {
            q = q.filter(complaint::Column::Kind.eq(k.as_str()));
        }
        if let Some(o) = filter.order {
            q = q.filter(complaint::Column::OrderId.eq(o.as_uuid()));
        }
        if let Some(b) = filter.before {
            q = q.filter(complaint::Column::Id.lt(b.as_uuid()));
        }
        q.order_by_desc(complaint::Column::Id)
            .limit(limit)
            .all(self.conn())
            .await
            .map_err(err("failed to list complaints"))?
            .iter()
            .map(summary)
            .collect()
    }
}
