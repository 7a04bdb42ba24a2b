//! Real clients work unchanged (issue 19): browsers reading across origins (CORS), uptime
//! checkers sending `HEAD`, pollers revalidating (`ETag`, `Last-Modified`, `304`), Statuspage
//! clients and feed readers on the routes Statuspage offers, and Prometheus's own checker.

mod conditional;
mod cors;
mod head;
mod openapi;
mod parity;
mod promtool;

/// Whether an outside program (`promtool`, `schemathesis`, a browser driver) can be run. When it
/// cannot, the test says so and skips, unless `AFTERMATH_REQUIRE_EXTERNAL=1` (CI sets it), which
/// makes the skip a failure.
pub(crate) fn external_tool(program: &str, test: &str) -> bool {
    let runs = std::process::Command::new(program)
        .arg("--version")
        .output()
        .is_ok();
    if runs {
        return true;
    }
    let required = std::env::var("AFTERMATH_REQUIRE_EXTERNAL").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "{test}: `{program}` is not installed, and AFTERMATH_REQUIRE_EXTERNAL=1 requires it"
    );
    eprintln!(
        "SKIPPED {test}: `{program}` is not installed (set AFTERMATH_REQUIRE_EXTERNAL=1 to fail instead)"
    );
    false
}
