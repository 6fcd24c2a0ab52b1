//! Staff accounts and roles (STAFF-1), and staff reads of customers'
//! personal data, each one audited with its reason.

use super::config::IdentityConfig;
use super::error::IdentityError;
use super::ports::{Origin, PasswordHasher, Randomness, StoredAddress, TokenPurpose};
use super::principal::Principal;
use super::support::issue_link;
use super::{Customer, CustomerId, Email, Language, NewCustomer, Password, PersonName, Role};
use crate::audit::{Actor, AuditAction, AuditTarget, NewAuditEntry};
use crate::clock::Clock;
use crate::mail::{Envelope, Mail};
use crate::store::Store;
use crate::subject::SubjectId;

/// A staff member to create.
#[derive(Debug, Clone)]
pub struct NewStaff {
    /// E-mail (the login).
    pub email: Email,
    /// Name.
    pub name: PersonName,
    /// `shop_manager` or `admin`.
    pub role: Role,
    /// A password (from the command line); without one, the member gets a
    /// set-password link.
    pub password: Option<Password>,
}

/// Creates a staff account.
///
/// # Errors
/// [`IdentityError::EmailTaken`], [`IdentityError::Invalid`] for a role that
/// is not staff; storage or hashing failure.
pub async fn create_staff(
    store: &dyn Store,
    hasher: &dyn PasswordHasher,
    random: &dyn Randomness,
    clock: &dyn Clock,
    config: &IdentityConfig,
    actor: Actor,
    new: NewStaff,
    origin: &Origin,
) -> Result<CustomerId, IdentityError> {
    if !new.role.is_staff() {
        let mut f = crate::FieldErrors::default();
        f.push("role", "must be shop_manager or admin");
        return Err(f.into());
    }
    let now = clock.now();
    let hash = match &new.password {
        Some(p) => Some(hasher.hash(p.expose().to_owned()).await?),
        None => None,
    };
    let id = CustomerId::new();
    let account = NewCustomer {
        email: new.email.clone(),
        name: new.name.clone(),
        phone: None,
        role: new.role,
        language: Language::Fr,
    };
    let uow = store.begin().await?;
    uow.keys().create(SubjectId::customer(id), now).await?;
    let has_password = hash.is_some();
    uow.accounts()
        .create(id, &account, hash, false, now)
        .await?;
    if !has_password {
        let link = issue_link(
            uow.as_ref(),
            random,
            config,
            id,
            TokenPurpose::SetPassword,
            config.set_password_ttl,
            now,
        )
        .await?;
        uow.outbox()
            .enqueue(
                SubjectId::customer(id),
                &Envelope {
                    to: new.email,
                    name: Some(new.name),
                    language: Language::Fr,
                    mail: Mail::AccountSetupLink { link },
                },
                now,
            )
            .await?;
    }
    let source = origin.source.display.clone();
    let target = Some(AuditTarget::Customer(id));
    uow.audit()
        .append(
            NewAuditEntry::new(
                actor,
                AuditAction::AccountCreated,
                target.clone(),
                source.clone(),
            )
            .because("staff account"),
            now,
        )
        .await?;
    uow.audit()
        .append(
            NewAuditEntry::new(actor, AuditAction::RoleChanged, target, source)
                .because(format!("granted {}", new.role)),
            now,
        )
        .await?;
    uow.commit().await?;
    Ok(id)
}

/// Changes an account's role. An admin cannot demote themself, so the shop
/// always keeps an administrator.
///
/// # Errors
/// [`IdentityError::NotFound`], [`IdentityError::SelfDemotion`]; storage failure.
pub async fn set_role(
    store: &dyn Store,
    clock: &dyn Clock,
    admin: &Principal,
    target: CustomerId,
    role: Role,
) -> Result<Customer, IdentityError> {
    let now = clock.now();
    let uow = store.begin().await?;
    let record = uow
        .accounts()
        .login_record_by_id(target)
        .await?
        .ok_or(IdentityError::NotFound)?;
    if target == admin.customer_id && role != Role::Admin {
        return Err(IdentityError::SelfDemotion);
    }
    uow.accounts().set_role(target, role, now).await?;
    uow.audit()
        .append(
            NewAuditEntry::new(
                admin.actor(),
                AuditAction::RoleChanged,
                Some(AuditTarget::Customer(target)),
                admin.source(),
            )
            .because(format!("{} -> {role}", record.role)),
            now,
        )
        .await?;
    let account = uow
        .accounts()
        .get(target)
        .await?
        .ok_or(IdentityError::NotFound)?;
    uow.commit().await?;
    Ok(account)
}

/// A customer's record as staff read it.
#[derive(Debug, Clone)]
pub struct CustomerRecord {
    /// The account.
    pub customer: Customer,
    /// Its addresses.
    pub addresses: Vec<StoredAddress>,
}

/// Which customer staff want to read.
#[derive(Debug, Clone)]
pub enum CustomerLookup {
    /// By id.
    Id(CustomerId),
    /// By exact e-mail address.
    Email(Email),
}

/// Reads a customer's record for staff, writing an audit entry that names
/// the staff member, the customer and the reason, in the same unit of work.
/// `None` when no customer matches, or when a shop manager looks up a
/// staff account.
///
/// # Errors
/// Storage failure.
pub async fn read_customer(
    store: &dyn Store,
    clock: &dyn Clock,
    staff: &impl crate::integration::Acting,
    lookup: CustomerLookup,
    reason: &str,
) -> Result<Option<CustomerRecord>, IdentityError> {
    let uow = store.begin().await?;
    let id = match lookup {
        CustomerLookup::Id(id) => Some(id),
        CustomerLookup::Email(e) => uow.accounts().login_record(&e).await?.map(|r| r.id),
    };
    let Some(id) = id else {
        return Ok(None);
    };
    let Some(customer) = uow.accounts().get(id).await? else {
        return Ok(None);
    };
    // Customer reads are for customers: staff records are managed by admins
    // (`/v1/admin/staff`), and a shop manager does not see them.
    if customer.role.is_staff() && !staff.is_admin() {
        return Ok(None);
    }
    let addresses = uow.addresses().list(id).await?;
    let (actor, source) = staff.by();
    uow.audit()
        .append(
            NewAuditEntry::new(
                actor,
                AuditAction::PersonalDataAccessed,
                Some(AuditTarget::Customer(id)),
                source,
            )
            .because(staff.reason(reason)),
            clock.now(),
        )
        .await?;
    uow.commit().await?;
    Ok(Some(CustomerRecord {
        customer,
        addresses,
    }))
}

/// Lifts a lock or ban (admins).
///
/// # Errors
/// [`IdentityError::NotFound`] when none is in force under this key.
pub async fn lift_block(
    store: &dyn Store,
    clock: &dyn Clock,
    admin: &Principal,
    key: &str,
) -> Result<(), IdentityError> {
    let now = clock.now();
    let uow = store.begin().await?;
    if !uow.counters().lift(key, now).await? {
        return Err(IdentityError::NotFound);
    }
    uow.audit()
        .append(
            NewAuditEntry::new(
                admin.actor(),
                AuditAction::LockLifted,
                Some(AuditTarget::Block(key.to_owned())),
                admin.source(),
            ),
            now,
        )
        .await?;
    uow.commit().await?;
    Ok(())
}
