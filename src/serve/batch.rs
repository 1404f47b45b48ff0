//! Batch prediction of a CSV file of any size: the file is read in chunks of whole records
//! (quote-aware, so a quoted field may hold newlines), each chunk is predicted and its rows
//! written out before the next is read — memory stays at one chunk, whatever the file size.
//! `cairn predict` and the Deploy panel's "Predict a file…" both run this.

use crate::data::{DataError, Dataset};
use crate::train::{Pipeline, PipelineError, Prediction};
use std::io::Write;
use std::path::Path;

/// Bytes read per chunk (whole records are cut at the last newline outside quotes).
pub const CHUNK_BYTES: usize = 8 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error("cannot write the output: {0}")]
    Write(#[from] std::io::Error),
    #[error(transparent)]
    Data(#[from] DataError),
    #[error("cannot predict {source_name}: {error}")]
    Predict { source_name: String, error: PipelineError },
    #[error("cannot explain {source_name}: {error}")]
    Explain { source_name: String, error: crate::eval::explain::ExplainError },
}

/// The CSV writer for the predicted rows: `\n` line ends, a field quoted only when it holds a
/// comma, a quote or a line break (quotes doubled inside).
pub(crate) fn csv_writer<W: Write>(out: W) -> csv::Writer<W> {
    csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(out)
}

/// Predicts every row of the CSV file `input` with `pipeline`, writing the rows with a
/// `prediction` column (and `probability_<class>` columns) to `out`. `progress(bytes read,
/// total bytes, rows done)` is called after each chunk. Returns the number of rows.
pub fn predict_file(
    pipeline: &Pipeline,
    input: &Path,
    out: &mut dyn Write,
    progress: &mut dyn FnMut(u64, u64, usize),
) -> Result<usize, BatchError> {
    predict_chunks(pipeline, input, out, progress, CHUNK_BYTES)
}

fn predict_chunks(
    pipeline: &Pipeline,
    input: &Path,
    out: &mut dyn Write,
    progress: &mut dyn FnMut(u64, u64, usize),
    chunk_bytes: usize,
) -> Result<usize, BatchError> {
    let mut write = |ds: &Dataset, source_name: &str, writer: &mut CsvOut, first: bool| -> Result<(), BatchError> {
        let prediction = pipeline
            .predict(ds)
            .map_err(|error| BatchError::Predict { source_name: source_name.to_string(), error })?;
        let columns: Vec<&crate::data::Column> = ds.columns.iter().collect();
        write_predictions(pipeline, &columns, &prediction, writer, first)
    };
    csv_chunks(input, out, progress, chunk_bytes, &mut write)
}

/// Writes each row's `columns` followed by its prediction (and class probabilities), after a
/// header when `header`.
pub(crate) fn write_predictions<W: Write>(
    pipeline: &Pipeline,
    columns: &[&crate::data::Column],
    prediction: &Prediction,
    writer: &mut csv::Writer<W>,
    header: bool,
) -> Result<(), BatchError> {
    if header {
        let mut names: Vec<String> = columns.iter().map(|c| c.name.clone()).collect();
        names.push("prediction".into());
        if let Prediction::Classification { .. } = prediction {
            names.extend(pipeline.target.classes.iter().map(|c| format!("probability_{c}")));
        }
        writer.write_record(&names).map_err(std::io::Error::from)?;
    }
    for row in 0..prediction.len() {
        let mut cells: Vec<String> = columns.iter().map(|c| c.cell_text(row)).collect();
        match prediction {
            Prediction::Regression(v) => cells.push(format!("{}", v[row])),
            Prediction::Classification { labels, probabilities } => {
                cells.push(labels[row].clone());
                cells.extend(probabilities[row].iter().map(|p| format!("{p}")));
            }
        }
        writer.write_record(&cells).map_err(std::io::Error::from)?;
    }
    Ok(())
}

/// The CSV writer each chunk's rows go to.
pub(crate) type CsvOut = csv::Writer<Vec<u8>>;

/// What is written for one chunk: its rows, the chunk's name for messages, the writer, and
/// whether it is the first chunk (which writes the header).
pub(crate) type ChunkWriter<'a> = dyn FnMut(&Dataset, &str, &mut CsvOut, bool) -> Result<(), BatchError> + 'a;

/// Reads the CSV file `input` in chunks of whole records and calls `write` on each.
pub(crate) fn csv_chunks(
    input: &Path,
    out: &mut dyn Write,
    progress: &mut dyn FnMut(u64, u64, usize),
    chunk_bytes: usize,
    write: &mut ChunkWriter,
) -> Result<usize, BatchError> {
    crate::data::stream::for_each_csv_chunk(input, chunk_bytes, progress, &mut |chunk| -> Result<(), BatchError> {
        let mut writer = csv_writer(Vec::new());
        write(&chunk.data, &chunk.source_name, &mut writer, chunk.rows_before == 0)?;
        out.write_all(&writer.into_inner().map_err(|e| e.into_error())?)?;
        Ok(())
    })
}

/// [`predict_file`] into `output`, written atomically (a temporary file renamed at the end, so
/// a failure leaves no partial file).
pub fn predict_file_to(
    pipeline: &Pipeline,
    input: &Path,
    output: &Path,
    progress: &mut dyn FnMut(u64, u64, usize),
) -> Result<usize, BatchError> {
    write_atomically_with(output, &mut |out| predict_file(pipeline, input, out, progress))
}

/// Runs `write` into a temporary file beside `output` and renames it to `output` once it
/// succeeds (a failure leaves no partial file).
pub fn write_atomically_with<T>(
    output: &Path,
    write: &mut dyn FnMut(&mut dyn Write) -> Result<T, BatchError>,
) -> Result<T, BatchError> {
    let dir = match output.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let tmp = tempfile::NamedTempFile::new_in(dir)?;
    let mut writer = std::io::BufWriter::new(tmp);
    let rows = write(&mut writer)?;
    let tmp = writer.into_inner().map_err(|e| e.into_error())?;
    tmp.as_file().sync_all()?;
    tmp.persist(output).map_err(|e| e.error)?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_chunks_give_the_same_file_as_one_chunk() {
        let iris = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/iris.csv");
        let data = crate::data::read_csv_path(&iris).unwrap();
        let o = crate::train::train(&data, None, &crate::train::TrainConfig::new("species"), &mut |_| {}).unwrap();
        // The iris rows plus a note column whose quoted cells hold commas, quotes and newlines,
        // so chunk borders fall inside multi-line records.
        let text = std::fs::read_to_string(&iris).unwrap();
        let mut csv = String::new();
        for (i, line) in text.lines().enumerate() {
            let note = if i == 0 { "note".to_string() } else { format!("\"row {i},\nsaid \"\"hi\"\"\"") };
            csv.push_str(&format!("{line},{note}\n"));
        }
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.csv");
        std::fs::write(&input, csv).unwrap();
        let run = |chunk: usize| {
            let mut out = Vec::new();
            let mut calls = 0;
            let rows = predict_chunks(&o.pipeline, &input, &mut out, &mut |_, _, _| calls += 1, chunk).unwrap();
            (rows, String::from_utf8(out).unwrap(), calls)
        };
        let (rows, whole, _) = run(1 << 20);
        let (rows_small, pieces, calls) = run(300);
        assert_eq!((rows, rows_small), (150, 150));
        assert!(calls > 10, "{calls} chunks");
        assert_eq!(pieces, whole);
        let back = crate::data::read_csv_bytes("out", whole.into_bytes()).unwrap();
        assert_eq!(back.column("note").unwrap().cell_text(149), "row 150,\nsaid \"hi\"");
        assert_eq!(back.column("prediction").unwrap().cell_text(0), "setosa");
    }

    /// The hand-written quoting that the csv writer replaced, kept as the reference.
    fn old_csv_field(s: &str) -> String {
        if s.contains([',', '"', '\n', '\r']) || s.starts_with(' ') || s.ends_with(' ') {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    }

    #[test]
    fn the_csv_writer_quotes_as_before_and_round_trips_awkward_fields() {
        let rows: Vec<Vec<&str>> = vec![
            vec!["sepal_length", "species", "prediction", "probability_setosa"],
            vec!["5.1", "setosa", "1e-7", "0.9333333333333333"],
            vec!["", "-3", "NaN", "a b"],
            vec!["a,b", "say \"hi\"", "two\nlines", "cr\r\nlf"],
            vec!["\"", ",", "\n", "plain"],
        ];
        let mut writer = csv_writer(Vec::new());
        for r in &rows {
            writer.write_record(r).unwrap();
        }
        let written = String::from_utf8(writer.into_inner().unwrap()).unwrap();
        let by_hand: String =
            rows.iter().map(|r| r.iter().map(|f| old_csv_field(f)).collect::<Vec<_>>().join(",") + "\n").collect();
        assert_eq!(written, by_hand);
        let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(written.as_bytes());
        let back: Vec<Vec<String>> = reader.records().map(|r| r.unwrap().iter().map(String::from).collect()).collect();
        assert_eq!(back, rows);
    }

    #[test]
    fn record_ends_skip_newlines_inside_quotes() {
        assert_eq!(crate::data::last_record_end(b"a,b\n1,\"x\ny\"\n2,z").map(|e| e.0), Some(12));
        assert_eq!(crate::data::last_record_end(b"1,\"open\nstill"), None);
    }
}
