//! One incident as one tantivy document.
//!
//! Each text goes to the field of its language when `whatlang` is sure of it (English or French),
//! and to both when it is not: short posts such as "Resolved" or "Monitoring" say too little to
//! tell, and indexing them twice costs less than missing them.

use chrono::{DateTime, Datelike, Utc};
use tantivy::schema::Field;
use tantivy::{DateTime as TantivyDateTime, TantivyDocument};
use whatlang::{Detector, Lang};

use super::schema::Fields;
use crate::domain::SearchableIncident;

/// Detects English or French; everything else counts as unclear.
pub struct LanguageGuess {
    detector: Detector,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    English,
    French,
    Unclear,
}

impl Default for LanguageGuess {
    fn default() -> Self {
        Self {
            detector: Detector::with_allowlist(vec![Lang::Eng, Lang::Fra]),
        }
    }
}

impl LanguageGuess {
    pub fn guess(&self, text: &str) -> Language {
        match self.detector.detect(text) {
            Some(info) if info.is_reliable() && info.lang() == Lang::Eng => Language::English,
            Some(info) if info.is_reliable() && info.lang() == Lang::Fra => Language::French,
            _ => Language::Unclear,
        }
    }
}

pub fn to_document(
    fields: &Fields,
    guess: &LanguageGuess,
    incident: &SearchableIncident,
    now: DateTime<Utc>,
) -> TantivyDocument {
    let mut doc = TantivyDocument::default();
    doc.add_text(fields.id, incident.id.to_string());
    doc.add_text(fields.title, &incident.title);
    add_in_language(
        &mut doc,
        guess,
        fields.title_en,
        fields.title_fr,
        &incident.title,
    );
    let mut body = String::new();
    for text in &incident.texts {
        add_in_language(&mut doc, guess, fields.body_en, fields.body_fr, text);
        if !body.is_empty() {
            body.push('\n');
        }
        body.push_str(text);
    }
    doc.add_text(fields.body, &body);
    for service in &incident.services {
        doc.add_text(fields.service, service);
    }
    for provider in &incident.providers {
        doc.add_text(fields.provider, provider);
    }
    for region in &incident.regions {
        doc.add_text(fields.region, region);
    }
    for component in &incident.components {
        doc.add_text(fields.component, component);
    }
    for upstream in &incident.upstream {
        doc.add_text(fields.upstream, upstream);
    }
    for name in &incident.cascade_names {
        doc.add_text(fields.cascade, name);
    }
    doc.add_text(fields.status, incident.status.as_str());
    doc.add_text(fields.impact, incident.impact.as_str());
    doc.add_text(fields.origin, incident.origin.as_str());
    doc.add_u64(fields.year, incident.started_at.year().max(0) as u64);
    doc.add_date(fields.started_at, to_tantivy(incident.started_at));
    if let Some(resolved) = incident.resolved_at {
        doc.add_date(fields.resolved_at, to_tantivy(resolved));
    }
    doc.add_date(fields.updated_at, to_tantivy(incident.updated_at));
    doc.add_u64(fields.duration_secs, incident.duration_secs(now));
    doc
}

fn add_in_language(
    doc: &mut TantivyDocument,
    guess: &LanguageGuess,
    english: Field,
    french: Field,
    text: &str,
) {
    match guess.guess(text) {
        Language::English => doc.add_text(english, text),
        Language::French => doc.add_text(french, text),
        Language::Unclear => {
            doc.add_text(english, text);
            doc.add_text(french, text);
        }
    }
}

pub fn to_tantivy(t: DateTime<Utc>) -> TantivyDateTime {
    TantivyDateTime::from_timestamp_secs(t.timestamp())
}

pub fn from_tantivy(t: TantivyDateTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t.into_timestamp_secs(), 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_are_told_apart_in_real_looking_posts() {
        let guess = LanguageGuess::default();
        assert_eq!(
            guess.guess("We are investigating increased error rates for DynamoDB requests in the US-EAST-1 Region."),
            Language::English
        );
        assert_eq!(
            guess.guess("Nous enquêtons sur une panne qui empêche les clients de passer commande depuis l'application."),
            Language::French
        );
        assert_eq!(guess.guess("OK"), Language::Unclear);
    }
}
