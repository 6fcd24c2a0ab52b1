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
    throttle_registrations(store, clock, config, origin).await?;
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
    let setup = Setup::decide(hasher, random, config, chosen_hash).await?;
    let id = CustomerId::new();
    let new = NewCustomer {
        email: r.email.clone(),
        name: r.name.clone(),
        phone: r.phone,
        role: Role::Customer,
        language: r.language,
    };
    let uow = store.begin().await?;
    // Lost a race with another registration of the same address: the
    // answer stays the same.
    let Some(mail) = open_account(uow.as_ref(), random, config, setup, id, &new, now).await? else {
        return Ok(());
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

/// The limit on accounts opened from one source, shared by registration and
/// the checkout's "create an account": each may cost a hash and sends a
/// mail. Then how the new account's owner will get in.
///
/// # Errors
/// [`IdentityError::Limited`] past the limit or from a banned source;
/// storage or hashing failure.
pub async fn throttle_new_account(
    store: &dyn Store,
    hasher: &dyn PasswordHasher,
    random: &dyn Randomness,
    clock: &dyn Clock,
    config: &IdentityConfig,
    origin: &Origin,
) -> Result<Setup, IdentityError> {
    lockdown::check_source(store, clock, origin).await?;
    throttle_registrations(store, clock, config, origin).await?;
    Setup::decide(hasher, random, config, None).await
}

async fn throttle_registrations(
    store: &dyn Store,
    clock: &dyn Clock,
    config: &IdentityConfig,
    origin: &Origin,
) -> Result<(), IdentityError> {
    lockdown::throttle(
        store,
        &config.lockout,
        clock,
        CounterKind::Registrations,
        config.lockout.registrations,
        origin,
    )
    .await
}

/// How the owner of a new account gets in, decided before its unit of work
/// (a hash costs time a transaction should not wait for).
#[derive(Clone)]
pub struct Setup {
    hash: Option<String>,
    must_change: bool,
    chosen: bool,
    generated: Option<String>,
}

// Neither the hash nor a generated password may reach a log line.
impl std::fmt::Debug for Setup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Setup")
            .field("chosen", &self.chosen)
            .field("generated", &self.generated.is_some())
            .finish_non_exhaustive()
    }
}

impl Setup {
    /// The chosen password's hash when one was given; else a set-password
    /// link or a generated password, as configured (ACC-2).
    ///
    /// # Errors
    /// Hashing failure.
    pub async fn decide(
        hasher: &dyn PasswordHasher,
        random: &dyn Randomness,
        config: &IdentityConfig,
        chosen_hash: Option<String>,
    ) -> Result<Self, IdentityError> {
        Ok(match (chosen_hash, config.account_setup) {
            (Some(h), _) => Self {
                hash: Some(h),
                must_change: false,
                chosen: true,
                generated: None,
            },
            (None, AccountSetup::Link) => Self {
                hash: None,
                must_change: false,
                chosen: false,
                generated: None,
            },
            (None, AccountSetup::GeneratedPassword) => {
                let pw = random.password();
                Self {
                    hash: Some(hasher.hash(pw.clone()).await?),
                    must_change: true,
                    chosen: false,
                    generated: Some(pw),
                }
            }
        })
    }
}

/// Creates a customer account, with its data key, in `uow`, and answers
/// the mail that lets its owner in (welcome, set-password link or generated
/// password), or `None` when the address has an account already.
///
/// # Errors
/// Storage failure.
pub async fn open_account(
    uow: &dyn crate::store::Repos,
    random: &dyn Randomness,
    config: &IdentityConfig,
    setup: Setup,
    id: CustomerId,
    new: &NewCustomer,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<Mail>, IdentityError> {
    uow.keys().create(SubjectId::customer(id), now).await?;
    match uow
        .accounts()
        .create(id, new, setup.hash, setup.must_change, now)
        .await
    {
        Ok(()) => {}
        Err(super::AccountWriteError::EmailTaken) => return Ok(None),
        Err(e) => return Err(e.into()),
    }
    Ok(Some(match (setup.chosen, setup.generated) {
        (true, _) => Mail::Welcome,
        (false, Some(password)) => Mail::AccountGeneratedPassword { password },
        (false, None) => Mail::AccountSetupLink {
            link: issue_link(
                uow,
                random,
                config,
                id,
                TokenPurpose::SetPassword,
                config.set_password_ttl,
                now,
            )
            .await?,
        },
    }))
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
