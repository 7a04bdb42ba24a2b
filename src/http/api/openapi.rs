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

use std::sync::LazyLock;

use serde_json::{Map, Value, json};
use utoipa::OpenApi;

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

fn slug() -> Value {
    json!({"type": "string", "pattern": SLUG_PATTERN, "minLength": 1, "maxLength": 64})
}

fn words(values: &[&str]) -> Value {
    json!({"type": "string", "enum": values})
}

fn bounded(minimum: u32, maximum: u32) -> Value {
    json!({"type": "integer", "minimum": minimum, "maximum": maximum})
}

/// The schema of the parameter `name` of `path`, per the module rules; `None` keeps utoipa's.
fn parameter_schema(path: &str, name: &str) -> Option<Value> {
    let schema = match name {
        "id" | "other" if path.starts_with("/api/v1/incidents/") => {
            json!({"type": "string", "format": "uuid"})
        }
        // Search takes an empty value as no filter, as its page's form sends it.
        "service" if path == "/api/v1/search" => {
            json!({"type": "string", "pattern": "^([a-z0-9]+(-[a-z0-9]+)*)?$", "maxLength": 64})
        }
        "slug" | "service" => slug(),
        // Search takes an empty value as no bound, as its page's form sends it.
        "since" | "until" if path == "/api/v1/search" => json!({"type": "string",
            "anyOf": [{"format": "date-time"}, {"maxLength": 0}]}),
        "since" | "until" => json!({"type": "string", "format": "date-time"}),
        "status" => words(&[
            "investigating",
            "identified",
            "monitoring",
            "resolved",
            "postmortem",
        ]),
        "impact" => words(&["none", "minor", "major", "critical"]),
        "sort" => words(&["relevance", "date"]),
        "q" if path == "/api/v1/search" => {
            json!({"type": "string", "maxLength": crate::search::query::MAX_QUERY_CHARS})
        }
        "kind" if path == "/api/v1/incidents" => words(&super::incidents::KINDS),
        "format" => {
            let names: Vec<&str> = crate::ingest::Format::ALL
                .iter()
                .map(|f| f.as_str())
                .collect();
            words(&names)
        }
        "limit" => match path {
            "/api/v1/incidents" => bounded(1, 200),
            "/api/v1/search" => bounded(1, 100),
            "/api/v1/incidents/{id}/similar" => bounded(1, 20),
            _ => return None,
        },
        "offset" => bounded(0, 10_000),
        "cursor" => json!({"type": "string", "minLength": 1}),
        // `*` or a list of tags, which may be empty (RFC 9110 5.6.1; nothing matches it: 412).
        "If-Match" => json!({"type": "string",
            "pattern": "^(\\*|(W/)?\"[^\"]*\"(\\s*,\\s*(W/)?\"[^\"]*\")*)?$"}),
        _ => return None,
    };
    Some(schema)
}

/// Fields of answers that hold one word of a closed vocabulary: (schema, field, the words).
fn response_words() -> [(&'static str, &'static str, Vec<&'static str>); 4] {
    use crate::domain::{IncidentKind, MaintenanceStatus};
    [
        ("IncidentJson", "kind", IncidentKind::NAMES.to_vec()),
        (
            "IncidentJson",
            "maintenance_status",
            MaintenanceStatus::NAMES.to_vec(),
        ),
        (
            "MaintenanceV2Json",
            "status",
            MaintenanceStatus::NAMES.to_vec(),
        ),
        ("MaintenanceV2Json", "impact", vec!["maintenance"]),
    ]
}

/// The request bodies whose fields [`request_fields`] makes exact (responses keep what they show).
const REQUEST_SCHEMAS: &[&str] = &[
    "CreateIncident",
    "PatchIncident",
    "PostUpdate",
    "FileReport",
    "NewSourceJson",
    "NewTokenJson",
    "PutService",
    "SavePostmortem",
];

/// One line of text with something in it, as `Title::parse` takes it (no control characters).
const LINE_PATTERN: &str = "^[^\\x00-\\x1f\\x7f-\\x9f]*\\S[^\\x00-\\x1f\\x7f-\\x9f]*$";
/// Text with something in it: line breaks and tabs, no other control characters.
const TEXT_PATTERN: &str =
    "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]*\\S[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]*$";

/// Replaces a field's schema with `rule`, keeping it nullable when it was (`Option` fields).
fn set(props: &mut Map<String, Value>, field: &str, mut rule: Value) {
    let Some(old) = props.get_mut(field) else {
        return;
    };
    let nullable = old["type"]
        .as_array()
        .is_some_and(|t| t.iter().any(|v| v == "null"));
    if nullable {
        let kind = rule["type"].clone();
        rule["type"] = json!([kind, "null"]);
        if let Some(values) = rule.get_mut("enum").and_then(Value::as_array_mut) {
            values.push(Value::Null);
        }
    }
    if let Some(description) = old.get("description").cloned() {
        rule["description"] = description;
    }
    *old = rule;
}

fn request_fields(schema: &str, props: &mut Map<String, Value>) {
    let time = || json!({"type": "string", "format": "date-time"});
    set(
        props,
        "title",
        json!({"type": "string", "minLength": 1,
        "maxLength": crate::domain::text::TITLE_MAX_CHARS, "pattern": LINE_PATTERN}),
    );
    for field in ["body", "markdown"] {
        set(
            props,
            field,
            json!({"type": "string", "minLength": 1, "pattern": TEXT_PATTERN}),
        );
    }
    set(
        props,
        "status",
        words(&[
            "investigating",
            "identified",
            "monitoring",
            "resolved",
            "postmortem",
        ]),
    );
    set(
        props,
        "impact",
        words(&["none", "minor", "major", "critical"]),
    );
    set(props, "scope", words(&["read", "write", "admin"]));
    set(props, "service", slug());
    if schema == "NewTokenJson" {
        // A token's name is any text with something in it.
        set(
            props,
            "name",
            json!({"type": "string", "minLength": 1, "pattern": "\\S"}),
        );
    } else {
        set(
            props,
            "name",
            json!({"type": "string", "minLength": 1, "pattern": LINE_PATTERN}),
        );
    }
    if schema == "FileReport" {
        // Any value, ignored: a public report is stamped with its arrival time.
        props.insert("reported_at".into(), json!({"description": "Ignored"}));
    }
    let services = json!({"type": "array", "items": slug(), "minItems": 1});
    set(props, "services", services);
    set(
        props,
        "depends_on",
        json!({"type": "array", "items": slug()}),
    );
    if schema == "PutService" {
        set(props, "kind", words(&["infrastructure", "application"]));
    }
    for field in [
        "started_at",
        "occurred_at",
        "detected_at",
        "acknowledged_at",
        "mitigated_at",
        "resolved_at",
    ] {
        set(props, field, time());
    }
}
