//! Project layer: model bundles on disk, project folders, and the built-in sample projects.

mod bundle;
mod folder;
pub mod lesson;
mod samples;

pub use bundle::{
    BUNDLE_FORMAT_VERSION, BundleEncoding, BundleError, load_bundle, save_bundle, save_bundle_with, write_atomically,
};
pub use folder::{PROJECT_FILE, Project, ProjectError, ProjectRun, run_project};
pub use lesson::{ClassPack, Goal, Lesson, LessonError, Snapshot, builtin_lessons};
pub use samples::{SAMPLES, Sample, item_titles, movie_titles};
