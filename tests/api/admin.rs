//! Administration over the API (`admin` tokens only): tokens, sources and webhook secrets, and
//! the audit log that says who changed them and when.

use aftermath::db::audit;
use aftermath::db::tokens::Scope;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, spawn_app};
use crate::ingest::fixture;

async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let req = app.client.request(method, app.url(path)).bearer_auth(token);
    let req = match body {
        Some(body) => req.json(&body),
        None => req,
    };
    req.send().await.unwrap()
}

#[actix_web::test]
async fn a_write_token_gets_403_on_every_admin_route_and_changes_nothing() {
    let app = spawn_app().await;
    let before = app.snapshot();
    let id = uuid::Uuid::now_v7().to_string();
    for (method, path, body) in [
        (Method::GET, "/api/v1/tokens".to_string(), None),
        (
            Method::POST,
            "/api/v1/tokens".into(),
            Some(json!({"name": "mine", "scope": "admin"})),
        ),
        (Method::DELETE, format!("/api/v1/tokens/{id}"), None),
        (Method::GET, "/api/v1/sources".into(), None),
        (
            Method::POST,
            "/api/v1/sources".into(),
            Some(json!({"kind": "statuspage-webhook", "service": "acme"})),
        ),
        (Method::DELETE, format!("/api/v1/sources/{id}"), None),
    ] {
        let res = send(&app, method.clone(), &path, &app.token, body).await;
        let problem = assert_problem(res, StatusCode::FORBIDDEN).await;
        assert!(
            problem["detail"].as_str().unwrap().contains("admin"),
            "{method} {path}: {problem}"
        );
    }
    assert_eq!(app.snapshot(), before);
}

#[actix_web::test]
async fn an_admin_creates_a_token_sees_its_secret_once_and_revokes_it() {
    let app = spawn_app().await;
    let admin = app.token_of(Scope::Admin);
    let res = send(
        &app,
        Method::POST,
        "/api/v1/tokens",
        &admin,
        Some(json!({"name": "ci", "scope": "read"})),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let created: Value = res.json().await.unwrap();
    let keys: Vec<&str> = created
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["id", "name", "scope", "token"]);
    assert_eq!(
        (created["name"].as_str(), created["scope"].as_str()),
        (Some("ci"), Some("read"))
    );
    let secret = created["token"].as_str().unwrap().to_string();
    let id = created["id"].as_str().unwrap().to_string();

    // It works, for what its scope allows.
    let res = send(&app, Method::GET, "/api/v1/incidents", &secret, None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = send(
        &app,
        Method::POST,
        "/api/v1/incidents",
        &secret,
        Some(json!({"title": "x", "services": ["api"]})),
    )
    .await;
    assert_problem(res, StatusCode::FORBIDDEN).await;

    // Listed, never with its secret.
    let res = send(&app, Method::GET, "/api/v1/tokens", &admin, None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let text = res.text().await.unwrap();
    assert!(!text.contains(&secret) && !text.contains(&admin), "{text}");
    let list: Value = serde_json::from_str(&text).unwrap();
    let listed = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id.as_str())
        .unwrap();
    assert_eq!(listed["scope"], "read");
    assert!(listed["revoked_at"].is_null() && listed.get("token").is_none());

    // Revoked: it stops at once, and revoking twice finds nothing.
    let res = send(
        &app,
        Method::DELETE,
        &format!("/api/v1/tokens/{id}"),
        &admin,
        None,
    )
    .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = send(&app, Method::GET, "/api/v1/tokens", &secret, None).await;
    assert_problem(res, StatusCode::UNAUTHORIZED).await;
    let res = send(
        &app,
        Method::DELETE,
        &format!("/api/v1/tokens/{id}"),
        &admin,
        None,
    )
    .await;
    assert_problem(res, StatusCode::NOT_FOUND).await;

    for bad in [
        json!({"name": "x", "scope": "root"}),
        json!({"name": "", "scope": "read"}),
    ] {
        let res = send(
            &app,
            Method::POST,
            "/api/v1/tokens",
            &admin,
            Some(bad.clone()),
        )
        .await;
        assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
}

#[actix_web::test]
async fn an_admin_adds_lists_and_removes_sources_and_a_removed_webhook_stops_answering() {
    let app = spawn_app().await;
    let admin = app.token_of(Scope::Admin);
    let hook = json!({"kind": "statuspage-webhook", "service": "acme"});
    let res = send(
        &app,
        Method::POST,
        "/api/v1/sources",
        &admin,
        Some(hook.clone()),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let webhook: Value = res.json().await.unwrap();
    let hook_path = webhook["hook_path"].as_str().unwrap().to_string();
    assert!(hook_path.starts_with(&format!(
        "/api/v1/hooks/{}/",
        webhook["id"].as_str().unwrap()
    )));
    assert!(webhook["url"].is_null() && webhook["interval"].is_null());

    let polled = json!({"kind": "atom", "url": "https://status.acme.example/history.atom", "service": "acme", "interval": "2m"});
    let res = send(
        &app,
        Method::POST,
        "/api/v1/sources",
        &admin,
        Some(polled.clone()),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let atom: Value = res.json().await.unwrap();
    assert_eq!(atom["interval"], 120);
    assert!(atom.get("hook_path").is_none(), "{atom}");
    let res = send(&app, Method::POST, "/api/v1/sources", &admin, Some(polled)).await;
    assert_problem(res, StatusCode::CONFLICT).await;
    for bad in [
        json!({"kind": "gopher", "url": "https://x.example", "service": "acme"}),
        json!({"kind": "atom", "service": "acme"}),
        json!({"kind": "atom", "url": "https://x.example", "service": "acme", "interval": 5}),
        // Less often than daily is refused, never stored clamped to another value.
        json!({"kind": "atom", "url": "https://x.example", "service": "acme", "interval": 2_147_483_648_u64}),
        json!({"kind": "atom", "url": "https://x.example", "service": "acme", "interval": "25h"}),
        json!({"kind": "statuspage-webhook", "url": "https://x.example", "service": "acme"}),
        json!({"kind": "atom", "url": "https://x.example", "service": "Not A Slug"}),
    ] {
        let res = send(
            &app,
            Method::POST,
            "/api/v1/sources",
            &admin,
            Some(bad.clone()),
        )
        .await;
        assert_problem(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    }

    let list: Value = send(&app, Method::GET, "/api/v1/sources", &admin, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 2, "{list}");
    assert_eq!(list["items"][0]["hook_path"], hook_path.as_str());

    // The webhook answers until it is removed, then its address is gone.
    let deliver = || {
        app.client
            .post(app.url(&hook_path))
            .body(fixture("statuspage/webhook_incident.json"))
            .send()
    };
    assert_eq!(deliver().await.unwrap().status(), StatusCode::OK);
    let id = webhook["id"].as_str().unwrap();
    let res = send(
        &app,
        Method::DELETE,
        &format!("/api/v1/sources/{id}"),
        &admin,
        None,
    )
    .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_problem(deliver().await.unwrap(), StatusCode::NOT_FOUND).await;
    let res = send(
        &app,
        Method::DELETE,
        &format!("/api/v1/sources/{id}"),
        &admin,
        None,
    )
    .await;
    assert_problem(res, StatusCode::NOT_FOUND).await;
    let list: Value = send(&app, Method::GET, "/api/v1/sources", &admin, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
    let incidents = app.get_json("/api/v1/incidents?service=acme").await;
    assert_eq!(
        incidents["items"].as_array().unwrap().len(),
        1,
        "what it brought in stays"
    );

    // A removed polled source is never due again; added back, a webhook gets a new secret.
    let atom_id = atom["id"].as_str().unwrap().to_string();
    let due = |app: &TestApp| {
        app.db
            .run(|c| aftermath::db::poll_state::due(c, chrono::Utc::now()))
            .unwrap()
            .into_iter()
            .any(|s| s.id == atom_id)
    };
    assert!(due(&app));
    let res = send(
        &app,
        Method::DELETE,
        &format!("/api/v1/sources/{atom_id}"),
        &admin,
        None,
    )
    .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(!due(&app), "a removed source is not polled");
    let res = send(&app, Method::POST, "/api/v1/sources", &admin, Some(hook)).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let again: Value = res.json().await.unwrap();
    assert_ne!(again["hook_path"], hook_path.as_str());
}

#[actix_web::test]
async fn the_audit_log_says_who_created_revoked_added_and_removed_newest_first() {
    let app = spawn_app().await;
    let admin = app.token_of(Scope::Admin);
    let created: Value = send(
        &app,
        Method::POST,
        "/api/v1/tokens",
        &admin,
        Some(json!({"name": "ci", "scope": "write"})),
    )
    .await
    .json()
    .await
    .unwrap();
    let token_id = created["id"].as_str().unwrap();
    send(
        &app,
        Method::DELETE,
        &format!("/api/v1/tokens/{token_id}"),
        &admin,
        None,
    )
    .await;
    let source: Value = send(
        &app,
        Method::POST,
        "/api/v1/sources",
        &admin,
        Some(json!({"kind": "statuspage-webhook", "service": "acme"})),
    )
    .await
    .json()
    .await
    .unwrap();
    let source_id = source["id"].as_str().unwrap();
    send(
        &app,
        Method::DELETE,
        &format!("/api/v1/sources/{source_id}"),
        &admin,
        None,
    )
    .await;

    let log = app.db.run(|c| audit::recent(c, 100)).unwrap();
    let lines: Vec<(&str, &str)> = log
        .iter()
        .map(|e| (e.actor.as_str(), e.action.as_str()))
        .collect();
    assert_eq!(
        lines,
        [
            ("admin", "source removed"),
            ("admin", "source added"),
            ("admin", "token revoked"),
            ("admin", "token created"),
        ]
    );
    assert!(log[0].subject.contains(source_id) && log[2].subject.contains(token_id));
    assert!(log.windows(2).all(|w| w[0].at >= w[1].at));
    let secret = source["hook_path"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap();
    assert!(
        log.iter().all(|e| !e.subject.contains(secret)
            && !e.subject.contains(created["token"].as_str().unwrap())),
        "no secret in the log: {log:?}"
    );
    let age = chrono::Utc::now() - log[0].at;
    assert!(age < chrono::Duration::minutes(1), "with the time: {age}");

    // A refused change writes nothing.
    let before = app.snapshot();
    send(
        &app,
        Method::POST,
        "/api/v1/tokens",
        &app.token,
        Some(json!({"name": "x", "scope": "admin"})),
    )
    .await;
    assert_eq!(app.snapshot(), before);
}
