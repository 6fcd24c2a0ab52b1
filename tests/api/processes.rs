//! Server processes for the tests that kill or double the server: this
//! test binary started again, running only [`server_process`], on the
//! storage of the test that started it.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::Storage;

/// A `serve` of its own, in another process.
pub(crate) struct ServerProcess {
    child: Child,
    /// Its base URL.
    pub base: String,
}

impl ServerProcess {
    /// Starts one on `storage`, its clock at `now`, with its jobs or not.
    pub(crate) async fn start(
        storage: &Storage,
        now: chrono::DateTime<chrono::Utc>,
        jobs: bool,
    ) -> Self {
        let port_file = storage
            .dir
            .path()
            .join(format!("child-port-{}", uuid::Uuid::now_v7()));
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "processes::server_process",
                "--exact",
                "--ignored",
                "--nocapture",
            ])
            .env(
                "BOUTIQUE_TEST_CHILD",
                json!({
                    "database_url": storage.database_url,
                    "keystore_url": storage.keystore_url,
                    "dir": storage.dir.path(),
                    "now": now.to_rfc3339(),
                    "port_file": port_file,
                    "jobs": jobs,
                })
                .to_string(),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        for _ in 0..600 {
            if let Ok(p) = std::fs::read_to_string(&port_file) {
                return Self {
                    child,
                    base: format!("http://127.0.0.1:{}", p.trim()),
                };
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("the server process did not start");
    }

    /// SIGKILL: no shutdown, no job, no flush.
    pub(crate) fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The server of [`ServerProcess`]. Does nothing when run on its own.
#[tokio::test]
#[ignore = "the server process of the tests that kill or double the server"]
async fn server_process() {
    let Ok(spec) = std::env::var("BOUTIQUE_TEST_CHILD") else {
        return;
    };
    let spec: Value = serde_json::from_str(&spec).unwrap();
    let mut config = api::Config::for_tests(
        spec["database_url"].as_str().unwrap().to_owned(),
        spec["dir"].as_str().unwrap().into(),
    );
    config.keystore_url = Some(spec["keystore_url"].as_str().unwrap().to_owned());
    config.jobs = spec["jobs"].as_bool().unwrap_or(false);
    config.trust_proxy = true;
    let now = chrono::DateTime::parse_from_rfc3339(spec["now"].as_str().unwrap())
        .unwrap()
        .to_utc();
    let clock = std::sync::Arc::new(domain::clock::ManualClock::new(now));
    let db = api::open_database(&config, true).await.unwrap();
    let app = api::Application::build(config, db, clock).await.unwrap();
    let port_file = spec["port_file"].as_str().unwrap().to_owned();
    std::fs::write(format!("{port_file}.tmp"), app.port().to_string()).unwrap();
    std::fs::rename(format!("{port_file}.tmp"), port_file).unwrap();
    app.run_until_stopped().await.unwrap();
}
