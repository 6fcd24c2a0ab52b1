//! `test-server`: the server process of the black-box tests that kill or
//! double the server (tests/api/processes.rs starts it). It serves the
//! storage of the test that started it, its clock set where that test's
//! was, as `BOUTIQUE_TEST_CHILD` (JSON) says, and writes its port to the
//! file named there once it listens.

use std::sync::Arc;

use anyhow::Context as _;
use serde_json::Value;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let spec: Value = serde_json::from_str(
        &std::env::var("BOUTIQUE_TEST_CHILD").context("BOUTIQUE_TEST_CHILD is not set")?,
    )?;
    let text = |key: &str| {
        spec[key]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("no {key} in BOUTIQUE_TEST_CHILD"))
    };
    let mut config = api::Config::for_tests(text("database_url")?, text("dir")?.into());
    config.keystore_url = Some(text("keystore_url")?);
    config.jobs = spec["jobs"].as_bool().unwrap_or(false);
    config.trust_proxy = true;
    let now = chrono::DateTime::parse_from_rfc3339(&text("now")?)?.to_utc();
    let clock = Arc::new(domain::clock::ManualClock::new(now));
    let db = api::open_database(&config, true).await?;
    let app = api::Application::build(config, db, clock).await?;
    let port_file = text("port_file")?;
    std::fs::write(format!("{port_file}.tmp"), app.port().to_string())?;
    std::fs::rename(format!("{port_file}.tmp"), port_file)?;
    app.run_until_stopped().await?;
    Ok(())
}
