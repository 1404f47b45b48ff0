//! Delimited text (CSV, TSV, semicolon) read in pieces: one thread cuts the file into chunks
//! of whole records (reading it a few megabytes at a time, never all at once), and every core
//! parses chunks into compact columns (numbers as `f64`, text dictionary-coded). Chunks are
//! then joined column by column. Malformed input becomes a message naming the file and line.

// `unsafe` here: the joined number columns are written in place (uninitialised capacity filled
// by the chunk workers, then its length set), which saves a copy of every number column.
#![allow(unsafe_code)]

use super::csv_chunks::{InPlace, Part, Seen, Source, parse_chunks, strings_of};
use super::csv_scan::{
    decimal_comma_number, parse_cell, record_end, sniff_separator, span_text, tokenize_range, windows_1252_to_utf8,
};
use super::formatted::{formatted_numbers, without_markers};
use super::{Column, DataError, Dataset, Numbers, Strings, StringsBuilder};
use polars::prelude::*;
use std::borrow::Cow;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// How much text one parsing job takes (whole records; a longer record makes a longer chunk).
#[cfg(not(test))]
pub(super) const CHUNK: usize = 4 << 20;
/// Small in unit tests, so that modest files cross many chunk boundaries.
#[cfg(test)]
pub(super) const CHUNK: usize = 16 << 10;

/// The chunk size in use: [`CHUNK`] unless a test lowered it with [`set_chunk_bytes_for_tests`].
static CHUNK_BYTES: AtomicUsize = AtomicUsize::new(CHUNK);

pub(super) fn chunk_bytes() -> usize {
    CHUNK_BYTES.load(Ordering::Relaxed)
}

/// Lowers the chunk size (at least 4 KiB) so that integration tests cross many chunk boundaries
/// with files of a few hundred kilobytes. Results never depend on it, only speed does.
#[doc(hidden)]
pub fn set_chunk_bytes_for_tests(bytes: usize) {
    CHUNK_BYTES.store(bytes.max(4 << 10), Ordering::Relaxed);
}

/// Reads a delimited text file (CSV, TSV, semicolon) from disk.
pub fn read_csv_path(path: &Path) -> Result<Dataset, DataError> {
    read_csv_path_with(path, CsvOptions::default(), &Progress::default())
}

/// [`read_csv_path`] with options, reporting progress and stopping when cancelled.
pub fn read_csv_path_with(path: &Path, options: CsvOptions, progress: &Progress) -> Result<Dataset, DataError> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    if !matches!(ext.as_str(), "csv" | "tsv" | "txt" | "tab" | "") {
        return Err(DataError::Unsupported { path: path.to_path_buf() });
    }
    let io = |error| DataError::Io { path: path.to_path_buf(), error };
    let file = std::fs::File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    let name = path.display().to_string();
    match read_source(&name, &Source::File { file: &file, len, path, lock: Mutex::new(()) }, options, progress) {
        Err(ReadError::NotUtf8) => {
            let bytes = std::fs::read(path).map_err(io)?;
            read_utf8(&name, windows_1252_to_utf8(&bytes).into_bytes(), options, progress)
        }
        other => other.map_err(ReadError::into_data),
    }
}

/// Reads delimited text held in memory; `source_name` is used in messages.
pub fn read_csv_bytes(source_name: &str, bytes: Vec<u8>) -> Result<Dataset, DataError> {
    read_csv_bytes_with(source_name, bytes, CsvOptions::default())
}

/// Choices for reading delimited text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CsvOptions {
    /// Numbers written with a decimal comma (`1.234,5`): `None` guesses (yes for semicolon- and
    /// tab-separated files whose column is all such numbers), `Some` decides.
    pub decimal_comma: Option<bool>,
}

/// Progress of a long read (the share of bytes parsed, 0 to 1) and a flag that cancels it.
#[derive(Default)]
pub struct Progress<'a> {
    pub report: Option<&'a (dyn Fn(f32) + Sync)>,
    pub cancel: Option<&'a AtomicBool>,
}

impl Progress<'_> {
    pub(super) fn cancelled(&self) -> bool {
        self.cancel.is_some_and(|c| c.load(Ordering::Relaxed))
    }
}

/// [`read_csv_bytes`] with options.
pub fn read_csv_bytes_with(source_name: &str, bytes: Vec<u8>, options: CsvOptions) -> Result<Dataset, DataError> {
    if std::str::from_utf8(&bytes).is_ok() {
        read_utf8(source_name, bytes, options, &Progress::default())
    } else {
        // Not UTF-8: spreadsheet exports on Windows are usually Windows-1252 (a superset of
        // Latin-1), which maps every byte to a character — read it as that.
        read_utf8(source_name, windows_1252_to_utf8(&bytes).into_bytes(), options, &Progress::default())
    }
}

fn read_utf8(
    source_name: &str,
    bytes: Vec<u8>,
    options: CsvOptions,
    progress: &Progress,
) -> Result<Dataset, DataError> {
    read_source(source_name, &Source::Memory(&bytes), options, progress).map_err(ReadError::into_data)
}

pub(super) enum ReadError {
    /// The text is not UTF-8 (read it again as Windows-1252).
    NotUtf8,
    Data(DataError),
}

impl ReadError {
    fn into_data(self) -> DataError {
        match self {
            ReadError::Data(e) => e,
            // Only files are re-read as Windows-1252; memory is converted before reading.
            ReadError::NotUtf8 => DataError::Encoding { source_name: String::new(), line: 0 },
        }
    }
}

impl From<DataError> for ReadError {
    fn from(e: DataError) -> Self {
        ReadError::Data(e)
    }
}

fn read_source(
    source_name: &str,
    source: &Source,
    options: CsvOptions,
    progress: &Progress,
) -> Result<Dataset, ReadError> {
    let Header { end: header_end, separator, names } = read_header(source_name, source)?;
    let width = names.len();
    let (chunks, in_place) = parse_chunks(source_name, source, header_end, separator, width, progress)?;
    let rows: usize = chunks.iter().map(|c| c.rows).sum();
    if rows == 0 {
        return Err(DataError::NoRows { source_name: source_name.to_string() }.into());
    }
    // Column by column on all cores, each chunk's part moved into the whole column and freed.
    let joiner = Joiner {
        source_name,
        source,
        progress,
        separator,
        width,
        rows,
        decimal_comma: options.decimal_comma.unwrap_or(separator != b','),
        placed: chunks.iter().map(|c| (c.range.clone(), c.rows)).collect(),
    };
    let mut in_place = in_place.map(InPlace::into_columns).unwrap_or_default();
    in_place.resize_with(width, Vec::new);
    let mut per_column: Vec<Vec<Part>> = (0..width).map(|_| Vec::with_capacity(chunks.len())).collect();
    for chunk in chunks {
        for (j, part) in chunk.parts.into_iter().enumerate() {
            per_column[j].push(part);
        }
    }
    use rayon::prelude::*;
    let columns = names
        .into_iter()
        .zip(per_column)
        .zip(in_place)
        .enumerate()
        .map(|(j, ((name, parts), cells))| Pieces { j, name, parts, cells })
        .collect::<Vec<_>>()
        .into_par_iter()
        .map(|pieces| joiner.join(pieces))
        .collect::<Result<Vec<Column>, ReadError>>()?;
    Ok(Dataset::new(source_name, columns)?)
}

/// The header record: where it ends, the separator it uses, and the column names.
struct Header {
    end: usize,
    separator: u8,
    names: Vec<String>,
}

/// Reads the header: the first record with content (blank lines before it are skipped).
fn read_header(source_name: &str, source: &Source) -> Result<Header, ReadError> {
    let len = source.len();
    let head = source.read(0..len.min(1 << 20))?;
    let bom = if head.starts_with(&[0xEF, 0xBB, 0xBF]) { 3 } else { 0 };
    if head[bom..].iter().all(u8::is_ascii_whitespace) && head.len() == len {
        return Err(DataError::Empty { source_name: source_name.to_string() }.into());
    }
    let mut header_start = bom;
    while header_start < head.len() && matches!(head[header_start], b'\n' | b'\r') {
        header_start += 1;
    }
    let header_end = match record_end(&head[header_start..]) {
        Some(end) => header_start + end,
        None if head.len() == len => len,
        None => {
            return Err(DataError::Invalid {
                source_name: source_name.to_string(),
                message: "the header line is over a megabyte long: is this a delimited text file?".into(),
            }
            .into());
        }
    };
    let header_bytes = &head[header_start..header_end];
    let header = std::str::from_utf8(header_bytes).map_err(|_| ReadError::NotUtf8)?;
    let separator = sniff_separator(header_bytes);
    let line = 1 + memchr::memchr_iter(b'\n', &head[..header_start]).count();
    let (spans, width) = tokenize_range(source_name, header_bytes, 0..header_bytes.len(), line, separator, None)?;
    let width = width.ok_or_else(|| DataError::Empty { source_name: source_name.to_string() })?;
    let names = super::unique_names(
        (0..width)
            .map(|j| {
                let name = span_text(header, spans[j]).trim().to_string();
                if name.is_empty() { format!("column_{}", j + 1) } else { name }
            })
            .collect(),
    );
    Ok(Header { end: header_end, separator, names })
}

/// One column to join: its index, name, chunk parts and in-place cells.
struct Pieces {
    j: usize,
    name: String,
    parts: Vec<Part>,
    cells: Vec<f64>,
}

/// What joining chunk parts into whole columns needs to know about the read.
struct Joiner<'a> {
    source_name: &'a str,
    source: &'a Source<'a>,
    progress: &'a Progress<'a>,
    separator: u8,
    width: usize,
    rows: usize,
    decimal_comma: bool,
    /// Each chunk's bytes and rows.
    placed: Vec<(std::ops::Range<usize>, usize)>,
}

impl Joiner<'_> {
    /// One whole column from its chunks' parts.
    fn join(&self, Pieces { j, name, parts, cells }: Pieces) -> Result<Column, ReadError> {
        if self.progress.cancelled() {
            return Err(cancelled(self.source_name).into());
        }
        // A column of numbers, unless its only cells are markers like "NA": those stay text.
        let seen = |f: fn(&Seen) -> bool| parts.iter().any(|p| p.seen().is_some_and(|s| f(&s)));
        let numbers = parts.iter().all(|p| p.seen().is_some());
        if numbers && (seen(|s| s.number) || !seen(|s| s.marker)) {
            return Ok(Column::from_numbers(name, self.join_numbers(parts, cells)));
        }
        drop(cells);
        let strings = self.join_strings(j, parts)?;
        // Numbers written for people (`3,5` where the file says so, `1,234.5`, `$12`), else
        // labels or text, whose "not available" markers are missing cells.
        let numbers = self.decimal_comma.then(|| decimal_comma_numbers(&strings)).flatten();
        Ok(match numbers.or_else(|| formatted_numbers(&strings)) {
            Some(numbers) => Column::from_numbers(name, numbers),
            None => Column::from_strings(name, without_markers(strings)),
        })
    }

    /// A column whose every part is numbers: the in-place cells as they are when every chunk
    /// wrote its rows there, one after another, else the parts copied into one column.
    fn join_numbers(&self, parts: Vec<Part>, mut cells: Vec<f64>) -> Numbers {
        let mut next = 0;
        let whole = parts.iter().zip(&self.placed).all(|(part, (_, n))| {
            let follows = matches!(part, Part::InPlace(_, start) if *start == next);
            next += n;
            follows
        });
        if whole {
            // SAFETY: rows 0..rows were all written, chunk after chunk (checked above).
            unsafe { cells.set_len(self.rows) };
            cells.shrink_to_fit();
            return Numbers::from_raw(cells);
        }
        let mut all = Vec::with_capacity(self.rows);
        for (part, (_, n)) in parts.into_iter().zip(&self.placed) {
            match part {
                Part::Numbers(v, _) => all.extend_from_slice(&v),
                Part::InPlace(_, start) => {
                    let written = &cells.spare_capacity_mut()[start..start + n];
                    // SAFETY: an `InPlace` part's chunk wrote all its rows from `start`.
                    all.extend(written.iter().map(|c| unsafe { c.assume_init() }));
                }
                Part::Strings(_) => {}
            }
        }
        Numbers::from_raw(all)
    }

    /// Column `j` as coded text; chunks that read it as numbers are read again as text.
    fn join_strings(&self, j: usize, parts: Vec<Part>) -> Result<Strings, ReadError> {
        let mut builder = StringsBuilder::with_capacity(self.rows);
        for (part, (range, _)) in parts.into_iter().zip(&self.placed) {
            let strings = match part {
                Part::Strings(s) => s,
                Part::Numbers(..) | Part::InPlace(..) => {
                    let bytes = self.source.read(range.clone())?;
                    let text = std::str::from_utf8(&bytes).map_err(|_| ReadError::NotUtf8)?;
                    let (spans, _) =
                        tokenize_range(self.source_name, &bytes, 0..bytes.len(), 1, self.separator, Some(self.width))?;
                    strings_of(text, &spans, self.width, j)
                }
            };
            let (codes, dict) = strings.into_parts();
            builder.extend_coded(&codes, dict);
        }
        Ok(builder.finish())
    }
}

pub(super) fn cancelled(source_name: &str) -> DataError {
    DataError::Invalid { source_name: source_name.to_string(), message: "reading was cancelled".into() }
}

/// The column as numbers when every value is a number and at least one is written with a
/// decimal comma (`3,5`, `-1.234,56` with dots grouping thousands). Each distinct value is
/// parsed once.
fn decimal_comma_numbers(strings: &Strings) -> Option<Numbers> {
    let mut any_comma = false;
    let by_code = strings
        .dict()
        .iter()
        .map(|t| {
            if t.contains(',') {
                any_comma = true;
                decimal_comma_number(t.trim()).map(Some)
            } else {
                parse_cell(Cow::Borrowed(t.as_bytes()))
            }
        })
        .collect::<Option<Vec<Option<f64>>>>()?;
    any_comma.then(|| strings.codes().iter().map(|&c| by_code.get(c as usize).copied().flatten()).collect())
}

/// Converts a polars frame into a [`Dataset`], inferring each column's kind.
pub fn from_polars(source_name: &str, df: &DataFrame) -> Result<Dataset, DataError> {
    let parse = |e: PolarsError| DataError::Parse { source_name: source_name.to_string(), message: e.to_string() };
    let mut columns = Vec::with_capacity(df.width());
    for col in df.columns() {
        let name = col.name().to_string();
        let series = col.as_materialized_series();
        let column = if series.dtype().is_primitive_numeric() {
            let cast = series.cast(&DataType::Float64).map_err(parse)?;
            let values: Vec<Option<f64>> =
                cast.f64().map_err(parse)?.iter().map(|v| v.filter(|x| x.is_finite())).collect();
            Column::numeric(name, values)
        } else {
            let cast = series.cast(&DataType::String).map_err(parse)?;
            let values: Vec<Option<String>> =
                cast.str().map_err(parse)?.iter().map(|v| v.map(str::to_string)).collect();
            Column::strings(name, values)
        };
        columns.push(column);
    }
    Dataset::new(source_name, columns)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::csv_scan::fast_decimal;
    use crate::data::{ColumnKind, Values};

    #[test]
    fn decimal_commas_in_semicolon_files() {
        let csv = "price;city;code\n1.234,5;Lyon;1,5\n-0,25;Köln;2\n;Gent;x\n";
        let ds = read_csv_bytes("eu.csv", csv.as_bytes().to_vec()).unwrap();
        assert_eq!(ds.columns[0].values, Values::Numeric(Numbers::from(vec![Some(1234.5), Some(-0.25), None])));
        assert_eq!(ds.columns[1].kind, ColumnKind::Categorical);
        assert_eq!(ds.columns[2].kind, ColumnKind::Categorical, "a column with a word stays labels");
        let off = read_csv_bytes_with("eu.csv", csv.as_bytes().to_vec(), CsvOptions { decimal_comma: Some(false) });
        assert_eq!(off.unwrap().columns[0].cell_text(0), "1.234,5");
        let quoted = "a,b\n\"1,5\",x\n\"2\",y\n";
        let on = read_csv_bytes_with("q.csv", quoted.as_bytes().to_vec(), CsvOptions { decimal_comma: Some(true) });
        assert_eq!(on.unwrap().columns[0].values, Values::Numeric(Numbers::from(vec![Some(1.5), Some(2.0)])));
        let auto = read_csv_bytes("q.csv", quoted.as_bytes().to_vec()).unwrap();
        assert_eq!(auto.columns[0].kind, ColumnKind::Categorical, "comma files keep \"1,5\" as written");
        for bad in ["1.23,4", "1,2,3", "1.2345,6", "a,5", "1,"] {
            assert_eq!(decimal_comma_number(bad), None, "{bad}");
        }
        assert_eq!(decimal_comma_number("12.345.678,9"), Some(12345678.9));
    }

    #[test]
    fn reads_quotes_missing_and_kinds() {
        let csv = "a,b,c\n1,\"x, y\",hello there my friend\n,z,\"say \"\"hi\"\" to all\"\n3.5,x,a b c d\n";
        let ds = read_csv_bytes("t.csv", csv.as_bytes().to_vec()).unwrap();
        assert_eq!(ds.n_rows(), 3);
        assert_eq!(ds.columns[0].values, Values::Numeric(Numbers::from(vec![Some(1.0), None, Some(3.5)])));
        assert_eq!(ds.columns[1].kind, ColumnKind::Categorical);
        assert_eq!(ds.columns[1].cell_text(0), "x, y");
        assert_eq!(ds.columns[2].kind, ColumnKind::Text);
        assert_eq!(ds.columns[2].cell_text(1), "say \"hi\" to all");
    }

    #[test]
    fn ragged_row_names_the_line() {
        let err = read_csv_bytes("bad.csv", b"a,b\n1,2\n3,4,5\n".to_vec()).unwrap_err().to_string();
        assert!(err.contains("bad.csv") && err.contains("line 3"), "{err}");
    }

    #[test]
    fn fast_decimals_equal_the_standard_parser() {
        let mut state = 99u64;
        let mut next = || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            state >> 20
        };
        for _ in 0..200_000 {
            let int = next() % 10u64.pow((next() % 8) as u32);
            let dec = next() % 10u64.pow((next() % 8) as u32);
            let sign = if next() % 2 == 0 { "-" } else { "" };
            let text = if next() % 3 == 0 { format!("{sign}{int}") } else { format!("{sign}{int}.{dec:0>3}") };
            let fast = fast_decimal(text.as_bytes());
            assert_eq!(fast, Some(text.parse::<f64>().unwrap()), "{text}");
        }
        for odd in ["1e5", "-", ".", "", "1.2.3", "12a", "1234567890123456789", "0.12345678901234567"] {
            assert_eq!(fast_decimal(odd.as_bytes()), None, "{odd}");
        }
        assert_eq!(fast_decimal(b".5"), Some(0.5));
        assert_eq!(fast_decimal(b"+7."), Some(7.0));
    }

    #[test]
    fn newlines_in_quotes_crlf_blank_lines_and_missing_markers() {
        let csv = "a,b,\r\n1,\"two\r\nlines\",x\r\n\r\nNA,\"q\",\r\n3.5,,z\r\n";
        let ds = read_csv_bytes("t.csv", csv.as_bytes().to_vec()).unwrap();
        assert_eq!(ds.column_names(), vec!["a", "b", "column_3"]);
        assert_eq!(ds.n_rows(), 3, "the blank line is not a row");
        assert_eq!(ds.columns[0].values, Values::Numeric(Numbers::from(vec![Some(1.0), None, Some(3.5)])));
        assert_eq!(ds.columns[1].cell_text(0), "two\r\nlines");
        assert!(ds.columns[1].values.is_missing(2));
        assert!(ds.columns[2].values.is_missing(1), "a trailing separator is an empty last field");
        // A ragged record after a multi-line field is reported at its own line.
        let bad = "a,b\n1,\"x\ny\"\n2\n";
        let err = read_csv_bytes("bad.csv", bad.as_bytes().to_vec()).unwrap_err().to_string();
        assert!(err.contains("line 4") && err.contains("1 fields"), "{err}");
        let err = read_csv_bytes("q.csv", b"a,b\n\"x\"y,1\n".to_vec()).unwrap_err().to_string();
        assert!(err.contains("line 2") && err.contains("closing quote"), "{err}");
        let err = read_csv_bytes("u.csv", b"a,b\n\"x,1\n".to_vec()).unwrap_err().to_string();
        assert!(err.contains("never closed"), "{err}");
    }

    #[test]
    fn large_files_tokenized_in_pieces_read_the_same_and_name_lines() {
        // Over 256 KiB without quotes: the parallel path.
        let mut csv = String::from("\n\nid,x,name\n");
        for i in 0..40_000 {
            csv.push_str(&format!("{i},{}.5,n{}\n", i % 97, i % 7));
            if i == 20_000 {
                csv.push('\n'); // a blank line in the middle
            }
        }
        let ds = read_csv_bytes("big.csv", csv.clone().into_bytes()).unwrap();
        assert_eq!(ds.n_rows(), 40_000);
        assert_eq!(ds.columns[0].values, Values::Numeric((0..40_000).map(|i| Some(f64::from(i))).collect()));
        assert_eq!(ds.columns[2].cell_text(39_999), "n1");
        // A ragged record far into the file is reported at its physical line.
        let lines: Vec<&str> = csv.split('\n').collect();
        let bad_line = 29_999 + 5; // 2 blank lines, the header, the blank line after row 20 000
        assert!(lines[bad_line - 1].starts_with("29999,"));
        let broken = csv.replacen(lines[bad_line - 1], "29999,1", 1);
        let err = read_csv_bytes("big.csv", broken.into_bytes()).unwrap_err().to_string();
        assert!(err.contains(&format!("line {bad_line}:")) && err.contains("2 fields"), "{err}");
    }

    #[test]
    fn chunks_join_into_the_same_table_whatever_crosses_their_boundaries() {
        // Quoted fields with newlines and separators, a column that turns to text late (its
        // early chunks are read again as text), a decimal-comma column, and ~40 chunks.
        let mut csv = String::from("id;note;code;price\n");
        let mut expected_code = Vec::new();
        for i in 0..6000 {
            let code = if i == 5500 { "x7".to_string() } else { format!("{}", i % 13) };
            expected_code.push(code.clone());
            csv.push_str(&format!("{i};\"line {i}\nsecond; \"\"part\"\"\";{code};{},{}\n", i % 100, i % 10));
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("eu.csv");
        std::fs::write(&path, &csv).unwrap();
        for ds in [read_csv_bytes("eu.csv", csv.clone().into_bytes()).unwrap(), read_csv_path(&path).unwrap()] {
            assert_eq!(ds.n_rows(), 6000);
            assert_eq!(ds.columns[0].values, Values::Numeric((0..6000).map(|i| Some(f64::from(i))).collect()));
            assert_eq!(ds.columns[1].cell_text(4321), "line 4321\nsecond; \"part\"");
            assert_eq!(ds.columns[2].kind, ColumnKind::Categorical);
            let codes: Vec<String> = (0..6000).map(|r| ds.columns[2].cell_text(r)).collect();
            assert_eq!(codes, expected_code);
            assert_eq!(ds.columns[3].values.display(1234), "34.4");
        }
        // A ragged record deep in the file names its physical line (each record spans 2).
        let broken = csv.replacen("4999;", "4999;1;", 1);
        let err = read_csv_bytes("b.csv", broken.into_bytes()).unwrap_err().to_string();
        assert!(err.contains("line 10000:") && err.contains("5 fields"), "{err}");
        // Windows-1252 text found only far into a file is read as that.
        let mut win = csv.into_bytes();
        win.extend_from_slice(b"6000;caf\xe9;1;2,5\n");
        std::fs::write(&path, &win).unwrap();
        let ds = read_csv_path(&path).unwrap();
        assert_eq!(ds.columns[1].cell_text(6000), "café");
    }

    #[test]
    fn columns_written_in_place_or_from_parts_read_the_same() {
        use super::super::csv_chunks::{Part, Source, parse_chunks};
        // Long records first, so the reader reserves room for few rows; then many short ones:
        // the chunks past that room keep their own parts, and the column is joined from both.
        let mut csv = String::from("x,pad\n");
        let mut want = Vec::new();
        for i in 0..60_000 {
            let pad = if i < 2000 { "p".repeat(200) } else { "q".into() };
            csv.push_str(&format!("{i}.25,{pad}\n"));
            want.push(Some(f64::from(i) + 0.25));
        }
        let start = csv.find('\n').unwrap() + 1;
        let (chunks, room) =
            parse_chunks("t.csv", &Source::Memory(csv.as_bytes()), start, b',', 2, &Progress::default()).ok().unwrap();
        assert!(room.is_some());
        let in_place = chunks.iter().filter(|c| matches!(c.parts[0], Part::InPlace(..))).count();
        let own = chunks.iter().filter(|c| matches!(c.parts[0], Part::Numbers(..))).count();
        assert!(in_place > 0 && own > 0, "{in_place} chunks in place, {own} with their own parts");
        let ds = read_csv_bytes("t.csv", csv.clone().into_bytes()).unwrap();
        assert_eq!(ds.columns[0].values, Values::Numeric(Numbers::from(want.clone())));
        // A clean file is written in place throughout.
        let short: String =
            std::iter::once("x,pad\n".to_string()).chain((0..60_000).map(|i| format!("{i}.25,q\n"))).collect();
        let (chunks, _) =
            parse_chunks("s.csv", &Source::Memory(short.as_bytes()), 6, b',', 2, &Progress::default()).ok().unwrap();
        assert!(chunks.len() > 10 && chunks.iter().all(|c| matches!(c.parts[0], Part::InPlace(..))));
        assert!(chunks.iter().all(|c| matches!(c.parts[1], Part::Strings(..))));
        let ds = read_csv_bytes("s.csv", short.into_bytes()).unwrap();
        assert_eq!(ds.columns[0].values, Values::Numeric(Numbers::from(want)));
    }

    #[test]
    fn markers_alone_are_text_and_empty_columns_are_numbers() {
        let csv = "a,b,c\nNA,1,\nnull,NA,\nna,2.5,\n";
        let ds = read_csv_bytes("m.csv", csv.as_bytes().to_vec()).unwrap();
        assert_eq!(ds.columns[0].kind, ColumnKind::Categorical, "no number at all: the words are kept");
        assert_eq!(ds.columns[0].cell_text(2), "na");
        assert_eq!(ds.columns[1].values, Values::Numeric(Numbers::from(vec![Some(1.0), None, Some(2.5)])));
        assert_eq!(ds.columns[2].kind, ColumnKind::Numeric, "an empty column is missing numbers");
    }

    #[test]
    fn windows_1252_files_are_read() {
        // "café;price\n crème;3,5 € …" as a Windows spreadsheet would save it.
        let bytes = b"name,note\ncaf\xe9,\x80 5\ncr\xe8me,\x93quoted\x94\n".to_vec();
        let ds = read_csv_bytes("win.csv", bytes).unwrap();
        assert_eq!(ds.columns[0].cell_text(0), "café");
        assert_eq!(ds.columns[0].cell_text(1), "crème");
        assert_eq!(ds.columns[1].cell_text(0), "€ 5");
        assert_eq!(ds.columns[1].cell_text(1), "“quoted”");
    }

    #[test]
    fn tsv_and_bom() {
        let ds = read_csv_bytes("t.tsv", b"\xEF\xBB\xBFx\ty\n1\tq\n2\tr\n".to_vec()).unwrap();
        assert_eq!(ds.column_names(), vec!["x", "y"]);
    }

    #[test]
    fn empty_and_header_only() {
        assert!(matches!(read_csv_bytes("e.csv", vec![]), Err(DataError::Empty { .. })));
        assert!(matches!(read_csv_bytes("h.csv", b"a,b\n".to_vec()), Err(DataError::NoRows { .. })));
    }
}
