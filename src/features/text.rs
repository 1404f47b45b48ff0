//! TF-IDF for free-text columns. The defaults follow scikit-learn's `TfidfVectorizer()`:
//! lower-case, tokens of two or more word characters, smooth idf, l2-normalised rows. Options
//! add word pairs/triples, character n-grams (within words, like `analyzer="char_wb"`),
//! English stop words, a minimum document frequency and a cap on the vocabulary.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// How text is cut into terms, chosen in the recipe and kept with the fitted model.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TfidfOptions {
    /// Longest run of consecutive words that is one term (1 = single words, 2 = also pairs).
    pub word_ngrams: usize,
    /// Character n-grams of these lengths inside each word (0 = none).
    pub char_min: usize,
    pub char_max: usize,
    pub lowercase: bool,
    /// Leave out common English words ("the", "and", "is", …).
    pub stop_words: bool,
    /// Keep only terms found in at least this many training documents.
    pub min_df: usize,
    /// Keep only the this many most frequent terms (0 = all).
    pub max_features: usize,
}

impl Default for TfidfOptions {
    fn default() -> Self {
        TfidfOptions {
            word_ngrams: 1,
            char_min: 0,
            char_max: 0,
            lowercase: true,
            stop_words: false,
            min_df: 1,
            max_features: 0,
        }
    }
}

/// scikit-learn's English stop words that are common in short messages (a subset of its list).
const STOP_WORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "doing",
    "down",
    "during",
    "each",
    "few",
    "for",
    "from",
    "further",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "me",
    "more",
    "most",
    "my",
    "myself",
    "no",
    "nor",
    "not",
    "of",
    "off",
    "on",
    "once",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "same",
    "she",
    "should",
    "so",
    "some",
    "such",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "very",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "would",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
];

impl TfidfOptions {
    /// A one-line summary of the options that differ from the defaults.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if self.word_ngrams > 1 {
            parts.push(format!("words 1–{}", self.word_ngrams));
        }
        if self.char_max > 0 {
            parts.push(format!("characters {}–{}", self.char_min.max(1), self.char_max));
        }
        if !self.lowercase {
            parts.push("case kept".into());
        }
        if self.stop_words {
            parts.push("no stop words".into());
        }
        if self.min_df > 1 {
            parts.push(format!("in at least {} texts", self.min_df));
        }
        if self.max_features > 0 {
            parts.push(format!("top {} terms", self.max_features));
        }
        parts.join(", ")
    }

    /// The terms of one text, repeated as often as they occur.
    pub fn terms(&self, text: &str) -> Vec<String> {
        let mut words = words(text, self.lowercase);
        if self.stop_words {
            words.retain(|w| STOP_WORDS.binary_search(&w.as_str()).is_err());
        }
        let mut out = Vec::with_capacity(words.len() * self.word_ngrams.max(1));
        for n in 2..=self.word_ngrams {
            out.extend(words.windows(n).map(|w| w.join(" ")));
        }
        if self.char_max > 0 {
            for w in &words {
                // Like scikit-learn's char_wb: each word padded with one space on each side.
                let padded: Vec<char> = std::iter::once(' ').chain(w.chars()).chain(std::iter::once(' ')).collect();
                for n in self.char_min.max(1)..=self.char_max {
                    out.extend(padded.windows(n).map(|g| g.iter().collect::<String>()));
                }
            }
        }
        if self.word_ngrams >= 1 {
            out.extend(words);
        }
        out
    }
}

/// Splits text into lower-cased tokens of at least two word characters (letters, digits, `_`).
pub fn tokenize(text: &str) -> Vec<String> {
    words(text, true)
}

fn words(text: &str, lowercase: bool) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut chars = 0;
    for ch in text.chars() {
        if ch.is_alphanumeric() || ch == '_' {
            if lowercase {
                current.extend(ch.to_lowercase());
            } else {
                current.push(ch);
            }
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

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TfidfModel {
    /// The vocabulary in alphabetical order; a word's position is its feature index.
    pub vocabulary: Vec<String>,
    /// Inverse document frequency of each vocabulary word.
    pub idf: Vec<f64>,
    /// How texts are cut into terms (the defaults for bundles written before options existed).
    #[serde(default)]
    pub options: TfidfOptions,
}

impl TfidfModel {
    pub fn fit<'a>(docs: impl Iterator<Item = Option<&'a str>>) -> TfidfModel {
        Self::fit_with(docs, &TfidfOptions::default())
    }

    pub fn fit_with<'a>(docs: impl Iterator<Item = Option<&'a str>>, options: &TfidfOptions) -> TfidfModel {
        // Document frequency and total count of each term.
        let mut df: HashMap<String, (usize, usize)> = HashMap::new();
        let mut n = 0usize;
        for doc in docs {
            n += 1;
            let mut terms = options.terms(doc.unwrap_or(""));
            terms.sort();
            let mut i = 0;
            while i < terms.len() {
                let j = terms[i..].iter().position(|t| *t != terms[i]).map_or(terms.len(), |k| i + k);
                let e = df.entry(std::mem::take(&mut terms[i])).or_default();
                e.0 += 1;
                e.1 += j - i;
                i = j;
            }
        }
        // Hashed while counting (string comparisons in a sorted map were most of the time),
        // then put in alphabetical order.
        let mut kept: Vec<(String, (usize, usize))> =
            df.into_iter().filter(|(_, (d, _))| *d >= options.min_df.max(1)).collect();
        kept.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        if options.max_features > 0 && kept.len() > options.max_features {
            // The most frequent terms over the whole corpus (ties alphabetical), as scikit-learn.
            let mut order: Vec<usize> = (0..kept.len()).collect();
            order.sort_by(|&a, &b| kept[b].1.1.cmp(&kept[a].1.1).then(a.cmp(&b)));
            let mut keep: Vec<usize> = order[..options.max_features].to_vec();
            keep.sort_unstable();
            kept = keep.into_iter().map(|i| std::mem::take(&mut kept[i])).collect();
        }
        let n = n as f64;
        let (vocabulary, idf) =
            kept.into_iter().map(|(w, (d, _))| (w, ((1.0 + n) / (1.0 + d as f64)).ln() + 1.0)).unzip();
        TfidfModel { vocabulary, idf, options: options.clone() }
    }

    /// Word → feature index.
    pub fn index(&self) -> HashMap<&str, usize> {
        self.vocabulary.iter().enumerate().map(|(i, w)| (w.as_str(), i)).collect()
    }

    /// The non-zero (feature index, weight) pairs of one document.
    pub fn weights(&self, index: &HashMap<&str, usize>, text: &str) -> Vec<(usize, f64)> {
        let mut found: Vec<usize> =
            self.options.terms(text).iter().filter_map(|token| index.get(token.as_str()).copied()).collect();
        found.sort_unstable();
        let mut out: Vec<(usize, f64)> = Vec::with_capacity(found.len());
        for j in found {
            match out.last_mut() {
                Some((last, c)) if *last == j => *c += 1.0,
                _ => out.push((j, 1.0)),
            }
        }
        out.iter_mut().for_each(|(j, c)| *c *= self.idf[*j]);
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
