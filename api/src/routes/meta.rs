//! Operational endpoints: liveness, readiness and the API description.

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::openapi::Spec;
use crate::problem::{ApiError, Problem};
use crate::state::AppState;

/// Health report.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` when the check passed.
    #[schema(example = "ok")]
    pub status: String,
}

/// Liveness: the process is up and serving.
#[utoipa::path(
    tag = "meta",
    responses(
        (status = 200, description = "The process is up", body = Health),
    )
)]
#[get("/healthz")]
pub async fn healthz() -> web::Json<Health> {
    web::Json(Health {
        status: "ok".into(),
    })
}

/// Readiness: the database and the key store answer, so requests can be served.
#[utoipa::path(
    tag = "meta",
    responses(
        (status = 200, description = "Ready to serve", body = Health),
        (status = 503, description = "The database is unreachable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<web::Json<Health>, ApiError> {
    state.db.ping().await.map_err(|e| {
        tracing::warn!(error = %e, "readiness check failed");
        ApiError::Unavailable
    })?;
    state.keys.ping().await.map_err(|e| {
        tracing::warn!(error = %e, "readiness check failed: key store");
        ApiError::Unavailable
    })?;
    Ok(web::Json(Health {
        status: "ok".into(),
    }))
}

/// The OpenAPI 3.1 description of this API, as JSON.
#[utoipa::path(
    tag = "meta",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json", body = Object))
)]
#[get("/openapi.json")]
pub async fn openapi_json(spec: web::Data<Spec>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .content_type("application/json")
        .body(spec.json.clone())
}

/// The OpenAPI 3.1 description of this API, as YAML.
#[utoipa::path(
    tag = "meta",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/yaml", body = Object))
)]
#[get("/openapi.yaml")]
pub async fn openapi_yaml(spec: web::Data<Spec>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .content_type("application/yaml")
        .body(spec.yaml.clone())
}
