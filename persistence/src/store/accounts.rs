//! Accounts: personal fields sealed under the account's own key; e-mail
//! look-ups through the blind index.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::StorageError;
use domain::identity::{
    AccountRepo, AccountWriteError, Customer, CustomerId, Email, LoginRecord, NewCustomer,
    PersonName, Phone, ProfileChanges, Role,
};
use domain::subject::SubjectId;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, SqlErr};

use super::{Conn, SqlRepos, corrupt, err};
use crate::entities::customer;
use crate::sealed::{CUSTOMER_EMAIL, CUSTOMER_NAME, CUSTOMER_PHONE};
use crate::vault::DataKey;

fn write_err(e: sea_orm::DbErr) -> AccountWriteError {
    match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(m)) if m.contains("email") => {
            AccountWriteError::EmailTaken
        }
        _ => AccountWriteError::Storage(StorageError::new("failed to write an account", e)),
    }
}

fn login_record(r: &customer::Model) -> Result<LoginRecord, StorageError> {
    Ok(LoginRecord {
        id: CustomerId::from_uuid(r.id),
        password_hash: r.password_hash.clone(),
        must_change_password: r.must_change_password,
        role: r.role.parse().map_err(|_| corrupt("role"))?,
    })
}

fn decrypt(key: &DataKey, r: customer::Model) -> Result<Customer, StorageError> {
    let id = r.id;
    let open = |col, v: &[u8]| {
        key.open_str(col, id, v)
            .map_err(|e| StorageError::new("failed to decrypt an account", e))
    };
    Ok(Customer {
        id: CustomerId::from_uuid(id),
        email: Email::parse(&open(&CUSTOMER_EMAIL, &r.email_enc)?).map_err(|_| corrupt("email"))?,
        name: PersonName::parse(&open(&CUSTOMER_NAME, &r.name_enc)?)
            .map_err(|_| corrupt("name"))?,
        phone: r
            .phone_enc
            .as_deref()
            .map(|p| {
                open(&CUSTOMER_PHONE, p)
                    .and_then(|s| Phone::parse(&s).map_err(|_| corrupt("phone")))
            })
            .transpose()?,
        role: r.role.parse().map_err(|_| corrupt("role"))?,
        language: r
            .preferred_language
            .parse()
            .map_err(|_| corrupt("language"))?,
        display_preferences: r.display_prefs,
        must_change_password: r.must_change_password,
        has_password: r.password_hash.is_some(),
        created_at: r.created_at,
        updated_at: r.updated_at,
        last_active_at: r.last_active_at,
    })
}

impl<C: Conn> SqlRepos<C> {
    fn email_index(&self, email: &Email) -> Vec<u8> {
        self.keystore()
            .keyring()
            .blind_index("email", &email.normalised())
    }

    async fn find_by_email(&self, email: &Email) -> Result<Option<customer::Model>, StorageError> {
        customer::Entity::find()
            .filter(customer::Column::EmailBidx.eq(self.email_index(email)))
            .one(self.conn())
            .await
            .map_err(err("failed to look up an account"))
    }

    async fn find_by_id(&self, id: CustomerId) -> Result<Option<customer::Model>, StorageError> {
        customer::Entity::find_by_id(id.as_uuid())
            .one(self.conn())
            .await
            .map_err(err("failed to load an account"))
    }
}

#[async_trait]
impl<C: Conn> AccountRepo for SqlRepos<C> {
    async fn create(
        &self,
        id: CustomerId,
        new: &NewCustomer,
        password_hash: Option<String>,
        must_change_password: bool,
        now: DateTime<Utc>,
    ) -> Result<(), AccountWriteError> {
        let key = self.required_key(SubjectId::customer(id)).await?;
        let row = id.as_uuid();
        customer::Entity::insert(customer::ActiveModel {
            id: Set(row),
            email_bidx: Set(self.email_index(&new.email)),
            email_enc: Set(key.seal_str(&CUSTOMER_EMAIL, row, new.email.as_str())),
            name_enc: Set(key.seal_str(&CUSTOMER_NAME, row, new.name.as_str())),
            phone_enc: Set(new
                .phone
                .as_ref()
                .map(|p| key.seal_str(&CUSTOMER_PHONE, row, p.as_str()))),
            role: Set(new.role.as_str().to_owned()),
            preferred_language: Set(new.language.as_str().to_owned()),
            display_prefs: Set("{}".to_owned()),
            display_prefs_updated_at: Set(None),
            password_hash: Set(password_hash),
            must_change_password: Set(must_change_password),
            created_at: Set(now),
            updated_at: Set(now),
            last_active_at: Set(now),
            inactivity_warned_at: Set(None),
            restricted_at: Set(None),
        })
        .exec(self.conn())
        .await
        .map_err(write_err)?;
        Ok(())
    }

    async fn login_record(&self, email: &Email) -> Result<Option<LoginRecord>, StorageError> {
        self.find_by_email(email)
            .await?
            .as_ref()
            .map(login_record)
            .transpose()
    }

    async fn login_record_by_id(
        &self,
        id: CustomerId,
    ) -> Result<Option<LoginRecord>, StorageError> {
        self.find_by_id(id)
            .await?
            .as_ref()
            .map(login_record)
            .transpose()
    }

    async fn get(&self, id: CustomerId) -> Result<Option<Customer>, StorageError> {
        let Some(row) = self.find_by_id(id).await? else {
            return Ok(None);
        };
        let Some(key) = self.key(SubjectId::customer(id)).await? else {
            return Ok(None);
        };
        decrypt(&key, row).map(Some)
    }

    async fn list_staff(&self) -> Result<Vec<Customer>, StorageError> {
        let rows = customer::Entity::find()
            .filter(customer::Column::Role.ne(Role::Customer.as_str()))
            .order_by_asc(customer::Column::CreatedAt)
            .all(self.conn())
            .await
            .map_err(err("failed to list staff"))?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            if let Some(key) = self.key(SubjectId::from_uuid(r.id)).await? {
                out.push(decrypt(&key, r)?);
            }
        }
        Ok(out)
    }

    async fn update_profile(
        &self,
        id: CustomerId,
        changes: &ProfileChanges,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        let key = self.required_key(SubjectId::customer(id)).await?;
        let row = id.as_uuid();
        let mut am = customer::ActiveModel {
            id: Set(row),
            updated_at: Set(now),
            ..Default::default()
        };
        if let Some(name) = &changes.name {
            am.name_enc = Set(key.seal_str(&CUSTOMER_NAME, row, name.as_str()));
        }
        if let Some(phone) = &changes.phone {
            am.phone_enc = Set(phone
                .as_ref()
                .map(|p| key.seal_str(&CUSTOMER_PHONE, row, p.as_str())));
        }
        if let Some(lang) = changes.language {
            am.preferred_language = Set(lang.as_str().to_owned());
        }
        if let Some(prefs) = &changes.display_preferences {
            am.display_prefs = Set(prefs.clone());
            am.display_prefs_updated_at = Set(Some(now));
        }
        customer::Entity::update(am)
            .exec(self.conn())
            .await
            .map_err(err("failed to update a profile"))?;
        Ok(())
    }

    async fn change_email(
        &self,
        id: CustomerId,
        email: &Email,
        now: DateTime<Utc>,
    ) -> Result<(), AccountWriteError> {
        let key = self.required_key(SubjectId::customer(id)).await?;
        let row = id.as_uuid();
        customer::Entity::update(customer::ActiveModel {
            id: Set(row),
            email_bidx: Set(self.email_index(email)),
            email_enc: Set(key.seal_str(&CUSTOMER_EMAIL, row, email.as_str())),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec(self.conn())
        .await
        .map_err(write_err)?;
        Ok(())
    }

    async fn set_password(
        &self,
        id: CustomerId,
        hash: String,
        must_change: bool,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        customer::Entity::update(customer::ActiveModel {
            id: Set(id.as_uuid()),
            password_hash: Set(Some(hash)),
            must_change_password: Set(must_change),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec(self.conn())
        .await
        .map_err(err("failed to set a password"))?;
        Ok(())
    }

    async fn set_role(
        &self,
        id: CustomerId,
        role: Role,
        now: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        customer::Entity::update(customer::ActiveModel {
            id: Set(id.as_uuid()),
            role: Set(role.as_str().to_owned()),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec(self.conn())
        .await
        .map_err(err("failed to set a role"))?;
        Ok(())
    }

    async fn touch(&self, id: CustomerId, now: DateTime<Utc>) -> Result<(), StorageError> {
        customer::Entity::update_many()
            .col_expr(customer::Column::LastActiveAt, Expr::value(now))
            .filter(customer::Column::Id.eq(id.as_uuid()))
            .filter(customer::Column::LastActiveAt.lt(now - chrono::Duration::minutes(1)))
            .exec(self.conn())
            .await
            .map_err(err("failed to record activity"))?;
        Ok(())
    }
}
