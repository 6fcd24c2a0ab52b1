//! The OpenAPI links of the purchase journey (cart -> checkout -> order ->
//! payment -> download): which value of an answer feeds which next call.
//! Generators (Schemathesis' stateful runs, client tooling) follow them
//! instead of guessing.

use utoipa::openapi::link::Link;
use utoipa::openapi::path::Operation;
use utoipa::openapi::{OpenApi, RefOr};

/// A link: after `from` answers one of `statuses`, `to` may be called with
/// `parameters` (`location.name` -> runtime expression).
pub struct Step {
    pub from: &'static str,
    pub statuses: &'static [&'static str],
    pub name: &'static str,
    pub to: &'static str,
    pub parameters: &'static [(&'static str, &'static str)],
    pub description: &'static str,
}

/// A cart's id and, for a guest's cart, its secret, from a `Cart` answer.
const CART: &[(&str, &str)] = &[
    ("path.cart_id", "$response.body#/id"),
    ("header.X-Cart-Secret", "$response.body#/secret"),
];
/// An order's id and, for a guest's, its secret, from a `PlacedOrder`.
const PLACED: &[(&str, &str)] = &[
    ("path.order_id", "$response.body#/id"),
    ("header.X-Order-Secret", "$response.body#/access_secret"),
];
/// An order's id from an `Order` answer.
const ORDER: &[(&str, &str)] = &[("path.order_id", "$response.body#/id")];
/// The order the request was about.
const SAME_ORDER: &[(&str, &str)] = &[("path.order_id", "$request.path.order_id")];
/// A cart line's id in a `Cart` answer.
const LINE: &[(&str, &str)] = &[
    ("path.cart_id", "$response.body#/id"),
    ("path.item_id", "$response.body#/lines/0/id"),
    ("header.X-Cart-Secret", "$response.body#/secret"),
];

const CART_STEPS: [(&str, &str, &str); 6] = [
    ("GetCart", "get_cart", "Read the cart."),
    (
        "AddItem",
        "add_cart_item",
        "Add a plan's format to the cart.",
    ),
    (
        "Estimate",
        "estimate_cart",
        "Estimate its VAT and shipping for an address.",
    ),
    ("SetEmail", "set_cart_email", "Attach the buyer's e-mail."),
    ("Checkout", "checkout_cart", "Place the order."),
    (
        "Merge",
        "merge_cart",
        "Merge a guest's cart into the customer's.",
    ),
];

/// Every link the document declares.
#[must_use]
pub fn steps() -> Vec<Step> {
    let mut steps = Vec::new();
    for from in [
        "create_cart",
        "get_cart",
        "add_cart_item",
        "update_cart_item",
    ] {
        for (name, to, description) in CART_STEPS {
            if from == "create_cart" || to != "get_cart" {
                steps.push(Step {
                    from,
                    // Only a creation answers 201 (200: the caller's cart
                    // already existed).
                    statuses: if from == "create_cart" {
                        &["200", "201"]
                    } else {
                        &["200"]
                    },
                    name,
                    to,
                    parameters: CART,
                    description,
                });
            }
        }
    }
    for (name, to, description) in [
        (
            "UpdateItem",
            "update_cart_item",
            "Change the line's quantity.",
        ),
        ("RemoveItem", "remove_cart_item", "Remove the line."),
    ] {
        steps.push(Step {
            from: "add_cart_item",
            statuses: &["200"],
            name,
            to,
            parameters: LINE,
            description,
        });
    }
    let order_steps = [
        ("GetOrder", "get_order", "Read the order."),
        (
            "StartPayment",
            "start_order_payment",
            "Start (or resume) its card payment.",
        ),
        (
            "ListDownloads",
            "list_order_downloads",
            "Its plan files and download links, once paid.",
        ),
        ("GetInvoice", "get_order_invoice", "Its invoice, once paid."),
        (
            "Cancel",
            "cancel_order",
            "Cancel it while payment is pending.",
        ),
        (
            "OpenComplaint",
            "open_order_complaint",
            "Open a complaint or refund request.",
        ),
    ];
    for (name, to, description) in order_steps {
        steps.push(Step {
            from: "checkout_cart",
            statuses: &["200", "201"],
            name,
            to,
            parameters: PLACED,
            description,
        });
        if to != "get_order" {
            steps.push(Step {
                from: "get_order",
                statuses: &["200"],
                name,
                to,
                parameters: ORDER,
                description,
            });
        }
    }
    for (name, to, description) in [
        (
            "GetOrder",
            "get_order",
            "Read the order again: it is paid once Stripe's webhook said so.",
        ),
        (
            "ListDownloads",
            "list_order_downloads",
            "Its download links, once paid.",
        ),
    ] {
        steps.push(Step {
            from: "start_order_payment",
            statuses: &["200"],
            name,
            to,
            parameters: SAME_ORDER,
            description,
        });
    }
    steps.push(Step {
        from: "list_order_downloads",
        statuses: &["200"],
        name: "Download",
        to: "download_file",
        parameters: &[("path.token", "$response.body#/downloads/0/token")],
        description: "Download the first file (each download is counted).",
    });
    steps
}

fn operation_mut<'a>(api: &'a mut OpenApi, id: &str) -> Option<&'a mut Operation> {
    api.paths.paths.values_mut().find_map(|item| {
        [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        .find(|op| op.operation_id.as_deref() == Some(id))
    })
}

/// Adds the links of [`steps`] to the document's responses. A step whose
/// operation or status is not in the document is left out here and caught
/// by the document's tests.
#[must_use]
pub fn declare(mut api: OpenApi) -> OpenApi {
    for step in steps() {
        let Some(op) = operation_mut(&mut api, step.from) else {
            continue;
        };
        for status in step.statuses {
            if let Some(RefOr::T(response)) = op.responses.responses.get_mut(*status) {
                let mut link = Link::builder()
                    .operation_id(step.to)
                    .description(step.description);
                for (name, expression) in step.parameters {
                    link = link.parameter(*name, *expression);
                }
                response
                    .links
                    .insert(step.name.to_owned(), RefOr::T(link.build()));
            }
        }
    }
    api
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use serde_json::Value;

    fn operation<'a>(doc: &'a Value, id: &str) -> &'a Value {
        doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|item| item.as_object().unwrap().values())
            .find(|op| op["operationId"] == id)
            .unwrap_or_else(|| panic!("no operation {id}"))
    }

    /// Follows `$ref` and `allOf` to the schema of `property`.
    fn property<'a>(doc: &'a Value, schema: &'a Value, name: &str) -> Option<&'a Value> {
        let schema = resolve(doc, schema);
        if let Some(found) = schema["properties"].get(name) {
            return Some(found);
        }
        for part in ["allOf", "oneOf", "anyOf"] {
            if let Some(found) = schema[part]
                .as_array()
                .into_iter()
                .flatten()
                .find_map(|s| property(doc, s, name))
            {
                return Some(found);
            }
        }
        None
    }

    fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
        match schema["$ref"].as_str() {
            Some(r) => resolve(doc, doc.pointer(r.trim_start_matches('#')).unwrap()),
            None => schema,
        }
    }

    /// Walks a JSON pointer through the schema: properties by name, array
    /// items by index.
    fn reaches<'a>(doc: &'a Value, mut schema: &'a Value, pointer: &str) -> bool {
        for segment in pointer.trim_start_matches('/').split('/') {
            let resolved = resolve(doc, schema);
            schema = if segment.parse::<usize>().is_ok() {
                &resolved["items"]
            } else {
                match property(doc, resolved, segment) {
                    Some(s) => s,
                    None => return false,
                }
            };
            if schema.is_null() {
                return false;
            }
        }
        true
    }

    /// Every link names an operation, a status and parameters the document
    /// has, and reads values its source really answers: a renamed field or
    /// parameter breaks this test, not a client's journey.
    #[test]
    fn every_link_points_at_what_the_document_declares() {
        let doc = serde_json::to_value(crate::openapi::openapi()).unwrap();
        let schemes = &doc["components"]["securitySchemes"];
        let steps = super::steps();
        assert!(steps.len() > 30);
        for step in steps {
            let from = operation(&doc, step.from);
            let to = operation(&doc, step.to);
            for status in step.statuses {
                let response = &from["responses"][*status];
                assert!(response.is_object(), "{} has no {status}", step.from);
                assert!(
                    response["links"][step.name].is_object(),
                    "{} {status}: link {} not declared",
                    step.from,
                    step.name
                );
                let body = &response["content"]["application/json"]["schema"];
                for (qualified, expression) in step.parameters {
                    let (location, name) = qualified.split_once('.').unwrap();
                    let declared = to["parameters"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .any(|p| p["in"] == location && p["name"] == name);
                    let security_header = location == "header"
                        && to["security"].as_array().into_iter().flatten().any(|req| {
                            req.as_object().unwrap().keys().any(|scheme| {
                                schemes[scheme]["in"] == "header" && schemes[scheme]["name"] == name
                            })
                        });
                    assert!(
                        declared || security_header,
                        "{} -> {}: {qualified} is not something {} takes",
                        step.from,
                        step.to,
                        step.to
                    );
                    if let Some(pointer) = expression.strip_prefix("$response.body#") {
                        assert!(
                            reaches(&doc, body, pointer),
                            "{} {status}: its body has no {pointer}",
                            step.from
                        );
                    } else {
                        let source = expression.strip_prefix("$request.path.").unwrap();
                        assert!(
                            from["parameters"]
                                .as_array()
                                .unwrap()
                                .iter()
                                .any(|p| p["in"] == "path" && p["name"] == source),
                            "{}: no path parameter {source}",
                            step.from
                        );
                    }
                }
            }
        }
    }
}
