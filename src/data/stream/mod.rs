//! Files larger than memory. One streaming pass over a delimited text file, a chunk of whole
//! records at a time, that
//! - profiles every column over all rows (exact counts, missing cells, ranges, means and
//!   spreads; the picture of each distribution from the sample),
//! - keeps a uniform sample of rows to train on, and one of the held-out rows to test on
//!   (reservoir sampling; each row is held out or not by a seeded hash of its number, so the
//!   test rows never reach training),
//! - gathers, over every streamed training row, the statistics the recipe fits: exact means,
//!   spreads, ranges and missing counts, and medians and quartiles from a quantile sketch
//!   (DDSketch: within [`SKETCH_ACCURACY`] of the true value, relatively).
//!
//! Memory stays at one chunk, the two samples and one sketch per number column, whatever the
//! file size. Prediction streams the same way (`serve::batch`).
//!
//! `chunks.rs` reads the file, `stats.rs` gathers the statistics, `sample.rs` keeps the samples;
//! this file runs the pass and builds the whole file's profile.

mod chunks;
mod sample;
mod stats;

pub use chunks::{
    CHUNK_BYTES, Chunk, MEMORY_PER_FILE_BYTE, available_memory, for_each_csv_chunk, is_delimited_text, peak_memory,
    too_large_for_memory,
};
pub use stats::{ColumnStatistics, Moments, NumberStatistics, SKETCH_ACCURACY};

use super::{ColumnKind, DataError, Dataset, Profile, Values, format_number, profile};
use rayon::prelude::*;
use sample::{Reservoir, csv_line, held_out, record};
use serde::Serialize;
use stats::ColumnAcc;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

/// Rows in the training sample unless the user picks another size.
pub const DEFAULT_SAMPLE_ROWS: usize = 200_000;
/// A file whose in-memory table would take more than this share of the available memory is
/// streamed.
pub const DEFAULT_MEMORY_SHARE: f64 = 0.5;

/// How to stream a file.
#[derive(Clone, Debug)]
pub struct StreamOptions {
    /// Rows kept to train on (a uniform sample of the training rows).
    pub sample_rows: usize,
    /// The share of rows held out for testing (0 when the test rows come from elsewhere).
    pub test_share: f64,
    pub seed: u64,
}

impl Default for StreamOptions {
    fn default() -> Self {
        StreamOptions { sample_rows: DEFAULT_SAMPLE_ROWS, test_share: 0.2, seed: 42 }
    }
}
/// What was streamed, for people (the app's Data panel, `--json`).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct StreamSummary {
    pub file_bytes: u64,
    /// Rows in the file.
    pub rows: usize,
    /// Rows streamed as training rows (the recipe's statistics are fitted on all of them).
    pub training_rows: usize,
    /// Rows held out for testing.
    pub test_rows: usize,
    /// The training sample the model learns from, and the size asked for.
    pub sample_rows: usize,
    pub sample_rows_asked: usize,
    /// The test sample the scores are measured on.
    pub test_sample_rows: usize,
    /// Streamed medians and quartiles are within this share of the true value.
    pub median_relative_error: f64,
    pub seconds: f64,
}

impl StreamSummary {
    /// One line for people: "Streamed 20 000 000 rows (2.9 GB) in one pass; the model trains on
    /// a sample of 200 000 training rows …".
    pub fn describe(&self) -> String {
        let mut text = format!(
            "Too large to hold in memory: streamed {} rows ({}) in one pass. Counts, ranges, means and the \
             recipe's statistics cover every {}row (medians within {} %); the model learns from a uniform sample of \
             {} of the {} training rows.",
            self.rows,
            if self.file_bytes >= 1_000_000_000 {
                format!("{:.2} GB", self.file_bytes as f64 / 1e9)
            } else {
                format!("{:.1} MB", self.file_bytes as f64 / 1e6)
            },
            if self.test_rows > 0 { "training " } else { "" },
            self.median_relative_error * 100.0,
            self.sample_rows,
            self.training_rows,
        );
        if self.test_sample_rows > 0 {
            text += &format!(" It is scored on {} of the {} held-out rows.", self.test_sample_rows, self.test_rows);
        }
        text
    }
}

/// The result of a streaming pass.
pub struct Streamed {
    /// The whole file's profile (its `streamed` field set).
    pub profile: Profile,
    /// The training sample, in file order.
    pub train: Dataset,
    /// The test sample, in file order (`None` when nothing was held out).
    pub test: Option<Dataset>,
    pub statistics: Arc<ColumnStatistics>,
    pub summary: StreamSummary,
}
/// Streams the delimited file `path` once: see the module's description. `progress(bytes read,
/// total bytes, rows)` after each chunk; `cancel` stops it between chunks.
pub fn stream_csv(
    path: &Path,
    options: &StreamOptions,
    progress: &mut dyn FnMut(u64, u64, usize),
    cancel: Option<&std::sync::atomic::AtomicBool>,
) -> Result<Streamed, DataError> {
    let started = Instant::now();
    let name = path.display().to_string();
    let file_bytes = std::fs::metadata(path).map_err(|error| DataError::Io { path: path.to_path_buf(), error })?.len();
    let test_share = options.test_share.clamp(0.0, 0.9);
    let test_cap = if test_share > 0.0 {
        ((options.sample_rows as f64 * test_share / (1.0 - test_share)).ceil() as usize).max(1)
    } else {
        0
    };
    let mut train_sample = Reservoir::new(options.sample_rows.max(1), options.seed);
    let mut test_sample = Reservoir::new(test_cap, options.seed.wrapping_add(1));
    let mut accs: Vec<ColumnAcc> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let (mut training_rows, mut test_rows) = (0usize, 0usize);
    let rows = for_each_csv_chunk(path, CHUNK_BYTES, progress, &mut |chunk: Chunk| -> Result<(), DataError> {
        if cancel.is_some_and(|c| c.load(std::sync::atomic::Ordering::Relaxed)) {
            return Err(super::csv::cancelled(&name));
        }
        let ds = &chunk.data;
        if names.is_empty() {
            names = ds.column_names();
            accs = names.iter().map(|_| ColumnAcc::default()).collect();
        }
        let held: Vec<bool> =
            (0..ds.n_rows()).map(|r| held_out(options.seed, (chunk.rows_before + r) as u64, test_share)).collect();
        accs.par_iter_mut().zip(&ds.columns).for_each(|(acc, column)| acc.add(column, &held));
        for (r, &h) in held.iter().enumerate() {
            let (sample, count) =
                if h { (&mut test_sample, &mut test_rows) } else { (&mut train_sample, &mut training_rows) };
            *count += 1;
            if let Some(slot) = sample.offer() {
                sample.rows[slot] = ((chunk.rows_before + r) as u64, record(ds, r));
            }
        }
        Ok(())
    })?;
    let header = csv_line(&names);
    let train = train_sample
        .into_dataset(&format!("{name} (training sample)"), &header)?
        .ok_or_else(|| DataError::NoRows { source_name: name.clone() })?;
    let test = test_sample.into_dataset(&format!("{name} (test sample)"), &header)?;
    let summary = StreamSummary {
        file_bytes,
        rows,
        training_rows,
        test_rows,
        sample_rows: train.n_rows(),
        sample_rows_asked: options.sample_rows,
        test_sample_rows: test.as_ref().map_or(0, Dataset::n_rows),
        median_relative_error: SKETCH_ACCURACY,
        seconds: started.elapsed().as_secs_f64(),
    };
    let whole = match &test {
        Some(t) => train.append(t)?,
        None => train.clone(),
    };
    let mut profile = whole_file_profile(&whole, &accs, rows, &name);
    profile.source = name.clone();
    let mut statistics = ColumnStatistics::default();
    for (acc, column) in accs.into_iter().zip(&names) {
        let numeric = train.column(column).is_some_and(|c| c.kind == ColumnKind::Numeric);
        if let (true, Some(stats)) = (numeric, acc.train) {
            statistics.numbers.insert(column.clone(), stats);
        }
    }
    profile.streamed = Some(summary.clone());
    Ok(Streamed { profile, train, test, statistics: Arc::new(statistics), summary })
}

/// The sample's profile with every count, range and moment replaced by the whole file's.
fn whole_file_profile(sample: &Dataset, accs: &[ColumnAcc], rows: usize, name: &str) -> Profile {
    let mut p = profile(sample);
    p.rows = rows;
    let scale = rows as f64 / sample.n_rows().max(1) as f64;
    for (cp, acc) in p.column_profiles.iter_mut().zip(accs) {
        let sample_distinct = cp.distinct;
        cp.missing = acc.missing as usize;
        let present = rows.saturating_sub(cp.missing);
        // A column that is unique in the sample is taken to stay unique; otherwise the
        // capped count is a floor.
        let estimate = |counted: usize| {
            let unique_share = sample_distinct as f64 / (sample.n_rows().max(1) as f64);
            ((present as f64 * unique_share) as usize).max(counted)
        };
        let rescale = |h: &mut Vec<usize>| {
            h.iter_mut().for_each(|n| *n = (*n as f64 * scale).round() as usize);
        };
        if cp.kind == ColumnKind::Numeric {
            let m = &acc.all;
            if m.count > 0 {
                cp.min = Some(m.min);
                cp.max = Some(m.max);
                cp.mean = Some(m.mean);
                cp.std = Some(m.std());
            }
            (cp.distinct, cp.distinct_estimated) =
                if acc.numbers_capped { (estimate(acc.numbers.len()), true) } else { (acc.numbers.len(), false) };
            if let (Some(lo), Some(hi)) = (cp.min, cp.max)
                && let Some(c) = sample.column(&cp.name)
                && let Values::Numeric(v) = &c.values
            {
                cp.histogram = super::profile::histogram(v.raw(), lo, hi);
                rescale(&mut cp.histogram);
            }
            if acc.text_cells > 0 {
                p.warnings.push(super::coach::warn(
                    Some(&cp.name),
                    "text_in_numbers",
                    format!(
                        "'{}' holds numbers, but {} cells outside the sample are text (such as '{}'): they will be read as missing.",
                        cp.name,
                        acc.text_cells,
                        acc.text_example.as_deref().unwrap_or("")
                    ),
                ));
            }
        } else {
            let mut counts = acc.text.clone();
            for (bits, n) in &acc.numbers {
                *counts.entry(format_number(f64::from_bits(*bits))).or_default() += n;
            }
            let mut top: Vec<(String, usize)> = counts.iter().map(|(k, n)| (k.clone(), *n as usize)).collect();
            top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            top.truncate(5);
            cp.top_values = top;
            let capped = acc.text_capped || acc.numbers_capped;
            (cp.distinct, cp.distinct_estimated) =
                if capped { (estimate(counts.len()), true) } else { (counts.len(), false) };
            if cp.kind == ColumnKind::Text {
                cp.longest = Some(acc.longest);
                rescale(&mut cp.histogram);
            }
        }
    }
    p.source = name.to_string();
    p
}
