//! Seeded train/test splits (stratified by class for classification).

/// SplitMix64: a small, fast, portable generator, so a seed gives the same split everywhere.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }

    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

/// Splits `0..n` into (train, test) row indices, both sorted. With `classes`, every class is
/// split in the same proportion (stratified), so rare classes appear on both sides.
pub fn train_test_split(n: usize, classes: Option<&[usize]>, test_size: f64, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut rng = Rng::new(seed);
    let mut train = Vec::with_capacity(n);
    let mut test = Vec::with_capacity((n as f64 * test_size) as usize + 1);
    match classes {
        Some(labels) => {
            let k = labels.iter().copied().max().map_or(0, |m| m + 1);
            let mut groups: Vec<Vec<usize>> = vec![Vec::new(); k];
            for (i, &c) in labels.iter().enumerate() {
                groups[c].push(i);
            }
            // Share of the test rows per class, by largest remainder so the total is exact.
            let n_test = ((n as f64) * test_size).round() as usize;
            let quotas: Vec<f64> = groups.iter().map(|g| g.len() as f64 * n_test as f64 / n as f64).collect();
            let mut take: Vec<usize> = quotas.iter().map(|q| q.floor() as usize).collect();
            let mut order: Vec<usize> = (0..k).collect();
            order.sort_by(|&a, &b| (quotas[b] - quotas[b].floor()).total_cmp(&(quotas[a] - quotas[a].floor())));
            let mut missing = n_test.saturating_sub(take.iter().sum());
            for &c in &order {
                if missing == 0 {
                    break;
                }
                if take[c] < groups[c].len() {
                    take[c] += 1;
                    missing -= 1;
                }
            }
            for (c, mut g) in groups.into_iter().enumerate() {
                rng.shuffle(&mut g);
                test.extend_from_slice(&g[..take[c]]);
                train.extend_from_slice(&g[take[c]..]);
            }
        }
        None => {
            let mut idx: Vec<usize> = (0..n).collect();
            rng.shuffle(&mut idx);
            let n_test = ((n as f64) * test_size).round() as usize;
            test.extend_from_slice(&idx[..n_test]);
            train.extend_from_slice(&idx[n_test..]);
        }
    }
    train.sort_unstable();
    test.sort_unstable();
    (train, test)
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
