//! `cairn bench serve`: the real `cairn serve` process under load. Trains the house-price
//! model, starts the server on a free port, and sends single-row and 100-row `POST /predict`
//! requests from several keep-alive clients at once; prints throughput, latency percentiles
//! and errors, then the server's own `/metrics` totals as a cross-check. With `--fastapi`, the
//! same cases run in the same session against FastAPI + uvicorn + scikit-learn serving the
//! same model (`benches/fastapi_serve.py`); `--saturate S` then keeps Cairn saturated for S
//! seconds while its memory is sampled.

use anyhow::{Context, Result, bail};
use cairn::data::read_csv_path;
use cairn::train::{TrainConfig, train};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
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

/// When a load run ends: after a number of requests per client, or at a moment.
#[derive(Clone, Copy)]
enum Stop {
    Count(usize),
    Until(Instant),
}

/// Runs `clients` threads, each sending copies of `body` until `stop`; returns every latency
/// (ms), the number of non-200 answers, and the wall time.
fn load(host: &str, body: &str, clients: usize, stop: Stop) -> Result<(Vec<f64>, usize, f64)> {
    let started = Instant::now();
    let handles: Vec<_> = (0..clients)
        .map(|_| {
            let (host, body) = (host.to_string(), body.to_string());
            std::thread::spawn(move || -> Result<(Vec<f64>, usize)> {
                let mut c = Client::connect(&host)?;
                let mut lat = Vec::new();
                let mut errors = 0;
                loop {
                    match stop {
                        Stop::Count(n) if lat.len() >= n => break,
                        Stop::Until(end) if Instant::now() >= end => break,
                        _ => {}
                    }
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

/// One load run summarised.
fn summary(server: &str, case: &str, clients: usize, batch: usize, run: (Vec<f64>, usize, f64)) -> Value {
    let (mut lat, errors, wall) = run;
    lat.sort_by(f64::total_cmp);
    let n = lat.len();
    json!({
        "server": server, "case": case, "clients": clients, "requests": n, "errors": errors, "seconds": wall,
        "requests_per_second": n as f64 / wall, "rows_per_second": (n * batch) as f64 / wall,
        "p50_ms": percentile(&lat, 0.5), "p90_ms": percentile(&lat, 0.9), "p99_ms": percentile(&lat, 0.99),
        "max_ms": lat.last().copied().unwrap_or(f64::NAN),
    })
}

/// A server process (its whole process group is stopped on drop).
struct Server {
    child: Child,
    host: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        // SIGTERM to the group, a few seconds to finish, then SIGKILL to whatever is left
        // (uvicorn's worker processes included).
        let group = format!("-{}", self.child.id());
        Command::new("kill").args(["-s", "TERM", "--", &group]).status().ok();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline && matches!(self.child.try_wait(), Ok(None)) {
            std::thread::sleep(Duration::from_millis(50));
        }
        Command::new("kill").args(["-s", "KILL", "--", &group]).stderr(Stdio::null()).status().ok();
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

fn spawn_grouped(cmd: &mut Command) -> Result<Child> {
    use std::os::unix::process::CommandExt;
    Ok(cmd.process_group(0).spawn()?)
}

fn start_cairn(bundle: &Path) -> Result<Server> {
    let mut child = spawn_grouped(
        Command::new(std::env::current_exe()?)
            .arg("serve")
            .arg(bundle)
            .args(["--port", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null()),
    )?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().context("server stdout")?).read_line(&mut line)?;
    let url = line.trim().rsplit(' ').next().unwrap_or("").trim_end_matches('/').to_string();
    let host = url.strip_prefix("http://").map(str::to_string);
    let server = Server { child, host: host.unwrap_or_default() };
    if server.host.is_empty() {
        bail!("the server did not start: {line:?}");
    }
    Ok(server)
}

/// FastAPI + uvicorn (one worker per core) + scikit-learn on a free port, once it answers.
fn start_fastapi(python: &str, data: &Path, dir: &Path) -> Result<Server> {
    std::fs::write(dir.join("fastapi_serve.py"), include_str!("../../../benches/fastapi_serve.py"))?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).to_string();
    let child = spawn_grouped(
        Command::new(python)
            .args(["-m", "uvicorn", "fastapi_serve:app", "--app-dir"])
            .arg(dir)
            .args(["--workers", &workers, "--port", &port.to_string(), "--log-level", "warning", "--no-access-log"])
            .env("CAIRN_BENCH_DATA", data)
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    )
    .with_context(|| format!("cannot run {python} -m uvicorn (pip install fastapi uvicorn scikit-learn pandas)"))?;
    let server = Server { child, host: format!("127.0.0.1:{port}") };
    let started = Instant::now();
    while cairn::util::http_request(&format!("http://{}", server.host), "GET", "/health", None).is_err() {
        if started.elapsed() > Duration::from_secs(120) {
            bail!("the FastAPI server did not answer within 2 minutes");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Ok(server)
}

/// Resident memory of a process, in MB (Linux).
fn rss_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// What `cairn bench serve` runs.
pub struct ServeBench {
    pub clients: usize,
    /// Single-row requests in all when `seconds` is 0 (the 100-row case sends a tenth).
    pub requests: usize,
    /// Each case runs this long instead (bounded in time).
    pub seconds: f64,
    pub fastapi: bool,
    pub python: String,
    pub saturate: f64,
}

pub fn bench_serve(data_dir: &Path, b: &ServeBench, as_json: bool) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let bundle = dir.path().join("house.cairn");
    eprintln!("training the house-price model …");
    let data_path = data_dir.join("california_housing.csv");
    let data = read_csv_path(&data_path)?;
    let outcome = train(&data, None, &TrainConfig::new("median_house_value"), &mut |_| {})?;
    cairn::project::save_bundle(&outcome.pipeline, &bundle)?;
    let example = Value::Object(outcome.pipeline.example.clone());
    let one = json!({"records": [example]}).to_string();
    let hundred = json!({"records": vec![example; 100]}).to_string();
    let seconds = if b.fastapi && b.seconds <= 0.0 { 10.0 } else { b.seconds };
    let clients = b.clients.max(1);
    let run_cases = |server: &str, host: &str| -> Result<Vec<Value>> {
        let mut rows = Vec::new();
        for (name, body, batch) in [("1 row", &one, 1usize), ("100 rows", &hundred, 100)] {
            let per_client = (b.requests / clients).max(1) / if batch > 1 { 10 } else { 1 };
            load(host, body, clients, Stop::Count(20.min(per_client))).ok(); // warm-up
            let stop = if seconds > 0.0 {
                Stop::Until(Instant::now() + Duration::from_secs_f64(seconds))
            } else {
                Stop::Count(per_client.max(1))
            };
            eprintln!("{server}: {name} …");
            rows.push(summary(server, name, clients, batch, load(host, body, clients, stop)?));
        }
        Ok(rows)
    };
    let cairn_server = start_cairn(&bundle)?;
    let url = format!("http://{}", cairn_server.host);
    let mut rows = run_cases("cairn", &cairn_server.host)?;
    let metrics =
        cairn::util::http_request(&url, "GET", "/metrics", None).map(|(_, t)| cairn::monitor::read_exposition(&t));
    let mut ratios = Vec::new();
    if b.fastapi {
        eprintln!("starting FastAPI + uvicorn + scikit-learn ({}) …", b.python);
        let fastapi = start_fastapi(&b.python, &data_path, dir.path())?;
        let theirs = run_cases("fastapi", &fastapi.host)?;
        drop(fastapi);
        for (ours, other) in rows.iter().zip(&theirs) {
            let r = ours["requests_per_second"].as_f64().unwrap_or(0.0)
                / other["requests_per_second"].as_f64().unwrap_or(f64::NAN);
            ratios.push(json!({"case": ours["case"], "throughput_ratio": r}));
        }
        rows.extend(theirs);
    }
    let saturation = if b.saturate > 0.0 { Some(saturate(&cairn_server, &one, clients, b.saturate)?) } else { None };
    drop(cairn_server);
    if as_json {
        println!(
            "{}",
            json!({"bench": "serve", "cases": rows, "throughput_ratios": ratios, "saturation": saturation,
                   "server_predictions": metrics.as_ref().ok().map(|m| m.predictions)})
        );
        return Ok(());
    }
    print_serve(&rows, &ratios, saturation.as_ref(), metrics.as_ref().ok());
    Ok(())
}

/// Single rows sent by `clients` for `seconds` while the server's memory is sampled each second.
fn saturate(server: &Server, one: &str, clients: usize, seconds: f64) -> Result<Value> {
    eprintln!("saturating cairn with single rows for {:.0} s …", seconds);
    let pid = server.child.id();
    let end = Instant::now() + Duration::from_secs_f64(seconds);
    let host = server.host.clone();
    let one = one.to_string();
    let runner = std::thread::spawn(move || load(&host, &one, clients, Stop::Until(end)));
    let mut rss = Vec::new();
    while Instant::now() < end {
        rss.extend(rss_mb(pid));
        std::thread::sleep(Duration::from_secs(1));
    }
    let run = runner.join().map_err(|_| anyhow::anyhow!("the load thread panicked"))??;
    let mut s = summary("cairn", "saturation (1 row)", clients, 1, run);
    s["rss_mb_first"] = json!(rss.first());
    s["rss_mb_last"] = json!(rss.last());
    s["rss_mb_max"] = json!(rss.iter().copied().fold(f64::NAN, f64::max));
    Ok(s)
}

/// The table `cairn bench serve` prints (the same figures as its JSON).
fn print_serve(
    rows: &[Value],
    ratios: &[Value],
    saturation: Option<&Value>,
    metrics: Option<&cairn::monitor::Snapshot>,
) {
    println!(
        "{:<8} {:<10} {:>8} {:>9} {:>7} {:>10} {:>11} {:>8} {:>8} {:>8}",
        "server", "case", "clients", "requests", "errors", "req/s", "rows/s", "p50 ms", "p90 ms", "p99 ms"
    );
    for r in rows.iter().chain(saturation) {
        println!(
            "{:<8} {:<10} {:>8} {:>9} {:>7} {:>10.0} {:>11.0} {:>8.2} {:>8.2} {:>8.2}",
            r["server"].as_str().unwrap_or(""),
            r["case"].as_str().unwrap_or("").trim_end_matches(" (1 row)"),
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
    for r in ratios {
        println!(
            "cairn / fastapi throughput, {}: {:.1}×",
            r["case"].as_str().unwrap_or(""),
            r["throughput_ratio"].as_f64().unwrap_or(0.0)
        );
    }
    if let Some(s) = saturation {
        println!(
            "saturation: {:.0} s, {} errors; cairn's memory {:.1} MB at the start, {:.1} MB at the end, {:.1} MB at most",
            s["seconds"].as_f64().unwrap_or(0.0),
            s["errors"],
            s["rss_mb_first"].as_f64().unwrap_or(f64::NAN),
            s["rss_mb_last"].as_f64().unwrap_or(f64::NAN),
            s["rss_mb_max"].as_f64().unwrap_or(f64::NAN),
        );
    }
    if let Some(m) = metrics {
        println!(
            "cairn's /metrics (before saturation): {} prediction requests, {} errors, {} rows, mean latency {:.3} ms",
            m.requests, m.errors, m.predictions, m.mean_latency_ms
        );
    }
}
