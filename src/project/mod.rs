//! Project layer: model bundles on disk, project folders, and the built-in sample projects.

mod bundle;
mod folder;
mod samples;

pub use bundle::{BUNDLE_FORMAT_VERSION, BundleError, load_bundle, save_bundle, write_atomically};
pub use folder::{PROJECT_FILE, Project, ProjectError, ProjectRun, run_project};
pub use samples::{SAMPLES, Sample, movie_titles};
