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
#[schema(example = json!({"status": "ok"}))]
pub struct Health {
    /// Always `ok`: a failed check answers a problem (503) instead.
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
    responses((status = 200, description = "The OpenAPI document; `Cache-Control: public, max-age=300`", content_type = "application/json", body = Object, example = json!({
        "openapi": "3.1.0",
        "info": {"title": "Boutique API", "version": "0.1.0"},
        "paths": {"/healthz": {"get": {"operationId": "healthz", "summary": "Liveness: the process is up and serving."}}}
    })))
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
    responses((status = 200, description = "The OpenAPI document; `Cache-Control: public, max-age=300`", content_type = "application/yaml", body = Object, example = json!({
        "openapi": "3.1.0",
        "info": {"title": "Boutique API", "version": "0.1.0"},
        "paths": {"/healthz": {"get": {"operationId": "healthz", "summary": "Liveness: the process is up and serving."}}}
    })))
)]
#[get("/openapi.yaml")]
pub async fn openapi_yaml(spec: web::Data<Spec>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .content_type("application/yaml")
        .body(spec.yaml.clone())
}

/// What a problem type means.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"type": "/problems/email-taken", "status": 409, "description": "Another account uses this e-mail address."}))]
pub struct ProblemTypeDoc {
    /// The type URI (`/problems/<slug>`), as problems carry it in `type`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The HTTP status code answered with it.
    pub status: u16,
    /// What it means and what a client can do about it.
    pub description: String,
}

/// Explain a problem type: every `type` URI of a problem resolves here.
#[utoipa::path(
    tag = "meta",
    operation_id = "get_problem_type",
    params(("slug" = String, Path, description = "The last segment of the type URI", example = "email-taken", max_length = 64, pattern = "^[a-z-]+$")),
    responses(
        (status = 200, description = "The explanation", body = ProblemTypeDoc),
        (status = 404, description = "No problem type has this name", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/problems/{slug}")]
pub async fn get_problem_type(slug: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let kind = format!("/problems/{}", slug.as_str());
    let (status, text) = crate::problem::problem_doc(&kind)
        .ok_or_else(|| ApiError::NotFound("No problem type has this name.".into()))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .json(ProblemTypeDoc {
            kind,
            status,
            description: text.to_owned(),
        }))
}
