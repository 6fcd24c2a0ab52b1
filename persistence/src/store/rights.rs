//! Data-subject rights (DSR-1, DSR-2) over the sealed-field registry: the
//! export and the erasure find a person's rows by walking
//! [`PERSONAL_TABLES`] and [`SEALED`], never by a list kept by hand, so a
//! new personal table is in both as soon as it is registered.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::StorageError;
use domain::identity::CustomerId;
use domain::rights::{Held, RightsRepo};
use sea_orm::{FromQueryResult, JsonValue, Statement, Value};
use serde_json::Map;
use uuid::Uuid;

use super::{Conn, SqlRepos, err, sql_for, values_used};
use crate::sealed::{PERSONAL_TABLES, PersonalTable, SEALED, SealedColumn};
use crate::vault::DataKey;

/// The columns of a personal table (the registry lists them all: the
/// schema test makes sure).
fn columns(t: &PersonalTable) -> Vec<&'static str> {
    let mut c: Vec<&str> = t.clear.to_vec();
    c.extend(
        SEALED
            .iter()
            .filter(|s| s.table == t.name)
            .map(|s| s.column),
    );
    c
}

/// The condition naming a person's rows in `t`: their subjects (`$1`,
/// `$2`: the account and an attached guest subject) or account (`$1`),
/// directly or through the order, cart, complaint or message the row
/// belongs to. `None`: the table names no one.
fn owned_by(t: &PersonalTable) -> Option<String> {
    const ORDERS: &str = "(SELECT id FROM orders WHERE customer_id = $1 OR subject_id IN ($1, $2))";
    const CARTS: &str = "(SELECT id FROM carts WHERE customer_id = $1 OR subject_id IN ($1, $2))";
    let cols = columns(t);
    let has = |c: &str| cols.contains(&c);
    let mut any = Vec::new();
    match t.name {
        "customers" => any.push("id = $1".to_owned()),
        // What was done to the account, or by it (`$1`, `$2` as text).
        "audit_log" => any.push("(target = $1 OR actor = $2)".to_owned()),
        "guest_subjects" => any.push("(id = $2 OR customer_id = $1)".to_owned()),
        _ => {}
    }
    if has("subject_id") {
        any.push("subject_id IN ($1, $2)".to_owned());
    }
    if has("customer_id") {
        any.push("customer_id = $1".to_owned());
    }
    if has("order_id") {
        any.push(format!("order_id IN {ORDERS}"));
    }
    if has("cart_id") {
        any.push(format!("cart_id IN {CARTS}"));
    }
    if has("complaint_id") {
        any.push(format!(
            "complaint_id IN (SELECT id FROM complaints WHERE order_id IN {ORDERS})"
        ));
    }
    if has("message_id") {
        any.push(
            "message_id IN (SELECT id FROM contact_messages WHERE subject_id IN ($1, $2))"
                .to_owned(),
        );
    }
    (!any.is_empty()).then(|| format!("({})", any.join(" OR ")))
}

impl<C: Conn> SqlRepos<C> {
    async fn subjects_of(&self, customer: CustomerId) -> Result<Vec<Uuid>, StorageError> {
        let backend = self.conn().get_database_backend();
        let rows = self
            .conn()
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                sql_for(
                    backend,
                    "SELECT id FROM guest_subjects WHERE customer_id = $1",
                ),
                [customer.as_uuid().into()],
            ))
            .await
            .map_err(err("failed to find attached subjects"))?;
        let mut subjects = vec![customer.as_uuid()];
        for r in rows {
            subjects.push(
                r.try_get_by_index::<Uuid>(0)
                    .map_err(err("failed to read a subject"))?,
            );
        }
        Ok(subjects)
    }

    async fn data_key(
        &self,
        cache: &mut HashMap<Uuid, Option<DataKey>>,
        subject: Uuid,
    ) -> Result<Option<DataKey>, StorageError> {
        if let Some(k) = cache.get(&subject) {
            return Ok(k.clone());
        }
        let k = self.keystore().get(subject).await?;
        cache.insert(subject, k.clone());
        Ok(k)
    }

    /// One table's rows of the person, as JSON objects with sealed fields
    /// opened (text, or JSON when they hold JSON).
    async fn export_table(
        &self,
        t: &PersonalTable,
        condition: &str,
        customer: CustomerId,
        guest: Uuid,
        keys: &mut HashMap<Uuid, Option<DataKey>>,
    ) -> Result<Vec<JsonValue>, StorageError> {
        let backend = self.conn().get_database_backend();
        let sql = format!("SELECT * FROM {} WHERE {condition}", t.name);
        let values: Vec<Value> = if t.name == "audit_log" {
            vec![
                format!("customer:{customer}").into(),
                customer.to_string().into(),
            ]
        } else {
            vec![customer.as_uuid().into(), guest.into()]
        };
        let values = values_used(&sql, values);
        let rows = self
            .conn()
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                sql_for(backend, &sql),
                values,
            ))
            .await
            .map_err(err("failed to export a table"))?;
        let sealed: Vec<&SealedColumn> = SEALED.iter().filter(|s| s.table == t.name).collect();
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let JsonValue::Object(generic) = JsonValue::from_query_result(&r, "")
                .map_err(err("failed to read an exported row"))?
            else {
                continue;
            };
            let mut row = Map::new();
            for (name, v) in generic {
                if !crate::sealed::exported(&name) || sealed.iter().any(|s| s.column == name) {
                    continue;
                }
                // Ids read as UUIDs on every database (SQLite keeps bytes).
                let v = if (name == "id" || name.ends_with("_id")) && !v.is_string() {
                    r.try_get::<Option<Uuid>>("", &name)
                        .ok()
                        .flatten()
                        .map_or(v, |u| JsonValue::String(u.to_string()))
                } else {
                    v
                };
                row.insert(name, v);
            }
            let id: Option<Uuid> = r.try_get("", "id").ok();
            for s in &sealed {
                let blob: Option<Vec<u8>> = r
                    .try_get("", s.column)
                    .map_err(err("failed to read a sealed field"))?;
                let subject: Option<Uuid> = r.try_get("", s.subject_column).ok();
                let name = s.column.trim_end_matches("_enc").to_owned();
                let opened = match (blob, subject, id) {
                    (Some(b), Some(subject), Some(id)) => {
                        match self.data_key(keys, subject).await? {
                            Some(k) => k.open(s, id, &b).ok().map(|plain| {
                                serde_json::from_slice(&plain).unwrap_or_else(|_| {
                                    JsonValue::String(String::from_utf8_lossy(&plain).into_owned())
                                })
                            }),
                            None => None,
                        }
                    }
                    _ => None,
                };
                row.insert(name, opened.unwrap_or(JsonValue::Null));
            }
            out.push(JsonValue::Object(row));
        }
        Ok(out)
    }
}

#[async_trait]
impl<C: Conn> RightsRepo for SqlRepos<C> {
    async fn export(&self, customer: CustomerId) -> Result<Map<String, JsonValue>, StorageError> {
        let subjects = self.subjects_of(customer).await?;
        let mut keys = HashMap::new();
        let mut tables = Map::new();
        for t in PERSONAL_TABLES {
            let Some(condition) = owned_by(t) else {
                continue;
            };
            let mut rows = Vec::new();
            for guest in &subjects {
                for row in self
                    .export_table(t, &condition, customer, *guest, &mut keys)
                    .await?
                {
                    if !rows.contains(&row) {
                        rows.push(row);
                    }
                }
            }
            tables.insert(t.name.to_owned(), JsonValue::Array(rows));
        }
        Ok(tables)
    }

    async fn held(&self, customer: CustomerId) -> Result<Held, StorageError> {
        let backend = self.conn().get_database_backend();
        let one = |sql: &str| {
            Statement::from_sql_and_values(
                backend,
                sql_for(backend, sql),
                [customer.as_uuid().into()],
            )
        };
        let invoices = self
            .conn()
            .query_one_raw(one(
                "SELECT COUNT(*) AS n, MAX(issued_at) AS last FROM invoices WHERE order_id IN (SELECT id FROM orders WHERE customer_id = $1 OR subject_id = $1)",
            ))
            .await
            .map_err(err("failed to count invoices"))?;
        let (invoices, last_invoice): (i64, Option<DateTime<Utc>>) = match invoices {
            Some(r) => (
                r.try_get("", "n")
                    .map_err(err("failed to count invoices"))?,
                r.try_get("", "last").ok().flatten(),
            ),
            None => (0, None),
        };
        let subjects = self.subjects_of(customer).await?;
        let mut consents = 0i64;
        for s in &subjects {
            let r = self
                .conn()
                .query_one_raw(Statement::from_sql_and_values(
                    backend,
                    sql_for(
                        backend,
                        "SELECT COUNT(*) AS n FROM consent_events WHERE subject_id = $1",
                    ),
                    [(*s).into()],
                ))
                .await
                .map_err(err("failed to count consents"))?;
            if let Some(r) = r {
                consents += r
                    .try_get::<i64>("", "n")
                    .map_err(err("failed to count consents"))?;
            }
        }
        Ok(Held {
            invoices: u64::try_from(invoices).unwrap_or(0),
            last_invoice,
            consent_events: u64::try_from(consents).unwrap_or(0),
        })
    }

    async fn erase(
        &self,
        customer: CustomerId,
        now: DateTime<Utc>,
    ) -> Result<Vec<(String, u64)>, StorageError> {
        // Counted before the rows go: what the receipt says was erased.
        let exported = self.export(customer).await?;
        self.erase_customer(customer, now).await?;
        Ok(exported
            .into_iter()
            .filter(|(t, _)| !KEPT.contains(&t.as_str()))
            .map(|(t, rows)| (t, rows.as_array().map_or(0, |r| r.len() as u64)))
            .filter(|(_, n)| *n > 0)
            .collect())
    }
}

/// Tables an erasure leaves for their own period: the legal archive, the
/// proof of consent, the security log.
const KEPT: &[&str] = &["invoices", "consent_events", "audit_log"];
