//! `cairn bench serve`: the real `cairn serve` process under load. Trains the house-price
//! model, starts the server on a free port, and sends single-row and 100-row `POST /predict`
//! requests from several keep-alive clients at once; prints throughput, latency percentiles
//! and errors, then the server's own `/metrics` totals as a cross-check.

use anyhow::{Context, Result, bail};
use cairn::data::read_csv_path;
use cairn::train::{TrainConfig, train};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A keep-alive HTTP/1.1 connection sending `POST /predict`.
struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    host: String,
}

impl Client {
    fn connect(host: &str) -> Result<Client> {
        let stream = TcpStream::connect(host).with_context(|| format!("cannot connect to {host}"))?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        Ok(Client { reader: BufReader::new(stream.try_clone()?), writer: stream, host: host.to_string() })
    }

    /// Sends one request and reads the whole answer; returns the status.
    fn post(&mut self, body: &str) -> Result<u16> {
        write!(
            self.writer,
            "POST /predict HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            self.host,
            body.len()
        )?;
        let mut line = String::new();
        self.reader.read_line(&mut line)?;
        let status: u16 = line.split(' ').nth(1).and_then(|s| s.parse().ok()).context("malformed status line")?;
        let mut length = 0usize;
        loop {
            line.clear();
            self.reader.read_line(&mut line)?;
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                length = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0u8; length];
        self.reader.read_exact(&mut body)?;
        Ok(status)
    }
}

/// Runs `clients` threads, each sending `per_client` copies of `body`; returns every latency
/// and the number of non-200 answers, and the wall time.
fn load(host: &str, body: &str, clients: usize, per_client: usize) -> Result<(Vec<f64>, usize, f64)> {
    let started = Instant::now();
    let handles: Vec<_> = (0..clients)
        .map(|_| {
            let (host, body) = (host.to_string(), body.to_string());
            std::thread::spawn(move || -> Result<(Vec<f64>, usize)> {
                let mut c = Client::connect(&host)?;
                let mut lat = Vec::with_capacity(per_client);
                let mut errors = 0;
                for _ in 0..per_client {
                    let t = Instant::now();
                    if c.post(&body)? != 200 {
                        errors += 1;
                    }
                    lat.push(t.elapsed().as_secs_f64() * 1e3);
                }
                Ok((lat, errors))
            })
        })
        .collect();
    let mut all = Vec::new();
    let mut errors = 0;
    for h in handles {
        let (lat, e) = h.join().map_err(|_| anyhow::anyhow!("a client thread panicked"))??;
        all.extend(lat);
        errors += e;
    }
    Ok((all, errors, started.elapsed().as_secs_f64()))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

pub fn bench_serve(data_dir: &Path, clients: usize, requests: usize, as_json: bool) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let bundle = dir.path().join("house.cairn");
    eprintln!("training the house-price model …");
    let data = read_csv_path(&data_dir.join("california_housing.csv"))?;
    let outcome = train(&data, None, &TrainConfig::new("median_house_value"), &mut |_| {})?;
    cairn::project::save_bundle(&outcome.pipeline, &bundle)?;
    let exe = std::env::current_exe()?;
    let mut child = Command::new(exe)
        .arg("serve")
        .arg(&bundle)
        .args(["--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().context("server stdout")?).read_line(&mut line)?;
    let url = line.trim().rsplit(' ').next().unwrap_or("").trim_end_matches('/').to_string();
    let Some(host) = url.strip_prefix("http://").map(str::to_string) else {
        let _ = child.kill();
        bail!("the server did not start: {line:?}");
    };
    let example = Value::Object(outcome.pipeline.example.clone());
    let one = json!({"records": [example]}).to_string();
    let hundred = json!({"records": vec![example; 100]}).to_string();
    let mut rows = Vec::new();
    for (name, body, batch) in [("1 row", &one, 1usize), ("100 rows", &hundred, 100)] {
        let per_client = (requests / clients.max(1)).max(1) / if batch > 1 { 10 } else { 1 };
        let _ = load(&host, body, clients, 20.min(per_client)); // warm-up
        let (mut lat, errors, wall) = load(&host, body, clients, per_client.max(1))?;
        lat.sort_by(f64::total_cmp);
        let n = lat.len();
        let row = json!({
            "case": name, "clients": clients, "requests": n, "errors": errors,
            "requests_per_second": n as f64 / wall, "rows_per_second": (n * batch) as f64 / wall,
            "p50_ms": percentile(&lat, 0.5), "p90_ms": percentile(&lat, 0.9), "p99_ms": percentile(&lat, 0.99),
            "max_ms": lat.last().copied().unwrap_or(f64::NAN),
        });
        rows.push(row);
    }
    let metrics =
        cairn::serve::http_request(&url, "GET", "/metrics", None).map(|(_, t)| cairn::monitor::read_exposition(&t));
    let _ = child.kill();
    let _ = child.wait();
    if as_json {
        println!(
            "{}",
            json!({"bench": "serve", "cases": rows, "server_predictions": metrics.as_ref().ok().map(|m| m.predictions)})
        );
        return Ok(());
    }
    println!(
        "{:<10} {:>8} {:>9} {:>7} {:>10} {:>11} {:>8} {:>8} {:>8}",
        "case", "clients", "requests", "errors", "req/s", "rows/s", "p50 ms", "p90 ms", "p99 ms"
    );
    for r in &rows {
        println!(
            "{:<10} {:>8} {:>9} {:>7} {:>10.0} {:>11.0} {:>8.2} {:>8.2} {:>8.2}",
            r["case"].as_str().unwrap_or(""),
            r["clients"].as_u64().unwrap_or(0),
            r["requests"].as_u64().unwrap_or(0),
            r["errors"].as_u64().unwrap_or(0),
            r["requests_per_second"].as_f64().unwrap_or(0.0),
            r["rows_per_second"].as_f64().unwrap_or(0.0),
            r["p50_ms"].as_f64().unwrap_or(0.0),
            r["p90_ms"].as_f64().unwrap_or(0.0),
            r["p99_ms"].as_f64().unwrap_or(0.0),
        );
    }
    if let Ok(m) = metrics {
        println!(
            "server's /metrics: {} prediction requests, {} errors, {} rows, mean latency {:.3} ms",
            m.requests, m.errors, m.predictions, m.mean_latency_ms
        );
    }
    Ok(())
}
