//! The role x operation matrix (STAFF-1): every operation of the document,
//! called by nobody, a customer, a shop manager and an admin, answers 401
//! or 403 exactly where its role rule says, and never stops an allowed
//! caller at the door; no answer sets a cookie (SEC-6). A new operation
//! fails this test until it is given its row.

use std::collections::BTreeSet;

use domain::identity::Role;
use reqwest::Method;
use serde_json::Value;

use crate::helpers::{TestApp, spawn_app_with};

/// Who may call an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Who {
    /// Anyone, signed in or not.
    Public,
    /// Whoever holds the thing: its customer, or anyone with its secret
    /// (a cart's or an order's). With neither, 401; with a wrong secret or
    /// another's id, 404: ids cannot be probed.
    Holder,
    /// Any signed-in account.
    SignedIn,
    /// Customers' accounts only (staff accounts are not theirs to erase).
    Customer,
    /// Shop managers and admins.
    Staff,
    /// Admins only.
    Admin,
}

pub(crate) const MATRIX: &[(&str, Who)] = &[
    ("healthz", Who::Public),
    ("readyz", Who::Public),
    ("openapi_json", Who::Public),
    ("openapi_yaml", Who::Public),
    ("get_problem_type", Who::Public),
    ("list_products", Who::Public),
    ("head_products", Who::Public),
    ("get_product", Who::Public),
    ("head_product", Who::Public),
    ("register", Who::Public),
    ("login", Who::Public),
    ("forgot_password", Who::Public),
    ("reset_password", Who::Public),
    ("check_password_token", Who::Public),
    ("get_legal_document", Who::Public),
    ("list_legal_document_versions", Who::Public),
    ("list_consent_purposes", Who::Public),
    ("subscribe_to_newsletter", Who::Public),
    ("confirm_newsletter_subscription", Who::Public),
    ("get_unsubscribe_state", Who::Public),
    ("unsubscribe_from_newsletter", Who::Public),
    ("send_contact_message", Who::Public),
    ("list_articles", Who::Public),
    ("get_article", Who::Public),
    ("comment_on_article", Who::Public),
    ("get_me", Who::SignedIn),
    ("update_me", Who::SignedIn),
    ("change_email", Who::SignedIn),
    ("change_password", Who::SignedIn),
    ("export_my_data", Who::SignedIn),
    ("erase_my_account", Who::Customer),
    ("list_addresses", Who::SignedIn),
    ("create_address", Who::SignedIn),
    ("get_address", Who::SignedIn),
    ("replace_address", Who::SignedIn),
    ("delete_address", Who::SignedIn),
    ("list_sessions", Who::SignedIn),
    ("revoke_session", Who::SignedIn),
    ("get_my_consents", Who::SignedIn),
    ("set_my_consent", Who::SignedIn),
    ("revoke_other_sessions", Who::SignedIn),
    ("refresh_session", Who::SignedIn),
    ("logout", Who::SignedIn),
    ("admin_import_products", Who::Staff),
    ("admin_export_products", Who::Staff),
    ("admin_list_products", Who::Staff),
    ("admin_create_product", Who::Staff),
    ("admin_get_product", Who::Staff),
    ("admin_replace_product", Who::Staff),
    ("admin_delete_product", Who::Staff),
    ("admin_publish_product", Who::Staff),
    ("admin_unpublish_product", Who::Staff),
    ("admin_search_customers", Who::Staff),
    ("admin_get_customer", Who::Staff),
    ("admin_list_articles", Who::Staff),
    ("admin_create_article", Who::Staff),
    ("admin_get_article", Who::Staff),
    ("admin_replace_article", Who::Staff),
    ("admin_delete_article", Who::Staff),
    ("admin_list_comments", Who::Staff),
    ("admin_approve_comment", Who::Staff),
    ("admin_mark_comment_spam", Who::Staff),
    ("admin_delete_comment", Who::Staff),
    ("admin_list_contact_messages", Who::Staff),
    ("admin_get_contact_message", Who::Staff),
    ("admin_answer_contact_message", Who::Staff),
    ("admin_set_contact_message_status", Who::Staff),
    ("admin_contact_message_to_rights_request", Who::Staff),
    ("admin_list_campaigns", Who::Staff),
    ("admin_create_campaign", Who::Staff),
    ("admin_get_campaign", Who::Staff),
    ("admin_replace_campaign", Who::Staff),
    ("admin_delete_campaign", Who::Staff),
    ("admin_send_campaign", Who::Staff),
    ("admin_cancel_campaign", Who::Staff),
    ("admin_record_objection", Who::Staff),
    ("admin_list_staff", Who::Admin),
    ("admin_create_staff", Who::Admin),
    ("admin_set_role", Who::Admin),
    ("admin_list_audit_log", Who::Admin),
    ("admin_verify_audit_log", Who::Admin),
    ("admin_list_blocks", Who::Admin),
    ("admin_lift_block", Who::Admin),
    ("admin_list_retention_policies", Who::Admin),
    ("admin_record_breach", Who::Admin),
    ("admin_record_dpo_request", Who::Admin),
    ("admin_list_dpo_requests", Who::Admin),
    ("admin_get_dpo_request", Who::Admin),
    ("admin_verify_dpo_request", Who::Admin),
    ("admin_extend_dpo_request", Who::Admin),
    ("admin_fulfil_dpo_request", Who::Admin),
    ("admin_lift_dpo_restriction", Who::Admin),
    ("get_processing_register", Who::Public),
    ("admin_get_archived_invoice", Who::Admin),
    ("create_privacy_request", Who::Public),
    ("confirm_privacy_request", Who::Public),
    ("download_privacy_export", Who::Public),
    ("admin_get_processing_register", Who::Admin),
    ("admin_list_breaches", Who::Admin),
    ("admin_get_breach", Who::Admin),
    ("admin_record_authority_notification", Who::Admin),
    ("admin_notify_breach", Who::Admin),
    ("admin_preview_retention", Who::Admin),
    ("admin_run_retention", Who::Admin),
    ("admin_publish_legal_version", Who::Admin),
    ("admin_define_consent_purpose", Who::Admin),
    ("create_cart", Who::Public),
    ("get_cart", Who::Holder),
    ("add_cart_item", Who::Holder),
    ("update_cart_item", Who::Holder),
    ("remove_cart_item", Who::Holder),
    ("set_cart_email", Who::Holder),
    ("estimate_cart", Who::Holder),
    ("checkout_cart", Who::Holder),
    ("merge_cart", Who::SignedIn),
    ("get_order", Who::Holder),
    ("cancel_order", Who::Holder),
    ("list_order_downloads", Who::Holder),
    ("download_file", Who::Public),
    ("admin_put_format_file", Who::Staff),
    ("admin_get_format_file", Who::Staff),
    ("admin_delete_format_file", Who::Staff),
    ("list_my_orders", Who::SignedIn),
    ("admin_list_orders", Who::Staff),
    ("admin_get_order", Who::Staff),
    ("admin_order_action", Who::Staff),
    ("admin_refund_order", Who::Staff),
    ("admin_list_order_refunds", Who::Staff),
    ("open_order_complaint", Who::Holder),
    ("list_order_complaints", Who::Holder),
    ("add_order_complaint_message", Who::Holder),
    ("admin_list_complaints", Who::Staff),
    ("admin_get_complaint", Who::Staff),
    ("admin_answer_complaint", Who::Staff),
    ("admin_close_complaint", Who::Staff),
    ("admin_list_coupons", Who::Staff),
    ("admin_create_coupon", Who::Staff),
    ("admin_get_coupon", Who::Staff),
    ("admin_replace_coupon", Who::Staff),
    ("admin_delete_coupon", Who::Staff),
    ("get_order_invoice", Who::Holder),
    ("start_order_payment", Who::Holder),
    ("stripe_webhook", Who::Public),
    ("list_product_reviews", Who::Public),
    ("review_product", Who::SignedIn),
    ("list_my_reviews", Who::SignedIn),
    ("delete_my_review", Who::SignedIn),
    ("admin_list_reviews", Who::Staff),
    ("admin_approve_review", Who::Staff),
    ("admin_reject_review", Who::Staff),
    ("list_my_recently_viewed", Who::SignedIn),
    ("list_cart_recently_viewed", Who::Holder),
    ("admin_create_api_key", Who::Admin),
    ("admin_list_api_keys", Who::Admin),
    ("admin_get_api_key", Who::Admin),
    ("admin_rotate_api_key", Who::Admin),
    ("admin_revoke_api_key", Who::Admin),
    ("admin_create_webhook", Who::Admin),
    ("admin_list_webhooks", Who::Admin),
    ("admin_get_webhook", Who::Admin),
    ("admin_replace_webhook", Who::Admin),
    ("admin_delete_webhook", Who::Admin),
    ("admin_rotate_webhook_secret", Who::Admin),
    ("admin_list_webhook_deliveries", Who::Admin),
    ("admin_replay_webhook_delivery", Who::Admin),
];

/// The operations an API key may call, with the scope each needs; a key
/// is refused (403) everywhere else, and wherever it lacks the scope.
const KEY_SCOPES: &[(&str, &str)] = &[
    ("admin_list_products", "catalogue:read"),
    ("admin_get_product", "catalogue:read"),
    ("admin_export_products", "catalogue:read"),
    ("admin_get_format_file", "catalogue:read"),
    ("admin_create_product", "catalogue:write"),
    ("admin_replace_product", "catalogue:write"),
    ("admin_delete_product", "catalogue:write"),
    ("admin_publish_product", "catalogue:write"),
    ("admin_unpublish_product", "catalogue:write"),
    ("admin_import_products", "catalogue:write"),
    ("admin_put_format_file", "catalogue:write"),
    ("admin_delete_format_file", "catalogue:write"),
    ("admin_list_orders", "orders:read"),
    ("admin_get_order", "orders:read"),
    ("admin_list_order_refunds", "orders:read"),
    ("admin_order_action", "orders:write"),
    ("admin_search_customers", "customers:read"),
    ("admin_get_customer", "customers:read"),
    ("admin_create_webhook", "webhooks:manage"),
    ("admin_list_webhooks", "webhooks:manage"),
    ("admin_get_webhook", "webhooks:manage"),
    ("admin_replace_webhook", "webhooks:manage"),
    ("admin_delete_webhook", "webhooks:manage"),
    ("admin_rotate_webhook_secret", "webhooks:manage"),
    ("admin_list_webhook_deliveries", "webhooks:manage"),
    ("admin_replay_webhook_delivery", "webhooks:manage"),
];

const SCOPES: [&str; 6] = [
    "catalogue:read",
    "catalogue:write",
    "orders:read",
    "orders:write",
    "customers:read",
    "webhooks:manage",
];

/// Operations that end the caller's session: tried last, with their own login.
const ENDS_SESSION: &[&str] = &["logout", "revoke_other_sessions", "refresh_session"];

/// A path with its parameters filled: ids that match nothing, names that do.
pub(crate) fn fill(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').map_or(rest.len(), |e| start + e);
        let value = match &rest[start + 1..end] {
            "document" => "privacy-policy",
            "purpose" => "newsletter",
            "slug" => "no-such-thing",
            "id_or_slug" => "no-such-plan",
            _ => "0193a5b2-7c1e-7d2a-9f00-3b5c1d2e4f60",
        };
        out.push_str(value);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

struct Operation {
    id: String,
    method: Method,
    path: String,
    public: bool,
    /// The scopes the document says an API key needs, if keys may call it.
    key_scopes: Option<Vec<String>>,
}

fn operations(doc: &Value) -> Vec<Operation> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Ok(method) = method.to_uppercase().parse::<Method>() else {
                continue;
            };
            ops.push(Operation {
                id: op["operationId"].as_str().unwrap().to_owned(),
                method,
                path: fill(path),
                public: op["security"].as_array().is_some_and(Vec::is_empty),
                key_scopes: op["security"].as_array().and_then(|reqs| {
                    reqs.iter().find_map(|r| {
                        r["api_key"]
                            .as_array()
                            .map(|s| s.iter().map(|x| x.as_str().unwrap().to_owned()).collect())
                    })
                }),
            });
        }
    }
    ops
}

async fn call(app: &TestApp, op: &Operation, token: Option<&str>, n: u32) -> u16 {
    let mut req = app
        .client
        .request(op.method.clone(), app.url(&op.path))
        // A source per request: the probes this test makes must not ban it.
        .header(
            "x-forwarded-for",
            format!("198.51.{}.{}", n / 250, n % 250 + 1),
        );
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if matches!(op.method, Method::POST | Method::PUT | Method::PATCH) {
        req = req.header("content-type", "application/json").body("{}");
    }
    let res = req.send().await.unwrap();
    // SEC-6: no operation, whoever calls it, sets a cookie.
    assert!(
        res.headers().get("set-cookie").is_none(),
        "{} sets a cookie",
        op.id
    );
    res.status().as_u16()
}

#[tokio::test]
async fn staff_1_every_operation_answers_each_role_as_its_rule_says() {
    // Every address the server may call out to (Stripe, an SMTP relay)
    // points here: SEC-6, no operation contacts a third party on its own.
    let outside = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let outside_url = format!("http://{}", outside.local_addr().unwrap());
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = std::sync::Arc::clone(&calls);
    tokio::spawn(async move {
        while outside.accept().await.is_ok() {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    });
    let app = spawn_app_with(|c| {
        c.trust_proxy = true;
        c.stripe_secret_key = Some("sk_test_matrix".into());
        c.stripe_webhook_secret = Some("whsec_matrix".into());
        c.stripe_api_url = outside_url.clone();
        c.smtp_url = Some(outside_url.replace("http://", "smtp://"));
    })
    .await;
    let doc: Value = app.get("/openapi.json").await.json().await.unwrap();
    let ops = operations(&doc);

    let documented: BTreeSet<&str> = ops.iter().map(|o| o.id.as_str()).collect();
    let ruled: BTreeSet<&str> = MATRIX.iter().map(|(id, _)| *id).collect();
    assert_eq!(
        documented.difference(&ruled).collect::<Vec<_>>(),
        Vec::<&&str>::new(),
        "operations without a row in the matrix"
    );
    assert_eq!(
        ruled.difference(&documented).collect::<Vec<_>>(),
        Vec::<&&str>::new(),
        "rows for operations that do not exist"
    );

    let emails = [
        ("customer@example.fr", None),
        ("manager@boutique.example", Some(Role::ShopManager)),
        ("admin@boutique.example", Some(Role::Admin)),
    ];
    let mut n = 0;
    let mut failures = Vec::new();
    let ordered: Vec<&Operation> = ops
        .iter()
        .filter(|o| !ENDS_SESSION.contains(&o.id.as_str()))
        .chain(ops.iter().filter(|o| ENDS_SESSION.contains(&o.id.as_str())))
        .collect();
    let mut tokens = Vec::new();
    for (email, role) in emails {
        tokens.push(match role {
            None => app.customer(email).await,
            Some(r) => app.staff(email, r).await,
        });
    }
    for op in &ordered {
        let who = MATRIX
            .iter()
            .find(|(id, _)| *id == op.id)
            .map(|(_, w)| *w)
            .unwrap();
        assert_eq!(
            op.public,
            who == Who::Public,
            "{}: the document's security and the matrix disagree",
            op.id
        );
        // Nobody.
        n += 1;
        let status = call(&app, op, None, n).await;
        let expected_refusal = who != Who::Public;
        if expected_refusal != (status == 401) {
            failures.push(format!("{} anonymous: {status}", op.id));
        }
        for (i, level) in [Who::SignedIn, Who::Staff, Who::Admin]
            .into_iter()
            .enumerate()
        {
            let allowed = match who {
                Who::Public | Who::Holder | Who::SignedIn => true,
                Who::Customer => level == Who::SignedIn,
                Who::Staff => level != Who::SignedIn,
                Who::Admin => level == Who::Admin,
            };
            n += 1;
            let fresh;
            let token = if ENDS_SESSION.contains(&op.id.as_str()) {
                fresh = app.login(emails[i].0, crate::helpers::PASSWORD).await;
                fresh.as_str()
            } else {
                tokens[i].as_str()
            };
            let status = call(&app, op, Some(token), n).await;
            let refused = status == 401 || status == 403;
            if allowed == refused {
                failures.push(format!(
                    "{} as {:?}: {status} ({})",
                    op.id,
                    level,
                    if allowed {
                        "should pass the door"
                    } else {
                        "should be refused"
                    }
                ));
            }
            if !allowed && status != 403 {
                failures.push(format!("{} as {level:?}: {status}, not 403", op.id));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    assert_eq!(
        calls.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "an operation called out"
    );
}

/// The key column: a key holding an operation's scope passes its door; a
/// key holding every other scope is refused (403), and so is a key with
/// every scope where keys are not accepted. The document says the same.
#[tokio::test]
async fn staff_1_api_keys_pass_only_where_their_scope_opens() {
    let app = spawn_app_with(|c| c.trust_proxy = true).await;
    let admin = app.staff("admin@boutique.example", Role::Admin).await;
    let doc: Value = app.get("/openapi.json").await.json().await.unwrap();
    let ops = operations(&doc);
    let mut failures = Vec::new();
    for op in &ops {
        let expected = KEY_SCOPES
            .iter()
            .find(|(id, _)| *id == op.id)
            .map(|(_, s)| vec![(*s).to_owned()]);
        if op.key_scopes != expected {
            failures.push(format!(
                "{}: the document says {:?}, the rule {expected:?}",
                op.id, op.key_scopes
            ));
        }
    }
    let make = |scopes: Vec<&'static str>| {
        let app = &app;
        let admin = admin.clone();
        async move {
            let purpose = "the role matrix test reads what it must";
            let res = app
                .post_json_as(
                    "/v1/admin/api-keys",
                    &admin,
                    &serde_json::json!({
                        "name": format!("matrix {}", scopes.join(" ")),
                        "purpose": purpose,
                        "scopes": scopes,
                        "rate_per_minute": 100000,
                    }),
                )
                .await;
            assert_eq!(res.status(), 201);
            let body: Value = res.json().await.unwrap();
            body["secret"].as_str().unwrap().to_owned()
        }
    };
    let mut only = std::collections::HashMap::new();
    let mut all_but = std::collections::HashMap::new();
    for s in SCOPES {
        only.insert(s, make(vec![s]).await);
        all_but.insert(
            s,
            make(SCOPES.into_iter().filter(|x| *x != s).collect()).await,
        );
    }
    let every = make(SCOPES.to_vec()).await;
    let mut n = 0;
    for op in ops.iter().filter(|o| !o.public) {
        n += 1;
        match KEY_SCOPES.iter().find(|(id, _)| *id == op.id) {
            Some((_, scope)) => {
                let status = call(&app, op, Some(&only[scope]), n).await;
                if status == 401 || status == 403 {
                    failures.push(format!("{} with {scope}: {status}, should pass", op.id));
                }
                n += 1;
                let status = call(&app, op, Some(&all_but[scope]), n).await;
                if status != 403 {
                    failures.push(format!("{} without {scope}: {status}, not 403", op.id));
                }
            }
            None => {
                let status = call(&app, op, Some(&every), n).await;
                if status != 403 {
                    failures.push(format!("{} with a key: {status}, not 403", op.id));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
