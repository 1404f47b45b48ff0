//! Excel and OpenDocument workbooks (`.xlsx`, `.xlsm`, `.xls`, `.ods`) through calamine: the
//! first sheet, or the one named as `FILE.xlsx#Sheet`. The first row is the header; numbers
//! become number columns, anything else text or categories; empty cells are missing; Excel
//! error cells (`#N/A`, `#DIV/0!`) are missing too.

use super::{Column, DataError, Dataset, format_number};
use calamine::{Data, Reader, open_workbook_auto};
use std::path::Path;

const EXTENSIONS: [&str; 4] = ["xlsx", "xlsm", "xls", "ods"];

/// Splits `file.xlsx#Sheet` into the file and the sheet, if `path` names a workbook.
pub fn workbook_source(path: &Path) -> Option<(std::path::PathBuf, Option<String>)> {
    let text = path.to_string_lossy();
    let (file, sheet) = match text.rsplit_once('#') {
        Some((f, s)) if has_extension(f) => (f.to_string(), Some(s.to_string())),
        _ => (text.to_string(), None),
    };
    has_extension(&file).then(|| (file.into(), sheet.filter(|s| !s.is_empty())))
}

fn has_extension(file: &str) -> bool {
    Path::new(file)
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

pub fn read_workbook(file: &Path, sheet: Option<&str>) -> Result<Dataset, DataError> {
    let source_name = file.display().to_string();
    let fail = |message: String| DataError::Invalid { source_name: source_name.clone(), message };
    if !file.exists() {
        return Err(DataError::Io { path: file.to_path_buf(), error: std::io::ErrorKind::NotFound.into() });
    }
    let mut book = open_workbook_auto(file).map_err(|e| fail(format!("cannot read the workbook: {e}")))?;
    let names = book.sheet_names();
    let name = match sheet {
        Some(s) if names.iter().any(|n| n == s) => s.to_string(),
        Some(s) => return Err(fail(format!("has no sheet '{s}' (sheets: {})", names.join(", ")))),
        None => names.first().cloned().ok_or_else(|| fail("has no sheets".into()))?,
    };
    let range = book.worksheet_range(&name).map_err(|e| fail(format!("sheet '{name}': {e}")))?;
    let mut rows = range.rows();
    let header: Vec<String> = super::unique_names(
        rows.next()
            .ok_or(DataError::Empty { source_name: source_name.clone() })?
            .iter()
            .enumerate()
            .map(|(i, c)| match c {
                Data::Empty => format!("column_{}", i + 1),
                other => other.to_string().trim().to_string(),
            })
            .collect(),
    );
    let body: Vec<&[Data]> = rows.filter(|r| r.iter().any(|c| !matches!(c, Data::Empty))).collect();
    if body.is_empty() {
        return Err(DataError::NoRows { source_name });
    }
    let columns = header
        .into_iter()
        .enumerate()
        .map(|(c, name)| {
            let cells: Vec<&Data> = body.iter().map(|r| r.get(c).unwrap_or(&Data::Empty)).collect();
            let number = |d: &Data| match d {
                Data::Int(i) => Some(*i as f64),
                Data::Float(x) => Some(*x),
                _ => None,
            };
            let missing = |d: &Data| matches!(d, Data::Empty | Data::Error(_));
            if cells.iter().all(|d| missing(d) || number(d).is_some()) {
                Column::numeric(name, cells.iter().map(|d| number(d)).collect())
            } else {
                let text = |d: &Data| match d {
                    _ if missing(d) => None,
                    Data::Float(x) => Some(format_number(*x)),
                    other => Some(other.to_string()),
                };
                Column::strings(name, cells.iter().map(|d| text(d)).collect())
            }
        })
        .collect();
    Dataset::new(source_name, columns)
}
