//! Slack incoming-webhook messages with blocks: title, status, impact, services, the new
//! update's text, and links to the incident and its postmortem.
//!
//! Rule: Slack reads `&`, `<` and `>` in `mrkdwn` as markup (`<url|text>` links, `<!channel>`
//! mentions), so every outside text in `mrkdwn` is escaped with [`escape`], and the header is
//! `plain_text`, which Slack does not parse. Texts are cut to Slack's limits.

use serde_json::{Value, json};

use super::{Change, Links};
use crate::db::subscriptions::Subscription;

/// Slack's own escaping for `mrkdwn` (https://api.slack.com/reference/surfaces/formatting).
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// At most `max` characters, with an ellipsis when cut.
fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn mrkdwn(text: String) -> Value {
    json!({"type": "mrkdwn", "text": text})
}

pub fn message(change: &Change<'_>, links: &Links) -> String {
    let i = change.incident;
    let id = i.id.to_string();
    let services = if i.services.is_empty() {
        "none".to_string()
    } else {
        i.services.join(", ")
    };
    let mut blocks = vec![
        json!({"type": "header", "text": {"type": "plain_text", "text": cut(&i.title, 150)}}),
        json!({"type": "section", "fields": [
            mrkdwn(format!("*Event*\n{}", change.event.as_str())),
            mrkdwn(format!("*Status*\n{}", i.status.as_str())),
            mrkdwn(format!("*Impact*\n{}", i.impact.as_str())),
            mrkdwn(format!("*Services*\n{}", escape(&cut(&services, 500)))),
        ]}),
    ];
    if let Some(entry) = change.latest() {
        blocks.push(json!({"type": "section", "text": mrkdwn(escape(&cut(&entry.body, 2900)))}));
    }
    blocks.push(json!({"type": "context", "elements": [mrkdwn(format!(
        "<{}|Incident> · <{}|Postmortem>",
        escape(&links.incident(&id)),
        escape(&links.postmortem(&id)),
    ))]}));
    json!({
        "text": escape(&cut(&format!("{}: {}", i.status.as_str(), i.title), 300)),
        "blocks": blocks,
    })
    .to_string()
}

pub fn test(links: &Links, sub: &Subscription) -> String {
    json!({
        "text": "A test event from Aftermath.",
        "blocks": [
            {"type": "section", "text": mrkdwn(format!(
                "A test event from Aftermath: <{}|this subscription> works.",
                escape(&links.subscription(&sub.id))
            ))},
        ],
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_mentions_are_escaped() {
        assert_eq!(
            escape("<!channel> & <https://x|y>"),
            "&lt;!channel&gt; &amp; &lt;https://x|y&gt;"
        );
    }
}
