//! Batch explanations of a CSV file of any size (`cairn explain`, `cairn predict --explain`):
//! read in chunks like batch prediction, each chunk's rows written with `prediction`,
//! `base_value` (and the explained `class`) and one `contrib_<column>` per input column.

use super::batch::{BatchError, CHUNK_BYTES, CsvOut, csv_chunks, write_atomically_with};
use crate::data::Dataset;
use crate::eval::explain::{Method, Options, explain_rows};
use crate::train::{Pipeline, Task};
use std::io::Write;
use std::path::Path;

/// What a batch explanation wrote.
#[derive(Clone, Debug, PartialEq)]
pub struct ExplainedFile {
    pub rows: usize,
    /// What `prediction` is (from the first chunk), e.g. "the predicted median_house_value".
    pub output: String,
    pub method: Method,
}

/// Explains every row of the CSV file `input`, writing the rows with their explanation to `out`.
pub fn explain_file(
    pipeline: &Pipeline,
    input: &Path,
    out: &mut dyn Write,
    opts: &Options,
    progress: &mut dyn FnMut(u64, u64, usize),
) -> Result<ExplainedFile, BatchError> {
    let mut summary: Option<(String, Method)> = None;
    let classes = pipeline.target.task != Task::Regression && pipeline.target.task != Task::Recommendation;
    let mut write = |ds: &Dataset, source_name: &str, writer: &mut CsvOut, first: bool| -> Result<(), BatchError> {
        let e = explain_rows(pipeline, ds, opts)
            .map_err(|error| BatchError::Explain { source_name: source_name.to_string(), error })?;
        if first {
            let mut names = ds.column_names();
            names.extend(["prediction".to_string(), "base_value".to_string()]);
            if classes {
                names.push("class".into());
            }
            names.extend(e.columns.iter().map(|c| format!("contrib_{c}")));
            writer.write_record(&names).map_err(std::io::Error::from)?;
        }
        summary.get_or_insert_with(|| (e.output(), e.method));
        for (row, ex) in e.rows.iter().enumerate() {
            let mut cells: Vec<String> = ds.columns.iter().map(|c| c.cell_text(row)).collect();
            cells.push(format!("{}", ex.prediction));
            cells.push(format!("{}", ex.base_value));
            if classes {
                cells.push(ex.class.clone().unwrap_or_default());
            }
            cells.extend(ex.contributions.iter().map(|v| format!("{v}")));
            writer.write_record(&cells).map_err(std::io::Error::from)?;
        }
        Ok(())
    };
    let rows = csv_chunks(input, out, progress, CHUNK_BYTES, &mut write)?;
    let (output, method) = summary.unwrap_or_else(|| (String::new(), Method::Sampling));
    Ok(ExplainedFile { rows, output, method })
}

/// [`explain_file`] into `output`, written atomically (no partial file on failure).
pub fn explain_file_to(
    pipeline: &Pipeline,
    input: &Path,
    output: &Path,
    opts: &Options,
    progress: &mut dyn FnMut(u64, u64, usize),
) -> Result<ExplainedFile, BatchError> {
    write_atomically_with(output, &mut |out| explain_file(pipeline, input, out, opts, progress))
}
