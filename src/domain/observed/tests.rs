use chrono::TimeZone;

use super::*;
use crate::domain::milestones::Milestones;
use IncidentStatus::*;

fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 10, 20, h, m, 0)
        .single()
        .unwrap()
}

fn update(id: &str, time: DateTime<Utc>, status: Option<&str>, body: &str) -> ObservedUpdate {
    ObservedUpdate {
        external_id: id.to_string(),
        occurred_at: time,
        status: None,
        status_raw: status.map(str::to_string),
        impact: None,
        kind: EntryKind::StatusUpdate,
        body: body.to_string(),
        source: "test".to_string(),
        url: None,
        original_time: None,
        changes: Vec::new(),
    }
}

fn observed(updated_at: Option<DateTime<Utc>>, posts: &[DateTime<Utc>]) -> ObservedIncident {
    ObservedIncident {
        external_id: "inc-1".to_string(),
        title: "Elevated errors".to_string(),
        services: Vec::new(),
        components: Vec::new(),
        impact: None,
        origin: Origin::StatusPage,
        url: None,
        started_at: None,
        status: None,
        resolved_at: None,
        updated_at,
        kind: IncidentKind::Incident,
        scheduled_for: None,
        scheduled_until: None,
        updates: posts
            .iter()
            .enumerate()
            .map(|(i, t)| update(&format!("u{i}"), *t, None, "text"))
            .collect(),
    }
}

fn stored(status: IncidentStatus, as_of: DateTime<Utc>) -> IncidentFields {
    IncidentFields {
        title: "Old title".to_string(),
        url: None,
        state: IncidentState {
            status,
            impact: Impact::Minor,
            milestones: Milestones {
                started: Some(at(7, 0)),
                ..Default::default()
            },
            status_as_of: as_of,
        },
    }
}

#[test]
fn a_snapshot_of_a_new_incident_is_newer_whatever_its_time() {
    assert_eq!(Standing::of(None, None), Standing::Newer);
    assert_eq!(Standing::of(Some(at(1, 0)), None), Standing::Newer);
}

#[test]
fn a_snapshot_stands_by_its_time_against_the_stored_one() {
    let stored = Some(at(9, 0));
    assert_eq!(Standing::of(Some(at(9, 1)), stored), Standing::Newer);
    assert_eq!(Standing::of(Some(at(9, 0)), stored), Standing::Current);
    assert_eq!(Standing::of(Some(at(8, 59)), stored), Standing::Older);
    assert_eq!(Standing::of(None, stored), Standing::Current);
}

#[test]
fn only_an_older_snapshot_leaves_the_status_and_only_a_newer_one_renames() {
    let moves = |s: Standing| (s.moves_status(), s.renames());
    assert_eq!(moves(Standing::Older), (false, false));
    assert_eq!(moves(Standing::Current), (true, false));
    assert_eq!(moves(Standing::Newer), (true, true));
}

#[test]
fn a_snapshot_is_as_of_the_sources_change_time_else_its_latest_post() {
    let posts = [at(8, 0), at(10, 0), at(9, 0)];
    assert_eq!(observed(Some(at(11, 0)), &posts).as_of(), Some(at(11, 0)));
    assert_eq!(observed(None, &posts).as_of(), Some(at(10, 0)));
    assert_eq!(observed(None, &[]).as_of(), None);
}

#[test]
fn an_older_snapshot_moves_nothing() {
    let mut obs = observed(Some(at(8, 0)), &[]);
    obs.status = Some(Resolved);
    obs.impact = Some(Impact::Critical);
    obs.url = Some("https://status.example/1".to_string());
    let mut fields = stored(Investigating, at(9, 0));
    let before = fields.clone();
    obs.settle(&mut fields, obs.standing(Some(at(9, 0))));
    assert_eq!(fields, before);
}

#[test]
fn a_current_snapshot_moves_the_status_but_keeps_the_title() {
    let mut obs = observed(Some(at(9, 0)), &[]);
    obs.status = Some(Resolved);
    obs.impact = Some(Impact::Critical);
    let mut fields = stored(Investigating, at(9, 0));
    obs.settle(&mut fields, obs.standing(Some(at(9, 0))));
    assert_eq!(fields.state.status, Resolved);
    assert_eq!(fields.state.milestones.resolved, Some(at(9, 0)));
    assert_eq!(fields.title, "Old title");
    assert_eq!(fields.state.impact, Impact::Minor);
}

#[test]
fn a_newer_snapshot_renames_sets_the_impact_and_the_first_link_wins() {
    let mut obs = observed(Some(at(10, 0)), &[]);
    obs.impact = Some(Impact::Major);
    obs.url = Some("https://status.example/new".to_string());
    let mut fields = stored(Investigating, at(9, 0));
    obs.settle(&mut fields, obs.standing(Some(at(9, 0))));
    assert_eq!(fields.title, "Elevated errors");
    assert_eq!(fields.state.impact, Impact::Major);
    assert_eq!(fields.url.as_deref(), Some("https://status.example/new"));
    assert_eq!(fields.state.status_as_of, at(10, 0));

    let mut fields = stored(Investigating, at(9, 0));
    fields.url = Some("https://status.example/first".to_string());
    obs.impact = None;
    obs.settle(&mut fields, obs.standing(Some(at(9, 0))));
    assert_eq!(fields.url.as_deref(), Some("https://status.example/first"));
    assert_eq!(
        fields.state.impact,
        Impact::Minor,
        "no impact given keeps it"
    );
}

#[test]
fn the_status_as_of_never_moves_back() {
    // No time of its own: current, but the stored time stays.
    let obs = observed(None, &[]);
    let mut fields = stored(Investigating, at(9, 0));
    obs.settle(&mut fields, obs.standing(Some(at(9, 0))));
    assert_eq!(fields.state.status_as_of, at(9, 0));
}

#[test]
fn reopening_takes_a_strictly_newer_snapshot() {
    let mut obs = observed(None, &[]);
    obs.status = Some(Investigating);
    // Current (no time of its own), yet stamped no later than the resolution: stays resolved.
    let mut fields = stored(Resolved, at(9, 0));
    obs.settle(&mut fields, Standing::Current);
    assert_eq!(fields.state.status, Resolved);

    obs.updated_at = Some(at(9, 30));
    let mut fields = stored(Resolved, at(9, 0));
    obs.settle(&mut fields, obs.standing(Some(at(9, 0))));
    assert_eq!(fields.state.status, Investigating);
    assert_eq!(fields.state.status_as_of, at(9, 30));
}

#[test]
fn the_sources_times_win_and_its_resolution_only_once_closed() {
    let mut obs = observed(Some(at(10, 0)), &[]);
    obs.started_at = Some(at(6, 30));
    obs.resolved_at = Some(at(9, 45));
    let mut fields = stored(Investigating, at(9, 0));
    obs.settle(&mut fields, obs.standing(Some(at(9, 0))));
    assert_eq!(fields.state.milestones.started, Some(at(6, 30)));
    assert_eq!(fields.state.milestones.resolved, None, "still open");

    obs.status = Some(Resolved);
    let mut fields = stored(Investigating, at(9, 0));
    obs.settle(&mut fields, obs.standing(Some(at(9, 0))));
    assert_eq!(fields.state.milestones.resolved, Some(at(9, 45)));
}

#[test]
fn fields_differ_by_what_people_see_not_by_the_status_time() {
    let before = stored(Investigating, at(9, 0));
    let mut later = before.clone();
    later.state.status_as_of = at(10, 0);
    assert!(!later.differs_from(&before));
    for change in [
        |f: &mut IncidentFields| f.title = "New".to_string(),
        |f: &mut IncidentFields| f.url = Some("https://status.example".to_string()),
        |f: &mut IncidentFields| f.state.status = Identified,
        |f: &mut IncidentFields| f.state.impact = Impact::Major,
        |f: &mut IncidentFields| f.state.milestones.detected = Some(at(7, 5)),
    ] {
        let mut after = before.clone();
        change(&mut after);
        assert!(after.differs_from(&before), "{after:?}");
    }
}

#[test]
fn the_same_post_through_another_format_matches() {
    let u = update(
        "feed-1",
        at(9, 0),
        Some("Investigating"),
        "We are\n looking into it.",
    );
    let body = "We are looking into it.";
    assert!(u.is_same_post(at(9, 0), Some("investigating"), body));
    let within = at(9, 0) + Duration::seconds(59);
    assert!(u.is_same_post(within, Some("investigating"), body));
    assert!(
        !u.is_same_post(at(9, 1), Some("investigating"), body),
        "a minute apart"
    );
    assert!(!u.is_same_post(at(9, 0), Some("resolved"), body));
    assert!(!u.is_same_post(at(9, 0), None, body));
    assert!(!u.is_same_post(at(9, 0), Some("investigating"), "Other words."));
    let plain = update("feed-2", at(9, 0), None, body);
    assert!(plain.is_same_post(at(9, 0), None, body));
    assert!(!plain.is_same_post(at(9, 0), Some("investigating"), body));
}

#[test]
fn an_upsert_that_changes_nothing_is_unchanged() {
    let none = Changes::default();
    assert_eq!(none.outcome(), UpsertOutcome::Unchanged);
    let created = Changes {
        created: true,
        ..Default::default()
    };
    assert_eq!(created.outcome(), UpsertOutcome::Created);
    for changes in [
        Changes {
            taken_over: true,
            ..Default::default()
        },
        Changes {
            services_added: true,
            ..Default::default()
        },
        Changes {
            entries_added: 1,
            ..Default::default()
        },
        Changes {
            entries_edited: 1,
            ..Default::default()
        },
        Changes {
            fields_changed: true,
            ..Default::default()
        },
    ] {
        assert_eq!(changes.outcome(), UpsertOutcome::Updated, "{changes:?}");
    }
}

#[test]
fn the_report_carries_the_counts() {
    let id = IncidentId::generate();
    let changes = Changes {
        entries_added: 2,
        entries_edited: 1,
        ..Default::default()
    };
    assert_eq!(
        changes.report(id),
        UpsertReport {
            incident_id: id,
            outcome: UpsertOutcome::Updated,
            entries_added: 2,
            entries_edited: 1,
        }
    );
}
