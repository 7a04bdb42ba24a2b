//! Subscriptions over the API: who sees what, and bad input refused with problem+json,
//! changing nothing.

use aftermath::db::tokens::Scope;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::notifying;
use super::receiver::Receiver;

#[actix_web::test]
async fn bad_subscriptions_are_refused_and_change_nothing() {
    let receiver = Receiver::start(&[]);
    let n = notifying(&[receiver.host_port()], None).await;
    let before = n.app.snapshot();
    for (body, field) in [
        (json!({"kind": "pager", "target": receiver.url()}), "kind"),
        (
            json!({"kind": "webhook", "target": "http://10.0.0.1/hook"}),
            "target",
        ),
        (
            json!({"kind": "webhook", "target": "http://127.0.0.1:9/hook"}),
            "target",
        ),
        (
            json!({"kind": "webhook", "target": "ftp://example.com"}),
            "target",
        ),
        (
            json!({"kind": "email", "target": "a@b.com\r\nBcc: x@y.z"}),
            "target",
        ),
        (
            json!({"kind": "webhook", "target": receiver.url(), "events": ["incident.deleted"]}),
            "events",
        ),
        (
            json!({"kind": "webhook", "target": receiver.url(), "filter": {"min_impact": "huge"}}),
            "filter",
        ),
        (
            json!({"kind": "webhook", "target": receiver.url(), "format": "xml"}),
            "format",
        ),
    ] {
        let res = n.app.post_json("/api/v1/subscriptions", &body).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(
            res.headers()["content-type"],
            "application/problem+json",
            "{body}"
        );
        let problem: Value = res.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], field, "{body}: {problem}");
    }
    let res = n
        .app
        .post_json(
            "/api/v1/subscriptions",
            &json!({"kind": "webhook", "target": receiver.url(), "filter": {"colour": "red"}}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(n.app.snapshot(), before);
}

async fn list(n: &super::Notifying, token: &str) -> Vec<String> {
    let body: Value = n
        .app
        .client
        .get(n.app.url("/api/v1/subscriptions"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect()
}

#[actix_web::test]
async fn a_write_token_sees_its_own_and_an_admin_every_one() {
    let receiver = Receiver::start(&[]);
    let n = notifying(&[receiver.host_port()], None).await;
    let mine = n
        .subscribe(json!({"kind": "webhook", "target": receiver.url()}))
        .await;
    let id = mine["id"].as_str().unwrap();
    assert!(mine["secret"].is_string());
    let other = n.app.token_of(Scope::Write);
    let admin = n.app.token_of(Scope::Admin);
    assert_eq!(list(&n, &n.app.token).await, [id]);
    assert!(list(&n, &other).await.is_empty());
    assert_eq!(list(&n, &admin).await, [id]);
    // The secret is shown once.
    let again: Value = n
        .app
        .client
        .get(n.app.url(&format!("/api/v1/subscriptions/{id}")))
        .bearer_auth(&n.app.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(again.get("secret").is_none(), "{again}");
    // Someone else's is not found, for reading and for removing.
    for method in [reqwest::Method::GET, reqwest::Method::DELETE] {
        let res = n
            .app
            .client
            .request(method, n.app.url(&format!("/api/v1/subscriptions/{id}")))
            .bearer_auth(&other)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
    }
    let read = n.app.token_of(Scope::Read);
    let res = n
        .app
        .client
        .get(n.app.url("/api/v1/subscriptions"))
        .bearer_auth(&read)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = n
        .app
        .client
        .delete(n.app.url(&format!("/api/v1/subscriptions/{id}")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(list(&n, &n.app.token).await.is_empty());
}

#[actix_web::test]
async fn the_outbox_waits_for_the_notification_fan_out() {
    let receiver = Receiver::start(&[]);
    let n = notifying(&[receiver.host_port()], None).await;
    let kinds: Vec<String> = n
        .app
        .db
        .run(aftermath::db::replicas::list)
        .unwrap()
        .into_iter()
        .map(|r| r.kind)
        .collect();
    assert!(kinds.contains(&"notifications".to_string()), "{kinds:?}");
}
