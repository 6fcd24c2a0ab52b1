//! The security audit log (SEC-3): append-only, hash-chained. There is no
//! update or delete here; entries land with the unit of work they record.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::StorageError;
use domain::audit::{
    AuditFilter, AuditRecord, AuditTrail, BrokenLink, NewAuditEntry, Verification, chain_hash,
    verify_chain,
};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionSession,
};

use super::{Conn, SqlRepos, err};
use crate::entities::{audit_entry, audit_head};

fn to_record(r: audit_entry::Model) -> AuditRecord {
    AuditRecord {
        seq: r.seq,
        at: r.at,
        actor: r.actor,
        action: r.action,
        target: r.target,
        source: r.source,
        reason: r.reason,
        prev_hash: r.prev_hash,
        hash: r.hash,
    }
}

async fn append_on(
    conn: &impl ConnectionTrait,
    entry: NewAuditEntry,
    now: DateTime<Utc>,
) -> Result<i64, StorageError> {
    // Writing the head first takes the write lock (SQLite) or the row lock
    // (PostgreSQL), so concurrent appends queue instead of forking the chain.
    audit_head::Entity::update_many()
        .col_expr(
            audit_head::Column::LastSeq,
            Expr::col(audit_head::Column::LastSeq).add(1),
        )
        .filter(audit_head::Column::Id.eq(1))
        .exec(conn)
        .await
        .map_err(err("failed to append to the audit log"))?;
    let head = audit_head::Entity::find_by_id(1)
        .one(conn)
        .await
        .map_err(err("failed to read the audit head"))?
        .ok_or_else(|| StorageError::msg("audit head missing"))?;
    let seq = head.last_seq;
    let actor = entry.actor.to_string();
    let target = entry.target.map(|t| t.to_string());
    let reason = entry
        .reason
        .map(|r| r.chars().take(500).collect::<String>());
    let hash = chain_hash(
        &head.last_hash,
        seq,
        now,
        &actor,
        entry.action.as_str(),
        target.as_deref(),
        entry.source.as_deref(),
        reason.as_deref(),
    );
    audit_entry::Entity::insert(audit_entry::ActiveModel {
        seq: Set(seq),
        at: Set(now),
        actor: Set(actor),
        action: Set(entry.action.as_str().to_owned()),
        target: Set(target),
        source: Set(entry.source),
        reason: Set(reason),
        prev_hash: Set(head.last_hash),
        hash: Set(hash.clone()),
    })
    .exec(conn)
    .await
    .map_err(err("failed to append to the audit log"))?;
    audit_head::Entity::update_many()
        .col_expr(audit_head::Column::LastHash, Expr::value(hash))
        .filter(audit_head::Column::Id.eq(1))
        .exec(conn)
        .await
        .map_err(err("failed to append to the audit log"))?;
    Ok(seq)
}

/// Walks the whole chain on `conn` and reports the first broken link.
///
/// # Errors
/// Storage failure.
pub async fn verify_log(conn: &impl ConnectionTrait) -> Result<Verification, StorageError> {
    let head = audit_head::Entity::find_by_id(1)
        .one(conn)
        .await
        .map_err(err("failed to read the audit head"))?
        .ok_or_else(|| StorageError::msg("audit head missing"))?;
    // Entries past their retention period are gone: the chain starts
    // after the last one dropped.
    let (mut seq, mut prev) = (head.pruned_seq, head.pruned_hash.clone());
    loop {
        let batch: Vec<AuditRecord> = audit_entry::Entity::find()
            .filter(audit_entry::Column::Seq.gt(seq))
            .order_by_asc(audit_entry::Column::Seq)
            .limit(1000)
            .all(conn)
            .await
            .map_err(err("failed to read the audit log"))?
            .into_iter()
            .map(to_record)
            .collect();
        if batch.is_empty() {
            break;
        }
        match verify_chain(seq, &prev, &batch) {
            Ok((s, h)) => (seq, prev) = (s, h),
            Err(broken) => {
                return Ok(Verification {
                    checked: broken.seq - 1,
                    broken: Some(broken),
                });
            }
        }
    }
    // Entries removed from the end leave the head pointing past the log.
    if head.last_seq != seq || head.last_hash != prev {
        return Ok(Verification {
            checked: seq,
            broken: Some(BrokenLink {
                seq: seq + 1,
                problem: "the latest entries are missing",
            }),
        });
    }
    Ok(Verification {
        checked: seq,
        broken: None,
    })
}

#[async_trait]
impl<C: Conn> AuditTrail for SqlRepos<C> {
    async fn append(&self, entry: NewAuditEntry, at: DateTime<Utc>) -> Result<i64, StorageError> {
        // Its own transaction on the pool, a savepoint inside a unit of
        // work: the head update and the insert never come apart.
        let txn = self
            .conn()
            .begin()
            .await
            .map_err(err("failed to append to the audit log"))?;
        let seq = append_on(&txn, entry, at).await?;
        txn.commit()
            .await
            .map_err(err("failed to append to the audit log"))?;
        Ok(seq)
    }

    async fn list(
        &self,
        filter: &AuditFilter,
        limit: u64,
    ) -> Result<Vec<AuditRecord>, StorageError> {
        let mut q = audit_entry::Entity::find();
        if let Some(a) = filter.action {
            q = q.filter(audit_entry::Column::Action.eq(a.as_str()));
        }
        if let Some(a) = &filter.actor {
            q = q.filter(audit_entry::Column::Actor.eq(a.as_str()));
        }
        if let Some(t) = &filter.target {
            q = q.filter(audit_entry::Column::Target.eq(t.as_str()));
        }
        if let Some(s) = filter.since {
            q = q.filter(audit_entry::Column::At.gte(s));
        }
        if let Some(u) = filter.until {
            q = q.filter(audit_entry::Column::At.lt(u));
        }
        if let Some(b) = filter.before_seq {
            q = q.filter(audit_entry::Column::Seq.lt(b));
        }
        Ok(q.order_by_desc(audit_entry::Column::Seq)
            .limit(limit)
            .all(self.conn())
            .await
            .map_err(err("failed to list the audit log"))?
            .into_iter()
            .map(to_record)
            .collect())
    }

    async fn verify(&self) -> Result<Verification, StorageError> {
        verify_log(self.conn()).await
    }
}
