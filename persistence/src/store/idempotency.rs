//! Idempotency records. The claim is one `INSERT ... ON CONFLICT DO NOTHING`
//! on the unique (caller, key hash) index, so of concurrent requests with
//! one key exactly one inserts its row. An account's recorded answer is
//! sealed under the account's key; an anonymous caller's is kept in clear
//! (see [`crate::sealed`]).

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use domain::StorageError;
use domain::idempotency::{
    Caller, ClaimId, IdempotencyRecord, IdempotencyRepo, IdempotentRequest, RecordedAnswer,
};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};

use super::{Conn, SqlRepos, corrupt, err};
use crate::entities::idempotency_record as ir;
use crate::sealed::IDEMPOTENCY_RESPONSE;

/// The stored form of an answer.
#[derive(Serialize, Deserialize)]
struct Stored {
    status: u16,
    headers: Vec<(String, String)>,
    /// Base64.
    body: String,
}

fn encode(answer: &RecordedAnswer) -> Result<Vec<u8>, StorageError> {
    serde_json::to_vec(&Stored {
        status: answer.status,
        headers: answer.headers.clone(),
        body: STANDARD.encode(&answer.body),
    })
    .map_err(|e| StorageError::new("failed to encode an answer", e))
}

fn decode(bytes: &[u8]) -> Result<RecordedAnswer, StorageError> {
    let s: Stored = serde_json::from_slice(bytes).map_err(|_| corrupt("idempotency answer"))?;
    Ok(RecordedAnswer {
        status: s.status,
        headers: s.headers,
        body: STANDARD
            .decode(s.body)
            .map_err(|_| corrupt("idempotency answer"))?,
    })
}

#[async_trait]
impl<C: Conn> IdempotencyRepo for SqlRepos<C> {
    async fn insert(
        &self,
        id: ClaimId,
        caller: &Caller,
        request: &IdempotentRequest,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        let inserted = ir::Entity::insert(ir::ActiveModel {
            id: Set(id.as_uuid()),
            caller: Set(caller.stored()),
            key_hash: Set(request.key_hash().to_vec()),
            subject_id: Set(caller.subject().map(|s| s.as_uuid())),
            fingerprint: Set(request.fingerprint().to_vec()),
            created_at: Set(now),
            completed_at: Set(None),
            response_enc: Set(None),
            response: Set(None),
        })
        .on_conflict(
            OnConflict::columns([ir::Column::Caller, ir::Column::KeyHash])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(self.conn())
        .await
        .map_err(err("failed to claim an idempotency key"))?;
        Ok(inserted == 1)
    }

    async fn get(
        &self,
        caller: &Caller,
        request: &IdempotentRequest,
    ) -> Result<Option<IdempotencyRecord>, StorageError> {
        let Some(row) = ir::Entity::find()
            .filter(ir::Column::Caller.eq(caller.stored()))
            .filter(ir::Column::KeyHash.eq(request.key_hash().to_vec()))
            .one(self.conn())
            .await
            .map_err(err("failed to load an idempotency record"))?
        else {
            return Ok(None);
        };
        let answer = match (&row.response_enc, &row.response, caller.subject()) {
            (Some(sealed), None, Some(subject)) => {
                let json = self
                    .required_key(subject)
                    .await?
                    .open(&IDEMPOTENCY_RESPONSE, row.id, sealed)
                    .map_err(|e| StorageError::new("failed to decrypt an answer", e))?;
                Some(decode(&json)?)
            }
            (None, Some(clear), None) => Some(decode(clear)?),
            (None, None, _) => None,
            _ => return Err(corrupt("idempotency answer")),
        };
        Ok(Some(IdempotencyRecord {
            id: ClaimId::from_uuid(row.id),
            fingerprint: row.fingerprint,
            created_at: row.created_at,
            answer,
        }))
    }

    async fn complete(
        &self,
        caller: &Caller,
        id: ClaimId,
        answer: &RecordedAnswer,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        let encoded = encode(answer)?;
        let (column, value) = match caller.subject() {
            Some(subject) => (
                ir::Column::ResponseEnc,
                self.required_key(subject).await?.seal(
                    &IDEMPOTENCY_RESPONSE,
                    id.as_uuid(),
                    &encoded,
                ),
            ),
            // Anonymous callers' answers name no one (see the registry).
            None => (ir::Column::Response, encoded),
        };
        let res = ir::Entity::update_many()
            .col_expr(column, Expr::value(value))
            .col_expr(ir::Column::CompletedAt, Expr::value(now))
            .filter(ir::Column::Id.eq(id.as_uuid()))
            .filter(ir::Column::Caller.eq(caller.stored()))
            .filter(ir::Column::CompletedAt.is_null())
            .exec(self.conn())
            .await
            .map_err(err("failed to record an answer"))?;
        Ok(res.rows_affected == 1)
    }

    async fn delete(&self, id: ClaimId) -> Result<bool, StorageError> {
        let res = ir::Entity::delete_by_id(id.as_uuid())
            .exec(self.conn())
            .await
            .map_err(err("failed to delete an idempotency record"))?;
        Ok(res.rows_affected == 1)
    }

    async fn purge(&self, before: DateTime<Utc>) -> Result<u64, StorageError> {
        let res = ir::Entity::delete_many()
            .filter(ir::Column::CreatedAt.lte(before))
            .exec(self.conn())
            .await
            .map_err(err("failed to purge idempotency records"))?;
        Ok(res.rows_affected)
    }
}
