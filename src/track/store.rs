//! The run store: every training run, recorded in one SQLite file (compiled in, no server) —
//! data, recipe, settings, seed, metrics, curves, device, bundle — with notes, tags and the
//! production mark.

use crate::train::cv::CvResult;
use crate::train::{FittedModel, Pipeline};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::Path;

/// One recorded run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Assigned by the store (0 before recording).
    pub id: i64,
    pub created_unix: u64,
    pub project: String,
    /// Where the training data came from (a path or a sample's name).
    pub dataset: String,
    pub data_hash: String,
    pub rows: usize,
    pub columns: usize,
    pub target: String,
    pub task: String,
    pub model: String,
    /// The model's settings (name → value).
    pub params: Value,
    /// The recipe's steps.
    pub recipe: Value,
    pub seed: u64,
    pub test_size: f64,
    /// Test-set metrics (name → value).
    pub metrics: Value,
    /// Cross-validation means and standard deviations, when run.
    pub cv: Option<Value>,
    /// Per-epoch curves of iterative models (epoch, train_loss, val_loss, val_metric).
    pub curve: Vec<Value>,
    pub seconds: f64,
    pub device: String,
    pub app_version: String,
    pub bundle: Option<String>,
    pub checksum: Option<String>,
    pub note: String,
    pub tags: Vec<String>,
    pub production: bool,
}

impl RunRecord {
    /// The record of a trained pipeline; `dataset` names its data, `rows`/`columns` its size.
    pub fn from_pipeline(p: &Pipeline, project: &str, dataset: &str, rows: usize, columns: usize) -> RunRecord {
        let curve = match &p.model {
            FittedModel::Mlp(m) => m
                .history
                .iter()
                .filter(|e| e.is_whole())
                .map(|e| {
                    serde_json::json!({"epoch": e.epoch, "train_loss": e.train_loss,
                                       "val_loss": e.val_loss, "val_metric": e.val_metric})
                })
                .collect(),
            _ => Vec::new(),
        };
        RunRecord {
            id: 0,
            created_unix: p.info.created_unix,
            project: project.to_string(),
            dataset: dataset.to_string(),
            data_hash: p.info.data_hash.clone(),
            rows,
            columns,
            target: p.target.name.clone(),
            task: p.target.task.name().to_string(),
            model: p.info.model.clone(),
            params: serde_json::to_value(&p.info.params.values).unwrap_or(Value::Null),
            recipe: serde_json::to_value(&p.recipe.steps).unwrap_or(Value::Null),
            seed: p.info.seed,
            test_size: p.info.test_size,
            metrics: serde_json::to_value(&p.metrics).unwrap_or(Value::Null),
            cv: None,
            curve,
            seconds: p.info.train_seconds,
            device: p.info.device.clone(),
            app_version: p.info.app_version.clone(),
            bundle: None,
            checksum: None,
            note: String::new(),
            tags: Vec::new(),
            production: false,
        }
    }

    pub fn with_cv(mut self, cv: Option<&CvResult>) -> RunRecord {
        self.cv = cv.and_then(|c| serde_json::to_value(c).ok());
        self
    }

    /// The metrics as (name, value) pairs, in the record's order.
    pub fn metric_pairs(&self) -> Vec<(String, f64)> {
        metric_pairs(&self.metrics)
    }

    /// The headline number: R² for regression, accuracy for classification, else the first.
    pub fn headline(&self) -> Option<(String, f64)> {
        let pairs = self.metric_pairs();
        ["r2", "accuracy", "silhouette"]
            .iter()
            .find_map(|k| pairs.iter().find(|(n, _)| n == k).cloned())
            .or_else(|| pairs.first().cloned())
    }
}

/// How a metric is written for people: `r2` → `R²`, `rmse` → `RMSE`.
pub fn metric_label(name: &str) -> String {
    match name {
        "r2" => "R²".into(),
        "rmse" | "mae" => name.to_uppercase(),
        "roc_auc" => "ROC AUC".into(),
        "f1" => "F1".into(),
        other => other.replace('_', " "),
    }
}

/// Numbers of a metrics object, flattening an enum wrapper such as `{"Regression": {...}}`.
fn metric_pairs(v: &Value) -> Vec<(String, f64)> {
    match v {
        Value::Object(m) if m.len() == 1 && m.values().all(Value::is_object) => {
            m.values().next().map(metric_pairs).unwrap_or_default()
        }
        Value::Object(m) => m.iter().filter_map(|(k, v)| v.as_f64().map(|x| (k.clone(), x))).collect(),
        _ => Vec::new(),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TrackError {
    #[error("run store '{path}': {error}")]
    Open { path: String, error: rusqlite::Error },
    #[error("run store: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("there is no run {0} in this store")]
    NoRun(i64),
    #[error("run store: a stored value is damaged: {0}")]
    Damaged(#[from] serde_json::Error),
}

/// An open run store.
pub struct RunStore {
    conn: Connection,
}

const SCHEMA_VERSION: i64 = 1;

impl RunStore {
    /// Opens (creating if needed) the store at `path`.
    pub fn open(path: &Path) -> Result<RunStore, TrackError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).ok();
        }
        let open = |path: &Path| -> Result<Connection, rusqlite::Error> {
            let conn = Connection::open(path)?;
            conn.busy_timeout(std::time::Duration::from_secs(5))?;
            conn.pragma_update(None, "journal_mode", "WAL")?;
            conn.execute_batch(
                "CREATE TABLE IF NOT EXISTS runs (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    created_unix INTEGER NOT NULL,
                    project TEXT NOT NULL,
                    record TEXT NOT NULL,
                    production INTEGER NOT NULL DEFAULT 0
                );
                CREATE INDEX IF NOT EXISTS runs_project ON runs(project);",
            )?;
            conn.pragma_update(None, "user_version", SCHEMA_VERSION)?;
            Ok(conn)
        };
        let conn = open(path).map_err(|error| TrackError::Open { path: path.display().to_string(), error })?;
        Ok(RunStore { conn })
    }

    /// Records a run; returns its id.
    pub fn record(&self, run: &RunRecord) -> Result<i64, TrackError> {
        let json = serde_json::to_string(run)?;
        self.conn.execute(
            "INSERT INTO runs (created_unix, project, record, production) VALUES (?1, ?2, ?3, ?4)",
            params![run.created_unix as i64, run.project, json, run.production],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    fn decode(id: i64, record: &str, production: bool) -> Result<RunRecord, TrackError> {
        let mut r: RunRecord = serde_json::from_str(record)?;
        r.id = id;
        r.production = production;
        Ok(r)
    }

    /// Every run, newest first.
    pub fn runs(&self) -> Result<Vec<RunRecord>, TrackError> {
        let mut stmt = self.conn.prepare("SELECT id, record, production FROM runs ORDER BY id DESC")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, bool>(2)?)))?;
        rows.map(|row| {
            let (id, record, production) = row?;
            Self::decode(id, &record, production)
        })
        .collect()
    }

    pub fn run(&self, id: i64) -> Result<RunRecord, TrackError> {
        let row: Option<(String, bool)> = self
            .conn
            .query_row("SELECT record, production FROM runs WHERE id = ?1", [id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let (record, production) = row.ok_or(TrackError::NoRun(id))?;
        Self::decode(id, &record, production)
    }

    fn rewrite(&self, run: &RunRecord) -> Result<(), TrackError> {
        let json = serde_json::to_string(run)?;
        self.conn.execute("UPDATE runs SET record = ?1 WHERE id = ?2", params![json, run.id])?;
        Ok(())
    }

    /// Sets a run's note and tags.
    pub fn annotate(&self, id: i64, note: &str, tags: &[String]) -> Result<(), TrackError> {
        let mut run = self.run(id)?;
        (run.note, run.tags) = (note.to_string(), tags.to_vec());
        self.rewrite(&run)
    }

    /// Records where a run's bundle was saved.
    pub fn set_bundle(&self, id: i64, path: &str, checksum: &str) -> Result<(), TrackError> {
        let mut run = self.run(id)?;
        (run.bundle, run.checksum) = (Some(path.to_string()), Some(checksum.to_string()));
        self.rewrite(&run)
    }

    /// Marks a run as its project's production model (the one mark per project moves to it).
    pub fn promote(&self, id: i64) -> Result<(), TrackError> {
        let run = self.run(id)?;
        let tx = self.conn.unchecked_transaction()?;
        tx.execute("UPDATE runs SET production = 0 WHERE project = ?1", [&run.project])?;
        tx.execute("UPDATE runs SET production = 1 WHERE id = ?1", [id])?;
        tx.commit()?;
        Ok(())
    }

    /// The production run of a project, if one is marked.
    pub fn production(&self, project: &str) -> Result<Option<RunRecord>, TrackError> {
        let id: Option<i64> = self
            .conn
            .query_row("SELECT id FROM runs WHERE project = ?1 AND production = 1", [project], |r| r.get(0))
            .optional()?;
        id.map(|id| self.run(id)).transpose()
    }

    pub fn delete(&self, id: i64) -> Result<(), TrackError> {
        match self.conn.execute("DELETE FROM runs WHERE id = ?1", [id])? {
            0 => Err(TrackError::NoRun(id)),
            _ => Ok(()),
        }
    }
}

/// Two or more runs side by side: the settings that differ and every metric.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    pub ids: Vec<i64>,
    /// (setting, value per run) for the settings, data and recipe facts that differ.
    pub differences: Vec<(String, Vec<String>)>,
    /// (metric, value per run).
    pub metrics: Vec<(String, Vec<Option<f64>>)>,
}

pub fn compare(runs: &[RunRecord]) -> Comparison {
    let facts = |r: &RunRecord| -> Vec<(String, String)> {
        let mut f = vec![
            ("model".to_string(), r.model.clone()),
            ("data".to_string(), format!("{} ({})", r.dataset, r.data_hash.get(..12).unwrap_or(&r.data_hash))),
            ("target".to_string(), r.target.clone()),
            ("seed".to_string(), r.seed.to_string()),
            ("test size".to_string(), r.test_size.to_string()),
            ("device".to_string(), r.device.clone()),
            ("recipe".to_string(), r.recipe.to_string()),
        ];
        if let Value::Object(m) = &r.params {
            f.extend(m.iter().map(|(k, v)| {
                let text = if v.is_null() { "none".to_string() } else { v.to_string().trim_matches('"').to_string() };
                (k.clone(), text)
            }));
        }
        f
    };
    let all: Vec<Vec<(String, String)>> = runs.iter().map(facts).collect();
    let mut names: Vec<String> = Vec::new();
    for f in &all {
        for (k, _) in f {
            if !names.contains(k) {
                names.push(k.clone());
            }
        }
    }
    let differences = names
        .into_iter()
        .filter_map(|name| {
            let values: Vec<String> = all
                .iter()
                .map(|f| f.iter().find(|(k, _)| *k == name).map_or("—".to_string(), |(_, v)| v.clone()))
                .collect();
            values.iter().any(|v| *v != values[0]).then_some((name, values))
        })
        .collect();
    let mut metric_names: Vec<String> = Vec::new();
    for r in runs {
        for (k, _) in r.metric_pairs() {
            if !metric_names.contains(&k) {
                metric_names.push(k);
            }
        }
    }
    let metrics = metric_names
        .into_iter()
        .map(|name| {
            let values: Vec<Option<f64>> =
                runs.iter().map(|r| r.metric_pairs().into_iter().find(|(k, _)| *k == name).map(|(_, v)| v)).collect();
            (name, values)
        })
        .collect();
    Comparison { ids: runs.iter().map(|r| r.id).collect(), differences, metrics }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(project: &str, model: &str, r2: f64) -> RunRecord {
        RunRecord {
            id: 0,
            created_unix: 1_795_000_000,
            project: project.into(),
            dataset: "house.csv".into(),
            data_hash: "abc".into(),
            rows: 100,
            columns: 5,
            target: "price".into(),
            task: "regression".into(),
            model: model.into(),
            params: json!({"alpha": 1.0}),
            recipe: json!([]),
            seed: 42,
            test_size: 0.2,
            metrics: json!({"Regression": {"rmse": 1.0, "mae": 0.5, "r2": r2}}),
            cv: None,
            curve: vec![],
            seconds: 0.1,
            device: "cpu".into(),
            app_version: "0.1.0".into(),
            bundle: None,
            checksum: None,
            note: String::new(),
            tags: vec![],
            production: false,
        }
    }

    #[test]
    fn records_promotes_annotates_and_deletes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("runs.sqlite");
        let store = RunStore::open(&path).unwrap();
        let a = store.record(&record("house", "linear", 0.6)).unwrap();
        let b = store.record(&record("house", "ridge", 0.7)).unwrap();
        let c = store.record(&record("spam", "logistic", 0.9)).unwrap();
        assert_eq!(store.runs().unwrap().iter().map(|r| r.id).collect::<Vec<_>>(), [c, b, a]);
        store.promote(a).unwrap();
        store.promote(c).unwrap();
        store.promote(b).unwrap(); // moves house's mark from a to b; spam keeps c
        assert_eq!(store.production("house").unwrap().map(|r| r.id), Some(b));
        assert_eq!(store.production("spam").unwrap().map(|r| r.id), Some(c));
        store.annotate(a, "baseline", &["first".into()]).unwrap();
        store.set_bundle(a, "/tmp/a.cairn", "sha256:1").unwrap();
        drop(store);
        // Reopened: everything is still there.
        let store = RunStore::open(&path).unwrap();
        let ra = store.run(a).unwrap();
        assert_eq!(
            (ra.note.as_str(), ra.tags.clone(), ra.bundle.as_deref()),
            ("baseline", vec!["first".to_string()], Some("/tmp/a.cairn"))
        );
        assert_eq!(ra.headline(), Some(("r2".to_string(), 0.6)));
        store.delete(c).unwrap();
        assert!(matches!(store.delete(c), Err(TrackError::NoRun(_))));
        assert!(matches!(store.run(c), Err(TrackError::NoRun(_))));
        assert_eq!(store.runs().unwrap().len(), 2);
    }

    #[test]
    fn comparison_lists_only_what_differs() {
        let (mut a, mut b) = (record("p", "linear", 0.6), record("p", "ridge", 0.7));
        (a.id, b.id) = (1, 2);
        b.params = json!({"alpha": 10.0});
        let c = compare(&[a, b]);
        let names: Vec<&str> = c.differences.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["model", "alpha"]);
        assert_eq!(c.differences[1].1, ["1.0", "10.0"]);
        assert_eq!(c.metrics.iter().find(|(k, _)| k == "r2").unwrap().1, [Some(0.6), Some(0.7)]);
    }
}
