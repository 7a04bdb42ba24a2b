//! Postmortems: drafts written from the timeline, revisions people edit, and the ways out.
//!
//! Rules: a draft is generated from what the store holds (provider posts, report spikes, links)
//! and saved as a revision; people's saves are new revisions; regenerating never overwrites a
//! person's revision, it appends a new generated draft.

pub mod context;
pub mod export;
pub mod md_escape;
pub mod render;

use chrono::Utc;

use crate::db::incidents::IncidentDetail;
use crate::db::postmortems::{Authorship, Visibility};
use crate::domain::slug;

/// The Markdown draft for an incident, and a warning when a template override had to be skipped.
pub fn draft(detail: &IncidentDetail, template_dir: Option<&std::path::Path>) -> render::Rendered {
    let mut authors: Vec<String> = detail
        .timeline
        .iter()
        .filter_map(|e| e.author.clone())
        .collect();
    authors.sort();
    authors.dedup();
    if authors.is_empty() {
        authors.push("Aftermath (generated)".into());
    }
    let ctx = context::build(detail, authors, Utc::now());
    render::render(&ctx, template_dir)
}

/// A file name for a postmortem: `2025-10-20-increased-error-rates-in-us-east-1.md`.
pub fn file_name(detail: &IncidentDetail, extension: &str) -> String {
    let date = detail
        .incident
        .milestones
        .started
        .unwrap_or(detail.incident.created_at)
        .format("%Y-%m-%d");
    let slug = slug::slugify(&detail.incident.title, slug::FILE_NAME);
    if slug.is_empty() {
        format!("{date}-incident.{extension}")
    } else {
        format!("{date}-{slug}.{extension}")
    }
}

/// The newest revision, generating and saving revision 1 on first request.
pub fn latest_or_draft(
    conn: &mut crate::db::DbConn,
    incident: crate::domain::IncidentId,
    template_dir: Option<&std::path::Path>,
) -> Result<(crate::db::postmortems::Revision, Option<String>), crate::db::DbError> {
    if let Some(latest) = crate::db::postmortems::latest(conn, incident)? {
        return Ok((latest, None));
    }
    let detail = crate::db::incidents::get(conn, incident)?;
    let rendered = draft(&detail, template_dir);
    let saved = crate::db::postmortems::append(
        conn,
        incident,
        &rendered.markdown,
        "aftermath",
        Visibility::Draft,
        Authorship::Generated,
    )?;
    Ok((saved, rendered.fallback_reason))
}

/// The Content-Security-Policy of [`standalone_html`] when a server shows it: nothing but its
/// own inline stylesheet, allowed by its hash (the page is meant to work offline, as a file).
pub fn standalone_csp() -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    let hash = sha2::Sha256::digest(PRINT_CSS.as_bytes());
    let hash = base64::engine::general_purpose::STANDARD.encode(hash);
    format!(
        "default-src 'none'; style-src 'sha256-{hash}'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    )
}

/// A standalone HTML page for printing or archiving a postmortem.
pub fn standalone_html(title: &str, markdown: &str) -> String {
    let body = crate::markdown::render(without_front_matter(markdown));
    let title = title
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;");
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{title}</title>\n<style>{PRINT_CSS}</style>\n</head>\n<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )
}

/// The document after its YAML front matter: metadata for static-site tools, not text to show
/// (its values are YAML-quoted, not Markdown-escaped).
pub fn without_front_matter(markdown: &str) -> &str {
    markdown
        .strip_prefix("---\n")
        .and_then(|rest| rest.find("\n---\n").map(|end| &rest[end + 5..]))
        .unwrap_or(markdown)
}

/// Readable on screen, and on paper: no page breaks inside table rows, links printed out.
const PRINT_CSS: &str = "body{font:16px/1.55 Georgia,serif;color:#111;margin:0}main{max-width:46rem;margin:2rem auto;padding:0 1rem}\
table{border-collapse:collapse;width:100%;font-size:.9em}th,td{border:1px solid #bbb;padding:.3rem .45rem;text-align:left;vertical-align:top}\
blockquote{border-left:3px solid #999;margin-left:0;padding-left:1rem;color:#333}code{font-size:.9em}\
@media print{main{margin:0;max-width:none}a[href^=\"http\"]::after{content:\" (\" attr(href) \")\";font-size:.8em}tr,blockquote{page-break-inside:avoid}h2{page-break-after:avoid}}";

/// How long a diff may take; past it, the diff is "too large" (see [`diff`]).
pub const DIFF_DEADLINE: std::time::Duration = std::time::Duration::from_secs(2);

/// What a diff that ran past [`DIFF_DEADLINE`] says instead.
pub const DIFF_TOO_LARGE: &str = "These revisions differ too much to show a diff.";

/// A unified diff between two revisions' texts, labelled with their numbers; `None` when it
/// could not be computed within [`DIFF_DEADLINE`] (two long texts that share little make the
/// diff algorithm slow, so callers run this off the event loop and say the diff was too large).
pub fn diff(
    from: &crate::db::postmortems::Revision,
    to: &crate::db::postmortems::Revision,
) -> Option<String> {
    diff_within(from, to, DIFF_DEADLINE)
}

/// [`diff`] with its time budget.
pub fn diff_within(
    from: &crate::db::postmortems::Revision,
    to: &crate::db::postmortems::Revision,
    budget: std::time::Duration,
) -> Option<String> {
    let deadline = std::time::Instant::now() + budget;
    let text = similar::TextDiff::configure()
        .deadline(deadline)
        .diff_lines(&from.markdown, &to.markdown)
        .unified_diff()
        .context_radius(3)
        .header(
            &format!("revision {}", from.revision),
            &format!("revision {}", to.revision),
        )
        .to_string();
    // Past the deadline, similar settles for a coarse diff: say so rather than show it.
    (std::time::Instant::now() <= deadline).then_some(text)
}

/// Drafts again from the current timeline as a new revision. People's revisions are never
/// touched; the returned diff shows what the new data changed against the newest revision.
pub fn regenerate(
    conn: &mut crate::db::DbConn,
    incident: crate::domain::IncidentId,
    template_dir: Option<&std::path::Path>,
) -> Result<(crate::db::postmortems::Revision, String, Option<String>), crate::db::DbError> {
    let detail = crate::db::incidents::get(conn, incident)?;
    let previous = crate::db::postmortems::latest(conn, incident)?;
    let rendered = draft(&detail, template_dir);
    let saved = crate::db::postmortems::append(
        conn,
        incident,
        &rendered.markdown,
        "aftermath",
        Visibility::Draft,
        Authorship::Generated,
    )?;
    let changes = previous
        .as_ref()
        .map(|p| diff(p, &saved).unwrap_or_else(|| DIFF_TOO_LARGE.to_string()))
        .unwrap_or_default();
    Ok((saved, changes, rendered.fallback_reason))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::postmortems::Revision;

    fn revision(n: i32, markdown: &str) -> Revision {
        Revision {
            incident_id: crate::domain::IncidentId::generate(),
            revision: n,
            status: "draft".into(),
            markdown: markdown.into(),
            author: "t".into(),
            generated: false,
            created_at: Utc::now(),
        }
    }

    #[test]
    fn a_diff_is_labelled_with_the_revisions_and_gives_up_past_its_deadline() {
        let (a, b) = (revision(1, "# A\n\nold\n"), revision(2, "# A\n\nnew\n"));
        let text = diff(&a, &b).unwrap();
        assert!(text.contains("revision 1") && text.contains("-old") && text.contains("+new"));
        assert_eq!(diff_within(&a, &b, std::time::Duration::ZERO), None);
    }
}
