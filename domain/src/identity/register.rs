//! Self-registration of a customer (ACC-1, ACC-2, CON-1).

use super::config::{AccountSetup, IdentityConfig};
use super::error::IdentityError;
use super::lockdown;
use super::ports::{
    BlindIndex, CounterKind, Origin, PasswordHasher, Randomness, TokenPurpose, hex16,
};
use super::support::{issue_link, notify};
use super::{CustomerId, Email, Language, NewCustomer, Password, PersonName, Phone, Role};
use crate::audit::{Actor, AuditAction, AuditTarget, NewAuditEntry};
use crate::clock::Clock;
use crate::mail::{Envelope, Mail};
use crate::store::Store;
use crate::subject::SubjectId;

/// What registration needs, parsed.
#[derive(Debug, Clone)]
pub struct Registration {
    /// E-mail.
    pub email: Email,
    /// Name.
    pub name: PersonName,
    /// Phone.
    pub phone: Option<Phone>,
    /// Chosen password, if any.
    pub password: Option<Password>,
    /// Language.
    pub language: Language,
    /// The privacy policy version shown and accepted (an explicit `true`).
    pub policy_version: i32,
    /// The terms version shown and accepted, once terms are published.
    pub terms_version: Option<i32>,
}

/// Registers a customer. The outcome is the same whether or not the address
/// already has an account: that account's owner is told by e-mail instead,
/// at most once per `mail_interval`. Registrations are limited per source
/// (each costs a hash and sends a mail).
///
/// The acceptance of the documents in force goes to the consent ledger
/// (`terms_and_privacy`, channel `registration`) with the account.
///
/// # Errors
/// [`IdentityError::Invalid`] when the versions accepted are not those in
/// force; [`IdentityError::Limited`] past the per-source limit; storage or
/// hashing failure.
pub async fn register(
    store: &dyn Store,
    hasher: &dyn PasswordHasher,
    random: &dyn Randomness,
    index: &dyn BlindIndex,
    clock: &dyn Clock,
    config: &IdentityConfig,
    r: Registration,
    origin: &Origin,
) -> Result<(), IdentityError> {
    lockdown::check_source(store, clock, origin).await?;
    check_versions(store.reader().as_ref(), &r).await?;
    lockdown::throttle(
        store,
        &config.lockout,
        clock,
        CounterKind::Registrations,
        config.lockout.registrations,
        origin,
    )
    .await?;
    let now = clock.now();
    let chosen_hash = match &r.password {
        Some(p) => Some(hasher.hash(p.expose().to_owned()).await?),
        None => None,
    };
    if let Some(existing) = store.reader().accounts().login_record(&r.email).await? {
        let uow = store.begin().await?;
        let account = hex16(&index.email(&r.email));
        if lockdown::mail_allowed(
            uow.as_ref(),
            &config.lockout,
            CounterKind::RegistrationNotices,
            &account,
            origin,
            now,
        )
        .await?
        {
            notify(uow.as_ref(), existing.id, Mail::RegistrationAttempt, now).await?;
        }
        uow.commit().await?;
        return Ok(());
    }
    let (hash, must_change, generated) = match (chosen_hash, config.account_setup) {
        (Some(h), _) => (Some(h), false, None),
        (None, AccountSetup::Link) => (None, false, None),
        (None, AccountSetup::GeneratedPassword) => {
            let pw = random.password();
            (Some(hasher.hash(pw.clone()).await?), true, Some(pw))
        }
    };
    let id = CustomerId::new();
    let new = NewCustomer {
        email: r.email.clone(),
        name: r.name.clone(),
        phone: r.phone,
        role: Role::Customer,
        language: r.language,
    };
    let uow = store.begin().await?;
    uow.keys().create(SubjectId::customer(id), now).await?;
    match uow
        .accounts()
        .create(id, &new, hash, must_change, now)
        .await
    {
        Ok(()) => {}
        // Lost a race with another registration of the same address: the
        // answer stays the same.
        Err(super::AccountWriteError::EmailTaken) => return Ok(()),
        Err(e) => return Err(e.into()),
    }
    let mail = match (&r.password, generated) {
        (Some(_), _) => Mail::Welcome,
        (None, Some(password)) => Mail::AccountGeneratedPassword { password },
        (None, None) => Mail::AccountSetupLink {
            link: issue_link(
                uow.as_ref(),
                random,
                config,
                id,
                TokenPurpose::SetPassword,
                config.set_password_ttl,
                now,
            )
            .await?,
        },
    };
    uow.outbox()
        .enqueue(
            SubjectId::customer(id),
            &Envelope {
                to: r.email,
                name: Some(r.name),
                language: r.language,
                mail,
            },
            now,
        )
        .await?;
    crate::consent::record_in(
        uow.as_ref(),
        SubjectId::customer(id),
        crate::consent::TERMS_AND_PRIVACY,
        true,
        crate::consent::Channel::Registration,
        origin,
        now,
    )
    .await?;
    uow.audit()
        .append(
            NewAuditEntry::new(
                Actor::Anonymous,
                AuditAction::AccountCreated,
                Some(AuditTarget::Customer(id)),
                origin.source.display.clone(),
            )
            .because("self-registration"),
            now,
        )
        .await?;
    uow.commit().await?;
    Ok(())
}

/// Refuses versions other than those in force: the ledger must prove what
/// was shown.
async fn check_versions(
    repos: &dyn crate::store::Repos,
    r: &Registration,
) -> Result<(), IdentityError> {
    let docs = crate::legal::current_documents(repos).await?;
    let mut f = crate::error::FieldErrors::default();
    if let Some(p) = &docs.privacy
        && p.version != r.policy_version
    {
        f.push(
            "privacy_policy_version",
            format!("must be the version in force, {}", p.version),
        );
    }
    if let Some(t) = &docs.terms
        && r.terms_version != Some(t.version)
    {
        f.push(
            "terms_version",
            format!("must be the version in force, {}", t.version),
        );
    }
    f.check()?;
    Ok(())
}
