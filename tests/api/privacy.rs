//! Privacy by construction (ACC-6, DSR-2 mechanism): personal data is
//! encrypted at rest under per-subject keys kept apart from the data, and
//! destroying a key makes every copy unreadable. Mail goes through the outbox
//! exactly once.

use std::sync::Arc;

use chrono::Duration;
use domain::clock::Clock;
use domain::identity::CustomerId;
use domain::store::Store as _;
use persistence::vault::Keyring;
use persistence::{Db, KeyStore, SqlStore};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, Storage, fresh_storage, spawn_app, spawn_app_on, start_time};

const NAME: &str = "Jeanne Clairtexte";
const EMAIL: &str = "jeanne.clairtexte@example.fr";
const PHONE: &str = "+33611223344";
const STREET: &str = "7 impasse des Secrets";
const CITY: &str = "Confidentville";
const AGENT: &str = "SecretBrowser/1.0";

/// Every byte the databases hold, as an attacker with a copy would see them.
pub(crate) fn raw_dump(storage: &Storage) -> Vec<u8> {
    let mut out = Vec::new();
    for url in [&storage.database_url, &storage.keystore_url] {
        if let Some(path) = url.strip_prefix("sqlite://") {
            let path = path.split('?').next().unwrap();
            for suffix in ["", "-wal"] {
                if let Ok(bytes) = std::fs::read(format!("{path}{suffix}")) {
                    out.extend(bytes);
                }
            }
        } else {
            let dump = std::process::Command::new("pg_dump")
                .arg("--data-only")
                .arg(url)
                .output()
                .expect("pg_dump on PATH");
            assert!(
                dump.status.success(),
                "{}",
                String::from_utf8_lossy(&dump.stderr)
            );
            out.extend(dump.stdout);
        }
    }
    out
}

pub(crate) fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

async fn realistic_customer(app: &crate::helpers::TestApp) -> (String, String) {
    let res = app
        .post_json(
            "/v1/auth/register",
            &json!({"email": EMAIL, "name": NAME, "phone": "+33 6 11 22 33 44", "password": PASSWORD,
                    "accept_privacy_policy": true, "privacy_policy_version": 1}),
        )
        .await;
    assert_eq!(res.status(), 202);
    let res = app
        .client
        .post(app.url("/v1/auth/login"))
        .header("user-agent", AGENT)
        .json(&json!({"email": EMAIL, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let token = res.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let address = json!({"kind": "shipping", "full_name": NAME, "line1": STREET, "postal_code": "99999", "city": CITY, "country": "FR"});
    assert_eq!(
        app.with(Method::POST, "/v1/me/addresses", &token)
            .json(&address)
            .send()
            .await
            .unwrap()
            .status(),
        201
    );
    let me: Value = app.get_as("/v1/me", &token).await.json().await.unwrap();
    (token, me["id"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn acc_6_the_raw_database_holds_no_personal_value_in_clear() {
    let app = spawn_app().await;
    let (token, _) = realistic_customer(&app).await;
    // A failed login and a reset request add counters, audit entries and mail.
    app.login_response(EMAIL, "a wrong password!", false).await;
    app.post_json("/v1/auth/password/forgot", &json!({"email": EMAIL}))
        .await;
    assert_eq!(app.get_as("/v1/me/sessions", &token).await.status(), 200);
    let dump = raw_dump(&app.storage);
    assert!(dump.len() > 1000, "the dump is real");
    for secret in [
        NAME,
        "Clairtexte",
        EMAIL,
        "jeanne.clairtexte",
        PHONE,
        "611223344",
        STREET,
        CITY,
        AGENT,
        "127.0.0.1",
    ] {
        assert!(
            !contains(&dump, secret),
            "{secret:?} found in clear in the database"
        );
    }
    // The catalogue, by contrast, is public and stored as is: the dump is not just noise.
    app.add_plan(crate::helpers::plan("maison-visible", 3, 100, 30_000))
        .await;
    assert!(contains(&raw_dump(&app.storage), "maison-visible"));
}

#[tokio::test]
async fn acc_6_a_database_copy_without_the_master_key_reveals_nothing() {
    let app = spawn_app().await;
    let (_, id) = realistic_customer(&app).await;
    let id: CustomerId = id.parse().unwrap();
    let data = Db::connect(&app.storage.database_url, 2).await.unwrap();
    let keys = Db::connect(&app.storage.keystore_url, 2).await.unwrap();
    // With the right keyring the record opens...
    let right = SqlStore::new(data.clone(), app.app.keys.clone());
    assert_eq!(
        right
            .reader()
            .accounts()
            .get(id)
            .await
            .unwrap()
            .unwrap()
            .name
            .as_str(),
        NAME
    );
    // ...with another master key (an attacker with both databases but not
    // the configuration) nothing does.
    let thief = SqlStore::new(
        data,
        KeyStore::new(keys, Arc::new(Keyring::generate()), None),
    );
    assert!(thief.reader().accounts().get(id).await.is_err());
    assert!(thief.reader().addresses().list(id).await.is_err());
}

#[tokio::test]
async fn dsr_2_destroying_a_subject_key_makes_its_data_unreadable_even_in_earlier_backups() {
    let app = spawn_app().await;
    let (token, id) = realistic_customer(&app).await;
    let id: CustomerId = id.parse().unwrap();
    let now = app.clock.now();
    // A backup of the key store taken while the key existed.
    app.app.keys.write_backup().await.unwrap();
    let backup_path = app.storage.dir.path().join("keystore-backup.jsonl");
    let old_backup = std::fs::read_to_string(&backup_path).unwrap();
    assert!(old_backup.contains(&id.to_string()));
    let earlier_copy = app.storage.dir.path().join("keystore-backup-earlier.jsonl");
    std::fs::write(&earlier_copy, &old_backup).unwrap();

    app.app.keys.destroy(id.as_uuid(), now).await.unwrap();

    // The rows are still in the data database, as in any data backup taken
    // before, but nothing can open them any more.
    let reader = app.app.store.reader();
    assert!(reader.accounts().get(id).await.unwrap().is_none());
    assert!(reader.addresses().list(id).await.is_err());
    assert_eq!(app.get_as("/v1/me", &token).await.status(), 404);
    // The key store's own backup was rewritten without the key...
    assert!(
        !std::fs::read_to_string(&backup_path)
            .unwrap()
            .contains(&id.to_string())
    );
    // ...and restoring an earlier one cannot bring it back.
    assert_eq!(app.app.keys.restore_backup(&earlier_copy).await.unwrap(), 0);
    assert!(app.app.keys.get(id.as_uuid()).await.unwrap().is_none());
}

#[tokio::test]
async fn acc_6_rotating_the_master_key_rewraps_data_keys_and_retires_the_old_one() {
    let app = spawn_app().await;
    let (_, id) = realistic_customer(&app).await;
    let id: CustomerId = id.parse().unwrap();
    let secrets: Value = serde_json::from_str(
        &std::fs::read_to_string(app.storage.dir.path().join("dev-secrets.json")).unwrap(),
    )
    .unwrap();
    let old = secrets["master_key"].as_str().unwrap().to_owned();
    let blind = secrets["blind_index_key"].as_str().unwrap().to_owned();
    let new = persistence::vault::MasterKey::generate("k2").export();
    let keys_db = Db::connect(&app.storage.keystore_url, 2).await.unwrap();
    let during = KeyStore::new(
        keys_db.clone(),
        Arc::new(Keyring::new(&new, std::slice::from_ref(&old), &blind).unwrap()),
        None,
    );
    assert_eq!(during.rewrap_all().await.unwrap(), 1);
    let after = KeyStore::new(
        keys_db,
        Arc::new(Keyring::new(&new, &[], &blind).unwrap()),
        None,
    );
    let store = SqlStore::new(
        Db::connect(&app.storage.database_url, 2).await.unwrap(),
        after,
    );
    assert_eq!(
        store
            .reader()
            .accounts()
            .get(id)
            .await
            .unwrap()
            .unwrap()
            .email
            .as_str(),
        EMAIL
    );
}

#[tokio::test]
async fn the_outbox_delivers_exactly_once_across_a_restart_between_commit_and_delivery() {
    let storage = fresh_storage().await;
    let first = spawn_app_on(&storage, start_time(), |_| {}).await;
    assert_eq!(
        first
            .register("restart@example.fr", "Restart", None)
            .await
            .status(),
        202
    );
    assert_eq!(first.app.outbox.count("pending").await.unwrap(), 1);
    // The first instance "dies" here, its message committed but not sent.
    // A new instance, with its background jobs running, takes over.
    let second = spawn_app_on(&storage, start_time() + Duration::minutes(5), |c| {
        c.jobs = true;
        c.outbox_interval_secs = 1;
    })
    .await;
    let outbox = storage.dir.path().join("outbox");
    let mut delivered = 0;
    for _ in 0..100 {
        delivered = std::fs::read_dir(&outbox)
            .map(|d| {
                d.filter(|e| {
                    e.as_ref()
                        .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "eml"))
                })
                .count()
            })
            .unwrap_or(0);
        if delivered > 0 && second.app.outbox.count("sent").await.unwrap() == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(delivered, 1);
    assert_eq!(second.app.outbox.count("sent").await.unwrap(), 1);
    assert_eq!(second.app.outbox.count("pending").await.unwrap(), 0);
    // Running the job again sends nothing more.
    assert_eq!(second.deliver_mail().await, 0);
    assert_eq!(second.mails_to("restart@example.fr").await.len(), 1);
}

#[tokio::test]
async fn the_outbox_does_not_duplicate_a_message_delivered_just_before_a_crash() {
    let app = spawn_app().await;
    assert_eq!(
        app.register("crash@example.fr", "Crash", None)
            .await
            .status(),
        202
    );
    // Deliver without recording it, as if the process died right after sending.
    let due = app
        .app
        .outbox
        .claim_due(app.clock.now(), Duration::minutes(2), 10)
        .await
        .unwrap();
    assert_eq!(due.len(), 1);
    let m = &due[0];
    let envelope = m.envelope.as_ref().unwrap();
    let (subject, body) = api::mail::render(envelope, &api::mail::LinkLifetimes::default(), None);
    app.app
        .mailer
        .deliver(m.id, envelope.to.as_str(), &subject, body, &[])
        .await
        .unwrap();
    // Nothing is re-sent while the claim holds; after it lapses the message is
    // retried, recognised as delivered, and recorded once.
    assert_eq!(app.deliver_mail().await, 0);
    app.clock.advance(Duration::minutes(3));
    assert_eq!(app.deliver_mail().await, 1);
    assert_eq!(app.mails_to("crash@example.fr").await.len(), 1);
    assert_eq!(app.app.outbox.count("sent").await.unwrap(), 1);
}

#[tokio::test]
async fn a_job_lease_lets_one_instance_run_a_job_at_a_time() {
    let app = spawn_app().await;
    use domain::jobs::JobLeases as _;
    let leases = &app.app.leases;
    let now = app.clock.now();
    let ttl = Duration::seconds(30);
    assert!(
        leases
            .acquire("outbox-test", "instance-a", ttl, now)
            .await
            .unwrap()
    );
    assert!(
        !leases
            .acquire("outbox-test", "instance-b", ttl, now)
            .await
            .unwrap()
    );
    assert!(
        leases
            .acquire(
                "outbox-test",
                "instance-a",
                ttl,
                now + Duration::seconds(10)
            )
            .await
            .unwrap(),
        "renewed by its holder"
    );
    assert!(
        leases
            .acquire(
                "outbox-test",
                "instance-b",
                ttl,
                now + Duration::seconds(41)
            )
            .await
            .unwrap(),
        "taken over once it lapses"
    );
    leases.release("outbox-test", "instance-b").await.unwrap();
    assert!(
        leases
            .acquire(
                "outbox-test",
                "instance-a",
                ttl,
                now + Duration::seconds(42)
            )
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn no_personal_data_reaches_a_log_line() {
    let app = spawn_app().await;
    let (token, id) = realistic_customer(&app).await;
    app.login_response(EMAIL, "a wrong password!", false).await;
    app.post_json("/v1/auth/password/forgot", &json!({"email": EMAIL}))
        .await;
    let reset = crate::helpers::link_token(&app.mails_to(EMAIL).await.pop().unwrap());
    let new_password = "une phrase secrète pour les journaux";
    app.post_json(
        "/v1/auth/password/reset",
        &json!({"token": reset, "new_password": new_password}),
    )
    .await;
    app.post_json("/v1/auth/register", &json!({"email": EMAIL, "name": NAME, "password": "short", "accept_privacy_policy": true, "privacy_policy_version": 1})).await;
    let admin = app
        .staff("logs-admin@boutique.example", domain::identity::Role::Admin)
        .await;
    app.with(
        Method::GET,
        &format!("/v1/admin/customers?email={EMAIL}"),
        &admin,
    )
    .header("x-access-reason", "support ticket")
    .send()
    .await
    .unwrap();
    app.get_as("/v1/me", &token).await;
    let logs = crate::helpers::captured_logs();
    assert!(logs.contains("request"), "logs are captured");
    assert!(logs.contains("/v1/admin/customers"), "routes are logged");
    for secret in [
        EMAIL,
        "clairtexte",
        NAME,
        PHONE,
        "611223344",
        STREET,
        CITY,
        AGENT,
        PASSWORD,
        new_password,
        &reset,
        &token,
    ] {
        assert!(
            !logs.to_lowercase().contains(&secret.to_lowercase()),
            "{secret:?} reached a log line"
        );
    }
    assert!(!logs.contains(&format!("email={EMAIL}")));
    let _ = id;
}

/// A minimal SMTP server that accepts every message and keeps it.
async fn fake_smtp() -> (u16, Arc<std::sync::Mutex<Vec<String>>>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = Arc::new(std::sync::Mutex::new(Vec::new()));
    let store = Arc::clone(&received);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 fake ESMTP\r\n").await.unwrap();
                while let Ok(Some(line)) = lines.next_line().await {
                    let verb = line
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250 fake\r\n",
                        "DATA" => {
                            write.write_all(b"354 go ahead\r\n").await.unwrap();
                            let mut message = String::new();
                            while let Ok(Some(l)) = lines.next_line().await {
                                if l == "." {
                                    break;
                                }
                                message.push_str(&l);
                                message.push('\n');
                            }
                            store.lock().unwrap().push(message);
                            b"250 queued\r\n"
                        }
                        "QUIT" => {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            break;
                        }
                        _ => b"250 ok\r\n",
                    };
                    write.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (port, received)
}

#[tokio::test]
async fn mail_goes_over_smtp_when_a_server_is_configured() {
    let (port, received) = fake_smtp().await;
    let app =
        crate::helpers::spawn_app_with(|c| c.smtp_url = Some(format!("smtp://127.0.0.1:{port}")))
            .await;
    assert_eq!(
        app.register("smtp@example.fr", "Par SMTP", None)
            .await
            .status(),
        202
    );
    assert_eq!(app.deliver_mail().await, 1);
    let messages = received.lock().unwrap().clone();
    assert_eq!(messages.len(), 1);
    assert!(
        messages[0].contains("To: smtp@example.fr"),
        "{}",
        messages[0]
    );
    assert!(
        messages[0].contains("@boutique>"),
        "the outbox id is the Message-ID"
    );
    assert!(
        !app.storage.dir.path().join("outbox").exists(),
        "no file when SMTP is configured"
    );
    assert_eq!(app.app.outbox.count("sent").await.unwrap(), 1);
}

#[tokio::test]
async fn a_failed_delivery_is_retried_later_with_backoff() {
    // Nothing listens on this port: the first attempt fails.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let app =
        crate::helpers::spawn_app_with(|c| c.smtp_url = Some(format!("smtp://127.0.0.1:{port}")))
            .await;
    assert_eq!(
        app.register("retry@example.fr", "Retry", None)
            .await
            .status(),
        202
    );
    assert_eq!(app.deliver_mail().await, 0);
    assert_eq!(
        app.app.outbox.pending_attempts().await.unwrap(),
        [1],
        "kept for a retry"
    );
    // Not retried before its backoff (60 s after the first failure)...
    app.clock.advance(Duration::seconds(30));
    app.deliver_mail().await;
    assert_eq!(app.app.outbox.pending_attempts().await.unwrap(), [1]);
    // ...then retried, and the next wait doubles.
    app.clock.advance(Duration::seconds(31));
    app.deliver_mail().await;
    assert_eq!(app.app.outbox.pending_attempts().await.unwrap(), [2]);
    app.clock.advance(Duration::seconds(119));
    app.deliver_mail().await;
    assert_eq!(app.app.outbox.pending_attempts().await.unwrap(), [2]);
    app.clock.advance(Duration::seconds(2));
    app.deliver_mail().await;
    assert_eq!(app.app.outbox.pending_attempts().await.unwrap(), [3]);
}
