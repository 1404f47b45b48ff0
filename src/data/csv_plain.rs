//! The fast path of the CSV reader, for chunks without quotes (most files): every separator
//! and newline of the chunk is found 64 bytes at a time into one index, and the fields are
//! then parsed column by column over small blocks of rows, so each column's loop handles one
//! kind of cell (numbers into their column, or text into its dictionary) with no dispatch per
//! field. A chunk that does not fit this shape (a quote, a blank line, a ragged row) returns
//! `None` and the general tokenizer reads it (and names the line of any error).

// `unsafe` here: SSE/AVX2 intrinsics, called only after run-time feature detection.
#![allow(unsafe_code)]

use super::StringsBuilder;
use super::csv_chunks::{Builder, Seen};
use super::csv_scan::{decimal16, parse_cell};
use std::borrow::Cow;

/// Rows parsed together, column by column (their text stays in the core's caches).
const BLOCK: usize = 256;

/// What [`index_delimiters`] found in a plain chunk.
pub(super) struct Plain {
    pub(super) rows: usize,
    /// Every byte is ASCII (so the chunk is valid UTF-8 without checking it again).
    pub(super) ascii: bool,
}

/// Parses a plain chunk (one [`index_delimiters`] accepted, `index` as it left it) of whole
/// records into `columns` (one builder per field, numbers first).
pub(super) fn parse_plain<'a>(
    text: &str,
    width: usize,
    index: &[u32],
    rows: usize,
    columns: impl FnOnce(usize) -> Vec<Builder<'a>>,
) -> (usize, Vec<Builder<'a>>) {
    let mut columns = columns(rows);
    let index = &index[..rows * width];
    let mut first = 0;
    while first < rows {
        let last = (first + BLOCK).min(rows);
        for (j, column) in columns.iter_mut().enumerate() {
            parse_column(text, index, width, j, first..last, column);
        }
        first = last;
    }
    (rows, columns)
}

/// Where the fields of one column lie in a chunk.
struct Fields<'a> {
    bytes: &'a [u8],
    index: &'a [u32],
    width: usize,
    j: usize,
}

impl Fields<'_> {
    /// Row r's field: its start and end (a last field's carriage return included).
    #[inline(always)]
    fn raw(&self, r: usize) -> (usize, usize) {
        let at = r * self.width + self.j;
        let start = if at == 0 { 0 } else { self.index[at - 1] as usize + 1 };
        (start, self.index[at] as usize)
    }

    /// Row r's field without a carriage return ending the record.
    #[inline]
    fn get(&self, r: usize) -> (usize, usize) {
        let (start, end) = self.raw(r);
        let cr = self.j + 1 == self.width && end > start && self.bytes[end - 1] == b'\r';
        (start, end - usize::from(cr))
    }
}

/// Field `j` of rows `block` into its builder; a column of numbers meeting a cell that is no
/// number becomes text from its first row on.
#[inline]
fn parse_column(
    text: &str,
    index: &[u32],
    width: usize,
    j: usize,
    block: std::ops::Range<usize>,
    column: &mut Builder,
) {
    let fields = Fields { bytes: text.as_bytes(), index, width, j };
    let text_of = |r: usize| {
        let (start, end) = fields.get(r);
        Some(&text[start..end]).filter(|t| !t.is_empty())
    };
    let all_numbers = match column {
        Builder::Strings(b) => {
            for r in block {
                b.push(text_of(r));
            }
            return;
        }
        Builder::InPlace(cells, seen) => numbers(&fields, block.clone(), seen, |r, x| {
            cells[r].write(x);
        }),
        // Rows come in order, so a chunk's own column grows by pushing.
        Builder::Numbers(v, seen) => numbers(&fields, block.clone(), seen, |_, x| v.push(x)),
    };
    if !all_numbers {
        let mut b = StringsBuilder::with_capacity(index.len() / width);
        for earlier in 0..block.end {
            b.push(text_of(earlier));
        }
        *column = Builder::Strings(b);
    }
}

/// Parses the fields of `rows` as numbers, giving each to `put`; false at the first field that
/// is no number. Uses the SSE4.1 decimal parser when the processor has it.
#[inline]
fn numbers(fields: &Fields, rows: std::ops::Range<usize>, seen: &mut Seen, put: impl FnMut(usize, f64)) -> bool {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("ssse3") && std::arch::is_x86_feature_detected!("sse4.1") {
        // SAFETY: the processor has SSSE3 and SSE4.1 (checked just above).
        return unsafe { numbers_sse(fields, rows, seen, put) };
    }
    numbers_with::<false>(fields, rows, seen, put)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "ssse3,sse4.1")]
fn numbers_sse(fields: &Fields, rows: std::ops::Range<usize>, seen: &mut Seen, put: impl FnMut(usize, f64)) -> bool {
    numbers_with::<true>(fields, rows, seen, put)
}

/// The loop of [`numbers`], with the SIMD decimal parser when `SSE` (only ever inlined into a
/// function compiled for SSSE3 and SSE4.1). The common cell, a short plain decimal, takes a
/// short path: the loop stays small, so the processor overlaps many cells.
#[inline(always)]
fn numbers_with<const SSE: bool>(
    fields: &Fields,
    rows: std::ops::Range<usize>,
    seen: &mut Seen,
    mut put: impl FnMut(usize, f64),
) -> bool {
    let bytes = fields.bytes;
    let mut plain = false;
    // A record's last field may end in a carriage return (CRLF files): it is left out there.
    let last = fields.j + 1 == fields.width;
    for r in rows {
        let (start, end) = if last { fields.get(r) } else { fields.raw(r) };
        let len = end.wrapping_sub(start);
        if (1..=16).contains(&len)
            && let Some(window) = bytes.get(start..start + 16).and_then(|w| <[u8; 16]>::try_from(w).ok())
        {
            #[cfg(target_arch = "x86_64")]
            let x = if SSE {
                // SAFETY: `numbers_with::<true>` only runs inside `numbers_sse`, on a
                // processor with SSSE3 and SSE4.1.
                unsafe { decimal16_sse(window, len) }
            } else {
                decimal16(window, len)
            };
            #[cfg(not(target_arch = "x86_64"))]
            let x = decimal16(window, len);
            if let Some(x) = x {
                put(r, x);
                plain = true;
                continue;
            }
        }
        // (start, end) already leave out a last field's carriage return.
        let Some(x) = slow_number(bytes, start, end) else { return false };
        put(r, x);
        if x.is_nan() {
            seen.marker |= end > start;
        } else {
            seen.number = true;
        }
    }
    seen.number |= plain;
    true
}

/// A field that is no plain short decimal: NaN when empty or a "not available" marker, a
/// number in any other notation, or `None` when it is text.
#[cold]
fn slow_number(bytes: &[u8], start: usize, end: usize) -> Option<f64> {
    if start == end {
        return Some(f64::NAN);
    }
    parse_cell(Cow::Borrowed(&bytes[start..end])).map(|x| x.unwrap_or(f64::NAN))
}

/// The shuffle that gathers a decimal's digits into the top lanes of a vector (zeros below):
/// entry [signed][dot][len] takes bytes signed..len of the field except the dot at `dot` (16:
/// none), in order, so the last digit lands in lane 15.
static GATHER: [[[[u8; 16]; 17]; 17]; 2] = {
    let mut t = [[[[0x80u8; 16]; 17]; 17]; 2];
    let mut signed = 0;
    while signed < 2 {
        let mut dot = 0;
        while dot <= 16 {
            let mut len = 0;
            while len <= 16 {
                // Fill from lane 15 down with the digits from the field's end back.
                let mut lane = 16;
                let mut i = len;
                while i > signed {
                    i -= 1;
                    if i != dot {
                        lane -= 1;
                        t[signed][dot][len][lane] = i as u8;
                    }
                }
                len += 1;
            }
            dot += 1;
        }
        signed += 1;
    }
    t
};

/// [`decimal16`] in a few vector instructions: the bytes are checked as digits at once, the
/// digits gathered into the top lanes by one shuffle (sign and dot left out), and the sixteen
/// digits combined pairwise by multiply-adds. Handles up to sixteen digits either side of the
/// dot (the result is exact while the digits as a whole number stay below 10^15).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "ssse3,sse4.1")]
#[inline]
fn decimal16_sse(window: [u8; 16], len: usize) -> Option<f64> {
    use std::arch::x86_64::*;
    const POW10: [f64; 16] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];
    if len == 0 || len > 16 {
        return None;
    }
    let load = |bytes: &[u8; 16]| {
        // SAFETY: an unaligned load of exactly the 16 bytes of the array.
        unsafe { _mm_loadu_si128(bytes.as_ptr().cast::<__m128i>()) }
    };
    let v = load(&window);
    let d = _mm_sub_epi8(v, _mm_set1_epi8(b'0' as i8));
    let digits = _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d)) as u32;
    let dots = _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'.' as i8))) as u32;
    let signed = u32::from(matches!(window[0], b'-' | b'+'));
    let body = ((1u32 << len) - 1) & !signed;
    let dot_bit = dots & body & (dots & body).wrapping_neg(); // the first dot, if any
    if (digits | dot_bit) & body != body {
        return None;
    }
    let has_dot = u32::from(dot_bit != 0);
    // Every other byte of the body is a digit: are there any?
    if len as u32 == signed + has_dot {
        return None;
    }
    let dot = (dot_bit.trailing_zeros() as usize).min(16);
    let frac_len = if dot_bit != 0 { len - dot - 1 } else { 0 };
    // The digits alone (no sign, no dot), moved up against lane 15, zeros below.
    let d = _mm_shuffle_epi8(d, load(&GATHER[signed as usize][dot][len]));
    let pairs = _mm_maddubs_epi16(d, _mm_setr_epi8(10, 1, 10, 1, 10, 1, 10, 1, 10, 1, 10, 1, 10, 1, 10, 1));
    let fours = _mm_madd_epi16(pairs, _mm_setr_epi16(100, 1, 100, 1, 100, 1, 100, 1));
    let fours = _mm_packus_epi32(fours, fours);
    let eights = _mm_madd_epi16(fours, _mm_setr_epi16(10000, 1, 10000, 1, 10000, 1, 10000, 1));
    let high = _mm_cvtsi128_si32(eights) as u64;
    let low = _mm_extract_epi32::<1>(eights) as u64;
    let mantissa = high * 100_000_000 + low;
    if mantissa >= 1_000_000_000_000_000 {
        return None;
    }
    let x = mantissa as f64 / POW10[frac_len & 15];
    // The sign bit set without a branch (half the cells of a column can be negative, at random).
    Some(f64::from_bits(x.to_bits() | u64::from(window[0] == b'-') << 63))
}

/// Writes the offset of every separator and newline in `bytes` into `index` (the end of the
/// bytes stands for a last newline when there is none) and counts the records, when the chunk
/// is plain: no quote, and every record has `width` fields. `None` otherwise.
pub(super) fn index_delimiters(bytes: &[u8], sep: u8, width: usize, index: &mut Vec<u32>) -> Option<Plain> {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("bmi1") {
        // SAFETY: the processor has AVX2 and BMI1 (checked just above).
        return unsafe { index_avx2(bytes, sep, width, index) };
    }
    index_with(bytes, sep, width, index, masks)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,bmi1")]
fn index_avx2(bytes: &[u8], sep: u8, width: usize, index: &mut Vec<u32>) -> Option<Plain> {
    // The closure is compiled with this function's features, so it may call the AVX2 scanner.
    index_with(bytes, sep, width, index, |block, sep| masks_avx2(block, sep))
}

/// Bit i of each mask says what byte i of a 64-byte block is.
#[derive(Clone, Copy)]
struct Masks {
    /// A separator or a newline.
    delimiters: u64,
    newlines: u64,
    quotes: u64,
    /// Not ASCII.
    high: u64,
}

/// The body of [`index_delimiters`], given how to find a block's [`Masks`].
#[inline(always)]
fn index_with(
    bytes: &[u8],
    sep: u8,
    width: usize,
    index: &mut Vec<u32>,
    masks: impl Fn(&[u8; 64], u8) -> Masks,
) -> Option<Plain> {
    if bytes.len() >= u32::MAX as usize || width == 0 {
        return None;
    }
    let mut count = 0;
    let mut newlines = 0;
    let mut high = 0;
    let mut push_block = |block: &[u8; 64], base: usize| -> Option<()> {
        let m = masks(block, sep);
        if m.quotes != 0 {
            return None;
        }
        high |= m.high;
        if index.len() < count + 64 {
            index.resize((index.len() * 2).max(count + 64), 0);
        }
        let slots = &mut index[count..count + 64];
        // The first twelve slots are written whatever the count (the extra ones are
        // overwritten later), so typical blocks take no branch per delimiter.
        let mut d = m.delimiters;
        for slot in &mut slots[..12] {
            *slot = (base as u32).wrapping_add(d.trailing_zeros());
            d &= d.wrapping_sub(1);
        }
        let mut k = 12;
        while d != 0 {
            slots[k] = base as u32 + d.trailing_zeros();
            d &= d - 1;
            k += 1;
        }
        count += m.delimiters.count_ones() as usize;
        newlines += m.newlines.count_ones() as usize;
        Some(())
    };
    let mut blocks = bytes.chunks_exact(64);
    for (b, block) in blocks.by_ref().enumerate() {
        push_block(block.try_into().ok()?, b * 64)?;
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        // Padded with zero bytes, which are never separators.
        let mut block = [0u8; 64];
        block[..tail.len()].copy_from_slice(tail);
        push_block(&block, bytes.len() - tail.len())?;
    }
    if bytes.last().is_some_and(|&b| b != b'\n') {
        index.resize(index.len().max(count + 1), 0);
        index[count] = bytes.len() as u32;
        count += 1;
        newlines += 1;
    }
    // Exactly `width` delimiters per record, the last of each a newline (so no other is).
    if count != newlines * width {
        return None;
    }
    let ends_lines = index[..count]
        .iter()
        .skip(width - 1)
        .step_by(width)
        .all(|&at| bytes.get(at as usize).is_none_or(|&b| b == b'\n'));
    ends_lines.then_some(Plain { rows: newlines, ascii: high == 0 })
}

/// A block's [`Masks`] with SSE2 (part of every x86_64 processor).
#[cfg(target_arch = "x86_64")]
#[inline]
fn masks(block: &[u8; 64], sep: u8) -> Masks {
    use std::arch::x86_64::{__m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8};
    let mut out = Masks { delimiters: 0, newlines: 0, quotes: 0, high: 0 };
    // SAFETY: SSE2 is part of every x86_64 processor; the loads read 16 bytes inside `block`.
    unsafe {
        let (s, n, q) = (_mm_set1_epi8(sep as i8), _mm_set1_epi8(b'\n' as i8), _mm_set1_epi8(b'"' as i8));
        for k in 0..4 {
            let v = _mm_loadu_si128(block.as_ptr().add(16 * k).cast::<__m128i>());
            let (at_sep, at_line) = (_mm_cmpeq_epi8(v, s), _mm_cmpeq_epi8(v, n));
            let bits = |m: __m128i| u64::from(_mm_movemask_epi8(m) as u16) << (16 * k);
            out.delimiters |= bits(_mm_or_si128(at_sep, at_line));
            out.newlines |= bits(at_line);
            out.quotes |= bits(_mm_cmpeq_epi8(v, q));
            out.high |= bits(v);
        }
    }
    out
}

/// A block's [`Masks`] with AVX2: two 32-byte halves.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
fn masks_avx2(block: &[u8; 64], sep: u8) -> Masks {
    use std::arch::x86_64::{
        __m256i, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_movemask_epi8, _mm256_or_si256, _mm256_set1_epi8,
    };
    let (s, n, q) = (_mm256_set1_epi8(sep as i8), _mm256_set1_epi8(b'\n' as i8), _mm256_set1_epi8(b'"' as i8));
    let mut out = Masks { delimiters: 0, newlines: 0, quotes: 0, high: 0 };
    for k in 0..2 {
        // SAFETY: the load reads 32 bytes inside `block`.
        let v = unsafe { _mm256_loadu_si256(block.as_ptr().add(32 * k).cast::<__m256i>()) };
        let (at_sep, at_line) = (_mm256_cmpeq_epi8(v, s), _mm256_cmpeq_epi8(v, n));
        let bits = |m: __m256i| u64::from(_mm256_movemask_epi8(m) as u32) << (32 * k);
        out.delimiters |= bits(_mm256_or_si256(at_sep, at_line));
        out.newlines |= bits(at_line);
        out.quotes |= bits(_mm256_cmpeq_epi8(v, q));
        out.high |= bits(v);
    }
    out
}

/// A block's [`Masks`], byte by byte (other processors).
#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn masks(block: &[u8; 64], sep: u8) -> Masks {
    let mut out = Masks { delimiters: 0, newlines: 0, quotes: 0, high: 0 };
    for (i, &b) in block.iter().enumerate() {
        out.delimiters |= u64::from(b == sep || b == b'\n') << i;
        out.newlines |= u64::from(b == b'\n') << i;
        out.quotes |= u64::from(b == b'"') << i;
        out.high |= u64::from(b >= 0x80) << i;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::csv_scan::fast_decimal;

    fn delimiters(text: &str, width: usize) -> Option<(usize, Vec<u32>)> {
        let mut index = Vec::new();
        let rows = index_delimiters(text.as_bytes(), b',', width, &mut index)?.rows;
        index.truncate(rows * width);
        Some((rows, index))
    }

    #[test]
    fn the_index_holds_every_delimiter_and_refuses_what_is_not_plain() {
        // Long enough to cross 64-byte blocks, with a record that has many empty fields.
        let mut text = String::new();
        for r in 0..40 {
            text.push_str(&format!("{r},x{r},{}\n", if r % 3 == 0 { "" } else { "2.5" }));
        }
        text.push_str(",,\n");
        let (rows, index) = delimiters(&text, 3).unwrap();
        assert_eq!(rows, 41);
        let expected: Vec<u32> =
            text.bytes().enumerate().filter(|(_, b)| matches!(b, b',' | b'\n')).map(|(i, _)| i as u32).collect();
        assert_eq!(index, expected);
        // No newline at the end: the end of the text closes the last record.
        let (rows, index) = delimiters("a,b\nc,d", 2).unwrap();
        assert_eq!((rows, index), (2, vec![1, 3, 5, 7]));
        assert_eq!(delimiters("a,\"b\"\n", 2), None, "a quote");
        assert_eq!(delimiters("a,b\n\nc,d\n", 2), None, "a blank line");
        assert_eq!(delimiters("a,b\nc\nd,e,f\n", 2), None, "ragged rows, even when the count adds up");
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn vector_decimals_equal_the_exact_parser() {
        if !(std::arch::is_x86_feature_detected!("ssse3") && std::arch::is_x86_feature_detected!("sse4.1")) {
            return; // nothing to compare on this processor
        }
        let mut state = 3u64;
        let mut next = |n: u64| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 33) % n
        };
        let alphabet = b"0123456789..-+e x";
        let mut parsed = 0;
        for _ in 0..400_000 {
            let text: Vec<u8> = if next(4) == 0 {
                (0..1 + next(16)).map(|_| alphabet[next(alphabet.len() as u64) as usize]).collect()
            } else {
                let sign = ["", "-", "+"][next(3) as usize];
                let int: String = (0..next(12)).map(|_| char::from(b'0' + next(10) as u8)).collect();
                let frac: String = (0..next(12)).map(|_| char::from(b'0' + next(10) as u8)).collect();
                let dot = if next(4) == 0 { "" } else { "." };
                format!("{sign}{int}{dot}{frac}").into_bytes()
            };
            if text.is_empty() || text.len() > 16 {
                continue;
            }
            let mut window = [0u8; 16];
            for b in window.iter_mut() {
                *b = alphabet[next(alphabet.len() as u64) as usize];
            }
            window[..text.len()].copy_from_slice(&text);
            // SAFETY: the processor has SSSE3 and SSE4.1 (checked above).
            let vector = unsafe { decimal16_sse(window, text.len()) };
            let exact = fast_decimal(&text);
            let s = String::from_utf8_lossy(&text);
            assert_eq!(vector, exact, "{s}");
            parsed += usize::from(vector.is_some());
        }
        assert!(parsed > 200_000, "{parsed}");
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn both_block_scanners_find_the_same_bytes() {
        if !std::arch::is_x86_feature_detected!("avx2") {
            return; // nothing to compare on this processor
        }
        let alphabet = b",;\n\"a1 \xc3\xa9\t";
        let mut state = 5u64;
        for _ in 0..2000 {
            let mut block = [0u8; 64];
            for b in block.iter_mut() {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                *b = alphabet[(state >> 33) as usize % alphabet.len()];
            }
            // SAFETY: the processor has AVX2 (checked above).
            let (a, b) = (masks(&block, b';'), unsafe { masks_avx2(&block, b';') });
            assert_eq!((a.delimiters, a.newlines, a.quotes, a.high), (b.delimiters, b.newlines, b.quotes, b.high));
            let want = |f: fn(u8) -> bool| block.iter().enumerate().fold(0u64, |m, (i, &c)| m | u64::from(f(c)) << i);
            assert_eq!(a.delimiters, want(|c| c == b';' || c == b'\n'));
            assert_eq!(a.high, want(|c| c >= 0x80));
        }
    }

    #[test]
    fn the_fast_path_reads_what_the_general_path_reads() {
        use super::super::csv_chunks::parse_rows;
        let mut state = 11u64;
        let mut next = |n: u64| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 33) % n
        };
        let own = |rows: usize| (0..4).map(|_| Builder::Numbers(Vec::with_capacity(rows), Seen::default())).collect();
        let kinds = ["-12.5", "", "NA", " 7 ", "1e3", "12345678901234567.5", "0.000000001", "abc", "x y", "2024-01-05"];
        let (mut numbers, mut texts) = (0, 0);
        for round in 0..200 {
            // Four columns; each draws from a few kinds, so some stay numbers and some turn to
            // text at a random row (inside a block or past the first).
            let palettes: Vec<Vec<&str>> =
                (0..4).map(|_| (0..1 + next(3)).map(|_| kinds[next(kinds.len() as u64) as usize]).collect()).collect();
            let rows = 1 + next(700) as usize;
            let crlf = round % 5 == 0;
            let mut text = String::new();
            for r in 0..rows {
                let cells: Vec<&str> = palettes
                    .iter()
                    .map(|p| if r < 300 && next(4) > 0 { "3.25" } else { p[next(p.len() as u64) as usize] })
                    .collect();
                text.push_str(&cells.join(","));
                if r + 1 < rows || round % 3 > 0 {
                    text.push_str(if crlf { "\r\n" } else { "\n" });
                }
            }
            if text.lines().any(|l| l.trim_end_matches('\r').is_empty()) {
                continue; // a blank line is for the general path
            }
            let mut index = Vec::new();
            let plain = index_delimiters(text.as_bytes(), b',', 4, &mut index).expect("plain");
            let (fast_rows, fast) = parse_plain(&text, 4, &index, plain.rows, own);
            let (rows_read, general) = parse_rows("t.csv", &text, b',', 4, &mut Vec::new(), own).ok().unwrap();
            assert_eq!((fast_rows, rows_read), (rows, rows));
            for (j, (a, b)) in fast.into_iter().zip(general).enumerate() {
                match (a, b) {
                    (Builder::Numbers(x, sx), Builder::Numbers(y, sy)) => {
                        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                        assert_eq!((bits(&x), sx), (bits(&y), sy), "round {round} column {j}");
                        numbers += 1;
                    }
                    (Builder::Strings(x), Builder::Strings(y)) => {
                        assert!(x.finish() == y.finish(), "round {round} column {j}");
                        texts += 1;
                    }
                    _ => panic!("round {round} column {j}: the paths disagree on the kind"),
                }
            }
        }
        assert!(numbers > 150 && texts > 150, "{numbers} number and {texts} text columns compared");
    }
}
