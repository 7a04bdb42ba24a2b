//! How far behind a reader is: what `/healthz` and `/metrics` report.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::dsl::{count_star, min};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};

use super::Position;
use crate::db::convert::opt_from_db;
use crate::db::schema::outbox;
use crate::db::{DbConn, DbError};

/// The committed rows a reader at some position has not applied yet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Lag {
    /// How many there are.
    pub behind_rows: i64,
    /// When the oldest of them was written; `None` when the reader is caught up.
    pub oldest: Option<DateTime<Utc>>,
}

impl Lag {
    /// The age of the oldest row not applied, in seconds; 0 when caught up.
    pub fn seconds(&self, now: DateTime<Utc>) -> f64 {
        self.oldest.map_or(0.0, |t| {
            ((now - t).num_milliseconds().max(0) as f64) / 1000.0
        })
    }
}

#[derive(QueryableByName)]
struct LagRow {
    #[diesel(sql_type = BigInt)]
    n: i64,
    #[diesel(sql_type = Nullable<Timestamp>)]
    oldest: Option<NaiveDateTime>,
}

/// The rows committed after `after`, whether or not the reader can take them yet.
pub fn lag(conn: &mut DbConn, after: Position) -> Result<Lag, DbError> {
    let (n, oldest) = match conn {
        DbConn::Sqlite(c) => outbox::table
            .filter(outbox::seq.gt(after.seq))
            .select((count_star(), min(outbox::created_at)))
            .get_result::<(i64, Option<NaiveDateTime>)>(c)?,
        DbConn::Postgres(c) => {
            let row: LagRow = diesel::sql_query(
                "SELECT count(*) AS n, min(created_at) AS oldest FROM outbox \
                 WHERE (txid, seq) > ($1::text::xid8, $2)",
            )
            .bind::<Text, _>(after.txid.to_string())
            .bind::<BigInt, _>(after.seq)
            .get_result(c)?;
            (row.n, row.oldest)
        }
    };
    Ok(Lag {
        behind_rows: n,
        oldest: opt_from_db(oldest),
    })
}

/// The rows in the outbox.
pub fn row_count(conn: &mut DbConn) -> Result<i64, DbError> {
    Ok(outbox::table.count().get_result(conn)?)
}
