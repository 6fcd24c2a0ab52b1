//! The `boutique` command: serve the API, migrate the database, load the demo
//! catalogue, print the OpenAPI document.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use api::config::{Config, LogFormat};
use api::{Application, open_database};
use clap::{Parser, Subcommand};
use domain::catalogue::Catalogue;
use domain::clock::{Clock, SystemClock};
use persistence::SqlCatalogueStore;

/// Boutique: the privacy-first headless API of a shop selling house plans.
///
/// Settings come from flags or environment variables (shown in brackets);
/// with none, the server uses an SQLite file under ./data and listens on
/// 127.0.0.1:8080.
#[derive(Debug, Parser)]
#[command(name = "boutique", version, about, long_about)]
struct Cli {
    /// Log format: `human` for a terminal, `json` for a log collector.
    #[arg(
        long,
        env = "BOUTIQUE_LOG_FORMAT",
        value_enum,
        default_value = "human",
        global = true
    )]
    log_format: LogFormat,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start the HTTP server (migrates the database first unless --no-migrate).
    Serve {
        #[command(flatten)]
        config: Config,
        /// Do not apply pending migrations on start.
        #[arg(long)]
        no_migrate: bool,
        /// Load the demo catalogue before serving (safe on a loaded database).
        #[arg(long)]
        demo: bool,
    },
    /// Apply, revert or list database migrations.
    Migrate {
        #[command(flatten)]
        config: Config,
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Load a realistic demo catalogue of 48 house plans (safe to run twice).
    SeedDemo {
        #[command(flatten)]
        config: Config,
    },
    /// Print the OpenAPI document (YAML) to stdout.
    Openapi,
}

#[derive(Debug, Subcommand)]
enum MigrateAction {
    /// Apply every pending migration.
    Up,
    /// Revert the most recent migrations.
    Down {
        /// How many migrations to revert.
        #[arg(long, default_value_t = 1)]
        steps: u32,
    },
    /// List migrations and whether each is applied.
    Status,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Openapi = cli.command {
        return match api::openapi::openapi().to_yaml() {
            Ok(yaml) => {
                print!("{yaml}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        };
    }
    api::telemetry::init(cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn seed(db: &persistence::Db, clock: Arc<dyn Clock>) -> anyhow::Result<()> {
    let catalogue = Catalogue::new(SqlCatalogueStore::new(db.clone()), clock);
    let added = api::demo::seed(&catalogue)
        .await
        .context("cannot load the demo catalogue")?;
    tracing::info!(added, "demo catalogue loaded");
    Ok(())
}

async fn run(command: Command) -> anyhow::Result<()> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    match command {
        Command::Serve {
            config,
            no_migrate,
            demo,
        } => {
            let db = open_database(&config, !no_migrate).await?;
            if demo {
                seed(&db, Arc::clone(&clock)).await?;
            }
            let host = config.host.clone();
            let app = Application::build(config, db.clone(), clock).await?;
            let url = format!("http://{host}:{}", app.port());
            tracing::info!("Boutique is listening on {url}");
            println!(
                "Boutique is serving on {url}\n  API docs: {url}/docs/\n  OpenAPI:  {url}/openapi.json\nPress Ctrl-C to stop."
            );
            app.run_until_stopped().await?;
            db.close().await;
            Ok(())
        }
        Command::Migrate { config, action } => {
            let db = open_database(&config, false).await?;
            match action {
                MigrateAction::Up => db.migrate_up().await?,
                MigrateAction::Down { steps } => db.migrate_down(steps).await?,
                MigrateAction::Status => {
                    for (name, applied) in db.migration_status().await? {
                        println!("{} {name}", if applied { "applied" } else { "pending" });
                    }
                }
            }
            Ok(())
        }
        Command::SeedDemo { config } => {
            let db = open_database(&config, true).await?;
            seed(&db, clock).await
        }
        Command::Openapi => Ok(()),
    }
}
