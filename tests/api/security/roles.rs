//! Roles: every route of the declared table (`aftermath::http::routes::ROUTES`), called with no
//! token and with a `read`, `write` and `admin` one, with reads public and private. A route is
//! refused exactly when the caller's scope is below what the table says it needs; the matrix is
//! generated from the table, and the table is checked against every `web::resource` in the
//! source, so a new route cannot be left out.

use std::collections::BTreeSet;
use std::path::Path;

use aftermath::db::tokens::Scope;
use aftermath::http::routes::{ROUTES, Route, Verb};
use reqwest::StatusCode;
use serde_json::json;

use crate::forms::csrf_of;
use crate::helpers::{TestApp, assert_problem, html, spawn_app, spawn_app_with};

/// Every `(METHOD, path)` the source registers: each `web::resource("…")` string under
/// src/http with the `web::get()`, `web::post()` … routes written after it.
fn registered_in_source() -> BTreeSet<(String, String)> {
    let mut files = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http")];
    let mut found = BTreeSet::new();
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for chunk in text.split("web::resource(").skip(1) {
            let pattern = chunk.trim_start().trim_start_matches('"');
            let pattern = &pattern[..pattern.find('"').unwrap()];
            for method in ["get", "post", "put", "patch", "delete", "head"] {
                if chunk.contains(&format!("web::{method}()")) {
                    found.insert((method.to_uppercase(), pattern.to_string()));
                }
            }
            assert!(
                chunk.contains(".route(web::"),
                "{}: web::resource({pattern}) has no route this test can read",
                path.display()
            );
        }
    }
    found
}

#[test]
fn every_registered_route_is_in_the_table_and_every_row_is_registered() {
    let registered = registered_in_source();
    let declared: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|r| (r.method.as_str().to_string(), r.path.to_string()))
        .collect();
    let undeclared: Vec<_> = registered.difference(&declared).collect();
    assert!(
        undeclared.is_empty(),
        "routes registered without a declared scope (add them to http::routes::ROUTES): {undeclared:?}"
    );
    let stale: Vec<_> = declared.difference(&registered).collect();
    assert!(stale.is_empty(), "declared but not registered: {stale:?}");
    assert!(
        registered.len() > 40,
        "the source was not read: {registered:?}"
    );
}

#[test]
fn the_source_reader_sees_methods_of_a_resource_written_over_several_lines() {
    let registered = registered_in_source();
    for (method, path) in [
        ("GET", "/api/v1/incidents"),
        ("POST", "/api/v1/incidents"),
        ("PATCH", "/api/v1/incidents/{id}"),
        ("GET", "/admin/sources"),
    ] {
        assert!(
            registered.contains(&(method.to_string(), path.to_string())),
            "{method} {path} not seen"
        );
    }
}

#[actix_web::test]
async fn every_route_of_the_api_is_in_the_openapi_document() {
    let app = spawn_app().await;
    let doc = app.get_json("/api/openapi.json").await;
    for route in ROUTES.iter().filter(|r| !r.is_page()) {
        let method = route.method.as_str().to_lowercase();
        assert!(
            doc["paths"][route.path][&method].is_object(),
            "{method} {} is not in the OpenAPI document",
            route.path
        );
    }
}

/// The ids a route's path parameters are filled with.
struct Fill {
    incident: String,
    other: String,
}

impl Fill {
    fn path(&self, pattern: &str) -> String {
        let mut out = String::new();
        for segment in pattern.split('/').skip(1) {
            out.push('/');
            let value = match segment {
                "{id}" => self.incident.clone(),
                "{other}" => self.other.clone(),
                "{slug}" => "api".into(),
                "{format}" => "statuspage".into(),
                "{action}" => "confirm".into(),
                s if s.starts_with('{') => uuid::Uuid::now_v7().to_string(),
                s => s.to_string(),
            };
            out.push_str(&value);
        }
        if out.is_empty() { "/".into() } else { out }
    }
}

/// Who calls: nobody, or a token of one scope.
#[derive(Clone, Copy, Debug)]
struct Caller<'a> {
    scope: Option<Scope>,
    token: Option<&'a str>,
}

/// A client of its own (its own cookies), signed in with the caller's token for pages.
async fn client_for(app: &TestApp, caller: Caller<'_>) -> (reqwest::Client, String) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    let page = client.get(app.url("/signin")).send().await.unwrap();
    let csrf = csrf_of(&page.text().await.unwrap());
    if let Some(token) = caller.token {
        let res = client
            .post(app.url("/signin"))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("token", token),
                ("next", "/"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "signed in");
    }
    // Signing in renews the CSRF token.
    let page = client.get(app.url("/signin")).send().await.unwrap();
    (client, csrf_of(&page.text().await.unwrap()))
}

/// Calls one route as one caller: the API with a bearer token and a JSON body, pages with the
/// caller's session and a form carrying its CSRF token.
async fn call(
    app: &TestApp,
    route: &Route,
    caller: Caller<'_>,
    fill: &Fill,
    read_token: &str,
) -> reqwest::Response {
    let url = app.url(&fill.path(route.path));
    let (client, csrf) = client_for(app, caller).await;
    let method = reqwest::Method::from_bytes(route.method.as_str().as_bytes()).unwrap();
    let req = client.request(method, url);
    let req = if route.is_page() {
        match route.method {
            Verb::Get => req,
            // Signing in is open to all: it is given a live token to sign in with.
            _ => req.form(&[
                ("csrf_token", csrf.as_str()),
                ("token", read_token),
                ("next", "/"),
            ]),
        }
    } else {
        let req = match caller.token {
            Some(token) => req.bearer_auth(token),
            None => req,
        };
        match route.method {
            Verb::Get | Verb::Delete => req,
            _ => req.json(&json!({})),
        }
    };
    req.send().await.unwrap()
}

/// Asserts the answer of one call: through exactly when the scope suffices, and a refusal in
/// the shape its face promises.
async fn check(route: &Route, caller: Caller<'_>, public_read: bool, res: reqwest::Response) {
    let needed = route.need.scope(public_read);
    let allowed = needed.is_none_or(|n| caller.scope.is_some_and(|s| s.includes(n)));
    let what = format!(
        "{} {} as {:?} (public_read={public_read}, needs {needed:?}): {}",
        route.method.as_str(),
        route.path,
        caller.scope,
        res.status()
    );
    let location = res
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string());
    if allowed {
        let status = res.status();
        assert!(
            !matches!(
                status,
                StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::METHOD_NOT_ALLOWED
            ) && !location
                .as_deref()
                .is_some_and(|l| l.starts_with("/signin")),
            "{what} was refused: {}",
            res.text().await.unwrap()
        );
        return;
    }
    match (route.is_page(), caller.scope, route.method) {
        (false, None, _) => {
            assert_problem(res, StatusCode::UNAUTHORIZED).await;
        }
        (false, Some(_), _) => {
            let body = assert_problem(res, StatusCode::FORBIDDEN).await;
            assert!(
                body["detail"].as_str().unwrap().contains("scope"),
                "{what}: {body}"
            );
        }
        (true, None, Verb::Get) => {
            assert_eq!(res.status(), StatusCode::SEE_OTHER, "{what}");
            assert!(
                location
                    .as_deref()
                    .is_some_and(|l| l.starts_with("/signin?next=/")),
                "{what}: {location:?}"
            );
        }
        (true, _, _) => {
            html(res, StatusCode::FORBIDDEN).await;
        }
    }
}

async fn matrix(public_read: bool) {
    let app = spawn_app_with(|c| c.public_read = public_read).await;
    let incident = app
        .create_incident(json!({"title": "x", "services": ["api"]}))
        .await;
    let other = app
        .create_incident(json!({"title": "y", "services": ["db"]}))
        .await;
    let fill = Fill {
        incident: incident["id"].as_str().unwrap().to_string(),
        other: other["id"].as_str().unwrap().to_string(),
    };
    let read = app.token_of(Scope::Read);
    let write = app.token_of(Scope::Write);
    let admin = app.token_of(Scope::Admin);
    let callers = [
        Caller {
            scope: None,
            token: None,
        },
        Caller {
            scope: Some(Scope::Read),
            token: Some(&read),
        },
        Caller {
            scope: Some(Scope::Write),
            token: Some(&write),
        },
        Caller {
            scope: Some(Scope::Admin),
            token: Some(&admin),
        },
    ];
    for route in ROUTES {
        for caller in callers {
            let res = call(&app, route, caller, &fill, &read).await;
            check(route, caller, public_read, res).await;
        }
    }
}

#[actix_web::test]
async fn every_route_with_every_scope_while_reads_are_public() {
    matrix(true).await;
}

#[actix_web::test]
async fn every_route_with_every_scope_while_reads_are_private() {
    matrix(false).await;
}

#[actix_web::test]
async fn a_write_token_cannot_open_the_page_with_webhook_secrets_by_spelling_it_oddly() {
    let app = spawn_app().await;
    crate::forms::sign_in(&app).await;
    for path in ["/admin/sources", "/admin/%73ources", "/admin//sources"] {
        let res = app.get(path).await;
        assert!(
            matches!(res.status(), StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "{path}: {}",
            res.status()
        );
    }
}

#[actix_web::test]
async fn private_reads_take_a_bearer_token_on_feeds_metrics_and_pages() {
    let app = spawn_app_with(|c| c.public_read = false).await;
    let read = app.token_of(Scope::Read);
    for path in [
        "/feed.atom",
        "/metrics",
        "/api/v2/summary.json",
        "/incidents",
    ] {
        let res = app
            .client
            .get(app.url(path))
            .bearer_auth(&read)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let res = app
            .client
            .get(app.url(path))
            .bearer_auth("am_unknown")
            .send()
            .await
            .unwrap();
        assert_problem(res, StatusCode::UNAUTHORIZED).await;
    }
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
    assert_eq!(app.get("/report").await.status(), StatusCode::OK);
    let res = app.get("/search?q=a%20b&sort=date").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        res.headers()["location"],
        "/signin?next=/search?q%3Da%2520b%26sort%3Ddate",
        "the whole address, query included, is one value of `next`"
    );
}

#[actix_web::test]
async fn the_api_never_takes_a_session_for_a_token() {
    let app = spawn_app_with(|c| c.public_read = false).await;
    let admin = app.token_of(Scope::Admin);
    crate::forms::sign_in_with(&app, &admin).await;
    assert_eq!(
        app.get("/incidents").await.status(),
        StatusCode::OK,
        "the page"
    );
    assert_problem(app.get("/api/v1/incidents").await, StatusCode::UNAUTHORIZED).await;
    let res = app
        .client
        .post(app.url("/api/v1/incidents"))
        .json(&json!({"title": "x", "services": ["api"]}))
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::UNAUTHORIZED).await;
}

#[actix_web::test]
async fn a_read_token_signs_in_and_reads_but_cannot_write() {
    let app = spawn_app().await;
    let read = app.token_of(Scope::Read);
    let res = app
        .client
        .post(app.url("/api/v1/incidents"))
        .bearer_auth(&read)
        .json(&json!({"title": "x", "services": ["api"]}))
        .send()
        .await
        .unwrap();
    let body = assert_problem(res, StatusCode::FORBIDDEN).await;
    assert!(body["detail"].as_str().unwrap().contains("write"), "{body}");
    crate::forms::sign_in_with(&app, &read).await;
    let page = html(app.get("/incidents/new").await, StatusCode::FORBIDDEN).await;
    assert!(page.contains("write"), "{page}");
}
