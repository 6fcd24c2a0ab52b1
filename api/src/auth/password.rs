//! Password hashing: argon2id (m = 19456 KiB, t = 2, p = 1, PHC strings), run
//! off the async workers with bounded concurrency so a flood of logins queues
//! instead of starving every other request.

use std::sync::Arc;

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::problem::ApiError;

fn argon2() -> Result<Argon2<'static>, ApiError> {
    let params = Params::new(19_456, 2, 1, None)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("argon2 params: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes and verifies passwords.
#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    dummy: Arc<String>,
}

impl PasswordHasher {
    /// A hasher running at most `concurrency` hashes at once.
    ///
    /// # Errors
    /// When argon2 cannot be set up (a bug).
    pub fn new(concurrency: usize) -> Result<Self, ApiError> {
        // Verifying against this hash for unknown e-mails makes a failed login
        // take as long whether or not the account exists.
        let dummy = argon2()?
            .hash_password(b"boutique-dummy-password")
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("argon2: {e}")))?
            .to_string();
        Ok(Self {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            dummy: Arc::new(dummy),
        })
    }

    /// The PHC string of `password`.
    ///
    /// # Errors
    /// [`ApiError::Internal`] when hashing fails.
    pub async fn hash(&self, password: String) -> Result<String, ApiError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| ApiError::Internal(e.into()))?;
        tokio::task::spawn_blocking(move || {
            argon2()?
                .hash_password(password.as_bytes())
                .map(|h| h.to_string())
                .map_err(|e| ApiError::Internal(anyhow::anyhow!("argon2: {e}")))
        })
        .await
        .map_err(|e| ApiError::Internal(e.into()))?
    }

    /// Whether `password` matches `phc`; with no hash (unknown account or no
    /// password set) a dummy hash is checked and the answer is false.
    ///
    /// # Errors
    /// [`ApiError::Internal`] when the task fails.
    pub async fn verify(&self, password: String, phc: Option<String>) -> Result<bool, ApiError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| ApiError::Internal(e.into()))?;
        let known = phc.is_some();
        let phc = phc.unwrap_or_else(|| self.dummy.as_ref().clone());
        let ok = tokio::task::spawn_blocking(move || {
            let Ok(parsed) = PasswordHash::new(&phc) else {
                return false;
            };
            argon2().is_ok_and(|a| a.verify_password(password.as_bytes(), &parsed).is_ok())
        })
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
        Ok(known && ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn acc_6_passwords_are_argon2id_phc_strings_that_verify() {
        let h = PasswordHasher::new(1).unwrap();
        let phc = h.hash("correct horse battery staple".into()).await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(
            h.verify("correct horse battery staple".into(), Some(phc.clone()))
                .await
                .unwrap()
        );
        assert!(
            !h.verify("wrong horse battery staple".into(), Some(phc))
                .await
                .unwrap()
        );
        assert!(!h.verify("anything".into(), None).await.unwrap());
    }
}
