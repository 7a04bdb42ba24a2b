//! Observations → incidents. The only way parsed source documents reach the store.
//!
//! Rules:
//! - A document is applied in one transaction: it lands whole or not at all.
//! - Incidents are keyed per *page* (the service's status page, one `sources` row of kind
//!   `page`), so the same incident read through two formats of one page is one incident:
//!   Statuspage JSON and `history.atom` share the `/incidents/<id>` link, whose id is the key.
//! - Every distinct raw item is kept once, with where it came from, when, and its SHA-256.

mod convert;
pub mod files;
// User reports, spikes and cascade links.
pub mod links;
mod read_ahead;
pub mod reports;
pub mod spikes;

use crate::db::known::Known;
use crate::db::{self, Db, DbConn, DbError};
use crate::domain::ServiceSlug;
use crate::domain::observed::UpsertOutcome;
use crate::ingest::{self, Format, ParseError, ParsedDocument};

pub use convert::canonical_key;

/// Where a document came from, for provenance: `file:PATH`, `api`, `webhook:SOURCE`, `poll:URL`.
#[derive(Debug, Clone)]
pub struct Provenance(pub String);

/// What a document created, updated and left unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct IngestReport {
    pub format: String,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub entries_added: usize,
    pub entries_edited: usize,
    pub components_changed: usize,
}

impl IngestReport {
    pub fn changed_nothing(&self) -> bool {
        self.created == 0 && self.updated == 0 && self.components_changed == 0
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(
        "cannot tell the format of this document; name it with --format (one of: {})",
        format_names()
    )]
    UnknownFormat,
    #[error(transparent)]
    Parse(#[from] ParseError),
    #[error("cannot tell which service this document is about; name it with --service")]
    NoService,
    #[error("{0}")]
    BadService(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

fn format_names() -> String {
    Format::ALL
        .iter()
        .map(|f| f.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Detects (unless given), parses and applies one document, and recomputes the cascade links
/// around what it changed in the same transaction: what the HTTP API, webhooks and the poller
/// apply is linked as it lands, and a failure leaves neither half.
pub fn ingest_bytes(
    db: &Db,
    format: Option<Format>,
    service: Option<&ServiceSlug>,
    bytes: &[u8],
    origin: &Provenance,
) -> Result<IngestReport, IngestError> {
    let doc = parse_bytes(format, bytes)?;
    db.write(|conn| {
        let changed_since = chrono::Utc::now();
        let report = apply_document(conn, &doc, service, origin).map_err(Wrap::into_db)?;
        links::recompute_changed_since(conn, changed_since)?;
        Ok(report)
    })
    .map_err(Wrap::from_db)
}

/// Detects (unless given) and parses a document, without touching the store.
pub fn parse_bytes(format: Option<Format>, bytes: &[u8]) -> Result<ParsedDocument, IngestError> {
    match format {
        Some(f) => Ok(ingest::parse(f, bytes)?),
        None => match ingest::detect_and_parse(bytes) {
            Some(parsed) => Ok(parsed?),
            None => Err(undetected(bytes)),
        },
    }
}

/// Applies many parsed documents in one transaction, each inside its own savepoint: a document
/// that fails is rolled back alone and reported, the others land. One commit for the batch is
/// what makes bulk ingest fast; the per-document guarantee stays the same.
pub fn apply_batch(
    db: &Db,
    docs: &[(ParsedDocument, Option<ServiceSlug>, Provenance)],
) -> Result<Vec<Result<IngestReport, IngestError>>, IngestError> {
    Ok(db.write(|conn| apply_batch_in(conn, docs))?)
}

/// [`apply_batch`] inside the caller's transaction on its own connection.
///
/// The batch is first applied whole inside one savepoint: a savepoint copies every page it
/// touches before the first change, and one per document made each page of a batch be copied
/// once per document. Documents rarely fail; when one does, that savepoint is rolled back and
/// the batch is applied again one savepoint per document, so the others still land.
pub fn apply_batch_in(
    conn: &mut DbConn,
    docs: &[(ParsedDocument, Option<ServiceSlug>, Provenance)],
) -> Result<Vec<Result<IngestReport, IngestError>>, DbError> {
    let hashes: Vec<Vec<String>> = docs.iter().map(|(doc, _, _)| raw_hashes(doc)).collect();
    apply_hashed_batch_in(conn, docs, &hashes)
}

/// [`apply_batch_in`] with the [`raw_hashes`] of each of `docs` computed already, as a bulk
/// ingest's parsing threads do: on the writing thread they were work the others wait for.
pub fn apply_hashed_batch_in(
    conn: &mut DbConn,
    docs: &[(ParsedDocument, Option<ServiceSlug>, Provenance)],
    hashes: &[Vec<String>],
) -> Result<Vec<Result<IngestReport, IngestError>>, DbError> {
    use diesel::Connection;
    debug_assert_eq!(docs.len(), hashes.len(), "one list of hashes per document");
    let mut known = Known::default();
    read_ahead::load(conn, &mut known, &read_ahead::named(docs), hashes)?;
    let whole = conn.transaction(|sp| {
        docs.iter()
            .zip(hashes)
            .map(|((doc, service, origin), hashes)| {
                apply_known(sp, &mut known, doc, service.as_ref(), origin, Some(hashes))
                    .map_err(Wrap::into_db)
            })
            .collect::<Result<Vec<_>, DbError>>()
    });
    if let Ok(reports) = whole {
        return Ok(reports.into_iter().map(Ok).collect());
    }
    // The rolled-back savepoint took what `known` had learnt with it: read ahead afresh.
    let mut known = Known::default();
    read_ahead::load(conn, &mut known, &read_ahead::named(docs), hashes)?;
    let mut results = Vec::with_capacity(docs.len());
    for ((doc, service, origin), hashes) in docs.iter().zip(hashes) {
        let outcome = conn.transaction(|sp| {
            apply_known(sp, &mut known, doc, service.as_ref(), origin, Some(hashes))
                .map_err(Wrap::into_db)
        });
        if outcome.is_err() {
            known.forget();
        }
        results.push(outcome.map_err(Wrap::from_db));
    }
    Ok(results)
}

/// The content hash of each raw item of `doc`, in order.
pub fn raw_hashes(doc: &ParsedDocument) -> Vec<String> {
    doc.incidents
        .iter()
        .map(|obs| db::provenance::content_hash(&obs.raw))
        .collect()
}

/// A postmortem the provider published (Statuspage `postmortem_body`) becomes a published
/// revision, once: a text already among the revisions is not added again, so re-ingesting
/// never buries a person's later edit. A new incident has no revisions to look through.
fn keep_provider_postmortem(
    conn: &mut DbConn,
    id: crate::domain::IncidentId,
    created: bool,
    body: &str,
    slug: &ServiceSlug,
) -> Result<(), IngestError> {
    let body = body.trim();
    if body.is_empty() {
        return Ok(());
    }
    if !created
        && db::postmortems::list(conn, id)?
            .iter()
            .any(|r| r.markdown == body)
    {
        return Ok(());
    }
    db::postmortems::append(
        conn,
        id,
        body,
        &format!("{slug} status page"),
        db::postmortems::Visibility::Published,
        db::postmortems::Authorship::Person,
    )?;
    Ok(())
}

/// Why no format matched: for a document that tries to be JSON, where its syntax breaks.
fn undetected(bytes: &[u8]) -> IngestError {
    let looks_like_json = bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| matches!(b, b'{' | b'['));
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Err(e) if looks_like_json => IngestError::Parse(ParseError::Json {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        }),
        _ => IngestError::UnknownFormat,
    }
}

/// Applies a parsed document inside the caller's transaction. It reads ahead as a batch does
/// (`read_ahead`): a document of fifty incidents asked for each one alone, fifty round trips
/// on PostgreSQL, where a few queries for the lot do.
pub fn apply_document(
    conn: &mut DbConn,
    doc: &ParsedDocument,
    service: Option<&ServiceSlug>,
    origin: &Provenance,
) -> Result<IngestReport, IngestError> {
    let hashes = [raw_hashes(doc)];
    let mut known = Known::default();
    read_ahead::load(conn, &mut known, &[(doc, service)], &hashes)?;
    apply_known(conn, &mut known, doc, service, origin, Some(&hashes[0]))
}

/// [`apply_document`] inside a batch that remembers the sources and services it made sure of,
/// and what it read ahead; `hashes` are the raw items' content hashes when already computed.
fn apply_known(
    conn: &mut DbConn,
    known: &mut Known,
    doc: &ParsedDocument,
    service: Option<&ServiceSlug>,
    origin: &Provenance,
    hashes: Option<&[String]>,
) -> Result<IngestReport, IngestError> {
    let mut report = IngestReport {
        format: doc.format.as_str().to_string(),
        ..Default::default()
    };
    let page_service = convert::page_service(doc);
    // On PostgreSQL the new incidents' rows are written together at the end (`db::deferred`).
    known.deferred.start(conn);
    for (i, obs) in doc.incidents.iter().enumerate() {
        let slug = read_ahead::slug_of(service, obs, page_service.as_ref())
            .ok_or(IngestError::NoService)?;
        let url = doc.page.as_ref().and_then(|p| p.url.as_deref());
        let source = known.source(conn, "page", slug.as_str(), url)?;
        let hash = match hashes.and_then(|h| h.get(i)) {
            Some(h) => h.clone(),
            None => db::provenance::content_hash(&obs.raw),
        };
        // The very same raw item was applied to this page before (snapshots of a page repeat
        // most of their items): applying it again is idempotent, so it is skipped unread.
        if known.stored.is_kept(&source, &hash) {
            report.unchanged += 1;
            continue;
        }
        let observed = convert::to_observed(obs, &slug, doc.format);
        let upserted = db::observed::upsert_known(conn, known, &source, &observed)?;
        match upserted.outcome {
            UpsertOutcome::Created => report.created += 1,
            UpsertOutcome::Updated => report.updated += 1,
            UpsertOutcome::Unchanged => report.unchanged += 1,
        }
        report.entries_added += upserted.entries_added;
        report.entries_edited += upserted.entries_edited;
        let incident = upserted.incident_id;
        if let Some(body) = obs.postmortem.as_deref() {
            // A revision refers to its incident: the incident must be stored first.
            if known.deferred.holds(&incident.to_string()) {
                known.deferred.flush(conn)?;
            }
            let created = upserted.outcome == UpsertOutcome::Created;
            keep_provider_postmortem(conn, incident, created, body, &slug)?;
        }
        let raw = RawItem {
            format: doc.format.as_str(),
            origin: &origin.0,
            raw: &obs.raw,
            hash: &hash,
        };
        record_observation(conn, known, &source, &incident.to_string(), raw)?;
        known.stored.kept(&source, &hash);
    }
    known.deferred.finish(conn)?;
    report.components_changed += apply_component_changes(conn, known, doc, service, page_service)?;
    Ok(report)
}

/// One raw item as it came, for its provenance row.
struct RawItem<'a> {
    format: &'a str,
    origin: &'a str,
    raw: &'a str,
    hash: &'a str,
}

/// The raw item's provenance row: held with the document's new incidents on PostgreSQL
/// (`db::deferred`), written at once otherwise.
fn record_observation(
    conn: &mut DbConn,
    known: &mut Known,
    source: &str,
    incident: &str,
    item: RawItem<'_>,
) -> Result<(), IngestError> {
    let RawItem {
        format,
        origin,
        raw,
        hash,
    } = item;
    if known.deferred.is_on() {
        known
            .deferred
            .observation(source, Some(incident), format, origin, raw, hash);
    } else {
        db::provenance::record(conn, source, Some(incident), format, origin, raw, hash)?;
    }
    Ok(())
}

/// The document's component changes, on the page's service; how many changed.
fn apply_component_changes(
    conn: &mut DbConn,
    known: &mut Known,
    doc: &ParsedDocument,
    service: Option<&ServiceSlug>,
    page_service: Option<ServiceSlug>,
) -> Result<usize, IngestError> {
    if doc.component_changes.is_empty() {
        return Ok(0);
    }
    let slug = service
        .cloned()
        .or(page_service)
        .ok_or(IngestError::NoService)?;
    known.ensure_services(conn, std::slice::from_ref(&slug))?;
    let mut changed = 0;
    for c in &doc.component_changes {
        if db::components::upsert(
            conn,
            &slug,
            c.external_id.as_str(),
            &c.name,
            &c.status_raw,
            c.occurred_at,
        )? {
            changed += 1;
        }
    }
    Ok(changed)
}

/// Carries an ingest error through `Db::write`, whose closure must fail with a `DbError`.
enum Wrap {}

impl Wrap {
    fn into_db(e: IngestError) -> DbError {
        match e {
            IngestError::Db(e) => e,
            other => DbError::Invalid {
                field: "document",
                message: other.to_string(),
            },
        }
    }

    fn from_db(e: DbError) -> IngestError {
        match e {
            DbError::Invalid {
                field: "document",
                message,
            } if message.starts_with("cannot tell which service") => IngestError::NoService,
            DbError::Invalid {
                field: "document",
                message,
            } => IngestError::BadService(message),
            other => IngestError::Db(other),
        }
    }
}
