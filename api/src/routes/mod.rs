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
        .service(meta::get_problem_type)
        .service(products::list::list_products)
        .service(products::get::get_product)
        .service(auth::register)
        .service(auth::login)
        .service(auth::logout)
        .service(auth::forgot_password)
        .service(auth::reset_password)
        .service(auth::check_password_token)
        .service(auth::refresh_session)
        .service(me::profile::get_me)
        .service(me::profile::update_me)
        .service(me::profile::change_password)
        .service(me::profile::change_email)
        .service(me::addresses::list_addresses)
        .service(me::addresses::create_address)
        .service(me::addresses::get_address)
        .service(me::addresses::replace_address)
        .service(me::addresses::delete_address)
        .service(me::sessions::list_sessions)
        .service(me::sessions::revoke_session)
        .service(me::sessions::revoke_other_sessions)
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
