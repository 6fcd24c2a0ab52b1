//! The security audit log (SEC-3): append-only, hash-chained. There is no
//! update or delete here, and no endpoint writes to it but through `append`.

use chrono::{DateTime, Utc};
use domain::StorageError;
use domain::audit::{AuditAction, AuditRecord, BrokenLink, chain_hash, verify_chain};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};

use crate::Db;
use crate::entities::{audit_entry, audit_head};

/// An event to record.
#[derive(Debug, Clone)]
pub struct NewAuditEntry {
    /// Who acted: an account id, `anonymous` or `system`.
    pub actor: String,
    /// What happened.
    pub action: AuditAction,
    /// What it happened to.
    pub target: Option<String>,
    /// Truncated source address.
    pub source: Option<String>,
    /// Why, or what kind of failure. Never personal data.
    pub reason: Option<String>,
}

/// Filters of the audit log listing.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only this action.
    pub action: Option<String>,
    /// Only this actor.
    pub actor: Option<String>,
    /// Only this target.
    pub target: Option<String>,
    /// From this instant.
    pub since: Option<DateTime<Utc>>,
    /// Before this instant.
    pub until: Option<DateTime<Utc>>,
    /// Entries older than this sequence number (pagination, newest first).
    pub before_seq: Option<i64>,
}

/// The result of a verification.
#[derive(Debug, Clone)]
pub struct Verification {
    /// Entries checked.
    pub checked: i64,
    /// The first broken link, if any.
    pub broken: Option<BrokenLink>,
}

/// The audit log repository.
#[derive(Debug, Clone)]
pub struct AuditLog {
    db: Db,
}

fn err(context: &'static str) -> impl Fn(sea_orm::DbErr) -> StorageError {
    move |e| StorageError::new(context, e)
}

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

impl AuditLog {
    /// The log on `db`.
    #[must_use]
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Appends inside the caller's transaction, so the entry lands with the change it records.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn append_in(
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
        let reason = entry
            .reason
            .map(|r| r.chars().take(500).collect::<String>());
        let hash = chain_hash(
            &head.last_hash,
            seq,
            now,
            &entry.actor,
            entry.action.as_str(),
            entry.target.as_deref(),
            entry.source.as_deref(),
            reason.as_deref(),
        );
        audit_entry::Entity::insert(audit_entry::ActiveModel {
            seq: Set(seq),
            at: Set(now),
            actor: Set(entry.actor),
            action: Set(entry.action.as_str().to_owned()),
            target: Set(entry.target),
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

    /// Appends in a transaction of its own.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn append(
        &self,
        entry: NewAuditEntry,
        now: DateTime<Utc>,
    ) -> Result<i64, StorageError> {
        let txn = self
            .db
            .conn()
            .begin()
            .await
            .map_err(err("failed to begin"))?;
        let seq = Self::append_in(&txn, entry, now).await?;
        txn.commit()
            .await
            .map_err(err("failed to commit an audit entry"))?;
        Ok(seq)
    }

    /// Entries matching `filter`, newest first.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn list(
        &self,
        filter: &AuditFilter,
        limit: u64,
    ) -> Result<Vec<AuditRecord>, StorageError> {
        let mut q = audit_entry::Entity::find();
        if let Some(a) = &filter.action {
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
            .all(self.db.conn())
            .await
            .map_err(err("failed to list the audit log"))?
            .into_iter()
            .map(to_record)
            .collect())
    }

    /// Walks the whole chain and reports the first broken link.
    ///
    /// # Errors
    /// Storage failure.
    pub async fn verify(&self) -> Result<Verification, StorageError> {
        let conn = self.db.conn();
        let (mut seq, mut prev) = (0i64, String::new());
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
        let head = audit_head::Entity::find_by_id(1)
            .one(conn)
            .await
            .map_err(err("failed to read the audit head"))?
            .ok_or_else(|| StorageError::msg("audit head missing"))?;
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
}
