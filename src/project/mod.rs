//! Project layer: model bundles on disk and the built-in sample projects.

mod bundle;
mod samples;

pub use bundle::{BUNDLE_FORMAT_VERSION, BundleError, load_bundle, save_bundle, write_atomically};
pub use samples::{SAMPLES, Sample};
