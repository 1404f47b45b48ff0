//! TF-IDF for free-text columns, following scikit-learn's `TfidfVectorizer()` defaults:
//! lower-case, tokens of two or more word characters, smooth idf, l2-normalised rows.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TfidfModel {
    /// The vocabulary in alphabetical order; a word's position is its feature index.
    pub vocabulary: Vec<String>,
    /// Inverse document frequency of each vocabulary word.
    pub idf: Vec<f64>,
}

/// Splits text into lower-cased tokens of at least two word characters (letters, digits, `_`).
pub fn tokenize(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut chars = 0;
    for ch in text.chars() {
        if ch.is_alphanumeric() || ch == '_' {
            current.extend(ch.to_lowercase());
            chars += 1;
        } else {
            if chars >= 2 {
                tokens.push(std::mem::take(&mut current));
            }
            current.clear();
            chars = 0;
        }
    }
    if chars >= 2 {
        tokens.push(current);
    }
    tokens
}

impl TfidfModel {
    pub fn fit<'a>(docs: impl Iterator<Item = Option<&'a str>>) -> TfidfModel {
        let mut df: BTreeMap<String, usize> = BTreeMap::new();
        let mut n = 0usize;
        for doc in docs {
            n += 1;
            let mut words = tokenize(doc.unwrap_or(""));
            words.sort();
            words.dedup();
            for w in words {
                *df.entry(w).or_default() += 1;
            }
        }
        let n = n as f64;
        let (vocabulary, idf) = df.into_iter().map(|(w, d)| (w, ((1.0 + n) / (1.0 + d as f64)).ln() + 1.0)).unzip();
        TfidfModel { vocabulary, idf }
    }

    /// Word → feature index.
    pub fn index(&self) -> HashMap<&str, usize> {
        self.vocabulary.iter().enumerate().map(|(i, w)| (w.as_str(), i)).collect()
    }

    /// The non-zero (feature index, weight) pairs of one document.
    pub fn weights(&self, index: &HashMap<&str, usize>, text: &str) -> Vec<(usize, f64)> {
        let mut counts: BTreeMap<usize, f64> = BTreeMap::new();
        for token in tokenize(text) {
            if let Some(&j) = index.get(token.as_str()) {
                *counts.entry(j).or_default() += 1.0;
            }
        }
        let mut out: Vec<(usize, f64)> = counts.into_iter().map(|(j, c)| (j, c * self.idf[j])).collect();
        let norm = out.iter().map(|(_, w)| w * w).sum::<f64>().sqrt();
        if norm > 0.0 {
            for (_, w) in &mut out {
                *w /= norm;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenizer_matches_sklearn_pattern() {
        assert_eq!(
            tokenize("Free entry! Win £100 a prize, U r OK_2"),
            vec!["free", "entry", "win", "100", "prize", "ok_2"]
        );
    }

    #[test]
    fn idf_and_normalisation() {
        let docs = [Some("spam spam eggs".to_string()), Some("eggs ham".to_string())];
        let m = TfidfModel::fit(docs.iter().map(|d| d.as_deref()));
        assert_eq!(m.vocabulary, vec!["eggs", "ham", "spam"]);
        // idf(eggs) = ln(3/3)+1 = 1; idf(spam) = ln(3/2)+1
        assert!((m.idf[0] - 1.0).abs() < 1e-12);
        let w = m.weights(&m.index(), "spam spam eggs");
        let norm: f64 = w.iter().map(|(_, v)| v * v).sum();
        assert!((norm - 1.0).abs() < 1e-12);
    }
}
