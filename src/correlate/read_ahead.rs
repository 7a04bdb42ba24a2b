//! What a batch of documents (or one document) will ask of the store, read up front in a few
//! queries for the lot instead of several per incident (see `db::prefetch`).
//!
//! Rules: only existing sources are looked up, since a source is created inside the savepoint
//! of the document that first needs it (and `db::known` knows a source it created has no
//! incidents but the batch's own); the incidents read are locked, as `db::prefetch` says.

use super::{canonical_key, convert};
use crate::db::known::Known;
use crate::db::{DbConn, DbError};
use crate::domain::ServiceSlug;
use crate::ingest::{self, ParsedDocument};

/// A document and the service named for its ingest, if any.
pub(super) type Named<'a> = (&'a ParsedDocument, Option<&'a ServiceSlug>);

/// The documents of a batch as [`load`] takes them.
pub(super) fn named<P>(docs: &[(ParsedDocument, Option<ServiceSlug>, P)]) -> Vec<Named<'_>> {
    docs.iter()
        .map(|(doc, service, _)| (doc, service.as_ref()))
        .collect()
}

/// Reads ahead for `docs` into `known`; `hashes[i]` are the content hashes of the raw items of
/// `docs[i]`, in order.
pub(super) fn load(
    conn: &mut DbConn,
    known: &mut Known,
    docs: &[Named<'_>],
    hashes: &[Vec<String>],
) -> Result<(), DbError> {
    let mut slugs: Vec<Vec<Option<ServiceSlug>>> = Vec::with_capacity(docs.len());
    let mut names: Vec<String> = Vec::new();
    for (doc, service) in docs {
        let page_service = convert::page_service(doc);
        let of_doc: Vec<Option<ServiceSlug>> = doc
            .incidents
            .iter()
            .map(|obs| slug_of(*service, obs, page_service.as_ref()))
            .collect();
        names.extend(of_doc.iter().flatten().map(|s| s.as_str().to_string()));
        slugs.push(of_doc);
    }
    names.sort();
    names.dedup();
    let sources = known.existing_sources(conn, "page", &names)?;
    let (mut keys, mut kept) = (Vec::new(), Vec::new());
    for (((doc, _), slugs), hashes) in docs.iter().zip(slugs).zip(hashes) {
        for ((obs, slug), hash) in doc.incidents.iter().zip(slugs).zip(hashes) {
            if let Some(source) = slug.and_then(|s| sources.get(s.as_str())) {
                keys.push((source.clone(), canonical_key(obs)));
                kept.push((source.clone(), hash.clone()));
            }
        }
    }
    known.stored.load(conn, &keys, &kept)
}

/// The service an incident is filed under: the one named for the ingest, else the incident's
/// own, else the page's.
pub(super) fn slug_of(
    service: Option<&ServiceSlug>,
    obs: &ingest::IncidentObservation,
    page_service: Option<&ServiceSlug>,
) -> Option<ServiceSlug> {
    service
        .cloned()
        .or_else(|| obs.service.as_deref().and_then(ServiceSlug::slugify))
        .or_else(|| page_service.cloned())
}
