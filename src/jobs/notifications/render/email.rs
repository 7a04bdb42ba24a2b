//! Mail: a subject, a text part and an HTML part, the incident it belongs to (its thread) and
//! the unsubscribe link. Stored as JSON in the delivery; the sender turns it into a message.
//!
//! Rules: the HTML part escapes every value (`pulldown_cmark_escape::escape_html`); the
//! subject loses line breaks and control characters, so nothing can add a header; links are
//! ours, built from ids and keys.

use serde::{Deserialize, Serialize};

use super::{Change, Links};
use crate::db::subscriptions::Subscription;

/// A mail to send, as stored in a delivery's body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mail {
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The incident whose thread it joins; `None` for a confirmation or a test.
    pub thread: Option<String>,
    /// The one-click unsubscribe address (RFC 8058).
    pub unsubscribe: String,
}

impl Mail {
    pub fn to_json(&self) -> String {
        // A struct of strings always serializes.
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn from_json(body: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(body)
    }
}

/// One line, no control characters, at most 200 characters.
pub fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(200)
        .collect::<String>()
        .trim()
        .to_string()
}

fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // Writing into a String cannot fail.
    let _ = pulldown_cmark_escape::escape_html(&mut out, text);
    out
}

fn page(paragraphs: &[String], links: &[(&str, String)], unsubscribe: &str) -> String {
    let mut html = String::from("<!doctype html><html><body>");
    for p in paragraphs {
        html.push_str(&format!("<p>{}</p>", html_escape(p)));
    }
    for (label, href) in links {
        html.push_str(&format!(
            "<p><a href=\"{}\">{}</a></p>",
            html_escape(href),
            html_escape(label)
        ));
    }
    html.push_str(&format!(
        "<p style=\"font-size:small\"><a href=\"{}\">Unsubscribe</a></p></body></html>",
        html_escape(unsubscribe)
    ));
    html
}

pub fn about(sub: &Subscription, change: &Change<'_>, links: &Links) -> Mail {
    let i = change.incident;
    let id = i.id.to_string();
    let unsubscribe = links.unsubscribe(sub);
    let mut paragraphs = vec![
        i.title.clone(),
        format!(
            "{} · status {} · impact {} · services {}",
            change.event.as_str(),
            i.status.as_str(),
            i.impact.as_str(),
            if i.services.is_empty() {
                "none".to_string()
            } else {
                i.services.join(", ")
            }
        ),
    ];
    if let Some(entry) = change.latest() {
        paragraphs.push(entry.body.clone());
    }
    let link_list = [
        ("Incident", links.incident(&id)),
        ("Postmortem", links.postmortem(&id)),
    ];
    let mut text = paragraphs.join("\n\n");
    for (label, href) in &link_list {
        text.push_str(&format!("\n\n{label}: {href}"));
    }
    text.push_str(&format!("\n\nUnsubscribe: {unsubscribe}\n"));
    Mail {
        subject: one_line(&format!("[{}] {}", i.status.as_str(), i.title)),
        html: page(&paragraphs, &link_list, &unsubscribe),
        text,
        thread: Some(id),
        unsubscribe,
    }
}

/// The first mail: nothing else is sent until its link is followed.
pub fn confirmation(sub: &Subscription, links: &Links) -> Mail {
    let confirm = links.confirm(sub);
    let unsubscribe = links.unsubscribe(sub);
    let intro = "Someone asked Aftermath to mail incident notifications to this address. \
                 Nothing more is sent unless you confirm."
        .to_string();
    Mail {
        subject: "Confirm your Aftermath notifications".into(),
        text: format!("{intro}\n\nConfirm: {confirm}\n\nUnsubscribe: {unsubscribe}\n"),
        html: page(&[intro], &[("Confirm", confirm)], &unsubscribe),
        thread: None,
        unsubscribe,
    }
}

pub fn test(sub: &Subscription, links: &Links) -> Mail {
    let unsubscribe = links.unsubscribe(sub);
    let line = "A test event from Aftermath: this subscription works.".to_string();
    Mail {
        subject: "Aftermath test event".into(),
        text: format!("{line}\n\nUnsubscribe: {unsubscribe}\n"),
        html: page(&[line], &[], &unsubscribe),
        thread: None,
        unsubscribe,
    }
}
