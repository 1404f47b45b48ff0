//! Projects: one folder holding what a piece of work needs — `project.json` (the data
//! reference and the training choices), `runs.sqlite` (every run) and `models/` (the bundles).
//! `project.json` is saved atomically (temporary file + rename), so a crash or `kill -9` in the
//! middle of a save leaves the previous version intact. [`run_project`] re-executes a project
//! headless: data → recipe → train → evaluate → bundle → run record.

use super::{SAMPLES, save_bundle, write_atomically};
use crate::data::Dataset;
use crate::gpu::DeviceChoice;
use crate::track::{RunRecord, RunStore, TrackError};
use crate::train::{ModelKind, Params, TaskChoice, TrainConfig, TrainError, TrainOutcome, train};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub const PROJECT_FILE: &str = "project.json";
pub const PROJECT_FORMAT_VERSION: u32 = 1;

/// What a project remembers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Project {
    pub format_version: u32,
    pub name: String,
    /// The data: a file path (relative paths are relative to the project folder) or
    /// `sample:<id>` for a built-in sample.
    pub data: String,
    pub target: String,
    /// `auto`, `regression`, `classification` or `clustering`.
    #[serde(default = "auto")]
    pub task: String,
    /// `None`: the default model for the task.
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub params: Option<Params>,
    #[serde(default = "seed")]
    pub seed: u64,
    #[serde(default = "test_size")]
    pub test_size: f64,
    #[serde(default = "auto")]
    pub device: String,
    /// The bundle (relative to the folder) of the production model, if one is chosen.
    #[serde(default)]
    pub production: Option<String>,
    #[serde(default)]
    pub notes: String,
    /// What the model is for, in the owner's words (the model card's "Intended use").
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub intended_use: String,
    /// The feature recipe edited on the Features panel (`None`: the one proposed from the data).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipe: Option<crate::features::Recipe>,
}

fn auto() -> String {
    "auto".into()
}
fn seed() -> u64 {
    42
}
fn test_size() -> f64 {
    0.2
}

#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error("'{0}' is not a Cairn project (no {PROJECT_FILE} in it)")]
    NotAProject(PathBuf),
    #[error("project file '{path}' is damaged: {message}")]
    Damaged { path: PathBuf, message: String },
    #[error("project '{path}' was saved by a newer Cairn (format {found}, this one reads {PROJECT_FORMAT_VERSION})")]
    TooNew { path: PathBuf, found: u32 },
    #[error("cannot write '{path}': {error}")]
    Write { path: PathBuf, error: std::io::Error },
    #[error("project data '{data}': {message}")]
    Data { data: String, message: String },
    #[error(transparent)]
    Train(#[from] TrainError),
    #[error(transparent)]
    Track(#[from] TrackError),
    #[error("saving the model: {0}")]
    Bundle(#[from] super::BundleError),
}

impl Project {
    pub fn new(name: &str, data: &str, target: &str) -> Project {
        Project {
            format_version: PROJECT_FORMAT_VERSION,
            name: name.to_string(),
            data: crate::data::data_name(data),
            target: target.to_string(),
            task: auto(),
            model: None,
            params: None,
            seed: seed(),
            test_size: test_size(),
            device: auto(),
            production: None,
            notes: String::new(),
            intended_use: String::new(),
            recipe: None,
        }
    }

    /// Reads `dir/project.json`.
    pub fn load(dir: &Path) -> Result<Project, ProjectError> {
        let path = dir.join(PROJECT_FILE);
        let text = std::fs::read_to_string(&path).map_err(|_| ProjectError::NotAProject(dir.to_path_buf()))?;
        let value: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| ProjectError::Damaged { path: path.clone(), message: e.to_string() })?;
        let found = value.get("format_version").and_then(|v| v.as_u64()).unwrap_or(0) as u32;
        if found > PROJECT_FORMAT_VERSION {
            return Err(ProjectError::TooNew { path, found });
        }
        serde_json::from_value(value).map_err(|e| ProjectError::Damaged { path, message: e.to_string() })
    }

    /// Writes `dir/project.json` atomically (creating the folder).
    pub fn save(&self, dir: &Path) -> Result<(), ProjectError> {
        let err = |error| ProjectError::Write { path: dir.join(PROJECT_FILE), error };
        std::fs::create_dir_all(dir).map_err(err)?;
        let mut text = serde_json::to_vec_pretty(self).map_err(|e| err(std::io::Error::other(e)))?;
        text.push(b'\n');
        write_atomically(&dir.join(PROJECT_FILE), &text).map_err(err)
    }

    /// The project's data, read from its file or the built-in sample.
    pub fn read_data(&self, dir: &Path) -> Result<Dataset, ProjectError> {
        let fail = |message: String| ProjectError::Data { data: self.data.clone(), message };
        if let Some(id) = self.data.strip_prefix("sample:") {
            let sample = SAMPLES.iter().find(|s| s.id == id).ok_or_else(|| fail("no such sample".into()))?;
            return sample.load().map_err(|e| fail(e.to_string()));
        }
        crate::data::read_path(&self.data_path(dir)).map_err(|e| fail(e.to_string()))
    }

    /// The data file's path (relative paths are taken from the project folder).
    pub fn data_path(&self, dir: &Path) -> PathBuf {
        let p = Path::new(&self.data);
        if p.is_absolute() || crate::data::is_database_url(&self.data) { p.to_path_buf() } else { dir.join(p) }
    }

    /// The training configuration the project describes.
    pub fn config(&self) -> Result<TrainConfig, ProjectError> {
        let mut cfg = TrainConfig::new(self.target.clone());
        cfg.task = TaskChoice::parse(&self.task)?;
        cfg.model = self.model.as_deref().map(ModelKind::parse).transpose()?;
        cfg.params = self.params.clone();
        cfg.seed = self.seed;
        cfg.test_size = self.test_size;
        cfg.device = DeviceChoice::parse(&self.device).unwrap_or(DeviceChoice::Auto);
        cfg.recipe = self.recipe.clone();
        Ok(cfg)
    }
}

/// What [`run_project`] produced.
pub struct ProjectRun {
    pub outcome: TrainOutcome,
    pub run_id: i64,
    pub bundle: PathBuf,
    pub checksum: String,
    /// An earlier run with the same data fingerprint, model and settings, and whether it got
    /// exactly the same test metrics (reproduced bit for bit).
    pub earlier: Option<(i64, bool)>,
}

/// Re-executes the project: data → recipe → train → evaluate, saves the bundle under
/// `models/`, records the run in `runs.sqlite`.
pub fn run_project(dir: &Path, progress: &mut dyn FnMut(&str)) -> Result<ProjectRun, ProjectError> {
    let project = Project::load(dir)?;
    progress("Reading the data");
    let data = project.read_data(dir)?;
    let outcome = train(&data, None, &project.config()?, progress)?;
    let store = RunStore::open(&dir.join("runs.sqlite"))?;
    let mut record =
        RunRecord::from_pipeline(&outcome.pipeline, &project.name, &project.data, data.n_rows(), data.columns.len());
    let earlier = store
        .runs()?
        .into_iter()
        .find(|r| {
            r.data_hash == record.data_hash
                && r.model == record.model
                && r.params == record.params
                && r.recipe == record.recipe
                && r.seed == record.seed
                && r.test_size == record.test_size
        })
        .map(|r| (r.id, r.metrics == record.metrics));
    record.note = "cairn run".into();
    let run_id = store.record(&record)?;
    let bundle = dir.join("models").join(format!("run-{run_id}.cairn"));
    std::fs::create_dir_all(dir.join("models"))
        .map_err(|error| ProjectError::Write { path: dir.join("models"), error })?;
    let checksum = save_bundle(&outcome.pipeline, &bundle)?;
    store.set_bundle(run_id, &bundle.display().to_string(), &checksum)?;
    Ok(ProjectRun { outcome, run_id, bundle, checksum, earlier })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_load_round_trip_and_refusals() {
        let dir = tempfile::tempdir().unwrap();
        let mut p = Project::new("houses", "sample:house-prices", "median_house_value");
        p.model = Some("ridge".into());
        p.notes = "first".into();
        p.save(dir.path()).unwrap();
        assert_eq!(Project::load(dir.path()).unwrap(), p);
        assert!(matches!(Project::load(&dir.path().join("nope")), Err(ProjectError::NotAProject(_))));
        std::fs::write(dir.path().join(PROJECT_FILE), "{\"format_version\": 99}").unwrap();
        assert!(matches!(Project::load(dir.path()), Err(ProjectError::TooNew { found: 99, .. })));
        std::fs::write(dir.path().join(PROJECT_FILE), "{not json").unwrap();
        assert!(matches!(Project::load(dir.path()), Err(ProjectError::Damaged { .. })));
    }
}
