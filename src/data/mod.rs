//! Data layer: tabular datasets, CSV import and the column profile.
//!
//! A [`Dataset`] is column-major: every column is either numeric (`f64`, missing = `None`) or a
//! string column (categorical or free text). The kind of each column is inferred on import and
//! drives the default feature recipe.

mod coach;
mod csv;
mod csv_chunks;
mod csv_plain;
mod csv_scan;
mod dates;
mod excel;
pub mod explore;
mod fingerprint;
mod folder;
mod formatted;
mod json;
mod parquet;
mod personal;
pub mod pictures;
mod postgres;
mod profile;
mod schema;
pub mod series;
mod sqlite;
pub mod stream;
mod task;
mod values;

pub use coach::{Warning, table_warnings, target_warnings};
pub use csv::{
    CsvOptions, Progress, from_polars, read_csv_bytes, read_csv_bytes_with, read_csv_path, read_csv_path_with,
    set_chunk_bytes_for_tests,
};
pub use csv_scan::last_record_end;
pub use dates::{DateFormat, DateProblem, DateTime, detect_column, parse_datetime};
pub use fingerprint::dataset_hash;
pub use folder::{read_label_folder, read_label_folder_with, read_sound_files};
pub use json::read_json_bytes;
pub use personal::PersonalFinding;
pub use pictures::{ImageOptions, PictureFeatures, PictureSource, simple_pixels};
pub use task::{Task, detect_task, named_ratings_columns};
pub use values::{MISSING, Numbers, Strings, StringsBuilder, Values};
pub(crate) use values::{count_distinct, distinct_numbers};

/// Reads a data file by its extension: CSV/TSV/TXT (delimited text), JSON / NDJSON / JSONL,
/// Parquet, Excel/OpenDocument, SQLite, or a folder with one sub-folder of examples per label.
/// Whether `text` names a database server (`postgres://…`) rather than a file.
pub fn is_database_url(text: &str) -> bool {
    postgres::postgres_source(text).is_some()
}

/// What to record of a data location (run store, project file): a server address without its
/// password, which is read from `PGPASSWORD` when the data is read again.
pub fn data_name(text: &str) -> String {
    if is_database_url(text) { postgres::redact(text) } else { text.to_string() }
}

/// A folder holding a Parquet dataset (rather than one sub-folder of examples per label).
pub fn is_parquet_folder(path: &std::path::Path) -> bool {
    parquet::parquet_parts(path).is_some()
}

pub fn read_path(path: &std::path::Path) -> Result<Dataset, DataError> {
    read_path_with(path, &Progress::default())
}

/// [`read_path`] reporting progress and stopping when cancelled (delimited text, the large
/// files, is read in pieces; the other formats report nothing until done).
pub fn read_path_with(path: &std::path::Path, progress: &Progress) -> Result<Dataset, DataError> {
    // A folder holds a Parquet dataset or one sub-folder of examples per label.
    if path.is_dir() {
        return match parquet::parquet_parts(path) {
            Some(parts) => parquet::read_parquet_parts(path, &parts),
            None => read_label_folder_with(path, ImageOptions::default(), progress),
        };
    }
    if let Some((url, what)) = postgres::postgres_source(&path.to_string_lossy()) {
        return postgres::read_postgres(&url, what.as_deref());
    }
    if let Some((file, what)) = sqlite::sqlite_source(path) {
        return sqlite::read_sqlite(&file, what.as_deref());
    }
    if let Some((file, sheet)) = excel::workbook_source(path) {
        return excel::read_workbook(&file, sheet.as_deref());
    }
    // A pattern such as `sales/part-*.parquet`.
    if let Some(parts) = parquet::parquet_parts(path) {
        return parquet::read_parquet_parts(path, &parts);
    }
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "json" | "ndjson" | "jsonl" => {
            let bytes = std::fs::read(path).map_err(|error| DataError::Io { path: path.to_path_buf(), error })?;
            read_json_bytes(&path.display().to_string(), &bytes)
        }
        "parquet" | "pq" => parquet::read_parquet(path),
        _ => read_csv_path_with(path, CsvOptions::default(), progress),
    }
}
pub use profile::{ColumnProfile, Profile, profile};
pub use schema::{Schema, SchemaColumn};

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// What a column holds, as far as modelling is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnKind {
    /// Numbers: imputed with the median and standardised.
    Numeric,
    /// A few distinct labels: imputed with the most frequent value and one-hot encoded.
    Categorical,
    /// Free text (several words per cell): turned into TF-IDF features.
    Text,
}

impl ColumnKind {
    pub fn label(self) -> &'static str {
        match self {
            ColumnKind::Numeric => "numeric",
            ColumnKind::Categorical => "categorical",
            ColumnKind::Text => "text",
        }
    }
}

/// One named column.
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    pub name: String,
    pub kind: ColumnKind,
    pub values: Values,
}

impl Column {
    pub fn numeric(name: impl Into<String>, values: Vec<Option<f64>>) -> Self {
        Column { name: name.into(), kind: ColumnKind::Numeric, values: Values::Numeric(values.into()) }
    }

    pub fn from_numbers(name: impl Into<String>, values: Numbers) -> Self {
        Column { name: name.into(), kind: ColumnKind::Numeric, values: Values::Numeric(values) }
    }

    /// A string column whose kind (categorical or text) is inferred from its content.
    pub fn strings(name: impl Into<String>, values: Vec<Option<String>>) -> Self {
        Column::from_strings(name, values.into())
    }

    /// A coded string column whose kind (categorical or text) is inferred from its content.
    pub fn from_strings(name: impl Into<String>, values: Strings) -> Self {
        let kind = infer_string_kind(&values);
        Column { name: name.into(), kind, values: Values::Str(values) }
    }

    /// Cell as display text ("" when missing).
    pub fn cell_text(&self, row: usize) -> String {
        self.values.display(row)
    }

    /// The number of missing cells.
    pub fn missing(&self) -> usize {
        self.values.missing()
    }
}

/// A table of named columns of equal length.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// Where it came from: a file path or a sample's name (used in messages).
    pub source: String,
    pub columns: Vec<Column>,
    /// How the rows were made from pictures, when they were (see [`pictures`]).
    pub pictures: Option<PictureSource>,
}

impl Dataset {
    /// Builds a dataset, checking that the columns have equal length and unique names.
    pub fn new(source: impl Into<String>, columns: Vec<Column>) -> Result<Self, DataError> {
        let source = source.into();
        if let Some(first) = columns.first() {
            let n = first.values.len();
            for c in &columns {
                if c.values.len() != n {
                    return Err(DataError::Invalid {
                        source_name: source.clone(),
                        message: format!("column '{}' has {} rows, expected {n}", c.name, c.values.len()),
                    });
                }
            }
        }
        let mut seen = std::collections::HashSet::new();
        for c in &columns {
            if !seen.insert(c.name.as_str()) {
                return Err(DataError::Invalid {
                    source_name: source.clone(),
                    message: format!("column name '{}' appears twice", c.name),
                });
            }
        }
        Ok(Dataset { source, columns, pictures: None })
    }

    pub fn n_rows(&self) -> usize {
        self.columns.first().map_or(0, |c| c.values.len())
    }

    pub fn n_cols(&self) -> usize {
        self.columns.len()
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The column, or an error naming it and listing the columns that exist.
    pub fn require(&self, name: &str) -> Result<&Column, DataError> {
        self.column(name).ok_or_else(|| DataError::UnknownColumn {
            source_name: self.source.clone(),
            column: name.to_string(),
            available: self.column_names().join(", "),
        })
    }

    pub fn column_names(&self) -> Vec<String> {
        self.columns.iter().map(|c| c.name.clone()).collect()
    }

    /// A new dataset with only the given rows, in that order.
    /// The same table with column `name` treated as `kind` (the user's override of the
    /// inferred type): numbers become labels as written, labels become numbers (a cell that is
    /// not a number is an error naming its row), categorical ↔ text only changes the treatment.
    pub fn with_kind(&self, name: &str, kind: ColumnKind) -> Result<Dataset, DataError> {
        let index = self.columns.iter().position(|c| c.name == name).ok_or_else(|| DataError::UnknownColumn {
            source_name: self.source.clone(),
            column: name.to_string(),
            available: self.column_names().join(", "),
        })?;
        let mut out = self.clone();
        let col = &mut out.columns[index];
        col.values = match (kind, &col.values) {
            (ColumnKind::Numeric, Values::Str(v)) => {
                let mut numbers = Numbers::default();
                for (row, cell) in v.iter().enumerate() {
                    numbers.push(match cell.map(str::trim) {
                        None => None,
                        Some(t) => formatted::number_cell(t).ok_or_else(|| DataError::Invalid {
                            source_name: self.source.clone(),
                            message: format!("column '{name}' cannot be numbers: row {} holds '{t}'", row + 1),
                        })?,
                    });
                }
                Values::Numeric(numbers)
            }
            (ColumnKind::Categorical | ColumnKind::Text, Values::Numeric(v)) => {
                Values::Str(v.iter().map(|x| x.map(format_number)).collect())
            }
            (_, values) => values.clone(),
        };
        col.kind = kind;
        Ok(out)
    }

    /// The table without column `name`.
    pub fn without_column(&self, name: &str) -> Result<Dataset, DataError> {
        self.require(name)?;
        let columns = self.columns.iter().filter(|c| c.name != name).cloned().collect();
        Dataset::new(self.source.clone(), columns)
    }

    /// The rows that do not exactly repeat an earlier row. Rows are hashed cell by cell (on all
    /// cores; a string cell by its dictionary code), sorted by the top bits of their hash into
    /// parts small enough for a table in cache, and each part (on all cores) finds its repeats
    /// in an open-addressing table: only rows with equal hashes are compared, so a million rows
    /// take a few hundredths of a second.
    pub fn first_occurrences(&self) -> Vec<usize> {
        let n = self.n_rows();
        let mut repeated = vec![false; n];
        self.repeated_rows().iter().for_each(|&r| repeated[r as usize] = true);
        (0..n).filter(|&r| !repeated[r]).collect()
    }

    /// How many rows exactly repeat an earlier row.
    pub fn duplicate_rows(&self) -> usize {
        self.repeated_rows().len()
    }

    /// The rows that exactly repeat an earlier row (in no particular order); see
    /// [`Dataset::first_occurrences`].
    fn repeated_rows(&self) -> Vec<u32> {
        use rayon::prelude::*;
        let n = self.n_rows();
        let mut hashes = vec![0u64; n];
        hashes.par_chunks_mut(8192).enumerate().for_each(|(chunk, out)| {
            let rows = chunk * 8192..chunk * 8192 + out.len();
            out.fill(0x51_7C_C1_B7_27_22_0A_95);
            for c in &self.columns {
                let mix = |h: &mut u64, x: u64| *h = (*h ^ x).wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(29);
                match &c.values {
                    Values::Numeric(v) => {
                        for (h, x) in out.iter_mut().zip(&v.raw()[rows.clone()]) {
                            mix(h, if x.is_nan() { u64::MAX } else { x.to_bits() });
                        }
                    }
                    Values::Str(v) => {
                        for (h, &code) in out.iter_mut().zip(&v.codes()[rows.clone()]) {
                            mix(h, u64::from(code));
                        }
                    }
                }
            }
            // One more round, so the top bits (the part) depend on every cell.
            out.iter_mut().for_each(|h| *h = (*h ^ (*h >> 31)).wrapping_mul(0xBF58_476D_1CE4_E5B9));
        });
        let same = |a: usize, b: usize| {
            self.columns.iter().all(|c| match &c.values {
                Values::Numeric(v) => {
                    v.raw()[a].to_bits() == v.raw()[b].to_bits() || v.raw()[a].is_nan() && v.raw()[b].is_nan()
                }
                Values::Str(v) => v.codes()[a] == v.codes()[b],
            })
        };
        // Rows by part, in row order within each part: each slice of the rows is counting-sorted
        // on the hash's top bits (slices on all cores), and a part is its rows of every slice.
        let bits = (n / 4096).max(1).ilog2().min(12);
        let part = |h: u64| (h >> 32 >> (32 - bits)) as usize;
        let per = n.div_ceil(rayon::current_num_threads().max(1) * 2).max(1);
        // Each row goes with its hash, so a part is read in order (no random reads of the hashes).
        /// A slice's rows by part: where each part starts, and its (hash, row) pairs.
        type ByPart = (Vec<usize>, Vec<(u64, u32)>);
        let sorted: Vec<ByPart> = hashes
            .par_chunks(per)
            .enumerate()
            .map(|(slice, hashes)| {
                let mut starts = vec![0usize; (1 << bits) + 1];
                hashes.iter().for_each(|&h| starts[part(h) + 1] += 1);
                (1..starts.len()).for_each(|p| starts[p] += starts[p - 1]);
                let mut order = vec![(0u64, 0u32); hashes.len()];
                let mut next = starts.clone();
                for (r, &h) in hashes.iter().enumerate() {
                    order[next[part(h)]] = (h, (slice * per + r) as u32);
                    next[part(h)] += 1;
                }
                (starts, order)
            })
            .collect();
        // Each part's repeats: open addressing on (hash, row); the first of equal rows stays.
        (0..1usize << bits)
            .into_par_iter()
            .map_init(Vec::new, |table: &mut Vec<(u64, u32)>, p| {
                let rows = sorted.iter().flat_map(|(starts, order)| &order[starts[p]..starts[p + 1]]);
                let count: usize = sorted.iter().map(|(starts, _)| starts[p + 1] - starts[p]).sum();
                let size = (count.max(4) * 2).next_power_of_two();
                table.clear();
                table.resize(size, (0, u32::MAX));
                let mut repeats = Vec::new();
                for &(h, r) in rows {
                    let mut slot = (h as usize) & (size - 1);
                    loop {
                        let (there, row) = table[slot];
                        if row == u32::MAX {
                            table[slot] = (h, r);
                            break;
                        }
                        if there == h && same(row as usize, r as usize) {
                            repeats.push(r);
                            break;
                        }
                        slot = (slot + 1) & (size - 1);
                    }
                }
                repeats
            })
            .flatten_iter()
            .collect()
    }

    /// The table with rows that exactly repeat an earlier row removed, and how many were.
    pub fn without_duplicate_rows(&self) -> (Dataset, usize) {
        let keep = self.first_occurrences();
        (self.take_rows(&keep), self.n_rows() - keep.len())
    }

    /// This table's rows followed by `other`'s, column by column by name (`other` may order
    /// its columns differently and have extra ones). A number column takes text cells that are
    /// numbers; a text column takes numbers as text; anything else is an error naming the cell.
    pub fn append(&self, other: &Dataset) -> Result<Dataset, DataError> {
        let mut columns = Vec::with_capacity(self.columns.len());
        for c in &self.columns {
            let theirs = other.require(&c.name)?;
            let values = match (&c.values, &theirs.values) {
                (Values::Numeric(a), Values::Numeric(b)) => Values::Numeric(a.iter().chain(b.iter()).collect()),
                (Values::Str(a), Values::Str(b)) => Values::Str(a.concat(b)),
                (Values::Str(a), Values::Numeric(b)) => {
                    Values::Str(a.concat(&b.iter().map(|x| x.map(format_number)).collect()))
                }
                (Values::Numeric(a), Values::Str(b)) => {
                    let mut out = a.clone();
                    for (row, cell) in b.iter().enumerate() {
                        out.push(match cell.map(str::trim) {
                            None => None,
                            Some(t) => formatted::number_cell(t).ok_or_else(|| DataError::Invalid {
                                source_name: other.source.clone(),
                                message: format!(
                                    "row {}, column '{}': '{t}' is not a number, but the column holds numbers",
                                    row + 1,
                                    c.name
                                ),
                            })?,
                        });
                    }
                    Values::Numeric(out)
                }
            };
            columns.push(Column { name: c.name.clone(), kind: c.kind, values });
        }
        Dataset::new(format!("{} + {}", self.source, other.source), columns)
    }

    pub fn take_rows(&self, rows: &[usize]) -> Dataset {
        Dataset {
            pictures: self.pictures.clone(),
            source: self.source.clone(),
            columns: self
                .columns
                .iter()
                .map(|c| Column { name: c.name.clone(), kind: c.kind, values: c.values.take(rows) })
                .collect(),
        }
    }
}

/// Formats a number the way a person writes it: integers without a trailing `.0`.
pub fn format_number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 { format!("{}", x as i64) } else { format!("{x}") }
}

/// Header names made unique: a name seen before gets `_2`, `_3`, … (the first free one), so
/// a file with two columns called `x` reads as `x` and `x_2` rather than not at all.
pub(crate) fn unique_names(names: Vec<String>) -> Vec<String> {
    let mut taken: std::collections::HashSet<String> = names.iter().cloned().collect();
    let mut seen = std::collections::HashSet::new();
    names
        .into_iter()
        .map(|name| {
            if seen.insert(name.clone()) {
                return name;
            }
            let free = (2..).map(|k| format!("{name}_{k}")).find(|n| !taken.contains(n)).unwrap_or_default();
            taken.insert(free.clone());
            seen.insert(free.clone());
            free
        })
        .collect()
}

/// Free text has several words per cell on average; short labels are categories. Dates
/// written with words (`Mar 5, 2021`) are labels too: the recipe splits them into parts.
fn infer_string_kind(values: &Strings) -> ColumnKind {
    let mut words = 0usize;
    let mut cells = 0usize;
    for v in values.iter().flatten().take(5000) {
        words += v.split_whitespace().count();
        cells += 1;
    }
    if cells > 0 && words as f64 / cells as f64 >= 3.0 && !coach::strings_look_like_dates(values) {
        ColumnKind::Text
    } else {
        ColumnKind::Categorical
    }
}

/// Errors of the data layer. Every message names the file (and the row/column when known).
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("cannot read '{path}': {error}")]
    Io { path: PathBuf, error: std::io::Error },
    #[error("'{source_name}' is empty: it has no header row")]
    Empty { source_name: String },
    #[error("'{source_name}' has a header but no data rows")]
    NoRows { source_name: String },
    #[error("'{source_name}' is not valid UTF-8 text (first bad byte at line {line})")]
    Encoding { source_name: String, line: usize },
    #[error("'{source_name}', line {line}: {message}")]
    Malformed { source_name: String, line: usize, message: String },
    #[error("'{source_name}': {message}")]
    Parse { source_name: String, message: String },
    #[error("'{source_name}' has no column '{column}' (columns: {available})")]
    UnknownColumn { source_name: String, column: String, available: String },
    #[error("'{source_name}': {message}")]
    Invalid { source_name: String, message: String },
    #[error(
        "unsupported file type '{path}': Cairn reads .csv, .tsv, .txt, .json, .ndjson, .jsonl, .parquet, Excel/OpenDocument (.xlsx, .xls, .ods), SQLite (.sqlite, .db) and folders with one sub-folder per label"
    )]
    Unsupported { path: PathBuf },
}

#[cfg(test)]
mod kind_tests {
    use super::*;

    #[test]
    fn kinds_can_be_overridden() {
        let ds = Dataset::new(
            "t",
            vec![
                Column::numeric("code", vec![Some(1.0), Some(2.0), None]),
                Column::strings("n", vec![Some("3".into()), Some(" 4.5".into()), Some("x".into())]),
            ],
        )
        .unwrap();
        let c = ds.with_kind("code", ColumnKind::Categorical).unwrap();
        assert_eq!(c.columns[0].values, Values::Str(vec![Some("1"), Some("2"), None].into_iter().collect()));
        assert_eq!(c.columns[0].kind, ColumnKind::Categorical);
        let err = ds.with_kind("n", ColumnKind::Numeric).unwrap_err().to_string();
        assert!(err.contains("row 3") && err.contains("'x'"), "{err}");
        let t = ds.with_kind("n", ColumnKind::Text).unwrap();
        assert_eq!(t.columns[1].kind, ColumnKind::Text);
        assert!(ds.with_kind("nope", ColumnKind::Text).is_err());
    }

    #[test]
    fn first_occurrences_keep_the_first_of_equal_rows_across_every_part() {
        // 60 000 rows of few distinct values, so many rows repeat; missing cells in both kinds.
        let mut rng = crate::util::Rng::new(5);
        let n = 60_000;
        let nums: Vec<Option<f64>> = (0..n).map(|_| [None, Some(0.5), Some(-1.0), Some(2.0)][rng.below(4)]).collect();
        let labels: Vec<Option<String>> =
            (0..n).map(|_| [None, Some("a"), Some("b")][rng.below(3)].map(String::from)).collect();
        let ids: Vec<Option<f64>> = (0..n).map(|_| Some(rng.below(400) as f64)).collect();
        let ds = Dataset::new(
            "t",
            vec![
                Column::numeric("x", nums.clone()),
                Column::strings("s", labels.clone()),
                Column::numeric("id", ids.clone()),
            ],
        )
        .unwrap();
        let mut seen = std::collections::HashSet::new();
        let want: Vec<usize> =
            (0..n).filter(|&r| seen.insert(format!("{:?}|{:?}|{:?}", nums[r], labels[r], ids[r]))).collect();
        assert!(want.len() > 1000 && want.len() < n / 2, "{}", want.len());
        assert_eq!(ds.first_occurrences(), want);
        assert_eq!(ds.without_duplicate_rows().1, n - want.len());
        assert_eq!(ds.duplicate_rows(), n - want.len());
        // A tiny table (one part).
        let small = Dataset::new("t", vec![Column::numeric("x", vec![Some(1.0), None, Some(1.0), None])]).unwrap();
        assert_eq!(small.first_occurrences(), vec![0, 1]);
    }
}
