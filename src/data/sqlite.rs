//! SQLite import: a table, or the rows of a SELECT, from a database file. The file is named as
//! `FILE.sqlite` (its only table), `FILE.sqlite#TABLE`, or `FILE.sqlite#SELECT …`; `.db` and
//! `.sqlite3` work the same. Numbers (INTEGER/REAL) become number columns, anything else text
//! or categories; NULL is a missing cell. The database is opened read-only.

use super::{Column, DataError, Dataset};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use std::path::Path;

const EXTENSIONS: [&str; 3] = ["sqlite", "sqlite3", "db"];

/// Splits `file.sqlite#table-or-query` into the file and what to read, if `path` names a
/// SQLite database.
pub fn sqlite_source(path: &Path) -> Option<(std::path::PathBuf, Option<String>)> {
    let text = path.to_string_lossy();
    let (file, what) = match text.split_once('#') {
        Some((f, w)) => (f.to_string(), Some(w.trim().to_string())),
        None => (text.to_string(), None),
    };
    let ext = Path::new(&file).extension()?.to_str()?.to_ascii_lowercase();
    EXTENSIONS.contains(&ext.as_str()).then(|| (file.into(), what.filter(|w| !w.is_empty())))
}

pub fn read_sqlite(file: &Path, what: Option<&str>) -> Result<Dataset, DataError> {
    let source_name = file.display().to_string();
    let fail = |message: String| DataError::Invalid { source_name: source_name.clone(), message };
    if !file.exists() {
        return Err(DataError::Io { path: file.to_path_buf(), error: std::io::ErrorKind::NotFound.into() });
    }
    let conn = Connection::open_with_flags(file, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| fail(format!("not a SQLite database: {e}")))?;
    let mut tables: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .map_err(|e| fail(format!("not a SQLite database: {e}")))?;
    let query = match what {
        Some(q) if q.to_ascii_lowercase().starts_with("select") || q.to_ascii_lowercase().starts_with("with") => {
            q.to_string()
        }
        Some(table) => {
            if !tables.iter().any(|t| t == table) {
                return Err(fail(format!("has no table '{table}' (tables: {})", tables.join(", "))));
            }
            format!("SELECT * FROM \"{}\"", table.replace('"', "\"\""))
        }
        None => match tables.len() {
            1 => format!("SELECT * FROM \"{}\"", tables.remove(0).replace('"', "\"\"")),
            0 => return Err(fail("has no tables".into())),
            _ => {
                return Err(fail(format!(
                    "has several tables ({}): name one as FILE#TABLE, or give a query as FILE#SELECT …",
                    tables.join(", ")
                )));
            }
        },
    };
    let mut stmt = conn.prepare(&query).map_err(|e| fail(format!("SQL error in '{query}': {e}")))?;
    let names: Vec<String> = stmt.column_names().map(|s| s.to_string()).collect();
    let mut cells: Vec<Vec<Cell>> = vec![Vec::new(); names.len()];
    let mut rows = stmt.query([]).map_err(|e| fail(format!("SQL error in '{query}': {e}")))?;
    while let Some(row) = rows.next().map_err(|e| fail(format!("SQL error in '{query}': {e}")))? {
        for (c, column) in cells.iter_mut().enumerate() {
            let cell = match row.get_ref(c).map_err(|e| fail(e.to_string()))? {
                ValueRef::Null => Cell::Missing,
                ValueRef::Integer(i) => Cell::Number(i as f64),
                ValueRef::Real(x) => Cell::Number(x),
                ValueRef::Text(t) => Cell::Text(String::from_utf8_lossy(t).into_owned()),
                ValueRef::Blob(_) => Cell::Text("(binary)".into()),
            };
            column.push(cell);
        }
    }
    if cells.first().is_none_or(Vec::is_empty) {
        return Err(DataError::NoRows { source_name });
    }
    let columns = names
        .into_iter()
        .zip(cells)
        .map(|(name, cells)| {
            if cells.iter().all(|c| !matches!(c, Cell::Text(_))) {
                Column::numeric(
                    name,
                    cells
                        .iter()
                        .map(|c| match *c {
                            Cell::Number(x) => Some(x),
                            _ => None,
                        })
                        .collect(),
                )
            } else {
                Column::strings(name, cells.into_iter().map(Cell::text).collect())
            }
        })
        .collect();
    Dataset::new(source_name, columns)
}

#[derive(Clone, Debug)]
enum Cell {
    Missing,
    Number(f64),
    Text(String),
}

impl Cell {
    fn text(self) -> Option<String> {
        match self {
            Cell::Missing => None,
            Cell::Number(x) => Some(super::format_number(x)),
            Cell::Text(t) => Some(t),
        }
    }
}
