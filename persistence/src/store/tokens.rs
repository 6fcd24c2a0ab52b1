//! Single-use tokens, stored only as hashes.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::StorageError;
use domain::identity::{CustomerId, TokenPurpose, TokenRepo};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::{Conn, SqlRepos, err};
use crate::entities::auth_token;

#[async_trait]
impl<C: Conn> TokenRepo for SqlRepos<C> {
    async fn create(
        &self,
        owner: CustomerId,
        purpose: TokenPurpose,
        hash: Vec<u8>,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        auth_token::Entity::insert(auth_token::ActiveModel {
            id: Set(Uuid::now_v7()),
            customer_id: Set(owner.as_uuid()),
            purpose: Set(purpose.as_str().to_owned()),
            token_hash: Set(hash),
            created_at: Set(now),
            expires_at: Set(expires_at),
            used_at: Set(None),
        })
        .exec(self.conn())
        .await
        .map_err(err("failed to store a token"))?;
        Ok(())
    }

    async fn find_live(
        &self,
        purposes: &[TokenPurpose],
        hash: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Option<CustomerId>, StorageError> {
        Ok(auth_token::Entity::find()
            .filter(auth_token::Column::TokenHash.eq(hash.to_vec()))
            .filter(auth_token::Column::Purpose.is_in(purposes.iter().map(|p| p.as_str())))
            .filter(auth_token::Column::UsedAt.is_null())
            .filter(auth_token::Column::ExpiresAt.gt(now))
            .one(self.conn())
            .await
            .map_err(err("failed to look up a token"))?
            .map(|row| CustomerId::from_uuid(row.customer_id)))
    }

    async fn describe_live(
        &self,
        hash: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Option<(TokenPurpose, DateTime<Utc>)>, StorageError> {
        let Some(row) = auth_token::Entity::find()
            .filter(auth_token::Column::TokenHash.eq(hash.to_vec()))
            .filter(auth_token::Column::UsedAt.is_null())
            .filter(auth_token::Column::ExpiresAt.gt(now))
            .one(self.conn())
            .await
            .map_err(err("failed to look up a token"))?
        else {
            return Ok(None);
        };
        let purpose = match row.purpose.as_str() {
            "set_password" => TokenPurpose::SetPassword,
            "reset_password" => TokenPurpose::ResetPassword,
            _ => return Ok(None),
        };
        Ok(Some((purpose, row.expires_at)))
    }

    async fn consume(
        &self,
        purposes: &[TokenPurpose],
        hash: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Option<CustomerId>, StorageError> {
        // The conditional update comes first: it is what makes a token
        // single-use under concurrency, and it takes the write lock before
        // any read in the transaction.
        let res = auth_token::Entity::update_many()
            .col_expr(auth_token::Column::UsedAt, Expr::value(now))
            .filter(auth_token::Column::TokenHash.eq(hash.to_vec()))
            .filter(auth_token::Column::Purpose.is_in(purposes.iter().map(|p| p.as_str())))
            .filter(auth_token::Column::UsedAt.is_null())
            .filter(auth_token::Column::ExpiresAt.gt(now))
            .exec(self.conn())
            .await
            .map_err(err("failed to use a token"))?;
        if res.rows_affected != 1 {
            return Ok(None);
        }
        Ok(auth_token::Entity::find()
            .filter(auth_token::Column::TokenHash.eq(hash.to_vec()))
            .one(self.conn())
            .await
            .map_err(err("failed to load a token"))?
            .map(|row| CustomerId::from_uuid(row.customer_id)))
    }
}
