//! The signed-in customer's own profile and addresses (ACC-1, ACC-5).
//! Every id is scoped to the caller: another customer's is not found.

use super::error::IdentityError;
use super::ports::{ProfileChanges, StoredAddress};
use super::principal::Principal;
use super::{AddressId, AddressKind, Customer, PostalAddress};
use crate::clock::Clock;
use crate::store::Store;

/// The caller's account.
///
/// # Errors
/// [`IdentityError::NotFound`] when it was erased meanwhile; storage failure.
pub async fn profile(store: &dyn Store, p: &Principal) -> Result<Customer, IdentityError> {
    store
        .reader()
        .accounts()
        .get(p.customer_id)
        .await?
        .ok_or(IdentityError::NotFound)
}

/// Applies profile changes and returns the updated profile.
///
/// # Errors
/// [`IdentityError::NotFound`]; storage failure.
pub async fn update_profile(
    store: &dyn Store,
    clock: &dyn Clock,
    p: &Principal,
    changes: &ProfileChanges,
) -> Result<Customer, IdentityError> {
    let uow = store.begin().await?;
    unrestricted(uow.as_ref(), p).await?;
    uow.accounts()
        .update_profile(p.customer_id, changes, clock.now())
        .await?;
    let c = uow
        .accounts()
        .get(p.customer_id)
        .await?
        .ok_or(IdentityError::NotFound)?;
    uow.commit().await?;
    Ok(c)
}

/// Adds an address to the caller's account.
///
/// # Errors
/// Storage failure.
pub async fn add_address(
    store: &dyn Store,
    clock: &dyn Clock,
    p: &Principal,
    kind: AddressKind,
    address: &PostalAddress,
) -> Result<StoredAddress, IdentityError> {
    let id = AddressId::new();
    let uow = store.begin().await?;
    unrestricted(uow.as_ref(), p).await?;
    uow.addresses()
        .insert(p.customer_id, id, kind, address, clock.now())
        .await?;
    let stored = uow
        .addresses()
        .get(p.customer_id, id)
        .await?
        .ok_or(IdentityError::NotFound)?;
    uow.commit().await?;
    Ok(stored)
}

/// Replaces one of the caller's addresses.
///
/// # Errors
/// [`IdentityError::NotFound`] when it is not theirs; storage failure.
pub async fn replace_address(
    store: &dyn Store,
    clock: &dyn Clock,
    p: &Principal,
    id: AddressId,
    kind: AddressKind,
    address: &PostalAddress,
) -> Result<StoredAddress, IdentityError> {
    let uow = store.begin().await?;
    unrestricted(uow.as_ref(), p).await?;
    if !uow
        .addresses()
        .update(p.customer_id, id, kind, address, clock.now())
        .await?
    {
        return Err(IdentityError::NotFound);
    }
    let stored = uow
        .addresses()
        .get(p.customer_id, id)
        .await?
        .ok_or(IdentityError::NotFound)?;
    uow.commit().await?;
    Ok(stored)
}

/// Deletes one of the caller's addresses.
///
/// # Errors
/// [`IdentityError::NotFound`] when it is not theirs; storage failure.
pub async fn delete_address(
    store: &dyn Store,
    p: &Principal,
    id: AddressId,
) -> Result<(), IdentityError> {
    unrestricted(store.reader().as_ref(), p).await?;
    if store.reader().addresses().delete(p.customer_id, id).await? {
        Ok(())
    } else {
        Err(IdentityError::NotFound)
    }
}

/// Refuses changes to restricted data (GDPR art. 18): they stay as they
/// are until the restriction is lifted.
///
/// # Errors
/// [`IdentityError::Restricted`]; storage failure.
pub(crate) async fn unrestricted(
    repos: &dyn crate::store::Repos,
    p: &Principal,
) -> Result<(), IdentityError> {
    if repos.dpo().restricted(p.customer_id).await? {
        return Err(IdentityError::Restricted);
    }
    Ok(())
}
