//! The leader: the one instance, among those sharing a database, that runs the minute jobs
//! (live spike evaluation and the link recomputation after it; outbox pruning).
//!
//! Rules:
//! - On PostgreSQL, leading is holding the store's advisory lock (`db::leadership`) on a
//!   connection of its own, kept open by an election thread. A leader checks every
//!   [`CHECK_EVERY`] that its connection answers and steps down when it does not; the others try
//!   the lock every [`RETRY_EVERY`]. A leader that dies closes its connection, PostgreSQL frees
//!   the lock, and another instance takes it at its next try: well within two minutes.
//! - On SQLite the one process leads from the start and never stops.
//! - [`Leader`] is a cheap, cloneable handle: jobs ask [`Leader::is_leader`] at each beat, or
//!   wait for a change with [`Leader::changed`] (a new leader runs its jobs at once).
//! - Stopping ([`Leader::stop`], or dropping every handle) unlocks explicitly and closes the
//!   connection, so a stopping instance hands over without waiting for anything to time out.
//! - Every change of leadership is logged at info, with this process's instance id.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::watch;

use crate::db::{Backend, Db, DbConn, DbError, leadership};

/// How often a non-leader tries to take the lock.
pub const RETRY_EVERY: Duration = Duration::from_secs(15);
/// How often the leader checks that its connection (and so its lock) is still there.
pub const CHECK_EVERY: Duration = Duration::from_secs(5);

/// Whether this process leads; see the module rules.
#[derive(Clone)]
pub struct Leader {
    state: watch::Receiver<bool>,
    control: Arc<Control>,
}

struct Control {
    /// Dropping it (explicitly, or with the last handle) ends the election thread.
    stop: Mutex<Option<mpsc::Sender<()>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
    /// For a fixed state (SQLite): keeps the channel open, so [`Leader::changed`] waits.
    _fixed: Option<watch::Sender<bool>>,
}

impl Leader {
    /// Joins the election for this database: PostgreSQL's advisory lock, or SQLite's one process.
    pub fn start(db: &Db) -> Self {
        match db.backend() {
            Backend::Sqlite => Self::alone(),
            Backend::Postgres => Self::elect(db.clone()),
        }
    }

    /// A process that leads alone, from the start.
    pub fn alone() -> Self {
        let (tx, rx) = watch::channel(true);
        tracing::info!(instance = super::instance_id(), "leading alone (SQLite)");
        Self {
            state: rx,
            control: Arc::new(Control {
                stop: Mutex::new(None),
                thread: Mutex::new(None),
                _fixed: Some(tx),
            }),
        }
    }

    fn elect(db: Db) -> Self {
        let (tx, rx) = watch::channel(false);
        let (stop_tx, stop_rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("leader-election".into())
            .spawn(move || Election::new(db, tx).run(&stop_rx));
        let thread = match thread {
            Ok(handle) => Some(handle),
            Err(e) => {
                // Without the thread this instance never leads; the others still can.
                tracing::error!(error = %e, "cannot start the leader election");
                None
            }
        };
        Self {
            state: rx,
            control: Arc::new(Control {
                stop: Mutex::new(Some(stop_tx)),
                thread: Mutex::new(thread),
                _fixed: None,
            }),
        }
    }

    pub fn is_leader(&self) -> bool {
        *self.state.borrow()
    }

    /// Waits for leadership to change and returns the new state; never returns once it cannot
    /// change any more.
    pub async fn changed(&mut self) -> bool {
        if self.state.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
        *self.state.borrow_and_update()
    }

    /// Steps down for good: unlocks, closes the connection and waits for the election thread.
    /// Blocking; idempotent.
    pub fn stop(&self) {
        drop(lock(&self.control.stop).take());
        let thread = lock(&self.control.thread).take();
        if let Some(thread) = thread
            && thread.join().is_err()
        {
            tracing::error!("the leader election thread panicked");
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The election thread's state: the session, when there is one, and whether it holds the lock.
struct Election {
    db: Db,
    state: watch::Sender<bool>,
    session: Option<(DbConn, i64)>,
}

impl Election {
    fn new(db: Db, state: watch::Sender<bool>) -> Self {
        Self {
            db,
            state,
            session: None,
        }
    }

    /// Tries or checks at each beat until told to stop (or every handle is gone).
    fn run(mut self, stop: &mpsc::Receiver<()>) {
        loop {
            let leading = self.step();
            let wait = if leading { CHECK_EVERY } else { RETRY_EVERY };
            match stop.recv_timeout(wait) {
                Err(RecvTimeoutError::Timeout) => {}
                Ok(()) | Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        self.step_down();
    }

    /// One beat: a leader checks its session; anyone else tries the lock. Returns whether this
    /// process leads now.
    fn step(&mut self) -> bool {
        let leading = self.is_leading();
        let outcome = if leading {
            self.check()
        } else {
            self.try_take()
        };
        match outcome {
            Ok(now_leading) => self.publish(now_leading, "advisory lock"),
            Err(e) => {
                // The session is unusable: drop it (PostgreSQL frees whatever it held) and
                // start over with a new one at the next try.
                tracing::warn!(error = %e, "leader election: the database session failed");
                self.session = None;
                self.publish(false, "the database session failed");
            }
        }
        self.is_leading()
    }

    fn is_leading(&self) -> bool {
        *self.state.borrow()
    }

    fn check(&mut self) -> Result<bool, DbError> {
        match self.session.as_mut() {
            Some((conn, _)) => leadership::alive(conn).map(|()| true),
            None => Ok(false),
        }
    }

    fn try_take(&mut self) -> Result<bool, DbError> {
        if self.session.is_none() {
            let mut conn = self.db.session()?;
            let key = leadership::lock_key(&mut conn)?;
            self.session = Some((conn, key));
        }
        match self.session.as_mut() {
            Some((conn, key)) => leadership::try_lock(conn, *key),
            None => Ok(false),
        }
    }

    fn publish(&self, leading: bool, why: &str) {
        let changed = self.state.send_if_modified(|current| {
            let changed = *current != leading;
            *current = leading;
            changed
        });
        if changed {
            let instance = super::instance_id();
            if leading {
                tracing::info!(instance, "this instance is now the leader ({why})");
            } else {
                tracing::info!(instance, "this instance is no longer the leader ({why})");
            }
        }
    }

    /// Unlocks explicitly (closing the session would too, but this says so at once) and closes.
    fn step_down(&mut self) {
        if let Some((mut conn, key)) = self.session.take()
            && self.is_leading()
            && let Err(e) = leadership::unlock(&mut conn, key)
        {
            tracing::warn!(error = %e, "cannot unlock; closing the session frees the lock");
        }
        self.publish(false, "stopping");
    }
}
