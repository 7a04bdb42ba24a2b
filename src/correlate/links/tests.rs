use super::*;
use crate::domain::ServiceSlug;
use chrono::TimeZone;

fn service(slug: &str, kind: ServiceKind, deps: &[&str]) -> (String, Service) {
    let mut s = Service::unnamed(ServiceSlug::parse("s", slug).unwrap());
    s.kind = kind;
    s.name = slug.to_uppercase();
    s.depends_on = deps
        .iter()
        .map(|d| ServiceSlug::parse("d", d).unwrap())
        .collect();
    (slug.to_string(), s)
}

fn span(id: &str, service: &str, start_min: i64, len_min: i64) -> Span {
    let t0 = Utc.with_ymd_and_hms(2025, 10, 20, 7, 0, 0).unwrap();
    Span {
        id: id.into(),
        services: vec![service.into()],
        start: t0 + Duration::minutes(start_min),
        end: Some(t0 + Duration::minutes(start_min + len_min)),
    }
}

#[test]
fn a_declared_dependency_links_overlapping_incidents_with_a_reason() {
    let catalog = HashMap::from([
        service("cloud", ServiceKind::Infrastructure, &[]),
        service("chat", ServiceKind::Application, &["cloud"]),
    ]);
    let found = causes(
        &[span("up", "cloud", 0, 120), span("down", "chat", 9, 60)],
        &catalog,
    );
    assert_eq!(
        found,
        vec![Cause {
            downstream: "down".into(),
            upstream: "up".into(),
            confidence: 0.9,
            reason: "started 9 min after CLOUD; CHAT depends on it".into(),
        }]
    );
}

#[test]
fn without_declarations_three_apps_after_an_infrastructure_incident_are_suggested() {
    let catalog = HashMap::from([
        service("cloud", ServiceKind::Infrastructure, &[]),
        service("a", ServiceKind::Application, &[]),
        service("b", ServiceKind::Application, &[]),
        service("c", ServiceKind::Application, &[]),
    ]);
    let mut spans = vec![
        span("up", "cloud", 0, 120),
        span("a1", "a", 5, 60),
        span("b1", "b", 10, 60),
    ];
    assert!(
        causes(&spans, &catalog).is_empty(),
        "two apps are not enough"
    );
    spans.push(span("c1", "c", 29, 60));
    let found = causes(&spans, &catalog);
    assert_eq!(found.len(), 3);
    assert!(
        found
            .iter()
            .all(|c| c.upstream == "up" && c.confidence == 0.4)
    );
    assert!(
        found[0].reason.contains("no dependency declared"),
        "{found:?}"
    );
}

#[test]
fn incidents_that_do_not_overlap_are_not_linked() {
    let catalog = HashMap::from([
        service("cloud", ServiceKind::Infrastructure, &[]),
        service("chat", ServiceKind::Application, &["cloud"]),
    ]);
    let found = causes(
        &[span("up", "cloud", 0, 30), span("down", "chat", 45, 60)],
        &catalog,
    );
    assert!(found.is_empty());
}

#[test]
fn changed_incidents_years_apart_are_recomputed_in_separate_windows() {
    let t = |y, m, d| {
        chrono::NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap()
    };
    let windows = merged_windows(vec![
        (t(2024, 5, 1), Some(t(2024, 5, 1))),
        (t(2016, 1, 3), None),
        (t(2016, 1, 4), Some(t(2016, 1, 6))),
        (t(2024, 5, 2), None),
    ]);
    assert_eq!(
        windows,
        vec![
            (t(2016, 1, 3), t(2016, 1, 6)),
            (t(2024, 5, 1), t(2024, 5, 2))
        ]
    );
}
