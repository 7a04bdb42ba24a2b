//! A misbehaving HTTP server of our own on 127.0.0.1: one path per way a status page can fail.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use super::{ETAG, LAST_MODIFIED};

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub(super) struct Hit {
    pub(super) path: String,
    pub(super) if_none_match: Option<String>,
    pub(super) if_modified_since: Option<String>,
    pub(super) user_agent: Option<String>,
}

pub(super) struct Server {
    base: String,
    pub(super) hits: Arc<Mutex<Vec<Hit>>>,
}

impl Server {
    /// A thread per connection, so a hanging response never blocks the others.
    pub(super) fn start() -> Self {
        let fixture = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/statuspage/summary.json"
        ))
        .unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let hits = Arc::new(Mutex::new(Vec::new()));
        let log = hits.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (fixture, log) = (fixture.clone(), log.clone());
                std::thread::spawn(move || serve(stream, &fixture, &log));
            }
        });
        Self { base, hits }
    }

    /// `127.0.0.1:PORT`, the pair to allow with `--allow-private-sources`.
    pub(super) fn host_port(&self) -> String {
        self.base.trim_start_matches("http://").to_string()
    }

    pub(super) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub(super) fn hits(&self, path: &str) -> Vec<Hit> {
        let hits = self.hits.lock().unwrap();
        hits.iter().filter(|h| h.path == path).cloned().collect()
    }
}

fn serve(mut stream: TcpStream, fixture: &[u8], log: &Mutex<Vec<Hit>>) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let head = String::from_utf8_lossy(&head).to_string();
    let path = head.split_whitespace().nth(1).unwrap_or("").to_string();
    let header = |name: &str| {
        head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name)
                .then(|| value.trim().to_string())
        })
    };
    let hit = Hit {
        path: path.clone(),
        if_none_match: header("if-none-match"),
        if_modified_since: header("if-modified-since"),
        user_agent: header("user-agent"),
    };
    log.lock().unwrap().push(hit.clone());
    let respond = |stream: &mut TcpStream, status: &str, extra: &str, body: &[u8]| {
        let head = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{extra}connection: close\r\n\r\n",
            body.len()
        );
        let _ = stream.write_all(head.as_bytes());
        let _ = stream.write_all(body);
    };
    match path.as_str() {
        "/good" if hit.if_none_match.as_deref() == Some(ETAG) => respond(
            &mut stream,
            "304 Not Modified",
            &format!("etag: {ETAG}\r\n"),
            b"",
        ),
        "/good" => respond(&mut stream, "200 OK", &format!("etag: {ETAG}\r\n"), fixture),
        "/dated" if hit.if_modified_since.as_deref() == Some(LAST_MODIFIED) => {
            respond(&mut stream, "304 Not Modified", "", b"")
        }
        "/dated" => respond(
            &mut stream,
            "200 OK",
            &format!("last-modified: {LAST_MODIFIED}\r\n"),
            fixture,
        ),
        "/slow" => {
            // A fetch still under way when the poller is told to stop.
            std::thread::sleep(std::time::Duration::from_millis(1500));
            respond(&mut stream, "200 OK", &format!("etag: {ETAG}\r\n"), fixture)
        }
        "/moved" => respond(&mut stream, "302 Found", "location: /dated\r\n", b""),
        "/loop" => respond(&mut stream, "302 Found", "location: /loop\r\n", b""),
        "/error" => respond(&mut stream, "500 Internal Server Error", "", b"boom"),
        "/garbage" => respond(&mut stream, "200 OK", "", b"\x00\x9f<html>oops</html>"),
        "/truncated" => respond(&mut stream, "200 OK", "", &fixture[..fixture.len() / 2]),
        "/hang" => {
            // Headers and part of the body, then nothing: only the poller's timeout ends it.
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n",
                fixture.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&fixture[..100]);
            let _ = stream.flush();
            // Returns when the poller gives up and closes the connection.
            let mut sink = [0u8; 64];
            while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
        }
        "/big" => {
            // Chunked, so no Content-Length gives it away: the cap must hold while streaming.
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n");
            let mut framed = b"4000\r\n".to_vec();
            framed.extend_from_slice(&[b' '; 16 * 1024]);
            framed.extend_from_slice(b"\r\n");
            for _ in 0..64 {
                if stream.write_all(&framed).is_err() {
                    return;
                }
            }
            let _ = stream.write_all(b"0\r\n\r\n");
        }
        _ => respond(&mut stream, "404 Not Found", "", b""),
    }
}
