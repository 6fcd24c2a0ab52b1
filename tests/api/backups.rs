//! Backups (BK-1): an encrypted, compressed snapshot of the database that
//! verifies, refuses tampering, restores into an empty database, and, the
//! key store being apart, never brings an erased customer back.

use std::sync::Arc;

use domain::clock::Clock;
use domain::identity::CustomerId;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, Storage, spawn_app, spawn_app_on};

/// An empty database of the kind the tests run on.
async fn empty_database(dir: &std::path::Path) -> String {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(admin) if !admin.is_empty() => {
            let name = format!("boutique_restore_{}", uuid::Uuid::now_v7().simple());
            persistence::create_postgres_database(&admin, &name)
                .await
                .unwrap()
        }
        _ => format!("sqlite://{}/restored.db", dir.display()),
    }
}

#[tokio::test]
async fn bk_1_a_restored_old_backup_cannot_reveal_an_erased_customer() {
    use persistence::backup;
    let app = spawn_app().await;
    let token = app.customer("sauvegarde@example.fr").await;
    let me: Value = app.get_as("/v1/me", &token).await.json().await.unwrap();
    let id = CustomerId::from_uuid(me["id"].as_str().unwrap().parse().unwrap());

    let keys = tempfile::tempdir().unwrap();
    let (secret, recipient) = backup::new_identity();
    let key_file = keys.path().join("backup-key.txt");
    std::fs::write(&key_file, secret).unwrap();
    let key = backup::identity(&key_file).unwrap();
    let file = api::jobs::backup_now(
        &app.app.db,
        &app.app.config,
        app.clock.now(),
        &backup::recipient(&recipient).unwrap(),
    )
    .await
    .unwrap();
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with("boutique-") && name.ends_with(".gz.age"),
        "{name}"
    );
    // Encrypted: the address is nowhere in the file.
    let bytes = std::fs::read(&file).unwrap();
    assert!(bytes.starts_with(b"age-encryption.org/v1"));
    backup::verify(&file, &key).await.unwrap();
    // Another key, or one altered byte, and it does not open.
    let (other, _) = backup::new_identity();
    let other_file = keys.path().join("other.txt");
    std::fs::write(&other_file, other).unwrap();
    assert!(
        backup::verify(&file, &backup::identity(&other_file).unwrap())
            .await
            .is_err()
    );
    let mut altered = bytes.clone();
    let at = altered.len() - 40;
    altered[at] ^= 1;
    let altered_file = keys.path().join(&name);
    std::fs::write(&altered_file, altered).unwrap();
    assert!(backup::verify(&altered_file, &key).await.is_err());

    // The customer erases their account after the backup.
    let res = app
        .with(Method::DELETE, "/v1/me", &token)
        .json(&json!({"password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    // The old backup restores into an empty database, not a used one.
    let restored_dir = tempfile::tempdir().unwrap();
    let url = empty_database(restored_dir.path()).await;
    backup::restore(&file, &key, &url, None).await.unwrap();
    assert!(matches!(
        backup::restore(&file, &key, &url, None).await,
        Err(backup::BackupError::NotEmpty)
    ));
    // Served with the shop's key store, the restored database still holds
    // the account's row, and nothing of it can be read.
    let restored = spawn_app_on(
        &Storage {
            dir: Arc::new(restored_dir),
            database_url: url,
            keystore_url: app.storage.keystore_url.clone(),
        },
        app.clock.now(),
        |_| {},
    )
    .await;
    let rows = restored
        .app
        .db
        .query_strings("SELECT CAST(COUNT(*) AS TEXT) FROM customers WHERE role = 'customer'")
        .await
        .unwrap();
    assert_eq!(rows, ["1"], "the backup predates the erasure");
    assert!(!matches!(
        restored.app.store.reader().accounts().get(id).await,
        Ok(Some(_))
    ));
    assert_eq!(
        restored
            .login_response("sauvegarde@example.fr", PASSWORD, false)
            .await
            .status(),
        401
    );
}
