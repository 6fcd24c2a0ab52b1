//! The `boutique` command: serve the API, migrate the database, load the demo
//! catalogue, print the OpenAPI document.

use std::process::ExitCode;

/// mimalloc instead of the system allocator: with glibc's, memory freed by
/// the catalogue's updates stayed with the process (RSS after 1,000
/// updates of a 50,000-plan catalogue was 2.2x that after a restart).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::sync::Arc;

use anyhow::Context as _;
use api::config::{Config, LogFormat};
use api::{Application, open_database};
use clap::{Parser, Subcommand};
use domain::audit::Actor;
use domain::clock::{Clock, SystemClock};
use domain::identity::{Email, NewStaff, Origin, Password, PersonName, Role};

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
    /// Manage staff accounts.
    Staff {
        #[command(subcommand)]
        action: StaffAction,
    },
    /// Manage encryption keys.
    Keys {
        #[command(subcommand)]
        action: KeysAction,
    },
    /// Import or export the catalogue (CSV or JSON Lines).
    Catalogue {
        #[command(subcommand)]
        action: CatalogueAction,
    },
    /// Purge what is past its retention period (RET-1..6).
    Retention {
        #[command(subcommand)]
        action: RetentionAction,
    },
    /// Back the database up, check a backup, restore one (BK-1).
    Backup {
        #[command(subcommand)]
        action: BackupAction,
    },
}

#[derive(Debug, Subcommand)]
enum BackupAction {
    /// Write an encrypted backup now (to BOUTIQUE_BACKUP_DIR, for
    /// BOUTIQUE_BACKUP_RECIPIENT), as `serve` does every 24 hours, and
    /// keep the newest BOUTIQUE_BACKUP_KEEP.
    Create {
        #[command(flatten)]
        config: Config,
    },
    /// Check that a backup decrypts with the identity and holds a whole
    /// database.
    Verify {
        /// The backup file.
        file: std::path::PathBuf,
        /// The age identity file (`age-keygen -o backup-key.txt`).
        #[arg(long, env = "BOUTIQUE_BACKUP_IDENTITY")]
        identity: std::path::PathBuf,
    },
    /// Restore a backup into an empty database (DATABASE_URL, or the
    /// embedded SQLite file, which must not exist yet). The key store is
    /// not in backups: erased people stay unreadable.
    Restore {
        #[command(flatten)]
        config: Config,
        /// The backup file.
        file: std::path::PathBuf,
        /// The age identity file.
        #[arg(long, env = "BOUTIQUE_BACKUP_IDENTITY")]
        identity: std::path::PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum RetentionAction {
    /// Run the retention job once, as `serve` does hourly: prints the count
    /// per category. Refused while another instance runs it.
    Run {
        #[command(flatten)]
        config: Config,
        /// Only count what would be purged; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, Subcommand)]
enum CatalogueAction {
    /// Import plans from a file, as one operation: every row is checked
    /// first and nothing is written when one is wrong (each error is
    /// printed with its line). The format follows the file's extension
    /// (`.csv`, `.jsonl`) unless --format says it.
    Import {
        #[command(flatten)]
        config: Config,
        /// The file.
        file: std::path::PathBuf,
        /// Replace the plans whose slug exists instead of refusing them.
        #[arg(long)]
        upsert: bool,
        /// `csv` or `jsonl`.
        #[arg(long)]
        format: Option<String>,
    },
    /// Export every plan, published or not, to a file (or standard output).
    Export {
        #[command(flatten)]
        config: Config,
        /// `jsonl` (default) or `csv`.
        #[arg(long, default_value = "jsonl")]
        format: String,
        /// Where to write; standard output when absent.
        #[arg(long)]
        output: Option<std::path::PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum StaffAction {
    /// Create a staff account (the first admin, typically). The password is
    /// prompted for, or read from standard input when it is not a terminal.
    Create {
        #[command(flatten)]
        config: Config,
        /// E-mail address (the login).
        #[arg(long = "email")]
        staff_email: String,
        /// Full name.
        #[arg(long = "name", default_value = "Administrator")]
        staff_name: String,
        /// `admin` or `shop_manager`.
        #[arg(long, default_value = "admin")]
        role: String,
    },
}

#[derive(Debug, Subcommand)]
enum KeysAction {
    /// Re-wrap every data key under the current master key, after setting a
    /// new BOUTIQUE_MASTER_KEY and listing the old one in BOUTIQUE_OLD_MASTER_KEYS.
    Rotate {
        #[command(flatten)]
        config: Config,
    },
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

async fn seed(state: &api::app::AppState) -> anyhow::Result<()> {
    let added = api::demo::seed(&state.catalogue)
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
            let host = config.host.clone();
            let scheme = if config.tls_cert.is_some() {
                "https"
            } else {
                "http"
            };
            let app = Application::build(config, db.clone(), clock).await?;
            if demo {
                seed(&app.state()).await?;
            }
            let url = format!("{scheme}://{host}:{}", app.port());
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
            let state = api::app::AppState::new(config, db, clock).await?;
            seed(&state).await
        }
        Command::Openapi => Ok(()),
        Command::Staff {
            action:
                StaffAction::Create {
                    config,
                    staff_email,
                    staff_name,
                    role,
                },
        } => {
            let email = Email::parse(&staff_email).map_err(|e| anyhow::anyhow!("--email {e}"))?;
            let name = PersonName::parse(&staff_name).map_err(|e| anyhow::anyhow!("--name {e}"))?;
            let role: Role = role.parse().map_err(|e| anyhow::anyhow!("--role {e}"))?;
            anyhow::ensure!(role.is_staff(), "--role must be admin or shop_manager");
            let password = read_password()?;
            let password =
                Password::parse(&password).map_err(|e| anyhow::anyhow!("password {e}"))?;
            let db = open_database(&config, true).await?;
            let state = api::app::AppState::new(config, db, clock).await?;
            let id = domain::identity::create_staff(
                state.store.as_ref(),
                &state.hasher,
                &state.random,
                state.clock.as_ref(),
                &state.identity,
                Actor::System,
                NewStaff {
                    email,
                    name,
                    role,
                    password: Some(password),
                },
                &Origin::local("command line"),
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("created {role} account {id}");
            Ok(())
        }
        Command::Catalogue { action } => catalogue(action, clock).await,
        Command::Backup { action } => backup(action).await,
        Command::Retention {
            action: RetentionAction::Run { config, dry_run },
        } => {
            let db = open_database(&config, true).await?;
            let state = api::app::AppState::new(config, db, clock).await?;
            let report = if dry_run {
                domain::retention::run(
                    state.store.as_ref(),
                    state.clock.as_ref(),
                    &state.retention,
                    domain::retention::Mode::DryRun,
                    state.config.retention_batch,
                    domain::audit::Actor::System,
                )
                .await?
            } else {
                api::jobs::retention_now(&state, domain::audit::Actor::System)
                    .await?
                    .context("another instance is running the retention job; try again later")?
            };
            for (category, n) in &report.purged {
                println!("{category:<28} {n}");
            }
            println!(
                "{} {} in all; {} account owner(s) warned",
                if dry_run { "would purge" } else { "purged" },
                report.total(),
                report.warned
            );
            Ok(())
        }
        Command::Keys {
            action: KeysAction::Rotate { config },
        } => {
            let db = open_database(&config, true).await?;
            let state = api::app::AppState::new(config, db, clock).await?;
            let n = state.keys.rewrap_all().await?;
            println!("re-wrapped {n} data keys under the current master key");
            Ok(())
        }
    }
}

async fn backup(action: BackupAction) -> anyhow::Result<()> {
    use persistence::backup;
    match action {
        BackupAction::Create { config } => {
            let to = config
                .backup_recipient
                .as_deref()
                .context("set BOUTIQUE_BACKUP_RECIPIENT to an age recipient (age1...)")?;
            let to = backup::recipient(to)?;
            let db = open_database(&config, true).await?;
            let file = api::jobs::backup_now(&db, &config, chrono::Utc::now(), &to).await?;
            println!("{}", file.display());
            Ok(())
        }
        BackupAction::Verify { file, identity } => {
            let key = backup::identity(&identity)?;
            let v = backup::verify(&file, &key).await?;
            println!("ok: a whole {} database, {} bytes", v.kind, v.bytes);
            Ok(())
        }
        BackupAction::Restore {
            config,
            file,
            identity,
        } => {
            let key = backup::identity(&identity)?;
            let url = config.database_url();
            backup::restore(&file, &key, &url, config.pg_bin_dir.as_deref()).await?;
            println!("restored into {}", api::config::redact_url(&url));
            Ok(())
        }
    }
}

/// A progress bar on standard error: `checking [#####     ] 25000/50000`.
fn progress(phase: &str, done: usize, total: usize) {
    use std::io::Write as _;
    let width = 30;
    let filled = (done * width).checked_div(total).unwrap_or(width);
    let mut err = std::io::stderr().lock();
    let _ = write!(
        err,
        "\r{phase:>8} [{}{}] {done}/{total}",
        "#".repeat(filled),
        " ".repeat(width - filled)
    );
    if done == total {
        let _ = writeln!(err);
    }
    let _ = err.flush();
}

async fn catalogue(action: CatalogueAction, clock: Arc<dyn Clock>) -> anyhow::Result<()> {
    use api::catalogue_io::{self, FileFormat};
    use domain::catalogue::{Editor, ImportError, ImportMode};
    match action {
        CatalogueAction::Import {
            config,
            file,
            upsert,
            format,
        } => {
            let name = format.unwrap_or_else(|| file.to_string_lossy().into_owned());
            let format = FileFormat::from_name(&name)
                .context("say --format csv or --format jsonl (or name the file .csv or .jsonl)")?;
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let rows = catalogue_io::read(format, &bytes).map_err(|e| anyhow::anyhow!("{e:?}"))?;
            anyhow::ensure!(!rows.is_empty(), "{} holds no plan", file.display());
            let db = open_database(&config, true).await?;
            let state = api::app::AppState::new(config, db, clock).await?;
            let mode = if upsert {
                ImportMode::Upsert
            } else {
                ImportMode::Create
            };
            match state
                .catalogue
                .import(rows, mode, &Editor::system(), &progress)
                .await
            {
                Ok(r) => {
                    println!("imported: {} created, {} replaced", r.created, r.updated);
                    Ok(())
                }
                Err(ImportError::Lines(lines)) => {
                    for l in &lines {
                        eprintln!("line {}: {}: {}", l.line, l.error.field, l.error.message);
                    }
                    anyhow::bail!("{} error(s): nothing was imported", lines.len())
                }
                Err(ImportError::Raced(why)) => anyhow::bail!("{why}"),
                Err(ImportError::Storage(e)) => Err(e.into()),
            }
        }
        CatalogueAction::Export {
            config,
            format,
            output,
        } => {
            let format = FileFormat::from_name(&format).context("--format is csv or jsonl")?;
            let db = open_database(&config, true).await?;
            let state = api::app::AppState::new(config, db, clock).await?;
            let plans = state.catalogue.all_plans().await?;
            let bytes = catalogue_io::write(format, &plans)?;
            match output {
                Some(path) => {
                    std::fs::write(&path, bytes)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    eprintln!("exported {} plans to {}", plans.len(), path.display());
                }
                None => {
                    use std::io::Write as _;
                    std::io::stdout().write_all(&bytes)?;
                }
            }
            Ok(())
        }
    }
}

fn read_password() -> anyhow::Result<String> {
    use std::io::IsTerminal as _;
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password (12 characters or more): ")?;
        let again = rpassword::prompt_password("Same password again: ")?;
        anyhow::ensure!(first == again, "the passwords differ");
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
}
