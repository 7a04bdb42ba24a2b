//! A replica that comes back behind the pruned horizon rebuilds, and finds everything.

use std::path::Path;
use std::time::Duration;

use aftermath::config::Config;
use aftermath::db::replicas;
use aftermath::startup::Application;
use serde_json::{Value, json};

use super::outbox_rows;
use crate::helpers::spawn_app_with;
use crate::instances::eventually;

/// A second server in this process, on the same database, with its own data directory.
struct Second {
    address: String,
    handle: actix_web::dev::ServerHandle,
    running: actix_web::rt::task::JoinHandle<std::io::Result<()>>,
}

impl Second {
    fn start(database_url: &str, data_dir: &Path) -> Second {
        let mut config = Config::for_dir(database_url.to_string(), data_dir.to_path_buf());
        config.outbox_retention = Duration::from_secs(2);
        let app = Application::build(config).unwrap();
        Second {
            address: format!("http://127.0.0.1:{}", app.port()),
            handle: app.handle(),
            running: actix_web::rt::spawn(app.run_until_stopped()),
        }
    }

    /// Stops it as SIGTERM would, and waits until its indexer has let go of the index.
    async fn stop(self) {
        self.handle.stop(true).await;
        self.running.await.unwrap().unwrap();
    }

    /// Waits until a search for `q` finds an incident.
    async fn finds(&self, q: &str) -> Value {
        let url = format!("{}/api/v1/search?q={q}", self.address);
        eventually(
            Duration::from_secs(90),
            "found through the second",
            || async {
                let body: Value = reqwest::get(&url).await.ok()?.json().await.ok()?;
                (body["total"].as_u64()? > 0).then_some(body)
            },
        )
        .await
    }
}

#[actix_web::test]
async fn a_replica_back_behind_the_pruned_horizon_rebuilds_and_finds_what_was_pruned() {
    let app = spawn_app_with(|c| c.outbox_retention = Duration::from_secs(2)).await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("second");
    let second = Second::start(&app.database_url, &data);
    app.create_incident(json!({"title": "Alpha cache outage", "services": ["cache"]}))
        .await;
    second.finds("alpha").await;
    second.stop().await;

    // While it is away: a new incident, indexed by the first server; the second, silent for
    // longer than the retention, is forgotten, and the new incident's outbox rows pruned.
    let bravo = app
        .create_incident(json!({"title": "Bravo DNS outage", "services": ["dns"]}))
        .await;
    app.search(&[("q", "bravo")]).await;
    eventually(Duration::from_secs(90), "forgotten and pruned", || async {
        let readers = app.db.run(replicas::list).unwrap().len();
        (readers == 1 && outbox_rows(&app.db) == 0).then_some(())
    })
    .await;

    // Back on the same data directory: its position is behind the pruned mark; it rebuilds.
    let second = Second::start(&app.database_url, &data);
    let found = second.finds("bravo").await;
    assert_eq!(found["hits"][0]["incident_id"], bravo["id"], "{found}");
    assert_eq!(second.finds("alpha").await["total"], 1);
    // It is the same replica as before, registered again.
    let id = std::fs::read_to_string(data.join("index").join("replica-id")).unwrap();
    let ids: Vec<_> = app.db.run(replicas::list).unwrap();
    assert!(ids.iter().any(|r| r.id == id.trim()), "{ids:?}");
    second.stop().await;
}
