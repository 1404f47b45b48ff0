//! Data sources beyond CSV/JSON: SQLite tables and queries train like the same data as CSV.

use crate::common::{assert_clean_failure, asset, cairn, stderr, stdout, tempdir};
use cairn::data::{Values, read_csv_path};
use serde_json::Value;

/// `cairn train SOURCE --target species --json`, which must succeed.
fn train(source: &str) -> Value {
    let o = cairn(&["train", source, "--target", "species", "--json"]);
    assert!(o.status.success(), "{source}: {}", stderr(&o));
    serde_json::from_str(stdout(&o).trim()).unwrap()
}

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
                    Values::Numeric(v) => v.get(r).map_or(rusqlite::types::Value::Null, rusqlite::types::Value::Real),
                    Values::Str(v) => {
                        v.get(r).map(str::to_string).map_or(rusqlite::types::Value::Null, rusqlite::types::Value::Text)
                    }
                })
                .collect();
            insert.execute(rusqlite::params_from_iter(cells)).unwrap();
        }
    }
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

#[test]
fn parquet_files_train_like_the_csv() {
    use polars::prelude::*;
    let ds = read_csv_path(&asset("penguins.csv")).unwrap();
    let columns: Vec<polars::prelude::Column> = ds
        .columns
        .iter()
        .map(|c| match &c.values {
            Values::Numeric(v) => Series::new(c.name.as_str().into(), v.to_options()).into(),
            Values::Str(v) => Series::new(c.name.as_str().into(), v.to_options()).into(),
        })
        .collect();
    let mut df = DataFrame::new(ds.n_rows(), columns).unwrap();
    let dir = tempdir();
    let file = dir.path().join("penguins.parquet");
    ParquetWriter::new(std::fs::File::create(&file).unwrap()).finish(&mut df).unwrap();
    let csv = train(asset("penguins.csv").to_str().unwrap());
    let pq = train(file.to_str().unwrap());
    assert_eq!((&pq["metrics"], &pq["data_hash"]), (&csv["metrics"], &csv["data_hash"]));
    let fake = dir.path().join("fake.parquet");
    std::fs::write(&fake, "PAR1 but not really").unwrap();
    assert_clean_failure(&cairn(&["inspect", fake.to_str().unwrap()]), "not a readable Parquet file");

    // A dataset split over three files: as a folder and as a pattern, the same rows in the same
    // order, so the same metrics and fingerprint as the CSV.
    let parts = dir.path().join("parts");
    std::fs::create_dir_all(&parts).unwrap();
    for (i, (start, len)) in [(0, 115), (115, 115), (230, ds.n_rows() - 230)].into_iter().enumerate() {
        let mut part = df.slice(start as i64, len);
        ParquetWriter::new(std::fs::File::create(parts.join(format!("part-{i}.parquet"))).unwrap())
            .finish(&mut part)
            .unwrap();
    }
    for data in [parts.clone(), parts.join("part-*.parquet")] {
        let pq = train(data.to_str().unwrap());
        assert_eq!((&pq["metrics"], &pq["data_hash"]), (&csv["metrics"], &csv["data_hash"]), "{data:?}");
    }
    // Hive-style folders (`island=Biscoe/…`): the folder names come back as a column.
    let hive = dir.path().join("by_island");
    let islands = ds.require("island").unwrap();
    for island in ["Biscoe", "Dream", "Torgersen"] {
        let rows: Vec<usize> = (0..ds.n_rows()).filter(|&r| islands.cell_text(r) == island).collect();
        let rows = polars::prelude::IdxCa::new(
            "i".into(),
            rows.iter().map(|&r| r as polars::prelude::IdxSize).collect::<Vec<_>>(),
        );
        let mut part = df.take(&rows).unwrap().drop("island").unwrap();
        let folder = hive.join(format!("island={island}"));
        std::fs::create_dir_all(&folder).unwrap();
        ParquetWriter::new(std::fs::File::create(folder.join("part-0.parquet")).unwrap()).finish(&mut part).unwrap();
    }
    let back = cairn::data::read_path(&hive).unwrap();
    assert_eq!(back.n_rows(), ds.n_rows());
    let island = back.require("island").unwrap();
    assert_eq!((0..back.n_rows()).filter(|&r| island.cell_text(r) == "Dream").count(), 124);
    // A file that does not fit the others is named.
    std::fs::copy(asset("penguins.csv"), parts.join("zz.parquet")).unwrap();
    assert_clean_failure(&cairn(&["inspect", parts.to_str().unwrap()]), "zz.parquet");
}

#[test]
fn a_folder_of_text_files_per_label_trains_a_spam_filter() {
    let ds = read_csv_path(&asset("sms_spam.csv")).unwrap();
    let dir = tempdir();
    let root = dir.path().join("messages");
    let (label, text) = (ds.require("label").unwrap(), ds.require("text").unwrap());
    for r in 0..ds.n_rows() {
        let folder = root.join(label.cell_text(r));
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join(format!("{r:05}.txt")), text.cell_text(r)).unwrap();
    }
    std::fs::write(root.join(".DS_Store"), "hidden files are skipped").unwrap();
    let o = cairn(&["inspect", root.to_str().unwrap(), "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let profile: Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(profile["rows"], ds.n_rows());
    let o = cairn(&["train", root.to_str().unwrap(), "--target", "label", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    let acc = v["metrics"]["accuracy"].as_f64().unwrap();
    let f1 = v["metrics"]["f1"].as_f64().unwrap();
    // The CSV scores accuracy 0.975 / F1 0.896; the folder orders rows differently (by label).
    assert!(acc > 0.96 && f1 > 0.85, "accuracy {acc}, F1 {f1}");
    // One label folder is not enough to learn from.
    let one = dir.path().join("one");
    std::fs::create_dir_all(one.join("ham")).unwrap();
    std::fs::write(one.join("ham/a.txt"), "hello").unwrap();
    assert_clean_failure(&cairn(&["inspect", one.to_str().unwrap()]), "one sub-folder per label");
}

/// Three kinds of generated picture (horizontal stripes, vertical stripes, a red square on
/// grey), each drawn with random offsets, sizes and noise, saved as PNG and JPEG.
pub(crate) fn draw(kind: usize, seed: u64) -> image::RgbImage {
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    let mut rnd = move || {
        s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (s >> 33) as u32
    };
    let (w, h) = (20 + rnd() % 20, 20 + rnd() % 20);
    let phase = rnd() % 6;
    let (x0, y0) = (rnd() % (w / 2), rnd() % (h / 2));
    let mut img = image::RgbImage::new(w, h);
    for (x, y, p) in img.enumerate_pixels_mut() {
        let noise = (rnd() % 40) as u8;
        let on = match kind {
            0 => ((y + phase) / 3) % 2 == 0,
            1 => ((x + phase) / 3) % 2 == 0,
            _ => x >= x0 && x < x0 + w / 2 && y >= y0 && y < y0 + h / 2,
        };
        *p = match (kind, on) {
            (2, true) => image::Rgb([200 + noise, noise, noise]),
            (2, false) => image::Rgb([100 + noise, 100 + noise, 100 + noise]),
            (_, true) => image::Rgb([210 + noise, 210 + noise, 210 + noise]),
            (_, false) => image::Rgb([noise, noise, noise]),
        };
    }
    img
}

#[test]
fn a_folder_of_images_per_class_trains_a_classifier() {
    let dir = tempdir();
    let root = dir.path().join("pictures");
    for (kind, name) in ["horizontal", "vertical", "red_square"].iter().enumerate() {
        std::fs::create_dir_all(root.join(name)).unwrap();
        for i in 0..60u64 {
            let img = draw(kind, i * 7 + kind as u64);
            let ext = if i % 4 == 0 { "jpg" } else { "png" };
            img.save(root.join(name).join(format!("{i:03}.{ext}"))).unwrap();
        }
    }
    std::fs::write(root.join("horizontal/notes.txt"), "not a picture: skipped in an image folder").unwrap();
    let ds = cairn::data::read_path(&root).unwrap();
    assert_eq!(ds.n_rows(), 180);
    assert_eq!(ds.n_cols(), 1280 + 16 * 16 + 24 + 2, "encoder features, pixels, colour histograms, label and file");
    // "simple pixels" alone (the features before the encoder) still learn these drawings
    let o = cairn(&[
        "train",
        root.to_str().unwrap(),
        "--target",
        "label",
        "--model",
        "logistic",
        "--pictures",
        "pixels",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    let acc = v["metrics"]["accuracy"].as_f64().unwrap();
    assert!(acc >= 0.9, "accuracy {acc} on 36 test pictures");
    // A picture that will not decode is named, and nothing is imported.
    std::fs::write(root.join("vertical/broken.png"), "\u{89}PNG but truncated").unwrap();
    let o = cairn(&["inspect", root.to_str().unwrap()]);
    assert_clean_failure(&o, "broken.png");
    assert!(stderr(&o).contains("cannot be decoded"), "{}", stderr(&o));
}

fn ds_file(h: &egui_kittest::Harness<'static, cairn::app::CairnApp>, row: usize) -> String {
    h.state().state.dataset.as_ref().unwrap().require("file").unwrap().cell_text(row)
}

#[test]
fn the_data_panel_opens_a_folder_of_pictures() {
    use egui_kittest::kittest::Queryable;
    let dir = tempdir();
    let root = dir.path().join("shapes");
    for (kind, name) in ["stripes", "square"].iter().enumerate() {
        std::fs::create_dir_all(root.join(name)).unwrap();
        for i in 0..10u64 {
            draw(kind * 2, i).save(root.join(name).join(format!("{i}.png"))).unwrap();
        }
    }
    let picker = cairn::app::FixedPicker { open: Some(root), save: None };
    // a tall window, so the thumbnails under the confusion matrix are on screen
    let options = crate::gui::options(picker, dir.path());
    let mut h = crate::gui::harness_of(options, egui::vec2(1280.0, 2000.0), false);
    h.step();
    h.get_by_label("Open a folder of examples…").click();
    h.step();
    crate::gui::wait_until(&mut h, "the pictures to load", |a| a.state.dataset.is_some());
    // the encoder's 1280 features, a 16×16 thumbnail, 3 × 8 histogram bins, label and file
    h.get_by_label("20 rows × 1562 columns");
    let ds = h.state().state.dataset.as_ref().unwrap();
    assert_eq!(ds.require("label").unwrap().cell_text(19), "stripes");
    assert!(ds.column("enc_1279").is_some() && ds.column("pixel_15_15").is_some());
    let pictures = ds.pictures.as_ref().expect("the dataset says it was made from pictures");
    assert_eq!(pictures.encoder.as_ref().map(|e| e.name.as_str()), Some("efficientnet-lite0"));

    // Train, then Evaluate shows the pictures of a confusion-matrix cell; clicking one gives
    // the classes' probabilities for it.
    assert_eq!(h.state().state.settings.target.as_deref(), Some("label"), "the labels are the target already");
    h.get_by_label("3  Train").click();
    h.step();
    h.get_by_label("Augment pictures");
    h.state_mut().state.settings.model = Some(cairn::train::ModelKind::Logistic);
    crate::gui::train_and_wait(&mut h);
    h.get_by_label("4  Evaluate").click();
    h.step();
    let o = h.state().state.outcome.clone().unwrap();
    let cairn::eval::Detail::Classification { actual, predicted, .. } = &o.report.detail else { panic!() };
    let (a, p) = (actual[0], predicted[0]);
    h.state_mut().state.eval_view.cell = Some((a, p));
    h.run_steps(3);
    let source = o.test_source_rows[0];
    let file = ds_file(&h, source);
    let name = file.rsplit('/').next().unwrap().to_string();
    h.get_by_label(&name).click();
    h.run_steps(2);
    h.get_by_label_contains("how sure the model is");
    // The thumbnails were decoded in the background and arrive as textures.
    crate::gui::wait_until(&mut h, "the thumbnails", |a| !a.state.eval_view.pictures.loading());
    assert!(h.query_by_label("loading…").is_none() && h.query_by_label("(cannot read)").is_none());
    let chosen = h.state().state.eval_view.pictures.chosen.clone().expect("a picture was chosen");
    assert_eq!(chosen.1.len(), 2, "one probability per class");
    assert!((chosen.1.iter().map(|(_, p)| p).sum::<f64>() - 1.0).abs() < 1e-9);

    // Back on the Data panel, the pictures can become simple pixels only (to show the contrast).
    h.get_by_label("1  Data").click();
    h.step();
    h.get_by_label("Pictures become").click();
    h.run_steps(3);
    h.get_by_label("simple pixels only").click();
    h.step();
    crate::gui::wait_until(&mut h, "the pictures to be read again", |a| {
        a.state.dataset.as_ref().is_some_and(|d| d.column("enc_0").is_none())
    });
    h.get_by_label("20 rows × 282 columns");
    assert_eq!(h.state().state.settings.target.as_deref(), Some("label"), "the target is kept");
}
