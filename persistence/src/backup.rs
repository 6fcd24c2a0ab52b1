//! Backups (BK-1): a consistent snapshot of the data database, gzipped and
//! encrypted to an age recipient, so a stolen copy reveals nothing and
//! the `age` command line restores it too:
//!
//! ```text
//! age -d -i backup-key.txt boutique-20261207T030000Z.sqlite.gz.age | gunzip > boutique.db
//! age -d -i backup-key.txt boutique-20261207T030000Z.sql.gz.age | gunzip | psql "$DATABASE_URL"
//! ```
//!
//! SQLite is copied online (`VACUUM INTO`); PostgreSQL with `pg_dump`, the
//! tool its operators already trust. The key store is not in the backup:
//! it keeps its own copy, which forgets destroyed keys, so restoring an old
//! backup never brings an erased person's data back to readability.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::str::FromStr;

use age::secrecy::ExposeSecret;
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use crate::Db;

/// What can go wrong with a backup.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// A file could not be read or written.
    #[error("{0}: {1}")]
    Io(String, #[source] std::io::Error),
    /// The recipient or identity is not an age X25519 key.
    #[error("{0}")]
    Key(String),
    /// The file is not an age file for this identity, or was altered.
    #[error("cannot decrypt {0}: wrong key, or the file was altered")]
    Decrypt(String),
    /// The snapshot is not a whole database.
    #[error("{0} is damaged: {1}")]
    Damaged(String, String),
    /// The database refused.
    #[error("database: {0}")]
    Database(String),
    /// `pg_dump` or `psql` failed.
    #[error("{0}")]
    Tool(String),
    /// Restoring needs an empty database.
    #[error("the target database is not empty: restore into a new one")]
    NotEmpty,
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> BackupError {
    let what = what.into();
    move |e| BackupError::Io(what, e)
}

/// Parses an age X25519 recipient (`age1...`).
///
/// # Errors
/// [`BackupError::Key`].
pub fn recipient(s: &str) -> Result<age::x25519::Recipient, BackupError> {
    age::x25519::Recipient::from_str(s.trim())
        .map_err(|e| BackupError::Key(format!("not an age recipient (age1...): {e}")))
}

/// Reads an age identity file (as `age-keygen` writes it: comments, then
/// `AGE-SECRET-KEY-1...`).
///
/// # Errors
/// [`BackupError::Io`], [`BackupError::Key`].
pub fn identity(path: &Path) -> Result<age::x25519::Identity, BackupError> {
    let text = std::fs::read_to_string(path).map_err(io(path.display().to_string()))?;
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("AGE-SECRET-KEY-"))
        .ok_or_else(|| BackupError::Key(format!("{} holds no AGE-SECRET-KEY", path.display())))?;
    age::x25519::Identity::from_str(line).map_err(|e| BackupError::Key(e.to_string()))
}

/// A new identity (for tests and first set-up): the file's text and its
/// recipient.
#[must_use]
pub fn new_identity() -> (String, String) {
    let id = age::x25519::Identity::generate();
    (
        format!("{}\n", id.to_string().expose_secret()),
        id.to_public().to_string(),
    )
}

/// Where the PostgreSQL tools are: `BOUTIQUE_PG_BIN_DIR`, else `PATH`,
/// else the Debian layout.
fn pg_tool(name: &str, bin_dir: Option<&Path>) -> PathBuf {
    if let Some(d) = bin_dir {
        return d.join(name);
    }
    let in_path = std::env::var_os("PATH").into_iter().flat_map(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join(name))
            .collect::<Vec<_>>()
    });
    let debian = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.path().join("bin").join(name));
    let mut found: Vec<PathBuf> = in_path.chain(debian).filter(|p| p.is_file()).collect();
    found.truncate(1);
    found.pop().unwrap_or_else(|| PathBuf::from(name))
}

/// The SQLite file of a `sqlite://` URL.
fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && !path.starts_with(':')).then(|| PathBuf::from(path))
}

/// Writes a backup of the database into `dir` and answers its path:
/// `boutique-<UTC time>.sqlite.gz.age` or `.sql.gz.age`.
///
/// # Errors
/// [`BackupError`].
pub async fn create(
    db: &Db,
    database_url: &str,
    dir: &Path,
    to: &age::x25519::Recipient,
    pg_bin_dir: Option<&Path>,
    now: DateTime<Utc>,
) -> Result<PathBuf, BackupError> {
    std::fs::create_dir_all(dir).map_err(io(dir.display().to_string()))?;
    let stamp = now.format("%Y%m%dT%H%M%SZ");
    let tmp = tempfile::tempdir_in(dir).map_err(io(dir.display().to_string()))?;
    let (plain, name) = if db.backend() == sea_orm::DbBackend::Sqlite {
        let copy = tmp.path().join("snapshot.db");
        let target = copy.display().to_string().replace('\'', "''");
        db.conn()
            .execute_unprepared(&format!("VACUUM INTO '{target}'"))
            .await
            .map_err(|e| BackupError::Database(e.to_string()))?;
        (copy, format!("boutique-{stamp}.sqlite.gz.age"))
    } else {
        let dump = tmp.path().join("dump.sql");
        let status = tokio::process::Command::new(pg_tool("pg_dump", pg_bin_dir))
            .args([
                "--no-owner",
                "--no-privileges",
                "--dbname",
                database_url,
                "--file",
            ])
            .arg(&dump)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .await
            .map_err(io("pg_dump"))?;
        if !status.status.success() {
            return Err(BackupError::Tool(format!(
                "pg_dump failed: {}",
                String::from_utf8_lossy(&status.stderr).trim()
            )));
        }
        (dump, format!("boutique-{stamp}.sql.gz.age"))
    };
    let partial = tmp.path().join(&name);
    let to = to.clone();
    let partial_for_task = partial.clone();
    tokio::task::spawn_blocking(move || seal_file(&plain, &partial_for_task, &to))
        .await
        .map_err(|e| BackupError::Tool(e.to_string()))??;
    let file = dir.join(&name);
    std::fs::rename(&partial, &file).map_err(io(file.display().to_string()))?;
    Ok(file)
}

fn seal_file(plain: &Path, out: &Path, to: &age::x25519::Recipient) -> Result<(), BackupError> {
    let mut input = std::fs::File::open(plain).map_err(io("the snapshot"))?;
    let output = std::fs::File::create(out).map_err(io(out.display().to_string()))?;
    let encryptor = age::Encryptor::with_recipients(std::iter::once(to as &dyn age::Recipient))
        .map_err(|e| BackupError::Key(e.to_string()))?;
    let writer = encryptor
        .wrap_output(std::io::BufWriter::new(output))
        .map_err(io("the backup"))?;
    let mut gz = flate2::write::GzEncoder::new(writer, flate2::Compression::default());
    std::io::copy(&mut input, &mut gz).map_err(io("the backup"))?;
    let writer = gz.finish().map_err(io("the backup"))?;
    writer
        .finish()
        .and_then(|mut w| w.flush())
        .map_err(io("the backup"))?;
    Ok(())
}

/// Decrypts and decompresses a backup into `out`.
fn open_file(file: &Path, key: &age::x25519::Identity, out: &Path) -> Result<(), BackupError> {
    let name = file.display().to_string();
    let input = std::fs::File::open(file).map_err(io(name.clone()))?;
    let decryptor = age::Decryptor::new(std::io::BufReader::new(input))
        .map_err(|_| BackupError::Decrypt(name.clone()))?;
    let reader = decryptor
        .decrypt(std::iter::once(key as &dyn age::Identity))
        .map_err(|_| BackupError::Decrypt(name.clone()))?;
    let mut gz = flate2::read::GzDecoder::new(reader);
    let mut output = std::fs::File::create(out).map_err(io(out.display().to_string()))?;
    // A stream altered after its header fails here, at its tag.
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = gz
            .read(&mut buf)
            .map_err(|_| BackupError::Decrypt(name.clone()))?;
        if n == 0 {
            break;
        }
        output
            .write_all(buf.get(..n).unwrap_or_default())
            .map_err(io(out.display().to_string()))?;
    }
    Ok(())
}

/// What a backup holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// `sqlite` or `postgres`.
    pub kind: &'static str,
    /// Bytes once opened.
    pub bytes: u64,
}

fn kind_of(file: &Path) -> Result<&'static str, BackupError> {
    let name = file.to_string_lossy();
    if name.ends_with(".sqlite.gz.age") {
        Ok("sqlite")
    } else if name.ends_with(".sql.gz.age") {
        Ok("postgres")
    } else {
        Err(BackupError::Damaged(
            name.into_owned(),
            "not a Boutique backup name (*.sqlite.gz.age or *.sql.gz.age)".into(),
        ))
    }
}

/// Checks a backup: it decrypts with `key` (age's authentication proves it
/// unaltered), decompresses, and holds a whole database (SQLite's
/// integrity check; pg_dump's closing line).
///
/// # Errors
/// [`BackupError`].
pub async fn verify(file: &Path, key: &age::x25519::Identity) -> Result<Verified, BackupError> {
    let kind = kind_of(file)?;
    let tmp = tempfile::tempdir().map_err(io("a temporary folder"))?;
    let out = tmp.path().join("opened");
    let (f, k, o) = (file.to_path_buf(), key.clone(), out.clone());
    tokio::task::spawn_blocking(move || open_file(&f, &k, &o))
        .await
        .map_err(|e| BackupError::Tool(e.to_string()))??;
    let bytes = std::fs::metadata(&out)
        .map_err(io("the opened backup"))?
        .len();
    let name = file.display().to_string();
    if kind == "sqlite" {
        // A private temporary copy: opened read-write (WAL needs it).
        let db = Db::connect(&format!("sqlite://{}", out.display()), 1)
            .await
            .map_err(|e| BackupError::Damaged(name.clone(), e.to_string()))?;
        let check = db
            .query_strings("PRAGMA integrity_check")
            .await
            .map_err(|e| BackupError::Damaged(name.clone(), e.to_string()))?;
        if check != ["ok"] {
            return Err(BackupError::Damaged(name, check.join("; ")));
        }
        let migrated = db
            .query_strings("SELECT version FROM seaql_migrations")
            .await
            .map_err(|e| BackupError::Damaged(name.clone(), e.to_string()))?;
        if migrated.is_empty() {
            return Err(BackupError::Damaged(name, "no schema".into()));
        }
    } else {
        let text = std::fs::read_to_string(&out).map_err(io("the opened backup"))?;
        if !text.contains("PostgreSQL database dump complete") {
            return Err(BackupError::Damaged(name, "the dump is cut short".into()));
        }
    }
    Ok(Verified { kind, bytes })
}

/// Restores a backup into an empty database (`database_url`): a SQLite
/// file that does not exist yet, or a PostgreSQL database without tables.
///
/// # Errors
/// [`BackupError::NotEmpty`] and the others.
pub async fn restore(
    file: &Path,
    key: &age::x25519::Identity,
    database_url: &str,
    pg_bin_dir: Option<&Path>,
) -> Result<(), BackupError> {
    let kind = kind_of(file)?;
    verify(file, key).await?;
    if kind == "sqlite" {
        let target = sqlite_path(database_url).ok_or_else(|| {
            BackupError::Database("a SQLite backup restores into a sqlite:// file".into())
        })?;
        if std::fs::metadata(&target).is_ok_and(|m| m.len() > 0) {
            return Err(BackupError::NotEmpty);
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent.display().to_string()))?;
        }
        let (f, k, t) = (file.to_path_buf(), key.clone(), target.clone());
        return tokio::task::spawn_blocking(move || open_file(&f, &k, &t))
            .await
            .map_err(|e| BackupError::Tool(e.to_string()))?;
    }
    if !database_url.starts_with("postgres") {
        return Err(BackupError::Database(
            "a PostgreSQL backup restores into a postgres:// database".into(),
        ));
    }
    let db = Db::connect(database_url, 1)
        .await
        .map_err(|e| BackupError::Database(e.to_string()))?;
    let tables = db
        .query_strings(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'",
        )
        .await
        .map_err(|e| BackupError::Database(e.to_string()))?;
    if !tables.is_empty() {
        return Err(BackupError::NotEmpty);
    }
    let tmp = tempfile::tempdir().map_err(io("a temporary folder"))?;
    let sql = tmp.path().join("dump.sql");
    let (f, k, t) = (file.to_path_buf(), key.clone(), sql.clone());
    tokio::task::spawn_blocking(move || open_file(&f, &k, &t))
        .await
        .map_err(|e| BackupError::Tool(e.to_string()))??;
    let out = tokio::process::Command::new(pg_tool("psql", pg_bin_dir))
        .args([
            "--quiet",
            "--no-psqlrc",
            "-v",
            "ON_ERROR_STOP=1",
            "--dbname",
        ])
        .arg(database_url)
        .arg("--file")
        .arg(&sql)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .await
        .map_err(io("psql"))?;
    if !out.status.success() {
        return Err(BackupError::Tool(format!(
            "psql failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(())
}

/// Deletes the oldest backups of `dir` beyond the `keep` newest; answers
/// how many went.
///
/// # Errors
/// [`BackupError::Io`].
pub fn prune(dir: &Path, keep: usize) -> Result<usize, BackupError> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io(dir.display().to_string()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            kind_of(p).is_ok()
                && p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("boutique-"))
        })
        .collect();
    // The names sort by time.
    files.sort();
    let excess = files.len().saturating_sub(keep);
    for f in files.iter().take(excess) {
        std::fs::remove_file(f).map_err(io(f.display().to_string()))?;
    }
    Ok(excess)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_name_their_file() {
        assert_eq!(
            sqlite_path("sqlite:///tmp/x/boutique.db?mode=rwc"),
            Some(PathBuf::from("/tmp/x/boutique.db"))
        );
        assert_eq!(
            sqlite_path("sqlite://data/boutique.db"),
            Some(PathBuf::from("data/boutique.db"))
        );
        assert_eq!(sqlite_path("sqlite::memory:"), None);
    }

    #[test]
    fn keys_round_trip_and_nonsense_is_refused() {
        let (text, to) = new_identity();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.txt");
        std::fs::write(&path, format!("# created: now\n# public key: {to}\n{text}")).unwrap();
        let id = identity(&path).unwrap();
        assert_eq!(id.to_public().to_string(), to);
        assert!(recipient(&to).is_ok());
        assert!(recipient("age1nope").is_err());
    }

    #[test]
    fn pruning_keeps_the_newest() {
        let dir = tempfile::tempdir().unwrap();
        for d in ["20261201", "20261202", "20261203"] {
            std::fs::write(
                dir.path()
                    .join(format!("boutique-{d}T030000Z.sqlite.gz.age")),
                b"x",
            )
            .unwrap();
        }
        std::fs::write(dir.path().join("notes.txt"), b"x").unwrap();
        assert_eq!(prune(dir.path(), 2).unwrap(), 1);
        assert!(
            !dir.path()
                .join("boutique-20261201T030000Z.sqlite.gz.age")
                .exists()
        );
        assert!(dir.path().join("notes.txt").exists());
    }
}
