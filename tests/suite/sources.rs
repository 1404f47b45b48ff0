//! Data sources beyond CSV/JSON: SQLite tables and queries train like the same data as CSV.

use crate::common::{assert_clean_failure, asset, cairn, stderr, stdout, tempdir};
use cairn::data::{Values, read_csv_path};
use serde_json::Value;

#[test]
fn sqlite_tables_and_queries_train_like_the_csv() {
    let dir = tempdir();
    let db = dir.path().join("zoo.sqlite");
    let ds = read_csv_path(&asset("penguins.csv")).unwrap();
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        let cols: Vec<String> = ds
            .columns
            .iter()
            .map(|c| format!("\"{}\" {}", c.name, if matches!(c.values, Values::Numeric(_)) { "REAL" } else { "TEXT" }))
            .collect();
        conn.execute(&format!("CREATE TABLE penguins ({})", cols.join(", ")), []).unwrap();
        conn.execute("CREATE TABLE notes (id INTEGER, text TEXT)", []).unwrap();
        let marks = vec!["?"; ds.columns.len()].join(", ");
        let mut insert = conn.prepare(&format!("INSERT INTO penguins VALUES ({marks})")).unwrap();
        for r in 0..ds.n_rows() {
            let cells: Vec<rusqlite::types::Value> = ds
                .columns
                .iter()
                .map(|c| match &c.values {
                    Values::Numeric(v) => v[r].map_or(rusqlite::types::Value::Null, rusqlite::types::Value::Real),
                    Values::Str(v) => v[r].clone().map_or(rusqlite::types::Value::Null, rusqlite::types::Value::Text),
                })
                .collect();
            insert.execute(rusqlite::params_from_iter(cells)).unwrap();
        }
    }
    let train = |source: &str| -> Value {
        let o = cairn(&["train", source, "--target", "species", "--json"]);
        assert!(o.status.success(), "{source}: {}", stderr(&o));
        serde_json::from_str(stdout(&o).trim()).unwrap()
    };
    let csv = train(asset("penguins.csv").to_str().unwrap());
    let table = train(&format!("{}#penguins", db.display()));
    // Same rows, same missing cells, same kinds → the same model and scores, and the same data.
    assert_eq!(table["metrics"], csv["metrics"]);
    assert_eq!(table["data_hash"], csv["data_hash"]);
    let query = train(&format!("{}#SELECT * FROM penguins WHERE island <> 'Torgersen'", db.display()));
    assert_eq!(query["train_rows"].as_u64().unwrap() + query["test_rows"].as_u64().unwrap(), 344 - 52);

    // Clear errors naming the file, the table or the SQL.
    let o = cairn(&["train", db.to_str().unwrap(), "--target", "species"]);
    assert_clean_failure(&o, "has several tables (notes, penguins)");
    let o = cairn(&["train", &format!("{}#birds", db.display()), "--target", "species"]);
    assert_clean_failure(&o, "has no table 'birds'");
    let o = cairn(&["train", &format!("{}#SELECT nope FROM penguins", db.display()), "--target", "species"]);
    assert_clean_failure(&o, "SQL error");
    let not_db = dir.path().join("fake.db");
    std::fs::write(&not_db, "this is not a database, just text\n".repeat(100)).unwrap();
    assert_clean_failure(&cairn(&["inspect", not_db.to_str().unwrap()]), "not a SQLite database");
}

#[test]
fn excel_workbooks_train_like_the_csv() {
    // tests/fixtures/penguins.xlsx: penguins.csv saved by openpyxl (numbers as numbers, missing
    // cells empty), plus a second sheet.
    let book = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/penguins.xlsx");
    let train = |source: &str| -> Value {
        let o = cairn(&["train", source, "--target", "species", "--json"]);
        assert!(o.status.success(), "{source}: {}", stderr(&o));
        serde_json::from_str(stdout(&o).trim()).unwrap()
    };
    let csv = train(asset("penguins.csv").to_str().unwrap());
    // The first sheet by default, or a sheet by name: the same data (fingerprint) and scores.
    for source in [book.display().to_string(), format!("{}#penguins", book.display())] {
        let v = train(&source);
        assert_eq!((&v["metrics"], &v["data_hash"]), (&csv["metrics"], &csv["data_hash"]), "{source}");
    }
    let o = cairn(&["train", &format!("{}#birds", book.display()), "--target", "species"]);
    assert_clean_failure(&o, "has no sheet 'birds' (sheets: penguins, notes)");
    let dir = tempdir();
    let fake = dir.path().join("fake.xlsx");
    std::fs::write(&fake, "not a zip").unwrap();
    assert_clean_failure(&cairn(&["inspect", fake.to_str().unwrap()]), "cannot read the workbook");
}
