use super::*;

/// A transaction left open while the parsers lag would hold SQLite's write lock, and on
/// PostgreSQL the search index's consistency mark for every session.
#[cfg(unix)]
#[test]
fn what_is_parsed_commits_without_waiting_for_a_file_still_being_read() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/statuspage/incident_backfilled.json"
    ))
    .unwrap();
    // Files in batches of their own before the pipe's: the first five batches, 1 + 2 + 4
    // + 8 + 16 files.
    let before = 31;
    let mut files: Vec<PathBuf> = (0..before)
        .map(|i| {
            let path = dir.path().join(format!("incident{i:02}.json"));
            // Incidents and updates of their own: update ids are unique per source.
            let doc = [
                "h2k9w4vq7n1c",
                "r8c1v6n3t0ke",
                "m5d0x2b9q4ha",
                "q7w3e8r1t6yu",
            ]
            .iter()
            .fold(fixture.clone(), |doc, id| {
                doc.replace(id, &format!("{id}{i:02}"))
            });
            std::fs::write(&path, doc).unwrap();
            path
        })
        .collect();
    // Reading a named pipe blocks until someone writes to it: the sixth batch's file.
    let pipe = dir.path().join("still-being-read.json");
    let made = std::process::Command::new("mkfifo")
        .arg(&pipe)
        .status()
        .unwrap();
    assert!(made.success());
    files.push(pipe.clone());
    let db = Db::connect(&format!("sqlite://{}", dir.path().join("s.db").display())).unwrap();
    let (reported_tx, reported) = mpsc::channel();
    let service = ServiceSlug::parse("service", "github").unwrap();
    std::thread::scope(|scope| {
        let run = scope.spawn(|| {
            ingest_files(&db, None, Some(&service), &files, |path, result| {
                let _ = reported_tx.send((path.to_path_buf(), result.is_ok()));
            })
        });
        let first_batches: Vec<bool> = (0..before)
            .map_while(|_| {
                reported
                    .recv_timeout(std::time::Duration::from_secs(20))
                    .ok()
            })
            .map(|(_, ok)| ok)
            .collect();
        std::fs::write(&pipe, "not a document").unwrap();
        let summary = run.join().unwrap().unwrap();
        assert_eq!(
            first_batches,
            vec![true; before],
            "the first batches committed and were reported while the pipe was still unread"
        );
        assert_eq!((summary.files, summary.failed), (before + 1, 1));
    });
}

#[cfg(target_os = "linux")]
#[test]
fn a_parsing_thread_runs_at_nice_10() {
    let nice = std::thread::spawn(|| {
        make_way_for_the_applier();
        let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
        // The fields after the command name, which is in parentheses: nice is the 19th
        // field of the line, the 17th after `)`.
        let after_name = stat.rsplit_once(')').unwrap().1;
        after_name.split_whitespace().nth(16).unwrap().to_string()
    })
    .join()
    .unwrap();
    assert_eq!(nice, "10");
}

#[test]
fn batches_close_at_the_file_count_or_the_byte_budget_and_keep_the_order() {
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str, bytes: usize| {
        let path = dir.path().join(name);
        std::fs::write(&path, vec![b' '; bytes]).unwrap();
        path
    };
    // The ramp: 1 + 2 + 4 + 8 + 16 files, then full batches.
    let ramp = 31;
    let mut files: Vec<PathBuf> = (0..ramp + BATCH + 3)
        .map(|i| file(&format!("s{i:03}"), 10))
        .collect();
    let big = BATCH_BYTES as usize;
    files.push(file("big1", big - 100));
    files.push(file("big2", big + 1));
    files.push(file("small", 10));
    // A file that cannot be read is still batched; reading it reports the error.
    files.push(dir.path().join("missing"));
    let sizes: Vec<usize> = batches(&files).iter().map(|b| b.len()).collect();
    assert_eq!(sizes, vec![1, 2, 4, 8, 16, BATCH, 4, 1, 2]);
    let flat: Vec<&PathBuf> = batches(&files).into_iter().flatten().collect();
    assert_eq!(flat, files.iter().collect::<Vec<_>>());
}
