//! CSV/TSV import through polars, with a quote-aware pre-scan that turns malformed input into
//! messages naming the file and line.

use super::{Column, DataError, Dataset};
use polars::prelude::*;
use std::io::Cursor;
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
pub fn read_csv_bytes(source_name: &str, mut bytes: Vec<u8>) -> Result<Dataset, DataError> {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes.drain(..3);
    }
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(DataError::Empty { source_name: source_name.to_string() });
    }
    if let Err(e) = std::str::from_utf8(&bytes) {
        let line = 1 + bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count();
        return Err(DataError::Encoding { source_name: source_name.to_string(), line });
    }
    let separator = sniff_separator(&bytes);
    let records = check_shape(source_name, &bytes, separator)?;
    if records < 2 {
        return Err(DataError::NoRows { source_name: source_name.to_string() });
    }

    let df = CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(None)
        .map_parse_options(|o| o.with_separator(separator))
        .into_reader_with_file_handle(Cursor::new(bytes))
        .finish()
        .map_err(|e| DataError::Parse { source_name: source_name.to_string(), message: e.to_string() })?;
    from_polars(source_name, &df)
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

/// One quote-aware pass: every record must have as many fields as the header, and quotes must
/// close. Returns the number of records (header included).
fn check_shape(source_name: &str, bytes: &[u8], sep: u8) -> Result<usize, DataError> {
    let mut line = 1usize; // physical line where the current record starts
    let mut physical = 1usize;
    let mut fields = 1usize;
    let mut expected: Option<usize> = None;
    let mut records = 0usize;
    let mut in_quotes = false;
    let mut record_has_content = false;
    let mut finish = |fields: usize, line: usize, expected: &mut Option<usize>| -> Result<(), DataError> {
        match *expected {
            None => *expected = Some(fields),
            Some(n) if n != fields => {
                return Err(DataError::Malformed {
                    source_name: source_name.to_string(),
                    line,
                    message: format!("found {fields} fields, but the header has {n}"),
                });
            }
            _ => {}
        }
        records += 1;
        Ok(())
    };
    for &b in bytes {
        match b {
            b'"' => {
                in_quotes = !in_quotes;
                record_has_content = true;
            }
            b'\n' => {
                physical += 1;
                if !in_quotes {
                    if record_has_content {
                        finish(fields, line, &mut expected)?;
                    }
                    fields = 1;
                    record_has_content = false;
                    line = physical;
                }
            }
            b'\r' => {}
            _ if b == sep && !in_quotes => {
                fields += 1;
                record_has_content = true;
            }
            _ => record_has_content = true,
        }
    }
    if in_quotes {
        return Err(DataError::Malformed {
            source_name: source_name.to_string(),
            line,
            message: "a quoted field is never closed".to_string(),
        });
    }
    if record_has_content {
        finish(fields, line, &mut expected)?;
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{ColumnKind, Values};

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
