//! Compact column storage: numbers as plain `f64` (NaN = missing), strings dictionary-coded
//! (`u32` codes into a list of distinct values). A million-row table of twenty columns takes
//! about the size of its CSV file, and counting values or distinct values is a pass over codes.

// `unsafe` here: the AVX2 distinct-value sketch, called only after run-time feature detection.
#![allow(unsafe_code)]

/// The cells of one column.
#[derive(Clone, Debug, PartialEq)]
pub enum Values {
    Numeric(Numbers),
    Str(Strings),
}

impl Values {
    pub fn len(&self) -> usize {
        match self {
            Values::Numeric(v) => v.len(),
            Values::Str(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn is_missing(&self, row: usize) -> bool {
        match self {
            Values::Numeric(v) => v.get(row).is_none(),
            Values::Str(v) => v.get(row).is_none(),
        }
    }

    /// One cell as text ("" when missing or out of range).
    pub fn display(&self, row: usize) -> String {
        match self {
            Values::Numeric(v) => v.get(row).map(super::format_number).unwrap_or_default(),
            Values::Str(v) => v.get(row).map(str::to_string).unwrap_or_default(),
        }
    }

    /// One cell as JSON: a number, a string, or null when missing.
    pub fn json(&self, row: usize) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Values::Numeric(v) => v.get(row).and_then(serde_json::Number::from_f64).map_or(Value::Null, Value::Number),
            Values::Str(v) => v.get(row).map_or(Value::Null, |s| Value::String(s.to_string())),
        }
    }

    /// The cells of the given rows, in that order.
    pub fn take(&self, rows: &[usize]) -> Values {
        match self {
            Values::Numeric(v) => Values::Numeric(v.take(rows)),
            Values::Str(v) => Values::Str(v.take(rows)),
        }
    }

    /// The number of missing cells.
    pub fn missing(&self) -> usize {
        match self {
            Values::Numeric(v) => v.0.iter().filter(|x| x.is_nan()).count(),
            Values::Str(v) => v.codes.iter().filter(|&&c| c == MISSING).count(),
        }
    }
}

/// A column of numbers; NaN marks a missing cell.
#[derive(Clone, Debug, Default)]
pub struct Numbers(Vec<f64>);

impl Numbers {
    /// From raw values, NaN meaning missing (infinities are kept as they are).
    pub fn from_raw(values: Vec<f64>) -> Self {
        Numbers(values)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The cell, `None` when missing or out of range.
    pub fn get(&self, row: usize) -> Option<f64> {
        self.0.get(row).copied().filter(|x| !x.is_nan())
    }

    /// Every cell, `None` for missing ones.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Option<f64>> + Clone + '_ {
        self.0.iter().map(|&x| (!x.is_nan()).then_some(x))
    }

    /// The present values, in row order.
    pub fn present(&self) -> impl Iterator<Item = f64> + Clone + '_ {
        self.0.iter().copied().filter(|x| !x.is_nan())
    }

    /// The raw cells (NaN = missing).
    pub fn raw(&self) -> &[f64] {
        &self.0
    }

    pub fn raw_mut(&mut self) -> &mut [f64] {
        &mut self.0
    }

    pub fn push(&mut self, value: Option<f64>) {
        self.0.push(value.unwrap_or(f64::NAN));
    }

    pub fn take(&self, rows: &[usize]) -> Numbers {
        Numbers(rows.iter().map(|&r| self.0[r]).collect())
    }

    pub fn to_options(&self) -> Vec<Option<f64>> {
        self.iter().collect()
    }
}

impl PartialEq for Numbers {
    /// Cell by cell, two missing cells being equal.
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.0.iter().zip(&other.0).all(|(a, b)| a == b || (a.is_nan() && b.is_nan()))
    }
}

impl FromIterator<Option<f64>> for Numbers {
    fn from_iter<I: IntoIterator<Item = Option<f64>>>(iter: I) -> Self {
        Numbers(iter.into_iter().map(|x| x.unwrap_or(f64::NAN)).collect())
    }
}

impl From<Vec<Option<f64>>> for Numbers {
    fn from(values: Vec<Option<f64>>) -> Self {
        values.into_iter().collect()
    }
}

/// The code of a missing string cell.
pub const MISSING: u32 = u32::MAX;

/// A column of strings, dictionary-coded: each cell is an index into `dict` (which holds each
/// distinct value once) or [`MISSING`].
#[derive(Clone, Debug, Default)]
pub struct Strings {
    codes: Vec<u32>,
    /// Shared: taking rows (a split, a sample) copies codes, not the distinct values.
    dict: std::sync::Arc<Vec<String>>,
}

impl Strings {
    /// From codes and a dictionary of distinct values (every code must index `dict` or be
    /// [`MISSING`]; the readers build them so).
    pub fn from_parts(codes: Vec<u32>, dict: Vec<String>) -> Self {
        assert!(codes.iter().all(|&c| c == MISSING || (c as usize) < dict.len()));
        Strings { codes, dict: dict.into() }
    }

    pub fn len(&self) -> usize {
        self.codes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    /// The cell, `None` when missing or out of range.
    pub fn get(&self, row: usize) -> Option<&str> {
        self.codes.get(row).and_then(|&c| self.dict.get(c as usize)).map(String::as_str)
    }

    /// Every cell, `None` for missing ones.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Option<&str>> + Clone + '_ {
        self.codes.iter().map(|&c| self.dict.get(c as usize).map(String::as_str))
    }

    /// The cells' codes (indices into [`Strings::dict`], or [`MISSING`]).
    pub fn codes(&self) -> &[u32] {
        &self.codes
    }

    /// The distinct values (some may be unused after rows were taken out).
    pub fn dict(&self) -> &[String] {
        &self.dict
    }

    /// How many cells hold each dictionary entry.
    pub fn counts(&self) -> Vec<usize> {
        if self.dict.len() > 4096 {
            let mut counts = vec![0usize; self.dict.len()];
            for &c in &self.codes {
                if let Some(n) = counts.get_mut(c as usize) {
                    *n += 1;
                }
            }
            return counts;
        }
        // Few values, each counted in four lanes: a run of equal cells then adds to four
        // counters in turn instead of waiting on one.
        let mut lanes = vec![[0usize; 4]; self.dict.len()];
        for quad in self.codes.chunks(4) {
            for (k, &c) in quad.iter().enumerate() {
                if let Some(lane) = lanes.get_mut(c as usize) {
                    lane[k] += 1;
                }
            }
        }
        lanes.iter().map(|l| l.iter().sum()).collect()
    }

    pub fn take(&self, rows: &[usize]) -> Strings {
        Strings { codes: rows.iter().map(|&r| self.codes[r]).collect(), dict: self.dict.clone() }
    }

    /// The same cells with every value passed through `f` (equal results share a code).
    pub fn map_values(&self, f: impl Fn(&str) -> Option<String>) -> Strings {
        let mapped: Vec<Option<String>> = self.dict.iter().map(|s| f(s)).collect();
        let mut builder = StringsBuilder::default();
        let remap: Vec<u32> = mapped.iter().map(|m| builder.code(m.as_deref())).collect();
        let codes = self.codes.iter().map(|&c| remap.get(c as usize).copied().unwrap_or(MISSING)).collect();
        Strings { codes, dict: builder.dict.into() }
    }

    /// The codes and the dictionary.
    pub fn into_parts(self) -> (Vec<u32>, Vec<String>) {
        (self.codes, std::sync::Arc::try_unwrap(self.dict).unwrap_or_else(|shared| shared.to_vec()))
    }

    pub fn to_options(&self) -> Vec<Option<String>> {
        self.iter().map(|s| s.map(str::to_string)).collect()
    }

    /// This column's cells followed by `other`'s.
    pub fn concat(&self, other: &Strings) -> Strings {
        let mut builder = StringsBuilder::from_dict(self.dict.to_vec());
        let remap: Vec<u32> = other.dict.iter().map(|s| builder.code(Some(s))).collect();
        let mut codes = self.codes.clone();
        codes.extend(other.codes.iter().map(|&c| remap.get(c as usize).copied().unwrap_or(MISSING)));
        Strings { codes, dict: builder.dict.into() }
    }
}

impl PartialEq for Strings {
    /// Cell by cell (two columns with the same cells are equal whatever their dictionaries).
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

/// Builds a [`Strings`] column cell by cell; each distinct value is stored once.
#[derive(Default)]
pub struct StringsBuilder {
    codes: Vec<u32>,
    dict: Vec<String>,
    /// Codes, hashed by their dictionary value.
    index: hashbrown::HashTable<u32>,
    hasher: foldhash::fast::FixedState,
    /// Recently coded short values (see [`short_key`]) and their codes, by a hash of the key:
    /// most cells of a category column are found here with one multiply and one compare.
    recent: Vec<((u64, u64, u32), u32)>,
}

/// Slots of [`StringsBuilder::recent`].
const RECENT: usize = 512;

/// A value of up to 15 bytes as two words and its length, read with overlapping loads (no
/// copy): with the length, the words determine every byte. `None` for longer values.
#[inline]
fn short_key(v: &[u8]) -> Option<(u64, u64, u32)> {
    let word = |at: usize| u64::from_le_bytes(v[at..at + 8].try_into().unwrap_or_default());
    let half = |at: usize| u64::from(u32::from_le_bytes(v[at..at + 4].try_into().unwrap_or_default()));
    let n = v.len();
    let (lo, hi) = match n {
        0 => (0, 0),
        1..=3 => (u64::from(v[0]) | u64::from(v[n / 2]) << 8 | u64::from(v[n - 1]) << 16, 0),
        4..=7 => (half(0) | half(n - 4) << 32, 0),
        8..=15 => (word(0), word(n - 8)),
        _ => return None,
    };
    Some((lo, hi, n as u32))
}

impl StringsBuilder {
    pub fn with_capacity(rows: usize) -> Self {
        StringsBuilder { codes: Vec::with_capacity(rows), ..Default::default() }
    }

    fn from_dict(dict: Vec<String>) -> Self {
        let mut b = StringsBuilder::default();
        for s in dict {
            b.code_owned(s);
        }
        b
    }

    fn find_or_insert<V: AsRef<str> + Into<String>>(&mut self, value: V) -> u32 {
        use std::hash::BuildHasher;
        let hash = self.hasher.hash_one(value.as_ref());
        let dict = &self.dict;
        if let Some(&c) = self.index.find(hash, |&c| dict[c as usize] == value.as_ref()) {
            return c;
        }
        let c = self.dict.len() as u32;
        self.dict.push(value.into());
        let (dict, hasher) = (&self.dict, &self.hasher);
        self.index.insert_unique(hash, c, |&c| hasher.hash_one(dict[c as usize].as_str()));
        c
    }

    /// The code of a value, adding it to the dictionary when new.
    pub fn code(&mut self, value: Option<&str>) -> u32 {
        let Some(v) = value else { return MISSING };
        let Some(key) = short_key(v.as_bytes()) else { return self.find_or_insert(v) };
        if self.recent.is_empty() {
            // An impossible key (length 16) marks an empty slot.
            self.recent = vec![((0, 0, 16), 0); RECENT];
        }
        let mixed = key.0 ^ key.1.rotate_left(32) ^ u64::from(key.2);
        let slot = (mixed.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 55) as usize % RECENT;
        if self.recent[slot].0 == key {
            return self.recent[slot].1;
        }
        let code = self.find_or_insert(v);
        self.recent[slot] = (key, code);
        code
    }

    /// Like [`StringsBuilder::code`] for a value it may keep without copying.
    pub fn code_owned(&mut self, value: String) -> u32 {
        self.find_or_insert(value)
    }

    pub fn push(&mut self, value: Option<&str>) {
        let c = self.code(value);
        self.codes.push(c);
    }

    /// Appends cells given as codes into another dictionary (moved in).
    pub fn extend_coded(&mut self, codes: &[u32], dict: Vec<String>) {
        let remap: Vec<u32> = dict.into_iter().map(|s| self.code_owned(s)).collect();
        self.codes.extend(codes.iter().map(|&c| remap.get(c as usize).copied().unwrap_or(MISSING)));
    }

    pub fn finish(self) -> Strings {
        Strings { codes: self.codes, dict: self.dict.into() }
    }
}

impl<S: AsRef<str>> FromIterator<Option<S>> for Strings {
    fn from_iter<I: IntoIterator<Item = Option<S>>>(iter: I) -> Self {
        let iter = iter.into_iter();
        let mut b = StringsBuilder::with_capacity(iter.size_hint().0);
        for s in iter {
            b.push(s.as_ref().map(AsRef::as_ref));
        }
        b.finish()
    }
}

impl From<Vec<Option<String>>> for Strings {
    fn from(values: Vec<Option<String>>) -> Self {
        values.into_iter().collect()
    }
}

/// Up to this many distinct numbers are counted exactly (in a table that stays in cache);
/// beyond it the count is estimated.
const EXACT_DISTINCT: usize = 1 << 16;

/// The number of distinct present numbers and whether it is exact: exact up to 65 536 (and a
/// little beyond), a HyperLogLog estimate (about ±1 %) above, so that a million-row column
/// takes milliseconds.
pub(crate) fn distinct_numbers(v: &Numbers) -> (usize, bool) {
    let bits = || v.present().map(|x| (x + 0.0).to_bits());
    let cells = v.raw().len();
    let capacity = if cells <= EXACT_DISTINCT {
        cells
    } else {
        // The sketch first, in one cheap pass: only a column it puts near or under the limit
        // is counted exactly (the sketch errs by under 1 %, far inside the margin of an eighth).
        let estimate = hyperloglog(v.raw());
        if estimate > EXACT_DISTINCT + EXACT_DISTINCT / 8 {
            return (estimate, false);
        }
        estimate + estimate / 4
    };
    (count_distinct(bits(), capacity, f64::NAN.to_bits()), true)
}

/// A HyperLogLog estimate of the number of distinct present values (2^14 registers, ±0.8 %).
fn hyperloglog(values: &[f64]) -> usize {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor has AVX2 (checked just above).
        return estimate(&unsafe { registers_avx2(values) });
    }
    estimate(&registers(values))
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn registers_avx2(values: &[f64]) -> Vec<u8> {
    registers(values)
}

/// Bits of the index into the registers.
const P: u32 = 14;

/// The sketch's registers. Values are taken 256 at a time: a loop the compiler vectorises
/// hashes each (its 64 bits folded to 32, then murmur3's finaliser) into its register and rank,
/// then the registers are raised where needed (rarely, once they have filled up, so the branch
/// is predictable and most values store nothing).
#[inline(always)]
fn registers(values: &[f64]) -> Vec<u8> {
    let mut registers = vec![0u8; 1 << P];
    let mut packed = [0u32; 256];
    for block in values.chunks(256) {
        for (p, &x) in packed.iter_mut().zip(block) {
            let b = (x + 0.0).to_bits();
            let mut h = (b ^ (b >> 32)) as u32;
            h = (h ^ (h >> 16)).wrapping_mul(0x85EB_CA6B);
            h = (h ^ (h >> 13)).wrapping_mul(0xC2B2_AE35);
            h ^= h >> 16;
            *p = if x.is_nan() { 0 } else { (h >> (32 - P)) << 5 | rank(h) };
        }
        for &p in &packed[..block.len()] {
            let (index, rank) = ((p >> 5) as usize, (p & 31) as u8);
            if rank > registers[index] {
                registers[index] = rank;
            }
        }
    }
    registers
}

/// One plus the leading zeros of the hash's low 32 - P bits (at most 32 - P + 1), through the
/// exponent of a float (exact: the number has under 24 bits), which vectorises.
#[inline(always)]
fn rank(h: u32) -> u32 {
    const LOW: u32 = 32 - P;
    let u = ((h & ((1 << LOW) - 1)) << 1) | 1;
    let log2 = ((u as i32 as f32).to_bits() >> 23) - 127;
    LOW + 1 - log2
}

/// The estimate from the registers (with the small-range correction).
fn estimate(registers: &[u8]) -> usize {
    let m = registers.len();
    let m_f = m as f64;
    let alpha = 0.7213 / (1.0 + 1.079 / m_f);
    // 2^-r, written directly as the exponent of a double.
    let sum: f64 = registers.iter().map(|&r| f64::from_bits(u64::from(1023 - u16::from(r)) << 52)).sum();
    let estimate = alpha * m_f * m_f / sum;
    let zeros = registers.iter().filter(|&&r| r == 0).count();
    if estimate <= 2.5 * m_f && zeros > 0 {
        (m_f * (m_f / zeros as f64).ln()).round() as usize
    } else {
        estimate.round() as usize
    }
}

/// The number of distinct values among `bits` (`empty` must not occur).
pub(crate) fn count_distinct(bits: impl Iterator<Item = u64>, capacity_hint: usize, empty: u64) -> usize {
    let mut seen = DistinctSet::new(capacity_hint, empty);
    bits.for_each(|b| seen.insert(b));
    seen.len
}

/// A set of 64-bit values by open addressing with linear probing, sized for `capacity`
/// values at half load; one value (`empty`) marks free slots and must not be inserted.
struct DistinctSet {
    table: Vec<u64>,
    shift: u32,
    empty: u64,
    len: usize,
}

impl DistinctSet {
    fn new(capacity: usize, empty: u64) -> Self {
        let size = (capacity.max(8) * 2).next_power_of_two();
        DistinctSet { table: vec![empty; size], shift: 64 - size.trailing_zeros(), empty, len: 0 }
    }

    fn insert(&mut self, b: u64) {
        let mask = self.table.len() - 1;
        let mut slot = (b.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize;
        loop {
            let here = self.table[slot];
            if here == b {
                return;
            }
            if here == self.empty {
                self.table[slot] = b;
                self.len += 1;
                if self.len * 4 > self.table.len() * 3 {
                    self.grow();
                }
                return;
            }
            slot = (slot + 1) & mask;
        }
    }

    /// Twice the slots, for more values than the set was made for.
    #[cold]
    fn grow(&mut self) {
        let old = std::mem::take(&mut self.table);
        let empty = self.empty;
        *self = DistinctSet::new(old.len(), empty);
        for b in old.into_iter().filter(|&b| b != empty) {
            self.insert(b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_coded_once_and_compare_by_cells() {
        let s: Strings = vec![Some("a"), None, Some("b"), Some("a")].into_iter().collect();
        assert_eq!(s.dict().len(), 2);
        assert_eq!(s.get(3), Some("a"));
        assert_eq!(s.get(1), None);
        assert_eq!(s.counts(), vec![2, 1]);
        let t = s.take(&[2, 0]);
        assert_eq!(t, vec![Some("b"), Some("a")].into_iter().collect::<Strings>());
        let joined = s.concat(&vec![Some("c"), Some("b")].into_iter().collect());
        assert_eq!(joined.to_options().len(), 6);
        assert_eq!(joined.dict().len(), 3);
        assert_eq!(s.map_values(|v| Some(v.to_uppercase())).get(0), Some("A"));
        let n: Numbers = vec![Some(1.0), None].into();
        assert_eq!(n, Numbers::from_raw(vec![1.0, f64::NAN]));
        assert_eq!(n.iter().collect::<Vec<_>>(), vec![Some(1.0), None]);
        let bits = [1u64, 5, 1, 9, 5, 5];
        assert_eq!(count_distinct(bits.into_iter(), 6, u64::MAX), 3);
        assert_eq!(count_distinct(0..10_000, 4, u64::MAX), 10_000, "a set made too small grows");
        let small: Numbers = (0..50_000).map(|i| Some(f64::from(i % 40_000) * 0.5)).collect();
        assert_eq!(distinct_numbers(&small), (40_000, true));
        // Long columns are sketched first; those near the limit are still counted exactly.
        for distinct in [60_000, 70_000] {
            let long: Numbers = (0..300_000).map(|i| Some(f64::from(i % distinct) - 0.5)).collect();
            assert_eq!(distinct_numbers(&long), (distinct as usize, true));
        }
        for n in [100_000, 1_000_000] {
            // Fractions, whole numbers (their low 32 bits are all zero) and large magnitudes.
            for scale in [(0.25, -7.0), (1.0, 0.0), (1e6, 3.0)] {
                let many: Numbers = (0..n).map(|i| Some(f64::from(i) * scale.0 + scale.1)).collect();
                let (estimate, exact) = distinct_numbers(&many);
                assert!(!exact && (estimate as f64 / n as f64 - 1.0).abs() < 0.03, "{estimate} for {n}, {scale:?}");
            }
        }
    }

    #[test]
    fn the_vectorised_rank_equals_counting_leading_zeros() {
        let mut h = 1u32;
        for _ in 0..200_000 {
            h = h.wrapping_mul(0x9E37_79B9).wrapping_add(12345);
            // Any hash, and ones whose low bits are all zero or all one.
            for x in [h, h & 0xFFFF_C000, h | 0x3FFFF, h & !0x3FFFF] {
                assert_eq!(rank(x), ((x << P) | (1 << (P - 1))).leading_zeros() + 1, "{x:x}");
            }
        }
    }

    #[test]
    fn the_recent_values_cache_never_mixes_values_up() {
        // Values of every length around the 15-byte limit, the empty text, values that differ
        // only in length or a last byte, and enough distinct ones to evict cache slots.
        let mut values: Vec<String> = vec![String::new(), "a".into(), "a\0".into(), "\0".into()];
        values.extend((0..3000).map(|i| format!("{i:0>width$}", width = i % 20)));
        values.extend((0..40).map(|i| "x".repeat(i)));
        let mut b = StringsBuilder::default();
        let mut want: Vec<Option<String>> = Vec::new();
        for round in 0..3 {
            for (i, v) in values.iter().enumerate() {
                let cell = ((i + round) % 7 != 0).then_some(v.as_str());
                b.push(cell);
                want.push(cell.map(str::to_string));
            }
        }
        let s = b.finish();
        let got: Vec<Option<String>> = (0..s.len()).map(|r| s.get(r).map(str::to_string)).collect();
        assert_eq!(got, want);
        let mut unique = values.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(s.dict().len(), unique.len());
    }
}
