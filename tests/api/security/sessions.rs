//! Stolen copies get nothing: the cookie holds a random id, the database only its hash, and a
//! session ends when its owner signs out, when its token is revoked, after 12 hours idle or
//! after 7 days. An export carries neither sessions nor the cookie key, and secrets only when
//! asked.

use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};

use crate::forms::csrf_of;
use crate::helpers::{TestApp, spawn_app};

/// A client that keeps no cookies: each request carries exactly the cookie we give it.
fn bare_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn cookie_of(res: &reqwest::Response) -> String {
    let set = res.headers()[SET_COOKIE].to_str().unwrap();
    set.split(';').next().unwrap().to_string()
}

/// Signs in with the app's token; returns the signed-in cookie and its CSRF token.
async fn sign_in(app: &TestApp) -> (String, String) {
    let client = bare_client();
    let res = client.get(app.url("/signin")).send().await.unwrap();
    let visitor = cookie_of(&res);
    let page = res.text().await.unwrap();
    let res = client
        .post(app.url("/signin"))
        .header(COOKIE, &visitor)
        .form(&[
            ("csrf_token", csrf_of(&page)),
            ("token", app.token.clone()),
            ("next", "/".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let cookie = cookie_of(&res);
    let page = client
        .get(app.url("/incidents/new"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    (cookie, csrf_of(&page))
}

/// Whether `cookie` opens the signed-in form (a visitor is sent to /signin instead).
async fn signed_in_with(app: &TestApp, cookie: &str) -> bool {
    let res = bare_client()
        .get(app.url("/incidents/new"))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap();
    match res.status() {
        StatusCode::OK => true,
        StatusCode::SEE_OTHER | StatusCode::FOUND => {
            assert!(
                res.headers()[LOCATION]
                    .to_str()
                    .unwrap()
                    .starts_with("/signin")
            );
            false
        }
        other => panic!("unexpected {other}"),
    }
}

fn session_rows(app: &TestApp) -> i64 {
    app.db
        .run(|c| {
            use aftermath::db::schema::sessions;
            use diesel::prelude::*;
            Ok(sessions::table.count().get_result(c)?)
        })
        .unwrap()
}

#[actix_web::test]
async fn a_cookie_copied_before_sign_out_is_worth_nothing_after_it() {
    let app = spawn_app().await;
    let (cookie, csrf) = sign_in(&app).await;
    assert!(signed_in_with(&app, &cookie).await);
    let res = bare_client()
        .post(app.url("/signout"))
        .header(COOKIE, &cookie)
        .form(&[("csrf_token", csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(session_rows(&app), 0, "signing out deletes the session");
    assert!(
        !signed_in_with(&app, &cookie).await,
        "the copied cookie still works"
    );
}

#[actix_web::test]
async fn revoking_a_token_ends_its_sessions() {
    let app = spawn_app().await;
    let (cookie, _) = sign_in(&app).await;
    // An admin revokes it over the API, as people do.
    let token = app.token.clone();
    let id = app
        .db
        .run(|c| Ok(aftermath::db::tokens::verify(c, &token)?.unwrap().id))
        .unwrap();
    let admin = app.token_of(aftermath::db::tokens::Scope::Admin);
    let res = app
        .client
        .delete(app.url(&format!("/api/v1/tokens/{id}")))
        .bearer_auth(admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        session_rows(&app),
        0,
        "the revoked token's sessions are deleted"
    );
    assert!(!signed_in_with(&app, &cookie).await);
}

/// Moves every session's times back by `created` and `seen`.
fn age_sessions(app: &TestApp, created: chrono::Duration, seen: chrono::Duration) {
    use aftermath::db::schema::sessions;
    use diesel::prelude::*;
    let now = chrono::Utc::now().naive_utc();
    app.db
        .write(|c| {
            Ok(diesel::update(sessions::table)
                .set((
                    sessions::created_at.eq(now - created),
                    sessions::last_seen_at.eq(now - seen),
                ))
                .execute(c)?)
        })
        .unwrap();
}

#[actix_web::test]
async fn a_session_ends_after_twelve_idle_hours_or_seven_days_in_all() {
    let app = spawn_app().await;
    let (cookie, _) = sign_in(&app).await;
    age_sessions(
        &app,
        chrono::Duration::hours(11),
        chrono::Duration::hours(11),
    );
    assert!(
        signed_in_with(&app, &cookie).await,
        "11 idle hours are fine"
    );
    age_sessions(
        &app,
        chrono::Duration::hours(13),
        chrono::Duration::hours(13),
    );
    assert!(!signed_in_with(&app, &cookie).await, "13 idle hours end it");
    assert_eq!(
        session_rows(&app),
        0,
        "an ended session is deleted when seen"
    );

    let (cookie, _) = sign_in(&app).await;
    age_sessions(
        &app,
        chrono::Duration::days(8),
        chrono::Duration::minutes(1),
    );
    assert!(
        !signed_in_with(&app, &cookie).await,
        "a busy session still ends after 7 days"
    );
}

#[actix_web::test]
async fn the_database_holds_no_cookie_and_an_export_no_session_or_cookie_key() {
    let app = spawn_app().await;
    let (cookie, _) = sign_in(&app).await;
    let mut export = Vec::new();
    app.db
        .run(|c| aftermath::db::dump::export(c, &mut export, aftermath::db::dump::Secrets::Leave))
        .unwrap();
    let export = String::from_utf8(export).unwrap();
    assert!(
        !export.contains("\"table\":\"sessions\""),
        "sessions were exported"
    );
    assert!(
        !export.contains("session_key"),
        "the cookie key was exported"
    );
    let hashes: Vec<String> = app
        .db
        .run(|c| {
            use aftermath::db::schema::sessions;
            use diesel::prelude::*;
            Ok(sessions::table.select(sessions::id_hash).load(c)?)
        })
        .unwrap();
    assert_eq!(hashes.len(), 1);
    // The cookie value is signed and encoded; whatever it holds, the stored hash is not in it.
    assert!(!cookie.contains(&hashes[0]));
}

#[actix_web::test]
async fn a_visitor_who_is_not_signed_in_writes_nothing() {
    let app = spawn_app().await;
    let before = app.snapshot();
    for path in ["/", "/incidents", "/signin", "/report", "/search?q=x"] {
        assert!(
            bare_client()
                .get(app.url(path))
                .send()
                .await
                .unwrap()
                .status()
                .is_success()
        );
    }
    assert_eq!(app.snapshot(), before);
}

#[actix_web::test]
async fn secrets_leave_only_when_asked_and_an_import_without_them_makes_new_webhook_urls() {
    use aftermath::db::dump::{self, Secrets};
    let app = spawn_app().await;
    let source = app
        .db
        .write(|c| {
            aftermath::db::services::ensure_exist(
                c,
                &[aftermath::domain::ServiceSlug::parse("s", "acme").unwrap()],
            )?;
            aftermath::correlate::reports::reporter_salt(c)?;
            aftermath::db::sources::add(
                c,
                &aftermath::db::sources::NewSource {
                    kind: "statuspage-webhook".into(),
                    format: None,
                    url: None,
                    service: "acme".into(),
                    interval_secs: None,
                    secret: Some("s3cretvalue".into()),
                },
            )
        })
        .unwrap();
    let export = |secrets| {
        let mut out = Vec::new();
        app.db.run(|c| dump::export(c, &mut out, secrets)).unwrap();
        String::from_utf8(out).unwrap()
    };
    let plain = export(Secrets::Leave);
    assert!(!plain.contains("s3cretvalue") && !plain.contains("reporter_salt"));
    let full = export(Secrets::Include);
    assert!(full.contains("s3cretvalue") && full.contains("reporter_salt"));

    let dir = tempfile::tempdir().unwrap();
    let (url, _schema) = crate::helpers::fresh_database(dir.path());
    let other = aftermath::db::Db::connect(&url).unwrap();
    let imported = other
        .write(|c| dump::import(c, std::io::Cursor::new(plain.into_bytes())))
        .unwrap();
    assert_eq!(imported.new_webhook_secrets, 1);
    let secret: Option<String> = other
        .run(|c| {
            use aftermath::db::schema::sources;
            use diesel::prelude::*;
            Ok(sources::table
                .find(&source.id)
                .select(sources::secret)
                .get_result(c)?)
        })
        .unwrap();
    let secret = secret.expect("a new secret");
    assert_ne!(secret, "s3cretvalue");
}

#[actix_web::test]
async fn after_sign_in_only_a_local_path_is_followed() {
    let app = spawn_app().await;
    for (next, expected) in [
        ("/\t/evil.example", "/"),
        ("/\n/evil.example", "/"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("/incidents?status=resolved", "/incidents?status=resolved"),
    ] {
        let client = bare_client();
        let res = client.get(app.url("/signin")).send().await.unwrap();
        let visitor = cookie_of(&res);
        let page = res.text().await.unwrap();
        let res = client
            .post(app.url("/signin"))
            .header(COOKIE, &visitor)
            .form(&[
                ("csrf_token", csrf_of(&page)),
                ("token", app.token.clone()),
                ("next", next.into()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(res.headers()[LOCATION], expected, "{next:?}");
    }
}
