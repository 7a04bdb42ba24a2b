//! The field and parameter rules of the OpenAPI document (see the parent module's rules): what
//! each parameter and request field accepts, the closed vocabularies of answers, and one example
//! of each parameter, so schemathesis's examples phase sends a request a person would.

use serde_json::{Map, Value, json};

use super::SLUG_PATTERN;

fn slug() -> Value {
    json!({"type": "string", "pattern": SLUG_PATTERN, "minLength": 1, "maxLength": 64})
}

pub(super) fn words(values: &[&str]) -> Value {
    json!({"type": "string", "enum": values})
}

fn bounded(minimum: u32, maximum: u32) -> Value {
    json!({"type": "integer", "minimum": minimum, "maximum": maximum})
}

/// The schema of the parameter `name` of `path`, per the module rules; `None` keeps utoipa's.
pub(super) fn parameter_schema(path: &str, name: &str) -> Option<Value> {
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
        "kind" if path == "/api/v1/incidents" => words(&crate::http::api::incidents::KINDS),
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
    Some(search_takes_empty(path, name, schema))
}

/// Search reads an empty `status`, `impact` or `sort` as not set, as its page's form sends it.
fn search_takes_empty(path: &str, name: &str, mut schema: Value) -> Value {
    if path == "/api/v1/search"
        && matches!(name, "status" | "impact" | "sort")
        && let Some(values) = schema.get_mut("enum").and_then(Value::as_array_mut)
    {
        values.push(json!(""));
    }
    schema
}

/// One value a person would send for the parameter `name` of `path`, shown as its `example`: a
/// demo service's slug, a time in the demo's outage, a query; a made-up incident id, which
/// names nothing (404). `None` for the parameters no example helps (cursors and the
/// conditional headers).
pub(super) fn parameter_example(path: &str, name: &str) -> Option<Value> {
    let example = match name {
        "id" | "other" | "source_id" => json!("3f2b9a46-8c1d-4e0a-9b7e-2d5c6a1f0e94"),
        "secret" => json!("whsec-example"),
        "from" => json!(1),
        "to" => json!(2),
        "consistent" | "strict" => json!(false),
        "slug" | "service" => json!("nimbus-us-east-1"),
        "since" => json!("2025-10-20T00:00:00Z"),
        "until" => json!("2025-10-21T00:00:00Z"),
        "q" => json!("dynamodb us-east-1"),
        "status" => json!("resolved"),
        "impact" => json!("major"),
        "sort" => json!("relevance"),
        "kind" if path == "/api/v1/incidents" => json!("incident"),
        "format" => json!("statuspage"),
        "limit" => json!(10),
        "offset" => json!(0),
        _ => return None,
    };
    Some(example)
}

/// Fields of answers that hold one word of a closed vocabulary: (schema, field, the words).
pub(super) fn response_words() -> [(&'static str, &'static str, Vec<&'static str>); 4] {
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
pub(super) const REQUEST_SCHEMAS: &[&str] = &[
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
pub(super) fn set(props: &mut Map<String, Value>, field: &str, mut rule: Value) {
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

pub(super) fn request_fields(schema: &str, props: &mut Map<String, Value>) {
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
    if schema == "NewSourceJson" {
        props.insert("interval".into(), source_interval());
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

/// A source's poll interval: seconds within the poller's bounds, or text such as `30s`, `5m`
/// or `1h`.
fn source_interval() -> Value {
    use crate::domain::source::{MAX_INTERVAL_SECS, MIN_INTERVAL_SECS};
    json!({"anyOf": [
        {"type": "integer", "minimum": MIN_INTERVAL_SECS, "maximum": MAX_INTERVAL_SECS},
        {"type": "string", "pattern": "^\\s*[0-9]+[smh]?\\s*$"},
        {"type": "null"},
    ], "description": "How often to poll (default 5m); not for a webhook"})
}
