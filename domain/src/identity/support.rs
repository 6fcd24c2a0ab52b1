//! Steps several identity use cases share: single-use links, mail to an
//! existing account, token hashes.

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

use super::config::IdentityConfig;
use super::ports::{Randomness, TokenPurpose};
use crate::error::StorageError;
use crate::ids::CustomerId;
use crate::mail::{Envelope, Mail};
use crate::store::Repos;
use crate::subject::SubjectId;

/// The stored hash of a single-use token.
#[must_use]
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Stores a new single-use token for `owner` and returns the link carrying it.
pub(crate) async fn issue_link(
    repos: &dyn Repos,
    random: &dyn Randomness,
    config: &IdentityConfig,
    owner: CustomerId,
    purpose: TokenPurpose,
    ttl: Duration,
    now: DateTime<Utc>,
) -> Result<String, StorageError> {
    let token = random.token();
    repos
        .tokens()
        .create(owner, purpose, token_hash(&token), now, now + ttl)
        .await?;
    Ok(format!(
        "{}/account/{}?token={token}",
        config.frontend_url.trim_end_matches('/'),
        purpose.page()
    ))
}

/// Queues `mail` to an existing account; nothing when it was erased meanwhile.
pub(crate) async fn notify(
    repos: &dyn Repos,
    id: CustomerId,
    mail: Mail,
    now: DateTime<Utc>,
) -> Result<(), StorageError> {
    let Some(c) = repos.accounts().get(id).await? else {
        return Ok(());
    };
    repos
        .outbox()
        .enqueue(
            SubjectId::customer(id),
            &Envelope {
                to: c.email,
                name: Some(c.name),
                language: c.language,
                mail,
            },
            now,
        )
        .await
}
