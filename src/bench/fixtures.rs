//! Fixtures the benchmarks share with `benches/` (criterion) and `aftermath bench`.
//!
//! Rule: this file is also compiled into `benches/hot_paths.rs` by path, so it uses only the
//! library's public items, through `aftermath::`.

use chrono::{Duration, TimeZone, Utc};

use aftermath::db::incidents::IncidentDetail;
use aftermath::domain::{
    EntryId, EntryKind, Impact, Incident, IncidentId, IncidentKind, IncidentStatus, Milestones,
    Origin, TimelineEntry,
};

/// An incident with `n` timeline entries of realistic prose, some with hostile characters.
pub fn big_incident(n: usize) -> IncidentDetail {
    let start = Utc
        .with_ymd_and_hms(2025, 10, 20, 7, 11, 0)
        .single()
        .unwrap_or_default();
    let id = IncidentId::generate();
    let statuses = ["investigating", "identified", "monitoring", "update"];
    let timeline = (0..n)
        .map(|i| TimelineEntry {
            id: EntryId::generate(),
            incident_id: id,
            occurred_at: start + Duration::minutes(i as i64),
            recorded_at: start,
            kind: EntryKind::StatusUpdate,
            source: "Nimbus Health Dashboard".into(),
            status: Some(statuses[i % statuses.len()].into()),
            impact: None,
            body: format!(
                "Update {i}: we continue to see elevated error rates for requests to the *DriftKV* endpoint | \
                 in US-EAST-1 <region>; root cause analysis & mitigation of item #{i} is in progress. [details](x)"
            ),
            author: None,
            url: None,
            edited_at: None,
        })
        .collect();
    IncidentDetail {
        incident: Incident {
            id,
            title: "Increased error rates and latencies in US-EAST-1".into(),
            status: IncidentStatus::Resolved,
            impact: Impact::Critical,
            origin: Origin::StatusPage,
            services: vec!["nimbus-us-east-1".into()],
            milestones: Milestones {
                started: Some(start),
                detected: Some(start),
                acknowledged: Some(start + Duration::minutes(120)),
                mitigated: Some(start + Duration::minutes(500)),
                resolved: Some(start + Duration::minutes(n as i64)),
            },
            url: None,
            report_count: 0,
            created_at: start,
            updated_at: start,
            version: 1,
            kind: IncidentKind::Incident,
            scheduled_for: None,
            scheduled_until: None,
        },
        timeline,
        links: vec![],
        components: vec![("nimbus-us-east-1".into(), "DriftKV".into())],
    }
}
