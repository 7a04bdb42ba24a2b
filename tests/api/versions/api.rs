//! The JSON API: ETags, 304s and 412s.

use reqwest::StatusCode;
use serde_json::json;

use super::{etag_of, open, read, version_in};
use crate::helpers::{TestApp, assert_problem, spawn_app};

async fn patch_if(
    app: &TestApp,
    id: &str,
    if_match: Option<&str>,
    body: serde_json::Value,
) -> reqwest::Response {
    let mut req = app
        .client
        .patch(app.url(&format!("/api/v1/incidents/{id}")))
        .bearer_auth(&app.token)
        .json(&body);
    if let Some(tag) = if_match {
        req = req.header("If-Match", tag);
    }
    req.send().await.unwrap()
}

async fn post_update_if(
    app: &TestApp,
    id: &str,
    if_match: Option<&str>,
    body: &str,
) -> reqwest::Response {
    let mut req = app
        .client
        .post(app.url(&format!("/api/v1/incidents/{id}/updates")))
        .bearer_auth(&app.token)
        .json(&json!({ "body": body }));
    if let Some(tag) = if_match {
        req = req.header("If-Match", tag);
    }
    req.send().await.unwrap()
}

#[actix_web::test]
async fn the_etag_names_the_version_and_grows_with_a_patch_and_an_update() {
    let app = spawn_app().await;
    let id = open(&app, "Kiwibank logins fail", "kiwibank").await;
    let (etag, json) = read(&app, &id).await;
    assert_eq!(etag, format!("\"v{}\"", json["version"]), "{json}");

    let patched = patch_if(
        &app,
        &id,
        None,
        json!({"title": "Kiwibank logins fail for some"}),
    )
    .await;
    assert_eq!(patched.status(), StatusCode::OK);
    let after_patch = etag_of(&patched);
    assert!(version_in(&after_patch) > version_in(&etag));
    assert_eq!(
        read(&app, &id).await.0,
        after_patch,
        "the PATCH answer carries the new ETag"
    );

    let posted = post_update_if(&app, &id, None, "Rolled back.").await;
    assert_eq!(posted.status(), StatusCode::CREATED);
    let after_update = etag_of(&posted);
    assert!(version_in(&after_update) > version_in(&after_patch));
    let (now, json) = read(&app, &id).await;
    assert_eq!(now, after_update);
    assert_eq!(json["version"], version_in(&after_update));

    // A patch that changes nothing leaves the version where it is.
    let same = patch_if(
        &app,
        &id,
        None,
        json!({"title": "Kiwibank logins fail for some"}),
    )
    .await;
    assert_eq!(etag_of(&same), after_update);
}

#[actix_web::test]
async fn a_new_link_moves_the_version_of_the_incident_it_points_at() {
    let app = spawn_app().await;
    for body in [
        json!({"name": "Cirrus", "kind": "infrastructure"}),
        json!({"name": "Shopfront", "kind": "application", "depends_on": ["cirrus"]}),
    ] {
        let slug = body["name"].as_str().unwrap().to_lowercase();
        let res = app
            .put_json(&format!("/api/v1/services/{slug}"), &body)
            .await;
        assert!(res.status().is_success(), "{:?}", res.text().await);
    }
    let cloud = open(&app, "Cirrus storage errors", "cirrus").await;
    let shop = open(&app, "Shopfront checkout down", "shopfront").await;
    let (before, _) = read(&app, &cloud).await;
    // A change to the shop's incident recomputes the links around it.
    let res = patch_if(&app, &shop, None, json!({"impact": "major"})).await;
    assert_eq!(res.status(), StatusCode::OK);
    let (after, json) = read(&app, &cloud).await;
    assert_eq!(json["links"][0]["incident_id"], shop.as_str(), "{json}");
    assert!(
        version_in(&after) > version_in(&before),
        "{before} → {after}"
    );

    // The link shows the shop's title: retitling the shop moves the cloud's version too.
    let res = patch_if(
        &app,
        &shop,
        None,
        json!({"title": "Shopfront checkout unavailable"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let (retitled, json) = read(&app, &cloud).await;
    assert_eq!(json["links"][0]["title"], "Shopfront checkout unavailable");
    assert!(version_in(&retitled) > version_in(&after));
}

#[actix_web::test]
async fn if_none_match_with_the_current_etag_gets_304_without_a_body() {
    let app = spawn_app().await;
    let id = open(&app, "Tuatara DNS timeouts", "tuatara").await;
    let (etag, _) = read(&app, &id).await;
    let path = format!("/api/v1/incidents/{id}");
    let (weak, list) = (format!("W/{etag}"), format!("\"v0\", {etag}"));
    for value in [etag.as_str(), weak.as_str(), list.as_str(), "*"] {
        let res = app
            .client
            .get(app.url(&path))
            .header("If-None-Match", value)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_MODIFIED, "{value}");
        assert_eq!(etag_of(&res), etag);
        assert!(res.bytes().await.unwrap().is_empty(), "a 304 has no body");
    }
    let res = app
        .client
        .get(app.url(&path))
        .header("If-None-Match", "\"v0\"")
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "another version gets the incident"
    );
    assert_eq!(etag_of(&res), etag);
}

#[actix_web::test]
async fn a_stale_if_match_gets_412_naming_the_current_version_and_changes_nothing() {
    let app = spawn_app().await;
    let id = open(&app, "Pukeko payments slow", "pukeko").await;
    let (old, _) = read(&app, &id).await;
    let res = patch_if(&app, &id, Some(&old), json!({"impact": "major"})).await;
    assert_eq!(res.status(), StatusCode::OK, "the current ETag applies");
    let current = etag_of(&res);
    let before = app.snapshot();

    let res = patch_if(&app, &id, Some(&old), json!({"title": "Overwritten"})).await;
    assert_eq!(etag_of(&res), current, "a 412 carries the current ETag");
    let problem = assert_problem(res, StatusCode::PRECONDITION_FAILED).await;
    assert_eq!(
        problem["current_version"],
        version_in(&current),
        "{problem}"
    );
    assert_eq!(problem["type"], "urn:aftermath:problem:precondition-failed");
    let res = post_update_if(&app, &id, Some(&old), "Not posted.").await;
    let problem = assert_problem(res, StatusCode::PRECONDITION_FAILED).await;
    assert_eq!(problem["current_version"], version_in(&current));
    // Weak tags never match an If-Match.
    let res = patch_if(
        &app,
        &id,
        Some(&format!("W/{current}")),
        json!({"title": "Weak"}),
    )
    .await;
    assert_problem(res, StatusCode::PRECONDITION_FAILED).await;

    assert_eq!(app.snapshot(), before, "no row added or removed");
    let (etag, json) = read(&app, &id).await;
    assert_eq!(
        (etag.as_str(), &json["title"]),
        (current.as_str(), &json!("Pukeko payments slow"))
    );

    let res = post_update_if(&app, &id, Some(&format!("\"v0\", {current}")), "Posted.").await;
    assert_eq!(
        res.status(),
        StatusCode::CREATED,
        "one tag of the list is current"
    );
    let res = patch_if(
        &app,
        &id,
        Some("*"),
        json!({"title": "Pukeko payments failing"}),
    )
    .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "* means: whatever version it is at"
    );
    let res = patch_if(&app, &id, Some("v7"), json!({"title": "Unquoted"})).await;
    assert_problem(res, StatusCode::BAD_REQUEST).await;
    let missing = format!("/api/v1/incidents/{}", uuid::Uuid::now_v7());
    let res = app
        .client
        .patch(app.url(&missing))
        .bearer_auth(&app.token)
        .header("If-Match", "*")
        .json(&json!({"title": "Nobody"}))
        .send()
        .await
        .unwrap();
    assert_problem(res, StatusCode::NOT_FOUND).await;
}

#[actix_web::test]
async fn the_openapi_document_describes_the_version_the_etag_and_the_412() {
    let app = spawn_app().await;
    let doc = app.get_json("/api/openapi.json").await;
    let schema = &doc["components"]["schemas"]["IncidentJson"];
    assert_eq!(
        schema["properties"]["version"]["type"], "integer",
        "{schema}"
    );
    let problem = &doc["components"]["schemas"]["Problem"]["properties"];
    assert!(problem["current_version"].is_object(), "{problem}");
    let path = &doc["paths"]["/api/v1/incidents/{id}"];
    assert!(path["get"]["responses"]["200"]["headers"]["ETag"].is_object());
    assert!(path["get"]["responses"]["304"].is_object());
    for (path, method) in [
        ("/api/v1/incidents/{id}", "patch"),
        ("/api/v1/incidents/{id}/updates", "post"),
    ] {
        let op = &doc["paths"][path][method];
        assert!(op["responses"]["412"].is_object(), "{method} {path}");
        let params = op["parameters"].as_array().unwrap();
        assert!(
            params
                .iter()
                .any(|p| p["name"] == "If-Match" && p["in"] == "header"),
            "{params:?}"
        );
    }
}
