//! Setting a store up from the command line: migrations, the database URL, tokens, help.

use super::aftermath;
use crate::helpers::fresh_database;

#[test]
fn migrate_works_on_a_fresh_database_and_again() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _schema) = fresh_database(dir.path());
    for _ in 0..2 {
        let out = aftermath()
            .args(["--database-url", &url, "migrate"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn an_unknown_database_scheme_is_refused_with_a_clear_message() {
    let out = aftermath()
        .args(["--database-url", "mysql://root@localhost/x", "migrate"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unsupported scheme \"mysql\""), "{stderr}");
}

#[test]
fn token_create_prints_the_token_alone_and_it_works() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _schema) = fresh_database(dir.path());
    let out = aftermath()
        .args(["--database-url", &url, "token", "create", "--name", "ci"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{:?} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let token = stdout.trim_end_matches('\n');
    assert!(
        !token.contains('\n') && token.starts_with("am_") && token.len() == 67,
        "{stdout:?}"
    );
    let db = aftermath::db::Db::connect(&url).unwrap();
    assert!(
        db.run(|c| aftermath::db::tokens::verify(c, token))
            .unwrap()
            .is_some()
    );
    let out = aftermath()
        .args(["--database-url", &url, "token", "revoke", "ci"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        db.run(|c| aftermath::db::tokens::verify(c, token))
            .unwrap()
            .is_none()
    );
}

/// A short command used to crash at exit (SIGSEGV) when a pool thread was still inside libpq's
/// connect; run it often enough that the race would show.
#[test]
fn short_commands_exit_cleanly_every_time() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _schema) = fresh_database(dir.path());
    for _ in 0..15 {
        let out = aftermath()
            .args(["--database-url", &url, "token", "list"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{:?} {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn help_explains_every_command() {
    let out = aftermath().arg("--help").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for command in ["serve", "migrate", "token"] {
        assert!(text.contains(command), "{text}");
    }
    let out = aftermath().args(["serve", "--help"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("--demo"));
}
