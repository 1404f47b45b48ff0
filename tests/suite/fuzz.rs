//! Property tests of the readers (a bounded fuzz run inside the test suite): arbitrary bytes
//! never panic the CSV or JSON reader, and generated tables — with delimiters, quotes, line
//! breaks and non-ASCII text inside cells — read back cell for cell.

use cairn::data::{read_csv_bytes, read_json_bytes};
use proptest::prelude::*;

fn config() -> ProptestConfig {
    ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() }
}

/// A cell: text with at least one letter (so the column stays text), possibly holding the
/// delimiter, quotes, line breaks and non-ASCII letters; or empty (missing). Never a
/// "not available" marker such as `nan` or `null`, which the reader reads as missing.
fn cell() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        1 => Just(None),
        8 => "[a-zé漢][a-zA-Z0-9 ,;\"\n\té€漢]{0,12}[a-z]"
            .prop_filter("a missing-value marker reads as missing", |s| !["nan", "null"].contains(&s.trim()))
            .prop_map(Some),
    ]
}

fn table() -> impl Strategy<Value = (Vec<String>, Vec<Vec<Option<String>>>)> {
    (1usize..5, 1usize..20).prop_flat_map(|(cols, rows)| {
        let names = (0..cols).map(|i| format!("col{i}")).collect::<Vec<_>>();
        // A line with every cell empty is a blank line (skipped), so each row has some text.
        let row = proptest::collection::vec(cell(), cols).prop_map(|mut r| {
            if r.iter().all(Option::is_none) {
                r[0] = Some("a".into());
            }
            r
        });
        (Just(names), proptest::collection::vec(row, rows))
    })
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn csv_reader_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        read_csv_bytes("fuzz.csv", bytes).ok();
    }

    #[test]
    fn csv_reader_never_panics_on_csv_like_text(text in "[a-c0-9,;\t\"\n\r. -]{0,300}") {
        read_csv_bytes("fuzz.csv", text.into_bytes()).ok();
    }

    #[test]
    fn json_reader_never_panics(text in "[\\[\\]{}:,\"a-c0-9 \n.-]{0,200}|.{0,100}") {
        read_json_bytes("fuzz.json", text.as_bytes()).ok();
    }

    #[test]
    fn quoted_csv_reads_back_cell_for_cell((names, rows) in table(), bom in any::<bool>()) {
        let mut text = if bom { "\u{feff}".to_string() } else { String::new() };
        text.push_str(&names.join(","));
        text.push('\n');
        for row in &rows {
            let cells: Vec<String> = row.iter().map(|c| c.as_deref().map(quote).unwrap_or_default()).collect();
            text.push_str(&cells.join(","));
            text.push('\n');
        }
        let ds = read_csv_bytes("gen.csv", text.into_bytes()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(ds.column_names(), names.clone());
        prop_assert_eq!(ds.n_rows(), rows.len());
        for (j, name) in names.iter().enumerate() {
            let col = ds.column(name).unwrap();
            for (r, row) in rows.iter().enumerate() {
                prop_assert_eq!(col.values.display(r), row[j].clone().unwrap_or_default(), "row {} column {}", r, name);
            }
        }
    }

    #[test]
    fn json_records_read_back((names, rows) in table()) {
        let records: Vec<serde_json::Value> = rows
            .iter()
            .map(|row| serde_json::Value::Object(names.iter().cloned().zip(row.iter().map(|c| c.clone().map_or(serde_json::Value::Null, serde_json::Value::String))).collect()))
            .collect();
        let bytes = serde_json::to_vec(&records).unwrap();
        let ds = read_json_bytes("gen.json", &bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(ds.n_rows(), rows.len());
        for (j, name) in names.iter().enumerate() {
            let col = ds.column(name).unwrap();
            for (r, row) in rows.iter().enumerate() {
                prop_assert_eq!(col.values.display(r), row[j].clone().unwrap_or_default());
            }
        }
    }
}
