//! Carts and orders. A cart's e-mail and an order's buyer and lines are
//! sealed under the subject's key; amounts and statuses stay in clear.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::StorageError;
use domain::identity::{CustomerId, Email};
use domain::ids::{CartId, CartLineId, FormatId, OrderId, ProductId};
use domain::money::Currency;
use domain::shop::cart::{Cart, CartLine, CartRepo, CartStatus};
use domain::shop::fraud::Signal;
use domain::shop::order::{
    BuyerDetails, NewOrder, Order, OrderEvent, OrderFilter, OrderLine, OrderRepo, OrderShipping,
    OrderStatus, OrderSummary, OrderTotals, PaymentMethod,
};
use domain::subject::SubjectId;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, Func, OnConflict};
use sea_orm::{ColumnTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::{Conn, SqlRepos, corrupt, err};
use crate::entities::{cart, cart_line, complaint, order, order_event};
use crate::sealed::{CART_EMAIL, ORDER_BUYER, ORDER_LINES};

fn decrypt(e: impl std::error::Error + Send + Sync + 'static) -> StorageError {
    StorageError::new("failed to decrypt an order or cart", e)
}

#[async_trait]
impl<C: Conn> CartRepo for SqlRepos<C> {
    async fn insert(
        &self,
        id: CartId,
        customer: Option<CustomerId>,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        cart::Entity::insert(cart::ActiveModel {
            id: Set(id.as_uuid()),
            customer_id: Set(customer.map(|c| c.as_uuid())),
            subject_id: Set(customer.map(|c| c.as_uuid())),
            email_enc: Set(None),
            email_bidx: Set(None),
            status: Set(CartStatus::Open.as_str().to_owned()),
            created_at: Set(now),
            updated_at: Set(now),
            last_activity_at: Set(now),
        })
        .exec_without_returning(self.conn())
        .await
        .map_err(err("failed to store a cart"))?;
        Ok(())
    }

    async fn get(&self, id: CartId) -> Result<Option<Cart>, StorageError> {
        let Some(r) = cart::Entity::find_by_id(id.as_uuid())
            .one(self.conn())
            .await
            .map_err(err("failed to load a cart"))?
        else {
            return Ok(None);
        };
        let lines = cart_line::Entity::find()
            .filter(cart_line::Column::CartId.eq(r.id))
            .order_by_asc(cart_line::Column::AddedAt)
            .order_by_asc(cart_line::Column::Id)
            .all(self.conn())
            .await
            .map_err(err("failed to load a cart's lines"))?
            .into_iter()
            .map(|l| {
                Ok(CartLine {
                    id: CartLineId::from_uuid(l.id),
                    product_id: ProductId::from_uuid(l.product_id),
                    format_id: FormatId::from_uuid(l.format_id),
                    quantity: u32::try_from(l.quantity).map_err(|_| corrupt("quantity"))?,
                    added_at: l.added_at,
                })
            })
            .collect::<Result<Vec<_>, StorageError>>()?;
        let subject = r.subject_id.map(SubjectId::from_uuid);
        let email = match (subject, &r.email_enc) {
            (Some(s), Some(enc)) => match self.key(s).await? {
                Some(key) => {
                    let e = key.open_str(&CART_EMAIL, r.id, enc).map_err(decrypt)?;
                    Some(Email::parse(&e).map_err(|_| corrupt("cart e-mail"))?)
                }
                None => None,
            },
            _ => None,
        };
        Ok(Some(Cart {
            id,
            customer_id: r.customer_id.map(CustomerId::from_uuid),
            subject,
            email,
            status: CartStatus::parse(&r.status).ok_or_else(|| corrupt("cart status"))?,
            lines,
            created_at: r.created_at,
            last_activity_at: r.last_activity_at,
        }))
    }

    async fn lock(&self, id: CartId) -> Result<(), StorageError> {
        // SQLite's unit of work took the database's write lock at BEGIN.
        if self.conn().get_database_backend() == DbBackend::Postgres {
            cart::Entity::find_by_id(id.as_uuid())
                .select_only()
                .column(cart::Column::Id)
                .lock_exclusive()
                .into_tuple::<Uuid>()
                .one(self.conn())
                .await
                .map_err(err("failed to lock a cart"))?;
        }
        Ok(())
    }

    async fn open_of(&self, customer: CustomerId) -> Result<Option<CartId>, StorageError> {
        Ok(cart::Entity::find()
            .select_only()
            .column(cart::Column::Id)
            .filter(cart::Column::CustomerId.eq(customer.as_uuid()))
            .filter(cart::Column::Status.eq(CartStatus::Open.as_str()))
            .order_by_desc(cart::Column::LastActivityAt)
            .into_tuple::<Uuid>()
            .one(self.conn())
            .await
            .map_err(err("failed to find a customer's cart"))?
            .map(CartId::from_uuid))
    }

    async fn put_line(&self, cart_id: CartId, line: &CartLine) -> Result<(), StorageError> {
        cart_line::Entity::insert(cart_line::ActiveModel {
            id: Set(line.id.as_uuid()),
            cart_id: Set(cart_id.as_uuid()),
            product_id: Set(line.product_id.as_uuid()),
            format_id: Set(line.format_id.as_uuid()),
            quantity: Set(i32::try_from(line.quantity).unwrap_or(i32::MAX)),
            added_at: Set(line.added_at),
        })
        .on_conflict(
            OnConflict::columns([cart_line::Column::CartId, cart_line::Column::FormatId])
                .update_column(cart_line::Column::Quantity)
                .to_owned(),
        )
        .exec_without_returning(self.conn())
        .await
        .map_err(err("failed to store a cart line"))?;
        Ok(())
    }

    async fn set_quantity(
        &self,
        cart_id: CartId,
        line: CartLineId,
        quantity: u32,
    ) -> Result<bool, StorageError> {
        let r = cart_line::Entity::update_many()
            .col_expr(
                cart_line::Column::Quantity,
                Expr::value(i32::try_from(quantity).unwrap_or(i32::MAX)),
            )
            .filter(cart_line::Column::Id.eq(line.as_uuid()))
            .filter(cart_line::Column::CartId.eq(cart_id.as_uuid()))
            .exec(self.conn())
            .await
            .map_err(err("failed to change a cart line"))?;
        Ok(r.rows_affected == 1)
    }

    async fn remove_line(&self, cart_id: CartId, line: CartLineId) -> Result<bool, StorageError> {
        let r = cart_line::Entity::delete_many()
            .filter(cart_line::Column::Id.eq(line.as_uuid()))
            .filter(cart_line::Column::CartId.eq(cart_id.as_uuid()))
            .exec(self.conn())
            .await
            .map_err(err("failed to remove a cart line"))?;
        Ok(r.rows_affected == 1)
    }

    async fn set_email(
        &self,
        cart_id: CartId,
        subject: SubjectId,
        email: &Email,
        email_bidx: &[u8],
    ) -> Result<(), StorageError> {
        let key = self.required_key(subject).await?;
        let row = cart_id.as_uuid();
        cart::Entity::update_many()
            .col_expr(cart::Column::SubjectId, Expr::value(subject.as_uuid()))
            .col_expr(
                cart::Column::EmailEnc,
                Expr::value(key.seal_str(&CART_EMAIL, row, email.as_str())),
            )
            .col_expr(cart::Column::EmailBidx, Expr::value(email_bidx.to_vec()))
            .filter(cart::Column::Id.eq(row))
            .exec(self.conn())
            .await
            .map_err(err("failed to attach an e-mail to a cart"))?;
        Ok(())
    }

    async fn set_customer(
        &self,
        cart_id: CartId,
        customer: CustomerId,
    ) -> Result<(), StorageError> {
        // The e-mail was sealed under a guest's key: it is dropped, the
        // account has its own.
        cart::Entity::update_many()
            .col_expr(cart::Column::CustomerId, Expr::value(customer.as_uuid()))
            .col_expr(cart::Column::SubjectId, Expr::value(customer.as_uuid()))
            .col_expr(cart::Column::EmailEnc, Expr::value(Option::<Vec<u8>>::None))
            .col_expr(
                cart::Column::EmailBidx,
                Expr::value(Option::<Vec<u8>>::None),
            )
            .filter(cart::Column::Id.eq(cart_id.as_uuid()))
            .exec(self.conn())
            .await
            .map_err(err("failed to give a cart to a customer"))?;
        Ok(())
    }

    async fn touch(&self, cart_id: CartId, now: DateTime<Utc>) -> Result<(), StorageError> {
        cart::Entity::update_many()
            .col_expr(cart::Column::LastActivityAt, Expr::value(now))
            .col_expr(cart::Column::UpdatedAt, Expr::value(now))
            .filter(cart::Column::Id.eq(cart_id.as_uuid()))
            .exec(self.conn())
            .await
            .map_err(err("failed to record a cart's activity"))?;
        Ok(())
    }

    async fn close(
        &self,
        cart_id: CartId,
        status: CartStatus,
        now: DateTime<Utc>,
    ) -> Result<bool, StorageError> {
        let r = cart::Entity::update_many()
            .col_expr(cart::Column::Status, Expr::value(status.as_str()))
            .col_expr(cart::Column::UpdatedAt, Expr::value(now))
            .col_expr(cart::Column::LastActivityAt, Expr::value(now))
            .filter(cart::Column::Id.eq(cart_id.as_uuid()))
            .filter(cart::Column::Status.eq(CartStatus::Open.as_str()))
            .exec(self.conn())
            .await
            .map_err(err("failed to close a cart"))?;
        Ok(r.rows_affected == 1)
    }
}

fn summary(r: &order::Model) -> Result<OrderSummary, StorageError> {
    Ok(OrderSummary {
        id: OrderId::from_uuid(r.id),
        number: r.number.clone(),
        customer_id: r.customer_id.map(CustomerId::from_uuid),
        status: OrderStatus::parse(&r.status).ok_or_else(|| corrupt("order status"))?,
        payment_method: PaymentMethod::parse(&r.payment_method)
            .ok_or_else(|| corrupt("payment method"))?,
        country: r.country.clone(),
        totals: OrderTotals {
            currency: Currency::parse(&r.currency).map_err(|_| corrupt("currency"))?,
            goods_net: r.goods_net,
            discount_net: r.discount_net,
            shipping_net: r.shipping_net,
            vat: r.vat,
            total: r.total,
        },
        language: r.language.parse().map_err(|_| corrupt("language"))?,
        created_at: r.created_at,
        status_changed_at: r.status_changed_at,
        paid_at: r.paid_at,
        coupon: r.coupon_code.clone(),
        fraud_signals: r
            .fraud_signals
            .split(',')
            .filter(|c| !c.is_empty())
            .map(|c| Signal::parse(c).ok_or_else(|| corrupt("fraud signal")))
            .collect::<Result<_, _>>()?,
    })
}

fn json_err(e: serde_json::Error) -> StorageError {
    StorageError::new("failed to encode or decode an order", e)
}

fn event_row(order: Uuid, e: &OrderEvent) -> order_event::ActiveModel {
    order_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        order_id: Set(order),
        from_status: Set(e.from.map(|s| s.as_str().to_owned())),
        to_status: Set(e.to.as_str().to_owned()),
        at: Set(e.at),
        actor: Set(e.actor.clone()),
        note: Set(e.note.clone()),
    }
}

#[async_trait]
impl<C: Conn> OrderRepo for SqlRepos<C> {
    async fn insert(&self, o: &NewOrder) -> Result<(), StorageError> {
        let key = self.required_key(o.subject).await?;
        let row = o.summary.id.as_uuid();
        let s = &o.summary;
        let lines = serde_json::to_vec(&o.lines).map_err(json_err)?;
        let buyer = serde_json::to_vec(&o.buyer).map_err(json_err)?;
        let shipping = o
            .shipping
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(json_err)?;
        order::Entity::insert(order::ActiveModel {
            id: Set(row),
            number: Set(s.number.clone()),
            cart_id: Set(o.cart.as_uuid()),
            subject_id: Set(o.subject.as_uuid()),
            customer_id: Set(s.customer_id.map(|c| c.as_uuid())),
            email_bidx: Set(o.email_bidx.clone()),
            status: Set(s.status.as_str().to_owned()),
            payment_method: Set(s.payment_method.as_str().to_owned()),
            country: Set(s.country.clone()),
            language: Set(s.language.as_str().to_owned()),
            currency: Set(s.totals.currency.as_str().to_owned()),
            goods_net: Set(s.totals.goods_net),
            discount_net: Set(s.totals.discount_net),
            shipping_net: Set(s.totals.shipping_net),
            vat: Set(s.totals.vat),
            total: Set(s.totals.total),
            shipping: Set(shipping),
            coupon_code: Set(s.coupon.clone()),
            source_key: Set(o.source_key.clone()),
            fraud_signals: Set(s
                .fraud_signals
                .iter()
                .map(|f| f.as_str())
                .collect::<Vec<_>>()
                .join(",")),
            key_hash: Set(o.key_hash.clone()),
            fingerprint: Set(o.fingerprint.clone()),
            lines_enc: Set(key.seal(&ORDER_LINES, row, &lines)),
            buyer_enc: Set(key.seal(&ORDER_BUYER, row, &buyer)),
            created_at: Set(s.created_at),
            updated_at: Set(s.created_at),
            status_changed_at: Set(s.status_changed_at),
            paid_at: Set(s.paid_at),
        })
        .exec_without_returning(self.conn())
        .await
        .map_err(err("failed to store an order"))?;
        order_event::Entity::insert(event_row(
            row,
            &OrderEvent {
                from: None,
                to: s.status,
                at: s.created_at,
                actor: if s.customer_id.is_some() {
                    "customer".into()
                } else {
                    "guest".into()
                },
                note: None,
            },
        ))
        .exec_without_returning(self.conn())
        .await
        .map_err(err("failed to store an order event"))?;
        Ok(())
    }

    async fn get(&self, id: OrderId) -> Result<Option<Order>, StorageError> {
        let Some(r) = order::Entity::find_by_id(id.as_uuid())
            .one(self.conn())
            .await
            .map_err(err("failed to load an order"))?
        else {
            return Ok(None);
        };
        let subject = SubjectId::from_uuid(r.subject_id);
        let (lines, buyer) = match self.key(subject).await? {
            Some(key) => {
                let lines = key
                    .open(&ORDER_LINES, r.id, &r.lines_enc)
                    .map_err(decrypt)?;
                let buyer = key
                    .open(&ORDER_BUYER, r.id, &r.buyer_enc)
                    .map_err(decrypt)?;
                (
                    serde_json::from_slice::<Vec<OrderLine>>(&lines).map_err(json_err)?,
                    Some(serde_json::from_slice::<BuyerDetails>(&buyer).map_err(json_err)?),
                )
            }
            None => (Vec::new(), None),
        };
        let shipping = r
            .shipping
            .as_deref()
            .map(serde_json::from_str::<OrderShipping>)
            .transpose()
            .map_err(json_err)?;
        let events = order_event::Entity::find()
            .filter(order_event::Column::OrderId.eq(r.id))
            .order_by_asc(order_event::Column::At)
            .order_by_asc(order_event::Column::Id)
            .all(self.conn())
            .await
            .map_err(err("failed to load an order's events"))?
            .into_iter()
            .map(|e| {
                Ok(OrderEvent {
                    from: e
                        .from_status
                        .as_deref()
                        .map(|s| OrderStatus::parse(s).ok_or_else(|| corrupt("order event")))
                        .transpose()?,
                    to: OrderStatus::parse(&e.to_status).ok_or_else(|| corrupt("order event"))?,
                    at: e.at,
                    actor: e.actor,
                    note: e.note,
                })
            })
            .collect::<Result<Vec<_>, StorageError>>()?;
        Ok(Some(Order {
            summary: summary(&r)?,
            subject,
            lines,
            shipping,
            buyer,
            events,
        }))
    }

    async fn of_cart(
        &self,
        cart_id: CartId,
    ) -> Result<Option<(OrderId, Vec<u8>, Vec<u8>)>, StorageError> {
        Ok(order::Entity::find()
            .select_only()
            .columns([
                order::Column::Id,
                order::Column::KeyHash,
                order::Column::Fingerprint,
            ])
            .filter(order::Column::CartId.eq(cart_id.as_uuid()))
            .into_tuple::<(Uuid, Vec<u8>, Vec<u8>)>()
            .one(self.conn())
            .await
            .map_err(err("failed to find a cart's order"))?
            .map(|(id, k, f)| (OrderId::from_uuid(id), k, f)))
    }

    async fn list(
        &self,
        filter: &OrderFilter,
        limit: u64,
    ) -> Result<Vec<OrderSummary>, StorageError> {
        let mut q = order::Entity::find();
        if let Some(s) = filter.status {
            q = q.filter(order::Column::Status.eq(s.as_str()));
        }
        if let Some(f) = filter.from {
            q = q.filter(order::Column::CreatedAt.gte(f));
        }
        if let Some(u) = filter.until {
            q = q.filter(order::Column::CreatedAt.lt(u));
        }
        if let Some(b) = &filter.email_bidx {
            q = q.filter(order::Column::EmailBidx.eq(b.clone()));
        }
        if let Some(c) = filter.customer {
            q = q.filter(order::Column::CustomerId.eq(c.as_uuid()));
        }
        if let Some(b) = filter.before {
            q = q.filter(order::Column::Id.lt(b.as_uuid()));
        }
        q.order_by_desc(order::Column::Id)
            .limit(limit)
            .all(self.conn())
            .await
            .map_err(err("failed to list orders"))?
            .iter()
            .map(summary)
            .collect()
    }

    async fn source_activity(
        &self,
        source_key: &str,
        orders_since: DateTime<Utc>,
        failed_since: DateTime<Utc>,
        cap: u64,
    ) -> Result<(u64, u64), StorageError> {
        // At most `cap` index entries each ((source, created_at) and
        // (source, status, created_at)), however many orders the source made.
        let orders: Vec<Uuid> = order::Entity::find()
            .select_only()
            .column(order::Column::Id)
            .filter(order::Column::SourceKey.eq(source_key))
            .filter(order::Column::CreatedAt.gte(orders_since))
            .limit(cap)
            .into_tuple()
            .all(self.conn())
            .await
            .map_err(err("failed to count a source's orders"))?;
        let failed: Vec<Uuid> = order::Entity::find()
            .select_only()
            .column(order::Column::Id)
            .filter(order::Column::SourceKey.eq(source_key))
            .filter(order::Column::Status.eq(OrderStatus::Failed.as_str()))
            .filter(order::Column::CreatedAt.gte(failed_since))
            .limit(cap)
            .into_tuple()
            .all(self.conn())
            .await
            .map_err(err("failed to count a source's failed orders"))?;
        Ok((orders.len() as u64, failed.len() as u64))
    }

    async fn attach_guest(
        &self,
        guest: SubjectId,
        email_bidx: &[u8],
        customer: CustomerId,
    ) -> Result<u64, StorageError> {
        let done = order::Entity::update_many()
            .col_expr(order::Column::CustomerId, Expr::value(customer.as_uuid()))
            .filter(order::Column::EmailBidx.eq(email_bidx.to_vec()))
            .filter(order::Column::SubjectId.eq(guest.as_uuid()))
            .filter(order::Column::CustomerId.is_null())
            .exec(self.conn())
            .await
            .map_err(err("failed to attach a guest's orders"))?;
        complaint::Entity::update_many()
            .col_expr(
                complaint::Column::CustomerId,
                Expr::value(customer.as_uuid()),
            )
            .filter(complaint::Column::SubjectId.eq(guest.as_uuid()))
            .filter(complaint::Column::CustomerId.is_null())
            .exec(self.conn())
            .await
            .map_err(err("failed to attach a guest's complaints"))?;
        Ok(done.rows_affected)
    }

    async fn usual_total(&self, last: u64) -> Result<Option<i64>, StorageError> {
        let totals: Vec<i64> = order::Entity::find()
            .select_only()
            .column(order::Column::Total)
            .order_by_desc(order::Column::Id)
            .limit(last)
            .into_tuple()
            .all(self.conn())
            .await
            .map_err(err("failed to read recent totals"))?;
        let n = i64::try_from(totals.len()).unwrap_or(i64::MAX);
        Ok((n > 0).then(|| totals.iter().fold(0i64, |s, t| s.saturating_add(*t)) / n))
    }

    async fn transition(
        &self,
        id: OrderId,
        from: OrderStatus,
        event: &OrderEvent,
    ) -> Result<bool, StorageError> {
        let mut u = order::Entity::update_many()
            .col_expr(order::Column::Status, Expr::value(event.to.as_str()))
            .col_expr(order::Column::StatusChangedAt, Expr::value(event.at))
            .col_expr(order::Column::UpdatedAt, Expr::value(event.at));
        if event.to.is_paid() && !from.is_paid() {
            u = u.col_expr(
                order::Column::PaidAt,
                Func::coalesce([Expr::col(order::Column::PaidAt), Expr::value(event.at)]).into(),
            );
        }
        let r = u
            .filter(order::Column::Id.eq(id.as_uuid()))
            .filter(order::Column::Status.eq(from.as_str()))
            .exec(self.conn())
            .await
            .map_err(err("failed to change an order's status"))?;
        if r.rows_affected != 1 {
            return Ok(false);
        }
        order_event::Entity::insert(event_row(id.as_uuid(), event))
            .exec_without_returning(self.conn())
            .await
            .map_err(err("failed to store an order event"))?;
        Ok(true)
    }
}
