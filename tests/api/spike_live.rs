//! Live spike evaluation in chunks (`correlate::spikes::evaluate_all`) gives exactly what
//! evaluating each service on its own gives: the same states, spikes, incidents, timeline
//! entries, links and attached reports. The store has more than two chunks of services: most
//! quiet, some with a spike starting across the last backfilled minute, open episodes that
//! peak again or end, services seen for the first time, and services whose history is too
//! long for the batch path. Stores are opened without a server, so no minute job runs.

use std::collections::{BTreeMap, HashMap};

use aftermath::correlate::{links, reports, spikes};
use aftermath::db::schema::{
    incident_links, incident_services, incidents, report_spikes, spike_state, timeline_entries,
};
use aftermath::db::{self, Db};
use aftermath::domain::report::NewReport;
use aftermath::domain::spikes::Rules;
use aftermath::domain::{IncidentId, Service, ServiceKind, ServiceSlug};
use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use diesel::prelude::*;

use crate::helpers::{SchemaGuard, fresh_database};

/// More than one chunk of services (`live::CHUNK` is 500).
const SERVICES: usize = 600;

/// Minute `m` of the scenario.
fn t(m: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 0, 0, 0).unwrap() + Duration::minutes(m)
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Quiet,
    /// Hot from minute 88, 89 or 90: the onset falls across the backfill's end (minute 90).
    Starting,
    /// Hot over 60..70, then quiet: resolved at minute 100.
    Ending,
    /// Hot over 80..90, a higher peak at 95, open at the end.
    Peaking,
    /// No counts before minute 92; a spike at 100.
    New,
    /// Counts from minute -250, never evaluated: too long a span for the batch path.
    Long,
}

fn kind(i: usize) -> Kind {
    match i % 50 {
        0 => Kind::Starting,
        1 => Kind::Ending,
        2 => Kind::Peaking,
        3 => Kind::New,
        4 => Kind::Long,
        _ => Kind::Quiet,
    }
}

fn slug(i: usize) -> String {
    format!("svc-{i:04}")
}

/// Reports service `i` gets in minute `m`.
fn rate(i: usize, m: i64) -> u32 {
    let trickle = u32::from(m >= 0 && m % 10 == 0);
    match kind(i) {
        Kind::Quiet => u32::from(m >= 0 && m % 23 == (i % 23) as i64),
        Kind::Starting if (88 + (i / 50 % 3) as i64..100).contains(&m) => 15,
        Kind::Ending if (60..70).contains(&m) => 15,
        Kind::Peaking => match m {
            80..=89 | 96..=99 => 20,
            95 => 50,
            _ => trickle,
        },
        Kind::New => match m {
            92..=99 => 1,
            100..=103 => 15,
            _ => 0,
        },
        Kind::Long => match m {
            -250 | 105 => 1,
            -100..=-98 => 12,
            _ => 0,
        },
        Kind::Starting | Kind::Ending => trickle,
    }
}

/// Every report of the services `which` selects in minutes `from..to`.
fn reports_of(from: i64, to: i64, which: impl Fn(usize) -> bool) -> Vec<NewReport> {
    let mut out = Vec::new();
    for i in (0..SERVICES).filter(|i| which(*i)) {
        let service = ServiceSlug::parse("service", &slug(i)).unwrap();
        for m in from..to {
            out.extend((0..rate(i, m)).map(|k| NewReport {
                service: service.clone(),
                reported_at: t(m) + Duration::seconds(i64::from(k % 60)),
                symptom: None,
                comment: None,
                country: None,
                reporter_hash: format!("{i}-{m}-{k}"),
                via: "backfill",
            }));
        }
    }
    out
}

/// A store of its own, opened without a server.
struct Store {
    db: Db,
    _dir: tempfile::TempDir,
    _schema: Option<SchemaGuard>,
}

impl Store {
    /// The catalog (the first starting service is infrastructure, two others depend on it),
    /// a backfill of minutes 0..90 evaluated up to 90, then minutes 90..110 and the long
    /// services' history stored as live intake stores them, not yet evaluated.
    fn with_history() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (url, schema) = fresh_database(dir.path());
        let db = Db::connect(&url).unwrap();
        let slugs: Vec<ServiceSlug> = (0..SERVICES)
            .map(|i| ServiceSlug::parse("service", &slug(i)).unwrap())
            .collect();
        db.write(|c| db::services::ensure_exist(c, &slugs)).unwrap();
        for (i, kind, deps) in [
            (0, ServiceKind::Infrastructure, vec![]),
            (50, ServiceKind::Application, vec![slugs[0].clone()]),
            (100, ServiceKind::Application, vec![slugs[0].clone()]),
        ] {
            let mut service = Service::unnamed(slugs[i].clone());
            (service.kind, service.depends_on) = (kind, deps);
            db.write(|c| db::services::put(c, &service)).unwrap();
        }
        let backfill = reports_of(0, 90, |i| kind(i) != Kind::Long);
        db.write(|c| reports::store_and_evaluate(c, &backfill, t(90)))
            .unwrap();
        let mut live = reports_of(90, 110, |_| true);
        live.extend(reports_of(-300, 0, |i| kind(i) == Kind::Long));
        db.write(|c| db::reports::insert_batch(c, &live)).unwrap();
        Self {
            db,
            _dir: dir,
            _schema: schema,
        }
    }
}

/// Live evaluation as it was before chunks: each service in its own transaction, then links.
fn per_service(db: &Db, now: DateTime<Utc>) -> Vec<IncidentId> {
    let rules = Rules::default();
    let since = now - Duration::minutes(rules.lookback() + 60);
    let mut services = db
        .run(|c| db::reports::services_with_counts_since(c, since))
        .unwrap();
    services.extend(db.run(db::spike_state::services_with_open_state).unwrap());
    services.sort();
    services.dedup();
    let until = spikes::closed_until(now);
    let mut touched = Vec::new();
    for s in &services {
        touched.extend(
            db.write(|c| spikes::evaluate_service(c, s, until, None, &rules))
                .unwrap(),
        );
    }
    touched.sort();
    touched.dedup();
    for id in &touched {
        db.write(|c| links::recompute_for(c, *id)).unwrap();
    }
    touched
}

/// Each incident's stable name, since ids are random: its services and start.
fn incident_keys(db: &Db) -> HashMap<String, String> {
    let rows: Vec<(String, String, NaiveDateTime)> = db
        .run(|c| {
            Ok(incidents::table
                .inner_join(incident_services::table)
                .select((
                    incidents::id,
                    incident_services::service_slug,
                    incidents::started_at,
                ))
                .order(incident_services::service_slug)
                .load(c)?)
        })
        .unwrap();
    let mut keys: HashMap<String, String> = HashMap::new();
    for (id, service, started) in rows {
        let key = keys.entry(id).or_insert_with(|| format!("@{started}"));
        *key = format!("{service} {key}");
    }
    keys
}

type Contents = BTreeMap<&'static str, Vec<String>>;

/// What evaluation writes, table by table, sorted, with incident ids replaced by their keys.
fn contents(db: &Db) -> Contents {
    let keys = incident_keys(db);
    let key = |id: &str| keys.get(id).cloned().unwrap_or_else(|| format!("? {id}"));
    let mut out = Contents::new();
    let states: Vec<(String, NaiveDateTime, Option<String>)> =
        db.run(|c| Ok(spike_state::table.load(c)?)).unwrap();
    out.insert("spike_state", lines(states));
    let spikes: Vec<db::spikes::SpikeRow> = db
        .run(|c| {
            Ok(report_spikes::table
                .select(db::spikes::SpikeRow::as_select())
                .load(c)?)
        })
        .unwrap();
    out.insert(
        "report_spikes",
        lines(spikes.into_iter().map(|s| {
            let when = (s.onset, s.peak_at, s.returned_at, s.ended_at);
            let incident = s.incident_id.as_deref().map(key);
            (
                s.service_slug,
                when,
                s.onset_count,
                s.baseline,
                s.peak_count,
                incident,
            )
        })),
    );
    type Incident = (
        String,
        String,
        String,
        String,
        NaiveDateTime,
        Option<NaiveDateTime>,
    );
    let rows: Vec<(Incident, i64, Option<NaiveDateTime>, NaiveDateTime)> = db
        .run(|c| {
            Ok(incidents::table
                .select((
                    (
                        incidents::id,
                        incidents::title,
                        incidents::status,
                        incidents::origin,
                        incidents::started_at,
                        incidents::resolved_at,
                    ),
                    incidents::report_count,
                    incidents::detected_at,
                    incidents::status_as_of,
                ))
                .load(c)?)
        })
        .unwrap();
    out.insert(
        "incidents",
        lines(
            rows.into_iter()
                .map(|(i, n, d, s)| (key(&i.0), i.1, i.2, i.3, i.4, i.5, n, d, s)),
        ),
    );
    out.insert("timeline_entries", entries(db, &key));
    out.insert("incident_links", links_of(db, &key));
    let attached: Vec<Option<String>> = db
        .run(|c| {
            Ok(db::schema::reports::table
                .filter(db::schema::reports::incident_id.is_not_null())
                .select(db::schema::reports::incident_id)
                .load(c)?)
        })
        .unwrap();
    let mut per_incident: BTreeMap<String, usize> = BTreeMap::new();
    for id in attached.iter().flatten() {
        *per_incident.entry(key(id)).or_default() += 1;
    }
    out.insert("attached reports", lines(per_incident));
    out
}

fn entries(db: &Db, key: &dyn Fn(&str) -> String) -> Vec<String> {
    type Entry = (
        String,
        NaiveDateTime,
        String,
        Option<String>,
        Option<String>,
        String,
    );
    let rows: Vec<Entry> = db
        .run(|c| {
            Ok(timeline_entries::table
                .select((
                    timeline_entries::incident_id,
                    timeline_entries::occurred_at,
                    timeline_entries::kind,
                    timeline_entries::external_id,
                    timeline_entries::status,
                    timeline_entries::body,
                ))
                .load(c)?)
        })
        .unwrap();
    lines(
        rows.into_iter()
            .map(|e| (key(&e.0), e.1, e.2, e.3, e.4, e.5)),
    )
}

fn links_of(db: &Db, key: &dyn Fn(&str) -> String) -> Vec<String> {
    let rows: Vec<(String, String, String, f64, String, String)> = db
        .run(|c| {
            Ok(incident_links::table
                .select((
                    incident_links::from_incident,
                    incident_links::to_incident,
                    incident_links::kind,
                    incident_links::confidence,
                    incident_links::reason,
                    incident_links::set_by,
                ))
                .load(c)?)
        })
        .unwrap();
    lines(
        rows.into_iter()
            .map(|l| (key(&l.0), key(&l.1), l.2, l.3, l.4, l.5)),
    )
}

fn lines<T: std::fmt::Debug>(rows: impl IntoIterator<Item = T>) -> Vec<String> {
    let mut out: Vec<String> = rows.into_iter().map(|r| format!("{r:?}")).collect();
    out.sort();
    out
}

/// Table by table, the first rows that differ (the whole contents would be thousands of lines).
fn assert_same(live: &Contents, reference: &Contents, when: &str) {
    for (table, rows) in reference {
        let other = &live[table];
        let first = rows.iter().zip(other).position(|(a, b)| a != b);
        assert!(
            first.is_none() && rows.len() == other.len(),
            "{table} after {when}: {} rows live, {} per service; first difference:\n live: {:?}\n  ref: {:?}",
            other.len(),
            rows.len(),
            first.and_then(|i| other.get(i)),
            first.and_then(|i| rows.get(i)),
        );
    }
}

#[test]
fn live_evaluation_in_chunks_writes_what_evaluating_each_service_alone_writes() {
    let (live, reference) = (Store::with_history(), Store::with_history());
    assert_same(
        &contents(&live.db),
        &contents(&reference.db),
        "the backfill",
    );
    let (mut touched_live, mut touched_ref) = (0, 0);
    // Three minute-job runs: a short step, one across the new services' onset, the rest.
    for now in [
        t(95),
        t(100) + Duration::seconds(15),
        t(110) + Duration::seconds(15),
    ] {
        touched_live += spikes::evaluate_all(&live.db, now).unwrap().len();
        touched_ref += per_service(&reference.db, now).len();
        let found = contents(&live.db);
        assert_same(&found, &contents(&reference.db), &now.to_string());
    }
    assert_eq!(touched_live, touched_ref, "incidents touched");
    // The scenario did what it is for: every kind of spike, and links between them.
    let found = contents(&live.db);
    assert_eq!(found["spike_state"].len(), SERVICES);
    assert_eq!(
        found["report_spikes"].len(),
        5 * SERVICES / 50,
        "one spike per spiking service"
    );
    let ended = found["report_spikes"]
        .iter()
        .filter(|s| !s.contains("None, None"))
        .count();
    assert_eq!(
        ended,
        2 * SERVICES / 50,
        "the ending and the long services' spikes ended"
    );
    assert!(
        !found["incident_links"].is_empty(),
        "links around the infrastructure's spike"
    );
    assert!(touched_live > 0);
}
