//! The domain: incidents, timelines, services and their rules.
//!
//! Rule: nothing in here imports a framework (no actix, diesel, tantivy) or another module of ours.
//! Values that come from people are parsed into these types once, at the edge, and are valid from
//! then on ("parse, don't validate").

pub mod codes;
pub mod component_change;
pub mod ids;
pub mod incident;
pub mod link;
pub mod milestones;
pub mod observed;
pub mod searchable;
// User reports and spike detection.
pub mod report;
pub mod service;
pub mod slug;
pub mod source;
pub mod spikes;
pub mod status;
pub mod subscription;
pub mod text;
pub mod time;
pub mod version;

pub use component_change::ComponentChange;
pub use ids::{EntryId, IncidentId};
pub use incident::{Incident, IncidentLink, NewIncident, NewUpdate, TimelineEntry};
pub use milestones::{Durations, Milestones};
pub use searchable::SearchableIncident;
pub use service::{Service, ServiceFields, ServiceSlug};
pub use status::{
    ComponentStatus, EntryKind, Impact, IncidentKind, IncidentStatus, LinkKind, LinkSetBy,
    MaintenanceStatus, Origin, ServiceKind,
};
pub use text::{Body, Title, ValidationError};
pub use version::Precondition;
