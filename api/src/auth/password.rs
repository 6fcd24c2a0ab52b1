//! Password hashing: argon2id (m = 19456 KiB, t = 2, p = 1, PHC strings), run
//! off the async workers on a bounded set of threads, so a flood of logins
//! queues instead of starving every other request.

use std::sync::Arc;

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::Mutex;

use tokio::sync::oneshot;

use crate::problem::ApiError;

fn argon2() -> Result<Argon2<'static>, ApiError> {
    let params = Params::new(19_456, 2, 1, None)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("argon2 params: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

type Job = Box<dyn FnOnce() + Send>;

/// Hashes and verifies passwords on a fixed set of dedicated threads.
///
/// Dedicated threads, rather than the runtime's blocking pool, keep memory
/// bounded: each argon2 run takes 19 MiB, and a pool that grows to many
/// threads keeps a freed 19 MiB block cached in each thread's allocator arena.
#[derive(Clone)]
pub struct PasswordHasher {
    jobs: std::sync::mpsc::Sender<Job>,
    dummy: Arc<String>,
}

impl PasswordHasher {
    /// A hasher running at most `concurrency` hashes at once; further
    /// requests queue.
    ///
    /// # Errors
    /// When argon2 or its threads cannot be set up.
    pub fn new(concurrency: usize) -> Result<Self, ApiError> {
        // Verifying against this hash for unknown e-mails makes a failed login
        // take as long whether or not the account exists.
        let dummy = argon2()?
            .hash_password(b"boutique-dummy-password")
            .map_err(|e| ApiError::Internal(anyhow::anyhow!("argon2: {e}")))?
            .to_string();
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..concurrency.max(1) {
            let queue = Arc::clone(&queue);
            std::thread::Builder::new()
                .name(format!("password-hasher-{i}"))
                .spawn(move || {
                    loop {
                        // The lock is held only while taking a job, not while running it.
                        let job = queue
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .recv();
                        match job {
                            Ok(job) => job(),
                            Err(_) => break,
                        }
                    }
                })
                .map_err(|e| ApiError::Internal(e.into()))?;
        }
        Ok(Self {
            jobs,
            dummy: Arc::new(dummy),
        })
    }

    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let (tx, rx) = oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                let _ = tx.send(f());
            }))
            .map_err(|_| ApiError::Internal(anyhow::anyhow!("password hasher stopped")))?;
        rx.await
            .map_err(|_| ApiError::Internal(anyhow::anyhow!("password hasher stopped")))
    }

    /// The PHC string of `password`.
    ///
    /// # Errors
    /// [`ApiError::Internal`] when hashing fails.
    pub async fn hash(&self, password: String) -> Result<String, ApiError> {
        self.run(move || {
            argon2()?
                .hash_password(password.as_bytes())
                .map(|h| h.to_string())
                .map_err(|e| ApiError::Internal(anyhow::anyhow!("argon2: {e}")))
        })
        .await?
    }

    /// Whether `password` matches `phc`; with no hash (unknown account or no
    /// password set) a dummy hash is checked and the answer is false.
    ///
    /// # Errors
    /// [`ApiError::Internal`] when the hasher is gone.
    pub async fn verify(&self, password: String, phc: Option<String>) -> Result<bool, ApiError> {
        let known = phc.is_some();
        let phc = phc.unwrap_or_else(|| self.dummy.as_ref().clone());
        let ok = self
            .run(move || {
                let Ok(parsed) = PasswordHash::new(&phc) else {
                    return false;
                };
                argon2().is_ok_and(|a| a.verify_password(password.as_bytes(), &parsed).is_ok())
            })
            .await?;
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
