//! The outbox: the only bridge from the store to the search index.
//!
//! Guarantee: a row is appended in the same transaction as the change it announces, so a change
//! is announced if and only if it committed. Readers replay rows idempotently (the row names an
//! entity, not a diff), so duplicates and replays are harmless.
//!
//! Every change to what an incident shows (its fields, an entry, a link, its services, its report
//! count) is announced here, so [`append`] is also the one place that moves the incident's
//! `version` (`db::versions`): one statement with the outbox row on PostgreSQL, no extra round
//! trip. It moves once per announcement, so a transaction that announces an incident twice
//! moves it by two; versions are only compared for equality. An import announces its incidents
//! without moving them ([`append_keeping_version`]): their rows carry the versions they were
//! exported with.
//!
//! Tailing ([`tail`]) never skips a row. On SQLite one writer at a time means `seq` is in commit
//! order. On PostgreSQL a `BIGSERIAL` is handed out before commit, so rows become visible out of
//! order; there the reader only takes rows whose writing transaction (`txid`) is older than the
//! oldest transaction still running, which can no longer change, and walks them in
//! `(txid, seq)` order.
//!
//! Pruning ([`prune`]) deletes only rows that every live reader registered in `index_replicas`
//! (`db::replicas`) has passed and that are older than the retention, and records the highest
//! position it deleted (`outbox_pruned`). A reader below that mark has lost rows it never
//! applied; [`tail`] says so ([`Tail::pruned_past`]) and the reader starts over from the store.
//! The mark is read after the rows, so a prune that removed rows before the read is always seen.

mod horizon;
mod lag;
mod prune;

pub use horizon::{HeldBack, Holder, held_back, holder};
pub use lag::{Lag, lag, row_count};
pub use prune::{Pruned, prune, pruned_through};

use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Text, Timestamp};

use super::DbConn;
use super::convert::{now, to_db_time};
use super::error::DbError;
use super::schema::outbox;

/// What an outbox row announces a change of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    Incident,
}

impl Entity {
    /// The word stored in `outbox.entity`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Incident => "incident",
        }
    }
}

/// What happened, as far as the writer knows: what the notification fan-out
/// (`jobs::notifications`) tells subscribers. The search index ignores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Created,
    /// A new timeline entry, or a change of status, impact or anything else it shows.
    Updated,
    /// The change that moved the incident to resolved (a later edit of a resolved incident is
    /// [`Event::Updated`], so subscribers hear "resolved" once per resolution).
    Resolved,
    /// A report spike opened (or grew) on it.
    Spike,
    /// A link to another incident was made or changed.
    Link,
    /// A postmortem revision was saved published.
    Postmortem,
    /// An import of a whole store: never notified.
    Imported,
}

impl Event {
    /// The word stored in `outbox.event`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::Resolved => "resolved",
            Self::Spike => "spike",
            Self::Link => "link",
            Self::Postmortem => "postmortem",
            Self::Imported => "imported",
        }
    }

    /// The event of a saved incident row whose status went from `was` to `now`: resolved on
    /// the move to resolved, updated otherwise (before it, and for any later change).
    pub fn after_save(was: &str, now: &str) -> Self {
        let resolved = crate::domain::IncidentStatus::Resolved.as_str();
        if now == resolved && was != resolved {
            Self::Resolved
        } else {
            Self::Updated
        }
    }

    /// A postmortem revision: announced as a postmortem when published, an update otherwise.
    pub fn of_postmortem(published: bool) -> Self {
        if published {
            Self::Postmortem
        } else {
            Self::Updated
        }
    }
}

/// How it changed: `Upsert` when the row itself was written, `Update` when something that
/// belongs to it was (an entry, a link, a spike). Readers treat both alike today: they
/// re-read the whole entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Upsert,
    Update,
}

impl Operation {
    /// The word stored in `outbox.operation`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Upsert => "upsert",
            Self::Update => "update",
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox)]
pub struct OutboxRow {
    pub seq: i64,
    pub entity: String,
    pub entity_id: String,
    pub operation: String,
    pub event: String,
}

/// Announces that an entity changed, and moves an incident's version. Call it inside the write
/// transaction of the change. The event is [`Event::Updated`]; [`append_event`] says more.
pub fn append(
    conn: &mut DbConn,
    entity: Entity,
    entity_id: &str,
    operation: Operation,
) -> Result<(), DbError> {
    append_event(conn, entity, entity_id, operation, Event::Updated)
}

/// [`append`], saying what happened.
pub fn append_event(
    conn: &mut DbConn,
    entity: Entity,
    entity_id: &str,
    operation: Operation,
    event: Event,
) -> Result<(), DbError> {
    announce(
        conn,
        Announcement {
            entity,
            entity_id,
            operation,
            event,
        },
        entity == Entity::Incident,
    )
}

/// Announces an entity whose stored version stays as it is: the rows of an import, which
/// carry the versions they were exported with.
pub fn append_keeping_version(
    conn: &mut DbConn,
    entity: Entity,
    entity_id: &str,
    operation: Operation,
) -> Result<(), DbError> {
    let announcement = Announcement {
        entity,
        entity_id,
        operation,
        event: Event::Imported,
    };
    announce(conn, announcement, false)
}

struct Announcement<'a> {
    entity: Entity,
    entity_id: &'a str,
    operation: Operation,
    event: Event,
}

fn announce(conn: &mut DbConn, a: Announcement<'_>, bumps: bool) -> Result<(), DbError> {
    let (entity, entity_id) = (a.entity.as_str(), a.entity_id);
    let (operation, event) = (a.operation.as_str(), a.event.as_str());
    let created_at = to_db_time(now());
    match conn {
        DbConn::Sqlite(c) => {
            let row = super::sqlite_statements::OutboxRow {
                entity,
                entity_id,
                operation,
                event,
                created_at,
            };
            super::sqlite_statements::AppendOutbox(&row).execute(c)?;
            if bumps {
                let key = super::sqlite_statements::IncidentKey { id: entity_id };
                super::sqlite_statements::BumpVersion(&key).execute(c)?;
            }
        }
        DbConn::Postgres(c) if bumps => {
            AppendBumping {
                entity,
                entity_id,
                operation,
                event,
                created_at,
            }
            .execute(c)?;
        }
        DbConn::Postgres(c) => {
            diesel::insert_into(outbox::table)
                .values((
                    outbox::entity.eq(entity),
                    outbox::entity_id.eq(entity_id),
                    outbox::operation.eq(operation),
                    outbox::created_at.eq(created_at),
                    outbox::event.eq(event),
                ))
                .execute(c)?;
        }
    }
    crate::telemetry::metrics::count_write(entity, operation);
    Ok(())
}

/// On PostgreSQL, an incident's outbox row and its version bump in one statement.
struct AppendBumping<'a> {
    entity: &'a str,
    entity_id: &'a str,
    operation: &'a str,
    event: &'a str,
    created_at: chrono::NaiveDateTime,
}

impl QueryId for AppendBumping<'_> {
    type QueryId = AppendBumping<'static>;
    // One fixed SQL text: diesel keeps it prepared, found by this type.
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl QueryFragment<Pg> for AppendBumping<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("WITH bumped AS (UPDATE incidents SET version = version + 1 WHERE id = ");
        out.push_bind_param::<Text, _>(self.entity_id)?;
        out.push_sql(
            ") INSERT INTO outbox (entity, entity_id, operation, created_at, event) VALUES (",
        );
        out.push_bind_param::<Text, _>(self.entity)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(self.entity_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(self.operation)?;
        out.push_sql(", ");
        out.push_bind_param::<Timestamp, _>(&self.created_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(self.event)?;
        out.push_sql(")");
        Ok(())
    }
}

impl RunQueryDsl<PgConnection> for AppendBumping<'_> {}

/// Rows after `after`, oldest first.
pub fn read_after(conn: &mut DbConn, after: i64, limit: i64) -> Result<Vec<OutboxRow>, DbError> {
    Ok(outbox::table
        .filter(outbox::seq.gt(after))
        .order(outbox::seq.asc())
        .limit(limit)
        .select(OutboxRow::as_select())
        .load(conn)?)
}

/// The newest sequence number, 0 when the outbox is empty.
pub fn latest_seq(conn: &mut DbConn) -> Result<i64, DbError> {
    let max: Option<i64> = outbox::table
        .select(diesel::dsl::max(outbox::seq))
        .first(conn)?;
    Ok(max.unwrap_or(0))
}

/// How far a reader has got: every row at or before `(txid, seq)` is done. `txid` is always 0 on
/// SQLite.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub txid: u64,
    pub seq: i64,
}

/// Rows after a position, and the horizon they were read under.
#[derive(Debug, Clone)]
pub struct Tail {
    pub rows: Vec<(Position, OutboxRow)>,
    /// When `rows` came back short of the limit, the reader has seen everything committed before
    /// this mark (compare it with [`consistency_mark`]).
    pub horizon: u64,
    /// Set when rows after the reader's position were pruned: the highest pruned position. The
    /// reader missed them and must rebuild from the store rather than apply `rows`.
    pub pruned_past: Option<Position>,
}

/// Up to `limit` rows after `after`, in an order in which no later read can find an earlier row.
pub fn tail(conn: &mut DbConn, after: Position, limit: i64) -> Result<Tail, DbError> {
    let mut tail = tail_rows(conn, after, limit)?;
    // After the rows: a prune committed before they were read is visible here.
    let pruned = pruned_through(conn)?;
    tail.pruned_past = (pruned > after).then_some(pruned);
    Ok(tail)
}

fn tail_rows(conn: &mut DbConn, after: Position, limit: i64) -> Result<Tail, DbError> {
    match conn {
        DbConn::Sqlite(_) => {
            let horizon = latest_seq(conn)?;
            let rows = outbox::table
                .filter(outbox::seq.gt(after.seq))
                .filter(outbox::seq.le(horizon))
                .order(outbox::seq.asc())
                .limit(limit)
                .select(OutboxRow::as_select())
                .load(conn)?;
            Ok(Tail {
                rows: rows
                    .into_iter()
                    .map(|r| {
                        (
                            Position {
                                txid: 0,
                                seq: r.seq,
                            },
                            r,
                        )
                    })
                    .collect(),
                horizon: horizon.max(0) as u64,
                pruned_past: None,
            })
        }
        DbConn::Postgres(pg) => {
            // Taken first, in its own statement: every transaction below it has finished, so the
            // rows read next below it are final.
            let horizon: u64 =
                diesel::sql_query("SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS mark")
                    .get_result::<Mark>(pg)?
                    .value()?;
            let rows: Vec<PgTailRow> = diesel::sql_query(
                "SELECT seq, entity, entity_id, operation, event, txid::text AS txid FROM outbox \
                 WHERE txid < $1::text::xid8 AND (txid, seq) > ($2::text::xid8, $3) \
                 ORDER BY txid, seq LIMIT $4",
            )
            .bind::<Text, _>(horizon.to_string())
            .bind::<Text, _>(after.txid.to_string())
            .bind::<BigInt, _>(after.seq)
            .bind::<BigInt, _>(limit)
            .load(pg)?;
            let rows = rows
                .into_iter()
                .map(|r| {
                    let txid = parse_xid(&r.txid)?;
                    Ok((
                        Position { txid, seq: r.seq },
                        OutboxRow {
                            seq: r.seq,
                            entity: r.entity,
                            entity_id: r.entity_id,
                            operation: r.operation,
                            event: r.event,
                        },
                    ))
                })
                .collect::<Result<_, DbError>>()?;
            Ok(Tail {
                rows,
                horizon,
                pruned_past: None,
            })
        }
    }
}

/// The position a reader may start from after reading the whole store now: everything the
/// store shows at this moment is covered by it.
pub fn start_position(conn: &mut DbConn) -> Result<Position, DbError> {
    match conn {
        // Pruning may have emptied the outbox; sequence numbers still go on from the mark.
        DbConn::Sqlite(_) => Ok(Position {
            txid: 0,
            seq: latest_seq(conn)?.max(pruned_through(conn)?.seq),
        }),
        // Rows of transactions below xmin are all visible to the scan that follows; later ones
        // are replayed, which is harmless.
        DbConn::Postgres(pg) => Ok(Position {
            txid: diesel::sql_query("SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS mark")
                .get_result::<Mark>(pg)?
                .value()?,
            seq: 0,
        }),
    }
}

/// A mark that a reader's [`Tail::horizon`] reaches once it has seen every write committed
/// before this call.
pub fn consistency_mark(conn: &mut DbConn) -> Result<u64, DbError> {
    match conn {
        DbConn::Sqlite(_) => Ok(latest_seq(conn)?.max(0) as u64),
        DbConn::Postgres(pg) => {
            diesel::sql_query("SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS mark")
                .get_result::<Mark>(pg)?
                .value()
        }
    }
}

#[derive(QueryableByName)]
struct Mark {
    #[diesel(sql_type = Text)]
    mark: String,
}

impl Mark {
    fn value(&self) -> Result<u64, DbError> {
        parse_xid(&self.mark)
    }
}

#[derive(QueryableByName)]
struct PgTailRow {
    #[diesel(sql_type = BigInt)]
    seq: i64,
    #[diesel(sql_type = Text)]
    entity: String,
    #[diesel(sql_type = Text)]
    entity_id: String,
    #[diesel(sql_type = Text)]
    operation: String,
    #[diesel(sql_type = Text)]
    event: String,
    #[diesel(sql_type = Text)]
    txid: String,
}

fn parse_xid(text: &str) -> Result<u64, DbError> {
    text.parse().map_err(|_| DbError::Corrupt {
        table: "outbox",
        message: format!("transaction id {text:?}"),
    })
}
