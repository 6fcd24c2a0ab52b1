//! Customers' addresses, sealed whole (as JSON) under the owner's key.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::StorageError;
use domain::identity::{
    AddressId, AddressKind, AddressRepo, CustomerId, PostalAddress, StoredAddress,
};
use domain::subject::SubjectId;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::{Conn, SqlRepos, corrupt, err};
use crate::entities::customer_address;
use crate::sealed::ADDRESS;
use crate::vault::DataKey;

fn open(key: &DataKey, r: customer_address::Model) -> Result<StoredAddress, StorageError> {
    let json = key
        .open_str(&ADDRESS, r.id, &r.address_enc)
        .map_err(|e| StorageError::new("failed to decrypt an address", e))?;
    Ok(StoredAddress {
        id: AddressId::from_uuid(r.id),
        kind: r.kind.parse().map_err(|_| corrupt("address kind"))?,
        address: serde_json::from_str(&json).map_err(|_| corrupt("address"))?,
        created_at: r.created_at,
        updated_at: r.updated_at,
    })
}

impl<C: Conn> SqlRepos<C> {
    async fn seal_address(
        &self,
        owner: CustomerId,
        id: AddressId,
        address: &PostalAddress,
    ) -> Result<Vec<u8>, StorageError> {
        let key = self.required_key(SubjectId::customer(owner)).await?;
        let json = serde_json::to_string(address)
            .map_err(|e| StorageError::new("failed to encode an address", e))?;
        Ok(key.seal_str(&ADDRESS, id.as_uuid(), &json))
    }
}

#[async_trait]
impl<C: Conn> AddressRepo for SqlRepos<C> {
    async fn list(&self, owner: CustomerId) -> Result<Vec<StoredAddress>, StorageError> {
        let key = self.required_key(SubjectId::customer(owner)).await?;
        customer_address::Entity::find()
            .filter(customer_address::Column::CustomerId.eq(owner.as_uuid()))
            .order_by_asc(customer_address::Column::CreatedAt)
            .order_by_asc(customer_address::Column::Id)
            .all(self.conn())
            .await
            .map_err(err("failed to list addresses"))?
            .into_iter()
            .map(|r| open(&key, r))
            .collect()
    }

    async fn get(
        &self,
        owner: CustomerId,
        id: AddressId,
    ) -> Result<Option<StoredAddress>, StorageError> {
        let Some(row) = customer_address::Entity::find_by_id(id.as_uuid())
            .filter(customer_address::Column::CustomerId.eq(owner.as_uuid()))
            .one(self.conn())
            .await
            .map_err(err("failed to load an address"))?
        else {
            return Ok(None);
        };
        open(&self.required_key(SubjectId::customer(owner)).await?, row).map(Some)
    }

    async fn insert(
        &self,
        owner: CustomerId,
        id: AddressId,
        kind: AddressKind,
        address: &PostalAddress,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let sealed = self.seal_address(owner, id, address).await?;
        customer_address::Entity::insert(customer_address::ActiveModel {
            id: Set(id.as_uuid()),
            customer_id: Set(owner.as_uuid()),
            kind: Set(kind.as_str().to_owned()),
            address_enc: Set(sealed),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec(self.conn())
        .await
        .map_err(err("failed to add an address"))?;
        Ok(())
    }

    async fn update(
        &self,
        owner: CustomerId,
        id: AddressId,
        kind: AddressKind,
        address: &PostalAddress,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        let sealed = self.seal_address(owner, id, address).await?;
        let res = customer_address::Entity::update_many()
            .col_expr(customer_address::Column::Kind, Expr::value(kind.as_str()))
            .col_expr(customer_address::Column::AddressEnc, Expr::value(sealed))
            .col_expr(customer_address::Column::UpdatedAt, Expr::value(now))
            .filter(customer_address::Column::Id.eq(id.as_uuid()))
            .filter(customer_address::Column::CustomerId.eq(owner.as_uuid()))
            .exec(self.conn())
            .await
            .map_err(err("failed to update an address"))?;
        Ok(res.rows_affected == 1)
    }

    async fn delete(&self, owner: CustomerId, id: AddressId) -> Result<bool, StorageError> {
        let res = customer_address::Entity::delete_many()
            .filter(customer_address::Column::Id.eq(id.as_uuid()))
            .filter(customer_address::Column::CustomerId.eq(owner.as_uuid()))
            .exec(self.conn())
            .await
            .map_err(err("failed to delete an address"))?;
        Ok(res.rows_affected == 1)
    }
}
