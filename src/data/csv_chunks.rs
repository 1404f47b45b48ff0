//! The chunked half of the CSV reader: where the bytes come from (a file read a few megabytes
//! at a time, or memory), the reader thread that cuts chunks of whole records, and the workers
//! that parse each chunk into compact column parts.

use super::csv::{CHUNK, Progress, ReadError, cancelled};
use super::csv_scan::{ESCAPED, Spans, decimal16, last_record_end, parse_cell, span_bytes, span_text, tokenize_into};
use super::{DataError, Strings, StringsBuilder};
use std::borrow::Cow;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

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
                buf.resize(range.len(), 0);
                f.read_exact(&mut buf).map_err(io)?;
                Ok(Cow::Owned(buf))
            }
        }
    }

    /// The physical line (1-based) that byte `offset` lies on.
    pub(super) fn line_at(&self, offset: usize) -> Result<usize, DataError> {
        let mut lines = 1;
        let mut at = 0;
        while at < offset {
            let end = (at + CHUNK).min(offset);
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
    Strings(Strings),
}

/// What a chunk's column of numbers held besides missing cells.
#[derive(Clone, Copy, Default)]
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

/// Cuts `source[start..]` into chunks of whole records on this thread and parses them on all
/// cores (a bounded queue keeps only a few chunks in memory at once).
pub(super) fn parse_chunks(
    source_name: &str,
    source: &Source,
    start: usize,
    sep: u8,
    width: usize,
    progress: &Progress,
) -> Result<Vec<Chunk>, ReadError> {
    let len = source.len();
    let workers = rayon::current_num_threads().clamp(1, 16);
    let results: Mutex<Vec<(usize, Result<Chunk, ReadError>)>> = Mutex::new(Vec::new());
    let failed = AtomicBool::new(false);
    let (tx, rx) = std::sync::mpsc::sync_channel::<(usize, std::ops::Range<usize>, Cow<[u8]>)>(workers);
    let rx = Mutex::new(rx);
    // Read buffers go back to the reader to be filled again (no fresh pages per chunk).
    let (pool_tx, pool_rx) = std::sync::mpsc::channel::<Vec<u8>>();
    let produced =
        std::thread::scope(|scope| -> Result<(), ReadError> {
            for _ in 0..workers {
                let pool_tx = pool_tx.clone();
                scope.spawn(|| {
                    let pool_tx = pool_tx;
                    let mut spans = Spans::new();
                    loop {
                        let job = rx.lock().map_err(|_| ()).and_then(|r| r.recv().map_err(|_| ()));
                        let Ok((index, range, bytes)) = job else { break };
                        let chunk = parse_chunk(source_name, &bytes, sep, width, &mut spans)
                            .map(|(rows, parts)| Chunk { range, rows, parts });
                        if let Cow::Owned(buf) = bytes {
                            let _ = pool_tx.send(buf);
                        }
                        if chunk.is_err() {
                            failed.store(true, Ordering::Relaxed);
                        }
                        if let Ok(mut r) = results.lock() {
                            r.push((index, chunk));
                        }
                    }
                });
            }
            let mut pos = start;
            let mut index = 0;
            let mut want = CHUNK;
            while pos < len {
                if failed.load(Ordering::Relaxed) {
                    break;
                }
                if progress.cancelled() {
                    return Err(cancelled(source_name).into());
                }
                let end = (pos + want).min(len);
                let window = source.read_reusing(pos..end, pool_rx.try_recv().unwrap_or_default())?;
                let cut = if end == len { Some(window.len()) } else { last_record_end(&window) };
                let Some(cut) = cut else {
                    want *= 2; // one record longer than the chunk: read more
                    if want > (1 << 30) {
                        return Err(DataError::Invalid {
                            source_name: source_name.to_string(),
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
                if tx.send((index, pos..pos + cut, bytes)).is_err() {
                    break;
                }
                index += 1;
                pos += cut;
                want = CHUNK;
                if let Some(report) = progress.report {
                    report(pos as f32 / len.max(1) as f32);
                }
            }
            drop(tx);
            Ok(())
        });
    produced?;
    let mut results = results.into_inner().unwrap_or_default();
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

/// Parses one chunk of whole records, row by row: each column is numbers until a cell is not a
/// number, then (its earlier cells included) coded text.
fn parse_chunk(
    source_name: &str,
    bytes: &[u8],
    sep: u8,
    width: usize,
    spans: &mut Spans,
) -> Result<(usize, Vec<Part>), ReadError> {
    let text = std::str::from_utf8(bytes).map_err(|_| ReadError::NotUtf8)?;
    tokenize_into(source_name, bytes, 0..bytes.len(), 1, sep, Some(width), spans)?;
    let rows = spans.len() / width;
    enum Builder {
        Numbers(Vec<f64>, Seen),
        Strings(StringsBuilder),
    }
    let mut columns: Vec<Builder> =
        (0..width).map(|_| Builder::Numbers(Vec::with_capacity(rows), Seen::default())).collect();
    for (r, row) in spans.chunks_exact(width).enumerate() {
        for (j, (&span, column)) in row.iter().zip(columns.iter_mut()).enumerate() {
            match column {
                Builder::Numbers(v, seen) => match parse_span(bytes, span) {
                    Some(x) => {
                        if x.is_nan() {
                            seen.marker |= span.0 != span.1 & !ESCAPED;
                        } else {
                            seen.number = true;
                        }
                        v.push(x);
                    }
                    None => {
                        let mut b = StringsBuilder::with_capacity(rows);
                        for earlier in spans.chunks_exact(width).take(r + 1) {
                            b.push(cell_text(text, earlier[j]).as_deref());
                        }
                        *column = Builder::Strings(b);
                    }
                },
                Builder::Strings(b) => b.push(cell_text(text, span).as_deref()),
            }
        }
    }
    let parts = columns
        .into_iter()
        .map(|c| match c {
            Builder::Numbers(v, seen) => Part::Numbers(v, seen),
            Builder::Strings(b) => Part::Strings(b.finish()),
        })
        .collect();
    Ok((rows, parts))
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
