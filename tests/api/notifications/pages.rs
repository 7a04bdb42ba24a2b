//! `/subscriptions` for signed-in users: make one, see it with its deliveries, send a test
//! event; a stranger's session sees nothing of it.

use aftermath::db::tokens::Scope;
use chrono::Utc;
use reqwest::StatusCode;

use super::notifying;
use super::receiver::Receiver;
use crate::forms::{csrf_of, sign_in, sign_in_with};
use crate::helpers::html;

#[actix_web::test]
async fn a_signed_in_user_makes_a_subscription_and_sends_a_test_event() {
    let receiver = Receiver::start(&[]);
    let n = notifying(&[receiver.host_port()], None).await;
    let app = &n.app;
    // Signed out, the page sends people to sign in.
    let res = app.get("/subscriptions").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    sign_in(app).await;
    let page = html(app.get("/subscriptions").await, StatusCode::OK).await;
    assert!(page.contains("No subscriptions yet."), "{page}");
    let res = app
        .client
        .post(app.url("/subscriptions"))
        .form(&[
            ("csrf_token", csrf_of(&page)),
            ("kind", "webhook".into()),
            ("target", receiver.url()),
            ("query", "dynamodb".into()),
            ("events", "incident.created, incident.resolved".into()),
        ])
        .send()
        .await
        .unwrap();
    let made = html(res, StatusCode::CREATED).await;
    assert!(made.contains("whsec_"), "the secret is shown once: {made}");
    let id = made
        .split("href=\"/subscriptions/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let one = html(
        app.get(&format!("/subscriptions/{id}")).await,
        StatusCode::OK,
    )
    .await;
    assert!(one.contains("Send a test event"), "{one}");
    assert!(one.contains("search: dynamodb"), "{one}");
    assert!(!one.contains("whsec_"));
    let res = app
        .client
        .post(app.url(&format!("/subscriptions/{id}/test")))
        .form(&[("csrf_token", csrf_of(&one))])
        .send()
        .await
        .unwrap();
    let queued = html(res, StatusCode::OK).await;
    assert!(queued.contains("A test event is queued."), "{queued}");
    assert_eq!(n.deliver(Utc::now()).await.delivered, 1);
    let one = html(
        app.get(&format!("/subscriptions/{id}")).await,
        StatusCode::OK,
    )
    .await;
    assert!(one.contains("subscription.test"), "{one}");
    assert!(one.contains("delivered"), "{one}");
    // A bad form is refused on the page, and changes nothing.
    let before = app.snapshot();
    let res = app
        .client
        .post(app.url("/subscriptions"))
        .form(&[
            ("csrf_token", csrf_of(&one)),
            ("kind", "webhook".into()),
            ("target", "http://10.0.0.1/".into()),
        ])
        .send()
        .await
        .unwrap();
    html(res, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(app.snapshot(), before);

    // Another write session does not see it.
    let other = app.token_of(Scope::Write);
    sign_in_with(app, &other).await;
    let res = app.get(&format!("/subscriptions/{id}")).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}
