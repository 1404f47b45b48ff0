//! Reading a delimited file a chunk of whole records at a time (the streaming pass and batch
//! prediction both do), and the memory figures that decide when a file must be streamed.

use crate::data::csv::read_csv_bytes;
use crate::data::{DataError, Dataset};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// A delimited file read whole takes about this many times its size in memory (1.27× on the
/// import benchmark).
pub const MEMORY_PER_FILE_BYTE: f64 = 1.3;
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
        && !crate::data::is_database_url(&path.to_string_lossy())
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
        let cut = if at_end { carry.len() } else { crate::data::last_record_end(&carry).map_or(0, |(end, _)| end) };
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
