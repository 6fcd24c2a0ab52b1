//! Registration, login, logout, password and e-mail changes, staff creation.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use domain::audit::AuditAction;
use domain::identity::{
    CustomerId, Email, Language, NewCustomer, Password, PersonName, Phone, Role, SessionId,
};
use persistence::ConnectionTrait;
use persistence::accounts::AccountWriteError;
use persistence::audit::NewAuditEntry;
use persistence::vault::DataKey;
use persistence::{AuditLog, Outbox};
use rand::Rng as _;
use sha2::{Digest, Sha256};

use crate::app::AppState;
use crate::auth::Principal;
use crate::auth::client::Client;
use crate::auth::lockdown;
use crate::config::AccountSetup;
use crate::problem::ApiError;

const SET_PASSWORD: &str = "set_password";
const RESET_PASSWORD: &str = "reset_password";

fn db_err(e: persistence::DbErr) -> ApiError {
    ApiError::Internal(e.into())
}

/// A random single-use token and the hash stored for it.
fn new_token() -> (String, Vec<u8>) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = token_hash(&token);
    (token, hash)
}

fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// A generated password: 20 characters from an unambiguous alphabet (~110 bits).
fn generated_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..20)
        .map(|_| {
            let mut b = [0u8; 1];
            // Rejection sampling keeps every character equally likely.
            loop {
                rng.fill_bytes(&mut b);
                let i = usize::from(b[0]);
                if i < 256 - 256 % ALPHABET.len() {
                    return char::from(ALPHABET[i % ALPHABET.len()]);
                }
            }
        })
        .collect()
}

fn audit(
    actor: &str,
    action: AuditAction,
    target: Option<String>,
    client: &Client,
    reason: Option<String>,
) -> NewAuditEntry {
    NewAuditEntry {
        actor: actor.to_owned(),
        action,
        target,
        source: client.source_display.clone(),
        reason,
    }
}

fn customer_target(id: CustomerId) -> Option<String> {
    Some(format!("customer:{id}"))
}

async fn enqueue(
    conn: &impl ConnectionTrait,
    id: CustomerId,
    key: &DataKey,
    template: &str,
    language: Language,
    to: &Email,
    name: &PersonName,
    extra: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let mut payload = serde_json::json!({"to": to.as_str(), "name": name.as_str()});
    if let (Some(p), Some(e)) = (payload.as_object_mut(), extra.as_object()) {
        p.extend(e.clone());
    }
    Outbox::enqueue(
        conn,
        id.as_uuid(),
        key,
        template,
        language.as_str(),
        &payload,
        now,
    )
    .await?;
    Ok(())
}

/// What registration needs.
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
}

/// Registers a customer. The outcome is the same whether or not the address
/// already has an account (that account's owner is told by e-mail instead).
///
/// # Errors
/// Storage failure.
pub async fn register(state: &AppState, r: Registration, client: &Client) -> Result<(), ApiError> {
    let now = state.clock.now();
    let chosen_hash = match &r.password {
        Some(p) => Some(state.hasher.hash(p.expose().to_owned()).await?),
        None => None,
    };
    if let Some(existing) = state.accounts.find_id_by_email(&r.email).await? {
        return notify_existing(state, existing, now).await;
    }
    let (hash, must_change, generated) = match (chosen_hash, state.config.account_setup) {
        (Some(h), _) => (Some(h), false, None),
        (None, AccountSetup::Link) => (None, false, None),
        (None, AccountSetup::GeneratedPassword) => {
            let pw = generated_password();
            (Some(state.hasher.hash(pw.clone()).await?), true, Some(pw))
        }
    };
    let id = CustomerId::new();
    let new = NewCustomer {
        email: r.email.clone(),
        name: r.name.clone(),
        phone: r.phone,
        role: Role::Customer,
        language: r.language,
        privacy_policy_version: Some(state.config.privacy_policy_version.clone()),
    };
    let txn = state.accounts.begin().await?;
    let key = match state
        .accounts
        .create(&txn, id, &new, hash, must_change, now)
        .await
    {
        Ok(key) => key,
        // Lost a race with another registration of the same address.
        Err(AccountWriteError::EmailTaken) => return Ok(()),
        Err(AccountWriteError::Storage(e)) => return Err(e.into()),
    };
    match (&r.password, generated) {
        (Some(_), _) => {
            enqueue(
                &txn,
                id,
                &key,
                "welcome",
                r.language,
                &r.email,
                &r.name,
                serde_json::json!({}),
                now,
            )
            .await?
        }
        (None, Some(pw)) => {
            enqueue(
                &txn,
                id,
                &key,
                "account_generated_password",
                r.language,
                &r.email,
                &r.name,
                serde_json::json!({"password": pw}),
                now,
            )
            .await?;
        }
        (None, None) => {
            let link = issue_link(state, &txn, id, SET_PASSWORD, Duration::hours(48), now).await?;
            enqueue(
                &txn,
                id,
                &key,
                "account_setup_link",
                r.language,
                &r.email,
                &r.name,
                serde_json::json!({"link": link}),
                now,
            )
            .await?;
        }
    }
    AuditLog::append_in(
        &txn,
        audit(
            "anonymous",
            AuditAction::AccountCreated,
            customer_target(id),
            client,
            Some("self-registration".into()),
        ),
        now,
    )
    .await?;
    txn.commit().await.map_err(db_err)
}

async fn notify_existing(
    state: &AppState,
    id: CustomerId,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let txn = state.accounts.begin().await?;
    notify(
        state,
        &txn,
        id,
        "registration_attempt",
        serde_json::json!({}),
        now,
    )
    .await?;
    txn.commit().await.map_err(db_err)
}

/// Queues `template` to an existing account inside `conn`; nothing when the
/// subject was erased meanwhile.
async fn notify(
    state: &AppState,
    conn: &impl ConnectionTrait,
    id: CustomerId,
    template: &str,
    extra: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let (Some(c), Some(key)) = (
        state.accounts.get(id).await?,
        state.keys.get(id.as_uuid()).await?,
    ) else {
        return Ok(());
    };
    enqueue(
        conn, id, &key, template, c.language, &c.email, &c.name, extra, now,
    )
    .await
}

async fn issue_link(
    state: &AppState,
    conn: &impl ConnectionTrait,
    id: CustomerId,
    purpose: &str,
    ttl: Duration,
    now: DateTime<Utc>,
) -> Result<String, ApiError> {
    let (token, hash) = new_token();
    state
        .accounts
        .create_token(conn, id, purpose, hash, now, now + ttl)
        .await?;
    let page = if purpose == SET_PASSWORD {
        "set-password"
    } else {
        "reset-password"
    };
    Ok(format!(
        "{}/account/{page}?token={token}",
        state.config.frontend_url.trim_end_matches('/')
    ))
}

/// A new session.
pub struct LoginOutcome {
    /// The bearer token.
    pub access_token: String,
    /// When it (and the session) ends.
    pub expires_at: DateTime<Utc>,
    /// The session id.
    pub session_id: SessionId,
    /// A generated password must be changed before anything else.
    pub must_change_password: bool,
}

/// Logs in, with lockdown. Wrong e-mail and wrong password are the same
/// failure, and take the same time.
///
/// # Errors
/// [`ApiError::InvalidCredentials`], [`ApiError::TooManyRequests`], storage failure.
pub async fn login(
    state: &AppState,
    email: &str,
    password: String,
    remember_me: bool,
    client: &Client,
) -> Result<LoginOutcome, ApiError> {
    let parsed = Email::parse(email).ok();
    let account_key = parsed.as_ref().map_or_else(
        || {
            Client::account_key(
                &state
                    .keys
                    .keyring()
                    .blind_index("email", &email.to_lowercase()),
            )
        },
        |e| Client::account_key(&state.accounts.email_index(e)),
    );
    lockdown::check_login(state, &account_key, client).await?;
    let record = match &parsed {
        Some(e) => state.accounts.login_record(e).await?,
        None => None,
    };
    let ok = state
        .hasher
        .verify(
            password,
            record.as_ref().and_then(|r| r.password_hash.clone()),
        )
        .await?;
    let known = record.as_ref().map(|r| r.id);
    let Some(record) = record.filter(|_| ok) else {
        // The account id (when there is one) lets a password reset lift its locks.
        lockdown::record_failure(state, &account_key, known, client).await?;
        return Err(ApiError::InvalidCredentials);
    };
    lockdown::record_success(state, &account_key, client).await?;
    let now = state.clock.now();
    let session_id = SessionId::new();
    let expires_at = state.sessions.expires_at(now, remember_me);
    let ip = client.ip.map(|ip| ip.to_string());
    let txn = state.accounts.begin().await?;
    state
        .accounts
        .create_session(
            &txn,
            record.id,
            session_id,
            remember_me,
            now,
            expires_at,
            client.user_agent.as_deref(),
            ip.as_deref(),
        )
        .await?;
    AuditLog::append_in(
        &txn,
        audit(
            &record.id.to_string(),
            AuditAction::LoginSucceeded,
            customer_target(record.id),
            client,
            None,
        ),
        now,
    )
    .await?;
    txn.commit().await.map_err(db_err)?;
    state.accounts.touch(record.id, now).await?;
    let access_token = state.tokens.issue(
        &record.id.to_string(),
        &session_id.to_string(),
        record.role.as_str(),
        now,
        expires_at,
    )?;
    Ok(LoginOutcome {
        access_token,
        expires_at,
        session_id,
        must_change_password: record.must_change_password,
    })
}

/// Ends the caller's session at once.
///
/// # Errors
/// Storage failure.
pub async fn logout(state: &AppState, p: &Principal) -> Result<(), ApiError> {
    let now = state.clock.now();
    state
        .accounts
        .revoke_session(p.customer_id, p.session_id, now)
        .await?;
    state
        .audit
        .append(
            audit(
                &p.actor(),
                AuditAction::LoggedOut,
                customer_target(p.customer_id),
                &p.client,
                None,
            ),
            now,
        )
        .await?;
    Ok(())
}

/// Sends a reset link when the address has an account; says nothing either way.
///
/// # Errors
/// Storage failure.
pub async fn forgot_password(state: &AppState, email: &Email) -> Result<(), ApiError> {
    let now = state.clock.now();
    let Some(id) = state.accounts.find_id_by_email(email).await? else {
        return Ok(());
    };
    let txn = state.accounts.begin().await?;
    let link = issue_link(state, &txn, id, RESET_PASSWORD, Duration::hours(1), now).await?;
    notify(
        state,
        &txn,
        id,
        "password_reset",
        serde_json::json!({"link": link}),
        now,
    )
    .await?;
    txn.commit().await.map_err(db_err)
}

/// Sets a new password with a single-use token (set-password or reset link).
/// Works while the account is locked, lifts its locks and ends its sessions.
///
/// # Errors
/// [`ApiError::Validation`] on an unknown, used or expired token; storage failure.
pub async fn reset_password(
    state: &AppState,
    token: &str,
    new: &Password,
    client: &Client,
) -> Result<(), ApiError> {
    let hash = state.hasher.hash(new.expose().to_owned()).await?;
    let now = state.clock.now();
    let txn = state.accounts.begin().await?;
    let Some(id) = state
        .accounts
        .consume_token(
            &txn,
            &[SET_PASSWORD, RESET_PASSWORD],
            &token_hash(token),
            now,
        )
        .await?
    else {
        let mut e = domain::FieldErrors::default();
        e.push(
            "token",
            "is unknown, already used or expired; ask for a new link",
        );
        return Err(ApiError::Validation(e));
    };
    state
        .accounts
        .set_password(&txn, id, hash, false, now)
        .await?;
    state
        .accounts
        .revoke_other_sessions(&txn, id, None, now)
        .await?;
    AuditLog::append_in(
        &txn,
        audit(
            &id.to_string(),
            AuditAction::PasswordReset,
            customer_target(id),
            client,
            None,
        ),
        now,
    )
    .await?;
    notify(
        state,
        &txn,
        id,
        "password_changed",
        serde_json::json!({}),
        now,
    )
    .await?;
    txn.commit().await.map_err(db_err)?;
    state.counters.clear_account(id.as_uuid()).await?;
    Ok(())
}

async fn check_password(
    state: &AppState,
    p: &Principal,
    password: String,
    field: &str,
) -> Result<(), ApiError> {
    let record = state.accounts.login_record_by_id(p.customer_id).await?;
    if state
        .hasher
        .verify(password, record.and_then(|r| r.password_hash))
        .await?
    {
        return Ok(());
    }
    // A wrong current password counts like a failed login.
    if let Some(c) = state.accounts.get(p.customer_id).await? {
        let key = Client::account_key(&state.accounts.email_index(&c.email));
        lockdown::record_failure(state, &key, Some(p.customer_id), &p.client).await?;
    }
    let mut e = domain::FieldErrors::default();
    e.push(field, "is not the account's current password");
    Err(ApiError::Validation(e))
}

/// Changes the password; every other session ends.
///
/// # Errors
/// Wrong current password, storage failure.
pub async fn change_password(
    state: &AppState,
    p: &Principal,
    current: String,
    new: &Password,
) -> Result<(), ApiError> {
    check_password(state, p, current, "current_password").await?;
    let hash = state.hasher.hash(new.expose().to_owned()).await?;
    let now = state.clock.now();
    let txn = state.accounts.begin().await?;
    state
        .accounts
        .set_password(&txn, p.customer_id, hash, false, now)
        .await?;
    state
        .accounts
        .revoke_other_sessions(&txn, p.customer_id, Some(p.session_id), now)
        .await?;
    AuditLog::append_in(
        &txn,
        audit(
            &p.actor(),
            AuditAction::PasswordChanged,
            customer_target(p.customer_id),
            &p.client,
            None,
        ),
        now,
    )
    .await?;
    notify(
        state,
        &txn,
        p.customer_id,
        "password_changed",
        serde_json::json!({}),
        now,
    )
    .await?;
    txn.commit().await.map_err(db_err)
}

/// Changes the e-mail address; needs the password. The old address is told.
///
/// # Errors
/// Wrong password, address taken (409), storage failure.
pub async fn change_email(
    state: &AppState,
    p: &Principal,
    password: String,
    new: &Email,
) -> Result<(), ApiError> {
    check_password(state, p, password, "password").await?;
    let now = state.clock.now();
    let txn = state.accounts.begin().await?;
    // Queued first, so it goes to the old address.
    notify(
        state,
        &txn,
        p.customer_id,
        "email_changed",
        serde_json::json!({}),
        now,
    )
    .await?;
    match state
        .accounts
        .change_email(&txn, p.customer_id, new, now)
        .await
    {
        Ok(()) => {}
        Err(AccountWriteError::EmailTaken) => {
            return Err(ApiError::Conflict(
                "Another account uses this e-mail address.".into(),
            ));
        }
        Err(AccountWriteError::Storage(e)) => return Err(e.into()),
    }
    AuditLog::append_in(
        &txn,
        audit(
            &p.actor(),
            AuditAction::EmailChanged,
            customer_target(p.customer_id),
            &p.client,
            None,
        ),
        now,
    )
    .await?;
    txn.commit().await.map_err(db_err)
}

/// Creates a staff account. With a password (command line) it is usable at
/// once; without, the new member gets a set-password link.
///
/// # Errors
/// Address taken (409), storage failure.
pub async fn create_staff(
    state: &AppState,
    actor: &str,
    email: Email,
    name: PersonName,
    role: Role,
    password: Option<&Password>,
    client: &Client,
) -> Result<CustomerId, ApiError> {
    let now = state.clock.now();
    let hash = match password {
        Some(p) => Some(state.hasher.hash(p.expose().to_owned()).await?),
        None => None,
    };
    let id = CustomerId::new();
    let new = NewCustomer {
        email: email.clone(),
        name: name.clone(),
        phone: None,
        role,
        language: Language::Fr,
        privacy_policy_version: None,
    };
    let txn = state.accounts.begin().await?;
    let key = match state
        .accounts
        .create(&txn, id, &new, hash.clone(), false, now)
        .await
    {
        Ok(k) => k,
        Err(AccountWriteError::EmailTaken) => {
            return Err(ApiError::Conflict(
                "An account already uses this e-mail address.".into(),
            ));
        }
        Err(AccountWriteError::Storage(e)) => return Err(e.into()),
    };
    if hash.is_none() {
        let link = issue_link(state, &txn, id, SET_PASSWORD, Duration::hours(48), now).await?;
        enqueue(
            &txn,
            id,
            &key,
            "account_setup_link",
            Language::Fr,
            &email,
            &name,
            serde_json::json!({"link": link}),
            now,
        )
        .await?;
    }
    AuditLog::append_in(
        &txn,
        audit(
            actor,
            AuditAction::AccountCreated,
            customer_target(id),
            client,
            Some("staff account".into()),
        ),
        now,
    )
    .await?;
    AuditLog::append_in(
        &txn,
        audit(
            actor,
            AuditAction::RoleChanged,
            customer_target(id),
            client,
            Some(format!("granted {role}")),
        ),
        now,
    )
    .await?;
    txn.commit().await.map_err(db_err)?;
    Ok(id)
}

/// Changes an account's role (admins only). An admin cannot demote themself,
/// so the shop always keeps an administrator.
///
/// # Errors
/// Unknown account (404), self-demotion (409), storage failure.
pub async fn set_role(
    state: &AppState,
    admin: &Principal,
    target: CustomerId,
    role: Role,
) -> Result<(), ApiError> {
    let now = state.clock.now();
    let record = state
        .accounts
        .login_record_by_id(target)
        .await?
        .ok_or_else(|| ApiError::NotFound("No account has this id.".into()))?;
    if target == admin.customer_id && role != Role::Admin {
        return Err(ApiError::Conflict(
            "Administrators cannot remove their own administrator role.".into(),
        ));
    }
    let txn = state.accounts.begin().await?;
    state.accounts.set_role(&txn, target, role, now).await?;
    AuditLog::append_in(
        &txn,
        audit(
            &admin.actor(),
            AuditAction::RoleChanged,
            customer_target(target),
            &admin.client,
            Some(format!("{} -> {role}", record.role)),
        ),
        now,
    )
    .await?;
    txn.commit().await.map_err(db_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_are_long_and_pass_the_policy() {
        let a = generated_password();
        assert_eq!(a.chars().count(), 20);
        assert!(Password::parse(&a).is_ok());
        assert_ne!(a, generated_password());
    }

    #[test]
    fn tokens_are_stored_only_as_hashes() {
        let (token, hash) = new_token();
        assert_eq!(hash, token_hash(&token));
        assert!(token.len() >= 43);
    }
}
