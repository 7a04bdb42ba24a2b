//! Full-text search over every incident, with tantivy.
//!
//! Rules:
//! - The index is derived: the database is the truth, and the index can be deleted and rebuilt
//!   from it at any time (`aftermath reindex`, or by itself when it is missing, unreadable or of
//!   another schema version; the log says why).
//! - One indexer thread per process owns the writer ([`indexer`]); everything else only reads.
//!   It wakes on a command or every [`POLL`], so other instances' writes on a shared PostgreSQL
//!   arrive within a second.
//! - A server's index registers itself among the outbox's readers with its position and beats
//!   ([`replica`]), so the outbox is pruned only behind it. If rows it never applied were pruned
//!   anyway (it was away for longer than the retention), it rebuilds and says why.
//! - On PostgreSQL the indexer also tells a horizon held by a long transaction from real lag,
//!   and names the backend holding it ([`horizon`]).
//! - [`Search::wait_until_consistent`] lets a caller wait, bounded, until every write committed
//!   before it is searchable; tests use it instead of sleeping.
//! - `search` reads the store only through `db`, and knows nothing of `http`.

mod analyzers;
mod cascade;
mod document;
mod facet_counts;
mod fuzzy;
mod hit;
mod horizon;
mod index_dir;
mod indexer;
// Saved searches of notifications, matched against a batch.
pub mod matcher;
mod plain;
mod proximity;
pub mod query;
mod replica;
mod request;
mod runner;
mod schema;
mod similar;
mod snippets;
pub mod suggest;
pub mod understand;

use std::path::Path;
use std::sync::{Arc, Mutex, RwLock, Weak, mpsc};
use std::time::Duration;

use tantivy::{Index, IndexReader};

pub use index_dir::IndexRoot;
pub use plain::{Plan, Planned};
pub use query::{AppliedFilter, Facets, Hit, SearchRequest, SearchResults, Sort};
pub use request::{SearchWords, parse_request};
pub use schema::{Fields, SCHEMA_VERSION};
pub use understand::is_stop_word;

use crate::db::outbox::Position;
use crate::db::{Db, DbError};

/// How often the indexer looks at the outbox when nobody wakes it.
pub const POLL: Duration = Duration::from_millis(250);

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("the search index is being built; try again shortly")]
    NotReady,
    #[error("no search index has been built here yet")]
    Absent,
    #[error("the search index cannot be used: {0}")]
    Unusable(String),
    #[error("invalid search: {0}")]
    BadRequest(String),
    #[error("no such incident in the index")]
    NotFound,
    /// Outbox rows this index never applied were pruned: it was away (or silent) for longer
    /// than the retention. Only a rebuild from the store can bring it back.
    #[error(
        "outbox rows this index had not applied were pruned (it is at {position:?}, the outbox \
         was pruned through {pruned_through:?})"
    )]
    PrunedPast {
        position: crate::db::outbox::Position,
        pruned_through: crate::db::outbox::Position,
    },
    #[error("index: {0}")]
    Index(String),
    #[error(transparent)]
    Tantivy(#[from] tantivy::TantivyError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// What searches read: swapped whole when the indexer switches generations.
#[derive(Clone)]
pub struct Live {
    pub index: Index,
    pub reader: IndexReader,
    pub fields: Fields,
}

impl Live {
    /// An empty index in memory, with this schema and analyzers (for benchmarks).
    pub fn in_memory() -> Result<Self, SearchError> {
        let (schema, fields) = schema::build();
        let index = Index::create_in_ram(schema);
        analyzers::register(&index);
        Ok(Self {
            reader: indexer::reader_of(&index)?,
            index,
            fields,
        })
    }
}

pub(crate) enum Command {
    Wake,
    Stop,
}

/// A handle on the index of this process; cheap to clone.
#[derive(Clone)]
pub struct Search {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    live: RwLock<Option<Live>>,
    /// `None` until the index is open; then how far it has caught up with the outbox.
    caught_up: tokio::sync::watch::Sender<Option<u64>>,
    /// The outbox position the index has committed (or, before it opens, the one it starts
    /// from), for the lag `/healthz` and `/metrics` report.
    position: Mutex<Option<Position>>,
    commands: Mutex<Option<mpsc::Sender<Command>>>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Search {
    /// Starts the indexer thread for a server, after registering the index among the outbox's
    /// readers (it then beats at least every `heartbeat`). The index opens (or rebuilds) in that
    /// thread; until it is ready, searches answer [`SearchError::NotReady`].
    pub fn start(db: Db, data_dir: &Path, heartbeat: Duration) -> Result<Self, SearchError> {
        let search = Self::new(db);
        let (tx, rx) = mpsc::channel();
        let root = IndexRoot::new(data_dir);
        // Where the index on disk is; a new one starts no earlier than the outbox does now.
        let position = match root.stored_position() {
            Some(p) => p,
            None => search.db().run(crate::db::outbox::start_position)?,
        };
        let registration =
            replica::Registration::register(search.db(), &root, heartbeat, position)?;
        search.set_position(position);
        // Weak, so the thread ends once every handle is gone even if nobody called `stop`.
        let me = Arc::downgrade(&search.inner);
        let handle = std::thread::Builder::new()
            .name("indexer".into())
            .spawn(move || runner::run(WeakSearch(me), root, rx, registration))?;
        *lock(&search.inner.commands) = Some(tx);
        *lock(&search.inner.thread) = Some(handle);
        Ok(search)
    }

    /// For a command-line search: catches up in this thread with every write committed before
    /// the call (waiting at most `wait` for transactions still open elsewhere) when no server
    /// holds the writer, otherwise reads what the server has indexed. Also returns whether it
    /// caught up, for the answer's `consistent`.
    pub fn open_for_cli(
        db: Db,
        data_dir: &Path,
        wait: Duration,
    ) -> Result<(Self, bool), SearchError> {
        let mark = db.run(crate::db::outbox::consistency_mark)?;
        let search = Self::new(db);
        let root = IndexRoot::new(data_dir);
        let consistent = runner::open_once(&search, &root, mark, wait)?;
        Ok((search, consistent))
    }

    fn new(db: Db) -> Self {
        Self {
            inner: Arc::new(Inner {
                db,
                live: RwLock::new(None),
                caught_up: tokio::sync::watch::channel(None).0,
                position: Mutex::new(None),
                commands: Mutex::new(None),
                thread: Mutex::new(None),
            }),
        }
    }

    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    pub(crate) fn set_live(&self, live: Live) {
        *self.inner.live.write().unwrap_or_else(|p| p.into_inner()) = Some(live);
    }

    pub(crate) fn set_position(&self, position: Position) {
        *lock(&self.inner.position) = Some(position);
    }

    /// The outbox position this index has reached; `None` for a command-line search that has
    /// not opened it yet.
    pub fn position(&self) -> Option<Position> {
        *lock(&self.inner.position)
    }

    pub(crate) fn publish_caught_up(&self, horizon: u64) {
        self.inner.caught_up.send_if_modified(|v| {
            let moved = v.is_none_or(|old| horizon > old);
            if moved {
                *v = Some(horizon);
            }
            moved
        });
    }

    /// The index as it is now, for one search.
    pub fn live(&self) -> Result<Live, SearchError> {
        self.inner
            .live
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or(SearchError::NotReady)
    }

    /// Wakes the indexer now rather than at its next poll.
    pub fn wake(&self) {
        if let Some(tx) = lock(&self.inner.commands).as_ref() {
            let _ = tx.send(Command::Wake);
        }
    }

    /// Waits until every write committed before this call is searchable, or `timeout` passes.
    /// Returns whether it got there.
    pub async fn wait_until_consistent(&self, timeout: Duration) -> Result<bool, SearchError> {
        let db = self.inner.db.clone();
        let target =
            tokio::task::spawn_blocking(move || db.run(crate::db::outbox::consistency_mark))
                .await
                .map_err(|e| SearchError::Index(e.to_string()))??;
        Ok(self.wait_for_mark(target, timeout, true).await)
    }

    /// Waits, at most `timeout`, until the index is open and has caught up once. A server
    /// answers searches right after it starts; on its first start the index is still being
    /// built, and a short wait beats a 503.
    pub async fn wait_until_ready(&self, timeout: Duration) -> bool {
        let mut rx = self.inner.caught_up.subscribe();
        matches!(
            tokio::time::timeout(timeout, rx.wait_for(Option::is_some)).await,
            Ok(Ok(_))
        )
    }

    /// Waits until the indexer has caught up with `mark` (from `db::outbox::consistency_mark`).
    /// With `wake`, the indexer is asked to look now rather than at its next poll.
    pub async fn wait_for_mark(&self, mark: u64, timeout: Duration, wake: bool) -> bool {
        let mut rx = self.inner.caught_up.subscribe();
        let reached = |v: &Option<u64>| v.is_some_and(|v| v >= mark);
        if reached(&rx.borrow()) {
            return true;
        }
        if wake {
            self.wake();
        }
        matches!(
            tokio::time::timeout(timeout, rx.wait_for(reached)).await,
            Ok(Ok(_))
        )
    }

    /// Stops the indexer thread and waits for it, releasing the writer.
    pub fn stop(&self) {
        if let Some(tx) = lock(&self.inner.commands).take() {
            let _ = tx.send(Command::Stop);
        }
        if let Some(handle) = lock(&self.inner.thread).take() {
            let _ = handle.join();
        }
    }
}

/// The indexer thread's hold on its handle.
pub(crate) struct WeakSearch(Weak<Inner>);

impl WeakSearch {
    pub(crate) fn upgrade(&self) -> Option<Search> {
        self.0.upgrade().map(|inner| Search { inner })
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Search {
    /// Runs a search on the index as it is now. Blocking (CPU only); call it off the event loop.
    pub fn query(&self, request: &SearchRequest) -> Result<SearchResults, SearchError> {
        query::run(&self.live()?, request)
    }

    /// Services, components and incident titles matching what has been typed so far.
    pub fn suggest(&self, q: &str) -> Result<suggest::Suggestions, SearchError> {
        suggest::suggest(&self.live()?, q)
    }

    /// Past incidents most like this one.
    pub fn similar(&self, incident_id: &str, limit: usize) -> Result<Vec<Hit>, SearchError> {
        similar::similar_to(&self.live()?, incident_id, limit)
    }

    /// Rebuilds the index from the database into a new generation and switches to it; the old
    /// one keeps serving (here and in any server on the same data directory) until then.
    /// `progress` hears (incidents done, incidents in all). Returns the entries indexed.
    pub fn rebuild(
        data_dir: &Path,
        db: &Db,
        progress: &dyn Fn(u64, u64),
    ) -> Result<u64, SearchError> {
        let root = IndexRoot::new(data_dir);
        let (writable, entries) = indexer::rebuild(db, &root, progress)?;
        drop(writable);
        root.remove_stale();
        Ok(entries)
    }
}
