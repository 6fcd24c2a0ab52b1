//! HTTP routes, one module per resource and one function per action. Each
//! handler carries its OpenAPI description, and [`configure`] registers
//! handlers and their documentation together, so no route is undocumented.

pub mod meta;
pub mod products;

use utoipa_actix_web::service_config::ServiceConfig;

/// Registers every documented route.
pub fn configure(cfg: &mut ServiceConfig<'_>) {
    cfg.service(meta::healthz)
        .service(meta::readyz)
        .service(meta::openapi_json)
        .service(meta::openapi_yaml)
        .service(products::list::list_products)
        .service(products::get::get_product);
}
