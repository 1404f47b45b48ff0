//! Polars as a differential oracle for Cairn's own CSV reader: generated tables of a few
//! hundred kilobytes (the chunk size lowered so each spans many chunks, through both the
//! in-place fast path and the quote-aware general path) are read by both, and every cell must
//! agree: numbers to the last bit, text exactly, missing cells in the same places.

use cairn::data::{Dataset, Values, read_csv_path, set_chunk_bytes_for_tests};
use cairn::util::Rng;
use polars::prelude::*;
use proptest::prelude::*;

/// A column's kind, which decides how its cells are written (polars is told the same kinds).
#[derive(Clone, Copy, Debug)]
enum Kind {
    /// Whole numbers, some negative.
    Ints,
    /// Decimals with up to 17 significant digits, some negative.
    Decimals,
    /// Numbers with exponents (`1.5e-7`, `-3E12`).
    Exponents,
    /// Words (always with a letter, so the column stays text).
    Text,
}

/// How a generated file is written.
#[derive(Clone, Debug)]
struct Shape {
    kinds: Vec<Kind>,
    rows: usize,
    seed: u64,
    sep: u8,
    crlf: bool,
    /// Quote some text cells, holding separators, doubled quotes and line breaks.
    quotes: bool,
    /// Quote some number cells (`"12.5"`).
    quoted_numbers: bool,
    /// Chance (in percent) that a cell is missing.
    missing: usize,
}

fn shape() -> impl Strategy<Value = Shape> {
    let kind = prop_oneof![Just(Kind::Ints), Just(Kind::Decimals), Just(Kind::Exponents), Just(Kind::Text)];
    (
        proptest::collection::vec(kind, 2..7),
        2000usize..12_000,
        any::<u64>(),
        prop_oneof![Just(b','), Just(b';'), Just(b'\t')],
        any::<bool>(),
        prop_oneof![2 => Just(false), 1 => Just(true)],
        any::<bool>(),
        prop_oneof![Just(0usize), Just(3), Just(20)],
    )
        .prop_map(|(kinds, rows, seed, sep, crlf, quotes, quoted_numbers, missing)| Shape {
            kinds,
            rows,
            seed,
            sep,
            crlf,
            quotes,
            quoted_numbers,
            missing,
        })
}

fn digits(rng: &mut Rng, n: usize) -> String {
    (0..n).map(|_| char::from(b'0' + rng.below(10) as u8)).collect()
}

fn number(rng: &mut Rng, kind: Kind) -> String {
    let sign = if rng.below(3) == 0 { "-" } else { "" };
    let lead = 1 + rng.below(9);
    let more = rng.below(9);
    let int = if rng.below(4) == 0 { "0".to_string() } else { format!("{lead}{}", digits(rng, more)) };
    match kind {
        Kind::Ints => format!("{sign}{int}"),
        Kind::Decimals => {
            let n = 1 + rng.below(10);
            format!("{sign}{int}.{}", digits(rng, n))
        }
        _ => {
            let e = if rng.below(2) == 0 { 'e' } else { 'E' };
            let exp_sign = ["", "-", "+"][rng.below(3)];
            let n = rng.below(12);
            let frac = digits(rng, n);
            format!("{sign}{lead}.{frac}{e}{exp_sign}{}", rng.below(300))
        }
    }
}

fn word(rng: &mut Rng, shape: &Shape) -> String {
    const WORDS: [&str; 8] = ["alpha", "beta", "café", "x", "na\u{ef}ve", "gamma ray", "d3lta", "漢字"];
    let mut w = WORDS[rng.below(WORDS.len())].to_string();
    if rng.below(3) == 0 {
        w.push_str(&rng.below(1000).to_string());
    }
    if shape.quotes && rng.below(8) == 0 {
        let inner_sep = format!("a{}b", char::from(shape.sep));
        let extra = ["\"quoted\"", "two\nlines", inner_sep.as_str(), "end\"", "crlf\r\ninside"][rng.below(5)];
        w = format!("{w} {extra}");
    }
    w
}

/// Writes the file and returns the cells as written (`None` = missing).
fn generate(shape: &Shape) -> (String, Vec<Vec<Option<String>>>) {
    let mut rng = Rng::new(shape.seed);
    let sep = char::from(shape.sep);
    let eol = if shape.crlf { "\r\n" } else { "\n" };
    let names: Vec<String> = (0..shape.kinds.len()).map(|j| format!("c{j}")).collect();
    let mut text = names.join(&sep.to_string()) + eol;
    let mut columns = vec![Vec::with_capacity(shape.rows); shape.kinds.len()];
    for _ in 0..shape.rows {
        let mut fields = Vec::with_capacity(shape.kinds.len());
        for (j, &kind) in shape.kinds.iter().enumerate() {
            // The first column is never missing: a row of missing cells would be a blank line.
            let cell = (j == 0 || rng.below(100) >= shape.missing).then(|| match kind {
                Kind::Text => word(&mut rng, shape),
                _ => number(&mut rng, kind),
            });
            let field = match &cell {
                None => String::new(),
                Some(c) if c.contains(['"', '\n', '\r', sep]) => format!("\"{}\"", c.replace('"', "\"\"")),
                Some(c) if shape.quoted_numbers && rng.below(10) == 0 => format!("\"{c}\""),
                Some(c) => c.clone(),
            };
            fields.push(field);
            columns[j].push(cell);
        }
        text.push_str(&fields.join(&sep.to_string()));
        text.push_str(eol);
    }
    (text, columns)
}

fn read_with_polars(path: &std::path::Path, shape: &Shape) -> DataFrame {
    let schema: Schema = shape
        .kinds
        .iter()
        .enumerate()
        .map(|(j, k)| {
            let dtype = if matches!(k, Kind::Text) { DataType::String } else { DataType::Float64 };
            Field::new(format!("c{j}").into(), dtype)
        })
        .collect();
    CsvReadOptions::default()
        .with_has_header(true)
        .with_schema(Some(Arc::new(schema)))
        .map_parse_options(|o| o.with_separator(shape.sep))
        .try_into_reader_with_file_path(Some(path.to_path_buf()))
        .unwrap()
        .finish()
        .unwrap()
}

/// Every cell of Cairn's table against polars' frame (and the text as generated).
fn compare(ours: &Dataset, frame: &DataFrame, written: &[Vec<Option<String>>]) -> Result<(), TestCaseError> {
    prop_assert_eq!(ours.n_rows(), frame.height());
    prop_assert_eq!(ours.n_cols(), frame.width());
    for (j, (column, theirs)) in ours.columns.iter().zip(frame.columns()).enumerate() {
        let theirs = theirs.as_materialized_series();
        match (&column.values, theirs.dtype()) {
            (Values::Numeric(numbers), DataType::Float64) => {
                for (r, want) in theirs.f64().unwrap().iter().enumerate() {
                    let got = numbers.get(r);
                    let same = match (got, want) {
                        (Some(a), Some(b)) => a.to_bits() == b.to_bits(),
                        (None, None) => true,
                        _ => false,
                    };
                    prop_assert!(
                        same,
                        "column {}, row {}: Cairn {:?}, polars {:?} (written {:?})",
                        j,
                        r,
                        got,
                        want,
                        written[j][r]
                    );
                }
            }
            (Values::Str(strings), DataType::String) => {
                for (r, want) in theirs.str().unwrap().iter().enumerate() {
                    let got = strings.get(r);
                    prop_assert_eq!(got, want, "column {}, row {}", j, r);
                    prop_assert_eq!(got, written[j][r].as_deref(), "column {}, row {}", j, r);
                }
            }
            (_, dtype) => prop_assert!(false, "column {}: Cairn read {:?}, polars {}", j, column.kind, dtype),
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn cairn_reads_every_cell_as_polars_does(shape in shape()) {
        // 32 KiB chunks: the generated files (100 KB to 1.5 MB) span many of them.
        set_chunk_bytes_for_tests(32 << 10);
        let (text, written) = generate(&shape);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, &text).unwrap();
        let ours = read_csv_path(&path).unwrap();
        let frame = read_with_polars(&path, &shape);
        compare(&ours, &frame, &written)?;
    }
}

/// Not a timed test (run by hand with `--ignored --nocapture`): reading the same 200 000-row
/// file with Cairn's reader and with polars' CSV reader, best of three each, in this build.
#[test]
#[ignore]
fn measure_cairn_against_polars_reader() {
    set_chunk_bytes_for_tests(4 << 20);
    let shape = Shape {
        kinds: vec![
            Kind::Ints,
            Kind::Decimals,
            Kind::Decimals,
            Kind::Exponents,
            Kind::Text,
            Kind::Decimals,
            Kind::Text,
        ],
        rows: 200_000,
        seed: 7,
        sep: b',',
        crlf: false,
        quotes: false,
        quoted_numbers: false,
        missing: 3,
    };
    let (text, _) = generate(&shape);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.csv");
    std::fs::write(&path, &text).unwrap();
    let best = |f: &dyn Fn() -> usize| {
        (0..3)
            .map(|_| {
                let t = std::time::Instant::now();
                assert_eq!(f(), shape.rows);
                t.elapsed().as_secs_f64() * 1e3
            })
            .fold(f64::INFINITY, f64::min)
    };
    let cairn = best(&|| read_csv_path(&path).unwrap().n_rows());
    let polars = best(&|| {
        CsvReadOptions::default()
            .with_has_header(true)
            .try_into_reader_with_file_path(Some(path.clone()))
            .unwrap()
            .finish()
            .unwrap()
            .height()
    });
    let mb = text.len() as f64 / 1e6;
    println!("{mb:.1} MB, {} rows: Cairn {cairn:.1} ms, polars {polars:.1} ms ({:.2}x)", shape.rows, polars / cairn);
}
