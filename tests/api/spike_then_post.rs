//! Users usually notice an outage before its provider says so. A spike of reports opens an
//! incident; the provider's post about the same outage, arriving later, takes that incident
//! over rather than opening a second one, and the store ends as if the post had come first.

use serde_json::{Value, json};

use crate::cascade::{incident_of, load_scenario, post_catalog, post_reports, post_status_posts};
use crate::helpers::{TestApp, spawn_app};

/// What a reader sees of an incident, without what differs between two stores by construction
/// (ids, the times rows were written, and the version, which counts the writes).
fn seen(incident: &Value) -> Value {
    fn strip(v: &Value) -> Value {
        match v {
            Value::Object(map) => Value::Object(
                map.iter()
                    .filter(|(k, _)| {
                        let k = k.as_str();
                        !(k == "id"
                            || k.ends_with("_id")
                            || ["created_at", "updated_at", "recorded_at", "version"].contains(&k))
                    })
                    .map(|(k, v)| (k.clone(), strip(v)))
                    .collect(),
            ),
            Value::Array(items) => Value::Array(items.iter().map(strip).collect()),
            other => other.clone(),
        }
    }
    strip(incident)
}

fn incident_count(app: &TestApp) -> i64 {
    app.snapshot().rows("incidents")
}

#[actix_web::test]
async fn a_post_after_the_spike_takes_over_the_incident_the_spike_opened() {
    let posts_first = spawn_app().await;
    load_scenario(&posts_first, true).await;

    let spikes_first = spawn_app().await;
    post_catalog(&spikes_first).await;
    post_reports(&spikes_first).await;
    let opened = incident_of(&spikes_first, "snapgram").await;
    assert_eq!(opened["origin"], "user_reports", "the spike opened it");
    let answers = post_status_posts(&spikes_first).await;
    for answer in &answers {
        assert_eq!(
            (answer["created"].as_i64(), answer["updated"].as_i64()),
            (Some(0), Some(1)),
            "an incident the spike opened was taken over, none created: {answer}"
        );
    }

    assert_eq!(
        incident_count(&spikes_first),
        incident_count(&posts_first),
        "one incident per outage, whichever came first"
    );
    let snapgram = incident_of(&spikes_first, "snapgram").await;
    assert_eq!(snapgram["id"], opened["id"], "the same incident, same id");
    assert_eq!(snapgram["origin"], "status_page");
    assert_eq!(snapgram["title"], "Messages failing to send");
    for service in [
        "nimbus-us-east",
        "snapgram",
        "robotrade",
        "coinpurse",
        "fortvale",
    ] {
        let a = seen(&incident_of(&spikes_first, service).await);
        let b = seen(&incident_of(&posts_first, service).await);
        assert_eq!(a, b, "{service}: spikes first, then posts first");
    }

    // The posts again change nothing.
    let before = spikes_first.snapshot();
    for answer in post_status_posts(&spikes_first).await {
        assert_eq!(
            (answer["created"].as_i64(), answer["updated"].as_i64()),
            (Some(0), Some(0)),
            "{answer}"
        );
    }
    assert_eq!(spikes_first.snapshot(), before);
}

#[actix_web::test]
async fn a_post_never_takes_over_an_incident_a_person_opened() {
    let app = spawn_app().await;
    post_catalog(&app).await;
    let own = app
        .create_incident(
            json!({"title": "Snapgram looks down", "services": ["snapgram"],
            "started_at": "2026-11-23T07:10:00Z"}),
        )
        .await;
    let answers = post_status_posts(&app).await;
    assert_eq!(answers[1]["created"], 1, "{}", answers[1]);
    assert_eq!(incident_count(&app), 4, "the person's and three posts'");
    let still = app
        .get_json(&format!(
            "/api/v1/incidents/{}",
            own["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        (&still["title"], &still["origin"]),
        (&json!("Snapgram looks down"), &json!("manual"))
    );
}
