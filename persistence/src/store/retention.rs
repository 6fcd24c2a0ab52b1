//! The purges of the retention rules (RET-1..6), one batch per call: each
//! statement names its batch by the same ordered, limited subquery, so
//! what goes with an item (an order's events, a cart's lines) goes in the
//! same unit of work, and nothing else. Statements are written once with
//! `$n` parameters; SQLite reads them as `?n`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::StorageError;
use domain::audit::{Actor, AuditAction, AuditTarget, AuditTrail, NewAuditEntry};
use domain::identity::CustomerId;
use domain::retention::{Category, Limits, RetentionRepo};
use sea_orm::{Statement, Value};
use uuid::Uuid;

use super::{Conn, SqlRepos, err, sql_for, values_used};

/// Orders in these statuses, past the cutoff, by id.
fn orders_in(statuses: &str) -> String {
    format!(
        "SELECT id FROM orders WHERE status IN ({statuses}) AND status_changed_at < $1 ORDER BY id LIMIT $2"
    )
}

/// What goes with a batch of orders (`batch` selects their ids), the
/// orders last. Invoices stay: they are the legal archive's.
fn order_purge(batch: &str) -> Vec<String> {
    vec![
        format!(
            "DELETE FROM complaint_messages WHERE complaint_id IN (SELECT id FROM complaints WHERE order_id IN ({batch}))"
        ),
        format!("DELETE FROM complaints WHERE order_id IN ({batch})"),
        format!("DELETE FROM refunds WHERE order_id IN ({batch})"),
        format!("DELETE FROM download_counts WHERE order_id IN ({batch})"),
        format!("DELETE FROM coupon_uses WHERE order_id IN ({batch})"),
        format!("DELETE FROM payments WHERE order_id IN ({batch})"),
        format!("DELETE FROM order_events WHERE order_id IN ({batch})"),
        format!(
            "DELETE FROM cart_lines WHERE cart_id IN (SELECT cart_id FROM orders WHERE id IN ({batch}))"
        ),
        format!(
            "DELETE FROM recently_viewed WHERE cart_id IN (SELECT cart_id FROM orders WHERE id IN ({batch}))"
        ),
        format!("DELETE FROM carts WHERE id IN (SELECT cart_id FROM orders WHERE id IN ({batch}))"),
        format!("DELETE FROM orders WHERE id IN ({batch})"),
    ]
}

/// `DELETE FROM table WHERE key IN (batch)`, with what goes with it first.
fn simple(table: &str, key: &str, batch: &str, before: &[String]) -> Vec<String> {
    let mut v = before.to_vec();
    v.push(format!("DELETE FROM {table} WHERE {key} IN ({batch})"));
    v
}

/// The statements of one batch of `c` (the last one's row count is the
/// batch's size) and the query that counts all of it. Parameters: `$1`
/// the cutoff, `$2` the batch size, `$3` now.
fn plan(c: Category) -> (Vec<String>, String) {
    let (batch, statements) = match c {
        Category::Carts => {
            let b = "SELECT id FROM carts WHERE status <> 'checked_out' AND last_activity_at < $1 ORDER BY id LIMIT $2";
            (
                b.to_owned(),
                simple(
                    "carts",
                    "id",
                    b,
                    &[
                        format!("DELETE FROM recently_viewed WHERE cart_id IN ({b})"),
                        format!("DELETE FROM cart_lines WHERE cart_id IN ({b})"),
                    ],
                ),
            )
        }
        Category::UnpaidOrders => {
            let b = orders_in("'pending_payment', 'failed'");
            let s = order_purge(&b);
            (b, s)
        }
        Category::CancelledOrders => {
            let b = orders_in("'cancelled'");
            let s = order_purge(&b);
            (b, s)
        }
        Category::ClosedOrders => {
            let b = orders_in("'completed', 'refunded', 'partially_refunded'");
            let s = order_purge(&b);
            (b, s)
        }
        Category::LegalArchive => one(
            "invoices",
            "id",
            "SELECT id FROM invoices WHERE issued_at < $1 ORDER BY id LIMIT $2",
        ),
        Category::Sessions => one(
            "sessions",
            "id",
            "SELECT id FROM sessions WHERE expires_at < $1 OR revoked_at < $1 ORDER BY id LIMIT $2",
        ),
        Category::LinkTokens => one(
            "auth_tokens",
            "id",
            "SELECT id FROM auth_tokens WHERE expires_at < $1 OR used_at < $1 ORDER BY id LIMIT $2",
        ),
        Category::SecurityCounters => one(
            "security_counters",
            "\"key\"",
            "SELECT \"key\" FROM security_counters WHERE updated_at < $1 AND (blocked_until IS NULL OR blocked_until < $3) ORDER BY \"key\" LIMIT $2",
        ),
        Category::SentMail => one(
            "outbox",
            "id",
            "SELECT id FROM outbox WHERE status IN ('sent', 'failed') AND created_at < $1 ORDER BY id LIMIT $2",
        ),
        Category::IdempotencyRecords => one(
            "idempotency_records",
            "id",
            "SELECT id FROM idempotency_records WHERE created_at < $1 ORDER BY id LIMIT $2",
        ),
        Category::ConsentProofs => {
            let gone = "subject_id NOT IN (SELECT id FROM customers) AND subject_id NOT IN (SELECT id FROM guest_subjects)";
            let b = format!(
                "SELECT id FROM consent_events WHERE at < $1 AND {gone} ORDER BY id LIMIT $2"
            );
            // Their consent state went with the subject.
            let s = simple("consent_events", "id", &b, &[]);
            (b, s)
        }
        Category::UnconfirmedSubscriptions => one(
            "newsletter_subscribers",
            "id",
            "SELECT id FROM newsletter_subscribers WHERE status = 'pending' AND created_at < $1 ORDER BY id LIMIT $2",
        ),
        Category::EndedSubscriptions => one(
            "newsletter_subscribers",
            "id",
            "SELECT id FROM newsletter_subscribers WHERE status = 'unsubscribed' AND updated_at < $1 ORDER BY id LIMIT $2",
        ),
        Category::IdleSubscribers => one(
            "newsletter_subscribers",
            "id",
            "SELECT id FROM newsletter_subscribers WHERE status = 'confirmed' AND updated_at < $1 ORDER BY id LIMIT $2",
        ),
        Category::ContactMessages => {
            let b = "SELECT id FROM contact_messages WHERE updated_at < $1 ORDER BY id LIMIT $2";
            (
                b.to_owned(),
                simple(
                    "contact_messages",
                    "id",
                    b,
                    &[format!(
                        "DELETE FROM contact_replies WHERE message_id IN ({b})"
                    )],
                ),
            )
        }
        Category::UnapprovedComments => one(
            "article_comments",
            "id",
            "SELECT id FROM article_comments WHERE status IN ('pending', 'spam') AND created_at < $1 ORDER BY id LIMIT $2",
        ),
        Category::PaymentEvents => one(
            "payment_events",
            "event_id",
            "SELECT event_id FROM payment_events WHERE received_at < $1 ORDER BY event_id LIMIT $2",
        ),
        Category::PrivacyRequests => one(
            "privacy_requests",
            "id",
            "SELECT id FROM privacy_requests WHERE created_at < $1 ORDER BY id LIMIT $2",
        ),
        Category::DpoRequests => one(
            "dpo_requests",
            "id",
            "SELECT id FROM dpo_requests WHERE status = 'fulfilled' AND updated_at < $1 ORDER BY id LIMIT $2",
        ),
        Category::DownloadLog => one(
            "download_log",
            "id",
            "SELECT id FROM download_log WHERE at < $1 ORDER BY id LIMIT $2",
        ),
        Category::RecentlyViewed => one(
            "recently_viewed",
            "id",
            "SELECT id FROM recently_viewed WHERE viewed_at < $1 ORDER BY id LIMIT $2",
        ),
        Category::ClosedComplaints => {
            let b = "SELECT id FROM complaints WHERE closed_at < $1 ORDER BY id LIMIT $2";
            (
                b.to_owned(),
                simple(
                    "complaints",
                    "id",
                    b,
                    &[format!(
                        "DELETE FROM complaint_messages WHERE complaint_id IN ({b})"
                    )],
                ),
            )
        }
        // Subjects: their keys are destroyed one by one (see `purge`).
        Category::InactiveAccounts => (INACTIVE.to_owned(), Vec::new()),
        Category::IdleGuests => (IDLE_GUESTS.to_owned(), Vec::new()),
        Category::WebhookDeliveries => one(
            "webhook_deliveries",
            "id",
            "SELECT id FROM webhook_deliveries WHERE status IN ('delivered', 'failed') AND created_at < $1 ORDER BY id LIMIT $2",
        ),
        Category::EndedApiKeys => one(
            "api_keys",
            "id",
            "SELECT id FROM api_keys WHERE revoked_at < $1 OR expires_at < $1 ORDER BY id LIMIT $2",
        ),
        // A prefix of the chain, with its anchor (see `purge`).
        Category::AuditLog => (
            "SELECT seq FROM audit_log WHERE at < $1 ORDER BY seq LIMIT $2".to_owned(),
            Vec::new(),
        ),
    };
    let count = format!("SELECT COUNT(*) AS n FROM ({batch}) AS due");
    (statements, count)
}

fn one(table: &str, key: &str, batch: &str) -> (String, Vec<String>) {
    (batch.to_owned(), simple(table, key, batch, &[]))
}

/// Customers (never staff) inactive since the cutoff, warned since their
/// last activity, and long enough ago (`$3`).
const INACTIVE: &str = "SELECT id FROM customers WHERE role = 'customer' AND restricted_at IS NULL AND last_active_at < $1 AND inactivity_warned_at IS NOT NULL AND inactivity_warned_at >= last_active_at AND inactivity_warned_at < $3 ORDER BY id LIMIT $2";

/// Guests not attached to an account, idle since the cutoff, of whom no
/// data remains (consent proofs have their own period).
const IDLE_GUESTS: &str = "SELECT id FROM guest_subjects g WHERE customer_id IS NULL AND last_used_at < $1 \
    AND NOT EXISTS (SELECT 1 FROM orders WHERE subject_id = g.id) \
    AND NOT EXISTS (SELECT 1 FROM carts WHERE subject_id = g.id) \
    AND NOT EXISTS (SELECT 1 FROM newsletter_subscribers WHERE subject_id = g.id) \
    AND NOT EXISTS (SELECT 1 FROM contact_messages WHERE subject_id = g.id) \
    AND NOT EXISTS (SELECT 1 FROM article_comments WHERE subject_id = g.id) \
    AND NOT EXISTS (SELECT 1 FROM complaints WHERE subject_id = g.id) \
    AND NOT EXISTS (SELECT 1 FROM download_log WHERE subject_id = g.id) \
    AND NOT EXISTS (SELECT 1 FROM outbox WHERE subject_id = g.id) \
    ORDER BY id LIMIT $2";

/// Everything of a customer's subjects (`$1`: the account, `$2`: an
/// attached guest subject, or the account again), the account last.
const ERASE_CUSTOMER: &[&str] = &[
    "DELETE FROM complaint_messages WHERE complaint_id IN (SELECT id FROM complaints WHERE order_id IN (SELECT id FROM orders WHERE customer_id = $1 OR subject_id IN ($1, $2)))",
    "DELETE FROM complaints WHERE order_id IN (SELECT id FROM orders WHERE customer_id = $1 OR subject_id IN ($1, $2))",
    "DELETE FROM refunds WHERE order_id IN (SELECT id FROM orders WHERE customer_id = $1 OR subject_id IN ($1, $2))",
    "DELETE FROM download_counts WHERE order_id IN (SELECT id FROM orders WHERE customer_id = $1 OR subject_id IN ($1, $2))",
    "DELETE FROM coupon_uses WHERE order_id IN (SELECT id FROM orders WHERE customer_id = $1 OR subject_id IN ($1, $2))",
    "DELETE FROM payments WHERE order_id IN (SELECT id FROM orders WHERE customer_id = $1 OR subject_id IN ($1, $2))",
    "DELETE FROM order_events WHERE order_id IN (SELECT id FROM orders WHERE customer_id = $1 OR subject_id IN ($1, $2))",
    "DELETE FROM orders WHERE customer_id = $1 OR subject_id IN ($1, $2)",
    "DELETE FROM recently_viewed WHERE customer_id = $1 OR cart_id IN (SELECT id FROM carts WHERE customer_id = $1 OR subject_id IN ($1, $2))",
    "DELETE FROM cart_lines WHERE cart_id IN (SELECT id FROM carts WHERE customer_id = $1 OR subject_id IN ($1, $2))",
    "DELETE FROM carts WHERE customer_id = $1 OR subject_id IN ($1, $2)",
    "DELETE FROM reviews WHERE customer_id = $1",
    "DELETE FROM newsletter_subscribers WHERE subject_id IN ($1, $2)",
    "DELETE FROM contact_replies WHERE message_id IN (SELECT id FROM contact_messages WHERE subject_id IN ($1, $2))",
    "DELETE FROM contact_messages WHERE subject_id IN ($1, $2)",
    "DELETE FROM article_comments WHERE subject_id IN ($1, $2)",
    "DELETE FROM download_log WHERE subject_id IN ($1, $2)",
    "DELETE FROM outbox WHERE subject_id IN ($1, $2) AND status = 'pending'",
    "DELETE FROM consent_state WHERE subject_id IN ($1, $2)",
    "DELETE FROM security_counters WHERE customer_id = $1",
    "DELETE FROM guest_subjects WHERE id = $2 AND customer_id = $1",
];

/// The account's own rows, once every subject of it is gone.
const ERASE_ACCOUNT: &[&str] = &[
    "DELETE FROM auth_tokens WHERE customer_id = $1",
    "DELETE FROM sessions WHERE customer_id = $1",
    "DELETE FROM customer_addresses WHERE customer_id = $1",
    "DELETE FROM customers WHERE id = $1",
    // A guest erased at their request (DSR-4): their subject goes too.
    "DELETE FROM guest_subjects WHERE id = $1",
];

impl<C: Conn> SqlRepos<C> {
    async fn exec(&self, sql: &str, values: Vec<Value>) -> Result<u64, StorageError> {
        let backend = self.conn().get_database_backend();
        let used = values_used(sql, values);
        Ok(self
            .conn()
            .execute_raw(Statement::from_sql_and_values(
                backend,
                sql_for(backend, sql),
                used,
            ))
            .await
            .map_err(err("failed to purge"))?
            .rows_affected())
    }

    async fn ids(&self, sql: &str, values: Vec<Value>) -> Result<Vec<Uuid>, StorageError> {
        let backend = self.conn().get_database_backend();
        let used = values_used(sql, values);
        self.conn()
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                sql_for(backend, sql),
                used,
            ))
            .await
            .map_err(err("failed to find what to purge"))?
            .into_iter()
            .map(|r| {
                r.try_get_by_index::<Uuid>(0)
                    .map_err(err("failed to read what to purge"))
            })
            .collect()
    }

    /// Erases a customer account and everything of its subjects (its own,
    /// and the guest subjects attached to it): their data keys are
    /// destroyed first, so nothing of theirs can be read again, even in a
    /// backup; then the rows go. Consent proofs stay for their period,
    /// unreadable where sealed.
    pub(crate) async fn erase_customer(
        &self,
        id: CustomerId,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let account = id.as_uuid();
        let mut subjects = vec![account];
        subjects.extend(
            self.ids(
                "SELECT id FROM guest_subjects WHERE customer_id = $1",
                vec![account.into()],
            )
            .await?,
        );
        // Integrations hear of it in the same unit of work (customer.erased):
        // every erasure, asked for or by retention, comes through here.
        let mut orders = Vec::new();
        for s in &subjects {
            orders.extend(
                self.ids(
                    "SELECT id FROM orders WHERE subject_id = $1 OR customer_id = $1",
                    vec![(*s).into()],
                )
                .await?,
            );
        }
        orders.sort_unstable();
        orders.dedup();
        domain::integration::emit(
            self,
            domain::integration::EventType::CustomerErased,
            serde_json::json!({
                "customer_id": account.to_string(),
                "order_ids": orders.iter().map(ToString::to_string).collect::<Vec<_>>(),
            }),
            None,
            now,
        )
        .await?;
        for s in &subjects {
            self.keystore().destroy(*s, now).await?;
        }
        for s in &subjects {
            for sql in ERASE_CUSTOMER {
                self.exec(sql, vec![account.into(), (*s).into()]).await?;
            }
        }
        for sql in ERASE_ACCOUNT {
            self.exec(sql, vec![account.into()]).await?;
        }
        Ok(())
    }

    /// Drops a prefix of the audit chain and moves its anchor, so the rest
    /// still verifies from the last entry dropped.
    async fn prune_audit(&self, l: &Limits, limit: u64) -> Result<u64, StorageError> {
        use sea_orm::{EntityTrait, QueryOrder, QuerySelect};

        use crate::entities::{audit_entry, audit_head};
        let first: Vec<audit_entry::Model> = audit_entry::Entity::find()
            .order_by_asc(audit_entry::Column::Seq)
            .limit(limit)
            .all(self.conn())
            .await
            .map_err(err("failed to read the audit log"))?;
        let Some(last) = first.iter().take_while(|e| e.at < l.cutoff).last() else {
            return Ok(0);
        };
        let n = self
            .exec(
                "DELETE FROM audit_log WHERE seq <= $1",
                vec![last.seq.into()],
            )
            .await?;
        audit_head::Entity::update_many()
            .col_expr(
                audit_head::Column::PrunedSeq,
                sea_orm::sea_query::Expr::value(last.seq),
            )
            .col_expr(
                audit_head::Column::PrunedHash,
                sea_orm::sea_query::Expr::value(last.hash.clone()),
            )
            .exec(self.conn())
            .await
            .map_err(err("failed to move the audit anchor"))?;
        Ok(n)
    }
}

/// `$1` the cutoff, `$2` the batch size, `$3` now (security counters:
/// blocks still running stay) or the warnings' limit (inactive accounts).
fn params(c: Category, l: &Limits, limit: u64) -> Vec<Value> {
    vec![
        l.cutoff.into(),
        i64::try_from(limit).unwrap_or(i64::MAX).into(),
        if c == Category::SecurityCounters {
            l.now.into()
        } else {
            l.warned_before.into()
        },
    ]
}

#[async_trait]
impl<C: Conn> RetentionRepo for SqlRepos<C> {
    async fn count(&self, c: Category, l: &Limits) -> Result<u64, StorageError> {
        let (_, count) = plan(c);
        let backend = self.conn().get_database_backend();
        let used = values_used(&count, params(c, l, u64::MAX));
        let row = self
            .conn()
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                sql_for(backend, &count),
                used,
            ))
            .await
            .map_err(err("failed to count what to purge"))?;
        let n: i64 = match row {
            Some(r) => r
                .try_get("", "n")
                .map_err(err("failed to count what to purge"))?,
            None => 0,
        };
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn purge(&self, c: Category, l: &Limits, limit: u64) -> Result<u64, StorageError> {
        let values = params(c, l, limit);
        match c {
            Category::AuditLog => return self.prune_audit(l, limit).await,
            Category::InactiveAccounts => {
                let due = self.ids(INACTIVE, values).await?;
                for id in &due {
                    let id = CustomerId::from_uuid(*id);
                    self.erase_customer(id, l.now).await?;
                    self.append(
                        NewAuditEntry::new(
                            Actor::System,
                            AuditAction::SubjectKeyDestroyed,
                            Some(AuditTarget::Customer(id)),
                            None,
                        )
                        .because("account inactive past its retention period (RET-2)"),
                        l.now,
                    )
                    .await?;
                }
                return Ok(due.len() as u64);
            }
            Category::IdleGuests => {
                let due = self.ids(IDLE_GUESTS, values).await?;
                for g in &due {
                    self.keystore().destroy(*g, l.now).await?;
                    self.exec(
                        "DELETE FROM consent_state WHERE subject_id = $1",
                        vec![(*g).into()],
                    )
                    .await?;
                    self.exec(
                        "DELETE FROM guest_subjects WHERE id = $1",
                        vec![(*g).into()],
                    )
                    .await?;
                }
                return Ok(due.len() as u64);
            }
            _ => {}
        }
        let (statements, _) = plan(c);
        let mut last = 0;
        for sql in &statements {
            last = self.exec(sql, values.clone()).await?;
        }
        Ok(last)
    }

    async fn to_warn(
        &self,
        cutoff: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<CustomerId>, StorageError> {
        Ok(self
            .ids(
                "SELECT id FROM customers WHERE role = 'customer' AND restricted_at IS NULL AND last_active_at < $1 AND (inactivity_warned_at IS NULL OR inactivity_warned_at < last_active_at) ORDER BY id LIMIT $2",
                vec![cutoff.into(), i64::try_from(limit).unwrap_or(i64::MAX).into()],
            )
            .await?
            .into_iter()
            .map(CustomerId::from_uuid)
            .collect())
    }

    async fn warned(&self, id: CustomerId, now: DateTime<Utc>) -> Result<(), StorageError> {
        self.exec(
            "UPDATE customers SET inactivity_warned_at = $1 WHERE id = $2",
            vec![now.into(), id.as_uuid().into()],
        )
        .await?;
        Ok(())
    }
}
