//! HTTP routes, one module per resource. Each handler carries its OpenAPI
//! description, and [`configure`] registers handlers and their
//! documentation together, so no route is undocumented.

pub mod admin;
pub mod auth;
pub mod common;
pub mod me;
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
        .service(products::get::get_product)
        .service(auth::register)
        .service(auth::login)
        .service(auth::logout)
        .service(auth::forgot_password)
        .service(auth::reset_password)
        .service(me::get_me)
        .service(me::update_me)
        .service(me::change_password)
        .service(me::change_email)
        .service(me::list_addresses)
        .service(me::create_address)
        .service(me::get_address)
        .service(me::replace_address)
        .service(me::delete_address)
        .service(me::list_sessions)
        .service(me::revoke_session)
        .service(admin::products::admin_list_products)
        .service(admin::products::admin_create_product)
        .service(admin::products::admin_get_product)
        .service(admin::products::admin_replace_product)
        .service(admin::products::admin_publish_product)
        .service(admin::products::admin_unpublish_product)
        .service(admin::products::admin_delete_product)
        .service(admin::customers::admin_search_customers)
        .service(admin::customers::admin_get_customer)
        .service(admin::staff::admin_list_staff)
        .service(admin::staff::admin_create_staff)
        .service(admin::staff::admin_set_role)
        .service(admin::audit::admin_list_audit_log)
        .service(admin::audit::admin_verify_audit_log)
        .service(admin::audit::admin_list_blocks)
        .service(admin::audit::admin_lift_block);
}
