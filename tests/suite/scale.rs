//! Scaling out on a real load balancer: `cairn export --haproxy` starts two real `cairn serve`
//! replicas behind a real HAProxy (Debian's package), requests go through it, and a rolling
//! update to a new bundle under load loses no request. Throughput through one replica and
//! through HAProxy over two is printed (on this 2-core machine the clients, HAProxy and the
//! replicas share the same two cores, which is what limits it).

use crate::common::{cairn, cairn_exe, stderr, tempdir, train_bundle_with};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Runs a script of the exported folder with `CAIRN` pointing at the binary under test.
fn script(dir: &Path, name: &str, args: &[&str]) -> std::process::Output {
    Command::new("bash").arg(dir.join(name)).args(args).env("CAIRN", cairn_exe()).output().unwrap()
}

/// Stops HAProxy and the replicas however the test ends.
struct Running(PathBuf);

impl Drop for Running {
    fn drop(&mut self) {
        script(&self.0, "stop.sh", &[]);
    }
}

/// A port with the two after it free too.
fn free_ports() -> u16 {
    for _ in 0..50 {
        let base = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        if base < 60000 && (0..3).all(|i| std::net::TcpListener::bind(("127.0.0.1", base + i)).is_ok()) {
            return base;
        }
    }
    panic!("no three free ports in a row");
}

fn record() -> String {
    json!({"records": [{"longitude": -122.23, "latitude": 37.88, "housing_median_age": 41.0, "total_rooms": 880.0,
        "total_bedrooms": 129.0, "population": 322.0, "households": 126.0, "median_income": 8.3252,
        "ocean_proximity": "NEAR BAY"}]})
    .to_string()
}

/// `clients` keep-alive clients POSTing one row to `url` until `stop`; (answered, failed).
fn load(url: &str, clients: usize, stop: &Arc<AtomicBool>) -> Vec<std::thread::JoinHandle<(usize, usize)>> {
    (0..clients)
        .map(|_| {
            let (url, stop, body) = (url.to_string(), stop.clone(), record());
            std::thread::spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .timeout_global(Some(Duration::from_secs(10)))
                    .build()
                    .into();
                let (mut ok, mut failed) = (0, 0);
                while !stop.load(Ordering::Relaxed) {
                    match agent.post(&url).header("content-type", "application/json").send(&body) {
                        Ok(r) if r.status() == 200 => {
                            r.into_body().read_to_string().ok();
                            ok += 1
                        }
                        Ok(r) => {
                            eprintln!("status {}", r.status());
                            failed += 1
                        }
                        Err(e) => {
                            eprintln!("error {e}");
                            failed += 1
                        }
                    }
                }
                (ok, failed)
            })
        })
        .collect()
}

fn run_for(url: &str, clients: usize, seconds: f64) -> (f64, usize) {
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let handles = load(url, clients, &stop);
    std::thread::sleep(Duration::from_secs_f64(seconds));
    stop.store(true, Ordering::Relaxed);
    let (ok, failed) = handles.into_iter().map(|h| h.join().unwrap()).fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    (ok as f64 / started.elapsed().as_secs_f64(), failed)
}

fn checksum(url: &str) -> String {
    let (status, body) = crate::serve::get(&format!("{url}/health"));
    assert_eq!(status, 200, "{body}");
    serde_json::from_str::<Value>(&body).unwrap()["checksum"].as_str().unwrap().to_string()
}

#[test]
fn two_replicas_behind_haproxy_update_one_by_one_without_losing_a_request() {
    for tool in ["haproxy", "socat"] {
        let found = Command::new("sh").args(["-c", &format!("command -v {tool}")]).output().unwrap();
        assert!(
            found.status.success(),
            "{tool} is this test's load balancer (bash .ci/system-packages --test installs it)"
        );
    }
    let dir = tempdir();
    let old = train_bundle_with(dir.path(), "california_housing.csv", "median_house_value", "old.cairn", &[]);
    let new = train_bundle_with(
        dir.path(),
        "california_housing.csv",
        "median_house_value",
        "new.cairn",
        &["--model", "ridge"],
    );
    let port = free_ports();
    let out = dir.path().join("lb");
    let o = cairn(&[
        "export",
        old.to_str().unwrap(),
        "--haproxy",
        out.to_str().unwrap(),
        "--replicas",
        "2",
        "--port",
        &port.to_string(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = script(&out, "start.sh", &[]);
    let _running = Running(out.clone());
    assert!(o.status.success(), "start.sh: {}{}", String::from_utf8_lossy(&o.stdout), stderr(&o));
    let front = format!("http://127.0.0.1:{port}");
    let old_sum = checksum(&front);

    // Both replicas serve the first bundle.
    for i in 0..2 {
        assert_eq!(checksum(&format!("http://127.0.0.1:{}", port + 1 + i)), old_sum);
    }
    // Throughput: one replica directly, then HAProxy with one replica (the other in
    // maintenance) and with both.
    let admin = |command: &str| {
        let socket = format!("unix-connect:{}", out.join("run/admin.sock").display());
        let o = Command::new("sh").args(["-c", &format!("echo '{command}' | socat stdio {socket}")]).output().unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
    };
    let (direct, f0) = run_for(&format!("http://127.0.0.1:{}/predict", port + 1), 4, 3.0);
    admin("set server cairn/r2 state maint");
    let (one, f1) = run_for(&format!("{front}/predict"), 4, 3.0);
    admin("set server cairn/r2 state ready");
    std::thread::sleep(Duration::from_millis(600));
    let (two, f2) = run_for(&format!("{front}/predict"), 4, 3.0);
    assert_eq!((f0, f1, f2), (0, 0, 0));
    let served: Vec<u64> = (0..2)
        .map(|i| {
            let (_, body) = crate::serve::get(&format!("http://127.0.0.1:{}/health", port + 1 + i));
            serde_json::from_str::<Value>(&body).unwrap()["stats"]["predictions"].as_u64().unwrap()
        })
        .collect();
    eprintln!(
        "throughput, 4 keep-alive clients: one replica directly {direct:.0} req/s; through HAProxy to one replica \
         {one:.0} req/s, to two {two:.0} req/s ({:.2}×); predictions served per replica {served:?}",
        two / one
    );
    assert!(served[1] > 100, "the second replica took part: {served:?}");

    // A rolling update under load.
    let stop = Arc::new(AtomicBool::new(false));
    let handles = load(&format!("{front}/predict"), 4, &stop);
    std::thread::sleep(Duration::from_millis(500));
    let started = Instant::now();
    let o = script(&out, "rolling-update.sh", &[new.to_str().unwrap()]);
    let took = started.elapsed();
    std::thread::sleep(Duration::from_millis(500));
    stop.store(true, Ordering::Relaxed);
    let (ok, failed) = handles.into_iter().map(|h| h.join().unwrap()).fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    assert!(o.status.success(), "rolling-update.sh: {}{}", String::from_utf8_lossy(&o.stdout), stderr(&o));
    eprintln!("rolling update of 2 replicas in {took:?} under load: {ok} requests answered, {failed} failed");
    assert_eq!(failed, 0, "requests were lost during the rolling update");
    assert!(ok > 200, "the load kept running: {ok}");
    let new_sum = checksum(&front);
    assert_ne!(new_sum, old_sum);
    for i in 0..2 {
        assert_eq!(
            checksum(&format!("http://127.0.0.1:{}", port + 1 + i)),
            new_sum,
            "replica {i} serves the new bundle"
        );
    }
    for _ in 0..4 {
        assert_eq!(checksum(&front), new_sum, "every answer through HAProxy comes from the new bundle");
    }

    // A damaged bundle is refused before any replica stops.
    std::fs::write(dir.path().join("bad.cairn"), "nope").unwrap();
    let o = script(&out, "rolling-update.sh", &[dir.path().join("bad.cairn").to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("bad.cairn"), "{}", stderr(&o));
    assert_eq!(checksum(&front), new_sum);
}

/// `cairn export --kserve`: the InferenceService validates against KServe's own CRD schema
/// (vendored, made strict) and the Deployment, Service and autoscaler against Kubernetes'
/// schemas (`kubernetes-validate`); the container's command, run here on the bundle, serves,
/// and its readiness and liveness probes answer 200.
#[test]
fn kserve_and_kubernetes_manifests_validate_and_their_probes_answer() {
    let dir = tempdir();
    let bundle = train_bundle_with(dir.path(), "iris.csv", "species", "Iris Model.cairn", &[]);
    let out = dir.path().join("k8s");
    let o = cairn(&[
        "export",
        bundle.to_str().unwrap(),
        "--kserve",
        out.to_str().unwrap(),
        "--image",
        "registry.local/iris:1",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let read =
        |name: &str| -> Value { serde_json::from_str(&std::fs::read_to_string(out.join(name)).unwrap()).unwrap() };
    let isvc = read("inferenceservice.json");
    assert_eq!(isvc["metadata"]["name"], "iris-model");
    assert_eq!(isvc["spec"]["predictor"]["containers"][0]["image"], "registry.local/iris:1");

    const SCRIPT: &str = r#"
import json, sys, copy
import jsonschema, kubernetes_validate
out, schema_path = sys.argv[1], sys.argv[2]
for name in ("deployment.json", "service.json", "hpa.json"):
    kubernetes_validate.validate(json.load(open(f"{out}/{name}")), "1.30.0", strict=True)
def strict(s):
    if isinstance(s, dict):
        s = {k: strict(v) for k, v in s.items()}
        if s.get("type") == "object" and "properties" in s and not s.get("x-kubernetes-preserve-unknown-fields"):
            s.setdefault("additionalProperties", False)
        return s
    if isinstance(s, list):
        return [strict(v) for v in s]
    return s
schema = strict(json.load(open(schema_path)))
# metadata is Kubernetes' ObjectMeta, which the CRD leaves open: only the rest is checked here.
doc = json.load(open(f"{out}/inferenceservice.json"))
jsonschema.validate(doc, schema)
assert doc["apiVersion"] == "serving.kserve.io/v1beta1" and doc["kind"] == "InferenceService"
# The check is not vacuous: a misspelt field is refused.
bad = copy.deepcopy(doc)
bad["spec"]["predictor"]["minReplica"] = 1
try:
    jsonschema.validate(bad, schema)
    print("a misspelt field passed"); sys.exit(1)
except jsonschema.ValidationError:
    pass
print("valid")
"#;
    let schema =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/k8s/kserve-inferenceservice-v1beta1.schema.json");
    let o =
        Command::new("python3").args(["-c", SCRIPT, out.to_str().unwrap(), schema.to_str().unwrap()]).output().unwrap();
    assert!(
        o.status.success() && String::from_utf8_lossy(&o.stdout).contains("valid"),
        "kubernetes-validate and jsonschema are this test's reference (bash .ci/system-packages --test installs them): {}{}",
        String::from_utf8_lossy(&o.stdout),
        stderr(&o)
    );

    // The container's command line, on this machine: the bundle where the image puts it, a free port.
    let c = &isvc["spec"]["predictor"]["containers"][0];
    let args: Vec<String> = c["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| match a.as_str().unwrap() {
            "/model/model.cairn" => bundle.to_str().unwrap().to_string(),
            "8080" => "0".to_string(),
            "0.0.0.0" => "127.0.0.1".to_string(),
            other => other.to_string(),
        })
        .collect();
    assert_eq!(c["command"][0], "/usr/local/bin/cairn");
    assert_eq!(c["ports"][0]["containerPort"], 8080);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_eq!(args[..2], ["serve", bundle.to_str().unwrap()]);
    // `start_with` adds `--port 0` itself.
    let at = args.iter().position(|a| *a == "--port").unwrap();
    let rest: Vec<&str> = args[2..at].iter().chain(&args[at + 2..]).copied().collect();
    let server = crate::serve::start_with(Path::new(args[1]), &rest);
    for probe in ["readinessProbe", "livenessProbe"] {
        let path = c[probe]["httpGet"]["path"].as_str().unwrap();
        assert_eq!(c[probe]["httpGet"]["port"], 8080);
        let (status, body) = crate::serve::get(&format!("{}{path}", server.url));
        assert_eq!(status, 200, "{probe} {path}: {body}");
    }
    let deployment = read("deployment.json");
    assert_eq!(deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"], 0);
    assert_eq!(read("service.json")["spec"]["ports"][0]["targetPort"], 8080);
}
