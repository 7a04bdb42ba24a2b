//! Writes need a live bearer token; reads do not.

use aftermath::db::tokens;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_problem, spawn_app};

#[actix_web::test]
async fn writes_without_a_live_token_are_401_and_change_nothing() {
    let app = spawn_app().await;
    let incident = app
        .create_incident(json!({"title": "x", "services": ["api"]}))
        .await;
    let id = incident["id"].as_str().unwrap();
    let (_, revoked) = app
        .db
        .write(|c| tokens::create(c, "old-laptop", tokens::Scope::Write))
        .unwrap();
    app.db
        .write(|c| tokens::revoke_by(c, "test", "old-laptop"))
        .unwrap();
    let before = app.snapshot();
    let body = json!({"title": "y", "services": ["api"]});
    for auth in [
        None,
        Some("Bearer am_wrong"),
        Some(format!("Bearer {revoked}").as_str()),
        Some("Basic abc"),
        Some("Bearer "),
    ] {
        let requests = [
            app.client.post(app.url("/api/v1/incidents")).json(&body),
            app.client
                .patch(app.url(&format!("/api/v1/incidents/{id}")))
                .json(&json!({"title": "z"})),
            app.client
                .post(app.url(&format!("/api/v1/incidents/{id}/updates")))
                .json(&json!({"body": "b"})),
            app.client
                .put(app.url("/api/v1/services/api"))
                .json(&json!({"name": "API"})),
        ];
        for req in requests {
            let req = match auth {
                Some(a) => req.header("authorization", a),
                None => req,
            };
            let res = req.send().await.unwrap();
            assert_eq!(
                res.headers()
                    .get("www-authenticate")
                    .map(|v| v.to_str().unwrap()),
                Some("Bearer")
            );
            assert_problem(res, StatusCode::UNAUTHORIZED).await;
        }
    }
    assert_eq!(app.snapshot(), before);
}

#[actix_web::test]
async fn tokens_are_stored_hashed_and_the_author_is_the_token_name() {
    let app = spawn_app().await;
    let stored: Vec<String> = app
        .db
        .run(|c| {
            use aftermath::db::schema::api_tokens::dsl::*;
            use diesel::prelude::*;
            Ok(api_tokens.select(token_hash).load(c)?)
        })
        .unwrap();
    assert!(
        !stored.iter().any(|h| h == &app.token),
        "the secret itself is never stored"
    );
    let incident = app
        .create_incident(json!({"title": "x", "services": ["api"]}))
        .await;
    assert_eq!(incident["timeline"][0]["author"], "tester");
}
