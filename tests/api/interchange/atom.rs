//! `/feed.atom`: valid Atom read by feed-rs, every body decoded exactly from the HTML content,
//! and our own Atom parser reading back every incident and update.

use std::collections::BTreeSet;

use aftermath::ingest::{self, Format};
use chrono::{DateTime, Timelike, Utc};

use super::{HOSTILE_TITLE, bytes, populated, set, time, timeline};

#[actix_web::test]
async fn atom_feed_is_valid_and_round_trips() {
    let (app, hostile) = populated().await;
    let (kind, raw) = bytes(&app, "/feed.atom").await;
    assert!(kind.starts_with("application/atom+xml"), "{kind}");
    let text = String::from_utf8(raw.clone()).unwrap();
    assert!(
        !text.contains("<script") && !text.contains("]]>"),
        "hostile text escaped: {text}"
    );

    let feed = feed_rs::parser::parse(raw.as_slice()).unwrap();
    assert_eq!(feed.feed_type, feed_rs::model::FeedType::Atom);
    assert!(feed.id.starts_with("tag:"));
    assert_eq!(
        feed.title.as_ref().unwrap().content,
        "Aftermath Status - Incident History"
    );
    let rels: BTreeSet<String> = feed.links.iter().filter_map(|l| l.rel.clone()).collect();
    assert_eq!(rels, set(&["alternate", "self"]));
    // The feed is the page's history: the outages of incidents.json and the planned work of
    // scheduled-maintenances.json, newest start first, as Statuspage's history feeds are.
    let outages = app.get_json("/api/v2/incidents.json").await;
    let planned = app.get_json("/api/v2/scheduled-maintenances.json").await;
    let mut listed: Vec<&serde_json::Value> =
        outages["incidents"].as_array().unwrap().iter().collect();
    listed.extend(planned["scheduled_maintenances"].as_array().unwrap());
    let newest_first = |v: &serde_json::Value| {
        (
            v["started_at"].as_str().map(str::to_string),
            v["id"].as_str().map(str::to_string),
        )
    };
    listed.sort_by_key(|v| std::cmp::Reverse(newest_first(v)));
    assert_eq!(feed.entries.len(), listed.len());
    for (entry, json) in feed.entries.iter().zip(listed.iter().copied()) {
        let id = json["id"].as_str().unwrap();
        assert!(
            entry.id.starts_with("tag:") && entry.id.ends_with(id),
            "{}",
            entry.id
        );
        assert_eq!(
            entry.title.as_ref().unwrap().content,
            json["name"].as_str().unwrap()
        );
        assert_eq!(
            entry.links[0].href,
            format!("{}/incidents/{id}", app.address)
        );
        assert!(entry.published.is_some() && entry.updated.is_some());
        let content = entry.content.as_ref().unwrap();
        assert_eq!(content.content_type.essence().to_string(), "text/html");
        // Every update body, decoded from the feed's HTML, is exactly what we store.
        let stored = timeline(&app, id).await;
        let mut want: Vec<&str> = stored.iter().map(|e| e["body"].as_str().unwrap()).collect();
        want.reverse();
        assert_eq!(feed_bodies(content.body.as_ref().unwrap()), want, "{id}");
    }
    let h = feed
        .entries
        .iter()
        .find(|e| e.id.ends_with(&hostile))
        .unwrap();
    assert_eq!(h.title.as_ref().unwrap().content, HOSTILE_TITLE);
    let html_body = h.content.as_ref().unwrap().body.clone().unwrap();
    assert!(
        html_body
            .contains("a &lt;script&gt;alert('x')&lt;/script&gt; &amp; b ]]&gt; c &amp;amp; d"),
        "{html_body}"
    );
    assert!(
        !html_body.contains("<script") && !html_body.contains("<b>"),
        "{html_body}"
    );
    assert!(
        html_body.contains("line one<br />line &lt;b&gt;two&lt;/b&gt; &amp; three"),
        "{html_body}"
    );

    // Our own Atom parser reads back every incident and update, at the feed's minute precision.
    let doc = ingest::parse(Format::Atom, &raw).unwrap();
    assert_eq!(doc.incidents.len(), listed.len());
    for (obs, json) in doc.incidents.iter().zip(listed.iter().copied()) {
        let id = json["id"].as_str().unwrap();
        assert_eq!(obs.title, json["name"].as_str().unwrap());
        let stored = timeline(&app, id).await;
        assert_eq!(obs.updates.len(), stored.len(), "every update of {id}");
        let minute = |t: DateTime<Utc>| t.with_second(0).unwrap().with_nanosecond(0).unwrap();
        for (u, e) in obs.updates.iter().zip(&stored) {
            assert_eq!(u.occurred_at, minute(time(&e["occurred_at"])), "{id}");
        }
        for (u, e) in obs.updates.iter().zip(&stored) {
            let body = e["body"].as_str().unwrap();
            assert_eq!(u.body, body, "{id}");
        }
        if let Some(last) = json["incident_updates"][0]["status"]
            .as_str()
            .filter(|s| *s != "update")
        {
            assert_eq!(obs.status.map(|s| s.as_str()), Some(last), "{id}");
        }
    }
    let h = doc
        .incidents
        .iter()
        .find(|i| i.title == HOSTILE_TITLE)
        .unwrap();
    let bodies: Vec<&str> = h.updates.iter().map(|u| u.body.as_str()).collect();
    // A body that holds markup (the line break) is decoded exactly, hostile characters included.
    assert_eq!(bodies[1], "line one\nline <b>two</b> & three");
}

/// The update bodies of a Statuspage-style `content` (newest first), decoded: the text after each
/// `<strong>Label</strong> - `, `<br />` back to line breaks, entities unescaped.
fn feed_bodies(content: &str) -> Vec<String> {
    content
        .split("<p><small>")
        .skip(1)
        .map(|p| {
            let html = p.split_once("</strong> - ").unwrap().1;
            let html = html.strip_suffix("</p>").unwrap().replace("<br />", "\n");
            quick_xml::escape::unescape(&html).unwrap().into_owned()
        })
        .collect()
}
