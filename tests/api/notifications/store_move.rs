//! Subscriptions, deliveries and their attempts move with the store (`export --format jsonl`
//! and `import`), to the other backend and back; their secrets only with `--include-secrets`.

use aftermath::db::deliveries::{self, Attempt, NewDelivery, Next};
use aftermath::db::subscriptions::{self, NewSubscription, Subscription};
use aftermath::db::{Db, dump};
use aftermath::domain::subscription::{EventKind, Filter, Format, Kind};
use chrono::{Duration, Utc};

use crate::helpers::{SchemaGuard, fresh_database};

const SLACK_URL: &str = "https://hooks.slack.com/services/T000/B000/not-for-strangers";

fn subscribe(db: &Db, kind: Kind, target: &str) -> Subscription {
    let new = NewSubscription {
        owner_token_id: "owner".into(),
        owner_name: "owner".into(),
        kind,
        target: target.into(),
        format: Format::Statuspage,
        filter: Filter {
            services: vec!["api".into()],
            ..Filter::default()
        },
        events: EventKind::ALL.to_vec(),
    };
    db.write(|c| subscriptions::create(c, &new)).unwrap()
}

/// A webhook, a Slack and an email subscription; deliveries delivered, retrying and in flight.
fn filled(db: &Db) -> Subscription {
    let hook = subscribe(db, Kind::Webhook, "https://hooks.example.com/aftermath");
    subscribe(db, Kind::Slack, SLACK_URL);
    subscribe(db, Kind::Email, "ops@example.com");
    let now = Utc::now();
    let delivery = |incident: &str| NewDelivery {
        subscription_id: hook.id.clone(),
        event: "incident.created".into(),
        incident_key: incident.into(),
        body: format!("{{\"incident\": \"{incident}\"}}"),
    };
    db.write(|c| {
        let ids = deliveries::enqueue(c, &[delivery("a"), delivery("b"), delivery("c")], now)?;
        let attempt = |status_code| Attempt {
            attempted_at: now,
            status_code: Some(status_code),
            latency_ms: 12,
            error: None,
        };
        deliveries::record(c, &ids[0], &attempt(200), Next::Delivered)?;
        deliveries::record(c, &ids[1], &attempt(500), Next::RetryAt(now))?;
        // The third is in flight: its lease stays behind.
        deliveries::claim(c, "worker", now, now + Duration::seconds(60), 10)?;
        Ok(())
    })
    .unwrap();
    hook
}

fn export(db: &Db, secrets: dump::Secrets) -> Vec<u8> {
    let mut out = Vec::new();
    db.run(|c| dump::export(c, &mut out, secrets)).unwrap();
    out
}

fn sorted_lines(bytes: &[u8]) -> Vec<String> {
    let mut lines: Vec<String> = String::from_utf8_lossy(bytes)
        .lines()
        .map(str::to_string)
        .collect();
    lines.sort();
    lines
}

fn other_db(dir: &std::path::Path) -> (Db, Option<SchemaGuard>) {
    std::fs::create_dir_all(dir).unwrap();
    let (url, schema) = fresh_database(dir);
    (Db::connect(&url).unwrap(), schema)
}

fn sqlite_db(dir: &std::path::Path, name: &str) -> Db {
    Db::connect(&format!("sqlite://{}", dir.join(name).display())).unwrap()
}

#[test]
fn subscriptions_and_deliveries_move_to_the_other_backend_and_back() {
    let dir = tempfile::tempdir().unwrap();
    let source = sqlite_db(dir.path(), "source.db");
    let hook = filled(&source);
    let original = export(&source, dump::Secrets::Include);
    let text = String::from_utf8_lossy(&original).to_string();
    for table in ["subscriptions", "deliveries", "delivery_attempts"] {
        assert!(
            text.contains(&format!("\"table\":\"{table}\"")),
            "{table} is exported"
        );
    }
    assert!(!text.contains("\"lease_owner\":\"worker\""), "leases stay");

    let (middle, _g) = other_db(&dir.path().join("middle"));
    middle
        .write(|c| dump::import(c, std::io::Cursor::new(original.clone())))
        .unwrap();
    let moved = export(&middle, dump::Secrets::Include);
    assert_eq!(sorted_lines(&moved), sorted_lines(&original));
    let back = sqlite_db(dir.path(), "back.db");
    back.write(|c| dump::import(c, std::io::Cursor::new(moved)))
        .unwrap();
    assert_eq!(
        sorted_lines(&export(&back, dump::Secrets::Include)),
        sorted_lines(&original)
    );

    // The moved store goes on: the pending deliveries are claimed at once (no lease came
    // along), and a new delivery follows the imported ones.
    let now = Utc::now();
    let claimed = middle
        .write(|c| deliveries::claim(c, "new-worker", now, now + Duration::seconds(60), 10))
        .unwrap();
    let keys: Vec<&str> = claimed.iter().map(|d| d.incident_key.as_str()).collect();
    assert_eq!(keys, ["b", "c"]);
    let new = NewDelivery {
        subscription_id: hook.id.clone(),
        event: "incident.updated".into(),
        incident_key: "d".into(),
        body: "{}".into(),
    };
    middle
        .write(|c| deliveries::enqueue(c, &[new], now))
        .unwrap();
    let claimed = middle
        .write(|c| deliveries::claim(c, "new-worker", now, now + Duration::seconds(60), 10))
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert!(
        claimed[0].seq > 3,
        "after the imported rows: {}",
        claimed[0].seq
    );
}

#[test]
fn without_secrets_subscriptions_leave_their_signing_secrets_and_slack_urls_behind() {
    let dir = tempfile::tempdir().unwrap();
    let source = sqlite_db(dir.path(), "source.db");
    let hook = filled(&source);
    let bytes = export(&source, dump::Secrets::Leave);
    let text = String::from_utf8_lossy(&bytes).to_string();
    let secret = hook.secret.clone().unwrap();
    assert!(!text.contains(&secret), "the signing secret stays");
    assert!(!text.contains(SLACK_URL), "the Slack URL stays");

    let (target, _g) = other_db(&dir.path().join("target"));
    let imported = target
        .write(|c| dump::import(c, std::io::Cursor::new(bytes)))
        .unwrap();
    assert_eq!(
        (imported.new_subscription_secrets, imported.slack_paused),
        (1, 1)
    );
    let subs = target.run(|c| subscriptions::list(c, None)).unwrap();
    let moved = subs.iter().find(|s| s.kind == Kind::Webhook).unwrap();
    let new_secret = moved.secret.clone().unwrap();
    assert!(new_secret.starts_with("whsec_") && new_secret != secret);
    let slack = subs.iter().find(|s| s.kind == Kind::Slack).unwrap();
    assert!(slack.paused_at.is_some(), "{slack:?}");
    let mail = subs.iter().find(|s| s.kind == Kind::Email).unwrap();
    assert_eq!(mail.target, "ops@example.com");
    assert!(mail.paused_at.is_none());
}
