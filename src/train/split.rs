//! Seeded train/test splits and k folds (stratified by class for classification), row for row
//! the same as scikit-learn's. (The models' own generator is [`crate::util::Rng`].)

use super::mt::Mt19937;

/// A time-ordered split: rows sorted by `column` (dates like 2024-03-31 14:05, or numbers),
/// the earliest `1 − test_size` share trains and the latest is the test. Both lists are in
/// time order. A row whose time is missing or unreadable is an error naming it.
pub fn time_split(
    ds: &crate::data::Dataset,
    column: &str,
    test_size: f64,
) -> Result<(Vec<usize>, Vec<usize>), super::TrainError> {
    use crate::data::Values;
    let col = ds.require(column)?;
    // Dates are read in the one layout of the column; a row that breaks it is named below.
    let format = match &col.values {
        Values::Str(v) => match crate::data::detect_column((0..ds.n_rows()).filter_map(|r| v.get(r).map(|s| (r, s)))) {
            Ok(f) => Some(f),
            Err(crate::data::DateProblem::Empty) => None,
            Err(crate::data::DateProblem::NotADate { row, text }) => {
                return Err(super::TrainError::Config(format!(
                    "time split: row {} of '{column}' holds '{text}', which is not a date or a number",
                    row + 1
                )));
            }
            Err(problem) => return Err(super::TrainError::Config(format!("time split on '{column}': {problem}"))),
        },
        Values::Numeric(_) => None,
    };
    let mut keyed: Vec<(f64, usize)> = Vec::with_capacity(ds.n_rows());
    for r in 0..ds.n_rows() {
        let key = match &col.values {
            Values::Numeric(v) => v.get(r),
            Values::Str(v) => v.get(r).and_then(|s| format?.parse(s)).map(|d| d.order_key()),
        };
        let key = key.ok_or_else(|| {
            super::TrainError::Config(format!(
                "time split: row {} of '{column}' holds '{}', which is not a date or a number",
                r + 1,
                col.values.display(r)
            ))
        })?;
        keyed.push((key, r));
    }
    keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let n_test = ((ds.n_rows() as f64) * test_size).ceil() as usize;
    let cut = ds.n_rows().saturating_sub(n_test);
    let rows: Vec<usize> = keyed.into_iter().map(|k| k.1).collect();
    Ok((rows[..cut].to_vec(), rows[cut..].to_vec()))
}

/// `train_test_split(test_size=..., random_state=seed, stratify=classes)` does (same rows, same
/// order), so a score can be compared with scikit-learn's on identical rows. With `classes`,
/// every class is split in the same proportion (stratified), so rare classes appear on both sides.
pub fn train_test_split(n: usize, classes: Option<&[usize]>, test_size: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut rng = Mt19937::new(seed);
    let n_test = ((test_size * n as f64).ceil() as usize).min(n);
    let n_train = n - n_test;
    match classes {
        None => {
            let perm = rng.permutation(n);
            (perm[n_test..].to_vec(), perm[..n_test].to_vec())
        }
        Some(labels) => {
            let k = labels.iter().copied().max().map_or(0, |m| m + 1);
            let mut groups: Vec<Vec<usize>> = vec![Vec::new(); k];
            for (i, &c) in labels.iter().enumerate() {
                groups[c].push(i);
            }
            let groups: Vec<Vec<usize>> = groups.into_iter().filter(|g| !g.is_empty()).collect();
            let counts: Vec<usize> = groups.iter().map(Vec::len).collect();
            let n_i = approximate_mode(&counts, n_train, &mut rng);
            let remaining: Vec<usize> = counts.iter().zip(&n_i).map(|(c, t)| c - t).collect();
            let t_i = approximate_mode(&remaining, n_test, &mut rng);
            let mut train = Vec::with_capacity(n_train);
            let mut test = Vec::with_capacity(n_test);
            for (g, group) in groups.iter().enumerate() {
                let perm = rng.permutation(group.len());
                let rows: Vec<usize> = perm.iter().map(|&p| group[p]).collect();
                train.extend_from_slice(&rows[..n_i[g]]);
                test.extend_from_slice(&rows[n_i[g]..n_i[g] + t_i[g]]);
            }
            rng.shuffle(&mut train);
            rng.shuffle(&mut test);
            (train, test)
        }
    }
}

/// scikit-learn's `_approximate_mode`: how many of `n_draws` rows each class gets, in
/// proportion, ties in the remainders broken at random.
fn approximate_mode(counts: &[usize], n_draws: usize, rng: &mut Mt19937) -> Vec<usize> {
    let total = counts.iter().sum::<usize>().max(1) as f64;
    let continuous: Vec<f64> = counts.iter().map(|&c| c as f64 / total * n_draws as f64).collect();
    let mut floored: Vec<usize> = continuous.iter().map(|c| c.floor() as usize).collect();
    let mut need = n_draws.saturating_sub(floored.iter().sum());
    if need > 0 {
        let remainder: Vec<f64> = continuous.iter().map(|c| c - c.floor()).collect();
        let mut values = remainder.clone();
        values.sort_by(|a, b| b.total_cmp(a));
        values.dedup();
        for value in values {
            let inds: Vec<usize> = (0..remainder.len()).filter(|&i| remainder[i] == value).collect();
            let add_now = inds.len().min(need);
            for i in rng.choice(&inds, add_now) {
                floored[i] += 1;
            }
            need -= add_now;
            if need == 0 {
                break;
            }
        }
    }
    floored
}

/// Test-fold positions for `k`-fold cross-validation of `n` rows, as scikit-learn's
/// `KFold(shuffle=True, random_state=seed)` or, with `classes`, `StratifiedKFold(...)`.
/// Each fold is returned sorted.
pub fn kfold(n: usize, k: usize, classes: Option<&[usize]>, seed: u64) -> Vec<Vec<usize>> {
    let mut rng = Mt19937::new(seed);
    let mut folds = vec![Vec::new(); k];
    match classes {
        None => {
            let mut idx: Vec<usize> = (0..n).collect();
            rng.shuffle(&mut idx);
            let mut start = 0;
            for (f, fold) in folds.iter_mut().enumerate() {
                let size = n / k + usize::from(f < n % k);
                fold.extend_from_slice(&idx[start..start + size]);
                start += size;
            }
        }
        Some(labels) => {
            // Classes numbered by first appearance, as StratifiedKFold does.
            let mut order: Vec<usize> = Vec::new();
            let mut code = vec![usize::MAX; labels.iter().copied().max().map_or(0, |m| m + 1)];
            let encoded: Vec<usize> = labels
                .iter()
                .map(|&c| {
                    if code[c] == usize::MAX {
                        code[c] = order.len();
                        order.push(c);
                    }
                    code[c]
                })
                .collect();
            let n_classes = order.len();
            let mut sorted = encoded.clone();
            sorted.sort_unstable();
            // allocation[f][c]: rows of class c in fold f, dealt from the sorted labels.
            let mut allocation = vec![vec![0usize; n_classes]; k];
            for (pos, &c) in sorted.iter().enumerate() {
                allocation[pos % k][c] += 1;
            }
            let mut test_fold = vec![0usize; n];
            for c in 0..n_classes {
                let mut fold_of: Vec<usize> =
                    allocation.iter().enumerate().flat_map(|(f, a)| std::iter::repeat_n(f, a[c])).collect();
                rng.shuffle(&mut fold_of);
                let rows = (0..n).filter(|&i| encoded[i] == c);
                for (i, f) in rows.zip(fold_of) {
                    test_fold[i] = f;
                }
            }
            for (i, f) in test_fold.into_iter().enumerate() {
                folds[f].push(i);
            }
        }
    }
    for f in &mut folds {
        f.sort_unstable();
    }
    folds
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected rows printed by scikit-learn 1.9.1 for the same calls.
    #[test]
    fn same_rows_as_scikit_learn() {
        let y: Vec<usize> = (0..150).map(|i| i / 50).collect();
        let (train, test) = train_test_split(150, Some(&y), 0.2, 42);
        assert_eq!(
            test,
            [
                38, 127, 57, 93, 42, 56, 22, 20, 147, 84, 107, 141, 104, 51, 7, 49, 14, 69, 63, 138, 10, 140, 58, 134,
                132, 77, 75, 18, 116, 28
            ]
        );
        assert_eq!(train[..10], [8, 106, 76, 9, 89, 146, 94, 133, 135, 117]);
        let y2: Vec<usize> = (0..97).map(|i| usize::from(i % 3 == 0)).collect();
        let (_, test) = train_test_split(97, Some(&y2), 0.25, 7);
        assert_eq!(
            test,
            [92, 71, 3, 13, 75, 57, 5, 81, 15, 64, 86, 82, 12, 27, 22, 43, 51, 70, 40, 29, 35, 38, 7, 96, 59]
        );
        let (train, test) = train_test_split(20, None, 0.2, 42);
        assert_eq!(test, [0, 17, 15, 1]);
        assert_eq!(train, [8, 5, 11, 3, 18, 16, 13, 2, 9, 19, 4, 12, 7, 10, 14, 6]);
        assert_eq!(kfold(12, 5, None, 42), vec![vec![0, 9, 10], vec![2, 5, 8], vec![1, 11], vec![4, 7], vec![3, 6]]);
        let yy = [2, 0, 1, 1, 0, 2, 2, 2, 0, 1, 1, 1, 0, 0, 2, 1];
        assert_eq!(
            kfold(16, 3, Some(&yy), 42),
            vec![vec![0, 3, 4, 7, 9, 12], vec![2, 6, 8, 14, 15], vec![1, 5, 10, 11, 13]]
        );
    }

    #[test]
    fn split_is_a_seeded_partition() {
        let (a, b) = train_test_split(100, None, 0.2, 42);
        assert_eq!((a.len(), b.len()), (80, 20));
        let mut all: Vec<usize> = a.iter().chain(&b).copied().collect();
        all.sort();
        assert_eq!(all, (0..100).collect::<Vec<_>>());
        assert_eq!(train_test_split(100, None, 0.2, 42), (a, b.clone()));
        assert_ne!(train_test_split(100, None, 0.2, 7).1, b);
    }

    #[test]
    fn stratified_keeps_proportions() {
        let labels: Vec<usize> = (0..1000).map(|i| usize::from(i % 10 == 0)).collect();
        let (_, test) = train_test_split(1000, Some(&labels), 0.2, 1);
        assert_eq!(test.len(), 200);
        assert_eq!(test.iter().filter(|&&i| labels[i] == 1).count(), 20);
        let folds = kfold(100, 5, Some(&labels[..100]), 42);
        for f in &folds {
            assert_eq!(f.len(), 20);
            assert_eq!(f.iter().filter(|&&i| labels[i] == 1).count(), 2);
        }
    }

    #[test]
    fn time_split_reads_a_date_column_in_one_layout() {
        use crate::data::{Column, Dataset};
        let ds = |cells: &[&str]| {
            let col = Column::strings("when", cells.iter().map(|s| Some(s.to_string())).collect());
            Dataset::new("t", vec![col]).unwrap()
        };
        // Month-first (04/25 shows it), so 04/05 is 5 April, before 25 April; a per-cell guess
        // read it as 4 May, the latest.
        let (train, test) = time_split(&ds(&["04/05/2024", "04/25/2024", "04/01/2024"]), "when", 0.3).unwrap();
        assert_eq!((train, test), (vec![2, 0], vec![1]));
        let err = time_split(&ds(&["25/04/2024", "04/25/2024"]), "when", 0.5).unwrap_err().to_string();
        assert!(err.contains("row 2") && err.contains("row 1"), "{err}");
    }
}
