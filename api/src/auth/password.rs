//! Password hashing: argon2id (m = 19456 KiB, t = 2, p = 1, PHC strings), run
//! off the async workers on a bounded set of threads, so a flood of logins
//! queues instead of starving every other request.

use std::sync::Arc;

use std::cell::RefCell;

use argon2::password_hash::phc::PasswordHash;
use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use rand::Rng as _;
use std::sync::Mutex;

use tokio::sync::oneshot;

use domain::identity::HashError;

const M_COST: u32 = 19_456;
const T_COST: u32 = 2;
const P_COST: u32 = 1;

thread_local! {
    /// Each hashing thread keeps its 19 MiB of argon2 memory for the next
    /// hash, instead of asking the allocator for it every time.
    static BLOCKS: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

fn with_blocks<T>(count: usize, f: impl FnOnce(&mut [Block]) -> T) -> T {
    BLOCKS.with(|b| {
        let mut b = b.borrow_mut();
        if b.len() != count {
            b.clear();
            b.shrink_to_fit();
            b.resize(count, Block::default());
        }
        f(&mut b[..])
    })
}

/// The PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) of `password`.
fn hash_phc(password: &[u8]) -> Result<String, HashError> {
    let params = Params::new(M_COST, T_COST, P_COST, Some(32))
        .map_err(|e| HashError(format!("argon2 params: {e}")))?;
    let count = params.block_count();
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let mut out = [0u8; 32];
    with_blocks(count, |m| {
        argon2.hash_password_into_with_memory(password, &salt, &mut out, m)
    })
    .map_err(|e| HashError(format!("argon2: {e}")))?;
    Ok(format!(
        "$argon2id$v=19$m={M_COST},t={T_COST},p={P_COST}${}${}",
        STANDARD_NO_PAD.encode(salt),
        STANDARD_NO_PAD.encode(out)
    ))
}

/// Whether `password` matches a PHC string, with the parameters it names.
fn verify_phc(password: &[u8], phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm.as_ref()) else {
        return false;
    };
    let Ok(version) = parsed.version.map_or(Ok(Version::V0x13), Version::try_from) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let count = params.block_count();
    let argon2 = Argon2::new(algorithm, version, params);
    let mut out = vec![0u8; expected.as_bytes().len()];
    let ok = with_blocks(count, |m| {
        argon2.hash_password_into_with_memory(password, salt.as_ref(), &mut out, m)
    })
    .is_ok();
    // Constant-time comparison: the time taken says nothing about how much matched.
    ok && out.len() == expected.as_bytes().len()
        && out
            .iter()
            .zip(expected.as_bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
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
    pub fn new(concurrency: usize) -> Result<Self, HashError> {
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
                .map_err(|e| HashError(e.to_string()))?;
        }
        // Verifying against this hash for unknown e-mails makes a failed login
        // take as long whether or not the account exists. It is computed on a
        // hashing thread, whose argon2 memory is kept anyway.
        let (tx, rx) = std::sync::mpsc::channel();
        jobs.send(Box::new(move || {
            let _ = tx.send(hash_phc(b"boutique-dummy-password"));
        }))
        .map_err(|_| HashError("password hasher stopped".into()))?;
        let dummy = rx
            .recv()
            .map_err(|_| HashError("password hasher stopped".into()))??;
        Ok(Self {
            jobs,
            dummy: Arc::new(dummy),
        })
    }

    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let (tx, rx) = oneshot::channel();
        self.jobs
            .send(Box::new(move || {
                let _ = tx.send(f());
            }))
            .map_err(|_| HashError("password hasher stopped".into()))?;
        rx.await
            .map_err(|_| HashError("password hasher stopped".into()))
    }
}

#[async_trait::async_trait]
impl domain::identity::PasswordHasher for PasswordHasher {
    async fn hash(&self, password: String) -> Result<String, HashError> {
        self.run(move || hash_phc(password.as_bytes())).await?
    }

    async fn verify(&self, password: String, phc: Option<String>) -> Result<bool, HashError> {
        let known = phc.is_some();
        let phc = phc.unwrap_or_else(|| self.dummy.as_ref().clone());
        let ok = self
            .run(move || verify_phc(password.as_bytes(), &phc))
            .await?;
        Ok(known && ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn acc_6_passwords_are_argon2id_phc_strings_that_verify() {
        use domain::identity::PasswordHasher as _;
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

    #[test]
    fn our_phc_strings_are_standard_argon2_both_ways() {
        use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
        let ours = hash_phc(b"a long enough passphrase").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"a long enough passphrase", &parsed)
                .is_ok()
        );
        let theirs = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8192, 1, 1, None).unwrap(),
        )
        .hash_password(b"another passphrase")
        .unwrap()
        .to_string();
        assert!(verify_phc(b"another passphrase", &theirs));
        assert!(!verify_phc(b"wrong passphrase", &theirs));
        assert!(!verify_phc(b"x", "not a phc string"));
    }
}
