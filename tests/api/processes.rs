//! Server processes for the tests that kill or double the server: the
//! crate's `test-server` binary (tests/server/main.rs), on the storage of
//! the test that started it.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::json;

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
        let mut child = Command::new(env!("CARGO_BIN_EXE_test-server"))
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
