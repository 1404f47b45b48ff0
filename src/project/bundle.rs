//! A bundle is one file: a header line (magic, format version, sha256 of the body) followed by
//! the pipeline as JSON. Damaged or too-new bundles are refused with a clear message.

use crate::train::Pipeline;
use crate::util::hex;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

pub const BUNDLE_FORMAT_VERSION: u32 = 1;
const MAGIC: &str = "cairn-bundle";

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    magic: String,
    format_version: u32,
    app_version: String,
    /// `sha256:<hex>` of the body bytes.
    checksum: String,
}

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("cannot read bundle '{path}': {error}")]
    Read { path: PathBuf, error: std::io::Error },
    #[error("cannot write '{path}': {error}")]
    Write { path: PathBuf, error: std::io::Error },
    #[error("'{0}' is not a Cairn bundle")]
    NotABundle(PathBuf),
    #[error("bundle '{path}' has format version {found}, newer than this Cairn supports ({supported}); update Cairn")]
    TooNew { path: PathBuf, found: u32, supported: u32 },
    #[error("bundle '{0}' is damaged: its checksum does not match its contents")]
    Checksum(PathBuf),
    #[error("bundle '{path}' is damaged: {message}")]
    Corrupt { path: PathBuf, message: String },
}

/// Writes `bytes` to `path` via a temporary file in the same folder and a rename, so a reader
/// never sees a half-written file and a failure leaves no partial output.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Saves a pipeline as a bundle file. Returns the body checksum (`sha256:<hex>`).
pub fn save_bundle(pipeline: &Pipeline, path: &Path) -> Result<String, BundleError> {
    let body = serde_json::to_vec(pipeline).map_err(|e| BundleError::Corrupt {
        path: path.to_path_buf(),
        message: format!("cannot encode pipeline: {e}"),
    })?;
    let checksum = format!("sha256:{}", hex(&Sha256::digest(&body)));
    let header = Header {
        magic: MAGIC.to_string(),
        format_version: BUNDLE_FORMAT_VERSION,
        app_version: env!("CARGO_PKG_VERSION").to_string(),
        checksum: checksum.clone(),
    };
    let mut bytes = serde_json::to_vec(&header).unwrap_or_default();
    bytes.push(b'\n');
    bytes.extend_from_slice(&body);
    write_atomically(path, &bytes).map_err(|error| BundleError::Write { path: path.to_path_buf(), error })?;
    Ok(checksum)
}

/// Loads and verifies a bundle. Returns the pipeline and its checksum.
pub fn load_bundle(path: &Path) -> Result<(Pipeline, String), BundleError> {
    let bytes = std::fs::read(path).map_err(|error| BundleError::Read { path: path.to_path_buf(), error })?;
    let not_bundle = || BundleError::NotABundle(path.to_path_buf());
    let split = bytes.iter().position(|&b| b == b'\n').ok_or_else(not_bundle)?;
    let header: Header = serde_json::from_slice(&bytes[..split]).map_err(|_| not_bundle())?;
    if header.magic != MAGIC {
        return Err(not_bundle());
    }
    if header.format_version > BUNDLE_FORMAT_VERSION {
        return Err(BundleError::TooNew {
            path: path.to_path_buf(),
            found: header.format_version,
            supported: BUNDLE_FORMAT_VERSION,
        });
    }
    let body = &bytes[split + 1..];
    let checksum = format!("sha256:{}", hex(&Sha256::digest(body)));
    if checksum != header.checksum {
        return Err(BundleError::Checksum(path.to_path_buf()));
    }
    let pipeline = serde_json::from_slice(body)
        .map_err(|e| BundleError::Corrupt { path: path.to_path_buf(), message: e.to_string() })?;
    Ok((pipeline, checksum))
}
