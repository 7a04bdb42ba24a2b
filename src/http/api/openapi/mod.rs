//! The OpenAPI document served at `/api/openapi.json`: utoipa's description of the handlers
//! ([`super::ApiDoc`]), made exact by rules that hold for every route, so a client generated from
//! it is right and schemathesis (`.ci/schemathesis`) finds nothing.
//!
//! Rules, applied to every operation:
//! - Errors are `application/problem+json` with the `Problem` schema, never `application/json`.
//! - Every status a route can answer is listed: `400` where it takes parameters or a body (a
//!   query, path or body that does not parse), `401` and `403` unless the route table
//!   ([`crate::http::routes::ROUTES`]) says it is public (a read route answers them while reads
//!   are private), `404` where its path names something, `413`, `415` and `422` where it takes
//!   a body, `304` on the conditional reads ([`crate::http::caching`]).
//! - Parameters mean one thing everywhere ([`parameter_schema`]): `id` and `other` are incident
//!   UUIDs, `slug` and `service` are service slugs (the pattern `ServiceSlug::parse` enforces),
//!   `since` and `until` are RFC 3339 times; `limit`, `offset`, `sort`, `status` and `impact` have
//!   the bounds and words their handler accepts.
//! - Answers' fields from a closed vocabulary (an incident's `kind`, a maintenance's status) are
//!   enums of its words ([`response_words`]).
//! - Request bodies list every media type their route takes (ingest: [`INGEST_MEDIA`]; NDJSON
//!   reports and the TOML catalog have their own type).
//! - Every operation has a unique `operationId` (the handler's name unless it sets one).
//! - Parameters and JSON request bodies carry an example a person would send, so schemathesis's
//!   examples phase runs (bodies' examples sit on their types, as `#[schema(examples(..))]`).

use std::sync::LazyLock;

mod fields;

use serde_json::{Map, Value, json};
use utoipa::OpenApi;

use self::fields::{
    REQUEST_SCHEMAS, parameter_example, parameter_schema, request_fields, response_words, set,
    words,
};
use super::ApiDoc;
use crate::http::caching::polled;
use crate::http::routes::{Need, ROUTES};

/// A service slug: lower-case letters and digits in groups joined by single hyphens.
pub const SLUG_PATTERN: &str = "^[a-z0-9]+(-[a-z0-9]+)*$";
const PROBLEM_REF: &str = "#/components/schemas/Problem";
const PROBLEM_JSON: &str = "application/problem+json";

/// The document, built once.
pub fn document() -> &'static Value {
    static DOC: LazyLock<Value> =
        LazyLock::new(|| exact(serde_json::to_value(ApiDoc::openapi()).unwrap_or_default()));
    &DOC
}

fn exact(mut doc: Value) -> Value {
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for (name, field, values) in response_words() {
            if let Some(props) = schemas
                .get_mut(name)
                .and_then(|s| s.get_mut("properties"))
                .and_then(Value::as_object_mut)
            {
                set(props, field, words(&values));
            }
        }
        for name in REQUEST_SCHEMAS {
            if let Some(props) = schemas
                .get_mut(*name)
                .and_then(|s| s.get_mut("properties"))
                .and_then(Value::as_object_mut)
            {
                request_fields(name, props);
            }
        }
    }
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return doc;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, op) in item.iter_mut() {
            if let Some(op) = op.as_object_mut() {
                operation(path, method, op);
            }
        }
    }
    doc
}

fn operation(path: &str, method: &str, op: &mut Map<String, Value>) {
    if path == "/api/v1/ingest/{format}" {
        ingest_media(op);
    }
    if let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) {
        for p in params.iter_mut() {
            let name = p["name"].as_str().unwrap_or_default().to_string();
            if let Some(schema) = parameter_schema(path, &name) {
                p["schema"] = schema;
            }
            if let Some(example) = parameter_example(path, &name) {
                p["example"] = example;
            }
        }
    }
    let has_params = op
        .get("parameters")
        .and_then(Value::as_array)
        .is_some_and(|p| !p.is_empty());
    let has_body = op.contains_key("requestBody");
    let has_query = op
        .get("parameters")
        .and_then(Value::as_array)
        .is_some_and(|p| p.iter().any(|p| p["in"] == "query"));
    let json_body = op
        .get("requestBody")
        .and_then(|b| b["content"].as_object())
        .is_some_and(|c| c.contains_key("application/json"));
    let need = ROUTES
        .iter()
        .find(|r| r.path == path && r.method.as_str().eq_ignore_ascii_case(method))
        .map(|r| r.need);
    let responses = op
        .entry("responses")
        .or_insert_with(|| json!({}))
        .as_object_mut();
    let Some(responses) = responses else {
        return;
    };
    for response in responses.values_mut() {
        problem_media(response);
    }
    let mut add = |status: &str, description: &str| {
        responses
            .entry(status.to_string())
            .or_insert_with(|| problem(description));
    };
    if has_params || has_body {
        add("400", "The query, path or body does not parse");
    }
    if need.is_some_and(|n| n != Need::Public) {
        add(
            "401",
            "No live bearer token (a read route asks for one while reads are private)",
        );
        add("403", "The token's scope is too low for this route");
    }
    if path.contains('{') {
        add("404", "Nothing has this id or slug");
    }
    if has_body {
        add("413", "The body is larger than this route takes");
        add("415", "The body's media type is not one this route takes");
    }
    if json_body || has_query {
        add(
            "422",
            "The body is JSON of the wrong shape, or a field's value is refused",
        );
    }
    if method == "get" && polled(path) && !responses.contains_key("304") {
        responses.insert(
            "304".into(),
            json!({"description": "Not modified: the If-None-Match or If-Modified-Since copy is current"}),
        );
    }
}

/// The media types `POST /api/v1/ingest/{format}` takes: the bytes are read as the format in the
/// path says, whatever the label, so every type a source publishes is listed (JSON for
/// Statuspage, AWS, Google Cloud, Slack, Instatus, Better Stack and Checkly; XML for Atom and RSS).
const INGEST_MEDIA: &[&str] = &[
    "application/json",
    "application/atom+xml",
    "application/rss+xml",
    "application/xml",
    "text/xml",
    "application/octet-stream",
];

fn ingest_media(op: &mut Map<String, Value>) {
    let content: Map<String, Value> = INGEST_MEDIA
        .iter()
        .map(|m| (m.to_string(), json!({"schema": {"type": "string"}})))
        .collect();
    if let Some(body) = op.get_mut("requestBody").and_then(Value::as_object_mut) {
        body.insert("content".into(), Value::Object(content));
        body.insert("required".into(), Value::Bool(true));
    }
}

/// A problem answer with this description.
fn problem(description: &str) -> Value {
    json!({
        "description": description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}}},
    })
}

/// Moves a `Problem` body from `application/json` to `application/problem+json`.
fn problem_media(response: &mut Value) {
    let Some(content) = response.get_mut("content").and_then(Value::as_object_mut) else {
        return;
    };
    let is_problem = content
        .get("application/json")
        .is_some_and(|c| c["schema"]["$ref"] == PROBLEM_REF);
    if let Some(body) = is_problem
        .then(|| content.remove("application/json"))
        .flatten()
    {
        content.insert(PROBLEM_JSON.into(), body);
    }
}
