//! The compact form of a forest in binary bundles.
//!
//! A deep 100-tree forest on California housing has about 2 million nodes. As parallel arrays
//! in MessagePack + zstd it still takes ~14 MB, most of it thresholds (8 bytes each, nearly
//! incompressible) and split-node values. Packed, it takes ~1/3 of that:
//! - a split's threshold is one of few values per feature (the midpoint between two bin edges
//!   of the training data), so each feature gets a dictionary and a split stores its index;
//! - features become "feature + 1" (0 for a leaf), LEB128 varints; child links are not written
//!   when they follow from the depth-first order trees grow in (checked when packing), else as
//!   "left child − node"; a split's cover is the sum of its children's, so only leaves' are
//!   written;
//! - values are written as byte planes (all first bytes, then all second bytes …), which zstd
//!   compresses far better than interleaved floats.
//!
//! It is lossless (the trees read back equal, bit for bit) and only used when asked for by
//! [`packed`] — the bundle writer asks for it for binary bundles. JSON keeps the readable
//! arrays, and a reader takes either form. A forest that does not have the shape the packer
//! relies on (leaves with threshold 0 and no child, children after their parent) is written
//! plainly.

use super::tree::Tree;
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::cell::Cell;
use std::collections::HashMap;

const LEAF: u32 = u32::MAX;

thread_local! {
    static PACK: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` (an encoder) with forests written in their packed form on this thread.
pub fn packed<T>(f: impl FnOnce() -> T) -> T {
    struct Reset(bool);
    impl Drop for Reset {
        fn drop(&mut self) {
            PACK.with(|p| p.set(self.0));
        }
    }
    let _reset = Reset(PACK.with(|p| p.replace(true)));
    f()
}

/// Bytes written as one MessagePack `bin` (not an array of numbers).
#[derive(Default, Debug, PartialEq)]
struct Bytes(Vec<u8>);

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0)
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Bytes;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Bytes, E> {
                Ok(Bytes(v.to_vec()))
            }
            fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Bytes, E> {
                Ok(Bytes(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Bytes, A::Error> {
                let mut out = Vec::new();
                while let Some(b) = seq.next_element::<u8>()? {
                    out.push(b);
                }
                Ok(Bytes(out))
            }
        }
        d.deserialize_bytes(V)
    }
}

#[derive(Serialize, Deserialize, Default)]
struct Packed {
    /// Per tree: its node count, outputs per node and whether it keeps node covers.
    nodes: Vec<u32>,
    outputs: Vec<u32>,
    covered: Vec<bool>,
    /// Per node: feature + 1, or 0 for a leaf (varints).
    feature: Bytes,
    /// Per split node: left child − node (varints); empty where `implied` says the links
    /// follow from growth order.
    left: Bytes,
    implied: Vec<bool>,
    /// Per feature: its distinct thresholds; per split node: the index in its feature's list.
    dictionary: Vec<Vec<f64>>,
    threshold: Bytes,
    /// Leaves' values, then split nodes' values, as byte planes.
    leaf_values: Bytes,
    split_values: Bytes,
    /// Per leaf of covered trees: rows that reached it (varints).
    cover: Bytes,
}

fn put(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn next(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *self.bytes.get(self.at)?;
            self.at += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Some(v);
            }
        }
        None
    }
    fn u32(&mut self) -> Option<u32> {
        self.next().and_then(|v| u32::try_from(v).ok())
    }
}

fn planes(values: &[f64]) -> Vec<u8> {
    let mut out = vec![0u8; values.len() * 8];
    for (i, v) in values.iter().enumerate() {
        for (b, byte) in v.to_le_bytes().into_iter().enumerate() {
            out[b * values.len() + i] = byte;
        }
    }
    out
}

fn from_planes(bytes: &[u8]) -> Option<Vec<f64>> {
    if !bytes.len().is_multiple_of(8) {
        return None;
    }
    let n = bytes.len() / 8;
    // Plane by plane: eight straight passes (vectorised), not eight strided reads per value.
    let mut bits = vec![0u64; n];
    for (b, plane) in bytes.chunks_exact(n.max(1)).enumerate().take(8) {
        for (word, &byte) in bits.iter_mut().zip(plane) {
            *word |= u64::from(byte) << (8 * b);
        }
    }
    Some(bits.into_iter().map(f64::from_bits).collect())
}

/// Whether every tree has the shape packing relies on.
fn packable(trees: &[Tree]) -> bool {
    trees.iter().all(|t| {
        let n = t.n_nodes();
        t.missing_left.is_empty()
            && t.category_set.is_empty()
            && t.threshold.len() == n
            && t.left.len() == n
            && t.value.len() == n * t.n_outputs
            && (t.cover.is_empty() || t.cover.len() == n)
            && u32::try_from(t.n_outputs).is_ok()
            && (0..n).all(|i| {
                if t.feature[i] == LEAF {
                    t.threshold[i].to_bits() == 0 && t.left[i] == 0
                } else {
                    let l = t.left[i] as usize;
                    l > i
                        && l + 1 < n
                        && (t.cover.is_empty()
                            || u64::from(t.cover[i]) == u64::from(t.cover[l]) + u64::from(t.cover[l + 1]))
                }
            })
    })
}

fn pack(trees: &[Tree]) -> Packed {
    let mut p = Packed::default();
    let mut index: Vec<HashMap<u64, u32>> = Vec::new();
    let (mut leaf_values, mut split_values) = (Vec::new(), Vec::new());
    for t in trees {
        p.nodes.push(t.n_nodes() as u32);
        p.outputs.push(t.n_outputs as u32);
        p.covered.push(!t.cover.is_empty());
        for i in 0..t.n_nodes() {
            let values = &t.value[i * t.n_outputs..(i + 1) * t.n_outputs];
            if t.feature[i] == LEAF {
                put(&mut p.feature.0, 0);
                leaf_values.extend_from_slice(values);
                continue;
            }
            let f = t.feature[i] as usize;
            put(&mut p.feature.0, f as u64 + 1);
            if index.len() <= f {
                index.resize_with(f + 1, HashMap::new);
                p.dictionary.resize_with(f + 1, Vec::new);
            }
            let thr = t.threshold[i];
            let k = *index[f].entry(thr.to_bits()).or_insert_with(|| {
                p.dictionary[f].push(thr);
                (p.dictionary[f].len() - 1) as u32
            });
            put(&mut p.threshold.0, u64::from(k));
            split_values.extend_from_slice(values);
        }
        let implied = growth_links(&t.feature).is_some_and(|l| l == t.left);
        p.implied.push(implied);
        for i in (0..t.n_nodes()).filter(|&i| !implied && t.feature[i] != LEAF) {
            put(&mut p.left.0, u64::from(t.left[i]) - i as u64);
        }
        for (&c, _) in t.cover.iter().zip(&t.feature).filter(|&(_, &f)| f == LEAF) {
            put(&mut p.cover.0, u64::from(c));
        }
    }
    p.leaf_values = Bytes(planes(&leaf_values));
    p.split_values = Bytes(planes(&split_values));
    p
}

/// Where one tree starts in each stream of a packed forest.
struct Span {
    n: usize,
    k: usize,
    covered: bool,
    implied: bool,
    feature: usize,
    left: usize,
    threshold: usize,
    cover: usize,
    leaf_value: usize,
    split_value: usize,
}

impl Reader<'_> {
    /// Skips `count` varints.
    fn skip(&mut self, count: usize) -> Option<()> {
        for _ in 0..count {
            while *self.bytes.get(self.at)? >= 0x80 {
                self.at += 1;
            }
            self.at += 1;
        }
        Some(())
    }
}

/// One pass over the feature stream (and skips over the others) to find where each tree
/// starts, so the trees can then be unpacked on all cores.
fn spans(p: &Packed) -> Option<Vec<Span>> {
    let mut r = [&p.feature.0, &p.left.0, &p.threshold.0, &p.cover.0].map(|bytes| Reader { bytes, at: 0 });
    let (mut leaf_value, mut split_value) = (0, 0);
    let mut out = Vec::with_capacity(p.nodes.len());
    let implied = p.implied.iter().copied().chain(std::iter::repeat(false));
    for (((&n, &k), &covered), implied) in p.nodes.iter().zip(&p.outputs).zip(&p.covered).zip(implied) {
        let (n, k) = (n as usize, k as usize);
        let span = Span {
            n,
            k,
            covered,
            implied,
            feature: r[0].at,
            left: r[1].at,
            threshold: r[2].at,
            cover: r[3].at,
            leaf_value,
            split_value,
        };
        let mut leaves = 0;
        for _ in 0..n {
            leaves += usize::from(r[0].next()? == 0);
        }
        let splits = n - leaves;
        if !implied {
            r[1].skip(splits)?;
        }
        r[2].skip(splits)?;
        if covered {
            r[3].skip(leaves)?;
        }
        leaf_value += leaves * k;
        split_value += splits * k;
        out.push(span);
    }
    Some(out)
}

fn unpack(p: &Packed) -> Option<Vec<Tree>> {
    use rayon::prelude::*;
    let (planes, spans) =
        rayon::join(|| rayon::join(|| from_planes(&p.leaf_values.0), || from_planes(&p.split_values.0)), || spans(p));
    let (leaf_values, split_values) = (planes.0?, planes.1?);
    spans?.par_iter().map(|s| unpack_tree(p, s, &leaf_values, &split_values)).collect()
}

fn unpack_tree(p: &Packed, s: &Span, leaf_values: &[f64], split_values: &[f64]) -> Option<Tree> {
    let (mut feature, mut left, mut threshold, mut cover) = (
        Reader { bytes: &p.feature.0, at: s.feature },
        Reader { bytes: &p.left.0, at: s.left },
        Reader { bytes: &p.threshold.0, at: s.threshold },
        Reader { bytes: &p.cover.0, at: s.cover },
    );
    let (n, k) = (s.n, s.k);
    let (mut leaf_at, mut split_at) = (s.leaf_value, s.split_value);
    let mut t = Tree {
        n_outputs: k,
        feature: Vec::with_capacity(n),
        threshold: Vec::with_capacity(n),
        left: Vec::with_capacity(n),
        value: Vec::with_capacity(n * k),
        ..Tree::default()
    };
    for i in 0..n {
        let f = feature.next()?;
        if f == 0 {
            t.feature.push(LEAF);
            t.threshold.push(0.0);
            t.left.push(0);
            t.value.extend_from_slice(leaf_values.get(leaf_at..leaf_at + k)?);
            leaf_at += k;
        } else {
            let f = usize::try_from(f - 1).ok()?;
            t.feature.push(u32::try_from(f).ok()?);
            t.left.push(if s.implied { 0 } else { u32::try_from(i as u64 + left.next()?).ok()? });
            t.threshold.push(*p.dictionary.get(f)?.get(threshold.next()? as usize)?);
            t.value.extend_from_slice(split_values.get(split_at..split_at + k)?);
            split_at += k;
        }
    }
    if s.implied {
        // Valid by construction (each child after its parent, inside the tree).
        t.left = growth_links(&t.feature)?;
    } else if t.left.iter().enumerate().any(|(i, &l)| t.feature[i] != LEAF && (l as usize <= i || l as usize + 1 >= n))
    {
        return None;
    }
    if s.covered {
        t.cover = vec![0; n];
        for i in (0..n).filter(|&i| t.feature[i] == LEAF) {
            t.cover[i] = cover.u32()?;
        }
        // Children come after their parent: sums from the last node back.
        for i in (0..n).rev().filter(|&i| t.feature[i] != LEAF) {
            let l = t.left[i] as usize;
            t.cover[i] = t.cover[l].checked_add(t.cover[l + 1])?;
        }
    }
    Some(t)
}

/// The child links a tree grown by `tree::grow` has: nodes are taken from a stack (the right
/// child first), and each split appends its two children. `None` when `feature` cannot be a
/// tree of that shape.
fn growth_links(feature: &[u32]) -> Option<Vec<u32>> {
    let n = feature.len();
    let mut left = vec![0u32; n];
    let (mut stack, mut next) = (vec![0usize], 1usize);
    while let Some(node) = stack.pop() {
        if *feature.get(node)? == LEAF {
            continue;
        }
        if next + 1 >= n {
            return None;
        }
        left[node] = u32::try_from(next).ok()?;
        stack.push(next);
        stack.push(next + 1);
        next += 2;
    }
    (next == n).then_some(left)
}

pub fn serialize<S: Serializer>(trees: &Vec<Tree>, s: S) -> Result<S::Ok, S::Error> {
    if PACK.with(Cell::get) && packable(trees) { pack(trees).serialize(s) } else { trees.serialize(s) }
}

pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Tree>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Vec<Tree>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a list of trees or a packed forest")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Tree>, A::Error> {
            let mut out = Vec::new();
            while let Some(t) = seq.next_element::<Tree>()? {
                out.push(t);
            }
            Ok(out)
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Vec<Tree>, A::Error> {
            let p = Packed::deserialize(de::value::MapAccessDeserializer::new(map))?;
            unpack(&p).ok_or_else(|| de::Error::custom("the packed forest is damaged"))
        }
    }
    d.deserialize_any(V)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::tree::{Features, Target, TreeParams, forest};
    use ndarray::Array2;

    #[test]
    fn a_packed_forest_reads_back_bit_for_bit_and_is_smaller() {
        let x = Array2::from_shape_fn((400, 4), |(i, j)| ((i * 37 + j * 11) % 101) as f64 / 7.0 + j as f64);
        let y: Vec<f64> = (0..400).map(|i| x[[i, 0]] * 2.0 - x[[i, 2]] + (i % 5) as f64 / 3.0).collect();
        let classes: Vec<usize> = (0..400).map(|i| usize::from(x[[i, 1]] > 8.0) + usize::from(i % 7 == 0)).collect();
        for trees in [
            forest(Features::Dense(&x), Target::Numbers(&y), 5, &TreeParams::default(), 1),
            forest(Features::Dense(&x), Target::Classes(&classes, 3, &[]), 5, &TreeParams::default(), 2),
        ] {
            assert!(packable(&trees));
            let packed = pack(&trees);
            assert!(packed.implied.iter().all(|&i| i) && packed.left.0.is_empty(), "links follow from growth order");
            let back = unpack(&packed).unwrap();
            assert_eq!(back.len(), trees.len());
            for (a, b) in back.iter().zip(&trees) {
                assert_eq!(a.feature, b.feature);
                assert_eq!(a.left, b.left);
                assert_eq!(a.cover, b.cover);
                assert!(a.threshold.iter().zip(&b.threshold).all(|(p, q)| p.to_bits() == q.to_bits()));
                assert!(a.value.iter().zip(&b.value).all(|(p, q)| p.to_bits() == q.to_bits()));
            }
            assert_eq!(back, trees);
        }
    }

    #[test]
    fn a_damaged_or_odd_forest_is_refused_or_written_plainly() {
        let x = Array2::from_shape_fn((60, 2), |(i, j)| (i * (j + 1)) as f64);
        let y: Vec<f64> = (0..60).map(|i| i as f64).collect();
        let mut trees = forest(Features::Dense(&x), Target::Numbers(&y), 2, &TreeParams::default(), 1);
        let mut p = pack(&trees);
        p.feature.0.truncate(3);
        assert!(unpack(&p).is_none());
        // Links that do not follow growth order are written out and read back.
        let mut swapped = trees[0].clone();
        let splits: Vec<usize> = (0..swapped.n_nodes()).filter(|&i| !swapped.is_leaf(i)).collect();
        assert!(splits.len() >= 2);
        let mut p = pack(std::slice::from_ref(&swapped));
        assert!(p.implied[0]);
        p.implied[0] = false;
        assert!(unpack(&p).is_none(), "no written links to read");
        swapped.cover.clear();
        let p = pack(std::slice::from_ref(&swapped));
        assert_eq!(unpack(&p).unwrap()[0], swapped);
        let last = trees[0].n_nodes() - 1;
        trees[0].threshold[last] = 1.5; // a leaf with a threshold
        assert!(!packable(&trees));
    }
}
