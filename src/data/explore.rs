//! What the Explore view and the report draw, computed from a table: histograms and bar charts
//! split by a second column, box plots of a number by a category, a thinned scatter of two
//! numbers coloured by a third column, Pearson and Spearman correlations with the strongest pairs
//! in words, and the rows inside a selection (brushing). Everything here is plain computation on
//! [`Dataset`] columns, run off the UI thread by the app.

use super::{Column, ColumnKind, Dataset, Values, format_number};
use serde::{Deserialize, Serialize};

/// At most this many points are drawn in a scatter (a uniform sample of the rows beyond it).
pub const MAX_POINTS: usize = 20_000;
/// At most this many colour groups; the others join "(other)".
pub const MAX_GROUPS: usize = 8;
/// At most this many bars for a category column; the others join "(other)".
pub const MAX_BARS: usize = 20;
/// Correlations of at most this many numeric columns.
pub const MAX_CORRELATION_COLUMNS: usize = 30;
/// Correlations use at most this many rows (a uniform sample beyond it; stated in the result).
pub const MAX_CORRELATION_ROWS: usize = 200_000;

/// The label of rows whose value is missing.
pub const MISSING: &str = "(missing)";
/// The label of rows in groups beyond the largest ones.
pub const OTHER: &str = "(other)";

/// Each row's colour group: the text of a category column (the [`MAX_GROUPS`]−1 largest, the
/// rest "(other)"), or for a number column its fifth of the values ("Q1: 0.5 – 2.1").
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Groups {
    pub names: Vec<String>,
    /// Per row, an index into `names`.
    pub of_row: Vec<u16>,
}

impl Groups {
    /// One group holding every row.
    pub fn one(rows: usize) -> Groups {
        Groups { names: vec!["all rows".into()], of_row: vec![0; rows] }
    }

    pub fn of(column: &Column) -> Groups {
        let n = column.values.len();
        match &column.values {
            Values::Numeric(v) => {
                let mut present: Vec<f64> = v.iter().flatten().collect();
                present.sort_by(f64::total_cmp);
                if present.is_empty() {
                    return Groups { names: vec![MISSING.into()], of_row: vec![0; n] };
                }
                let q = |p: f64| present[((present.len() - 1) as f64 * p).round() as usize];
                let mut edges: Vec<f64> = (0..=5).map(|i| q(i as f64 / 5.0)).collect();
                edges.dedup();
                if edges.len() < 2 {
                    edges.push(edges[0]);
                }
                let mut names: Vec<String> = edges
                    .windows(2)
                    .enumerate()
                    .map(|(i, w)| format!("Q{}: {} – {}", i + 1, short(w[0]), short(w[1])))
                    .collect();
                let missing = names.len() as u16;
                names.push(MISSING.into());
                let inner = &edges[1..edges.len() - 1];
                let of_row = v
                    .iter()
                    .map(|x| match x {
                        None => missing,
                        Some(x) => inner.partition_point(|e| *e <= x) as u16,
                    })
                    .collect();
                Groups { names, of_row }.without_empty()
            }
            Values::Str(_) => Groups::of_many(column, MAX_GROUPS),
        }
    }

    /// Drops names no row uses (keeping indices consistent).
    fn without_empty(self) -> Groups {
        let mut used = vec![false; self.names.len()];
        for &g in &self.of_row {
            used[g as usize] = true;
        }
        let mut remap = vec![0u16; self.names.len()];
        let mut names = Vec::new();
        for (i, name) in self.names.into_iter().enumerate() {
            if used[i] {
                remap[i] = names.len() as u16;
                names.push(name);
            }
        }
        Groups { names, of_row: self.of_row.iter().map(|&g| remap[g as usize]).collect() }
    }
}

fn short(x: f64) -> String {
    let r = if x.abs() >= 100.0 { x.round() } else { (x * 100.0).round() / 100.0 };
    format_number(r)
}

/// Bars of one column: equal-width bins of a number column, or the largest categories (text:
/// the lengths of the texts in characters), each bar's rows counted per group.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Histogram {
    pub column: String,
    /// Bin edges (`bars + 1` of them) for numbers and text lengths; empty for categories.
    pub edges: Vec<f64>,
    /// One label per bar.
    pub labels: Vec<String>,
    pub groups: Vec<String>,
    /// `counts[group][bar]`.
    pub counts: Vec<Vec<usize>>,
    /// True when the bars count text lengths.
    pub lengths: bool,
}

impl Histogram {
    /// Total rows per bar (all groups).
    pub fn totals(&self) -> Vec<usize> {
        (0..self.labels.len()).map(|b| self.counts.iter().map(|g| g[b]).sum()).collect()
    }

    /// The rows of `column` that fall in bar `bar`, as a selection condition.
    pub fn condition(&self, bar: usize) -> Option<RowCondition> {
        if self.lengths {
            return None;
        }
        if self.edges.is_empty() {
            let label = self.labels.get(bar)?;
            return (label != OTHER && label != MISSING).then(|| RowCondition {
                column: self.column.clone(),
                values: vec![label.clone()],
                ..Default::default()
            });
        }
        let (lo, hi) = (*self.edges.get(bar)?, *self.edges.get(bar + 1)?);
        let last = bar + 2 == self.edges.len();
        // The last bar includes its top edge: a closed upper bound just above it.
        let hi = if last { hi + (hi - lo).abs() * 1e-9 + f64::MIN_POSITIVE } else { hi };
        Some(RowCondition { column: self.column.clone(), min: Some(lo), max: Some(hi), values: vec![] })
    }
}

/// Equal-width bins of `values` (present ones) between their smallest and largest.
fn bin_edges(values: impl Iterator<Item = f64>, bins: usize) -> Vec<f64> {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| (lo.min(x), hi.max(x)));
    if !lo.is_finite() {
        return vec![];
    }
    let hi = if hi > lo { hi } else { lo + 1.0 };
    (0..=bins).map(|i| lo + (hi - lo) * i as f64 / bins as f64).collect()
}

fn bin_of(edges: &[f64], x: f64) -> usize {
    let bins = edges.len() - 1;
    let (lo, hi) = (edges[0], edges[bins]);
    (((x - lo) / (hi - lo) * bins as f64).floor().max(0.0) as usize).min(bins - 1)
}

/// The histogram of `column` with rows split by `groups` (see [`Groups`]).
pub fn histogram(column: &Column, groups: &Groups, bins: usize) -> Histogram {
    let bins = bins.clamp(2, 200);
    let n_groups = groups.names.len();
    let mut h = Histogram { column: column.name.clone(), groups: groups.names.clone(), ..Default::default() };
    match (&column.values, column.kind) {
        (Values::Numeric(v), _) => {
            h.edges = bin_edges(v.iter().flatten(), bins);
            if h.edges.is_empty() {
                return h;
            }
            h.counts = vec![vec![0; bins]; n_groups];
            for (r, x) in v.iter().enumerate() {
                if let Some(x) = x {
                    h.counts[groups.of_row[r] as usize][bin_of(&h.edges, x)] += 1;
                }
            }
            h.labels = h.edges.windows(2).map(|w| format!("{} – {}", short(w[0]), short(w[1]))).collect();
        }
        (Values::Str(v), ColumnKind::Text) => {
            h.lengths = true;
            let lengths: Vec<f64> = v.dict().iter().map(|s| s.chars().count() as f64).collect();
            h.edges = bin_edges(lengths.iter().copied(), bins);
            if h.edges.is_empty() {
                return h;
            }
            h.counts = vec![vec![0; bins]; n_groups];
            for (r, &c) in v.codes().iter().enumerate() {
                if let Some(&len) = lengths.get(c as usize) {
                    h.counts[groups.of_row[r] as usize][bin_of(&h.edges, len)] += 1;
                }
            }
            h.labels = h.edges.windows(2).map(|w| format!("{:.0} – {:.0} characters", w[0], w[1])).collect();
        }
        (Values::Str(_), _) => {
            // The largest categories as bars, the rest as "(other)".
            let bars = Groups::of_many(column, MAX_BARS);
            h.labels = bars.names.clone();
            h.counts = vec![vec![0; bars.names.len()]; n_groups];
            for (r, &b) in bars.of_row.iter().enumerate() {
                h.counts[groups.of_row[r] as usize][b as usize] += 1;
            }
        }
    }
    h
}

impl Groups {
    /// Like [`Groups::of`] for a category column, with up to `max` groups.
    fn of_many(column: &Column, max: usize) -> Groups {
        let Values::Str(v) = &column.values else { return Groups::of(column) };
        let counts = v.counts();
        let mut order: Vec<usize> = (0..v.dict().len()).filter(|&i| counts[i] > 0).collect();
        order.sort_by(|&a, &b| counts[b].cmp(&counts[a]).then_with(|| v.dict()[a].cmp(&v.dict()[b])));
        let keep = if order.len() > max { max - 1 } else { order.len() };
        let mut code_group = vec![u16::MAX; v.dict().len()];
        let mut names = Vec::new();
        for (g, &code) in order.iter().take(keep).enumerate() {
            code_group[code] = g as u16;
            names.push(v.dict()[code].clone());
        }
        let (other, missing) = (names.len() as u16, names.len() as u16 + 1);
        names.push(OTHER.into());
        names.push(MISSING.into());
        let of_row = v
            .codes()
            .iter()
            .map(|&c| match code_group.get(c as usize) {
                None => missing,
                Some(&u16::MAX) => other,
                Some(&g) => g,
            })
            .collect();
        Groups { names, of_row }.without_empty()
    }
}

/// One box of a box plot: the quartiles of a number within one group, whiskers at the farthest
/// values within 1.5 × IQR of the box, and how many values lie beyond them.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BoxStats {
    pub group: String,
    pub rows: usize,
    pub lower_whisker: f64,
    pub q1: f64,
    pub median: f64,
    pub q3: f64,
    pub upper_whisker: f64,
    pub outliers: usize,
}

/// Linear-interpolated quantile of sorted values (numpy's default); 0 for no values (the
/// recipe's clip and scale steps fit that on a column with nothing present).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let (i, frac) = (pos.floor() as usize, pos.fract());
    let next = sorted[(i + 1).min(sorted.len() - 1)];
    sorted[i] + (next - sorted[i]) * frac
}

/// Box plots of the number column `number` for each group of `by`.
pub fn boxes(number: &Column, by: &Groups) -> Vec<BoxStats> {
    let Values::Numeric(v) = &number.values else { return vec![] };
    let mut per: Vec<Vec<f64>> = vec![Vec::new(); by.names.len()];
    for (r, x) in v.iter().enumerate() {
        if let Some(x) = x {
            per[by.of_row[r] as usize].push(x);
        }
    }
    per.into_iter()
        .zip(&by.names)
        .filter(|(xs, _)| !xs.is_empty())
        .map(|(mut xs, name)| {
            xs.sort_by(f64::total_cmp);
            let (q1, median, q3) = (quantile(&xs, 0.25), quantile(&xs, 0.5), quantile(&xs, 0.75));
            let (lo, hi) = (q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1));
            let inside: Vec<f64> = xs.iter().copied().filter(|&x| x >= lo && x <= hi).collect();
            BoxStats {
                group: name.clone(),
                rows: xs.len(),
                lower_whisker: inside.first().copied().unwrap_or(q1),
                q1,
                median,
                q3,
                upper_whisker: inside.last().copied().unwrap_or(q3),
                outliers: xs.len() - inside.len(),
            }
        })
        .collect()
}

/// Points of a scatter plot: at most [`MAX_POINTS`] rows with both numbers present, a uniform
/// sample (evenly spaced over a seeded shuffle) when there are more.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Scatter {
    pub x: Vec<f64>,
    pub y: Vec<f64>,
    /// The colour group of each point (an index into `groups`).
    pub group: Vec<u16>,
    pub groups: Vec<String>,
    /// Rows with both values present.
    pub total: usize,
}

pub fn scatter(x: &Column, y: &Column, by: &Groups, max_points: usize) -> Scatter {
    let (Values::Numeric(xv), Values::Numeric(yv)) = (&x.values, &y.values) else { return Scatter::default() };
    let rows: Vec<usize> = (0..xv.len()).filter(|&r| xv.get(r).is_some() && yv.get(r).is_some()).collect();
    let total = rows.len();
    let picked: Vec<usize> = if total <= max_points {
        rows
    } else {
        let mut rng = crate::util::Rng::new(7);
        let mut pick: Vec<usize> = rand_sample(&mut rng, total, max_points);
        pick.sort_unstable();
        pick.into_iter().map(|i| rows[i]).collect()
    };
    Scatter {
        x: picked.iter().map(|&r| xv.get(r).unwrap_or(f64::NAN)).collect(),
        y: picked.iter().map(|&r| yv.get(r).unwrap_or(f64::NAN)).collect(),
        group: picked.iter().map(|&r| by.of_row[r]).collect(),
        groups: by.names.clone(),
        total,
    }
}

/// `k` distinct indices below `n` (Floyd's algorithm).
fn rand_sample(rng: &mut crate::util::Rng, n: usize, k: usize) -> Vec<usize> {
    let mut chosen = std::collections::HashSet::with_capacity(k);
    for j in n - k..n {
        let t = rng.below(j + 1);
        if !chosen.insert(t) {
            chosen.insert(j);
        }
    }
    chosen.into_iter().collect()
}

/// Pairwise correlations of the numeric columns.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Correlations {
    pub columns: Vec<String>,
    /// `pearson[i][j]`, over the rows where both are present (NaN when undefined).
    pub pearson: Vec<Vec<f64>>,
    /// Spearman's rank correlation (ties get their average rank, as in scipy).
    pub spearman: Vec<Vec<f64>>,
    /// Rows used (a uniform sample of [`MAX_CORRELATION_ROWS`] when the table is larger).
    pub rows: usize,
    /// The strongest pairs by |Pearson r|, in words, strongest first (at most 5).
    pub strongest: Vec<String>,
}

/// Correlations of the numeric columns of `ds` except `exclude` (none: all), at most
/// [`MAX_CORRELATION_COLUMNS`] of them.
pub fn correlations(ds: &Dataset, exclude: &[&str]) -> Correlations {
    let cols: Vec<&Column> = ds
        .columns
        .iter()
        .filter(|c| matches!(c.values, Values::Numeric(_)) && !exclude.contains(&c.name.as_str()))
        .take(MAX_CORRELATION_COLUMNS)
        .collect();
    let n = ds.n_rows();
    let rows: Vec<usize> = if n > MAX_CORRELATION_ROWS {
        let mut rng = crate::util::Rng::new(11);
        let mut r = rand_sample(&mut rng, n, MAX_CORRELATION_ROWS);
        r.sort_unstable();
        r
    } else {
        (0..n).collect()
    };
    let values: Vec<Vec<f64>> = cols
        .iter()
        .map(|c| match &c.values {
            Values::Numeric(v) => rows.iter().map(|&r| v.get(r).unwrap_or(f64::NAN)).collect(),
            Values::Str(_) => vec![],
        })
        .collect();
    let ranks: Vec<Vec<f64>> = values.iter().map(|v| average_ranks(v)).collect();
    let k = cols.len();
    let mut pearson = vec![vec![f64::NAN; k]; k];
    let mut spearman = vec![vec![f64::NAN; k]; k];
    for i in 0..k {
        for j in i..k {
            let p = pearson_r(&values[i], &values[j]);
            // Spearman on the pairs both present: rank those pairs only (scipy's nan_policy='omit').
            let s = if values[i].iter().chain(&values[j]).any(|x| x.is_nan()) {
                let (a, b): (Vec<f64>, Vec<f64>) =
                    values[i].iter().zip(&values[j]).filter(|(a, b)| !a.is_nan() && !b.is_nan()).unzip();
                pearson_r(&average_ranks(&a), &average_ranks(&b))
            } else {
                pearson_r(&ranks[i], &ranks[j])
            };
            (pearson[i][j], pearson[j][i], spearman[i][j], spearman[j][i]) = (p, p, s, s);
        }
    }
    let names: Vec<String> = cols.iter().map(|c| c.name.clone()).collect();
    let strongest = strongest_pairs(&names, &pearson, 5);
    Correlations { columns: names, pearson, spearman, rows: rows.len(), strongest }
}

/// Pearson's r over the pairs where both values are present.
pub fn pearson_r(a: &[f64], b: &[f64]) -> f64 {
    let pairs = || a.iter().zip(b).filter(|(x, y)| !x.is_nan() && !y.is_nan());
    let n = pairs().count() as f64;
    if n < 2.0 {
        return f64::NAN;
    }
    let (ma, mb) = (pairs().map(|p| p.0).sum::<f64>() / n, pairs().map(|p| p.1).sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in pairs() {
        let (dx, dy) = (x - ma, y - mb);
        sab += dx * dy;
        saa += dx * dx;
        sbb += dy * dy;
    }
    if saa == 0.0 || sbb == 0.0 { f64::NAN } else { (sab / (saa * sbb).sqrt()).clamp(-1.0, 1.0) }
}

/// Ranks 1…n of the present values (ties: their average rank); missing values stay NaN.
pub fn average_ranks(v: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..v.len()).filter(|&i| !v[i].is_nan()).collect();
    order.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut ranks = vec![f64::NAN; v.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && v[order[j + 1]] == v[order[i]] {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        for &o in &order[i..=j] {
            ranks[o] = rank;
        }
        i = j + 1;
    }
    ranks
}

/// The `top` pairs with the largest |r|, as sentences.
fn strongest_pairs(names: &[String], r: &[Vec<f64>], top: usize) -> Vec<String> {
    let mut pairs: Vec<(usize, usize, f64)> = r
        .iter()
        .enumerate()
        .flat_map(|(i, row)| row.iter().enumerate().skip(i + 1).map(move |(j, &v)| (i, j, v)))
        .filter(|p| p.2.is_finite())
        .collect();
    pairs.sort_by(|a, b| b.2.abs().total_cmp(&a.2.abs()));
    pairs
        .into_iter()
        .take(top)
        .map(|(i, j, r)| {
            let (a, b) = (&names[i], &names[j]);
            // Judged on the value as printed, so the words agree with the number.
            let strength = match ((r * 100.0).round() / 100.0).abs() {
                x if x >= 0.8 => "strongly",
                x if x >= 0.5 => "clearly",
                x if x >= 0.3 => "somewhat",
                _ => "hardly",
            };
            if r >= 0.0 {
                format!("{a} and {b} {strength} move together, r = {r:.2}")
            } else {
                format!("{a} and {b} {strength} move in opposite directions, r = {r:.2}")
            }
        })
        .collect()
}

/// One condition of a selection: a number column between `min` (included) and `max`
/// (excluded), or a category column equal to one of `values`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RowCondition {
    pub column: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
}

impl RowCondition {
    /// In words: "median_income from 2.1 to 5.3", "ocean_proximity is INLAND or ISLAND".
    pub fn describe(&self) -> String {
        if !self.values.is_empty() {
            return format!("{} is {}", self.column, self.values.join(" or "));
        }
        match (self.min, self.max) {
            (Some(a), Some(b)) => format!("{} from {} to {}", self.column, short(a), short(b)),
            (Some(a), None) => format!("{} at least {}", self.column, short(a)),
            (None, Some(b)) => format!("{} below {}", self.column, short(b)),
            (None, None) => format!("{} is anything", self.column),
        }
    }

    fn matches(&self, column: &Column, row: usize) -> bool {
        if !self.values.is_empty() {
            return !column.values.is_missing(row) && self.values.contains(&column.values.display(row));
        }
        let x = match &column.values {
            Values::Numeric(v) => v.get(row),
            Values::Str(_) => column.values.display(row).trim().parse().ok(),
        };
        x.is_some_and(|x| self.min.is_none_or(|m| x >= m) && self.max.is_none_or(|m| x < m))
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the selection needs column '{0}', which the data does not have")]
pub struct NoColumn(pub String);

/// The rows of `ds` that meet every condition, in order.
pub fn select_rows(ds: &Dataset, conditions: &[RowCondition]) -> Result<Vec<usize>, NoColumn> {
    let cols: Vec<(&RowCondition, &Column)> = conditions
        .iter()
        .map(|c| ds.column(&c.column).map(|col| (c, col)).ok_or_else(|| NoColumn(c.column.clone())))
        .collect::<Result<_, _>>()?;
    Ok((0..ds.n_rows()).filter(|&r| cols.iter().all(|(c, col)| c.matches(col, r))).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(name: &str, v: &[f64]) -> Column {
        Column::numeric(name, v.iter().map(|&x| if x.is_nan() { None } else { Some(x) }).collect())
    }

    #[test]
    fn ranks_and_correlations_by_hand() {
        assert_eq!(
            average_ranks(&[10.0, 20.0, 20.0, 5.0, f64::NAN]).iter().take(4).copied().collect::<Vec<_>>(),
            [2.0, 3.5, 3.5, 1.0]
        );
        let a = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert!((pearson_r(&a, &[2.0, 4.0, 6.0, 8.0, 10.0]) - 1.0).abs() < 1e-12);
        assert!((pearson_r(&a, &[5.0, 4.0, 3.0, 2.0, 1.0]) + 1.0).abs() < 1e-12);
        // A monotone but curved relation: Spearman 1, Pearson below.
        let ds = Dataset::new("t", vec![num("x", &a), num("y", &[1.0, 4.0, 9.0, 16.0, 100.0])]).unwrap();
        let c = correlations(&ds, &[]);
        assert!((c.spearman[0][1] - 1.0).abs() < 1e-12 && c.pearson[0][1] < 0.95, "{c:?}");
        assert!(c.strongest[0].starts_with("x and y strongly move together"), "{:?}", c.strongest);
    }

    #[test]
    fn histogram_boxes_scatter_and_selection() {
        let xs: Vec<f64> = (0..100).map(f64::from).collect();
        let x = num("x", &xs);
        let g = Groups::of(&Column::strings(
            "g",
            (0..100).map(|i| Some(if i < 30 { "a".to_string() } else { "b".to_string() })).collect(),
        ));
        let h = histogram(&x, &g, 10);
        assert_eq!(h.groups, ["b", "a"], "largest group first");
        assert_eq!(h.totals(), vec![10; 10]);
        assert_eq!(h.counts[1][0], 10, "rows 0–9 are all in group a");
        // The last bar includes the largest value.
        let last = h.condition(9).unwrap();
        let ds = Dataset::new("t", vec![x.clone()]).unwrap();
        assert_eq!(select_rows(&ds, &[last]).unwrap(), (90..100).collect::<Vec<_>>());
        let b = boxes(&x, &g);
        assert_eq!((b[1].group.as_str(), b[1].rows, b[1].median), ("a", 30, 14.5));
        let s = scatter(&x, &x, &g, 40);
        assert_eq!((s.x.len(), s.total), (40, 100));
        assert!(s.x.windows(2).all(|w| w[0] < w[1]), "a sample in row order");
        assert!(select_rows(&ds, &[RowCondition { column: "nope".into(), ..Default::default() }]).is_err());
    }
}
