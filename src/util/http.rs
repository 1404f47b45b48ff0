//! The HTTP client Cairn uses to talk to servers: a local `cairn serve` (the app's Deploy and
//! Monitor panels, `cairn bench serve`, `cairn retrain --promote`) and an MLflow tracking
//! server, over `http://` or `https://` (ureq with rustls, so TLS works without system
//! libraries).

use std::time::Duration;

/// How long a call may wait for the answer's head, and then for its body.
const TIMEOUT: Duration = Duration::from_secs(30);
/// The largest answer body read (an MLflow search can be large; a prediction answer is small).
const MAX_BODY: u64 = 256 << 20;

/// Sends one request with an optional JSON body to `base_url` + `path` and returns
/// (status, body). Any status is an answer (a 4xx is not an error here: callers read its JSON
/// message); only a failure to connect or read is an `Err`. A `base_url` without a scheme is
/// taken as `http://`.
pub fn http_request(
    base_url: &str,
    method: &str,
    path: &str,
    json_body: Option<&str>,
) -> Result<(u16, String), String> {
    let base = base_url.trim_end_matches('/');
    let url = if base.contains("://") { format!("{base}{path}") } else { format!("http://{base}{path}") };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_recv_response(Some(TIMEOUT))
        .timeout_recv_body(Some(TIMEOUT))
        .build()
        .into();
    let request = ureq::http::Request::builder()
        .method(method)
        .uri(&url)
        .header("Content-Type", "application/json")
        .body(json_body.unwrap_or("").to_string())
        .map_err(|e| format!("bad request to {url}: {e}"))?;
    let mut answer = agent.run(request).map_err(|e| format!("cannot reach {url}: {e}"))?;
    let status = answer.status().as_u16();
    let body = answer
        .body_mut()
        .with_config()
        .limit(MAX_BODY)
        .read_to_string()
        .map_err(|e| format!("reading the answer from {url}: {e}"))?;
    Ok((status, body))
}

#[cfg(test)]
mod tests {
    #[test]
    fn unreachable_server_is_an_error_naming_the_url() {
        // Port 9 (discard) on loopback: nothing listens in the test environment.
        let e = super::http_request("127.0.0.1:9", "GET", "/health", None).unwrap_err();
        assert!(e.contains("http://127.0.0.1:9/health"), "{e}");
    }

    #[test]
    fn https_urls_speak_tls() {
        // A plain-HTTP server on loopback: an https:// call must start a TLS handshake and
        // fail on the plain answer (the old hand-made client could not speak TLS at all and
        // would have sent the request in clear text).
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let port = listener.local_addr().expect("address").port();
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().expect("accept");
            let mut first = [0u8; 5];
            stream.read_exact(&mut first).ok();
            stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").ok();
            first
        });
        let e = super::http_request(&format!("https://127.0.0.1:{port}"), "GET", "/health", None).unwrap_err();
        let first = server.join().expect("server thread");
        assert_eq!(first[0], 0x16, "a TLS handshake record, not a plain request: {first:?}");
        assert!(e.contains("https://127.0.0.1"), "{e}");
        // A plain http:// call to the same kind of server works.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let port = listener.local_addr().expect("address").port();
        std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().expect("accept");
            let mut buf = [0u8; 1024];
            let _request = stream.read(&mut buf);
            stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno").ok();
        });
        let (status, body) = super::http_request(&format!("127.0.0.1:{port}"), "GET", "/x", None).expect("answer");
        assert_eq!((status, body.as_str()), (404, "no"), "a 4xx is an answer, not an error");
    }
}
