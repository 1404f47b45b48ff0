//! Compressed sparse rows: the form TF-IDF features take for the linear solvers.

use ndarray::Array2;
use serde::{Deserialize, Serialize};

/// Compressed sparse rows of a dense matrix (zeros dropped).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Csr {
    indptr: Vec<usize>,
    indices: Vec<u32>,
    values: Vec<f64>,
    pub ncols: usize,
}

impl Csr {
    pub fn from_dense(x: &Array2<f64>) -> Csr {
        let mut indptr = Vec::with_capacity(x.nrows() + 1);
        let mut indices = Vec::new();
        let mut values = Vec::new();
        indptr.push(0);
        for row in x.rows() {
            for (j, &v) in row.iter().enumerate() {
                if v != 0.0 {
                    indices.push(j as u32);
                    values.push(v);
                }
            }
            indptr.push(indices.len());
        }
        Csr { indptr, indices, values, ncols: x.ncols() }
    }

    /// Builds rows from (row, column, value) cells given in column order within each row;
    /// zeros are dropped.
    pub fn from_cells(nrows: usize, ncols: usize, cells: &[(usize, usize, f64)]) -> Csr {
        let mut counts = vec![0usize; nrows + 1];
        for &(r, _, v) in cells {
            if v != 0.0 {
                counts[r + 1] += 1;
            }
        }
        for r in 0..nrows {
            counts[r + 1] += counts[r];
        }
        let indptr = counts.clone();
        let nnz = counts[nrows];
        let mut indices = vec![0u32; nnz];
        let mut values = vec![0.0; nnz];
        let mut next = counts;
        for &(r, j, v) in cells {
            if v != 0.0 {
                indices[next[r]] = j as u32;
                values[next[r]] = v;
                next[r] += 1;
            }
        }
        Csr { indptr, indices, values, ncols }
    }

    pub fn nrows(&self) -> usize {
        self.indptr.len() - 1
    }

    pub fn row(&self, i: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        let r = self.indptr[i]..self.indptr[i + 1];
        self.indices[r.clone()].iter().map(|&j| j as usize).zip(self.values[r].iter().copied())
    }

    /// The value at row `i`, column `j` (0 when not stored).
    pub fn get(&self, i: usize, j: usize) -> f64 {
        let r = self.indptr[i]..self.indptr[i + 1];
        match self.indices[r.clone()].binary_search(&(j as u32)) {
            Ok(k) => self.values[r.start + k],
            Err(_) => 0.0,
        }
    }

    pub fn nnz(&self) -> usize {
        self.values.len()
    }

    /// Xᵀu for a vector with one entry per row.
    pub fn t_dot(&self, u: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; self.ncols];
        for (i, &ui) in u.iter().enumerate().take(self.nrows()) {
            if ui != 0.0 {
                for (j, v) in self.row(i) {
                    out[j] += v * ui;
                }
            }
        }
        out
    }

    /// The same matrix by columns: for each column, its (row, value) cells in row order.
    pub fn columns(&self) -> Vec<Vec<(u32, f64)>> {
        let mut cols = vec![Vec::new(); self.ncols];
        for i in 0..self.nrows() {
            for (j, v) in self.row(i) {
                cols[j].push((i as u32, v));
            }
        }
        cols
    }

    /// Rows `rows` of this matrix, in that order.
    pub fn take_rows(&self, rows: &[usize]) -> Csr {
        let mut indptr = Vec::with_capacity(rows.len() + 1);
        let mut indices = Vec::new();
        let mut values = Vec::new();
        indptr.push(0);
        for &r in rows {
            let span = self.indptr[r]..self.indptr[r + 1];
            indices.extend_from_slice(&self.indices[span.clone()]);
            values.extend_from_slice(&self.values[span]);
            indptr.push(indices.len());
        }
        Csr { indptr, indices, values, ncols: self.ncols }
    }

    /// Squared length of every row.
    pub fn row_norms2(&self) -> Vec<f64> {
        (0..self.nrows()).map(|i| self.row(i).map(|(_, v)| v * v).sum()).collect()
    }
}
