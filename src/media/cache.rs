//! Embeddings kept on disk, one small file per (encoder, picture bytes, variant), so opening the
//! same folder again (or the same pictures in another folder) skips the encoder. Files are
//! written whole (a temporary file renamed into place) and a file of the wrong length is
//! ignored, so an interrupted run never leaves a bad entry behind.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The cache folder: `CAIRN_CACHE_DIR`, else `$XDG_CACHE_HOME/cairn`, else `~/.cache/cairn`.
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CAIRN_CACHE_DIR") {
        return PathBuf::from(dir);
    }
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir)
        .join("cairn")
}

/// The embeddings of one encoder.
pub struct EmbeddingCache {
    dir: PathBuf,
    width: usize,
}

impl EmbeddingCache {
    pub fn new(root: &Path, encoder_sha256: &str, width: usize) -> Self {
        let short = &encoder_sha256[..encoder_sha256.len().min(16)];
        EmbeddingCache { dir: root.join("embeddings").join(short), width }
    }

    /// The key of a picture's bytes.
    pub fn key(bytes: &[u8]) -> String {
        format!("{:x}", Sha256::digest(bytes))
    }

    fn path(&self, key: &str, variant: &str) -> PathBuf {
        self.dir.join(&key[..2.min(key.len())]).join(format!("{key}-{variant}.f32"))
    }

    pub fn get(&self, key: &str, variant: &str) -> Option<Vec<f32>> {
        let bytes = std::fs::read(self.path(key, variant)).ok()?;
        (bytes.len() == self.width * 4)
            .then(|| bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect())
    }

    /// Stores an embedding; a cache that cannot be written is not an error (the features are
    /// still returned, only the next opening is slower).
    pub fn put(&self, key: &str, variant: &str, values: &[f32]) {
        let path = self.path(key, variant);
        let Some(dir) = path.parent() else { return };
        if std::fs::create_dir_all(dir).is_err() {
            return;
        }
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        if let Ok(mut tmp) = tempfile::NamedTempFile::new_in(dir) {
            use std::io::Write;
            // A failed rename (a read-only folder) only means the next opening embeds again.
            let _stored: bool = tmp.write_all(&bytes).is_ok() && tmp.persist(&path).is_ok();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_wrong_lengths_are_misses() {
        let root = tempfile::tempdir().unwrap();
        let cache = EmbeddingCache::new(root.path(), "abcdef0123456789ffff", 3);
        let key = EmbeddingCache::key(b"picture");
        assert_eq!(cache.get(&key, "o"), None);
        cache.put(&key, "o", &[1.0, -2.5, 3.25]);
        assert_eq!(cache.get(&key, "o"), Some(vec![1.0, -2.5, 3.25]));
        assert_eq!(cache.get(&key, "m"), None);
        let other = EmbeddingCache::new(root.path(), "abcdef0123456789ffff", 4);
        assert_eq!(other.get(&key, "o"), None, "a file of the wrong length is ignored");
    }
}
