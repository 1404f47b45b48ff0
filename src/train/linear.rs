//! Linear regression family: ordinary least squares (linfa), ridge (conjugate gradient on the
//! normal equations) and lasso / elastic net (coordinate descent with scikit-learn's duality-gap
//! stopping rule). All centre the data implicitly, so sparse TF-IDF rows stay sparse, and leave
//! the intercept unpenalised, as scikit-learn does.

use super::TrainError;
use crate::features::Csr;
use linfa::prelude::*;
use linfa_linalg::eigh::EighInto;
use linfa_linear::LinearRegression;
use ndarray::{Array1, Array2, Axis};

/// Most features solved through the Gram matrix; wider problems go to linfa's QR solver.
const GRAM_MAX_FEATURES: usize = 400;

/// Ordinary least squares with an intercept: the minimum-norm least-squares solution, as
/// scikit-learn's `LinearRegression` (LAPACK `gelsd`) gives. Columns that are exact linear
/// combinations of others (e.g. a full one-hot block next to the intercept) share their
/// weight; predictions are those of any least-squares fit. Returns (coef, intercept).
///
/// Up to [`GRAM_MAX_FEATURES`] features it solves the centred normal equations XᵀX w = Xᵀy
/// through linfa-linalg's symmetric eigendecomposition, dropping directions whose eigenvalue
/// is numerically zero (a pseudo-inverse): one pass over the rows, so it is several times
/// faster than a QR of the whole matrix. Wider problems use linfa-linear's solver on the
/// columns that add a new direction.
pub fn fit_ols(x: &Array2<f64>, y: &Array1<f64>) -> Result<(Vec<f64>, f64), TrainError> {
    let (n, p) = x.dim();
    if n == 0 {
        return Err(TrainError::Fit("linear regression: no rows".into()));
    }
    if p > GRAM_MAX_FEATURES {
        return fit_ols_linfa(x, y);
    }
    // One pass over the rows for the column means, one for the centred XᵀX (upper
    // triangle) and Xᵀy: plain loops over the row-major rows, no centred copy.
    let x = x.as_standard_layout();
    let Some(buf) = x.as_slice() else { return fit_ols_linfa(&x.to_owned(), y) };
    let mut mean = Array1::<f64>::zeros(p);
    for row in buf.chunks_exact(p) {
        mean.iter_mut().zip(row).for_each(|(m, v)| *m += v);
    }
    mean.mapv_inplace(|m| m / n as f64);
    let y_mean = y.sum() / n as f64;
    let mut gram = Array2::<f64>::zeros((p, p));
    let mut xty = Array1::<f64>::zeros(p);
    let mut centred = vec![0.0; p];
    {
        let Some(g) = gram.as_slice_mut() else { return fit_ols_linfa(&x.to_owned(), y) };
        for (row, &yi) in buf.chunks_exact(p).zip(y.iter()) {
            centred.iter_mut().zip(row.iter().zip(mean.iter())).for_each(|(c, (v, m))| *c = v - m);
            let yc = yi - y_mean;
            for j in 0..p {
                let cj = centred[j];
                xty[j] += cj * yc;
                for (gk, ck) in g[j * p + j..(j + 1) * p].iter_mut().zip(&centred[j..]) {
                    *gk += cj * ck;
                }
            }
        }
        for j in 0..p {
            for k in 0..j {
                g[j * p + k] = g[k * p + j];
            }
        }
    }
    let (values, vectors) = gram.eigh_into().map_err(|e| TrainError::Fit(format!("linear regression: {e}")))?;
    let largest = values.iter().copied().fold(0.0, f64::max);
    // Eigenvalues of XᵀX are squared singular values: keep those above the Gram matrix's own
    // rounding error.
    let cutoff = largest * (p.max(1) as f64) * 1e-12;
    let mut coef = Array1::<f64>::zeros(p);
    for (k, &lambda) in values.iter().enumerate() {
        if lambda > cutoff {
            let v = vectors.column(k);
            coef.scaled_add(v.dot(&xty) / lambda, &v);
        }
    }
    let intercept = y_mean - coef.dot(&mean);
    finite(coef.to_vec(), intercept, "linear regression")
}

/// Ordinary least squares on sparse rows (one-hot and TF-IDF columns stay sparse). Up to
/// [`GRAM_MAX_FEATURES`] features the rows are made dense for [`fit_ols`] (the same numbers);
/// wider problems are solved by conjugate gradient on the normal equations from zero, whose
/// iterates stay in the row space, so it converges to the minimum-norm solution scikit-learn's
/// `LinearRegression` gives — in about a second for 20 000 rows × 16 000 one-hot columns,
/// where a dense QR takes minutes.
pub fn fit_ols_sparse(x: &Csr, y: &[f64]) -> Result<(Vec<f64>, f64), TrainError> {
    if x.ncols <= GRAM_MAX_FEATURES {
        let mut dense = Array2::<f64>::zeros((x.nrows(), x.ncols));
        for i in 0..x.nrows() {
            for (j, v) in x.row(i) {
                dense[[i, j]] = v;
            }
        }
        return fit_ols(&dense, &Array1::from(y.to_vec()));
    }
    let (w, b) = fit_ridge(x, y, 0.0)?;
    finite(w, b, "linear regression")
}

/// The wide-matrix path: linfa-linear's least squares on the independent columns.
fn fit_ols_linfa(x: &Array2<f64>, y: &Array1<f64>) -> Result<(Vec<f64>, f64), TrainError> {
    let keep = independent_columns(x);
    let xs = x.select(Axis(1), &keep);
    let fitted = LinearRegression::new()
        .fit(&Dataset::new(xs, y.clone()))
        .map_err(|e| TrainError::Fit(format!("linear regression: {e}")))?;
    let mut coef = vec![0.0; x.ncols()];
    for (w, &j) in fitted.params().iter().zip(&keep) {
        coef[j] = *w;
    }
    finite(coef, fitted.intercept(), "linear regression")
}

fn finite(coef: Vec<f64>, intercept: f64, what: &str) -> Result<(Vec<f64>, f64), TrainError> {
    if coef.iter().any(|w| !w.is_finite()) || !intercept.is_finite() {
        return Err(TrainError::Fit(format!("{what} diverged (non-finite weights)")));
    }
    Ok((coef, intercept))
}

/// Greedy Gram–Schmidt over the columns (after a constant column for the intercept): keeps a
/// column only if it adds a new direction.
fn independent_columns(x: &Array2<f64>) -> Vec<usize> {
    let n = x.nrows();
    let mut basis: Vec<Array1<f64>> = vec![Array1::from_elem(n, 1.0 / (n.max(1) as f64).sqrt())];
    let mut keep = Vec::with_capacity(x.ncols());
    for j in 0..x.ncols() {
        let mut v = x.column(j).to_owned();
        let norm0 = v.dot(&v).sqrt();
        if norm0 == 0.0 {
            continue;
        }
        for b in &basis {
            let d = v.dot(b);
            v.scaled_add(-d, b);
        }
        let norm = v.dot(&v).sqrt();
        if norm > 1e-8 * norm0 {
            basis.push(v / norm);
            keep.push(j);
        }
    }
    keep
}

/// Column means and the centred target.
fn centre(x: &Csr, y: &[f64]) -> (Vec<f64>, f64) {
    let n = x.nrows() as f64;
    let mut mean = vec![0.0; x.ncols];
    for i in 0..x.nrows() {
        for (j, v) in x.row(i) {
            mean[j] += v;
        }
    }
    mean.iter_mut().for_each(|m| *m /= n);
    (mean, y.iter().sum::<f64>() / n)
}

/// Ridge regression, min ‖y − Xw − b‖² + α‖w‖², solved by conjugate gradient on
/// (XcᵀXc + αI) w = Xcᵀyc with Xc the implicitly centred rows.
pub fn fit_ridge(x: &Csr, y: &[f64], alpha: f64) -> Result<(Vec<f64>, f64), TrainError> {
    let p = x.ncols;
    let (mean, y_mean) = centre(x, y);
    // A v for the normal equations: Xcᵀ(Xc v) + α v.
    let apply = |v: &[f64]| -> Vec<f64> {
        let mv: f64 = mean.iter().zip(v).map(|(m, w)| m * w).sum();
        let xv: Vec<f64> = (0..x.nrows()).map(|i| x.row(i).map(|(j, a)| a * v[j]).sum::<f64>() - mv).collect();
        let mut out = x.t_dot(&xv);
        let s: f64 = xv.iter().sum();
        for j in 0..p {
            out[j] += alpha * v[j] - mean[j] * s;
        }
        out
    };
    let yc: Vec<f64> = y.iter().map(|v| v - y_mean).collect();
    let mut b = x.t_dot(&yc);
    let s: f64 = yc.iter().sum();
    b.iter_mut().zip(&mean).for_each(|(bj, m)| *bj -= m * s);
    let w = conjugate_gradient(apply, &b, p.max(10) * 4, 1e-10);
    let intercept = y_mean - mean.iter().zip(&w).map(|(m, w)| m * w).sum::<f64>();
    finite(w, intercept, "ridge regression")
}

/// Solves A w = b for a symmetric positive (semi-)definite A given as a product.
fn conjugate_gradient(apply: impl Fn(&[f64]) -> Vec<f64>, b: &[f64], max_iter: usize, tol: f64) -> Vec<f64> {
    let p = b.len();
    let mut w = vec![0.0; p];
    let mut r = b.to_vec();
    let mut d = r.clone();
    let b_norm = b.iter().map(|v| v * v).sum::<f64>().sqrt().max(1e-300);
    let mut rr: f64 = r.iter().map(|v| v * v).sum();
    for _ in 0..max_iter {
        if rr.sqrt() <= tol * b_norm {
            break;
        }
        let ad = apply(&d);
        let dad: f64 = d.iter().zip(&ad).map(|(a, b)| a * b).sum();
        if dad <= 0.0 {
            break;
        }
        let step = rr / dad;
        for j in 0..p {
            w[j] += step * d[j];
            r[j] -= step * ad[j];
        }
        let rr_new: f64 = r.iter().map(|v| v * v).sum();
        let beta = rr_new / rr;
        rr = rr_new;
        for j in 0..p {
            d[j] = r[j] + beta * d[j];
        }
    }
    w
}

/// Elastic net (lasso when `l1_ratio` = 1), scikit-learn's objective
/// 1/(2n)‖y − Xw − b‖² + α·l1_ratio‖w‖₁ + α(1 − l1_ratio)/2 ‖w‖², by cyclic coordinate descent
/// until the duality gap is below `tol`·‖yc‖² (at most `max_iter` sweeps).
pub fn fit_elastic_net(
    x: &Csr,
    y: &[f64],
    alpha: f64,
    l1_ratio: f64,
    max_iter: usize,
    tol: f64,
) -> Result<(Vec<f64>, f64), TrainError> {
    let n = x.nrows();
    let p = x.ncols;
    let (mean, y_mean) = centre(x, y);
    let cols = x.columns();
    let l1 = alpha * l1_ratio * n as f64;
    let l2 = alpha * (1.0 - l1_ratio) * n as f64;
    // Centred column norms: ‖x_j‖² − n m_j².
    let norms: Vec<f64> = (0..p)
        .map(|j| (cols[j].iter().map(|(_, v)| v * v).sum::<f64>() - n as f64 * mean[j] * mean[j]).max(0.0))
        .collect();
    // Residual r = yc − Xc w, kept as r̃ + c (r̃ sparse-updated, c the centring offset).
    let yc: Vec<f64> = y.iter().map(|v| v - y_mean).collect();
    let mut r = yc.clone();
    let mut c = 0.0;
    let mut w = vec![0.0; p];
    let y_norm2: f64 = yc.iter().map(|v| v * v).sum();
    let col_dot = |j: usize, r: &[f64], c: f64, sum_r: f64| -> f64 {
        // (x_j − m_j)·(r̃ + c) = x_j·r̃ + c Σx_j − m_j (Σr̃ + n c)
        let xr: f64 = cols[j].iter().map(|&(i, v)| v * r[i as usize]).sum();
        let sx = mean[j] * n as f64;
        xr + c * sx - mean[j] * (sum_r + n as f64 * c)
    };
    for _ in 0..max_iter {
        let mut sum_r: f64 = r.iter().sum();
        let (mut max_dw, mut max_w) = (0.0f64, 0.0f64);
        for j in 0..p {
            if norms[j] == 0.0 {
                continue;
            }
            let old = w[j];
            let rho = col_dot(j, &r, c, sum_r) + old * norms[j];
            let new = rho.signum() * (rho.abs() - l1).max(0.0) / (norms[j] + l2);
            if new != old {
                let d = new - old;
                for &(i, v) in &cols[j] {
                    r[i as usize] -= d * v;
                    sum_r -= d * v;
                }
                c += d * mean[j];
                w[j] = new;
            }
            max_dw = max_dw.max((new - old).abs());
            max_w = max_w.max(new.abs());
        }
        if max_w == 0.0 || max_dw / max_w < tol {
            // Duality gap, as scikit-learn's cd_fast computes it.
            let sum_r: f64 = r.iter().sum();
            let res: Vec<f64> = r.iter().map(|v| v + c).collect();
            let xta: Vec<f64> = (0..p).map(|j| col_dot(j, &r, c, sum_r) - l2 * w[j]).collect();
            let dual_norm = xta.iter().fold(0.0f64, |a, v| a.max(v.abs()));
            let r_norm2: f64 = res.iter().map(|v| v * v).sum();
            let w_norm2: f64 = w.iter().map(|v| v * v).sum();
            let (konst, mut gap) = if dual_norm > l1 {
                let k = l1 / dual_norm;
                (k, 0.5 * (r_norm2 + r_norm2 * k * k))
            } else {
                (1.0, r_norm2)
            };
            let ry: f64 = res.iter().zip(&yc).map(|(a, b)| a * b).sum();
            gap +=
                l1 * w.iter().map(|v| v.abs()).sum::<f64>() - konst * ry + 0.5 * l2 * (1.0 + konst * konst) * w_norm2;
            if gap < tol * y_norm2 {
                break;
            }
        }
    }
    let intercept = y_mean - mean.iter().zip(&w).map(|(m, w)| m * w).sum::<f64>();
    finite(w, intercept, "elastic net")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> (Array2<f64>, Vec<f64>) {
        let x = Array2::from_shape_fn((50, 3), |(i, j)| ((i * (j + 3)) % 7) as f64 + (j as f64) * 0.1 * i as f64);
        let y: Vec<f64> = x.rows().into_iter().map(|r| 2.0 * r[0] - r[1] + 0.5 * r[2] + 3.0).collect();
        (x, y)
    }

    #[test]
    fn ridge_with_no_penalty_is_least_squares_and_penalty_shrinks() {
        let (x, y) = data();
        let (w, b) = fit_ridge(&Csr::from_dense(&x), &y, 0.0).unwrap();
        assert!((w[0] - 2.0).abs() < 1e-6 && (w[1] + 1.0).abs() < 1e-6 && (b - 3.0).abs() < 1e-5, "{w:?} {b}");
        let (w2, _) = fit_ridge(&Csr::from_dense(&x), &y, 100.0).unwrap();
        assert!(w2.iter().map(|v| v * v).sum::<f64>() < w.iter().map(|v| v * v).sum::<f64>());
    }

    #[test]
    fn lasso_drops_weights_and_tiny_alpha_is_least_squares() {
        let (x, y) = data();
        let csr = Csr::from_dense(&x);
        let (w, b) = fit_elastic_net(&csr, &y, 1e-8, 1.0, 10_000, 1e-10).unwrap();
        assert!((w[0] - 2.0).abs() < 1e-4 && (b - 3.0).abs() < 1e-3, "{w:?} {b}");
        let (w, _) = fit_elastic_net(&csr, &y, 5.0, 1.0, 1000, 1e-4).unwrap();
        assert!(w.contains(&0.0), "a strong L1 penalty zeroes some weight: {w:?}");
    }

    #[test]
    fn gram_path_matches_linfa_and_is_minimum_norm() {
        // Three numbers plus a full one-hot block (collinear with the intercept) and a copy
        // of the first column.
        let (x, y) = data();
        let x = Array2::from_shape_fn((50, 7), |(i, j)| match j {
            0..3 => x[[i, j]],
            3..6 => f64::from(u8::from(i % 3 == j - 3)),
            _ => x[[i, 0]],
        });
        let y: Vec<f64> = y.iter().enumerate().map(|(i, v)| v + [1.0, -2.0, 0.5][i % 3]).collect();
        let y = Array1::from(y);
        let (w, b) = fit_ols(&x, &y).unwrap();
        let (wl, bl) = fit_ols_linfa(&x, &y).unwrap();
        let predict = |w: &[f64], b: f64| x.dot(&Array1::from(w.to_vec())) + b;
        let (p, pl) = (predict(&w, b), predict(&wl, bl));
        for i in 0..50 {
            assert!((p[i] - y[i]).abs() < 1e-8 && (p[i] - pl[i]).abs() < 1e-8, "row {i}: {} {} {}", p[i], pl[i], y[i]);
        }
        // Minimum norm: the duplicated column shares the weight 2 equally; the one-hot
        // weights sum to zero (the intercept carries their mean).
        assert!((w[0] - 1.0).abs() < 1e-8 && (w[6] - 1.0).abs() < 1e-8, "{w:?}");
        assert!((w[3] + w[4] + w[5]).abs() < 1e-8, "{w:?}");
    }

    #[test]
    fn wide_sparse_least_squares_matches_the_dense_solution_and_interpolates_when_wider_than_tall() {
        // 2 000 rows: two numbers and a 600-level one-hot code (more than GRAM_MAX_FEATURES
        // columns, so conjugate gradient on sparse rows) against the dense solver.
        let mut rng = crate::util::Rng::new(3);
        let (n, levels) = (2000, 600);
        let code: Vec<usize> = (0..n).map(|i| if i < levels { i } else { rng.below(levels) }).collect();
        let effect: Vec<f64> = (0..levels).map(|_| rng.symmetric_f32() as f64 * 5.0).collect();
        let x = Array2::from_shape_fn((n, levels + 2), |(i, j)| match j {
            0 => (i % 17) as f64,
            1 => ((i * 7) % 23) as f64 / 3.0,
            j => f64::from(u8::from(code[i] == j - 2)),
        });
        let y: Vec<f64> =
            (0..n).map(|i| 1.5 * x[[i, 0]] - x[[i, 1]] + effect[code[i]] + rng.symmetric_f32() as f64).collect();
        let csr = Csr::from_dense(&x);
        let (w, b) = fit_ols_sparse(&csr, &y).unwrap();
        let (wd, bd) = fit_ols(&x, &Array1::from(y.clone())).unwrap();
        let (p, pd) = (x.dot(&Array1::from(w.clone())) + b, x.dot(&Array1::from(wd.clone())) + bd);
        let worst = (0..n).map(|i| (p[i] - pd[i]).abs()).fold(0.0, f64::max);
        assert!(worst < 1e-6, "largest difference in fitted values {worst}");
        assert!((w[0] - wd[0]).abs() < 1e-7 && (w[1] - wd[1]).abs() < 1e-7, "{:?} {:?}", &w[..2], &wd[..2]);

        // 300 rows for 602 columns: least squares fits the training rows exactly.
        let (x, y) = (x.slice(ndarray::s![..300, ..]).to_owned(), &y[..300]);
        let (w, b) = fit_ols_sparse(&Csr::from_dense(&x), y).unwrap();
        let p = x.dot(&Array1::from(w)) + b;
        let worst = (0..300).map(|i| (p[i] - y[i]).abs()).fold(0.0, f64::max);
        assert!(worst < 1e-4, "largest training residual {worst}");
    }
}
