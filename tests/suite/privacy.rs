//! Personal data in a table: `cairn inspect --json` warns with `kind: "personal_data"`, the
//! column and what was found; the shipped samples raise no such warning.

use crate::common::{asset, cairn, stderr, stdout, tempdir};
use serde_json::Value;

fn warnings(path: &std::path::Path) -> Vec<Value> {
    let o = cairn(&["inspect", path.to_str().unwrap(), "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    v["warnings"].as_array().unwrap_or_else(|| panic!("no warnings array: {v}")).clone()
}

#[test]
fn personal_columns_are_found_with_their_share() {
    let dir = tempdir();
    let file = dir.path().join("customers.csv");
    let mut csv = String::from("customer_id,contact,full_name,phone,card,zip_code,date_of_birth,spend\n");
    let given = ["James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda"];
    let surnames = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis"];
    let cards = ["4111 1111 1111 1111", "5500 0000 0000 0004", "4012 8888 8888 1881", "6011 0009 9013 9424"];
    for i in 0..40 {
        let (g, s) = (given[i % 8], surnames[(i * 3) % 8]);
        // One row in ten has an address that is not one, so the share is 90 %.
        let contact =
            if i % 10 == 3 { "ask at desk".to_string() } else { format!("{}.{}@example.org", g.to_lowercase(), i) };
        csv.push_str(&format!(
            "{i},{contact},{g} {s},+44 20 7946 {:04},{},{:05},19{:02}-0{}-1{},{}\n",
            1000 + i,
            cards[i % 4],
            10000 + i * 37,
            50 + i,
            1 + i % 9,
            i % 10,
            100 + i * 7
        ));
    }
    std::fs::write(&file, csv).unwrap();
    let found: Vec<(String, String, f64)> = warnings(&file)
        .iter()
        .filter(|w| w["kind"] == "personal_data")
        .map(|w| {
            (
                w["column"].as_str().unwrap().into(),
                w["found"]["what"].as_str().unwrap().into(),
                w["found"]["share"].as_f64().unwrap(),
            )
        })
        .collect();
    let get = |c: &str| found.iter().find(|f| f.0 == c).unwrap_or_else(|| panic!("{c} not flagged: {found:?}"));
    assert_eq!(get("contact").1, "email");
    assert!((get("contact").2 - 0.9).abs() < 1e-9, "{found:?}");
    assert_eq!(get("full_name").1, "person_name");
    assert_eq!(get("phone").1, "phone");
    assert_eq!(get("card").1, "payment_card");
    assert_eq!(get("zip_code").1, "postal_code");
    assert_eq!(get("date_of_birth").1, "date_of_birth");
    assert!(!found.iter().any(|f| f.0 == "spend" || f.0 == "customer_id"), "{found:?}");
    let message =
        warnings(&file).into_iter().find(|w| w["column"] == "contact" && w["kind"] == "personal_data").unwrap();
    assert!(
        message["message"].as_str().unwrap().contains("'contact' holds e-mail addresses in 90 % of rows"),
        "{message}"
    );
}

#[test]
fn the_shipped_samples_raise_no_personal_data_warning() {
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/datasets");
    let mut files: Vec<std::path::PathBuf> = [
        "california_housing.csv",
        "iris.csv",
        "penguins.csv",
        "sms_spam.csv",
        "sentiment.csv",
        "items_synthetic.csv",
        "ratings_synthetic.csv",
    ]
    .iter()
    .map(|f| asset(f))
    .collect();
    files.extend(
        std::fs::read_dir(&shared)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "csv")),
    );
    assert!(files.len() >= 7);
    for f in files {
        let personal: Vec<Value> = warnings(&f).into_iter().filter(|w| w["kind"] == "personal_data").collect();
        assert!(personal.is_empty(), "{}: {personal:?}", f.display());
    }
}
