//! The application: state, router and HTTP server, built the same way by
//! `boutique serve` and by the black-box tests.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_cors::Cors;
use actix_web::dev::Server;
use actix_web::middleware::{Compress, DefaultHeaders, from_fn};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use anyhow::Context as _;
use domain::clock::Clock;
use persistence::Db;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::{Config as SwaggerConfig, SwaggerUi};

use crate::config::Config;
use crate::middleware::{DOCS_CSP, request_context, security_headers};
use crate::openapi::Spec;
use crate::problem::{ApiError, json_error};
use crate::routes::products::render::RenderCache;

pub use crate::state::{AppState, SharedState};

/// A built, bound, not yet running server.
pub struct Application {
    server: Server,
    port: u16,
    state: web::Data<AppState>,
    background: Vec<tokio::task::JoinHandle<()>>,
    runner: crate::jobs::JobRunner,
}

/// Opens the database and migrates it when asked. The data directory is
/// created (for SQLite) or kept readable by this user only.
///
/// # Errors
/// When the data directory, connection or migration fails.
pub async fn open_database(config: &Config, migrate: bool) -> anyhow::Result<Db> {
    if config.is_sqlite() || config.data_dir.exists() {
        private_dir(&config.data_dir).with_context(|| {
            format!("cannot create data directory {}", config.data_dir.display())
        })?;
    }
    let db = Db::connect(&config.database_url(), config.db_max_connections).await?;
    if migrate {
        db.migrate_up().await?;
    }
    Ok(db)
}

/// Creates `dir` readable by this user only (0700), or takes group and other
/// access away from an existing one: it holds the databases, keys, backups
/// and mail with live links.
#[cfg(unix)]
fn private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt as _, PermissionsExt as _};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    let mode = std::fs::metadata(dir)?.permissions().mode();
    if mode & 0o077 != 0 {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode & 0o700))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

async fn fallback(req: HttpRequest, spec: web::Data<Spec>) -> Result<HttpResponse, ApiError> {
    Err(match spec.allowed_methods(req.path()) {
        Some(allow) => ApiError::MethodNotAllowed(allow),
        None => ApiError::NotFound("No resource at this path.".into()),
    })
}

/// The answer to a query string that does not parse.
#[must_use]
pub fn query_error() -> ApiError {
    ApiError::BadRequest(
        "The query string could not be parsed: a parameter is repeated or malformed.".into(),
    )
}

/// How extractors answer bad input: every failure is an [`ApiError`], so a
/// problem+json; bodies are bounded.
pub fn extractor_configs(
    cfg: &mut utoipa_actix_web::service_config::ServiceConfig<'_>,
    body_limit: usize,
) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(body_limit)
            .error_handler(move |e, _| json_error(e, body_limit).into()),
    )
    .app_data(web::PayloadConfig::default().limit(body_limit))
    .app_data(web::QueryConfig::default().error_handler(|_, _| query_error().into()))
    .app_data(
        web::PathConfig::default()
            .error_handler(|_, _| ApiError::NotFound("No resource at this path.".into()).into()),
    );
}

async fn docs_redirect() -> HttpResponse {
    HttpResponse::MovedPermanently()
        .insert_header(("Location", "/docs/"))
        .finish()
}

fn cors(config: &Config) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers([
            "authorization",
            "content-type",
            "idempotency-key",
            "x-request-id",
            "x-access-reason",
            "x-cart-secret",
            "x-cart-id",
            "x-order-secret",
            "if-none-match",
        ])
        .expose_headers([
            "x-request-id",
            "retry-after",
            "location",
            "idempotent-replayed",
            "etag",
            "ratelimit",
            "ratelimit-policy",
            "content-language",
            "content-disposition",
        ])
        .max_age(600);
    for origin in config.cors_origins() {
        cors = cors.allowed_origin(origin);
    }
    cors
}

impl Application {
    /// Builds the application on `db`: loads the catalogue and binds the port.
    ///
    /// # Errors
    /// When the catalogue cannot be loaded or the port bound.
    pub async fn build(config: Config, db: Db, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        let state = web::Data::new(AppState::new(config.clone(), db, clock).await?);
        let catalogue = Arc::clone(&state.catalogue);
        let spec = web::Data::new(Spec::build()?);
        // Compiles the body schemas now rather than on the first request.
        crate::schema_check::Schemas::api();
        let rendered = web::Data::new(RenderCache::default());
        let articles = web::Data::new(crate::routes::articles::ArticleCache::default());

        let listener = TcpListener::bind((config.host.as_str(), config.port))
            .with_context(|| format!("cannot listen on {}:{}", config.host, config.port))?;
        let port = listener.local_addr()?.port();

        let body_limit = config.body_limit;
        let server_state = state.clone();
        let server_config = config.clone();
        let mut server = HttpServer::new(move || {
            App::new()
                .into_utoipa_app()
                .app_data(server_state.clone())
                .app_data(spec.clone())
                .app_data(rendered.clone())
                .app_data(articles.clone())
                .configure(|cfg| extractor_configs(cfg, body_limit))
                .configure(crate::routes::configure)
                .map(|app| {
                    app.service(web::resource("/docs").get(docs_redirect))
                        .service(
                            web::scope("/docs")
                                .wrap(
                                    DefaultHeaders::new()
                                        .add(("Content-Security-Policy", DOCS_CSP))
                                        .add(("Cache-Control", "public, max-age=300")),
                                )
                                .service(SwaggerUi::new("/{_:.*}").config(
                                    SwaggerConfig::new(["/openapi.json"]).try_it_out_enabled(true),
                                )),
                        )
                        .default_service(web::to(fallback))
                        .wrap(from_fn(crate::middleware::documented_methods))
                        // Outside CORS, so preflight answers carry them too.
                        .wrap(cors(&server_config))
                        .wrap(security_headers())
                        .wrap(from_fn(request_context))
                        .wrap(Compress::default())
                })
                .into_app()
        });
        server = match (&config.tls_cert, &config.tls_key) {
            (Some(cert), Some(key)) => {
                server.listen_rustls_0_23(listener, crate::tls::server_config(cert, key)?)?
            }
            (None, None) => server.listen(listener)?,
            _ => anyhow::bail!("BOUTIQUE_TLS_CERT and BOUTIQUE_TLS_KEY go together"),
        }
        .shutdown_timeout(config.shutdown_timeout_secs);
        if let Some(workers) = config.workers {
            server = server.workers(workers);
        }
        let server = server.run();

        let refresher = {
            let catalogue = Arc::clone(&catalogue);
            let period = Duration::from_secs(config.catalogue_refresh_secs.max(1));
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(period);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tick.tick().await;
                    if let Err(e) = catalogue.refresh().await {
                        tracing::warn!(error = %e, "catalogue refresh failed; serving the previous one");
                    }
                }
            })
        };

        let mut background = vec![refresher];
        if let Some(addr) = &config.metrics_addr {
            let listener = TcpListener::bind(addr.as_str())
                .with_context(|| format!("cannot listen on {addr} (BOUTIQUE_METRICS_ADDR)"))?;
            let _ = state.metrics_port.set(listener.local_addr()?.port());
            let metrics_state = state.clone();
            let metrics = HttpServer::new(move || {
                App::new()
                    .app_data(metrics_state.clone())
                    .route("/metrics", web::get().to(crate::metrics::scrape))
            })
            .workers(1)
            .listen(listener)?
            .disable_signals()
            .run();
            background.push(tokio::spawn(async move {
                if let Err(e) = metrics.await {
                    tracing::warn!(error = %e, "the metrics server stopped");
                }
            }));
        }
        background.extend(crate::views::ViewRecorder::spawn(&state));
        let runner = crate::jobs::JobRunner::new(
            crate::jobs::jobs(&state),
            Arc::new(state.leases.clone()),
            Arc::clone(&state.clock),
            state.instance_id.clone(),
        )
        .with_metrics(Arc::clone(&state.metrics));
        if config.jobs {
            background.extend(runner.spawn());
        }
        Ok(Self {
            server,
            port,
            state,
            background,
            runner,
        })
    }

    /// The bound port.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The shared state, for tools and tests that act as the application.
    #[must_use]
    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// Serves until SIGINT or SIGTERM, finishing in-flight requests first.
    ///
    /// # Errors
    /// When the server fails.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        for task in self.background {
            task.abort();
        }
        // Hand the job leases over at once rather than after they expire.
        self.runner.release_all().await;
        result
    }
}

#[cfg(test)]
mod tests {
    use actix_web::middleware::from_fn;
    use actix_web::{App, HttpResponse, test, web};
    use utoipa_actix_web::AppExt;

    use super::extractor_configs;
    use crate::middleware::request_context;

    async fn echo(body: web::Json<serde_json::Value>) -> HttpResponse {
        HttpResponse::Ok().json(body.into_inner())
    }

    /// The JSON extractor as the server configures it: malformed JSON, a
    /// wrong content type and an oversized body are problems, never 500s.
    #[actix_web::test]
    async fn bad_bodies_are_400_415_and_413_problems() {
        let app = test::init_service(
            App::new()
                .into_utoipa_app()
                .configure(|cfg| extractor_configs(cfg, 64))
                .into_app()
                .route("/echo", web::post().to(echo))
                .wrap(from_fn(request_context)),
        )
        .await;
        let cases: Vec<(test::TestRequest, u16, &str)> = vec![
            (
                test::TestRequest::post()
                    .uri("/echo")
                    .insert_header(("content-type", "application/json"))
                    .set_payload("{\"a\":"),
                400,
                "/problems/malformed-json",
            ),
            (
                test::TestRequest::post()
                    .uri("/echo")
                    .insert_header(("content-type", "text/plain"))
                    .set_payload("{}"),
                415,
                "/problems/unsupported-media-type",
            ),
            (
                test::TestRequest::post()
                    .uri("/echo")
                    .insert_header(("content-type", "application/json"))
                    .set_payload(format!("{{\"a\":\"{}\"}}", "x".repeat(100))),
                413,
                "/problems/payload-too-large",
            ),
        ];
        for (req, status, kind) in cases {
            let res = test::call_service(&app, req.to_request()).await;
            assert_eq!(res.status().as_u16(), status);
            assert_eq!(
                res.headers().get("content-type").unwrap(),
                "application/problem+json"
            );
            let body: serde_json::Value = test::read_body_json(res).await;
            assert_eq!(body["type"], kind);
            assert_eq!(body["instance"], "/echo");
        }
        let ok = test::TestRequest::post()
            .uri("/echo")
            .set_json(serde_json::json!({"a": 1}))
            .to_request();
        assert_eq!(test::call_service(&app, ok).await.status(), 200);
    }
}
