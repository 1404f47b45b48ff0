//! PostgreSQL as a data source, against a real server: Debian's `postgresql` package started
//! on a free port in a temporary folder (as the `postgres` user when the tests run as root),
//! the penguins table loaded with `psql \copy`, then `cairn train postgres://…#penguins` must
//! give exactly the CSV's metrics; a query works too, a large table is sampled, errors are one
//! line, and the password never reaches the bundle, the JSON or the run store.

use crate::common::{asset, cairn_exe, stderr, stdout, tempdir};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const PASSWORD: &str = "s3cret-pw";

struct Server {
    bin: PathBuf,
    data: PathBuf,
    as_root: bool,
    port: u16,
}

impl Server {
    fn as_owner(&self, program: &str) -> Command {
        let exe = self.bin.join(program);
        if self.as_root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        }
    }

    fn url(&self, user_part: &str) -> String {
        format!("postgres://{user_part}@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.as_owner("pg_ctl").arg("-D").arg(&self.data).args(["-m", "immediate", "stop"]).output().ok();
    }
}

fn run(c: &mut Command) -> Output {
    let o = c.output().unwrap();
    assert!(o.status.success(), "{c:?}: {}{}", stdout(&o), stderr(&o));
    o
}

fn start(dir: &Path) -> Server {
    let bin = std::fs::read_dir("/usr/lib/postgresql")
        .ok()
        .and_then(|versions| {
            versions.flatten().map(|v| v.path().join("bin")).filter(|b| b.join("initdb").exists()).max()
        })
        .expect("PostgreSQL is this test's database server (bash .ci/system-packages --test installs postgresql)");
    let id = Command::new("id").arg("-u").output().unwrap();
    let as_root = String::from_utf8_lossy(&id.stdout).trim() == "0";
    let home = dir.join("pg");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(home.join("pw"), PASSWORD).unwrap();
    if as_root {
        run(Command::new("chown").args(["-R", "postgres"]).arg(&home));
        run(Command::new("chmod").args(["755"]).arg(dir));
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let server = Server { bin, data: home.join("data"), as_root, port };
    run(server
        .as_owner("initdb")
        .arg("-D")
        .arg(&server.data)
        .args(["-U", "cairn", "--auth=scram-sha-256"])
        .arg(format!("--pwfile={}", home.join("pw").display())));
    let options = format!("-p {port} -k {} -c listen_addresses=127.0.0.1", home.display());
    run(server
        .as_owner("pg_ctl")
        .arg("-D")
        .arg(&server.data)
        .args(["-o", &options, "-w", "-l"])
        .arg(home.join("log"))
        .arg("start"));
    server
}

fn psql(server: &Server, sql: &str) {
    run(Command::new("psql")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &server.port.to_string(),
            "-U",
            "cairn",
            "-d",
            "postgres",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            sql,
        ])
        .env("PGPASSWORD", PASSWORD));
}

fn cairn_pg(args: &[&str], password: Option<&str>) -> Output {
    let mut c = Command::new(cairn_exe());
    c.args(args).env_remove("PGPASSWORD");
    if let Some(p) = password {
        c.env("PGPASSWORD", p);
    }
    c.output().unwrap()
}

fn metrics(o: &Output) -> Value {
    assert!(o.status.success(), "{}", stderr(o));
    serde_json::from_str::<Value>(&stdout(o)).unwrap()["metrics"].clone()
}

#[test]
fn a_real_postgresql_table_trains_like_its_csv_and_keeps_no_password() {
    let dir = tempdir();
    let server = start(dir.path());
    psql(
        &server,
        "CREATE TABLE penguins (species text, island text, bill_length_mm float8, bill_depth_mm float8, \
         flipper_length_mm float8, body_mass_g float8, sex text, year int)",
    );
    let csv = asset("penguins.csv");
    psql(&server, &format!("\\copy penguins FROM '{}' CSV HEADER", csv.display()));
    let table = format!("{}#penguins", server.url("cairn"));

    // The same metrics as the CSV, for a class and for a number.
    for (target, model) in [("sex", "logistic"), ("body_mass_g", "random_forest")] {
        let from_db =
            metrics(&cairn_pg(&["train", &table, "--target", target, "--model", model, "--json"], Some(PASSWORD)));
        let from_csv =
            metrics(&cairn_pg(&["train", csv.to_str().unwrap(), "--target", target, "--model", model, "--json"], None));
        eprintln!("{target}: PostgreSQL {from_db}, CSV {from_csv}");
        assert_eq!(from_db, from_csv, "{target}");
    }

    // A query is pushed down to the server.
    let query = format!("{}#SELECT * FROM penguins WHERE island <> 'Torgersen'", server.url("cairn"));
    let o = cairn_pg(&["inspect", &query, "--json"], Some(PASSWORD));
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["rows"], 344 - 52);

    // A table larger than CAIRN_PG_SAMPLE_ROWS is read as a sample, and the data's name says so.
    let mut c = Command::new(cairn_exe());
    c.args(["inspect", &table, "--json"]).env("PGPASSWORD", PASSWORD).env("CAIRN_PG_SAMPLE_ROWS", "100");
    let o = run(&mut c);
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let rows = v["rows"].as_u64().unwrap();
    assert!(rows > 0 && rows < 344, "sampled {rows} rows");
    assert!(v["source"].as_str().unwrap().contains("sample of about 344 rows"), "{}", v["source"]);

    // A password in the URL is used but recorded nowhere.
    let with_password = format!("{}#penguins", server.url(&format!("cairn:{PASSWORD}")));
    let bundle = dir.path().join("p.cairn");
    let store = dir.path().join("runs.db");
    let o = cairn_pg(
        &[
            "train",
            &with_password,
            "--target",
            "sex",
            "--out",
            bundle.to_str().unwrap(),
            "--runs",
            store.to_str().unwrap(),
            "--json",
        ],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stdout(&o).contains(PASSWORD) && !stderr(&o).contains(PASSWORD));
    let (pipeline, _) = cairn::project::load_bundle(&bundle).unwrap();
    assert!(!serde_json::to_string(&pipeline).unwrap().contains(PASSWORD));
    let store_bytes = std::fs::read(&store).unwrap();
    assert!(!store_bytes.windows(PASSWORD.len()).any(|w| w == PASSWORD.as_bytes()), "the run store keeps the password");
    let o = cairn_pg(&["runs", store.to_str().unwrap(), "--json"], None);
    assert!(stdout(&o).contains("postgres://cairn@127.0.0.1"), "{}", stdout(&o));

    // Clear one-line errors: no table, bad SQL, wrong password, no server.
    let fails = [
        (format!("{}#nope", server.url("cairn")), Some(PASSWORD), "has no table 'nope'"),
        (
            format!("{}#SELECT nope FROM penguins", server.url("cairn")),
            Some(PASSWORD),
            "column \"nope\" does not exist",
        ),
        (table.clone(), Some("wrong"), "password authentication failed"),
        ("postgres://cairn@127.0.0.1:1/postgres#penguins".to_string(), Some(PASSWORD), "cannot connect"),
    ];
    for (data, password, needle) in fails {
        let o = cairn_pg(&["train", &data, "--target", "sex"], password);
        assert!(!o.status.success());
        let err = stderr(&o);
        let last = err.lines().last().unwrap_or_default();
        assert!(last.starts_with("error: ") && last.contains(needle), "{data}: {err}");
        assert!(!err.contains("panicked") && !err.contains(PASSWORD), "{err}");
    }
}
