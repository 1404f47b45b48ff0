//! Pictures and sounds as features: the pretrained image encoder ([`encoder`]), the
//! picture preparation it expects with the augmentations for small sets ([`picture`]), and an
//! on-disk cache of embeddings keyed by the file's hash ([`cache`]), so reopening a folder is
//! instant; and sound clips as log-mel statistics ([`sound`]). Used by `data::folder`; depends only on `gpu` (the kernels and their references).

pub mod cache;
pub mod encoder;
mod encoder_cpu;
pub mod on_engine;
pub mod picture;
pub mod sound;

/// Where the encoder runs (re-exported for the layers above, which choose it).
pub use crate::gpu::DeviceChoice;
pub use encoder::{Encoder, EncoderId, shipped};
pub use on_engine::EngineEncoder;

#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("the image encoder cannot be loaded: {0}")]
    Encoder(String),
    #[error("{path}: this image cannot be decoded ({message}); remove it or save it again as PNG or JPEG")]
    Decode { path: String, message: String },
}
