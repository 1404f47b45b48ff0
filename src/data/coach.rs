//! Plain-words warnings about a table, for beginners: columns that cannot help (constant,
//! ID-like), columns that need care (many missing cells, many categories, free text),
//! duplicate rows, and — once the target is chosen — imbalanced classes and features that give
//! the answer away (target leakage).

use super::{ColumnKind, Dataset, Values};
use serde::Serialize;
use std::collections::HashMap;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Warning {
    /// The column it is about (none for the whole table).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// `constant`, `id_like`, `name_like`, `many_missing`, `high_cardinality`, `date`, `text`, `duplicates`,
    /// `personal_data`, `imbalance` or `leakage`.
    pub kind: &'static str,
    /// What is wrong and what to do, in plain words.
    pub message: String,
    /// For `personal_data`: what the column holds and in what share of its cells.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found: Option<super::PersonalFinding>,
}

pub(super) fn warn(column: Option<&str>, kind: &'static str, message: String) -> Warning {
    Warning { column: column.map(str::to_string), kind, message, found: None }
}

/// The `personal_data` warning for a column that holds personal data.
fn personal_warning(name: &str, f: super::PersonalFinding) -> Warning {
    let keep = f.coarse_part().map(|p| format!(", or keep only {p}")).unwrap_or_default();
    let message = format!(
        "'{name}' holds {} in {:.0} % of its filled cells: a model rarely needs them, and keeping them makes the model file personal data. Drop the column, or replace it with a salted hash{keep}.",
        f.words(),
        f.share * 100.0
    );
    Warning { column: Some(name.to_string()), kind: "personal_data", message, found: Some(f) }
}

/// Warnings about the table itself (no target needed).
pub fn table_warnings(ds: &Dataset) -> Vec<Warning> {
    use rayon::prelude::*;
    // Columns on all cores, and the duplicate-row count beside them.
    let (counts, duplicates) = rayon::join(
        || ds.columns.par_iter().map(|c| (c.missing(), distinct(&c.values).0)).collect::<Vec<_>>(),
        || ds.duplicate_rows(),
    );
    table_warnings_counted(ds, &counts, duplicates)
}

/// The number of distinct present values and whether it is exact (a column of numbers with
/// over 65 536 distinct values gets an estimate).
pub(crate) fn distinct(values: &Values) -> (usize, bool) {
    match values {
        Values::Numeric(v) => super::distinct_numbers(v),
        Values::Str(v) => (v.counts().iter().filter(|&&n| n > 0).count(), true),
    }
}

/// [`table_warnings`] given each column's (missing, distinct) counts and the number of
/// duplicate rows.
pub(crate) fn table_warnings_counted(ds: &Dataset, counts: &[(usize, usize)], duplicates: usize) -> Vec<Warning> {
    use rayon::prelude::*;
    let n = ds.n_rows();
    let per_column: Vec<Vec<Warning>> =
        ds.columns.par_iter().zip(counts).map(|(c, &counts)| column_warnings(c, n, counts)).collect();
    let mut out: Vec<Warning> = per_column.into_iter().flatten().collect();
    // A folder of pictures: the file names identify pictures, they are not something to learn.
    if ds.pictures.is_some()
        && ds.column("file").is_some()
        && !out.iter().any(|w| w.column.as_deref() == Some("file") && w.kind == "id_like")
    {
        out.push(warn(
            Some("file"),
            "id_like",
            "'file' names each picture's file: a model would learn the names by heart instead of what the pictures show. The recipe leaves it out.".into(),
        ));
    }
    if duplicates > 0 {
        out.push(warn(
            None,
            "duplicates",
            format!(
                "{} exact {} of earlier rows: copies can land in both the training and the test rows and flatter the score. Consider removing them.",
                if duplicates == 1 { "1 row is an".to_string() } else { format!("{duplicates} rows are") },
                if duplicates == 1 { "copy" } else { "copies" }
            ),
        ));
    }
    out
}

/// The warnings about one column (of a table of `n` rows).
fn column_warnings(c: &super::Column, n: usize, (missing, distinct): (usize, usize)) -> Vec<Warning> {
    let mut out = Vec::new();
    let present = n - missing;
    let name = c.name.as_str();
    if present > 0 && distinct <= 1 {
        out.push(warn(
            Some(name),
            "constant",
            format!("'{name}' has the same value in every row, so it cannot help a model: drop it."),
        ));
        return out;
    }
    let personal = super::personal::detect(name, &c.values);
    let personal_found = personal.is_some();
    if let Some(found) = personal {
        out.push(personal_warning(name, found));
    }
    let integers = matches!(&c.values, Values::Numeric(v) if v.present().all(|x| x.fract() == 0.0));
    let dates = looks_like_dates(&c.values);
    // An estimated count close to the row count is checked exactly (IDs must all differ).
    let distinct = match &c.values {
        Values::Numeric(v) if integers && present == n && distinct * 100 >= n * 97 => {
            super::count_distinct(v.present().map(|x| (x + 0.0).to_bits()), n, f64::NAN.to_bits())
        }
        _ => distinct,
    };
    let words = match &c.values {
        Values::Str(v) if !dates => Some(word_shape(v)),
        _ => None,
    };
    // Codes (one word each) that nearly never repeat are identifiers, even with a few gaps.
    let code_like = words.is_some_and(|w| w.words <= 1.2) && present >= 20 && distinct * 100 >= present * 95;
    // Distinct whole numbers are identifiers only when they look it: a size or a price in
    // whole units is a measurement, however rarely two rows share it.
    let id_values = match &c.values {
        Values::Numeric(v) => integers && whole_numbers_look_like_ids(name, v),
        Values::Str(_) => true,
    };
    let id_like = !dates && n >= 20 && ((distinct == present && present == n && id_values) || code_like);
    // Names and titles: a few words, not sentences, most of them seen once or twice.
    let name_like = !personal_found
        && present >= 20
        && distinct * 2 >= present
        && words.is_some_and(|w| w.words > 1.2 && w.words <= 6.0 && w.sentences < 0.2);
    if name_like {
        out.push(warn(
            Some(name),
            "name_like",
            format!("'{name}' reads like names or titles ({distinct} different values in {present} rows, a few words each): a model cannot learn from a name it will rarely see again, and it would add {distinct} columns. The recipe leaves it out; use it after all if its words matter."),
        ));
    } else if id_like && c.kind != ColumnKind::Text {
        out.push(warn(
            Some(name),
            "id_like",
            format!("'{name}' has a different value in (nearly) every row, like an ID: a model would learn it by heart instead of learning patterns. The recipe leaves it out."),
        ));
    } else if !dates && c.kind == ColumnKind::Categorical && distinct > 50 && distinct * 20 > n {
        out.push(warn(
            Some(name),
            "high_cardinality",
            format!("'{name}' has {distinct} different values: one-hot encoding would turn it into {distinct} columns. The recipe groups the rare values as (other); drop it if it still does not help."),
        ));
    }
    if dates {
        out.push(warn(
            Some(name),
            "date",
            format!("'{name}' holds dates: a model cannot use a date as it is. Split it into year, month, weekday and hour (numbers a model can use)."),
        ));
    } else if c.kind == ColumnKind::Text && !name_like {
        out.push(warn(
            Some(name),
            "text",
            format!("'{name}' holds free text: it becomes word features (TF-IDF), one per word."),
        ));
    }
    if n > 0 && missing * 10 > n * 3 {
        out.push(warn(
            Some(name),
            "many_missing",
            format!(
                "'{name}' is missing in {:.0}% of the rows; they are filled in (median or most frequent value). Consider dropping the column.",
                100.0 * missing as f64 / n as f64
            ),
        ));
    }
    out
}

/// Words in a column name that say it holds identifiers.
const ID_WORDS: &[&str] = &["id", "ids", "key", "uuid", "guid", "idx", "index", "code", "ref", "row"];

/// Whether distinct whole numbers are identifiers rather than a measurement: the name says so
/// (`id`, `customerId`, `row key`), the numbers count the rows (a run with few gaps, or rising
/// row after row), or they all have the same six or more digits (account-like numbers).
fn whole_numbers_look_like_ids(name: &str, v: &super::Numbers) -> bool {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut last_lower = false;
    for ch in name.chars() {
        if !ch.is_alphanumeric() || (ch.is_uppercase() && last_lower) {
            words.push(std::mem::take(&mut word));
        }
        if ch.is_alphanumeric() {
            word.extend(ch.to_lowercase());
        }
        last_lower = ch.is_lowercase();
    }
    words.push(word);
    if words.iter().any(|w| ID_WORDS.contains(&w.as_str())) {
        return true;
    }
    let (min, max) = v.present().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| (lo.min(x), hi.max(x)));
    let run = max - min < 2.0 * v.len() as f64;
    let mut present = v.present();
    let rising =
        present.next().is_some_and(|first| present.try_fold(first, |prev, x| (x > prev).then_some(x)).is_some());
    let digits = |x: f64| x.abs().max(1.0).log10().floor() as i64 + 1;
    let long =
        v.present().next().is_some_and(|first| digits(first) >= 6 && v.present().all(|x| digits(x) == digits(first)));
    run || rising || long
}

/// How the cells of a text column read: words per cell, and the share of cells that end like a
/// sentence (`.`, `!`, `?`) — over the first 2 000 present cells.
#[derive(Clone, Copy)]
struct WordShape {
    words: f64,
    sentences: f64,
}

fn word_shape(v: &super::Strings) -> WordShape {
    let (mut cells, mut words, mut sentences) = (0usize, 0usize, 0usize);
    for s in v.iter().flatten().map(str::trim).filter(|s| !s.is_empty()).take(2000) {
        cells += 1;
        words += s.split_whitespace().count();
        sentences += usize::from(s.ends_with(['.', '!', '?']) && s.split_whitespace().count() > 2);
    }
    let n = cells.max(1) as f64;
    WordShape { words: words as f64 / n, sentences: sentences as f64 / n }
}

/// Whether most cells (of the first 200 present) read as dates, all in one layout.
pub fn looks_like_dates(values: &Values) -> bool {
    matches!(values, Values::Str(v) if strings_look_like_dates(v))
}

/// [`looks_like_dates`] for a column of text.
pub(crate) fn strings_look_like_dates(v: &super::Strings) -> bool {
    let sample: Vec<&str> = v.iter().flatten().map(str::trim).filter(|s| !s.is_empty()).take(200).collect();
    super::DateFormat::best(&sample).is_some_and(|(_, n)| n * 10 >= sample.len() * 9)
}

/// Warnings that need the target: class imbalance and features that (almost) give the answer.
pub fn target_warnings(ds: &Dataset, target: &str) -> Vec<Warning> {
    let Some(t) = ds.column(target) else { return vec![] };
    let mut out = Vec::new();
    let classes = super::detect_task(ds, target).is_ok_and(|task| task == super::Task::Classification);
    let labels: Vec<Option<String>> =
        (0..ds.n_rows()).map(|r| Some(t.values.display(r)).filter(|s| !s.is_empty())).collect();
    if classes {
        let mut counts: HashMap<&str, usize> = HashMap::new();
        labels.iter().flatten().for_each(|l| *counts.entry(l).or_default() += 1);
        let (min, max) = (counts.values().min().copied().unwrap_or(0), counts.values().max().copied().unwrap_or(0));
        if counts.len() >= 2 && min * 10 < max {
            let rare = counts.iter().min_by_key(|(_, n)| **n).map(|(l, _)| *l).unwrap_or("");
            out.push(warn(
                Some(target),
                "imbalance",
                format!("The classes are imbalanced: '{rare}' has {min} rows against {max} for the largest. Accuracy can look good while '{rare}' is missed — watch its recall and precision."),
            ));
        }
    }
    for c in ds.columns.iter().filter(|c| c.name != target && c.kind != ColumnKind::Text) {
        let leak = match (&c.values, &t.values, classes) {
            (Values::Numeric(x), Values::Numeric(y), false) => correlation(x, y).is_some_and(|r| r.abs() > 0.98),
            _ => {
                // Each value of the feature names (almost) one class: the feature is the answer.
                let mut by_value: HashMap<String, HashMap<&str, usize>> = HashMap::new();
                let mut rows = 0;
                for (r, l) in labels.iter().enumerate() {
                    let v = c.values.display(r);
                    if let (Some(l), false) = (l, v.is_empty()) {
                        *by_value.entry(v).or_default().entry(l).or_default() += 1;
                        rows += 1;
                    }
                }
                let right: usize = by_value.values().map(|m| m.values().max().copied().unwrap_or(0)).sum();
                classes && rows > 20 && by_value.len() * 2 < rows && right as f64 >= 0.99 * rows as f64
            }
        };
        if leak {
            out.push(warn(
                Some(&c.name),
                "leakage",
                format!("'{}' predicts '{target}' almost perfectly on its own. If it is only known after the fact (or is the answer in disguise), the model will fail on new data: drop it.", c.name),
            ));
        }
    }
    out
}

fn correlation(x: &super::Numbers, y: &super::Numbers) -> Option<f64> {
    let pairs: Vec<(f64, f64)> = x.iter().zip(y.iter()).filter_map(|(a, b)| Some((a?, b?))).collect();
    let n = pairs.len() as f64;
    if n < 3.0 {
        return None;
    }
    let (mx, my) = (pairs.iter().map(|p| p.0).sum::<f64>() / n, pairs.iter().map(|p| p.1).sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in &pairs {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx).powi(2);
        syy += (b - my).powi(2);
    }
    (sxx > 0.0 && syy > 0.0).then(|| sxy / (sxx * syy).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Column;

    #[test]
    fn coaching_finds_what_a_beginner_should_fix() {
        let n = 60;
        let ds = Dataset::new(
            "t",
            vec![
                Column::numeric("id", (0..n).map(|i| Some(i as f64)).collect()),
                Column::strings("country", (0..n).map(|_| Some("NZ".to_string())).collect()),
                Column::numeric("x", (0..n).map(|i| if i % 2 == 0 { None } else { Some((i % 7) as f64) }).collect()),
                Column::strings(
                    "label",
                    (0..n).map(|i| Some(if i < 4 { "fraud" } else { "ok" }.to_string())).collect(),
                ),
                Column::strings(
                    "verdict",
                    (0..n).map(|i| Some(if i < 4 { "caught" } else { "fine" }.to_string())).collect(),
                ),
            ],
        )
        .unwrap();
        let table = table_warnings(&ds);
        let kinds: Vec<(&str, Option<String>)> = table.iter().map(|w| (w.kind, w.column.clone())).collect();
        let has = |k: &str, c: &str| table.iter().any(|w| w.kind == k && w.column.as_deref() == Some(c));
        assert!(has("id_like", "id") && has("constant", "country") && has("many_missing", "x"), "{kinds:?}");
        assert!(!table.iter().any(|w| w.kind == "duplicates"), "the id makes every row unique");
        let target = target_warnings(&ds, "label");
        assert!(target.iter().any(|w| w.kind == "imbalance"), "{target:?}");
        assert!(target.iter().any(|w| w.kind == "leakage" && w.column.as_deref() == Some("verdict")), "{target:?}");
        assert!(!target.iter().any(|w| w.kind == "leakage" && w.column.as_deref() == Some("x")));
    }

    #[test]
    fn names_titles_and_codes_are_told_from_categories_and_sentences() {
        let n = 200;
        let makes = ["chevrolet", "ford", "toyota", "honda", "datsun"];
        let title = |i: usize| format!("{} model {} deluxe", makes[i % 5], i / 2);
        let sentence = |i: usize| format!("I really liked number {i} of these, it was great.");
        let code = |i: usize| if i.is_multiple_of(17) { None } else { Some(format!("X{i:05}")) };
        let ds = Dataset::new(
            "t",
            vec![
                Column::strings("name", (0..n).map(|i| Some(title(i))).collect()),
                Column::strings("review", (0..n).map(|i| Some(sentence(i))).collect()),
                Column::strings("code", (0..n).map(code).collect()),
                Column::strings("make", (0..n).map(|i| Some(makes[i % 5].to_string())).collect()),
            ],
        )
        .unwrap();
        let w = table_warnings(&ds);
        let kinds = |c: &str| w.iter().filter(|w| w.column.as_deref() == Some(c)).map(|w| w.kind).collect::<Vec<_>>();
        assert_eq!(kinds("name"), vec!["name_like"], "{w:?}");
        assert_eq!(kinds("review"), vec!["text"]);
        assert_eq!(kinds("code"), vec!["id_like"], "nearly unique codes with gaps are identifiers");
        // Distinct whole numbers: identifiers when named or numbered so, else a measurement.
        let mut rng = crate::util::Rng::new(3);
        let mut sizes: Vec<usize> = (500..4000).collect();
        rng.shuffle(&mut sizes);
        let whole = |name: &str, f: &dyn Fn(usize) -> f64| Column::numeric(name, (0..n).map(|i| Some(f(i))).collect());
        let numbers = Dataset::new(
            "n",
            vec![
                whole("sqft", &|i| sizes[i] as f64),
                whole("customerId", &|i| sizes[i] as f64),
                whole("ticket", &|i| (1000 + 3 * i) as f64),
                whole("account", &|i| (4_000_000 + sizes[i] * 17) as f64),
            ],
        )
        .unwrap();
        let w = table_warnings(&numbers);
        let ids: Vec<&str> = w.iter().filter(|w| w.kind == "id_like").filter_map(|w| w.column.as_deref()).collect();
        assert_eq!(ids, vec!["customerId", "ticket", "account"], "{w:?}");
        assert!(kinds("make").is_empty());
        let recipe = crate::features::Recipe::proposed(&ds, "make");
        let dropped: Vec<&str> = recipe
            .active()
            .filter_map(|s| match s {
                crate::features::Step::Drop { column } => Some(column.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(dropped, vec!["name", "code"]);
    }
}
