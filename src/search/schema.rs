//! The index schema: one document per incident, replaced whole when anything about it changes.
//!
//! Text is indexed twice only when its language is unclear; otherwise once, under the analyzer of
//! its language (see `document`). Bodies are stored unindexed once so snippets and "similar
//! outages" need no database round trip. Bump [`SCHEMA_VERSION`] with any change here or in the
//! analyzers: an index built under another version is rebuilt at open.

use tantivy::schema::{
    DateOptions, DateTimePrecision, FAST, Field, INDEXED, IndexRecordOption, STORED, STRING,
    Schema, TextFieldIndexing, TextOptions,
};

use super::analyzers::{ENGLISH, FRENCH, KEYWORD, NAME};

/// 2: facets come from fast fields (`service`, `provider`, `impact`, `year`), not a facet field.
/// 3: `upstream`, the ids of the incidents each one is downstream of, for grouping by cascade;
/// `cascade`, the service names of the incidents linked to it.
pub const SCHEMA_VERSION: u32 = 3;

#[derive(Debug, Clone, Copy)]
pub struct Fields {
    pub id: Field,
    pub title: Field,
    pub title_en: Field,
    pub title_fr: Field,
    pub body: Field,
    pub body_en: Field,
    pub body_fr: Field,
    pub service: Field,
    pub provider: Field,
    pub region: Field,
    pub component: Field,
    pub upstream: Field,
    pub cascade: Field,
    pub status: Field,
    pub impact: Field,
    pub origin: Field,
    pub year: Field,
    pub started_at: Field,
    pub resolved_at: Field,
    pub updated_at: Field,
    pub duration_secs: Field,
}

pub fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = |analyzer: &str| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(analyzer)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
    };
    let keyword = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(KEYWORD)
                .set_index_option(IndexRecordOption::Basic),
        )
        .set_stored();
    // Facet counts read these per hit; "raw" keeps the value as indexed (already lowercase).
    let facet = keyword.clone().set_fast("raw");
    let date = DateOptions::from(INDEXED)
        .set_stored()
        .set_fast()
        .set_precision(DateTimePrecision::Seconds);
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED),
        title: b.add_text_field("title", STORED),
        title_en: b.add_text_field("title_en", text(ENGLISH)),
        title_fr: b.add_text_field("title_fr", text(FRENCH)),
        body: b.add_text_field("body", STORED),
        body_en: b.add_text_field("body_en", text(ENGLISH)),
        body_fr: b.add_text_field("body_fr", text(FRENCH)),
        service: b.add_text_field("service", facet.clone()),
        provider: b.add_text_field("provider", facet.clone()),
        region: b.add_text_field("region", keyword.clone()),
        component: b.add_text_field("component", text(NAME).set_stored()),
        // Read per hit from its fast column when results are grouped by cascade.
        upstream: b.add_text_field("upstream", STRING | FAST),
        cascade: b.add_text_field("cascade", text(NAME)),
        status: b.add_text_field("status", keyword.clone()),
        impact: b.add_text_field("impact", facet),
        origin: b.add_text_field("origin", keyword),
        year: b.add_u64_field("year", FAST),
        started_at: b.add_date_field("started_at", date.clone()),
        resolved_at: b.add_date_field("resolved_at", date.clone()),
        updated_at: b.add_date_field("updated_at", date),
        duration_secs: b.add_u64_field("duration_secs", INDEXED | STORED | FAST),
    };
    (b.build(), fields)
}

impl Fields {
    /// The fields of an index opened from disk, which must carry this schema's names.
    pub fn from_schema(schema: &Schema) -> tantivy::Result<Self> {
        let f = |name: &str| schema.get_field(name);
        Ok(Self {
            id: f("id")?,
            title: f("title")?,
            title_en: f("title_en")?,
            title_fr: f("title_fr")?,
            body: f("body")?,
            body_en: f("body_en")?,
            body_fr: f("body_fr")?,
            service: f("service")?,
            provider: f("provider")?,
            region: f("region")?,
            component: f("component")?,
            upstream: f("upstream")?,
            cascade: f("cascade")?,
            status: f("status")?,
            impact: f("impact")?,
            origin: f("origin")?,
            year: f("year")?,
            started_at: f("started_at")?,
            resolved_at: f("resolved_at")?,
            updated_at: f("updated_at")?,
            duration_secs: f("duration_secs")?,
        })
    }
}
