//! The committed `openapi.yaml` is what the code generates.

#[test]
fn openapi_yaml_at_the_root_matches_the_code() {
    let generated = api::openapi::openapi().to_yaml().unwrap();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi.yaml");
    if std::env::var_os("BOUTIQUE_UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi.yaml differs from the code: run `cargo run -p api -- openapi > openapi.yaml` \
         (or BOUTIQUE_UPDATE_OPENAPI=1 cargo test -p tests openapi) and commit it"
    );
}

#[test]
fn every_error_response_is_a_documented_problem() {
    let doc = serde_json::to_value(api::openapi::openapi()).unwrap();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for (status, response) in op["responses"].as_object().unwrap() {
                // HEAD answers have no body.
                if method != "head" && (status.starts_with('4') || status.starts_with('5')) {
                    let schema = &response["content"]["application/problem+json"]["schema"]["$ref"];
                    assert_eq!(
                        schema.as_str(),
                        Some(format!("#/components/schemas/Problem{status}").as_str()),
                        "{method} {path} {status}"
                    );
                }
            }
        }
    }
}
