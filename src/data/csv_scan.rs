//! The pieces of CSV reading that work on bytes: the quote-aware tokenizer, record boundaries,
//! number parsing (with decimal commas) and the Windows-1252 fallback.

use super::DataError;

/// (start, end) byte spans of fields, row-major; the high bit of `end` marks a quoted field with
/// doubled quotes inside (to unescape).
pub(super) type Spans = Vec<(u32, u32)>;

pub(super) const ESCAPED: u32 = 1 << 31;

/// A field's raw bytes (quotes unescaped when needed).
pub(super) fn span_bytes(all: &[u8], (start, end): (u32, u32)) -> std::borrow::Cow<'_, [u8]> {
    let raw = &all[start as usize..(end & !ESCAPED) as usize];
    if end & ESCAPED == 0 {
        return raw.into();
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        out.push(raw[i]);
        i += if raw[i] == b'"' && raw.get(i + 1) == Some(&b'"') { 2 } else { 1 };
    }
    out.into()
}

/// The same as text (the file is valid UTF-8, and unescaping quotes keeps it so).
pub(super) fn span_text(all: &str, span: (u32, u32)) -> std::borrow::Cow<'_, str> {
    match span_bytes(all.as_bytes(), span) {
        std::borrow::Cow::Borrowed(_) => all[span.0 as usize..(span.1 & !ESCAPED) as usize].into(),
        std::borrow::Cow::Owned(bytes) => String::from_utf8_lossy(&bytes).into_owned().into(),
    }
}

/// Tokenizes the records in `range` (which starts a record, on physical line `first_line`),
/// checking each has `width` fields once that is known (else the first record sets it).
pub(super) fn tokenize_range(
    source_name: &str,
    bytes: &[u8],
    range: std::ops::Range<usize>,
    first_line: usize,
    sep: u8,
    width: Option<usize>,
) -> Result<(Spans, Option<usize>), DataError> {
    let mut spans = Vec::with_capacity(range.len() / 6);
    let width = tokenize_into(source_name, bytes, range, first_line, sep, width, &mut spans)?;
    Ok((spans, width))
}

/// [`tokenize_range`] into a buffer that is cleared first (so a worker reuses one).
pub(super) fn tokenize_into(
    source_name: &str,
    bytes: &[u8],
    range: std::ops::Range<usize>,
    first_line: usize,
    sep: u8,
    mut width: Option<usize>,
    spans: &mut Spans,
) -> Result<Option<usize>, DataError> {
    spans.clear();
    let malformed =
        |line: usize, message: String| DataError::Malformed { source_name: source_name.to_string(), line, message };
    let n = range.end;
    let mut line = first_line; // physical line of the current position
    let mut i = range.start;
    while i < n {
        let record_line = line;
        let record_start = spans.len();
        loop {
            // One field.
            if bytes[i] == b'"' {
                let start = i + 1;
                let mut j = start;
                let mut escaped = false;
                let end = loop {
                    match memchr::memchr(b'"', &bytes[j..]) {
                        None => return Err(malformed(record_line, "a quoted field is never closed".into())),
                        Some(k) if bytes.get(j + k + 1) == Some(&b'"') => {
                            escaped = true;
                            j += k + 2;
                        }
                        Some(k) => break j + k,
                    }
                };
                line += memchr::memchr_iter(b'\n', &bytes[start..end]).count();
                spans.push((start as u32, end as u32 | if escaped { ESCAPED } else { 0 }));
                i = end + 1;
                while i < n && bytes[i] == b'\r' {
                    i += 1;
                }
                if i < n && bytes[i] != sep && bytes[i] != b'\n' {
                    return Err(malformed(
                        line,
                        "text after a closing quote (a quote inside a field must be doubled)".into(),
                    ));
                }
            } else {
                let start = i;
                i = field_end(bytes, i, n, sep);
                let mut end = i;
                if end > start && bytes[end - 1] == b'\r' {
                    end -= 1;
                }
                spans.push((start as u32, end as u32));
            }
            // After a field: a separator (another field follows), a newline or the end.
            if i < n && bytes[i] == sep {
                i += 1;
                if i == n {
                    spans.push((n as u32, n as u32));
                    break;
                }
                continue;
            }
            if i < n {
                i += 1; // the newline
                line += 1;
            }
            break;
        }
        let fields = spans.len() - record_start;
        let (first_start, first_end) = spans[record_start];
        if fields == 1 && first_start == first_end & !ESCAPED && bytes.get(first_start as usize) != Some(&b'"') {
            // A blank line: not a record.
            let blank = bytes[..first_start as usize].last().is_none_or(|&b| b == b'\n' || b == b'\r');
            if blank {
                spans.truncate(record_start);
                continue;
            }
        }
        match width {
            None => width = Some(fields),
            Some(w) if w != fields => {
                return Err(malformed(record_line, format!("found {fields} fields, but the header has {w}")));
            }
            _ => {}
        }
    }
    Ok(width)
}

/// The first separator or newline at or after `i` (or `n`): eight bytes at a time, testing
/// each word for a byte equal to either (fields are short, so this beats a vectorised search).
#[inline]
fn field_end(bytes: &[u8], mut i: usize, n: usize, sep: u8) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let (seps, newlines) = (ONES * u64::from(sep), ONES * u64::from(b'\n'));
    while i + 8 <= n {
        let Ok(word) = <[u8; 8]>::try_from(&bytes[i..i + 8]) else { break };
        let v = u64::from_le_bytes(word);
        let (x, y) = (v ^ seps, v ^ newlines);
        // A zero byte in x or y is a match; the lowest flagged byte is always a true one.
        let found = (x.wrapping_sub(ONES) & !x | y.wrapping_sub(ONES) & !y) & HIGHS;
        if found != 0 {
            return i + (found.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < n && bytes[i] != sep && bytes[i] != b'\n' {
        i += 1;
    }
    i
}

/// Positions of `byte` outside quoted fields in `bytes`, which starts outside quotes: the one
/// quote-aware record scan behind finding the header's end, counting a chunk's records and
/// sniffing the separator. A doubled quote inside a quoted field toggles twice, so it stays
/// inside; only quotes and `byte` are visited (a vectorised search for either).
pub(super) fn unquoted(bytes: &[u8], byte: u8) -> impl Iterator<Item = usize> + '_ {
    let mut in_quotes = false;
    memchr::memchr2_iter(b'"', byte, bytes).filter(move |&i| {
        if bytes[i] == b'"' {
            in_quotes = !in_quotes;
            false
        } else {
            !in_quotes
        }
    })
}

/// The end of the first record of `bytes` (just after its newline, outside quotes).
pub(super) fn record_end(bytes: &[u8]) -> Option<usize> {
    unquoted(bytes, b'\n').next().map(|i| i + 1)
}

/// The end of the last complete record in `window` (which starts a record): just after the last
/// newline that is outside quotes, and whether a quote comes before it. `None` when the window
/// holds no newline outside quotes.
pub fn last_record_end(window: &[u8]) -> Option<(usize, bool)> {
    let mut quotes = memchr::memchr_iter(b'"', window).count();
    let mut end = window.len();
    while let Some(p) = memchr::memrchr(b'\n', &window[..end]) {
        quotes -= memchr::memchr_iter(b'"', &window[p..end]).count();
        if quotes.is_multiple_of(2) {
            return Some((p + 1, quotes > 0));
        }
        end = p;
    }
    None
}

/// A numeric cell: `Some(None)` for missing (empty or a common "not available" marker),
/// `Some(Some(x))` for a finite number, `None` when the text is not a number.
pub(super) fn parse_cell(cell: std::borrow::Cow<'_, [u8]>) -> Option<Option<f64>> {
    let t = cell.trim_ascii();
    let Some(&first) = t.first() else { return Some(None) };
    if first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.') {
        if let Some(x) = fast_decimal(t) {
            return Some(Some(x));
        }
        if let Some(x) = std::str::from_utf8(t).ok().and_then(|t| t.parse::<f64>().ok()) {
            return x.is_finite().then_some(Some(x));
        }
    }
    NA_MARKERS.iter().any(|m| t.eq_ignore_ascii_case(m.as_bytes())).then_some(None)
}

/// Plain decimals (`-122.23`, `41`, `.5`) with at most 15 significant digits, parsed exactly:
/// the digits as a whole number (exact in an f64) divided by a power of ten (exact up to
/// 10^22), one correctly rounded operation — Clinger's fast path. Anything else (exponents,
/// long mantissas) returns `None` for the standard parser.
pub(super) fn fast_decimal(b: &[u8]) -> Option<f64> {
    const POW10: [f64; 16] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];
    let (neg, s) = match b.first()? {
        b'-' => (true, &b[1..]),
        b'+' => (false, &b[1..]),
        _ => (false, b),
    };
    let (int, frac) = match s.iter().position(|&c| c == b'.') {
        Some(dot) => (&s[..dot], &s[dot + 1..]),
        None => (s, &s[..0]),
    };
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let mantissa = match (digits8(int), digits8(frac)) {
        // The common case: up to eight digits on each side, eight at a time.
        (Some(i), Some(f)) => i * POW10_U64[frac.len()] + f,
        _ => {
            let mut m: u64 = 0;
            for &c in int.iter().chain(frac) {
                let d = c.wrapping_sub(b'0');
                if d >= 10 || m >= 1_000_000_000_000_000 {
                    return None;
                }
                m = m * 10 + u64::from(d);
            }
            m
        }
    };
    // At most 15 significant digits (mantissa < 10^15) are exact in an f64.
    if mantissa >= 1_000_000_000_000_000 || frac.len() >= POW10.len() {
        return None;
    }
    let x = mantissa as f64 / POW10[frac.len()];
    Some(if neg { -x } else { x })
}

/// A plain decimal (`-1234.5678`: a sign, up to eight digits, a dot, up to eight digits) in
/// the first `len` bytes of `window` (the rest is ignored), found without branching on its
/// digits: the dot is located in one word, both parts are aligned, checked and combined eight
/// digits at a time. `None` for anything else (the general parser then decides). The same
/// exact result as [`fast_decimal`].
#[inline]
pub(super) fn decimal16(window: [u8; 16], len: usize) -> Option<f64> {
    const POW10: [f64; 9] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8];
    const ONES: u128 = 0x0101_0101_0101_0101_0101_0101_0101_0101;
    const HIGHS: u128 = ONES << 7;
    if len == 0 || len > 16 {
        return None;
    }
    let mut w = u128::from_le_bytes(window) & (u128::MAX >> (8 * (16 - len)));
    let first = w as u8;
    let neg = first == b'-';
    let signed = usize::from(neg || first == b'+');
    w >>= 8 * signed;
    let len = len - signed;
    if len == 0 {
        return None;
    }
    // The first dot (a zero byte of w ^ "...."; the lowest flagged byte is a true one), looked
    // for in the field's bytes only.
    let x = w ^ (ONES * u128::from(b'.'));
    let found = x.wrapping_sub(ONES) & !x & HIGHS & (u128::MAX >> (8 * (16 - len)));
    let dot = if found == 0 { len } else { (found.trailing_zeros() / 8) as usize };
    let frac_len = len.saturating_sub(dot + 1);
    if dot > 8 || frac_len > 8 || dot + frac_len == 0 {
        return None;
    }
    let int = align8(w as u64, dot);
    let frac = align8(w.checked_shr(8 * (dot as u32 + 1)).unwrap_or(0) as u64, frac_len);
    let mantissa = digits_word(int)? * POW10_U64[frac_len] + digits_word(frac)?;
    // At most 15 significant digits are exact in an f64.
    if mantissa >= 1_000_000_000_000_000 {
        return None;
    }
    let x = mantissa as f64 / POW10[frac_len];
    // The sign bit set without a branch (signs in a column are often random).
    Some(f64::from_bits(x.to_bits() | u64::from(neg) << 63))
}

/// The first `n` (at most 8) bytes of `word` moved to its top, the bytes below filled with '0'.
#[inline]
fn align8(word: u64, n: usize) -> u64 {
    let n = n as u32;
    let keep = word & u64::MAX.checked_shr(8 * (8 - n)).unwrap_or(0);
    keep.checked_shl(8 * (8 - n)).unwrap_or(0) | 0x3030_3030_3030_3030u64.checked_shr(8 * n).unwrap_or(0)
}

/// Eight ASCII digits in a little-endian word (first digit lowest) as a number, `None` when a
/// byte is not a digit.
#[inline]
fn digits_word(v: u64) -> Option<u64> {
    let all_digits =
        (v.wrapping_add(0x4646_4646_4646_4646) | v.wrapping_sub(0x3030_3030_3030_3030)) & 0x8080_8080_8080_8080 == 0;
    if !all_digits {
        return None;
    }
    let mut v = v - 0x3030_3030_3030_3030;
    v = v.wrapping_mul(10) + (v >> 8);
    const MASK: u64 = 0x0000_00FF_0000_00FF;
    v = ((v & MASK).wrapping_mul(0x000F_4240_0000_0064) + ((v >> 16) & MASK).wrapping_mul(0x0000_2710_0000_0001)) >> 32;
    Some(v)
}

const POW10_U64: [u64; 9] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000];

/// Up to eight ASCII digits as a number (`Some(0)` for none), `None` for anything else: the
/// digits are padded with '0' into one little-endian word, checked and combined with two
/// multiplications (the fast_float technique).
#[inline]
fn digits8(s: &[u8]) -> Option<u64> {
    if s.len() > 8 {
        return None;
    }
    // Shifted in from the top: the last digit ends in the highest byte, '0's pad the low ones.
    let mut v = 0x3030_3030_3030_3030u64;
    for &c in s {
        v = (v >> 8) | (u64::from(c) << 56);
    }
    digits_word(v)
}

/// Texts that mean "no value" in a column of numbers.
const NA_MARKERS: &[&str] = &["NA", "N/A", "NaN", "null", "None", "?"];

pub(super) fn decimal_comma_number(t: &str) -> Option<f64> {
    let (int, frac) = t.split_once(',')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let unsigned = int.strip_prefix(['-', '+']).unwrap_or(int);
    let mut groups = unsigned.split('.');
    let first = groups.next()?;
    let grouped_ok =
        (digits(first) || (first.is_empty() && !unsigned.contains('.'))) && groups.all(|g| g.len() == 3 && digits(g));
    if !grouped_ok || !digits(frac) {
        return None;
    }
    let plain = format!("{}.{frac}", int.replace('.', ""));
    plain.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// Decodes Windows-1252 text (bytes 0x80–0x9F are its typographic characters; the rest is
/// Latin-1, i.e. the Unicode code point of the same number).
pub fn windows_1252_to_utf8(bytes: &[u8]) -> String {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}', '\u{90}', '‘',
        '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
    ];
    bytes.iter().map(|&b| if (0x80..0xA0).contains(&b) { HIGH[(b - 0x80) as usize] } else { char::from(b) }).collect()
}

/// Picks the delimiter that the header line uses most: comma, tab or semicolon.
pub(super) fn sniff_separator(bytes: &[u8]) -> u8 {
    let header_end = bytes.iter().position(|&b| b == b'\n').unwrap_or(bytes.len());
    let header = &bytes[..header_end];
    let mut best = (b',', 0usize);
    for sep in [b',', b'\t', b';'] {
        let n = unquoted(header, sep).count();
        if n > best.1 {
            best = (sep, n);
        }
    }
    best.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backward_and_forward_record_scans_agree() {
        // The reader thread's backward scan (quote parity) and the forward one (`unquoted`)
        // are the same rule: on random quotes, newlines and separators they find the same ends.
        let mut state = 11u64;
        let mut next = || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            state >> 33
        };
        for _ in 0..20_000 {
            let window: Vec<u8> = (0..next() % 40).map(|_| b"a,\"\n\r"[(next() % 5) as usize]).collect();
            let ends: Vec<usize> = unquoted(&window, b'\n').collect();
            let quoted_before = |end: usize| memchr::memchr(b'"', &window[..end]).is_some();
            let forward = ends.last().map(|&p| (p + 1, quoted_before(p + 1)));
            assert_eq!(last_record_end(&window), forward, "{:?}", String::from_utf8_lossy(&window));
            assert_eq!(record_end(&window), ends.first().map(|&p| p + 1));
        }
    }

    #[test]
    fn word_at_a_time_decimals_equal_the_exact_parsers() {
        let mut state = 7u64;
        let mut next = || {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            state >> 24
        };
        let alphabet = b"0123456789..-+e x";
        for _ in 0..300_000 {
            // Mostly decimals of every shape, some junk; bytes after the field are garbage.
            let text: Vec<u8> = if next() % 4 == 0 {
                (0..next() % 12).map(|_| alphabet[(next() % alphabet.len() as u64) as usize]).collect()
            } else {
                let sign = ["", "-", "+"][(next() % 3) as usize];
                let int = (0..next() % 10).map(|_| char::from(b'0' + (next() % 10) as u8)).collect::<String>();
                let frac = (0..next() % 10).map(|_| char::from(b'0' + (next() % 10) as u8)).collect::<String>();
                let dot = if next() % 4 == 0 { "" } else { "." };
                format!("{sign}{int}{dot}{frac}").into_bytes()
            };
            if text.len() > 16 {
                continue;
            }
            let mut window = [0u8; 16];
            for b in window.iter_mut() {
                *b = alphabet[(next() % alphabet.len() as u64) as usize];
            }
            window[..text.len()].copy_from_slice(&text);
            let word = decimal16(window, text.len());
            let reference = fast_decimal(&text);
            let s = String::from_utf8_lossy(&text);
            // Either the same number, or none (longer parts go to the general parser)...
            assert!(word.is_none() || word == reference, "{s}: {word:?} against {reference:?}");
            // ...which is only for parts over eight digits.
            let unsigned = s.trim_start_matches(['-', '+']);
            let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
            if reference.is_some() && int.len() <= 8 && frac.len() <= 8 {
                assert_eq!(word, reference, "{s}");
            }
            if let Some(x) = word {
                assert_eq!(x, s.parse::<f64>().unwrap_or(f64::NAN), "{s}");
            }
        }
        assert_eq!(decimal16(*b"-1234.5678......", 10), Some(-1234.5678));
        assert_eq!(decimal16(*b".5xxxxxxxxxxxxxx", 2), Some(0.5));
        assert_eq!(decimal16(*b"1234567812345678", 16), None, "over eight digits before the dot: the general parser");
    }
}
