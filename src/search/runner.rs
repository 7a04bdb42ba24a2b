//! The indexer thread's loop, and the one-shot catch-up of command-line searches.

use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use super::horizon::HorizonWatch;
use super::index_dir::IndexRoot;
use super::indexer::{self, Writable};
use super::replica::Registration;
use super::{Command, Live, POLL, Search, SearchError, WeakSearch};

/// Batches per pass before the loop looks at its commands again.
const BATCHES_PER_PASS: usize = 20;

pub(super) fn run(me: WeakSearch, root: IndexRoot, rx: Receiver<Command>, replica: Registration) {
    let mut runner = Runner {
        root,
        replica,
        writable: None,
        must_rebuild: None,
        watch: HorizonWatch::default(),
        wait: POLL,
    };
    loop {
        let Some(search) = me.upgrade() else { return };
        runner.pass(&search);
        drop(search);
        if runner.must_rebuild.is_some() {
            continue;
        }
        match rx.recv_timeout(runner.wait) {
            Ok(Command::Wake) | Err(RecvTimeoutError::Timeout) => {}
            Ok(Command::Stop) | Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// The indexer thread's state between passes.
struct Runner {
    root: IndexRoot,
    replica: Registration,
    writable: Option<Writable>,
    /// Set when the open index cannot go on (rows it never applied were pruned): rebuild.
    must_rebuild: Option<SearchError>,
    watch: HorizonWatch,
    wait: Duration,
}

impl Runner {
    /// One pass: (re)open the index if needed, apply what the outbox has, beat.
    fn pass(&mut self, search: &Search) {
        let switched = self
            .writable
            .as_ref()
            .is_some_and(|w| self.root.current().as_deref() != Some(w.generation.as_str()));
        if switched {
            tracing::info!("another process rebuilt the search index; switching to it");
            self.writable = None;
        }
        if self.writable.is_none() {
            self.open(search);
        }
        self.catch_up(search);
        // Alive even while the index cannot be opened: the last position still holds.
        if let Some(position) = search.position() {
            self.replica.maybe_beat(search.db(), position);
        }
    }

    fn open(&mut self, search: &Search) {
        let opened = match self.must_rebuild.take() {
            Some(why) => rebuild_because(search, &self.root, why),
            None => open_or_rebuild(search, &self.root),
        };
        match opened {
            Ok(w) => {
                search.set_live(live_of(&w));
                search.set_position(w.position());
                self.root.remove_stale();
                self.writable = Some(w);
                self.wait = POLL;
            }
            Err(e) => {
                tracing::error!(error = %e, "the search index cannot be opened; retrying");
                self.wait = (self.wait * 2).min(Duration::from_secs(30));
            }
        }
    }

    fn catch_up(&mut self, search: &Search) {
        let Some(w) = self.writable.as_mut() else {
            return;
        };
        match w.catch_up(search.db(), BATCHES_PER_PASS) {
            Ok(done) => {
                search.set_position(w.position());
                if let Some(horizon) = done.horizon {
                    search.publish_caught_up(horizon);
                    self.watch.check(search.db());
                }
            }
            Err(e @ SearchError::PrunedPast { .. }) => {
                self.writable = None;
                self.must_rebuild = Some(e);
            }
            Err(e) => {
                // The writer may be broken (say, its directory was removed): start over
                // from the last durable checkpoint.
                tracing::error!(error = %e, "indexing failed; reopening the index");
                self.writable = None;
            }
        }
    }
}

/// Opens the current generation, or builds a new one and says why.
fn open_or_rebuild(search: &Search, root: &IndexRoot) -> Result<Writable, SearchError> {
    match root.open_current() {
        Ok(opened) => Writable::from_opened(opened),
        Err(e) => rebuild_because(search, root, e),
    }
}

/// Builds a new generation when the current one is absent or unusable, saying why; passes any
/// other error on.
fn rebuild_because(
    search: &Search,
    root: &IndexRoot,
    e: SearchError,
) -> Result<Writable, SearchError> {
    match e {
        SearchError::Absent => {
            tracing::info!(index = %root.path().display(), "building the search index from the database");
        }
        SearchError::Unusable(why) => {
            tracing::warn!(index = %root.path().display(), reason = %why, "rebuilding the search index from the database");
        }
        SearchError::PrunedPast {
            position,
            pruned_through,
        } => {
            tracing::warn!(
                index = %root.path().display(),
                ?position,
                ?pruned_through,
                "rebuilding the search index from the database: outbox rows it had not applied \
                 were pruned (it was stopped or silent for longer than AFTERMATH_OUTBOX_RETENTION)"
            );
        }
        other => return Err(other),
    }
    let started = std::time::Instant::now();
    let (writable, entries) = indexer::rebuild(search.db(), root, &|_, _| {})?;
    tracing::info!(
        entries,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "search index rebuilt"
    );
    Ok(writable)
}

/// For a command: brings the index up to date if this process can take the writer, otherwise
/// reads what the process holding it has indexed.
/// Opens the index once in this thread and catches it up with every write committed before
/// `mark`, waiting at most `wait` for transactions still open elsewhere (PostgreSQL hands out
/// outbox positions before commit). Returns whether it got there; `true` when a server holds
/// the writer, since it is the one keeping the index current.
pub(super) fn open_once(
    search: &Search,
    root: &IndexRoot,
    mark: u64,
    wait: Duration,
) -> Result<bool, SearchError> {
    let until = (mark, Instant::now() + wait);
    match root.open_current() {
        Ok(opened) => {
            let readonly = Live {
                reader: indexer::reader_of(&opened.index)?,
                index: opened.index.clone(),
                fields: opened.fields,
            };
            match Writable::from_opened(opened) {
                Ok(mut w) => {
                    let reached = drain_or_rebuild(search, root, &mut w, until)?;
                    search.set_live(live_of(&w));
                    Ok(reached)
                }
                Err(SearchError::Tantivy(tantivy::TantivyError::LockFailure(..))) => {
                    search.set_live(readonly);
                    Ok(true)
                }
                Err(e) => Err(e),
            }
        }
        Err(e) => {
            let mut w = rebuild_because(search, root, e)?;
            let reached = drain_or_rebuild(search, root, &mut w, until)?;
            search.set_live(live_of(&w));
            Ok(reached)
        }
    }
}

/// [`drain`], after a rebuild when the outbox was pruned past the index.
fn drain_or_rebuild(
    search: &Search,
    root: &IndexRoot,
    w: &mut Writable,
    until: (u64, Instant),
) -> Result<bool, SearchError> {
    match drain(search, w, until) {
        Err(e @ SearchError::PrunedPast { .. }) => {
            *w = rebuild_because(search, root, e)?;
            drain(search, w, until)
        }
        other => other,
    }
}

/// Catches up until the horizon passes `mark` or the deadline passes; whether it got there.
fn drain(
    search: &Search,
    w: &mut Writable,
    (mark, deadline): (u64, Instant),
) -> Result<bool, SearchError> {
    loop {
        let done = w.catch_up(search.db(), BATCHES_PER_PASS)?;
        let Some(horizon) = done.horizon else {
            continue;
        };
        search.publish_caught_up(horizon);
        if horizon >= mark {
            return Ok(true);
        }
        if Instant::now() >= deadline {
            return Ok(false);
        }
        // A transaction elsewhere still holds the horizon back; it ends soon or never.
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub(super) fn live_of(w: &Writable) -> Live {
    Live {
        index: w.index.clone(),
        reader: w.reader.clone(),
        fields: w.fields,
    }
}
