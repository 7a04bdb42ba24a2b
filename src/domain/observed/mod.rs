//! What a source says about an incident, already normalised: the input of an idempotent upsert.
//! Keys are the source's own ids, so applying the same observation twice changes nothing.
//!
//! Rules of an upsert (`db::observed` runs the statements):
//! - A source's snapshots are read in any order (a backfill of old snapshots after the live
//!   page), so a snapshot is weighed against the newest one the stored incident reflects
//!   ([`Standing`]): an older one contributes only its posts; a current one (as new, or
//!   with no time of its own) may move the status; only a strictly newer one renames, since
//!   ties between snapshots that disagree on the title would flip it back and forth.
//! - The first link wins: two formats of one page may spell it differently.
//! - A post with an unknown id that matches a stored one (same status word, within a minute,
//!   same words) is the same post read through another format ([`ObservedUpdate::is_same_post`]).
//! - An upsert that adds, edits and links nothing, takes over no incident a spike opened and
//!   leaves the fields people see alike changed nothing ([`Changes`]).

use chrono::{DateTime, Duration, Utc};

use super::component_change::ComponentChange;
use super::ids::IncidentId;
use super::incident::IncidentState;
use super::service::ServiceSlug;
use super::status::{EntryKind, Impact, IncidentKind, IncidentStatus, Origin};

#[derive(Debug, Clone, PartialEq)]
pub struct ObservedIncident {
    pub external_id: String,
    pub title: String,
    pub services: Vec<ServiceSlug>,
    /// (service, component) pairs for the parts of a service that were affected.
    pub components: Vec<(ServiceSlug, String)>,
    pub impact: Option<Impact>,
    pub origin: Origin,
    pub url: Option<String>,
    /// When the source says it started; the earliest update otherwise.
    pub started_at: Option<DateTime<Utc>>,
    /// The incident's own status on the source, for sources whose updates carry none (AWS, GCP).
    pub status: Option<IncidentStatus>,
    /// When the source says it was resolved.
    pub resolved_at: Option<DateTime<Utc>>,
    /// When the source last changed it; the incident-level status is as of this time.
    pub updated_at: Option<DateTime<Utc>>,
    /// A maintenance the source scheduled, or an incident.
    pub kind: IncidentKind,
    /// A maintenance's window, when the source gives it.
    pub scheduled_for: Option<DateTime<Utc>>,
    pub scheduled_until: Option<DateTime<Utc>>,
    pub updates: Vec<ObservedUpdate>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ObservedUpdate {
    pub external_id: String,
    pub occurred_at: DateTime<Utc>,
    pub status: Option<IncidentStatus>,
    /// The source's own word, kept even when it maps to nothing we know.
    pub status_raw: Option<String>,
    pub impact: Option<Impact>,
    pub kind: EntryKind,
    pub body: String,
    pub source: String,
    pub url: Option<String>,
    pub original_time: Option<String>,
    /// The components whose status changed, as data; `body` holds them in words.
    pub changes: Vec<ComponentChange>,
}

/// What an upsert did to one incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpsertOutcome {
    Created,
    Updated,
    Unchanged,
}

/// What an upsert did, in detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpsertReport {
    /// The incident the observation landed in.
    pub incident_id: super::ids::IncidentId,
    pub outcome: UpsertOutcome,
    pub entries_added: usize,
    pub entries_edited: usize,
}

/// Whether two texts say the same thing once whitespace is ignored: the same post read through
/// two formats (Statuspage JSON and its Atom feed) differs only in line breaks and spacing.
pub fn same_text(a: &str, b: &str) -> bool {
    a.split_whitespace().eq(b.split_whitespace())
}

/// How a snapshot stands against the newest one the stored incident reflects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Older than what is stored: its posts are added, but it must not roll the incident back.
    Older,
    /// As new as what is stored, or with no time of its own: it may move the status.
    Current,
    /// Strictly newer, or about an incident not stored yet: it may also rename.
    Newer,
}

impl Standing {
    /// A snapshot as of `as_of` against an incident whose status is as of `stored` (`None` when
    /// the incident is new).
    pub fn of(as_of: Option<DateTime<Utc>>, stored: Option<DateTime<Utc>>) -> Self {
        let Some(stored) = stored else {
            return Self::Newer;
        };
        match as_of.map(|t| t.cmp(&stored)) {
            None | Some(std::cmp::Ordering::Equal) => Self::Current,
            Some(std::cmp::Ordering::Greater) => Self::Newer,
            Some(std::cmp::Ordering::Less) => Self::Older,
        }
    }

    pub fn moves_status(self) -> bool {
        self != Self::Older
    }

    pub fn renames(self) -> bool {
        self == Self::Newer
    }
}

/// What an observation may change of a stored incident besides its entries and service links.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentFields {
    pub title: String,
    pub url: Option<String>,
    pub state: IncidentState,
}

impl IncidentFields {
    /// Whether anything people see differs from `before`: title, link, status, impact or a
    /// milestone. `status_as_of` alone does not count: a snapshot that only confirms where the
    /// incident stands changes nothing shown, and is not worth a write.
    pub fn differs_from(&self, before: &IncidentFields) -> bool {
        self.title != before.title
            || self.url != before.url
            || self.state.status != before.state.status
            || self.state.impact != before.state.impact
            || self.state.milestones != before.state.milestones
    }
}

impl ObservedIncident {
    /// When this snapshot is as of: when the source last changed the incident, else its latest
    /// post.
    pub fn as_of(&self) -> Option<DateTime<Utc>> {
        let latest_post = self.updates.iter().map(|u| u.occurred_at).max();
        self.updated_at.or(latest_post)
    }

    /// How this snapshot stands against an incident whose status is as of `stored` (`None`
    /// when the incident is new).
    pub fn standing(&self, stored: Option<DateTime<Utc>>) -> Standing {
        Standing::of(self.as_of(), stored)
    }

    /// Applies what this snapshot says of the incident itself, as far as its `standing` allows:
    /// the source's own status and times, then its title, impact and link.
    pub fn settle(&self, fields: &mut IncidentFields, standing: Standing) {
        if standing.moves_status() {
            self.apply_source_state(&mut fields.state);
            if let Some(t) = self.as_of() {
                fields.state.status_as_of = fields.state.status_as_of.max(t);
            }
        }
        if standing.renames() {
            fields.title = self.title.clone();
            // The worst the source reported over the incident's life: it never drops, not
            // when the source resolves the incident nor when it lowers the impact.
            if let Some(impact) = self.impact {
                fields.state.impact = fields.state.impact.max(impact);
            }
            if fields.url.is_none() {
                fields.url = self.url.clone();
            }
        }
    }

    /// Sources whose updates carry no status (AWS, GCP) say it on the incident; the source's
    /// own start and resolution times are more exact than the first and last posts.
    fn apply_source_state(&self, state: &mut IncidentState) {
        if let Some(status) = self.status
            && status != state.status
        {
            let at = self
                .updated_at
                .or(self.resolved_at)
                .unwrap_or(state.status_as_of);
            // Reopening takes a strictly newer observation: two snapshots stamped alike that
            // disagree would otherwise flip the incident back and forth.
            let reopens = state.status.is_closed() && !status.is_closed();
            if !(reopens && at <= state.status_as_of) {
                state.apply_update(Some(status), None, at);
            }
        }
        if let Some(started) = self.started_at {
            state.milestones.started = Some(started);
        }
        if let Some(resolved) = self.resolved_at
            && state.status.is_closed()
        {
            state.milestones.resolved = Some(resolved);
        }
    }
}

impl ObservedUpdate {
    /// Whether a stored post, under another id or none, is this one read through another
    /// format of the same page (Statuspage JSON and its Atom feed): the same status word (case
    /// aside, or none on both), within a minute, the same words.
    pub fn is_same_post(
        &self,
        occurred_at: DateTime<Utc>,
        status: Option<&str>,
        body: &str,
    ) -> bool {
        let close = (occurred_at - self.occurred_at).abs() < Duration::seconds(60);
        let same_status = match (status, self.status_raw.as_deref()) {
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
            (None, None) => true,
            _ => false,
        };
        close && same_status && same_text(body, &self.body)
    }
}

/// What an upsert changed, piece by piece.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Changes {
    /// A new incident was inserted.
    pub created: bool,
    /// A new provider incident took over the incident a spike had opened, rather than being
    /// inserted.
    pub taken_over: bool,
    pub services_added: bool,
    pub entries_added: usize,
    pub entries_edited: usize,
    /// Component changes whose words were rendered anew: a change, but no edit upstream.
    pub entries_reworded: usize,
    /// See [`IncidentFields::differs_from`].
    pub fields_changed: bool,
}

impl Changes {
    /// Whether an incident that was already stored has to be saved again.
    pub fn changed(&self) -> bool {
        self.taken_over
            || self.services_added
            || self.entries_added > 0
            || self.entries_edited > 0
            || self.entries_reworded > 0
            || self.fields_changed
    }

    pub fn outcome(&self) -> UpsertOutcome {
        if self.created {
            UpsertOutcome::Created
        } else if self.changed() {
            UpsertOutcome::Updated
        } else {
            UpsertOutcome::Unchanged
        }
    }

    pub fn report(&self, incident_id: IncidentId) -> UpsertReport {
        UpsertReport {
            incident_id,
            outcome: self.outcome(),
            entries_added: self.entries_added,
            entries_edited: self.entries_edited,
        }
    }
}

#[cfg(test)]
mod tests;
