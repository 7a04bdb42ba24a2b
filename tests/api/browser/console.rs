//! The console check sees what it is meant to catch: a failed load and a script the page's
//! Content-Security-Policy refuses are errors in the log the checks read.

use super::Browser;
use crate::helpers::spawn_app;

#[actix_web::test]
async fn the_console_check_catches_a_failed_load_and_a_csp_violation() {
    let app = spawn_app().await;
    let Some(browser) = Browser::open(&app, "browser::console::catches_errors").await else {
        return;
    };
    browser.driver.goto(&browser.url("/")).await.unwrap();
    assert_eq!(
        browser.console_errors().await,
        Vec::<serde_json::Value>::new()
    );

    browser
        .driver
        .execute(
            "const s = document.createElement('script');
             s.textContent = 'window.injected = 1';
             document.body.appendChild(s);
             const i = document.createElement('img');
             i.src = '/static/no-such-image.png';
             document.body.appendChild(i);",
            vec![],
        )
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let errors = browser.console_errors().await;
    let text = format!("{errors:?}");
    assert!(text.contains("Content Security Policy"), "{text}");
    assert!(text.contains("404"), "{text}");
    browser.close().await;
}
