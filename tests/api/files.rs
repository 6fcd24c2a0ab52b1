//! Local files (SEC-4): the data directory and everything in it (databases
//! and their WAL files, development keys, the key store backup, the `.eml`
//! files of the development outbox, which hold live set-password links) are
//! readable by the service user only, whatever the process umask.

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use crate::helpers::{TestApp, spawn_app_on, spawn_app_with, start_time};

/// The permission bits of `path`, in octal (`"600"`).
fn mode(path: &Path) -> String {
    let mode = std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode();
    format!("{:o}", mode & 0o777)
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Whether the test runs on SQLite (PostgreSQL has no database files here).
fn on_sqlite(app: &TestApp) -> bool {
    app.storage.database_url.starts_with("sqlite:")
}

/// On SQLite, both databases at their default place (`boutique.db`,
/// `keystore.db` in the data directory), as `boutique serve` has them.
fn default_databases(c: &mut api::Config) {
    if c.is_sqlite() {
        c.database_url = None;
        c.keystore_url = None;
    }
}

/// Asserts that `dir` is 0700 and every file and folder under it private.
fn assert_private_tree(dir: &Path) {
    assert_eq!(mode(dir), "700", "{}", dir.display());
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            assert_private_tree(&path);
        } else {
            assert_eq!(mode(&path), "600", "{}", path.display());
        }
    }
}

/// The files the application must have written, with the mode they must have.
fn expected_files(app: &TestApp) -> Vec<&'static str> {
    let mut files = vec!["dev-secrets.json", "keystore-backup.jsonl"];
    if on_sqlite(app) {
        files.extend([
            "boutique.db",
            "boutique.db-wal",
            "boutique.db-shm",
            "keystore.db",
            "keystore.db-wal",
            "keystore.db-shm",
        ]);
    }
    files
}

#[tokio::test]
async fn sec_4_a_new_data_directory_is_private_to_the_service_user() {
    let parent = tempfile::tempdir().unwrap();
    let data = parent.path().join("data").join("boutique");

    let _app = spawn_app_with(|c| c.data_dir.clone_from(&data)).await;

    assert_eq!(mode(&parent.path().join("data")), "700");
    assert!(data.join("dev-secrets.json").exists());
    assert_private_tree(&data);
}

#[tokio::test]
async fn sec_4_an_existing_data_directory_is_made_private_at_start() {
    let parent = tempfile::tempdir().unwrap();
    let data = parent.path().join("data");
    std::fs::create_dir(&data).unwrap();
    chmod(&data, 0o755);

    let _app = spawn_app_with(|c| c.data_dir.clone_from(&data)).await;

    assert_eq!(mode(&data), "700");
}

#[tokio::test]
async fn sec_4_data_files_are_readable_by_the_service_user_only() {
    let app = spawn_app_with(default_databases).await;
    let dir = app.storage.dir.path();
    // A registration writes both databases and queues a set-password link.
    assert_eq!(
        app.register("ada@example.com", "Ada", None).await.status(),
        202
    );
    let mails = app.mails_to("ada@example.com").await;
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains("token="));
    app.app.keys.write_backup().await.unwrap();

    for file in expected_files(&app) {
        assert_eq!(mode(&dir.join(file)), "600", "{file}");
    }
    let outbox = dir.join("outbox");
    assert_eq!(mode(&outbox), "700");
    let emls: Vec<_> = std::fs::read_dir(&outbox)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    assert_eq!(emls.len(), 1);
    for eml in &emls {
        assert_eq!(mode(eml), "600", "{}", eml.display());
    }
    assert_private_tree(dir);
}

#[tokio::test]
async fn sec_4_a_restart_makes_files_left_readable_private_again() {
    let first = spawn_app_with(default_databases).await;
    let dir = first.storage.dir.path().to_path_buf();
    assert_eq!(
        first
            .register("bob@example.com", "Bob", None)
            .await
            .status(),
        202
    );
    first.app.keys.write_backup().await.unwrap();
    // As an older version, or a careless copy, left them.
    chmod(&dir, 0o755);
    for file in expected_files(&first) {
        chmod(&dir.join(file), 0o644);
    }
    // A stale temporary file of an interrupted backup.
    std::fs::write(dir.join("keystore-backup.tmp"), "").unwrap();
    chmod(&dir.join("keystore-backup.tmp"), 0o644);

    let second = spawn_app_on(&first.storage, start_time(), default_databases).await;
    second.app.keys.write_backup().await.unwrap();

    assert_eq!(mode(&dir), "700");
    for file in expected_files(&second) {
        assert_eq!(mode(&dir.join(file)), "600", "{file}");
    }
}
