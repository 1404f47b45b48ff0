//! Parquet files, read through polars: one file, or a dataset split over many (a folder or a
//! pattern).

use super::{DataError, Dataset};
use polars::prelude::*;
use std::path::Path;

/// Reads a Parquet file: number columns stay numbers; strings, booleans and dates become
/// labels (or text), as they would from a CSV.
pub fn read_parquet(path: &Path) -> Result<Dataset, DataError> {
    let source = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|error| DataError::Io { path: path.to_path_buf(), error })?;
    let df = ParquetReader::new(file).finish().map_err(|e| DataError::Parse {
        source_name: source.clone(),
        message: format!("not a readable Parquet file ({e})"),
    })?;
    if df.width() == 0 {
        return Err(DataError::Empty { source_name: source });
    }
    if df.height() == 0 {
        return Err(DataError::NoRows { source_name: source });
    }
    super::from_polars(&source, &df)
}

/// The files of a Parquet dataset split over many files, if `path` names one: a folder holding
/// `.parquet` files at any depth (as Spark, Dask and polars write them, `key=value` folders
/// included), or a pattern whose last part has `*` or `?` and ends in `.parquet` (`sales/part-*.parquet`). Sorted by
/// path, so the rows come in the same order every time.
pub fn parquet_parts(path: &Path) -> Option<Vec<std::path::PathBuf>> {
    let name = path.file_name()?.to_string_lossy().into_owned();
    let mut parts = Vec::new();
    if name.contains(['*', '?']) && name.to_ascii_lowercase().ends_with(".parquet") {
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        for entry in std::fs::read_dir(dir).ok()?.flatten() {
            let file = entry.file_name().to_string_lossy().into_owned();
            if entry.path().is_file() && wildcard(&name, &file) {
                parts.push(entry.path());
            }
        }
    } else if path.is_dir() {
        let mut stack = vec![path.to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).ok()?.flatten() {
                let p = entry.path();
                let hidden = entry.file_name().to_string_lossy().starts_with(['.', '_']);
                if p.is_dir() && !hidden {
                    stack.push(p);
                } else if !hidden && p.extension().is_some_and(|e| e.eq_ignore_ascii_case("parquet")) {
                    parts.push(p);
                }
            }
        }
        if parts.is_empty() {
            return None;
        }
    } else {
        return None;
    }
    parts.sort();
    Some(parts)
}

/// `*` any run of characters, `?` one character.
fn wildcard(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Reads the files of a split Parquet dataset as one table: every file must have the same
/// columns; `key=value` folders between `root` and a file become label columns (`key`).
pub fn read_parquet_parts(root: &Path, parts: &[std::path::PathBuf]) -> Result<Dataset, DataError> {
    let source = root.display().to_string();
    if parts.is_empty() {
        return Err(DataError::Invalid { source_name: source, message: "no file matches".into() });
    }
    let mut all: Option<Dataset> = None;
    for part in parts {
        let mut ds = read_parquet(part)?;
        let base = if root.is_dir() { root } else { root.parent().unwrap_or(Path::new(".")) };
        let keys: Vec<(String, String)> = part
            .strip_prefix(base)
            .ok()
            .and_then(Path::parent)
            .map(|rel| {
                rel.components()
                    .filter_map(|c| {
                        c.as_os_str().to_str()?.split_once('=').map(|(k, v)| (k.to_string(), v.to_string()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        for (key, value) in keys {
            if ds.columns.iter().all(|c| c.name != key) {
                let n = ds.n_rows();
                ds.columns.push(super::Column::strings(key, vec![Some(value); n]));
            }
        }
        all = Some(match all {
            None => ds,
            Some(acc) => acc.append(&ds).map_err(|e| DataError::Invalid {
                source_name: part.display().to_string(),
                message: format!("does not match the dataset's other files: {e}"),
            })?,
        });
    }
    let Some(mut ds) = all else { return Err(DataError::NoRows { source_name: source }) };
    ds.source = format!("{source} ({} Parquet files)", parts.len());
    Ok(ds)
}
