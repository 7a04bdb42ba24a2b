//! Hostile text reaches Slack and mail escaped; mail is confirmed first, threaded per
//! incident, and carries a one-click unsubscribe.

use chrono::Utc;
use serde_json::{Value, json};

use super::notifying;
use super::receiver::{Receiver, SmtpSink};

const HOSTILE: &str = "<!channel> <script>alert(1)</script> & <https://evil.example|click>";

/// Every `text` of a Slack message, wherever it is.
fn texts(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                if k == "text" && v.is_string() {
                    out.push(v.as_str().unwrap().to_string());
                } else {
                    texts(v, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| texts(i, out)),
        _ => {}
    }
}

#[actix_web::test]
async fn a_hostile_title_reaches_slack_escaped() {
    let receiver = Receiver::start(&[]);
    let n = notifying(&[receiver.host_port()], None).await;
    n.subscribe(json!({"kind": "slack", "target": receiver.url()}))
        .await;
    n.app
        .create_incident(json!({"title": HOSTILE, "services": ["api"], "body": HOSTILE}))
        .await;
    n.fan_out_until(1).await;
    assert_eq!(n.deliver(Utc::now()).await.delivered, 1);
    let body = receiver.received()[0].json();
    assert_eq!(body["blocks"][0]["type"], "header");
    assert_eq!(body["blocks"][0]["text"]["type"], "plain_text");
    let mut all = Vec::new();
    texts(&body, &mut all);
    // Every text but the plain-text header, whatever order the keys were walked in.
    let header = body["blocks"][0]["text"]["text"].as_str();
    let mrkdwn: Vec<&String> = all.iter().filter(|t| Some(t.as_str()) != header).collect();
    assert!(
        all.iter().any(|t| t.contains("&lt;!channel&gt;")),
        "{all:?}"
    );
    for t in mrkdwn {
        assert!(!t.contains("<!channel>"), "{t}");
        assert!(!t.contains("<script>"), "{t}");
        assert!(!t.contains("<https://evil"), "{t}");
    }
}

#[actix_web::test]
async fn mail_is_confirmed_first_threaded_escaped_and_unsubscribable() {
    let smtp = SmtpSink::start();
    let n = notifying(&[], Some(smtp.url())).await;
    let sub = n
        .subscribe(json!({"kind": "email", "target": "ops@example.com"}))
        .await;
    assert_eq!(sub["confirmed"], false);
    assert!(sub.get("secret").is_none());
    let first = n
        .app
        .create_incident(json!({"title": HOSTILE, "services": ["api"]}))
        .await;
    for _ in 0..10 {
        n.fan_out();
    }
    // Unconfirmed: only the confirmation exists, and only it is sent.
    assert_eq!(n.deliveries_made(), 1);
    assert_eq!(n.deliver(Utc::now()).await.delivered, 1);
    let mails = smtp.mails();
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains("Confirm"), "{}", mails[0]);
    assert!(mails[0].contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
    let path = link_path(&mails[0], "/confirm?key=");
    let res = n.app.client.post(n.app.url(&path)).send().await.unwrap();
    assert!(res.status().is_success(), "{}", res.status());

    let id = first["id"].as_str().unwrap();
    for (made, body) in [(2, "First update."), (3, "Second update.")] {
        let res = n
            .app
            .post_json(
                &format!("/api/v1/incidents/{id}/updates"),
                &json!({"body": body}),
            )
            .await;
        assert_eq!(res.status(), 201);
        n.fan_out_until(made).await;
    }
    for _ in 0..3 {
        n.deliver(Utc::now()).await;
    }
    let mails = smtp.mails();
    assert_eq!(mails.len(), 3, "{mails:#?}");
    let thread = format!("<incident-{id}@aftermath.test>");
    for mail in &mails[1..] {
        assert!(mail.contains(&format!("In-Reply-To: {thread}")), "{mail}");
        assert!(mail.contains(&format!("References: {thread}")), "{mail}");
        assert!(mail.contains("List-Unsubscribe: <"), "{mail}");
        assert!(mail.contains("multipart/alternative"), "{mail}");
        let html = &mail[mail.find("Content-Type: text/html").unwrap()..];
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
    }

    // One-click unsubscribe (RFC 8058): a POST to the link removes the subscription.
    let path = link_path(&mails[1], "/unsubscribe?key=");
    let res = n
        .app
        .client
        .post(n.app.url(&path))
        .form(&[("List-Unsubscribe", "One-Click")])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    assert_eq!(n.app.snapshot().rows("subscriptions"), 0);
}

/// The path of the first link in a mail with this marker (quoted-printable undone).
fn link_path(mail: &str, marker: &str) -> String {
    let decoded = mail.replace("=\r\n", "").replace("=3D", "=");
    let line = decoded.lines().find(|l| l.contains(marker)).unwrap();
    let from = line.find("/subscriptions/").unwrap();
    line[from..]
        .split(['"', '<', '>', ' '])
        .next()
        .unwrap()
        .to_string()
}
