//! Beyond titles and updates: postmortems and user reports' comments are found with their incident.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::incident;
use crate::helpers::spawn_app;

#[actix_web::test]
async fn a_written_postmortem_is_searchable_with_its_incident() {
    let app = spawn_app().await;
    let id = incident(
        &app,
        "Login failures",
        &["auth"],
        "major",
        "Users cannot log in.",
    )
    .await;
    let res = app
        .post_json(
            &format!("/api/v1/incidents/{id}/postmortem"),
            &json!({"markdown": "# Login failures\n\nA certificate rotation job expired the signing key."}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let body = app.search(&[("q", "certificate rotation")]).await;
    assert_eq!(body["total"], 1, "{body}");
    assert_eq!(body["hits"][0]["incident_id"], id.as_str());
}

#[actix_web::test]
async fn report_comments_are_searchable_with_the_incident_their_spike_opened() {
    let app = spawn_app().await;
    let res = app
        .put_json(
            "/api/v1/services/snapgram",
            &json!({"name": "Snapgram", "kind": "application"}),
        )
        .await;
    assert!(res.status().is_success());
    let start = chrono::Utc::now() - chrono::Duration::hours(3);
    let mut lines = String::new();
    // A quiet two hours first, so the burst stands out from the service's normal.
    for i in 0..12 {
        let at = start - chrono::Duration::minutes(120 - i * 10);
        lines.push_str(&format!(
            "{{\"service\": \"snapgram\", \"reported_at\": \"{}\", \"reporter\": \"quiet{i}\"}}\n",
            at.to_rfc3339()
        ));
    }
    for minute in 0..8 {
        for r in 0..20 {
            let at = start + chrono::Duration::minutes(minute) + chrono::Duration::seconds(r);
            let comment = if r == 0 {
                ", \"comment\": \"the zorglub screen stays blank\""
            } else {
                ""
            };
            lines.push_str(&format!(
                "{{\"service\": \"snapgram\", \"reported_at\": \"{}\", \"reporter\": \"u{minute}-{r}\"{comment}}}\n",
                at.to_rfc3339()
            ));
        }
    }
    let res = app
        .client
        .post(app.url("/api/v1/ingest/reports-jsonl"))
        .bearer_auth(&app.token)
        .body(lines)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let backfill: Value = res.json().await.unwrap();
    assert_eq!(backfill["incidents"], 1, "{backfill}");
    let body = app.search(&[("q", "zorglub")]).await;
    assert_eq!(body["total"], 1, "{body}");
    assert_eq!(body["hits"][0]["services"], json!(["snapgram"]));
    assert!(
        body["hits"][0]["snippet"]
            .as_str()
            .unwrap()
            .contains("<b>zorglub</b>"),
        "{body}"
    );
}
