//! HTTP routes, one module per resource. Each handler carries its OpenAPI
//! description, and [`configure`] registers handlers and their
//! documentation together, so no route is undocumented.

pub mod admin;
pub mod articles;
pub mod auth;
pub mod carts;
pub mod common;
pub mod contact;
pub mod invoices;
pub mod legal;
pub mod me;
pub mod meta;
pub mod newsletter;
pub mod orders;
pub mod payments;
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
        .service(admin::import::admin_import_products)
        .service(admin::import::admin_export_products)
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
        .service(admin::audit::admin_lift_block)
        .service(legal::list_legal_document_versions)
        .service(legal::get_legal_document)
        .service(legal::admin_publish_legal_version)
        .service(legal::list_consent_purposes)
        .service(legal::admin_define_consent_purpose)
        .service(me::consents::get_my_consents)
        .service(me::consents::set_my_consent)
        .service(newsletter::subscribe_to_newsletter)
        .service(newsletter::confirm_newsletter_subscription)
        .service(newsletter::get_unsubscribe_state)
        .service(newsletter::unsubscribe_from_newsletter)
        .service(newsletter::admin_list_campaigns)
        .service(newsletter::admin_create_campaign)
        .service(newsletter::admin_get_campaign)
        .service(newsletter::admin_replace_campaign)
        .service(newsletter::admin_delete_campaign)
        .service(newsletter::admin_send_campaign)
        .service(newsletter::admin_cancel_campaign)
        .service(newsletter::admin_record_objection)
        .service(contact::send_contact_message)
        .service(contact::admin_list_contact_messages)
        .service(contact::admin_get_contact_message)
        .service(contact::admin_answer_contact_message)
        .service(contact::admin_set_contact_message_status)
        .service(contact::admin_contact_message_to_rights_request)
        .service(articles::list_articles)
        .service(articles::get_article)
        .service(articles::comment_on_article)
        .service(articles::admin_list_articles)
        .service(articles::admin_create_article)
        .service(articles::admin_get_article)
        .service(articles::admin_replace_article)
        .service(articles::admin_delete_article)
        .service(articles::admin_list_comments)
        .service(articles::admin_approve_comment)
        .service(articles::admin_mark_comment_spam)
        .service(articles::admin_delete_comment)
        .service(carts::create_cart)
        .service(carts::get_cart)
        .service(carts::add_cart_item)
        .service(carts::update_cart_item)
        .service(carts::remove_cart_item)
        .service(carts::set_cart_email)
        .service(carts::merge_cart)
        .service(carts::estimate_cart)
        .service(carts::checkout_cart)
        .service(orders::list_my_orders)
        .service(orders::get_order)
        .service(orders::cancel_order)
        .service(invoices::get_order_invoice)
        .service(payments::start_order_payment)
        .service(payments::stripe_webhook)
        .service(admin::orders::admin_list_orders)
        .service(admin::orders::admin_get_order)
        .service(admin::orders::admin_order_action);
}
