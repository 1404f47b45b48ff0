//! NumPy's legacy `RandomState` (Mersenne Twister MT19937 with `init_genrand` seeding), just the
//! parts scikit-learn's splitters use: `permutation`, `shuffle` and `choice(replace=False)`.
//! With it, `--seed 42` gives exactly the rows `train_test_split(..., random_state=42)` and
//! `KFold`/`StratifiedKFold(shuffle=True, random_state=42)` give, so Cairn's scores can be
//! compared with scikit-learn's row for row instead of "within split noise".

const N: usize = 624;
const M: usize = 397;

pub struct Mt19937 {
    state: [u32; N],
    index: usize,
}

impl Mt19937 {
    /// `np.random.RandomState(seed)` for a seed that fits in 32 bits (larger seeds are folded).
    pub fn new(seed: u64) -> Self {
        let seed = (seed ^ (seed >> 32)) as u32;
        let mut state = [0u32; N];
        state[0] = seed;
        for i in 1..N {
            let prev = state[i - 1];
            state[i] = 1_812_433_253u32.wrapping_mul(prev ^ (prev >> 30)).wrapping_add(i as u32);
        }
        Mt19937 { state, index: N }
    }

    fn generate(&mut self) {
        const UPPER: u32 = 0x8000_0000;
        const LOWER: u32 = 0x7fff_ffff;
        const MATRIX_A: u32 = 0x9908_b0df;
        for i in 0..N {
            let y = (self.state[i] & UPPER) | (self.state[(i + 1) % N] & LOWER);
            let mut v = self.state[(i + M) % N] ^ (y >> 1);
            if y & 1 == 1 {
                v ^= MATRIX_A;
            }
            self.state[i] = v;
        }
        self.index = 0;
    }

    pub fn next_u32(&mut self) -> u32 {
        if self.index >= N {
            self.generate();
        }
        let mut y = self.state[self.index];
        self.index += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    fn next_u64(&mut self) -> u64 {
        let hi = u64::from(self.next_u32());
        (hi << 32) | u64::from(self.next_u32())
    }

    /// Uniform in `0..=max` by masked rejection (NumPy's `random_interval`).
    pub fn interval(&mut self, max: u64) -> u64 {
        if max == 0 {
            return 0;
        }
        let mut mask = max;
        for s in [1, 2, 4, 8, 16, 32] {
            mask |= mask >> s;
        }
        loop {
            let v = if max <= u64::from(u32::MAX) { u64::from(self.next_u32()) & mask } else { self.next_u64() & mask };
            if v <= max {
                return v;
            }
        }
    }

    /// In-place Fisher–Yates from the end, as `RandomState.shuffle`.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.interval(i as u64) as usize;
            items.swap(i, j);
        }
    }

    /// `RandomState.permutation(n)`.
    pub fn permutation(&mut self, n: usize) -> Vec<usize> {
        let mut v: Vec<usize> = (0..n).collect();
        self.shuffle(&mut v);
        v
    }

    /// `RandomState.choice(items, size, replace=False)` (a permutation's first `size`).
    pub fn choice<T: Copy>(&mut self, items: &[T], size: usize) -> Vec<T> {
        self.permutation(items.len()).into_iter().take(size).map(|i| items[i]).collect()
    }

    /// Uniform float in [0, 1) with 53 random bits (`RandomState.random_sample`).
    pub fn next_f64(&mut self) -> f64 {
        let a = self.next_u32() >> 5;
        let b = self.next_u32() >> 6;
        (f64::from(a) * 67_108_864.0 + f64::from(b)) / 9_007_199_254_740_992.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_numpy_random_state_42() {
        // np.random.RandomState(42).permutation(10)
        assert_eq!(Mt19937::new(42).permutation(10), vec![8, 1, 5, 0, 7, 2, 9, 4, 3, 6]);
        // np.random.RandomState(42).random_sample()
        assert!((Mt19937::new(42).next_f64() - 0.3745401188473625).abs() < 1e-16);
    }
}
