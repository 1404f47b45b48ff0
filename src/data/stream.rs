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

use super::csv::read_csv_bytes;
use super::{ColumnKind, DataError, Dataset, Profile, Values, format_number, profile};
use crate::util::Rng;
use rayon::prelude::*;
use serde::Serialize;
use sketches_ddsketch::{Config, DDSketch};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

/// Rows in the training sample unless the user picks another size.
pub const DEFAULT_SAMPLE_ROWS: usize = 200_000;
/// A file whose in-memory table would take more than this share of the available memory is
/// streamed.
pub const DEFAULT_MEMORY_SHARE: f64 = 0.5;
/// A delimited file read whole takes about this many times its size in memory (1.27× on the
/// import benchmark).
pub const MEMORY_PER_FILE_BYTE: f64 = 1.3;
/// The sketch's relative accuracy: a streamed median or quartile is within 0.1 % of the value
/// it estimates (the DDSketch guarantee, as long as the column's values span less than about
/// 13 orders of magnitude in the 16 384 bins kept).
pub const SKETCH_ACCURACY: f64 = 0.001;
const SKETCH_BINS: u32 = 16_384;
/// Distinct values counted exactly per column; past it the count is an estimate.
const DISTINCT_CAP: usize = 100_000;
/// Bytes read per chunk.
pub const CHUNK_BYTES: usize = 8 << 20;

/// The memory the system can give without swapping (`MemAvailable`), in bytes.
pub fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// This process's peak resident memory so far (`VmHWM`), in bytes.
pub fn peak_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = text.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Whether `path` is a delimited text file that, read whole, would take more than `share` of
/// the available memory.
pub fn too_large_for_memory(path: &Path, share: f64) -> bool {
    let Ok(meta) = std::fs::metadata(path) else { return false };
    if !meta.is_file() || !is_delimited_text(path) {
        return false;
    }
    let available = available_memory().unwrap_or(u64::MAX) as f64;
    meta.len() as f64 * MEMORY_PER_FILE_BYTE > share * available
}

/// CSV, TSV and other delimited text (the formats that can be streamed).
pub fn is_delimited_text(path: &Path) -> bool {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    !path.is_dir()
        && !super::is_database_url(&path.to_string_lossy())
        && matches!(ext.as_str(), "csv" | "tsv" | "txt" | "tab" | "dat" | "")
}

/// One piece of a file read in chunks of whole records.
pub struct Chunk {
    pub data: Dataset,
    /// "'FILE' (the part from line N)", for messages.
    pub source_name: String,
    /// The number of rows in the chunks before this one.
    pub rows_before: usize,
}

/// Reads the delimited file `input` in chunks of about `chunk_bytes` of whole records (quotes
/// respected, so a quoted field may hold newlines) and calls `each` on every chunk with rows;
/// `progress(bytes read, total bytes, rows)` after each. Returns the number of rows.
pub fn for_each_csv_chunk<E: From<DataError>>(
    input: &Path,
    chunk_bytes: usize,
    progress: &mut dyn FnMut(u64, u64, usize),
    each: &mut dyn FnMut(Chunk) -> Result<(), E>,
) -> Result<usize, E> {
    let name = input.display().to_string();
    let read_err = |error| DataError::Io { path: input.to_path_buf(), error };
    let file = std::fs::File::open(input).map_err(read_err)?;
    let total = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut header = Vec::new();
    reader.read_until(b'\n', &mut header).map_err(read_err)?;
    if header.iter().all(u8::is_ascii_whitespace) {
        return Err(DataError::Empty { source_name: name }.into());
    }
    if !header.ends_with(b"\n") {
        header.push(b'\n');
    }
    let mut done_bytes = header.len() as u64;
    let mut line = 2usize; // physical line the next chunk starts on
    let mut carry: Vec<u8> = Vec::new();
    let mut rows = 0usize;
    loop {
        let mut block = vec![0u8; chunk_bytes];
        let n = read_full(&mut reader, &mut block).map_err(read_err)?;
        block.truncate(n);
        carry.extend_from_slice(&block);
        let at_end = n == 0;
        let cut = if at_end { carry.len() } else { super::last_record_end(&carry).map_or(0, |(end, _)| end) };
        if cut == 0 && !at_end {
            continue; // one record longer than a chunk: read more
        }
        let chunk: Vec<u8> = carry.drain(..cut).collect();
        done_bytes += chunk.len() as u64;
        if !chunk.iter().all(u8::is_ascii_whitespace) {
            let source_name = format!("'{name}' (the part from line {line})");
            let data = read_csv_bytes(&source_name, [header.as_slice(), &chunk].concat())?;
            let n_rows = data.n_rows();
            each(Chunk { data, source_name, rows_before: rows })?;
            rows += n_rows;
        }
        line += chunk.iter().filter(|&&b| b == b'\n').count();
        progress(done_bytes.min(total), total, rows);
        if at_end {
            break;
        }
    }
    if rows == 0 {
        return Err(DataError::NoRows { source_name: name }.into());
    }
    Ok(rows)
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..])? {
            0 => break,
            k => filled += k,
        }
    }
    Ok(filled)
}

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

/// Count, mean, sum of squared deviations and range of a stream of numbers, merged chunk by
/// chunk (Chan et al.'s update, exact up to rounding).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Moments {
    pub count: u64,
    pub mean: f64,
    pub m2: f64,
    pub min: f64,
    pub max: f64,
}

impl Moments {
    fn of(values: impl Iterator<Item = f64> + Clone) -> Moments {
        let (mut count, mut sum, mut min, mut max) = (0u64, 0.0, f64::INFINITY, f64::NEG_INFINITY);
        for x in values.clone() {
            count += 1;
            sum += x;
            min = min.min(x);
            max = max.max(x);
        }
        if count == 0 {
            return Moments::default();
        }
        let mean = sum / count as f64;
        let m2 = values.map(|x| (x - mean) * (x - mean)).sum();
        Moments { count, mean, m2, min, max }
    }

    fn merge(&mut self, o: &Moments) {
        if o.count == 0 {
            return;
        }
        if self.count == 0 {
            *self = o.clone();
            return;
        }
        let n = (self.count + o.count) as f64;
        let delta = o.mean - self.mean;
        self.m2 += o.m2 + delta * delta * self.count as f64 * o.count as f64 / n;
        self.mean += delta * o.count as f64 / n;
        self.count += o.count;
        self.min = self.min.min(o.min);
        self.max = self.max.max(o.max);
    }

    /// The sample standard deviation (n − 1).
    pub fn std(&self) -> f64 {
        (self.m2 / (self.count as f64 - 1.0).max(1.0)).sqrt()
    }
}

/// What the recipe fits for one number column, over every streamed training row.
#[derive(Clone)]
pub struct NumberStatistics {
    /// The present values.
    pub moments: Moments,
    pub missing: u64,
    sketch: DDSketch,
}

impl std::fmt::Debug for NumberStatistics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NumberStatistics")
            .field("moments", &self.moments)
            .field("missing", &self.missing)
            .field("median", &self.quantile(0.5))
            .finish()
    }
}

impl NumberStatistics {
    fn new() -> Self {
        NumberStatistics {
            moments: Moments::default(),
            missing: 0,
            sketch: DDSketch::new(Config::new(SKETCH_ACCURACY, SKETCH_BINS, 1e-9)),
        }
    }

    /// The `q` quantile of the present values (from the sketch), `None` when there are none.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        self.sketch.quantile(q.clamp(0.0, 1.0)).ok().flatten()
    }

    /// The `q` quantile once the missing cells hold `fill` (what a scaler after an imputer sees).
    pub fn quantile_filled(&self, q: f64, fill: f64) -> Option<f64> {
        let mut sketch = self.sketch.clone();
        sketch.add_with_count(fill, self.missing);
        sketch.quantile(q.clamp(0.0, 1.0)).ok().flatten()
    }
}

/// The statistics a recipe fits on the streamed training rows, by column.
#[derive(Clone, Debug, Default)]
pub struct ColumnStatistics {
    pub numbers: HashMap<String, NumberStatistics>,
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

/// A uniform sample of a stream of rows (Vitter's algorithm R), each kept as its CSV record.
struct Reservoir {
    cap: usize,
    seen: u64,
    rows: Vec<(u64, Vec<u8>)>,
    rng: Rng,
}

impl Reservoir {
    fn new(cap: usize, seed: u64) -> Self {
        Reservoir { cap, seen: 0, rows: Vec::new(), rng: Rng::new(seed) }
    }

    /// Offers the next row; returns the slot it goes to, if it is kept.
    fn offer(&mut self) -> Option<usize> {
        self.seen += 1;
        if self.rows.len() < self.cap {
            self.rows.push((0, Vec::new()));
            return Some(self.rows.len() - 1);
        }
        let j = self.rng.below(self.seen as usize);
        (j < self.cap).then_some(j)
    }

    /// The kept rows as one table, in file order.
    fn into_dataset(mut self, name: &str, header: &[u8]) -> Result<Option<Dataset>, DataError> {
        if self.rows.is_empty() {
            return Ok(None);
        }
        self.rows.sort_unstable_by_key(|r| r.0);
        let mut bytes = header.to_vec();
        for (_, record) in &self.rows {
            bytes.extend_from_slice(record);
        }
        drop(self.rows);
        read_csv_bytes(name, bytes).map(Some)
    }
}

/// Whether row `row` is held out for testing.
fn held_out(seed: u64, row: u64, share: f64) -> bool {
    share > 0.0 && (Rng::new(seed ^ row.wrapping_mul(0xD6E8_FEB8_6659_FD93)).next_u64() as f64 / 2f64.powi(64)) < share
}

/// One row of `ds` as a CSV record (numbers written so that they read back exactly).
fn record(ds: &Dataset, row: usize) -> Vec<u8> {
    csv_line(&ds.columns.iter().map(|c| c.cell_text(row)).collect::<Vec<_>>())
}

/// Cells as one CSV line (quoted where needed).
fn csv_line(cells: &[String]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
    // Writing into memory cannot fail.
    w.write_record(cells).ok();
    w.into_inner().unwrap_or_default()
}

/// What the pass gathers for one column.
#[derive(Default)]
struct ColumnAcc {
    missing: u64,
    /// Numbers, all rows.
    all: Moments,
    /// Numbers, training rows (with the sketch and their missing cells).
    train: Option<NumberStatistics>,
    /// Distinct numbers (up to [`DISTINCT_CAP`]) with their counts.
    numbers: HashMap<u64, u64>,
    /// Cells read as text, with their counts (up to [`DISTINCT_CAP`] distinct values).
    text: HashMap<String, u64>,
    /// Whether a map reached [`DISTINCT_CAP`] (its column's distinct count is then estimated;
    /// number columns stop counting there, which keeps the pass fast on measurements).
    numbers_capped: bool,
    text_capped: bool,
    /// Text cells in a chunk where the column is otherwise numbers: (count, an example).
    text_cells: u64,
    text_example: Option<String>,
    longest: usize,
}

impl ColumnAcc {
    fn add(&mut self, column: &super::Column, held: &[bool]) {
        self.missing += column.missing() as u64;
        match &column.values {
            Values::Numeric(v) => {
                let raw = v.raw();
                self.all.merge(&Moments::of(raw.iter().copied().filter(|x| !x.is_nan())));
                let train = self.train.get_or_insert_with(NumberStatistics::new);
                let kept = raw.iter().zip(held).filter(|(_, h)| !**h).map(|(x, _)| *x);
                train.moments.merge(&Moments::of(kept.clone().filter(|x| !x.is_nan())));
                for x in kept {
                    if x.is_nan() {
                        train.missing += 1;
                    } else {
                        train.sketch.add(x);
                    }
                }
                for &x in raw.iter().filter(|x| !x.is_nan()) {
                    if self.numbers_capped {
                        break;
                    }
                    if let Some(n) = self.numbers.get_mut(&x.to_bits()) {
                        *n += 1;
                    } else if self.numbers.len() < DISTINCT_CAP {
                        self.numbers.insert(x.to_bits(), 1);
                    } else {
                        self.numbers_capped = true;
                    }
                }
            }
            Values::Str(v) => {
                for (value, n) in v.dict().iter().zip(v.counts()).filter(|(_, n)| *n > 0) {
                    self.longest = self.longest.max(value.chars().count());
                    if super::formatted::number_cell(value.trim()).is_some() {
                        // A number in a chunk read as text: counted as a number.
                    } else {
                        self.text_cells += n as u64;
                        if self.text_example.is_none() {
                            self.text_example = Some(value.clone());
                        }
                    }
                    if let Some(c) = self.text.get_mut(value) {
                        *c += n as u64;
                    } else if self.text.len() < DISTINCT_CAP {
                        self.text.insert(value.clone(), n as u64);
                    } else {
                        self.text_capped = true;
                    }
                }
            }
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_moments_equal_one_pass() {
        let xs: Vec<f64> = (0..1000).map(|i| ((i * 7919) % 1013) as f64 * 0.37 - 50.0).collect();
        let whole = Moments::of(xs.iter().copied());
        let mut parts = Moments::default();
        for chunk in xs.chunks(97) {
            parts.merge(&Moments::of(chunk.iter().copied()));
        }
        assert_eq!(parts.count, whole.count);
        assert!((parts.mean - whole.mean).abs() < 1e-9);
        assert!((parts.m2 - whole.m2).abs() < 1e-6 * whole.m2);
        assert_eq!((parts.min, parts.max), (whole.min, whole.max));
    }

    #[test]
    fn the_reservoir_keeps_a_uniform_sample() {
        // 100 000 rows offered, 1 000 kept: each tenth of the stream gets about a tenth.
        let mut r = Reservoir::new(1000, 7);
        for i in 0..100_000u64 {
            if let Some(slot) = r.offer() {
                r.rows[slot] = (i, Vec::new());
            }
        }
        assert_eq!(r.rows.len(), 1000);
        let mut per_tenth = [0usize; 10];
        r.rows.iter().for_each(|(i, _)| per_tenth[(*i / 10_000) as usize] += 1);
        assert!(per_tenth.iter().all(|&n| (60..=140).contains(&n)), "{per_tenth:?}");
    }

    #[test]
    fn sketch_medians_are_within_the_stated_error() {
        let mut s = NumberStatistics::new();
        let mut xs: Vec<f64> = (0..200_001).map(|i| ((i as f64) * 0.618_033_988).fract() * 1000.0 - 300.0).collect();
        xs.iter().for_each(|&x| s.sketch.add(x));
        xs.sort_by(f64::total_cmp);
        for q in [0.25, 0.5, 0.75] {
            let truth = xs[(q * (xs.len() - 1) as f64) as usize];
            let got = s.quantile(q).unwrap();
            assert!((got - truth).abs() <= SKETCH_ACCURACY * truth.abs() + 1e-9, "q {q}: {got} against {truth}");
        }
    }
}
