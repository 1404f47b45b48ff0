//! Parquet files, read through polars.

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
