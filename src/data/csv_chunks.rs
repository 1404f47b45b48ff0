//! The chunked half of the CSV reader: where the bytes come from (a file read a few megabytes
//! at a time, or memory), the reader thread that cuts chunks of whole records, and the workers
//! that parse each chunk into compact column parts.

// `unsafe` here: chunk workers write disjoint row ranges of the same pre-reserved number
// columns, and ASCII-checked chunks skip the UTF-8 check.
#![allow(unsafe_code)]

use super::csv::{Progress, ReadError, cancelled, chunk_bytes};
use super::csv_scan::{
    ESCAPED, Spans, decimal16, last_record_end, parse_cell, span_bytes, span_text, tokenize_into, unquoted,
};
use super::{DataError, Strings, StringsBuilder};
use std::borrow::Cow;
use std::mem::MaybeUninit;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};

/// Where the text comes from.
pub(super) enum Source<'a> {
    Memory(&'a [u8]),
    /// Reads seek the shared file handle, one at a time.
    File {
        file: &'a std::fs::File,
        len: u64,
        path: &'a Path,
        lock: Mutex<()>,
    },
}

impl Source<'_> {
    pub(super) fn len(&self) -> usize {
        match self {
            Source::Memory(b) => b.len(),
            Source::File { len, .. } => *len as usize,
        }
    }

    pub(super) fn read(&self, range: std::ops::Range<usize>) -> Result<Cow<'_, [u8]>, DataError> {
        self.read_reusing(range, Vec::new())
    }

    /// The bytes of `range` (read from a file into `buf`, whose memory is reused).
    pub(super) fn read_reusing(
        &self,
        range: std::ops::Range<usize>,
        mut buf: Vec<u8>,
    ) -> Result<Cow<'_, [u8]>, DataError> {
        match self {
            Source::Memory(b) => Ok(Cow::Borrowed(&b[range])),
            Source::File { file, path, lock, .. } => {
                use std::io::{Read, Seek, SeekFrom};
                let io = |error| DataError::Io { path: path.to_path_buf(), error };
                let _one_at_a_time = lock.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                let mut f: &std::fs::File = file;
                f.seek(SeekFrom::Start(range.start as u64)).map_err(io)?;
                buf.clear();
                buf.reserve_exact(range.len());
                // Read into the spare capacity: no zeroing of the buffer first.
                let read = f.take(range.len() as u64).read_to_end(&mut buf).map_err(io)?;
                if read < range.len() {
                    let error = std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "the file got shorter");
                    return Err(io(error));
                }
                Ok(Cow::Owned(buf))
            }
        }
    }

    /// The physical line (1-based) that byte `offset` lies on.
    pub(super) fn line_at(&self, offset: usize) -> Result<usize, DataError> {
        let mut lines = 1;
        let mut at = 0;
        while at < offset {
            let end = (at + chunk_bytes()).min(offset);
            lines += memchr::memchr_iter(b'\n', &self.read(at..end)?).count();
            at = end;
        }
        Ok(lines)
    }
}

/// One chunk's columns.
pub(super) enum Part {
    /// Numbers (NaN = missing) and what kinds of cells were seen.
    Numbers(Vec<f64>, Seen),
    /// Numbers written in place, into the whole column from the given row on (see [`InPlace`]).
    InPlace(Seen, usize),
    Strings(Strings),
}

impl Part {
    pub(super) fn seen(&self) -> Option<Seen> {
        match self {
            Part::Numbers(_, seen) | Part::InPlace(seen, _) => Some(*seen),
            Part::Strings(_) => None,
        }
    }
}

/// Whole columns of numbers that the chunk workers fill in place, so a column of numbers is
/// never copied from chunk parts into a whole column. The reader reserves them (address space
/// only: untouched pages take no memory) once the first chunk shows how long a record is, and
/// gives each chunk the rows it counted in it: chunk i writes rows [start_i, start_i + rows_i)
/// of every column it reads as numbers. The ranges never overlap, and nothing is read before
/// every worker has finished.
pub(super) struct InPlace {
    columns: Vec<Vec<f64>>,
    cells: Vec<*mut MaybeUninit<f64>>,
    capacity: usize,
}

// SAFETY: `cells` point into the reserved memory of `columns`, which lives as long as the
// `InPlace` and is never reallocated while it does; workers write through them only into the
// disjoint row ranges the reader handed out (see `rows`).
unsafe impl Send for InPlace {}
// SAFETY: as for `Send`: shared access only hands out disjoint row ranges.
unsafe impl Sync for InPlace {}

impl InPlace {
    /// `width` columns of room for `capacity` rows each, or `None` when that much address space
    /// is not to be had (the chunks then keep their own parts).
    fn reserve(width: usize, capacity: usize) -> Option<InPlace> {
        let mut columns = Vec::with_capacity(width);
        for _ in 0..width {
            let mut column: Vec<f64> = Vec::new();
            column.try_reserve_exact(capacity).ok()?;
            columns.push(column);
        }
        let cells = columns.iter_mut().map(|c| c.as_mut_ptr().cast::<MaybeUninit<f64>>()).collect();
        Some(InPlace { columns, cells, capacity })
    }

    /// Every column's cells [start, start + rows).
    ///
    /// # Safety
    /// No two calls may cover overlapping rows while their slices live.
    #[allow(clippy::mut_from_ref)] // disjoint rows through raw pointers, as documented above
    unsafe fn rows(&self, start: usize, rows: usize) -> Vec<&mut [MaybeUninit<f64>]> {
        assert!(start + rows <= self.capacity, "rows {start}+{rows} outside the reserved {}", self.capacity);
        // SAFETY: in bounds of each column's reservation (asserted); disjoint by the caller.
        self.cells.iter().map(|&p| unsafe { std::slice::from_raw_parts_mut(p.add(start), rows) }).collect()
    }

    /// The columns (empty, their written cells in their spare capacity).
    pub(super) fn into_columns(self) -> Vec<Vec<f64>> {
        self.columns
    }
}

/// Records in `bytes` (whole records, as cut by the reader; `quoted` when they hold a quote):
/// their line ends outside quotes, plus a last record without one. Blank lines count too (the
/// chunk's worker then finds fewer records than counted and keeps its own parts).
fn count_records(bytes: &[u8], quoted: bool) -> usize {
    let unterminated = usize::from(bytes.last().is_some_and(|&b| b != b'\n'));
    let ends = if quoted { unquoted(bytes, b'\n').count() } else { memchr::memchr_iter(b'\n', bytes).count() };
    ends + unterminated
}

/// What a chunk's column of numbers held besides missing cells.
#[derive(Clone, Copy, Default, Debug, PartialEq)]
pub(super) struct Seen {
    /// A real number.
    pub(super) number: bool,
    /// A "not available" marker such as NA or null (a non-empty cell that is no number).
    pub(super) marker: bool,
}

pub(super) struct Chunk {
    pub(super) range: std::ops::Range<usize>,
    pub(super) rows: usize,
    pub(super) parts: Vec<Part>,
}

/// A chunk to parse: its index, its byte range, its bytes, and where its rows go in place
/// (the first row and the number of records the reader counted), if anywhere.
type Job<'a> = (usize, std::ops::Range<usize>, Cow<'a, [u8]>, Option<(usize, usize)>);

/// What the reader thread and the chunk workers share.
struct Shared<'a> {
    source_name: &'a str,
    sep: u8,
    width: usize,
    /// Each chunk's result, by its index.
    results: Mutex<Vec<(usize, Result<Chunk, ReadError>)>>,
    /// A chunk failed: the reader stops cutting.
    failed: AtomicBool,
    /// The whole number columns, reserved once the first chunk is cut.
    in_place: OnceLock<Option<InPlace>>,
}

/// Cuts `source[start..]` into chunks of whole records on this thread and parses them on all
/// cores (a bounded queue keeps only a few chunks in memory at once).
pub(super) fn parse_chunks(
    source_name: &str,
    source: &Source,
    start: usize,
    sep: u8,
    width: usize,
    progress: &Progress,
) -> Result<(Vec<Chunk>, Option<InPlace>), ReadError> {
    let workers = rayon::current_num_threads().clamp(1, 16);
    let shared = Shared {
        source_name,
        sep,
        width,
        results: Mutex::new(Vec::new()),
        failed: AtomicBool::new(false),
        in_place: OnceLock::new(),
    };
    let (tx, rx) = std::sync::mpsc::sync_channel::<Job>(workers);
    let rx = Mutex::new(rx);
    // Read buffers go back to the reader to be filled again (no fresh pages per chunk).
    let (pool_tx, pool_rx) = std::sync::mpsc::channel::<Vec<u8>>();
    let produced = std::thread::scope(|scope| -> Result<(), ReadError> {
        for _ in 0..workers {
            let pool_tx = pool_tx.clone();
            let (shared, rx) = (&shared, &rx);
            scope.spawn(move || work(shared, rx, &pool_tx));
        }
        let cut = cut_chunks(&shared, source, start, progress, &tx, &pool_rx);
        drop(tx);
        cut
    });
    produced?;
    let chunks = in_order(source, start, shared.results.into_inner().unwrap_or_default())?;
    Ok((chunks, shared.in_place.into_inner().flatten()))
}

/// A worker: parses the chunks it takes from the queue until the queue closes, handing read
/// buffers back through `pool`.
fn work(shared: &Shared, rx: &Mutex<std::sync::mpsc::Receiver<Job>>, pool: &std::sync::mpsc::Sender<Vec<u8>>) {
    let mut scratch = Scratch::default();
    loop {
        let job = rx.lock().map_err(|_| ()).and_then(|r| r.recv().map_err(|_| ()));
        let Ok((index, range, bytes, place)) = job else { break };
        let target = place.and_then(|p| Some((shared.in_place.get()?.as_ref()?, p)));
        let chunk = parse_chunk(shared.source_name, &bytes, shared.sep, shared.width, &mut scratch, target)
            .map(|(rows, parts)| Chunk { range, rows, parts });
        if let Cow::Owned(buf) = bytes {
            pool.send(buf).ok();
        }
        if chunk.is_err() {
            shared.failed.store(true, Ordering::Relaxed);
        }
        if let Ok(mut r) = shared.results.lock() {
            r.push((index, chunk));
        }
    }
}

/// The reader: cuts `source[start..]` into chunks of whole records and queues them, reserving
/// the in-place columns after the first and giving each chunk its rows there while they fit.
fn cut_chunks<'s>(
    shared: &Shared,
    source: &'s Source,
    start: usize,
    progress: &Progress,
    tx: &std::sync::mpsc::SyncSender<Job<'s>>,
    pool: &std::sync::mpsc::Receiver<Vec<u8>>,
) -> Result<(), ReadError> {
    let len = source.len();
    let mut pos = start;
    let mut index = 0;
    let mut want = chunk_bytes();
    let mut next_row = 0;
    while pos < len {
        if shared.failed.load(Ordering::Relaxed) {
            break;
        }
        if progress.cancelled() {
            return Err(cancelled(shared.source_name).into());
        }
        let end = (pos + want).min(len);
        let window = source.read_reusing(pos..end, pool.try_recv().unwrap_or_default())?;
        let cut = if end == len {
            Some((window.len(), memchr::memchr(b'"', &window).is_some()))
        } else {
            last_record_end(&window)
        };
        let Some((cut, quoted)) = cut else {
            want *= 2; // one record longer than the chunk: read more
            if want > (1 << 30) {
                return Err(DataError::Invalid {
                    source_name: shared.source_name.to_string(),
                    message: "a record is over a gigabyte long (is a quote never closed?)".into(),
                }
                .into());
            }
            continue;
        };
        let bytes = match window {
            Cow::Borrowed(b) => Cow::Borrowed(&b[..cut]),
            Cow::Owned(mut b) => {
                b.truncate(cut);
                Cow::Owned(b)
            }
        };
        let records = count_records(&bytes, quoted);
        if index == 0 {
            // Room for the rows of the whole file at this chunk's bytes per record, and a
            // quarter more.
            let per_record = bytes.len() as f64 / records.max(1) as f64;
            let capacity = records + (((len - pos - cut) as f64 / per_record) * 1.25) as usize + 64;
            shared.in_place.set(InPlace::reserve(shared.width, capacity)).ok();
        }
        let capacity = shared.in_place.get().and_then(Option::as_ref).map_or(0, |p| p.capacity);
        let place = (next_row + records <= capacity).then_some((next_row, records));
        if place.is_some() {
            next_row += records;
        }
        if tx.send((index, pos..pos + cut, bytes, place)).is_err() {
            break;
        }
        index += 1;
        pos += cut;
        want = chunk_bytes();
        if let Some(report) = progress.report {
            report(pos as f32 / len.max(1) as f32);
        }
    }
    Ok(())
}

/// The chunks in file order, or the first failure (a malformed record's line counted from the
/// file's start rather than its chunk's).
fn in_order(
    source: &Source,
    start: usize,
    mut results: Vec<(usize, Result<Chunk, ReadError>)>,
) -> Result<Vec<Chunk>, ReadError> {
    results.sort_by_key(|r| r.0);
    let mut chunks = Vec::with_capacity(results.len());
    for (_, chunk) in results {
        match chunk {
            Ok(c) => chunks.push(c),
            Err(ReadError::Data(DataError::Malformed { source_name, line, message })) => {
                // Lines were counted from the chunk's start: count those before it.
                let offset = chunks.last().map_or(start, |c: &Chunk| c.range.end);
                let before = source.line_at(offset)? - 1;
                return Err(DataError::Malformed { source_name, line: line + before, message }.into());
            }
            Err(e) => return Err(e),
        }
    }
    Ok(chunks)
}

/// A chunk's column while it is parsed.
pub(super) enum Builder<'a> {
    /// Numbers of the chunk's own (pushed in row order).
    Numbers(Vec<f64>, Seen),
    /// Numbers written into the whole column (row r of the chunk at index r).
    InPlace(&'a mut [MaybeUninit<f64>], Seen),
    Strings(StringsBuilder),
}

impl Builder<'_> {
    fn into_part(self, start: usize) -> Part {
        match self {
            Builder::Numbers(v, seen) => Part::Numbers(v, seen),
            Builder::InPlace(_, seen) => Part::InPlace(seen, start),
            Builder::Strings(b) => Part::Strings(b.finish()),
        }
    }
}

/// A worker's buffers, reused from chunk to chunk.
#[derive(Default)]
pub(super) struct Scratch {
    spans: Spans,
    index: Vec<u32>,
}

/// Parses one chunk of whole records: each column is numbers until a cell is not a number,
/// then (its earlier cells included) coded text. Numbers go straight into `target`'s columns
/// at the given first row when the chunk has as many records as the reader counted. Plain
/// chunks take the column-by-column fast path; others are tokenized and parsed row by row.
fn parse_chunk(
    source_name: &str,
    bytes: &[u8],
    sep: u8,
    width: usize,
    scratch: &mut Scratch,
    target: Option<(&InPlace, (usize, usize))>,
) -> Result<(usize, Vec<Part>), ReadError> {
    let plain = super::csv_plain::index_delimiters(bytes, sep, width, &mut scratch.index);
    let text = match &plain {
        // SAFETY: every byte is ASCII, so the bytes are valid UTF-8.
        Some(p) if p.ascii => unsafe { std::str::from_utf8_unchecked(bytes) },
        _ => std::str::from_utf8(bytes).map_err(|_| ReadError::NotUtf8)?,
    };
    let mut start = 0;
    let mut builders = |rows: usize| -> Vec<Builder> {
        match target.filter(|(_, (_, counted))| *counted == rows) {
            Some((in_place, (first, _))) => {
                start = first;
                // SAFETY: the reader hands each chunk its own rows (see `InPlace`).
                unsafe { in_place.rows(first, rows) }
                    .into_iter()
                    .map(|cells| Builder::InPlace(cells, Seen::default()))
                    .collect()
            }
            None => (0..width).map(|_| Builder::Numbers(Vec::with_capacity(rows), Seen::default())).collect(),
        }
    };
    let parsed = match plain {
        Some(p) => super::csv_plain::parse_plain(text, width, &scratch.index, p.rows, &mut builders),
        None => parse_rows(source_name, text, sep, width, &mut scratch.spans, &mut builders)?,
    };
    let (rows, columns) = parsed;
    Ok((rows, columns.into_iter().map(|c| c.into_part(start)).collect()))
}

/// The general path of [`parse_chunk`]: the chunk tokenized (quotes, blank lines, errors with
/// their line), then parsed row by row.
pub(super) fn parse_rows<'a>(
    source_name: &str,
    text: &str,
    sep: u8,
    width: usize,
    spans: &mut Spans,
    builders: impl FnOnce(usize) -> Vec<Builder<'a>>,
) -> Result<(usize, Vec<Builder<'a>>), ReadError> {
    let bytes = text.as_bytes();
    tokenize_into(source_name, bytes, 0..bytes.len(), 1, sep, Some(width), spans)?;
    let rows = spans.len() / width;
    let mut columns = builders(rows);
    for (r, row) in spans.chunks_exact(width).enumerate() {
        for (j, (&span, column)) in row.iter().zip(columns.iter_mut()).enumerate() {
            let number = match column {
                Builder::Strings(b) => {
                    b.push(cell_text(text, span).as_deref());
                    continue;
                }
                Builder::Numbers(_, seen) | Builder::InPlace(_, seen) => {
                    let number = parse_span(bytes, span);
                    if let Some(x) = number {
                        if x.is_nan() {
                            seen.marker |= span.0 != span.1 & !ESCAPED;
                        } else {
                            seen.number = true;
                        }
                    }
                    number
                }
            };
            match (number, &mut *column) {
                (Some(x), Builder::Numbers(v, _)) => v.push(x),
                (Some(x), Builder::InPlace(cells, _)) => {
                    cells[r].write(x);
                }
                (Some(_), Builder::Strings(_)) => {}
                (None, _) => {
                    let mut b = StringsBuilder::with_capacity(rows);
                    for earlier in spans.chunks_exact(width).take(r + 1) {
                        b.push(cell_text(text, earlier[j]).as_deref());
                    }
                    *column = Builder::Strings(b);
                }
            }
        }
    }
    Ok((rows, columns))
}

/// A field as a number (NaN when missing), or `None` when it is not a number.
#[inline]
fn parse_span(bytes: &[u8], span: (u32, u32)) -> Option<f64> {
    if span.1 & ESCAPED != 0 {
        return parse_cell(span_bytes(bytes, span)).map(|x| x.unwrap_or(f64::NAN));
    }
    let field = bytes[span.0 as usize..span.1 as usize].trim_ascii();
    if field.is_empty() {
        return Some(f64::NAN);
    }
    // Plain decimals without branching on their digits: the 16 bytes from the field's start
    // (the file continues after it; a copy near the chunk's end).
    if field.len() <= 16 {
        let at = field.as_ptr() as usize - bytes.as_ptr() as usize;
        let window = match bytes.get(at..at + 16).and_then(|w| <[u8; 16]>::try_from(w).ok()) {
            Some(w) => w,
            None => {
                let mut w = [0u8; 16];
                w[..field.len()].copy_from_slice(field);
                w
            }
        };
        if let Some(x) = decimal16(window, field.len()) {
            return Some(x);
        }
    }
    parse_cell(Cow::Borrowed(field)).map(|x| x.unwrap_or(f64::NAN))
}

/// A field as text, `None` when empty (missing).
#[inline]
fn cell_text(text: &str, span: (u32, u32)) -> Option<Cow<'_, str>> {
    Some(span_text(text, span)).filter(|t| !t.is_empty())
}

/// Column `j` of tokenized records as coded text (an empty field is missing).
pub(super) fn strings_of(text: &str, spans: &[(u32, u32)], width: usize, j: usize) -> Strings {
    let mut builder = StringsBuilder::with_capacity(spans.len() / width);
    for row in spans.chunks_exact(width) {
        builder.push(cell_text(text, row[j]).as_deref());
    }
    builder.finish()
}
