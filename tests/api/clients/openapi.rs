//! The OpenAPI document says what the API does: problem+json errors, the statuses each route
//! answers, formats, patterns, enums, bounds and a unique operationId per route.

use std::collections::BTreeSet;

use aftermath::http::routes::{Need, ROUTES};
use serde_json::Value;

use crate::helpers::spawn_app;

fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            out.push((path.clone(), method.clone(), op.clone()));
        }
    }
    out
}

#[actix_web::test]
async fn the_document_is_exact_about_errors_statuses_and_names() {
    let app = spawn_app().await;
    let doc = app.get_json("/api/openapi.json").await;
    let mut ids = BTreeSet::new();
    for (path, method, op) in operations(&doc) {
        let what = format!("{method} {path}");
        let id = op["operationId"]
            .as_str()
            .unwrap_or_else(|| panic!("{what}: no operationId"));
        assert!(
            ids.insert(id.to_string()),
            "{what}: operationId {id} is used twice"
        );
        let responses = op["responses"].as_object().unwrap();
        for (status, response) in responses {
            if let Some(content) = response["content"].as_object() {
                let problem = content
                    .values()
                    .any(|c| c["schema"]["$ref"] == "#/components/schemas/Problem");
                if problem {
                    assert!(
                        content.contains_key("application/problem+json")
                            && !content.contains_key("application/json"),
                        "{what} {status}: errors are application/problem+json"
                    );
                }
            }
        }
        let route = ROUTES
            .iter()
            .find(|r| r.path == path && r.method.as_str().eq_ignore_ascii_case(&method));
        if route.is_some_and(|r| r.need != Need::Public) {
            for status in ["401", "403"] {
                assert!(responses.contains_key(status), "{what} answers {status}");
            }
        }
        if path.contains('{') {
            assert!(responses.contains_key("404"), "{what} answers 404");
        }
        if op.get("requestBody").is_some() {
            for status in ["400", "413", "415"] {
                assert!(responses.contains_key(status), "{what} answers {status}");
            }
        }
        for p in op["parameters"].as_array().into_iter().flatten() {
            let name = p["name"].as_str().unwrap();
            if matches!(name, "id" | "other") && path.starts_with("/api/v1/incidents/") {
                assert_eq!(p["schema"]["format"], "uuid", "{what} {name}");
            }
            if matches!(name, "slug" | "service") {
                assert!(p["schema"]["pattern"].is_string(), "{what} {name}");
            }
        }
    }
    let search = &doc["paths"]["/api/v1/search"]["get"]["parameters"];
    let param = |name: &str| {
        search
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap()["schema"]
            .clone()
    };
    assert_eq!(
        param("sort")["enum"],
        serde_json::json!(["relevance", "date", ""])
    );
    assert_eq!(
        (
            param("limit")["minimum"].clone(),
            param("limit")["maximum"].clone()
        ),
        (1.into(), 100.into())
    );
    let create = &doc["components"]["schemas"]["CreateIncident"]["properties"];
    assert_eq!(create["services"]["minItems"], 1);
    assert_eq!(create["started_at"]["format"], "date-time");
}

#[actix_web::test]
async fn the_document_names_the_kinds_and_the_maintenance_statuses() {
    let app = spawn_app().await;
    let doc = app.get_json("/api/openapi.json").await;
    let schemas = &doc["components"]["schemas"];
    let statuses = serde_json::json!(["scheduled", "in_progress", "verifying", "completed"]);
    let incident = &schemas["IncidentJson"]["properties"];
    assert_eq!(
        incident["kind"]["enum"],
        serde_json::json!(["incident", "maintenance"])
    );
    let mut nullable = statuses.as_array().unwrap().clone();
    nullable.push(Value::Null);
    assert_eq!(
        incident["maintenance_status"]["enum"],
        Value::Array(nullable)
    );
    let v2 = &schemas["MaintenanceV2Json"]["properties"];
    assert_eq!(v2["status"]["enum"], statuses);
    assert_eq!(v2["impact"]["enum"], serde_json::json!(["maintenance"]));
    let list = doc["paths"]["/api/v1/incidents"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let kind = list.iter().find(|p| p["name"] == "kind").unwrap();
    assert_eq!(
        kind["schema"]["enum"],
        serde_json::json!(["incident", "maintenance", "all"])
    );
    for path in [
        "/api/v2/scheduled-maintenances.json",
        "/api/v2/scheduled-maintenances/upcoming.json",
        "/api/v2/scheduled-maintenances/active.json",
    ] {
        let op = &doc["paths"][path]["get"];
        assert!(op["operationId"].is_string(), "{path}");
        for status in ["200", "304", "400", "404"] {
            assert!(
                op["responses"][status].is_object(),
                "{path} answers {status}"
            );
        }
    }
}

/// The operations that take a JSON body, with the example their body's schema carries.
fn json_bodies(doc: &Value) -> Vec<(String, String, Value, Value)> {
    let mut out = Vec::new();
    for (path, method, op) in operations(doc) {
        let Some(reference) =
            op["requestBody"]["content"]["application/json"]["schema"]["$ref"].as_str()
        else {
            continue;
        };
        let name = reference.trim_start_matches("#/components/schemas/");
        let example = doc["components"]["schemas"][name]["examples"][0].clone();
        out.push((path, method, op, example));
    }
    out
}

/// schemathesis's examples phase sends what the document shows; so every parameter a person
/// fills in and every JSON body has an example, and each body's example, sent as it is (its
/// path filled with the parameters' examples), is accepted: a made-up incident id names
/// nothing (404), and everything else succeeds.
#[actix_web::test]
async fn every_body_and_parameter_has_an_example_the_api_accepts() {
    let app = spawn_app().await;
    let admin = app.token_of(aftermath::db::tokens::Scope::Admin);
    let doc = app.get_json("/api/openapi.json").await;
    let mut missing = Vec::new();
    for (path, method, op) in operations(&doc) {
        for p in op["parameters"].as_array().into_iter().flatten() {
            let name = p["name"].as_str().unwrap();
            if !matches!(name, "cursor" | "If-Match" | "If-None-Match") && p["example"].is_null() {
                missing.push(format!("{method} {path} {name}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "parameters without an example: {missing:#?}"
    );
    let mut bodies = json_bodies(&doc);
    assert!(bodies.len() >= 9, "{} JSON bodies", bodies.len());
    // The service the other examples name is the one the service example declares.
    bodies.sort_by_key(|(path, ..)| !path.starts_with("/api/v1/services/"));
    for (path, method, op, example) in bodies {
        let what = format!("{method} {path}");
        assert!(example.is_object(), "{what}: the body has an example");
        let mut url = path.clone();
        for p in op["parameters"].as_array().into_iter().flatten() {
            if p["in"] == "path" {
                let value = p["example"].as_str().unwrap();
                url = url.replace(&format!("{{{}}}", p["name"].as_str().unwrap()), value);
            }
        }
        let res = app
            .client
            .request(method.to_uppercase().parse().unwrap(), app.url(&url))
            .bearer_auth(&admin)
            .json(&example)
            .send()
            .await
            .unwrap();
        let status = res.status();
        let body = res.text().await.unwrap();
        if path.contains("{id}") {
            assert_eq!(status, 404, "{what}: {body}");
        } else {
            assert!(status.is_success(), "{what} answered {status}: {body}");
        }
    }
}
