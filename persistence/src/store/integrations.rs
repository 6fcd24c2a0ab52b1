//! API keys and webhooks.

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use domain::StorageError;
use domain::identity::CustomerId;
use domain::ids::{ApiKeyId, OrderId, WebhookDeliveryId, WebhookEndpointId};
use domain::integration::{
    ApiKey, ApiKeyRepo, Delivery, DeliveryStatus, Endpoint, EventType, Scope, WebhookRepo,
};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};

use super::{Conn, SqlRepos, corrupt, err};
use crate::entities::{api_key, webhook_delivery, webhook_endpoint};

fn to_key(m: api_key::Model) -> Result<ApiKey, StorageError> {
    let scopes = m
        .scopes
        .split_whitespace()
        .map(|s| Scope::parse(s).ok_or_else(|| corrupt("api key scope")))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ApiKey {
        id: ApiKeyId::from_uuid(m.id),
        name: m.name,
        purpose: m.purpose,
        scopes,
        prefix: m.prefix,
        rate_per_minute: u32::try_from(m.rate_per_minute).unwrap_or(1),
        created_at: m.created_at,
        created_by: CustomerId::from_uuid(m.created_by),
        expires_at: m.expires_at,
        revoked_at: m.revoked_at,
        last_used_at: m.last_used_at,
        rotated_at: m.rotated_at,
        previous_prefix: m.previous_prefix,
        previous_until: m.previous_until,
    })
}

fn scopes(k: &ApiKey) -> String {
    k.scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

#[async_trait]
impl<C: Conn> ApiKeyRepo for SqlRepos<C> {
    async fn insert(&self, k: &ApiKey, hash: &[u8]) -> Result<(), StorageError> {
        api_key::Entity::insert(api_key::ActiveModel {
            id: Set(k.id.as_uuid()),
            name: Set(k.name.clone()),
            purpose: Set(k.purpose.clone()),
            scopes: Set(scopes(k)),
            prefix: Set(k.prefix.clone()),
            secret_hash: Set(hash.to_vec()),
            previous_prefix: Set(None),
            previous_hash: Set(None),
            previous_until: Set(None),
            rate_per_minute: Set(i32::try_from(k.rate_per_minute).unwrap_or(i32::MAX)),
            created_at: Set(k.created_at),
            created_by: Set(k.created_by.as_uuid()),
            expires_at: Set(k.expires_at),
            revoked_at: Set(None),
            last_used_at: Set(None),
            rotated_at: Set(None),
        })
        .exec_without_returning(self.conn())
        .await
        .map_err(err("failed to store an API key"))?;
        Ok(())
    }

    async fn list(&self) -> Result<Vec<ApiKey>, StorageError> {
        api_key::Entity::find()
            .order_by_desc(api_key::Column::Id)
            .all(self.conn())
            .await
            .map_err(err("failed to list API keys"))?
            .into_iter()
            .map(to_key)
            .collect()
    }

    async fn get(&self, id: ApiKeyId) -> Result<Option<ApiKey>, StorageError> {
        api_key::Entity::find_by_id(id.as_uuid())
            .one(self.conn())
            .await
            .map_err(err("failed to read an API key"))?
            .map(to_key)
            .transpose()
    }

    async fn find(&self, hash: &[u8]) -> Result<Option<(ApiKey, bool)>, StorageError> {
        let Some(m) = api_key::Entity::find()
            .filter(
                Condition::any()
                    .add(api_key::Column::SecretHash.eq(hash.to_vec()))
                    .add(api_key::Column::PreviousHash.eq(hash.to_vec())),
            )
            .one(self.conn())
            .await
            .map_err(err("failed to find an API key"))?
        else {
            return Ok(None);
        };
        let previous = m.secret_hash != hash;
        Ok(Some((to_key(m)?, previous)))
    }

    async fn rotate(
        &self,
        k: &ApiKey,
        hash: &[u8],
        previous_until: Option<DateTime<Utc>>,
    ) -> Result<(), StorageError> {
        // The current hash becomes the previous one only while it has a
        // grace period; otherwise it is gone at once.
        let previous = if previous_until.is_some() {
            Expr::col(api_key::Column::SecretHash)
        } else {
            Expr::value(Option::<Vec<u8>>::None)
        };
        api_key::Entity::update_many()
            .col_expr(api_key::Column::PreviousHash, previous)
            .col_expr(
                api_key::Column::PreviousPrefix,
                Expr::value(k.previous_prefix.clone()),
            )
            .col_expr(api_key::Column::PreviousUntil, Expr::value(previous_until))
            .col_expr(api_key::Column::SecretHash, Expr::value(hash.to_vec()))
            .col_expr(api_key::Column::Prefix, Expr::value(k.prefix.clone()))
            .col_expr(api_key::Column::RotatedAt, Expr::value(k.rotated_at))
            .filter(api_key::Column::Id.eq(k.id.as_uuid()))
            .exec(self.conn())
            .await
            .map_err(err("failed to rotate an API key"))?;
        Ok(())
    }

    async fn revoke(&self, id: ApiKeyId, at: DateTime<Utc>) -> Result<bool, StorageError> {
        let done = api_key::Entity::update_many()
            .col_expr(api_key::Column::RevokedAt, Expr::value(at))
            .col_expr(
                api_key::Column::PreviousHash,
                Expr::value(Option::<Vec<u8>>::None),
            )
            .col_expr(
                api_key::Column::PreviousUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(api_key::Column::Id.eq(id.as_uuid()))
            .filter(api_key::Column::RevokedAt.is_null())
            .exec(self.conn())
            .await
            .map_err(err("failed to revoke an API key"))?;
        Ok(done.rows_affected == 1)
    }

    async fn touch(&self, id: ApiKeyId, at: DateTime<Utc>) -> Result<(), StorageError> {
        api_key::Entity::update_many()
            .col_expr(api_key::Column::LastUsedAt, Expr::value(at))
            .filter(api_key::Column::Id.eq(id.as_uuid()))
            .exec(self.conn())
            .await
            .map_err(err("failed to record an API key's use"))?;
        Ok(())
    }
}

fn events(e: &[EventType]) -> String {
    let names: Vec<&str> = e.iter().map(|t| t.as_str()).collect();
    format!(" {} ", names.join(" "))
}

fn to_endpoint(m: webhook_endpoint::Model) -> Result<Endpoint, StorageError> {
    let events = m
        .events
        .split_whitespace()
        .map(|s| EventType::parse(s).ok_or_else(|| corrupt("webhook event type")))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Endpoint {
        id: WebhookEndpointId::from_uuid(m.id),
        url: m.url,
        description: m.description,
        events,
        personal_purpose: m.personal_purpose,
        secret_version: m.secret_version,
        enabled: m.enabled,
        disabled_at: m.disabled_at,
        disabled_reason: m.disabled_reason,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

fn endpoint_row(e: &Endpoint) -> webhook_endpoint::ActiveModel {
    webhook_endpoint::ActiveModel {
        id: Set(e.id.as_uuid()),
        url: Set(e.url.clone()),
        description: Set(e.description.clone()),
        events: Set(events(&e.events)),
        personal_purpose: Set(e.personal_purpose.clone()),
        secret_version: Set(e.secret_version),
        enabled: Set(e.enabled),
        disabled_at: Set(e.disabled_at),
        disabled_reason: Set(e.disabled_reason.clone()),
        created_at: Set(e.created_at),
        updated_at: Set(e.updated_at),
    }
}

fn to_delivery(m: webhook_delivery::Model) -> Result<Delivery, StorageError> {
    Ok(Delivery {
        id: WebhookDeliveryId::from_uuid(m.id),
        endpoint_id: WebhookEndpointId::from_uuid(m.endpoint_id),
        message_id: m.message_id,
        event_type: EventType::parse(&m.event_type)
            .ok_or_else(|| corrupt("webhook delivery event type"))?,
        payload: m.payload,
        order_id: m.order_id.map(OrderId::from_uuid),
        status: DeliveryStatus::parse(&m.status)
            .ok_or_else(|| corrupt("webhook delivery status"))?,
        attempts: u32::try_from(m.attempts).unwrap_or(0),
        next_attempt_at: m.next_attempt_at,
        last_attempt_at: m.last_attempt_at,
        last_status_code: m.last_status_code.and_then(|c| u16::try_from(c).ok()),
        last_error: m.last_error,
        created_at: m.created_at,
        delivered_at: m.delivered_at,
    })
}

fn delivery_row(d: &Delivery) -> webhook_delivery::ActiveModel {
    webhook_delivery::ActiveModel {
        id: Set(d.id.as_uuid()),
        endpoint_id: Set(d.endpoint_id.as_uuid()),
        message_id: Set(d.message_id.clone()),
        event_type: Set(d.event_type.as_str().to_owned()),
        payload: Set(d.payload.clone()),
        order_id: Set(d.order_id.map(|o| o.as_uuid())),
        status: Set(d.status.as_str().to_owned()),
        attempts: Set(i32::try_from(d.attempts).unwrap_or(i32::MAX)),
        next_attempt_at: Set(d.next_attempt_at),
        last_attempt_at: Set(d.last_attempt_at),
        last_status_code: Set(d.last_status_code.map(i32::from)),
        last_error: Set(d.last_error.clone()),
        created_at: Set(d.created_at),
        delivered_at: Set(d.delivered_at),
    }
}

#[async_trait]
impl<C: Conn> WebhookRepo for SqlRepos<C> {
    async fn insert_endpoint(&self, e: &Endpoint) -> Result<(), StorageError> {
        webhook_endpoint::Entity::insert(endpoint_row(e))
            .exec_without_returning(self.conn())
            .await
            .map_err(err("failed to store a webhook endpoint"))?;
        Ok(())
    }

    async fn update_endpoint(&self, e: &Endpoint) -> Result<(), StorageError> {
        webhook_endpoint::Entity::update(endpoint_row(e))
            .exec(self.conn())
            .await
            .map_err(err("failed to update a webhook endpoint"))?;
        Ok(())
    }

    async fn delete_endpoint(&self, id: WebhookEndpointId) -> Result<bool, StorageError> {
        webhook_delivery::Entity::delete_many()
            .filter(webhook_delivery::Column::EndpointId.eq(id.as_uuid()))
            .exec(self.conn())
            .await
            .map_err(err("failed to delete webhook deliveries"))?;
        let done = webhook_endpoint::Entity::delete_by_id(id.as_uuid())
            .exec(self.conn())
            .await
            .map_err(err("failed to delete a webhook endpoint"))?;
        Ok(done.rows_affected == 1)
    }

    async fn endpoint(&self, id: WebhookEndpointId) -> Result<Option<Endpoint>, StorageError> {
        webhook_endpoint::Entity::find_by_id(id.as_uuid())
            .one(self.conn())
            .await
            .map_err(err("failed to read a webhook endpoint"))?
            .map(to_endpoint)
            .transpose()
    }

    async fn endpoints(&self) -> Result<Vec<Endpoint>, StorageError> {
        webhook_endpoint::Entity::find()
            .order_by_asc(webhook_endpoint::Column::Id)
            .all(self.conn())
            .await
            .map_err(err("failed to list webhook endpoints"))?
            .into_iter()
            .map(to_endpoint)
            .collect()
    }

    async fn subscribed(&self, event: EventType) -> Result<Vec<Endpoint>, StorageError> {
        webhook_endpoint::Entity::find()
            .filter(webhook_endpoint::Column::Enabled.eq(true))
            .filter(webhook_endpoint::Column::Events.contains(format!(" {} ", event.as_str())))
            .all(self.conn())
            .await
            .map_err(err("failed to find webhook subscribers"))?
            .into_iter()
            .map(to_endpoint)
            .collect()
    }

    async fn insert_deliveries(&self, d: &[Delivery]) -> Result<(), StorageError> {
        if d.is_empty() {
            return Ok(());
        }
        webhook_delivery::Entity::insert_many(d.iter().map(delivery_row))
            .exec_without_returning(self.conn())
            .await
            .map_err(err("failed to queue webhook deliveries"))?;
        Ok(())
    }

    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u64,
    ) -> Result<Vec<Delivery>, StorageError> {
        let enabled = webhook_endpoint::Entity::find()
            .select_only()
            .column(webhook_endpoint::Column::Id)
            .filter(webhook_endpoint::Column::Enabled.eq(true))
            .into_query();
        let due = webhook_delivery::Entity::find()
            .filter(webhook_delivery::Column::Status.eq(DeliveryStatus::Pending.as_str()))
            .filter(webhook_delivery::Column::NextAttemptAt.lte(now))
            .filter(webhook_delivery::Column::EndpointId.in_subquery(enabled))
            .order_by_asc(webhook_delivery::Column::NextAttemptAt)
            .limit(limit)
            .all(self.conn())
            .await
            .map_err(err("failed to read due webhook deliveries"))?;
        if due.is_empty() {
            return Ok(Vec::new());
        }
        // Claimed: a sender that dies leaves them due again after `lease`.
        webhook_delivery::Entity::update_many()
            .col_expr(
                webhook_delivery::Column::NextAttemptAt,
                Expr::value(now + lease),
            )
            .filter(webhook_delivery::Column::Id.is_in(due.iter().map(|d| d.id)))
            .exec(self.conn())
            .await
            .map_err(err("failed to claim webhook deliveries"))?;
        due.into_iter().map(to_delivery).collect()
    }

    async fn save_delivery(&self, d: &Delivery) -> Result<(), StorageError> {
        webhook_delivery::Entity::update(delivery_row(d))
            .exec(self.conn())
            .await
            .map_err(err("failed to save a webhook delivery"))?;
        Ok(())
    }

    async fn delivery(&self, id: WebhookDeliveryId) -> Result<Option<Delivery>, StorageError> {
        webhook_delivery::Entity::find_by_id(id.as_uuid())
            .one(self.conn())
            .await
            .map_err(err("failed to read a webhook delivery"))?
            .map(to_delivery)
            .transpose()
    }

    async fn deliveries(
        &self,
        endpoint: WebhookEndpointId,
        status: Option<DeliveryStatus>,
        before: Option<WebhookDeliveryId>,
        limit: u64,
    ) -> Result<Vec<Delivery>, StorageError> {
        let mut q = webhook_delivery::Entity::find()
            .filter(webhook_delivery::Column::EndpointId.eq(endpoint.as_uuid()));
        if let Some(s) = status {
            q = q.filter(webhook_delivery::Column::Status.eq(s.as_str()));
        }
        if let Some(b) = before {
            q = q.filter(webhook_delivery::Column::Id.lt(b.as_uuid()));
        }
        q.order_by_desc(webhook_delivery::Column::Id)
            .limit(limit)
            .all(self.conn())
            .await
            .map_err(err("failed to list webhook deliveries"))?
            .into_iter()
            .map(to_delivery)
            .collect()
    }
}
