//! Claiming due deliveries: one statement that leases them, in order, to one worker.
//!
//! Written as SQL rather than diesel's DSL: the order rule is a correlated `NOT EXISTS` over
//! the same table joined to its subscription, which the DSL can say only through aliases
//! that hide it. The two texts differ only in placeholders and PostgreSQL's
//! `FOR UPDATE OF d SKIP LOCKED`.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text, Timestamp};

use super::super::DbConn;
use super::super::convert::{from_db_time, to_db_time};
use super::super::error::DbError;
use super::CONFIRMATION;

/// A leased delivery, ready to send.
#[derive(Debug, Clone, QueryableByName)]
pub struct Claimed {
    #[diesel(sql_type = BigInt)]
    pub seq: i64,
    #[diesel(sql_type = Text)]
    pub id: String,
    #[diesel(sql_type = Text)]
    pub subscription_id: String,
    #[diesel(sql_type = Text)]
    pub event: String,
    #[diesel(sql_type = Text)]
    pub incident_key: String,
    #[diesel(sql_type = Text)]
    pub body: String,
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
    #[diesel(sql_type = Timestamp)]
    created_at: chrono::NaiveDateTime,
}

impl Claimed {
    pub fn created_at(&self) -> DateTime<Utc> {
        from_db_time(self.created_at)
    }
}

const CLAIMABLE: &str = "SELECT d.seq FROM deliveries d JOIN subscriptions s ON s.id = d.subscription_id \
     WHERE d.state = 'pending' AND d.next_attempt_at <= $NOW \
     AND (d.lease_until IS NULL OR d.lease_until < $NOW) \
     AND s.paused_at IS NULL \
     AND (s.confirmed_at IS NOT NULL OR d.event = $CONFIRM) \
     AND NOT EXISTS (SELECT 1 FROM deliveries e WHERE e.subscription_id = d.subscription_id \
         AND e.incident_key = d.incident_key AND e.state = 'pending' AND e.seq < d.seq) \
     ORDER BY d.seq LIMIT $LIMIT";

const RETURNING: &str =
    " RETURNING seq, id, subscription_id, event, incident_key, body, attempts, created_at";

fn statement(pg: bool) -> String {
    let (owner, until, now, confirm, limit) = if pg {
        ("$1", "$2", "$3", "$4", "$5")
    } else {
        ("?1", "?2", "?3", "?4", "?5")
    };
    let inner = CLAIMABLE
        .replace("$NOW", now)
        .replace("$CONFIRM", confirm)
        .replace("$LIMIT", limit);
    let lock = if pg {
        " FOR UPDATE OF d SKIP LOCKED"
    } else {
        ""
    };
    format!(
        "UPDATE deliveries SET lease_owner = {owner}, lease_until = {until} \
         WHERE seq IN ({inner}{lock}){RETURNING}"
    )
}

/// Leases up to `limit` due deliveries that nobody holds and that are next in their order to
/// `owner` until `lease_until`, and returns them in order. Concurrent claims never return the
/// same delivery.
pub fn claim(
    conn: &mut DbConn,
    owner: &str,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Claimed>, DbError> {
    let (now, until) = (to_db_time(now), to_db_time(lease_until));
    let mut claimed: Vec<Claimed> = match conn {
        DbConn::Postgres(pg) => diesel::sql_query(statement(true))
            .bind::<Text, _>(owner)
            .bind::<Timestamp, _>(until)
            .bind::<Timestamp, _>(now)
            .bind::<Text, _>(CONFIRMATION)
            .bind::<BigInt, _>(limit)
            .load(pg)?,
        DbConn::Sqlite(lite) => diesel::sql_query(statement(false))
            .bind::<Text, _>(owner)
            .bind::<Timestamp, _>(until)
            .bind::<Timestamp, _>(now)
            .bind::<Text, _>(CONFIRMATION)
            .bind::<BigInt, _>(limit)
            .load(lite)?,
    };
    // RETURNING gives no order.
    claimed.sort_by_key(|c| c.seq);
    Ok(claimed)
}
