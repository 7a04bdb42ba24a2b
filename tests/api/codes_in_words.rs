//! Codes in words, and impact that stays: an AWS outage reads in words, keeps its worst impact
//! after it resolves, gets its milestones from the severity's course, drafts accordingly; and a
//! store written before these rules is rewritten once, without a single entry marked edited.

use aftermath::db::Db;
use aftermath::db::schema::{data_rewrites, entry_versions, incidents, timeline_entries};
use diesel::prelude::*;
use serde_json::Value;

use crate::helpers::{TestApp, spawn_app};
use crate::ingest::{fixture, ingest_ok};

const OUTAGE: &str = "aws-health/outage-us-east-1.json";
const AWS: &str = "AWS Health Dashboard";

async fn outage(app: &TestApp) -> Value {
    let list = app.get_json("/api/v1/incidents?service=acme").await;
    let id = list["items"][0]["id"].as_str().unwrap().to_string();
    app.get_json(&format!("/api/v1/incidents/{id}")).await
}

fn entries_of(incident: &Value, kind: &str) -> Vec<Value> {
    incident["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == kind)
        .cloned()
        .collect()
}

fn starts(value: &Value, prefix: &str) -> bool {
    value.as_str().is_some_and(|v| v.starts_with(prefix))
}

#[actix_web::test]
async fn an_aws_outage_reads_in_words_and_keeps_its_worst_impact_once_resolved() {
    let app = spawn_app().await;
    ingest_ok(&app, "aws-health", fixture(OUTAGE)).await;
    let incident = outage(&app).await;
    assert_eq!(incident["status"], "resolved");
    assert_eq!(
        incident["impact"], "critical",
        "severity 3 on two services, though the event now says 0"
    );
    assert!(starts(&incident["acknowledged_at"], "2025-10-20T07:11:00"));
    assert!(
        starts(&incident["mitigated_at"], "2025-10-20T09:24:00"),
        "the first drop from the peak: {incident}"
    );
    let statuses: Vec<String> = entries_of(&incident, "status_update")
        .iter()
        .map(|e| e["status"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(
        statuses,
        [
            "informational",
            "service disruption",
            "degraded performance",
            "degraded performance",
            "resolved"
        ]
    );
    let changes = entries_of(&incident, "component_change");
    assert_eq!(
        changes[0]["body"],
        "Amazon DynamoDB: service disruption (was operational)"
    );
    assert!(
        changes
            .iter()
            .all(|c| !c["body"].as_str().unwrap().contains("->")),
        "{changes:?}"
    );
}

#[actix_web::test]
async fn the_aws_draft_calls_the_outage_down_prints_words_and_tells_the_recovery() {
    let app = spawn_app().await;
    ingest_ok(&app, "aws-health", fixture(OUTAGE)).await;
    let id = outage(&app).await["id"].as_str().unwrap().to_string();
    let draft = app
        .get_json(&format!("/api/v1/incidents/{id}/postmortem"))
        .await;
    let markdown = draft["markdown"].as_str().unwrap();
    assert!(markdown.contains("severity: \"down\""), "{markdown}");
    assert!(!markdown.contains("**3**"), "{markdown}");
    let recovery = markdown
        .split("## ")
        .find(|s| s.starts_with("Resolution and recovery"))
        .unwrap_or_default();
    assert!(
        recovery.contains("returned to normal"),
        "the closing posts tell the recovery: {markdown}"
    );
    insta::with_settings!({filters => vec![(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC from", "[generated] from")]}, {
        insta::assert_snapshot!("aws_outage_draft", markdown);
    });
}

/// Puts the outage's rows back as the release before wrote them: post statuses as digits,
/// component changes as `NAME: 0 -> 3` lines without data, the impact from the event's last
/// code, no acknowledged or mitigated milestone; and the rewrite not done yet.
fn as_the_release_before_wrote_it(app: &TestApp) {
    let code = |word: &str| match word {
        "operational" | "resolved" => "0",
        "informational" => "1",
        "degraded_performance" | "degraded performance" => "2",
        _ => "3",
    };
    app.db
        .write(|conn| {
            let rows: Vec<(String, String, Option<String>, Option<String>)> =
                timeline_entries::table
                    .filter(timeline_entries::source.eq(AWS))
                    .select((
                        timeline_entries::id,
                        timeline_entries::kind,
                        timeline_entries::status,
                        timeline_entries::changes,
                    ))
                    .load(conn)?;
            for (id, kind, status, changes) in rows {
                let target = timeline_entries::table.filter(timeline_entries::id.eq(&id));
                if kind == "component_change" {
                    let data: Vec<Value> = serde_json::from_str(&changes.unwrap()).unwrap();
                    let lines: Vec<String> = data
                        .iter()
                        .map(|c| {
                            format!(
                                "{}: {} -> {}",
                                c["component"].as_str().unwrap(),
                                code(c["from"].as_str().unwrap()),
                                code(c["to"].as_str().unwrap())
                            )
                        })
                        .collect();
                    diesel::update(target)
                        .set((
                            timeline_entries::body.eq(lines.join("\n")),
                            timeline_entries::changes.eq(None::<String>),
                        ))
                        .execute(conn)?;
                } else {
                    let old = status.map(|s| code(&s).to_string());
                    diesel::update(target)
                        .set(timeline_entries::status.eq(old))
                        .execute(conn)?;
                }
            }
            diesel::update(incidents::table)
                .set((
                    incidents::impact.eq("none"),
                    incidents::acknowledged_at.eq(None::<chrono::NaiveDateTime>),
                    incidents::mitigated_at.eq(None::<chrono::NaiveDateTime>),
                ))
                .execute(conn)?;
            diesel::update(data_rewrites::table)
                .set(data_rewrites::done_at.eq(None::<chrono::NaiveDateTime>))
                .execute(conn)?;
            Ok(())
        })
        .unwrap();
}

#[actix_web::test]
async fn a_store_written_before_is_rewritten_once_and_the_next_poll_records_no_edit() {
    let app = spawn_app().await;
    ingest_ok(&app, "aws-health", fixture(OUTAGE)).await;
    let fresh = outage(&app).await;
    as_the_release_before_wrote_it(&app);
    let aged = outage(&app).await;
    assert_eq!(aged["impact"], "none");
    assert!(
        entries_of(&aged, "component_change")[0]["body"]
            .as_str()
            .unwrap()
            .contains("0 -> 3")
    );

    // Connecting runs the rewrite, as every command does after migrating.
    Db::connect(&app.database_url).unwrap();
    let rewritten = outage(&app).await;
    for field in ["impact", "status", "acknowledged_at", "mitigated_at"] {
        assert_eq!(rewritten[field], fresh[field], "{field}");
    }
    let bodies = |i: &Value| -> Vec<(Value, Value, Value)> {
        i["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["body"].clone(),
                    e["status"].clone(),
                    e["edited_at"].clone(),
                )
            })
            .collect()
    };
    assert_eq!(bodies(&rewritten), bodies(&fresh));
    assert!(rewritten["version"].as_i64() > aged["version"].as_i64());
    let versions: i64 = app
        .db
        .run(|c| Ok(entry_versions::table.count().get_result(c)?))
        .unwrap();
    assert_eq!(versions, 0, "no entry was marked edited");

    // The next poll finds everything as it would write it.
    let before = app.snapshot();
    let report = ingest_ok(&app, "aws-health", fixture(OUTAGE)).await;
    assert_eq!(
        (
            &report["updated"],
            &report["entries_added"],
            &report["entries_edited"]
        ),
        (&Value::from(0), &Value::from(0), &Value::from(0)),
        "{report}"
    );
    assert_eq!(app.snapshot(), before);

    // Done once: connecting again rewrites nothing.
    Db::connect(&app.database_url).unwrap();
    assert_eq!(outage(&app).await["version"], rewritten["version"]);
}
