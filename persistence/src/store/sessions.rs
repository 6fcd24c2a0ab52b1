//! Login sessions; the browser and source address are sealed under the
//! owner's key.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::StorageError;
use domain::identity::{CustomerId, NewSession, SessionId, SessionRepo, StoredSession};
use domain::subject::SubjectId;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::{Conn, SqlRepos, err};
use crate::entities::session;
use crate::sealed::{SESSION_IP, SESSION_USER_AGENT};
use crate::vault::DataKey;

fn to_session(r: session::Model, key: Option<&DataKey>) -> StoredSession {
    let user_agent = key.and_then(|k| {
        r.user_agent_enc
            .as_deref()
            .and_then(|u| k.open_str(&SESSION_USER_AGENT, r.id, u).ok())
    });
    StoredSession {
        id: SessionId::from_uuid(r.id),
        customer_id: CustomerId::from_uuid(r.customer_id),
        remember_me: r.remember_me,
        created_at: r.created_at,
        expires_at: r.expires_at,
        last_seen_at: r.last_seen_at,
        revoked_at: r.revoked_at,
        user_agent,
    }
}

#[async_trait]
impl<C: Conn> SessionRepo for SqlRepos<C> {
    async fn create(&self, s: &NewSession) -> Result<(), StorageError> {
        let key = self.required_key(SubjectId::customer(s.owner)).await?;
        let row = s.id.as_uuid();
        session::Entity::insert(session::ActiveModel {
            id: Set(row),
            customer_id: Set(s.owner.as_uuid()),
            remember_me: Set(s.remember_me),
            created_at: Set(s.created_at),
            expires_at: Set(s.expires_at),
            last_seen_at: Set(s.created_at),
            revoked_at: Set(None),
            user_agent_enc: Set(s
                .user_agent
                .as_deref()
                .map(|u| key.seal_str(&SESSION_USER_AGENT, row, u))),
            ip_enc: Set(s.ip.as_deref().map(|i| key.seal_str(&SESSION_IP, row, i))),
        })
        .exec(self.conn())
        .await
        .map_err(err("failed to open a session"))?;
        Ok(())
    }

    async fn get(&self, id: SessionId) -> Result<Option<StoredSession>, StorageError> {
        Ok(session::Entity::find_by_id(id.as_uuid())
            .one(self.conn())
            .await
            .map_err(err("failed to load a session"))?
            .map(|r| to_session(r, None)))
    }

    async fn live(
        &self,
        owner: CustomerId,
        now: DateTime<Utc>,
    ) -> Result<Vec<StoredSession>, StorageError> {
        let key = self.required_key(SubjectId::customer(owner)).await?;
        Ok(session::Entity::find()
            .filter(session::Column::CustomerId.eq(owner.as_uuid()))
            .filter(session::Column::RevokedAt.is_null())
            .filter(session::Column::ExpiresAt.gt(now))
            .order_by_desc(session::Column::CreatedAt)
            .all(self.conn())
            .await
            .map_err(err("failed to list sessions"))?
            .into_iter()
            .map(|r| to_session(r, Some(&key)))
            .collect())
    }

    async fn revoke(
        &self,
        owner: CustomerId,
        id: SessionId,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        let res = session::Entity::update_many()
            .col_expr(session::Column::RevokedAt, Expr::value(now))
            .filter(session::Column::Id.eq(id.as_uuid()))
            .filter(session::Column::CustomerId.eq(owner.as_uuid()))
            .filter(session::Column::RevokedAt.is_null())
            .exec(self.conn())
            .await
            .map_err(err("failed to revoke a session"))?;
        Ok(res.rows_affected == 1)
    }

    async fn revoke_others(
        &self,
        owner: CustomerId,
        keep: Option<SessionId>,
        now: DateTime<Utc>,
    ) -> Result<u64, StorageError> {
        let mut q = session::Entity::update_many()
            .col_expr(session::Column::RevokedAt, Expr::value(now))
            .filter(session::Column::CustomerId.eq(owner.as_uuid()))
            .filter(session::Column::RevokedAt.is_null());
        if let Some(keep) = keep {
            q = q.filter(session::Column::Id.ne(keep.as_uuid()));
        }
        Ok(q.exec(self.conn())
            .await
            .map_err(err("failed to revoke sessions"))?
            .rows_affected)
    }

    async fn renew(
        &self,
        id: SessionId,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        let res = session::Entity::update_many()
            .col_expr(session::Column::ExpiresAt, Expr::value(expires_at))
            .col_expr(session::Column::LastSeenAt, Expr::value(now))
            .filter(session::Column::Id.eq(id.as_uuid()))
            .filter(session::Column::RevokedAt.is_null())
            .filter(session::Column::ExpiresAt.gt(now))
            .exec(self.conn())
            .await
            .map_err(err("failed to renew a session"))?;
        Ok(res.rows_affected == 1)
    }

    async fn touch(&self, id: SessionId, now: DateTime<Utc>) -> Result<(), StorageError> {
        session::Entity::update_many()
            .col_expr(session::Column::LastSeenAt, Expr::value(now))
            .filter(session::Column::Id.eq(id.as_uuid()))
            .filter(session::Column::LastSeenAt.lt(now - chrono::Duration::minutes(1)))
            .exec(self.conn())
            .await
            .map_err(err("failed to touch a session"))?;
        Ok(())
    }
}
