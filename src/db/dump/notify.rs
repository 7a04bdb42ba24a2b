//! Notification subscriptions and deliveries in an export.
//!
//! Rules:
//! - A webhook subscription's signing secrets (the current and the previous one) are secrets,
//!   and so is a Slack subscription's target: a Slack incoming-webhook URL lets anyone who has
//!   it post to the channel. Without [`Secrets::Include`] they are left out; the importing
//!   store gives each webhook subscription a new secret and pauses each Slack subscription
//!   (its owner subscribes again), and says how many.
//! - The `link_key` of confirm and unsubscribe links goes out: it is in the bodies of the mail
//!   deliveries that move with the store, which would otherwise carry links that lead nowhere.
//! - A delivery's lease is a running worker's claim, meaningless in another store.
//! - On PostgreSQL, the sequences behind `deliveries.seq` and `delivery_attempts.id` are moved
//!   past the imported rows, so the next delivery follows them.

use diesel::prelude::*;
use serde_json::Value;

use super::super::convert::{now, to_db_time};
use super::super::schema::subscriptions;
use super::super::{DbConn, DbError};
use super::Secrets;

/// A subscription row as it may leave the store.
pub(super) fn subscription_for_export(mut row: Value, secrets: Secrets) -> Value {
    if secrets == Secrets::Leave {
        for field in ["secret", "previous_secret", "previous_secret_until"] {
            if let Some(value) = row.get_mut(field) {
                *value = Value::Null;
            }
        }
        if row.get("kind").and_then(Value::as_str) == Some("slack")
            && let Some(target) = row.get_mut("target")
        {
            *target = Value::String(String::new());
        }
    }
    row
}

/// A delivery row as it may leave the store: without its lease.
pub(super) fn delivery_for_export(mut row: Value) -> Value {
    for field in ["lease_owner", "lease_until"] {
        if let Some(value) = row.get_mut(field) {
            *value = Value::Null;
        }
    }
    row
}

/// What [`after_import`] did.
pub(super) struct Fixed {
    pub(super) new_secrets: usize,
    pub(super) slack_paused: usize,
}

/// After the rows are in: new secrets, paused Slack subscriptions, sequences moved on.
pub(super) fn after_import(conn: &mut DbConn) -> Result<Fixed, DbError> {
    let ids: Vec<String> = subscriptions::table
        .filter(subscriptions::kind.eq("webhook"))
        .filter(subscriptions::secret.is_null())
        .select(subscriptions::id)
        .load(conn)?;
    for id in &ids {
        diesel::update(subscriptions::table.find(id))
            .set(subscriptions::secret.eq(super::super::subscriptions::new_secret()))
            .execute(conn)?;
    }
    let slack_paused = diesel::update(
        subscriptions::table
            .filter(subscriptions::kind.eq("slack"))
            .filter(subscriptions::target.eq(""))
            .filter(subscriptions::paused_at.is_null()),
    )
    .set(subscriptions::paused_at.eq(to_db_time(now())))
    .execute(conn)?;
    if let DbConn::Postgres(pg) = conn {
        for (table, column) in [("deliveries", "seq"), ("delivery_attempts", "id")] {
            // Fixed names from the list above, not input.
            diesel::sql_query(format!(
                "SELECT setval(pg_get_serial_sequence('{table}', '{column}'), \
                 COALESCE((SELECT MAX({column}) FROM {table}), 0) + 1, false)"
            ))
            .execute(pg)?;
        }
    }
    Ok(Fixed {
        new_secrets: ids.len(),
        slack_paused,
    })
}
