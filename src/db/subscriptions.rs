//! Notification subscriptions (`subscriptions`): who hears what (issue 21).
//!
//! Rules:
//! - A subscription belongs to the token that made it (`owner_token_id`); callers see and
//!   remove their own, an admin every one. Another owner's subscription is "not found", so ids
//!   say nothing to strangers.
//! - A webhook's secret (`whsec_` and 24 random bytes in base64, Standard Webhooks' form) is
//!   stored as it is, since every delivery is signed with it; it is shown to its owner once,
//!   at creation or rotation. A rotation keeps the previous secret valid for
//!   [`PREVIOUS_SECRET_VALID`], and deliveries meanwhile carry both signatures.
//! - An email subscription is unconfirmed until its link is followed; only then does the
//!   fan-out make deliveries for it. `link_key` (32 random bytes, hex) is in its confirm and
//!   unsubscribe links, and compared in constant time.
//! - The filter is stored as JSON, the events as a comma-separated list of their names.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use rand::RngCore;
use serde::{Deserialize, Serialize};

use super::DbConn;
use super::convert::{from_db_time, now, opt_from_db, parse_stored, to_db_time};
use super::error::DbError;
use super::schema::subscriptions;
use crate::domain::subscription::{EventKind, Filter, Format, Kind};
use crate::domain::{Impact, Origin};

/// How long the secret before a rotation still signs deliveries.
pub const PREVIOUS_SECRET_VALID: Duration = Duration::hours(24);

/// A subscription as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Subscription {
    pub id: String,
    pub owner_token_id: String,
    pub owner_name: String,
    pub kind: Kind,
    pub target: String,
    pub format: Format,
    pub filter: Filter,
    pub events: Vec<EventKind>,
    pub secret: Option<String>,
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<DateTime<Utc>>,
    pub link_key: String,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub failing_since: Option<DateTime<Utc>>,
    pub paused_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl Subscription {
    /// The secrets a delivery at `at` is signed with: the current one, and the previous one
    /// while it is still valid.
    pub fn signing_secrets(&self, at: DateTime<Utc>) -> Vec<String> {
        let mut secrets: Vec<String> = self.secret.iter().cloned().collect();
        if let (Some(old), Some(until)) = (&self.previous_secret, self.previous_secret_until)
            && at < until
        {
            secrets.push(old.clone());
        }
        secrets
    }

    pub fn wants(&self, event: EventKind) -> bool {
        self.events.contains(&event)
    }
}

/// What a new subscription asks for, checked (`domain::subscription`).
#[derive(Debug, Clone)]
pub struct NewSubscription {
    pub owner_token_id: String,
    pub owner_name: String,
    pub kind: Kind,
    pub target: String,
    pub format: Format,
    pub filter: Filter,
    pub events: Vec<EventKind>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = subscriptions)]
pub(super) struct Row {
    id: String,
    owner_token_id: String,
    owner_name: String,
    kind: String,
    target: String,
    format: String,
    filter: String,
    events: String,
    secret: Option<String>,
    previous_secret: Option<String>,
    previous_secret_until: Option<chrono::NaiveDateTime>,
    link_key: String,
    confirmed_at: Option<chrono::NaiveDateTime>,
    failing_since: Option<chrono::NaiveDateTime>,
    paused_at: Option<chrono::NaiveDateTime>,
    created_at: chrono::NaiveDateTime,
}

/// The stored filter.
#[derive(Serialize, Deserialize, Default)]
struct FilterJson {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    services: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    providers: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    min_impact: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    origin: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    query: Option<String>,
}

fn corrupt(message: String) -> DbError {
    DbError::Corrupt {
        table: "subscriptions",
        message,
    }
}

impl Row {
    fn into_domain(self) -> Result<Subscription, DbError> {
        let f: FilterJson =
            serde_json::from_str(&self.filter).map_err(|e| corrupt(format!("filter: {e}")))?;
        let filter = Filter {
            services: f.services,
            providers: f.providers,
            min_impact: f
                .min_impact
                .map(|i| parse_stored::<Impact>("subscriptions", &i))
                .transpose()?,
            origin: f
                .origin
                .map(|o| parse_stored::<Origin>("subscriptions", &o))
                .transpose()?,
            query: f.query,
        };
        let events = self
            .events
            .split(',')
            .filter(|e| !e.is_empty())
            .map(|e| EventKind::parse(e).map_err(|e| corrupt(e.message)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Subscription {
            kind: Kind::parse(&self.kind).map_err(|e| corrupt(e.message))?,
            format: Format::parse(&self.format).map_err(|e| corrupt(e.message))?,
            id: self.id,
            owner_token_id: self.owner_token_id,
            owner_name: self.owner_name,
            target: self.target,
            filter,
            events,
            secret: self.secret,
            previous_secret: self.previous_secret,
            previous_secret_until: opt_from_db(self.previous_secret_until),
            link_key: self.link_key,
            confirmed_at: opt_from_db(self.confirmed_at),
            failing_since: opt_from_db(self.failing_since),
            paused_at: opt_from_db(self.paused_at),
            created_at: from_db_time(self.created_at),
        })
    }
}

fn filter_json(filter: &Filter) -> String {
    let json = FilterJson {
        services: filter.services.clone(),
        providers: filter.providers.clone(),
        min_impact: filter.min_impact.map(|i| i.as_str().to_string()),
        origin: filter.origin.map(|o| o.as_str().to_string()),
        query: filter.query.clone(),
    };
    // A struct of strings always serializes.
    serde_json::to_string(&json).unwrap_or_else(|_| "{}".into())
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    rand::rng().fill_bytes(&mut bytes);
    bytes
}

/// A new Standard Webhooks secret.
pub fn new_secret() -> String {
    use base64::Engine;
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(random_bytes::<24>())
    )
}

/// Stores a new subscription. A webhook gets a secret; anything but email is confirmed at once.
pub fn create(conn: &mut DbConn, new: &NewSubscription) -> Result<Subscription, DbError> {
    let at = to_db_time(now());
    let events: Vec<&str> = new.events.iter().map(|e| e.as_str()).collect();
    let row = Row {
        id: uuid::Uuid::now_v7().to_string(),
        owner_token_id: new.owner_token_id.clone(),
        owner_name: new.owner_name.clone(),
        kind: new.kind.as_str().into(),
        target: new.target.clone(),
        format: new.format.as_str().into(),
        filter: filter_json(&new.filter),
        events: events.join(","),
        secret: (new.kind == Kind::Webhook).then(new_secret),
        previous_secret: None,
        previous_secret_until: None,
        link_key: hex::encode(random_bytes::<32>()),
        confirmed_at: (new.kind != Kind::Email).then_some(at),
        failing_since: None,
        paused_at: None,
        created_at: at,
    };
    diesel::insert_into(subscriptions::table)
        .values(&row)
        .execute(conn)?;
    row.into_domain()
}

/// One subscription, if `owner` may see it (`None`: an admin, who sees every one).
pub fn get(conn: &mut DbConn, id: &str, owner: Option<&str>) -> Result<Subscription, DbError> {
    let row: Row = subscriptions::table
        .find(id)
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .ok_or(DbError::NotFound)?;
    if owner.is_some_and(|o| o != row.owner_token_id) {
        return Err(DbError::NotFound);
    }
    row.into_domain()
}

/// The subscriptions `owner` may see (`None`: every one), oldest first.
pub fn list(conn: &mut DbConn, owner: Option<&str>) -> Result<Vec<Subscription>, DbError> {
    let mut query = subscriptions::table
        .select(Row::as_select())
        .order(subscriptions::id.asc())
        .into_boxed();
    if let Some(owner) = owner {
        query = query.filter(subscriptions::owner_token_id.eq(owner.to_string()));
    }
    query
        .load(conn)?
        .into_iter()
        .map(Row::into_domain)
        .collect()
}

/// Every subscription the fan-out makes deliveries for: confirmed and not paused.
pub fn listening(conn: &mut DbConn) -> Result<Vec<Subscription>, DbError> {
    subscriptions::table
        .filter(subscriptions::confirmed_at.is_not_null())
        .filter(subscriptions::paused_at.is_null())
        .select(Row::as_select())
        .order(subscriptions::id.asc())
        .load(conn)?
        .into_iter()
        .map(Row::into_domain)
        .collect()
}

/// Removes a subscription `owner` may see, with its deliveries.
pub fn delete(conn: &mut DbConn, id: &str, owner: Option<&str>) -> Result<(), DbError> {
    get(conn, id, owner)?;
    super::deliveries::delete_for(conn, id)?;
    diesel::delete(subscriptions::table.find(id)).execute(conn)?;
    Ok(())
}

/// A new secret for a webhook; the current one stays valid for [`PREVIOUS_SECRET_VALID`].
pub fn rotate_secret(
    conn: &mut DbConn,
    id: &str,
    owner: Option<&str>,
) -> Result<Subscription, DbError> {
    let current = get(conn, id, owner)?;
    if current.kind != Kind::Webhook {
        return Err(DbError::Invalid {
            field: "kind",
            message: "only a webhook has a secret".into(),
        });
    }
    diesel::update(subscriptions::table.find(id))
        .set((
            subscriptions::secret.eq(new_secret()),
            subscriptions::previous_secret.eq(current.secret),
            subscriptions::previous_secret_until.eq(to_db_time(now() + PREVIOUS_SECRET_VALID)),
        ))
        .execute(conn)?;
    get(conn, id, owner)
}

/// Resumes a paused subscription: its failure streak starts again.
pub fn resume(conn: &mut DbConn, id: &str, owner: Option<&str>) -> Result<Subscription, DbError> {
    get(conn, id, owner)?;
    diesel::update(subscriptions::table.find(id))
        .set((
            subscriptions::paused_at.eq(None::<chrono::NaiveDateTime>),
            subscriptions::failing_since.eq(None::<chrono::NaiveDateTime>),
        ))
        .execute(conn)?;
    get(conn, id, owner)
}

/// The subscription whose link carries `key`; not found when the key is wrong.
fn by_link(conn: &mut DbConn, id: &str, key: &str) -> Result<Subscription, DbError> {
    let sub = get(conn, id, None)?;
    let same = sub.link_key.len() == key.len()
        && sub
            .link_key
            .bytes()
            .zip(key.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if same {
        Ok(sub)
    } else {
        Err(DbError::NotFound)
    }
}

/// Follows an email confirmation link: from now on, the subscription hears its events.
pub fn confirm(conn: &mut DbConn, id: &str, key: &str) -> Result<Subscription, DbError> {
    let sub = by_link(conn, id, key)?;
    if sub.confirmed_at.is_none() {
        diesel::update(subscriptions::table.find(id))
            .set(subscriptions::confirmed_at.eq(to_db_time(now())))
            .execute(conn)?;
    }
    get(conn, id, None)
}

/// Follows an unsubscribe link (RFC 8058 one-click): the subscription is removed.
pub fn unsubscribe(conn: &mut DbConn, id: &str, key: &str) -> Result<(), DbError> {
    by_link(conn, id, key)?;
    delete(conn, id, None)
}

/// A failed delivery at `at`: starts the failure streak, or pauses the subscription once the
/// streak is `pause_after` long. Returns whether it is now paused.
pub fn record_failure(
    conn: &mut DbConn,
    id: &str,
    at: DateTime<Utc>,
    pause_after: Duration,
) -> Result<bool, DbError> {
    let since: Option<Option<chrono::NaiveDateTime>> = subscriptions::table
        .find(id)
        .select(subscriptions::failing_since)
        .first(conn)
        .optional()?;
    let Some(since) = since else {
        return Ok(false);
    };
    match since.map(from_db_time) {
        None => {
            diesel::update(subscriptions::table.find(id))
                .set(subscriptions::failing_since.eq(to_db_time(at)))
                .execute(conn)?;
            Ok(false)
        }
        Some(since) if at - since >= pause_after => {
            diesel::update(subscriptions::table.find(id))
                .filter(subscriptions::paused_at.is_null())
                .set(subscriptions::paused_at.eq(to_db_time(at)))
                .execute(conn)?;
            Ok(true)
        }
        Some(_) => Ok(false),
    }
}

/// The subscriptions with these ids (ids of removed ones are left out), in one query.
pub fn many(conn: &mut DbConn, ids: &[String]) -> Result<Vec<Subscription>, DbError> {
    subscriptions::table
        .filter(subscriptions::id.eq_any(ids))
        .select(Row::as_select())
        .load(conn)?
        .into_iter()
        .map(Row::into_domain)
        .collect()
}

/// Deliveries that went through, to these subscriptions: their failure streaks end, in one
/// statement.
pub fn record_successes(conn: &mut DbConn, ids: &[&str]) -> Result<(), DbError> {
    if ids.is_empty() {
        return Ok(());
    }
    diesel::update(subscriptions::table.filter(subscriptions::id.eq_any(ids)))
        .filter(subscriptions::failing_since.is_not_null())
        .set(subscriptions::failing_since.eq(None::<chrono::NaiveDateTime>))
        .execute(conn)?;
    Ok(())
}
