//! The real `cairn serve` process over real HTTP; its predictions must equal `cairn predict`.

use crate::common::{asset, cairn, cairn_exe, tempdir};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A server child process, killed on drop.
pub(crate) struct Server {
    child: Child,
    pub url: String,
}

impl Server {
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

pub(crate) fn start(bundle: &Path) -> Server {
    start_with(bundle, &[])
}

/// Starts `cairn serve BUNDLE --port 0 EXTRA…` (stdin piped) and reads the address it prints.
pub(crate) fn start_with(bundle: &Path, extra: &[&str]) -> Server {
    let mut child = Command::new(cairn_exe())
        .args(["serve", bundle.to_str().unwrap(), "--port", "0"])
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.trim().rsplit(' ').next().unwrap().trim_end_matches('/').to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "server said {line:?}");
    Server { child, url }
}

fn post(url: &str, body: &str) -> (u16, Value) {
    post_to(&format!("{url}/predict"), "application/json", body)
}

/// POSTs `body` with `content_type` to the full `url`; returns the status and the JSON answer.
pub(crate) fn post_to(url: &str, content_type: &str, body: &str) -> (u16, Value) {
    let r = ureq::post(url)
        .config()
        .http_status_as_error(false)
        .build()
        .header("content-type", content_type)
        .send(body)
        .unwrap();
    let status = r.status().as_u16();
    (status, r.into_body().read_json().unwrap())
}

/// POSTs files as `multipart/form-data` (name, content type, bytes), with a boundary with
/// capitals as browsers make them (it is case-sensitive); returns the status and the JSON answer.
pub(crate) fn post_files(url: &str, files: &[(String, &str, Vec<u8>)]) -> (u16, Value) {
    let boundary = "----WebKitFormBoundaryCairnTest7Xq";
    let mut body: Vec<u8> = Vec::new();
    for (name, content_type, bytes) in files {
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
                 Content-Type: {content_type}\r\n\r\n"
            )
            .bytes(),
        );
        body.extend(bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").bytes());
    let r = ureq::post(url)
        .config()
        .http_status_as_error(false)
        .build()
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .send(&body[..])
        .unwrap();
    let status = r.status().as_u16();
    (status, r.into_body().read_json().unwrap())
}

pub(crate) fn get(url: &str) -> (u16, String) {
    let r = ureq::get(url).config().http_status_as_error(false).build().call().unwrap();
    (r.status().as_u16(), r.into_body().read_to_string().unwrap())
}

/// Reads a CSV written by `cairn predict` with the csv rules of the shipped data (quoted fields).
fn predict_column(path: &Path) -> Vec<Vec<String>> {
    let ds = cairn::data::read_csv_path(path).unwrap();
    (0..ds.n_rows()).map(|r| ds.columns.iter().map(|c| c.cell_text(r)).collect()).collect()
}

#[test]
fn regression_server_matches_predict() {
    let dir = tempdir();
    let bundle = crate::common::train_bundle(dir.path(), "california_housing.csv", "median_house_value", "house.cairn");

    // 50 rows of the real data (with the target column removed) as the input file.
    let ds = cairn::data::read_csv_path(&asset("california_housing.csv")).unwrap();
    let rows: Vec<usize> = (0..50).map(|i| i * 401).collect();
    let sample = ds.take_rows(&rows);
    let schema_cols: Vec<&cairn::data::Column> =
        sample.columns.iter().filter(|c| c.name != "median_house_value").collect();
    let mut csv = schema_cols.iter().map(|c| c.name.clone()).collect::<Vec<_>>().join(",");
    csv.push('\n');
    let mut records = Vec::new();
    for r in 0..sample.n_rows() {
        let mut rec = serde_json::Map::new();
        let mut cells = Vec::new();
        for c in &schema_cols {
            let t = c.cell_text(r);
            rec.insert(
                c.name.clone(),
                match &c.values {
                    cairn::data::Values::Numeric(v) => v.get(r).map_or(Value::Null, |x| json!(x)),
                    cairn::data::Values::Str(_) => json!(t),
                },
            );
            cells.push(t);
        }
        csv.push_str(&cells.join(","));
        csv.push('\n');
        records.push(Value::Object(rec));
    }
    let input = dir.path().join("in.csv");
    std::fs::write(&input, csv).unwrap();
    let out = dir.path().join("out.csv");
    let o = cairn(&["predict", bundle.to_str().unwrap(), input.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", crate::common::stderr(&o));
    let cli_rows = predict_column(&out);

    let server = start(&bundle);
    let (status, health) = get(&format!("{}/health", server.url));
    assert_eq!(status, 200);
    let health: Value = serde_json::from_str(&health).unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["task"], "regression");

    let (status, v) = post(&server.url, &json!({ "records": records }).to_string());
    assert_eq!(status, 200, "{v}");
    let served = v["predictions"].as_array().unwrap();
    assert_eq!(served.len(), 50);
    for (row, p) in cli_rows.iter().zip(served) {
        let cli: f64 = row.last().unwrap().parse().unwrap();
        assert_eq!(cli, p.as_f64().unwrap(), "server and `cairn predict` disagree");
    }

    // The form page is generated from the schema.
    let (status, page) = get(&format!("{}/", server.url));
    assert_eq!(status, 200);
    for col in ["median_income", "ocean_proximity", "INLAND", "<form"] {
        assert!(page.contains(col), "form lacks {col}");
    }
    // Requests were counted.
    let (_, health) = get(&format!("{}/health", server.url));
    let health: Value = serde_json::from_str(&health).unwrap();
    assert_eq!(health["stats"]["predictions"], 50);
}

#[test]
fn classification_server_matches_predict_and_rejects_bad_requests() {
    let dir = tempdir();
    let bundle = crate::common::train_bundle(dir.path(), "sms_spam.csv", "label", "spam.cairn");
    let texts = [
        "URGENT! You have won a 1 week FREE membership in our £100,000 Prize Jackpot! Txt the word: CLAIM to No: 81010",
        "Ok lar... Joking wif u oni...",
        "Are we still meeting at \"the usual place\", 7pm?",
    ];
    let input = dir.path().join("in.csv");
    let mut csv = String::from("text\n");
    for t in texts {
        csv.push_str(&format!("\"{}\"\n", t.replace('"', "\"\"")));
    }
    std::fs::write(&input, csv).unwrap();
    let out = dir.path().join("out.csv");
    assert!(
        cairn(&["predict", bundle.to_str().unwrap(), input.to_str().unwrap(), "-o", out.to_str().unwrap()])
            .status
            .success()
    );
    let cli_rows = predict_column(&out);

    let server = start(&bundle);
    let records: Vec<Value> = texts.iter().map(|t| json!({ "text": t })).collect();
    let (status, v) = post(&server.url, &json!({ "records": records }).to_string());
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["classes"], json!(["ham", "spam"]));
    for (i, row) in cli_rows.iter().enumerate() {
        assert_eq!(v["predictions"][i], json!(row[1]));
        let p_spam: f64 = row[3].parse().unwrap();
        assert_eq!(v["probabilities"][i]["spam"].as_f64().unwrap(), p_spam);
    }
    assert_eq!(v["predictions"][0], "spam");
    assert_eq!(v["predictions"][1], "ham");

    // Bad requests: 4xx with a JSON error naming the problem, never a 5xx.
    let (status, v) = post(&server.url, "{not json");
    assert_eq!(status, 400);
    assert!(v["error"].as_str().unwrap().contains("JSON"));
    let (status, v) = post(&server.url, r#"{"records":[{"message":"hi"}]}"#);
    assert_eq!(status, 422);
    assert!(v["error"].as_str().unwrap().contains("'text'"), "{v}");
    let (status, _) = post(&server.url, r#"{"records":[]}"#);
    assert_eq!(status, 400);
    let (status, _) = post(&server.url, r#"{"rows":[]}"#);
    assert_eq!(status, 400);
    let (status, _) = get(&format!("{}/nope", server.url));
    assert_eq!(status, 404);
}

#[test]
fn serve_refuses_a_damaged_bundle() {
    let dir = tempdir();
    let bundle = dir.path().join("x.cairn");
    std::fs::write(
        &bundle,
        "{\"magic\":\"cairn-bundle\",\"format_version\":1,\"app_version\":\"0\",\"checksum\":\"sha256:00\"}\n{}",
    )
    .unwrap();
    crate::common::assert_clean_failure(&cairn(&["serve", bundle.to_str().unwrap(), "--port", "0"]), "damaged");
}

#[test]
fn server_started_by_the_app_stops_when_its_parent_goes() {
    let dir = tempdir();
    let bundle = crate::common::train_bundle(dir.path(), "iris.csv", "species", "iris.cairn");
    let mut server = start_with(&bundle, &["--stop-with-parent"]);
    assert_eq!(get(&format!("{}/health", server.url)).0, 200);
    let child = &mut server.child;
    drop(child.stdin.take()); // what the OS does when the app dies
    let start = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success());
            break;
        }
        assert!(start.elapsed() < std::time::Duration::from_secs(10), "server outlived its parent");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn sigterm_during_load_finishes_every_request_in_flight() {
    let dir = tempdir();
    let bundle = crate::common::train_bundle(dir.path(), "california_housing.csv", "median_house_value", "house.cairn");
    let mut server = start(&bundle);
    // Four large CSV batches (61 920 rows each) at once, so they are still being answered when
    // the signal comes.
    let csv = std::fs::read_to_string(asset("california_housing.csv")).unwrap();
    let (header, rows) = csv.split_once('\n').unwrap();
    let body = format!("{header}\n{rows}{rows}{rows}");
    let clients: Vec<_> = (0..4)
        .map(|_| {
            let (url, body) = (format!("{}/predict", server.url), body.clone());
            std::thread::spawn(move || post_to(&url, "text/csv", &body))
        })
        .collect();
    // Wait until the server itself says all four predictions are in flight (the /metrics call
    // counts itself), then SIGTERM it. (A request the server has not started yet when the
    // signal comes may be refused: it was never in flight.)
    let started = std::time::Instant::now();
    let in_flight = loop {
        let (_, m) = get(&format!("{}/metrics", server.url));
        let n: f64 = m
            .lines()
            .find_map(|l| l.strip_prefix("cairn_requests_in_flight"))
            .and_then(|l| l.rsplit(' ').next()?.parse().ok())
            .unwrap_or(0.0);
        if n >= 5.0 || started.elapsed().as_secs() > 30 {
            break n - 1.0;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    };
    assert!(in_flight >= 4.0, "the four predictions were never in flight together ({in_flight})");
    let pid = server.child.id().to_string();
    assert!(Command::new("kill").args(["-s", "TERM", &pid]).status().unwrap().success());
    // Every request that was sent is answered in full.
    for c in clients {
        let (status, v) = c.join().unwrap();
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["predictions"].as_array().unwrap().len(), 3 * 20_640);
    }
    // Then the process exits cleanly and stops listening.
    let status = server.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let addr = server.url.trim_start_matches("http://").to_string();
    assert!(std::net::TcpStream::connect(addr).is_err());
    eprintln!("SIGTERM with {in_flight} prediction request(s) in flight: all 4 answered in full, clean exit");
}
