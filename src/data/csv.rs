//! CSV/TSV import through polars, with a quote-aware pre-scan that turns malformed input into
//! messages naming the file and line.

use super::{Column, DataError, Dataset};
use polars::prelude::*;
use rayon::prelude::*;
use std::path::Path;

/// Reads a delimited text file (CSV, TSV, semicolon) from disk.
pub fn read_csv_path(path: &Path) -> Result<Dataset, DataError> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    if !matches!(ext.as_str(), "csv" | "tsv" | "txt" | "tab" | "") {
        return Err(DataError::Unsupported { path: path.to_path_buf() });
    }
    let bytes = std::fs::read(path).map_err(|error| DataError::Io { path: path.to_path_buf(), error })?;
    read_csv_bytes(&path.display().to_string(), bytes)
}

/// Reads delimited text held in memory; `source_name` is used in messages.
///
/// Cairn's own reader: one quote-aware pass cuts the bytes into fields (checking every record
/// has the header's number of fields, naming the line when not), then each column is parsed
/// on its own thread: all numbers (or missing) makes a numeric column, anything else a string
/// column. It is several times faster than a general CSV library on the files beginners have.
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

/// [`read_csv_bytes`] with options.
pub fn read_csv_bytes_with(source_name: &str, mut bytes: Vec<u8>, options: CsvOptions) -> Result<Dataset, DataError> {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes.drain(..3);
    }
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(DataError::Empty { source_name: source_name.to_string() });
    }
    // Not UTF-8: spreadsheet exports on Windows are usually Windows-1252 (a superset of
    // Latin-1), which maps every byte to a character — read it as that.
    if std::str::from_utf8(&bytes).is_err() {
        bytes = windows_1252_to_utf8(&bytes).into_bytes();
    }
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        let line = 1 + bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count();
        DataError::Encoding { source_name: source_name.to_string(), line }
    })?;
    if u32::try_from(bytes.len()).is_err() {
        return Err(DataError::Invalid {
            source_name: source_name.to_string(),
            message: "files over 4 GB are not supported yet".into(),
        });
    }
    let separator = sniff_separator(&bytes);
    let fields = tokenize(source_name, &bytes, separator)?;
    let width = fields.width;
    let rows = fields.spans.len() / width - 1;
    if rows == 0 {
        return Err(DataError::NoRows { source_name: source_name.to_string() });
    }
    let names: Vec<String> = (0..width)
        .map(|j| {
            let name = fields.text(text, j).trim().to_string();
            if name.is_empty() { format!("column_{}", j + 1) } else { name }
        })
        .collect();
    // Row by row (the order the fields lie in memory), every column parsed as numbers until
    // one of its cells is not a number; those columns are then read again as text. Blocks of
    // rows are parsed on all cores and joined.
    let block = rows.div_ceil(rayon::current_num_threads().max(1)).max(4096);
    let blocks: Vec<Vec<Option<Vec<Option<f64>>>>> = fields.spans[width..]
        .par_chunks(block * width)
        .map(|chunk| {
            let mut numbers: Vec<Option<Vec<Option<f64>>>> = vec![Some(Vec::with_capacity(block)); width];
            for row in chunk.chunks_exact(width) {
                for (j, &span) in row.iter().enumerate() {
                    if let Some(col) = numbers[j].as_mut() {
                        match parse_cell(Fields::span_bytes(&bytes, span)) {
                            Some(v) => col.push(v),
                            None => numbers[j] = None,
                        }
                    }
                }
            }
            numbers
        })
        .collect();
    let numbers: Vec<Option<Vec<Option<f64>>>> = (0..width)
        .map(|j| {
            let mut all = Vec::with_capacity(rows);
            for b in &blocks {
                all.extend_from_slice(b[j].as_deref()?);
            }
            Some(all)
        })
        .collect();
    let decimal_comma = options.decimal_comma.unwrap_or(separator != b',');
    let columns: Vec<Column> = names
        .into_iter()
        .zip(numbers)
        .enumerate()
        .map(|(j, (name, numbers))| match numbers {
            Some(numbers) => Column::numeric(name, numbers),
            None => {
                let cells: Vec<Option<String>> = (1..=rows)
                    .map(|r| Some(fields.text(text, r * width + j)).filter(|t| !t.is_empty()).map(|t| t.into_owned()))
                    .collect();
                match decimal_comma.then(|| decimal_comma_column(&cells)).flatten() {
                    Some(numbers) => Column::numeric(name, numbers),
                    None => Column::strings(name, cells),
                }
            }
        })
        .collect();
    Dataset::new(source_name, columns)
}

/// The column as numbers when every cell is a number and at least one is written with a
/// decimal comma (`3,5`, `-1.234,56` with dots grouping thousands).
fn decimal_comma_column(cells: &[Option<String>]) -> Option<Vec<Option<f64>>> {
    let mut any_comma = false;
    let numbers = cells
        .iter()
        .map(|cell| match cell {
            None => Some(None),
            Some(t) if t.contains(',') => {
                any_comma = true;
                decimal_comma_number(t.trim()).map(Some)
            }
            Some(t) => parse_cell(std::borrow::Cow::Borrowed(t.as_bytes())),
        })
        .collect::<Option<Vec<_>>>()?;
    any_comma.then_some(numbers)
}

fn decimal_comma_number(t: &str) -> Option<f64> {
    let (int, frac) = t.split_once(',')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let unsigned = int.strip_prefix(['-', '+']).unwrap_or(int);
    let mut groups = unsigned.split('.');
    let first = groups.next()?;
    let grouped_ok =
        (digits(first) || (first.is_empty() && !unsigned.contains('.'))) && groups.all(|g| g.len() == 3 && digits(g));
    if !grouped_ok || !digits(frac) {
        return None;
    }
    let plain = format!("{}.{frac}", int.replace('.', ""));
    plain.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// Decodes Windows-1252 text (bytes 0x80–0x9F are its typographic characters; the rest is
/// Latin-1, i.e. the Unicode code point of the same number).
pub fn windows_1252_to_utf8(bytes: &[u8]) -> String {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}', '\u{90}', '‘',
        '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
    ];
    bytes.iter().map(|&b| if (0x80..0xA0).contains(&b) { HIGH[(b - 0x80) as usize] } else { char::from(b) }).collect()
}

/// A numeric cell: `Some(None)` for missing (empty or a common "not available" marker),
/// `Some(Some(x))` for a finite number, `None` when the text is not a number.
fn parse_cell(cell: std::borrow::Cow<'_, [u8]>) -> Option<Option<f64>> {
    let t = cell.trim_ascii();
    let Some(&first) = t.first() else { return Some(None) };
    if first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.') {
        if let Some(x) = fast_decimal(t) {
            return Some(Some(x));
        }
        if let Some(x) = std::str::from_utf8(t).ok().and_then(|t| t.parse::<f64>().ok()) {
            return x.is_finite().then_some(Some(x));
        }
    }
    NA_MARKERS.iter().any(|m| t.eq_ignore_ascii_case(m.as_bytes())).then_some(None)
}

/// Plain decimals (`-122.23`, `41`, `.5`) with at most 15 significant digits, parsed exactly:
/// the digits as a whole number (exact in an f64) divided by a power of ten (exact up to
/// 10^22), one correctly rounded operation — Clinger's fast path. Anything else (exponents,
/// long mantissas) returns `None` for the standard parser.
fn fast_decimal(b: &[u8]) -> Option<f64> {
    const POW10: [f64; 16] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];
    let (neg, digits) = match b.first()? {
        b'-' => (true, &b[1..]),
        b'+' => (false, &b[1..]),
        _ => (false, b),
    };
    let mut mantissa: u64 = 0;
    let mut significant = 0usize;
    let mut any_digit = false;
    let mut decimals: Option<usize> = None;
    for &c in digits {
        match c {
            b'0'..=b'9' => {
                any_digit = true;
                if mantissa > 0 || c != b'0' {
                    significant += 1;
                }
                mantissa = mantissa * 10 + u64::from(c - b'0');
                if let Some(d) = decimals.as_mut() {
                    *d += 1;
                }
                if significant > 15 {
                    return None;
                }
            }
            b'.' if decimals.is_none() => decimals = Some(0),
            _ => return None,
        }
    }
    let decimals = decimals.unwrap_or(0);
    if !any_digit || decimals >= POW10.len() {
        return None;
    }
    let x = mantissa as f64 / POW10[decimals];
    Some(if neg { -x } else { x })
}

/// Texts that mean "no value" in a column of numbers.
const NA_MARKERS: &[&str] = &["NA", "N/A", "NaN", "null", "None", "?"];

/// The fields of every record (header first), row-major, as byte spans into the file.
struct Fields {
    width: usize,
    /// (start, end) of each field's content; the high bit of `end` marks a quoted field with
    /// doubled quotes inside (to unescape).
    spans: Vec<(u32, u32)>,
}

const ESCAPED: u32 = 1 << 31;

/// (start, end) byte spans of fields, row-major.
type Spans = Vec<(u32, u32)>;

impl Fields {
    fn text<'a>(&self, all: &'a str, i: usize) -> std::borrow::Cow<'a, str> {
        Fields::span_text(all, self.spans[i])
    }

    /// A field's raw bytes (quotes unescaped when needed).
    fn span_bytes(all: &[u8], (start, end): (u32, u32)) -> std::borrow::Cow<'_, [u8]> {
        let raw = &all[start as usize..(end & !ESCAPED) as usize];
        if end & ESCAPED == 0 {
            return raw.into();
        }
        let mut out = Vec::with_capacity(raw.len());
        let mut i = 0;
        while i < raw.len() {
            out.push(raw[i]);
            i += if raw[i] == b'"' && raw.get(i + 1) == Some(&b'"') { 2 } else { 1 };
        }
        out.into()
    }

    /// The same as text (the file is valid UTF-8, and unescaping quotes keeps it so).
    fn span_text(all: &str, span: (u32, u32)) -> std::borrow::Cow<'_, str> {
        match Fields::span_bytes(all.as_bytes(), span) {
            std::borrow::Cow::Borrowed(_) => all[span.0 as usize..(span.1 & !ESCAPED) as usize].into(),
            std::borrow::Cow::Owned(bytes) => String::from_utf8_lossy(&bytes).into_owned().into(),
        }
    }
}

/// The quote-aware pass: splits records on newlines outside quotes and fields on `sep`.
/// Blank lines are skipped; every record must have as many fields as the header.
fn tokenize(source_name: &str, bytes: &[u8], sep: u8) -> Result<Fields, DataError> {
    // Without quotes a newline always ends a record, so a large file can be cut at newlines
    // and its pieces tokenized on all cores (each knowing the line it starts on). With quotes
    // (a field may hold a newline) it is one pass.
    let pieces = rayon::current_num_threads().max(1);
    if pieces == 1 || bytes.len() < 256 * 1024 || memchr::memchr(b'"', bytes).is_some() {
        let (spans, width) = tokenize_range(source_name, bytes, 0..bytes.len(), 1, sep, None)?;
        let width = width.ok_or_else(|| DataError::Empty { source_name: source_name.to_string() })?;
        return Ok(Fields { width, spans });
    }
    // The header (the first line with content) alone first: it fixes the width.
    let mut header_end = 0;
    while header_end < bytes.len() {
        let end = memchr::memchr(b'\n', &bytes[header_end..]).map_or(bytes.len(), |k| header_end + k + 1);
        let blank = bytes[header_end..end].iter().all(|b| matches!(b, b'\n' | b'\r'));
        header_end = end;
        if !blank {
            break;
        }
    }
    let (mut spans, width) = tokenize_range(source_name, bytes, 0..header_end, 1, sep, None)?;
    let width = width.ok_or_else(|| DataError::Empty { source_name: source_name.to_string() })?;
    let rest = bytes.len() - header_end;
    let mut cuts = vec![header_end];
    for k in 1..pieces {
        let at = header_end + rest * k / pieces;
        let cut = memchr::memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |j| at + j + 1);
        if cut > *cuts.last().unwrap_or(&0) && cut < bytes.len() {
            cuts.push(cut);
        }
    }
    cuts.push(bytes.len());
    // The physical line each piece starts on.
    let mut first_lines = vec![1 + memchr::memchr_iter(b'\n', &bytes[..header_end]).count()];
    for w in cuts.windows(2).take(cuts.len() - 2) {
        let prev = *first_lines.last().unwrap_or(&2);
        first_lines.push(prev + memchr::memchr_iter(b'\n', &bytes[w[0]..w[1]]).count());
    }
    let parts = cuts
        .windows(2)
        .zip(first_lines)
        .collect::<Vec<_>>()
        .into_par_iter()
        .map(|(w, line)| tokenize_range(source_name, bytes, w[0]..w[1], line, sep, Some(width)).map(|r| r.0))
        .collect::<Result<Vec<_>, DataError>>()?;
    parts.into_iter().for_each(|p| spans.extend(p));
    Ok(Fields { width, spans })
}

/// Tokenizes the records in `range` (which starts a record, on physical line `first_line`),
/// checking each has `width` fields once that is known (else the first record sets it).
fn tokenize_range(
    source_name: &str,
    bytes: &[u8],
    range: std::ops::Range<usize>,
    first_line: usize,
    sep: u8,
    mut width: Option<usize>,
) -> Result<(Spans, Option<usize>), DataError> {
    let malformed =
        |line: usize, message: String| DataError::Malformed { source_name: source_name.to_string(), line, message };
    let n = range.end;
    let mut spans: Vec<(u32, u32)> = Vec::with_capacity(range.len() / 6);
    let mut line = first_line; // physical line of the current position
    let mut i = range.start;
    while i < n {
        let record_line = line;
        let record_start = spans.len();
        loop {
            // One field.
            if bytes[i] == b'"' {
                let start = i + 1;
                let mut j = start;
                let mut escaped = false;
                let end = loop {
                    match memchr::memchr(b'"', &bytes[j..]) {
                        None => return Err(malformed(record_line, "a quoted field is never closed".into())),
                        Some(k) if bytes.get(j + k + 1) == Some(&b'"') => {
                            escaped = true;
                            j += k + 2;
                        }
                        Some(k) => break j + k,
                    }
                };
                line += memchr::memchr_iter(b'\n', &bytes[start..end]).count();
                spans.push((start as u32, end as u32 | if escaped { ESCAPED } else { 0 }));
                i = end + 1;
                while i < n && bytes[i] == b'\r' {
                    i += 1;
                }
                if i < n && bytes[i] != sep && bytes[i] != b'\n' {
                    return Err(malformed(
                        line,
                        "text after a closing quote (a quote inside a field must be doubled)".into(),
                    ));
                }
            } else {
                let start = i;
                // Fields are short: a plain loop beats a vectorised search here.
                while i < n && bytes[i] != sep && bytes[i] != b'\n' {
                    i += 1;
                }
                let mut end = i;
                if end > start && bytes[end - 1] == b'\r' {
                    end -= 1;
                }
                spans.push((start as u32, end as u32));
            }
            // After a field: a separator (another field follows), a newline or the end.
            if i < n && bytes[i] == sep {
                i += 1;
                if i == n {
                    spans.push((n as u32, n as u32));
                    break;
                }
                continue;
            }
            if i < n {
                i += 1; // the newline
                line += 1;
            }
            break;
        }
        let fields = spans.len() - record_start;
        let (first_start, first_end) = spans[record_start];
        if fields == 1 && first_start == first_end & !ESCAPED && bytes.get(first_start as usize) != Some(&b'"') {
            // A blank line: not a record.
            let blank = bytes[..first_start as usize].last().is_none_or(|&b| b == b'\n' || b == b'\r');
            if blank {
                spans.truncate(record_start);
                continue;
            }
        }
        match width {
            None => width = Some(fields),
            Some(w) if w != fields => {
                return Err(malformed(record_line, format!("found {fields} fields, but the header has {w}")));
            }
            _ => {}
        }
    }
    Ok((spans, width))
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

/// Picks the delimiter that the header line uses most: comma, tab or semicolon.
fn sniff_separator(bytes: &[u8]) -> u8 {
    let header_end = bytes.iter().position(|&b| b == b'\n').unwrap_or(bytes.len());
    let header = &bytes[..header_end];
    let mut best = (b',', 0usize);
    for sep in [b',', b'\t', b';'] {
        let n = count_unquoted(header, sep);
        if n > best.1 {
            best = (sep, n);
        }
    }
    best.0
}

fn count_unquoted(line: &[u8], sep: u8) -> usize {
    let mut in_quotes = false;
    let mut n = 0;
    for &b in line {
        if b == b'"' {
            in_quotes = !in_quotes;
        } else if b == sep && !in_quotes {
            n += 1;
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{ColumnKind, Values};

    #[test]
    fn decimal_commas_in_semicolon_files() {
        let csv = "price;city;code\n1.234,5;Lyon;1,5\n-0,25;Köln;2\n;Gent;x\n";
        let ds = read_csv_bytes("eu.csv", csv.as_bytes().to_vec()).unwrap();
        assert_eq!(ds.columns[0].values, Values::Numeric(vec![Some(1234.5), Some(-0.25), None]));
        assert_eq!(ds.columns[1].kind, ColumnKind::Categorical);
        assert_eq!(ds.columns[2].kind, ColumnKind::Categorical, "a column with a word stays labels");
        let off = read_csv_bytes_with("eu.csv", csv.as_bytes().to_vec(), CsvOptions { decimal_comma: Some(false) });
        assert_eq!(off.unwrap().columns[0].cell_text(0), "1.234,5");
        let quoted = "a,b\n\"1,5\",x\n\"2\",y\n";
        let on = read_csv_bytes_with("q.csv", quoted.as_bytes().to_vec(), CsvOptions { decimal_comma: Some(true) });
        assert_eq!(on.unwrap().columns[0].values, Values::Numeric(vec![Some(1.5), Some(2.0)]));
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
        assert_eq!(ds.columns[0].values, Values::Numeric(vec![Some(1.0), None, Some(3.5)]));
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
        assert_eq!(ds.columns[0].values, Values::Numeric(vec![Some(1.0), None, Some(3.5)]));
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
