//! Keys from configuration. In development, missing keys are generated once
//! into `<data dir>/dev-secrets.json` with a warning; in production the
//! server refuses to start without them.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use persistence::vault::Keyring;
use rand::Rng as _;
use serde::{Deserialize, Serialize};

use crate::config::{Config, Environment};

/// The keys the application runs with.
#[derive(Clone)]
pub struct Secrets {
    /// Master and blind-index keys.
    pub keyring: Arc<Keyring>,
    /// HS256 signing key of access tokens.
    pub jwt_secret: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
struct DevSecrets {
    master_key: String,
    blind_index_key: String,
    jwt_secret: String,
}

fn random_b64() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    STANDARD.encode(bytes)
}

fn dev_secrets(data_dir: &Path) -> anyhow::Result<DevSecrets> {
    let path = data_dir.join("dev-secrets.json");
    if let Ok(text) = std::fs::read_to_string(&path) {
        restrict(&path).with_context(|| format!("cannot protect {}", path.display()))?;
        return serde_json::from_str(&text)
            .with_context(|| format!("{} is malformed", path.display()));
    }
    let generated = Keyring::generate();
    let secrets = DevSecrets {
        master_key: generated.current().export(),
        blind_index_key: generated.export_blind_key(),
        jwt_secret: random_b64(),
    };
    create_private_dir(data_dir)?;
    write_private(&path, &serde_json::to_string_pretty(&secrets)?)?;
    tracing::warn!(
        path = %path.display(),
        "no keys configured: generated development keys. Set BOUTIQUE_MASTER_KEY, \
         BOUTIQUE_BLIND_INDEX_KEY and BOUTIQUE_JWT_SECRET in production"
    );
    Ok(secrets)
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

/// Creates the data directory (and missing parents) as 0700, when the
/// database did not (PostgreSQL).
#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt as _;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

/// Takes group and other access away from a file written by an older
/// version or copied in carelessly.
#[cfg(unix)]
fn restrict(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(path)?.permissions().mode();
    if mode & 0o077 != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & 0o700))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn restrict(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

/// Loads (or, in development, generates) the keys.
///
/// # Errors
/// Missing keys in production, malformed keys.
pub fn load(config: &Config) -> anyhow::Result<Secrets> {
    let configured = (
        config.master_key.clone(),
        config.blind_index_key.clone(),
        config.jwt_secret.clone(),
    );
    let (master, blind, jwt) = match configured {
        (Some(m), Some(b), Some(j)) => (m, b, j),
        _ if config.environment == Environment::Production => bail!(
            "BOUTIQUE_ENV=production needs BOUTIQUE_MASTER_KEY, BOUTIQUE_BLIND_INDEX_KEY and BOUTIQUE_JWT_SECRET"
        ),
        (m, b, j) => {
            let dev = dev_secrets(&config.data_dir)?;
            (
                m.unwrap_or(dev.master_key),
                b.unwrap_or(dev.blind_index_key),
                j.unwrap_or(dev.jwt_secret),
            )
        }
    };
    let keyring = Keyring::new(&master, &config.old_master_keys, &blind)
        .context("invalid master or blind-index key")?;
    let jwt_secret = STANDARD
        .decode(jwt.trim())
        .context("BOUTIQUE_JWT_SECRET is not base64")?;
    if jwt_secret.len() < 32 {
        bail!("BOUTIQUE_JWT_SECRET must be at least 32 bytes");
    }
    Ok(Secrets {
        keyring: Arc::new(keyring),
        jwt_secret,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_refuses_to_start_without_keys() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::for_tests("sqlite::memory:".into(), dir.path().to_path_buf());
        config.environment = Environment::Production;
        assert!(load(&config).is_err());
        assert!(!dir.path().join("dev-secrets.json").exists());
    }

    #[test]
    fn development_generates_keys_once_and_reuses_them() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::for_tests("sqlite::memory:".into(), dir.path().to_path_buf());
        let a = load(&config).unwrap();
        let b = load(&config).unwrap();
        assert_eq!(a.jwt_secret, b.jwt_secret);
        assert_eq!(
            a.keyring.blind_index("email", "x"),
            b.keyring.blind_index("email", "x")
        );
    }
}
