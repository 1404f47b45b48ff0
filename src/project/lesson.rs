//! Lessons: ordered steps, each with something to read, a panel to work in and a goal the app
//! checks live from its own state ("reach R² ≥ 0.80"). Lessons are data files (JSON), so a
//! teacher can write one for their own CSV; [`Lesson::parse`] validates it with messages that
//! name the step and the field. A class pack is one file holding a lesson and its data.

use serde::{Deserialize, Serialize};
use std::path::Path;

/// The panels a step can send the learner to.
pub const PANELS: [&str; 7] = ["data", "features", "train", "evaluate", "deploy", "monitor", "runs"];
/// The metrics a goal can ask for (test-set scores of the current model).
pub const METRICS: [&str; 9] = ["accuracy", "precision", "recall", "f1", "roc_auc", "r2", "rmse", "mae", "silhouette"];

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lesson {
    /// A short identifier (letters, digits, `-`), used to save progress.
    pub id: String,
    pub title: String,
    /// One paragraph: what the learner builds and why.
    pub summary: String,
    /// `sample:<id>` for a built-in sample, or a CSV path relative to the lesson file.
    pub data: String,
    /// The column to predict.
    pub target: String,
    pub steps: Vec<LessonStep>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LessonStep {
    pub title: String,
    /// What to read before doing the step.
    pub read: String,
    /// The panel where the step is done.
    pub panel: String,
    pub goal: Goal,
    /// Shown when the learner asks for a hint.
    #[serde(default)]
    pub hint: String,
}

/// What a step asks for, checked against the app's state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Goal {
    /// The lesson's data is open.
    DataOpen,
    /// A panel has been looked at.
    Visit { panel: String },
    /// The target column is chosen.
    Target { column: String },
    /// The recipe holds an enabled step of this kind (`drop`, `drop_duplicates`, `one_hot`, …).
    RecipeHas { step: String },
    /// A model of this kind has been trained (any kind when empty).
    Trained {
        #[serde(default)]
        model: String,
    },
    /// The current model's test score reaches a bound.
    Metric {
        metric: String,
        #[serde(default)]
        at_least: Option<f64>,
        #[serde(default)]
        at_most: Option<f64>,
    },
    /// The model is being served.
    Deployed,
}

/// What the app tells a lesson about itself, to check goals (the core never sees the UI).
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// The open data: `sample:<id>` or a file path.
    pub data: Option<String>,
    pub visited: Vec<String>,
    pub target: Option<String>,
    /// Names of the enabled recipe steps (`drop_duplicates`, `one_hot`, …).
    pub recipe_steps: Vec<String>,
    /// Model names trained this session, oldest first.
    pub trained: Vec<String>,
    /// Test metrics of the current model, by name.
    pub metrics: Vec<(String, f64)>,
    pub deployed: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum LessonError {
    #[error("cannot read lesson '{path}': {error}")]
    Io { path: String, error: std::io::Error },
    #[error("lesson '{source_name}', line {line}, column {column}: {message}")]
    Syntax { source_name: String, line: usize, column: usize, message: String },
    #[error("lesson '{source_name}': {message}")]
    Invalid { source_name: String, message: String },
}

impl Lesson {
    /// Parses and validates a lesson file's text; `source_name` is used in messages.
    pub fn parse(source_name: &str, text: &str) -> Result<Lesson, LessonError> {
        let lesson: Lesson = serde_json::from_str(text).map_err(|e| syntax(source_name, &e))?;
        lesson.validate().map_err(|message| LessonError::Invalid { source_name: source_name.to_string(), message })?;
        Ok(lesson)
    }

    pub fn read(path: &Path) -> Result<Lesson, LessonError> {
        let text = std::fs::read_to_string(path)
            .map_err(|error| LessonError::Io { path: path.display().to_string(), error })?;
        Lesson::parse(&path.display().to_string(), &text)
    }

    fn validate(&self) -> Result<(), String> {
        if self.id.is_empty() || !self.id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(format!("id '{}' must be letters, digits, '-' or '_'", self.id));
        }
        if self.title.trim().is_empty() {
            return Err("the title is empty".into());
        }
        if let Some(id) = self.data.strip_prefix("sample:") {
            if super::Sample::by_id(id).is_none() {
                let known: Vec<&str> = super::SAMPLES.iter().map(|s| s.id).collect();
                return Err(format!("data 'sample:{id}' is not a sample (samples: {})", known.join(", ")));
            }
        } else if self.data.trim().is_empty() {
            return Err("data is empty: give 'sample:<id>' or a CSV file next to the lesson".into());
        }
        if self.steps.is_empty() {
            return Err("a lesson needs at least one step".into());
        }
        for (i, step) in self.steps.iter().enumerate() {
            let at = |m: String| format!("step {} ('{}'): {m}", i + 1, step.title);
            if !PANELS.contains(&step.panel.as_str()) {
                return Err(at(format!("panel '{}' is not one of {}", step.panel, PANELS.join(", "))));
            }
            match &step.goal {
                Goal::Visit { panel } if !PANELS.contains(&panel.as_str()) => {
                    return Err(at(format!("goal panel '{panel}' is not one of {}", PANELS.join(", "))));
                }
                Goal::Trained { model }
                    if !model.is_empty()
                        && !crate::train::MODEL_NAMES.contains(&model.as_str())
                        && crate::train::forecast::Method::parse(model).is_none() =>
                {
                    let forecasts = crate::train::forecast::Method::ALL.map(|m| m.name());
                    return Err(at(format!(
                        "model '{model}' is not one of {} (forecasts: {})",
                        crate::train::MODEL_NAMES.join(", "),
                        forecasts.join(", ")
                    )));
                }
                Goal::Metric { metric, at_least, at_most } => {
                    if !METRICS.contains(&metric.as_str()) {
                        return Err(at(format!("metric '{metric}' is not one of {}", METRICS.join(", "))));
                    }
                    if at_least.is_none() == at_most.is_none() {
                        return Err(at("a metric goal needs exactly one of at_least or at_most".into()));
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Which steps' goals hold now.
    pub fn check(&self, now: &Snapshot) -> Vec<bool> {
        self.steps.iter().map(|s| s.goal.met(self, now)).collect()
    }
}

impl Goal {
    pub fn met(&self, lesson: &Lesson, now: &Snapshot) -> bool {
        match self {
            Goal::DataOpen => now.data.as_deref().is_some_and(|d| same_data(&lesson.data, d)),
            Goal::Visit { panel } => now.visited.iter().any(|v| v == panel),
            Goal::Target { column } => now.target.as_deref() == Some(column.as_str()),
            Goal::RecipeHas { step } => now.recipe_steps.iter().any(|s| s == step),
            Goal::Trained { model } => now.trained.iter().any(|m| model.is_empty() || m == model),
            Goal::Metric { metric, at_least, at_most } => {
                now.metrics.iter().find(|(name, _)| name == metric).is_some_and(|(_, v)| {
                    at_least.is_none_or(|b| *v >= b - 1e-12) && at_most.is_none_or(|b| *v <= b + 1e-12)
                })
            }
            Goal::Deployed => now.deployed,
        }
    }

    /// The goal in words, e.g. "reach R² of at least 0.80".
    pub fn describe(&self) -> String {
        match self {
            Goal::DataOpen => "open the lesson's data".into(),
            Goal::Visit { panel } => format!("look at the {panel} panel"),
            Goal::Target { column } => format!("choose '{column}' as the target"),
            Goal::RecipeHas { step } => format!("have a '{}' step in the recipe", step.replace('_', " ")),
            Goal::Trained { model } if model.is_empty() => "train a model".into(),
            Goal::Trained { model } => format!("train a {} model", model.replace('_', " ")),
            Goal::Metric { metric, at_least: Some(b), .. } => {
                format!("reach {} of at least {b}", crate::eval::metric_label(metric))
            }
            Goal::Metric { metric, at_most, .. } => {
                format!("get {} down to {} or less", crate::eval::metric_label(metric), at_most.unwrap_or(0.0))
            }
            Goal::Deployed => "deploy the model".into(),
        }
    }
}

/// A JSON mistake, with its line and column (serde's message without its own position).
fn syntax(source_name: &str, e: &serde_json::Error) -> LessonError {
    LessonError::Syntax {
        source_name: source_name.to_string(),
        line: e.line(),
        column: e.column(),
        message: e.to_string().split(" at line").next().unwrap_or_default().to_string(),
    }
}

/// A lesson's data reference matches what is open: the same sample, or a file of that name.
fn same_data(lesson: &str, open: &str) -> bool {
    if lesson.starts_with("sample:") {
        return lesson == open;
    }
    let name = |s: &str| Path::new(s).file_name().map(|n| n.to_os_string());
    name(lesson) == name(open)
}

/// The built-in lessons, one per beginner project (parsed once).
pub fn builtin_lessons() -> &'static [Lesson] {
    static LESSONS: std::sync::OnceLock<Vec<Lesson>> = std::sync::OnceLock::new();
    LESSONS.get_or_init(|| {
        [
            ("house-prices.json", include_str!("../../assets/lessons/house-prices.json")),
            ("spam.json", include_str!("../../assets/lessons/spam.json")),
            ("sentiment.json", include_str!("../../assets/lessons/sentiment.json")),
            ("movies.json", include_str!("../../assets/lessons/movies.json")),
            ("forecast.json", include_str!("../../assets/lessons/forecast.json")),
            ("hear-a-word.json", include_str!("../../assets/lessons/hear-a-word.json")),
        ]
        .iter()
        .filter_map(|(name, text)| Lesson::parse(name, text).ok())
        .collect()
    })
}

/// A class pack: one file with a lesson and the CSV it uses, for students to open with one click.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassPack {
    pub format: String,
    pub lesson: Lesson,
    /// The data file's name and text (none when the lesson uses a built-in sample).
    #[serde(default)]
    pub data_name: Option<String>,
    #[serde(default)]
    pub data_csv: Option<String>,
}

pub const PACK_FORMAT: &str = "cairn-class-pack-1";

impl ClassPack {
    /// Packs the lesson at `path` with its data file (read from beside the lesson).
    pub fn from_lesson_file(path: &Path) -> Result<ClassPack, LessonError> {
        let lesson = Lesson::read(path)?;
        let (data_name, data_csv) = if lesson.data.starts_with("sample:") {
            (None, None)
        } else {
            let file = path.parent().unwrap_or(Path::new(".")).join(&lesson.data);
            let text = std::fs::read_to_string(&file)
                .map_err(|error| LessonError::Io { path: file.display().to_string(), error })?;
            (Some(lesson.data.clone()), Some(text))
        };
        Ok(ClassPack { format: PACK_FORMAT.into(), lesson, data_name, data_csv })
    }

    pub fn read(path: &Path) -> Result<ClassPack, LessonError> {
        let source_name = path.display().to_string();
        let text =
            std::fs::read_to_string(path).map_err(|error| LessonError::Io { path: source_name.clone(), error })?;
        let pack: ClassPack = serde_json::from_str(&text).map_err(|e| syntax(&source_name, &e))?;
        if pack.format != PACK_FORMAT {
            return Err(LessonError::Invalid {
                source_name,
                message: format!("format '{}' is not '{PACK_FORMAT}'", pack.format),
            });
        }
        pack.lesson.validate().map_err(|message| LessonError::Invalid { source_name, message })?;
        Ok(pack)
    }

    /// The pack's data as a table (a sample's, or the packed CSV).
    pub fn dataset(&self) -> Result<crate::data::Dataset, crate::data::DataError> {
        match (&self.data_csv, self.lesson.data.strip_prefix("sample:").and_then(super::Sample::by_id)) {
            (Some(csv), _) => {
                crate::data::read_csv_bytes(self.data_name.as_deref().unwrap_or("data.csv"), csv.clone().into_bytes())
            }
            (None, Some(sample)) => sample.load(),
            (None, None) => Err(crate::data::DataError::Invalid {
                source_name: self.lesson.title.clone(),
                message: "the class pack holds no data".into(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_lessons_are_valid() {
        assert_eq!(builtin_lessons().len(), 6);
    }

    #[test]
    fn bad_lessons_get_messages_naming_the_step_and_field() {
        let good = include_str!("../../assets/lessons/spam.json");
        let bad_panel = good.replacen("\"panel\": \"train\"", "\"panel\": \"trian\"", 1);
        let e = Lesson::parse("x.json", &bad_panel).unwrap_err().to_string();
        assert!(e.contains("panel 'trian' is not one of") && e.contains("step "), "{e}");
        let bad_metric = good.replacen("\"precision\"", "\"precission\"", 1);
        let e = Lesson::parse("x.json", &bad_metric).unwrap_err().to_string();
        assert!(e.contains("metric 'precission'"), "{e}");
        let e = Lesson::parse("x.json", "{\"id\": \"a\", \"titel\": 1}").unwrap_err().to_string();
        assert!(e.contains("x.json', line 1") && e.contains("titel"), "{e}");
        let e = Lesson::parse("x.json", &good.replacen("sample:spam", "sample:nope", 1)).unwrap_err().to_string();
        assert!(e.contains("'sample:nope' is not a sample"), "{e}");
    }

    #[test]
    fn goals_are_checked_against_the_snapshot() {
        let lesson = Lesson::parse("s.json", include_str!("../../assets/lessons/spam.json")).unwrap();
        let empty = Snapshot::default();
        assert!(lesson.check(&empty).iter().all(|d| !d));
        let now = Snapshot {
            data: Some("sample:spam".into()),
            visited: vec!["data".into(), "features".into(), "evaluate".into()],
            target: Some("label".into()),
            recipe_steps: vec!["drop_duplicates".into(), "tfidf".into()],
            trained: vec!["logistic".into()],
            metrics: vec![("precision".into(), 0.97), ("accuracy".into(), 0.97)],
            deployed: true,
        };
        assert!(lesson.check(&now).iter().all(|d| *d), "{:?}", lesson.check(&now));
        let worse = Snapshot { metrics: vec![("precision".into(), 0.90)], ..now };
        assert!(lesson.check(&worse).iter().any(|d| !d));
    }
}
