//! `aftermath export postmortems --out DIR`: one Markdown file per incident (the newest
//! revision, or a fresh draft when none was saved — exporting writes nothing to the store) and
//! an `index.md` linking them, newest first.

use std::path::Path;

use crate::db::incidents::{self, Cursor, IncidentFilter};
use crate::db::{Db, DbError, details, postmortems};

use super::md_escape;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ExportSummary {
    pub written: usize,
    pub drafted: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ExportError + '_ {
    move |source| ExportError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Exports every incident's postmortem; `progress(done, total)` is called after each file.
pub fn export_all(
    db: &Db,
    dir: &Path,
    template_dir: Option<&Path>,
    mut progress: impl FnMut(usize, usize),
) -> Result<ExportSummary, ExportError> {
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let total = db.run(incidents::count)? as usize;
    let mut summary = ExportSummary::default();
    let mut index = String::from("# Postmortems\n\n| Date | Incident | Status |\n|---|---|---|\n");
    let mut cursor: Option<Cursor> = None;
    loop {
        let page =
            db.run(|conn| incidents::list(conn, &IncidentFilter::default(), 200, cursor.as_ref()))?;
        let ids: Vec<_> = page.items.iter().map(|i| i.id).collect();
        let (details, mut saved) = db.run(|conn| {
            Ok((
                details::of(conn, page.items.clone())?,
                postmortems::latest_many(conn, &ids)?,
            ))
        })?;
        for (incident, detail) in page.items.iter().zip(details) {
            let id = incident.id;
            let saved = saved.remove(&id);
            let (markdown, status) = match saved {
                Some(r) => (r.markdown, r.status),
                None => {
                    summary.drafted += 1;
                    (
                        super::draft(&detail, template_dir).markdown,
                        "draft (not saved)".to_string(),
                    )
                }
            };
            // The random tail of the id: UUID v7 ids made in the same minute share their head, and
            // one day can hold several incidents with the same title.
            let id_text = id.to_string();
            let tail = &id_text[id_text.len() - 12..];
            let name = format!(
                "{}-{tail}",
                super::file_name(&detail, "md").trim_end_matches(".md")
            );
            let path = dir.join(format!("{name}.md"));
            std::fs::write(&path, markdown).map_err(io(&path))?;
            let date = incident
                .milestones
                .started
                .unwrap_or(incident.created_at)
                .format("%Y-%m-%d");
            index.push_str(&format!(
                "| {date} | [{}](<{name}.md>) | {} |\n",
                md_escape::inline(&incident.title),
                md_escape::table_cell(&status)
            ));
            summary.written += 1;
            progress(summary.written, total);
        }
        match page.next_cursor.as_deref().and_then(Cursor::decode) {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let index_path = dir.join("index.md");
    std::fs::write(&index_path, index).map_err(io(&index_path))?;
    Ok(summary)
}
