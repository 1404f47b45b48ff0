//! Cairn: end-to-end machine learning on a laptop.
//!
//! The crate is a headless core, one module per layer — [`data`], [`features`], [`train`],
//! [`gpu`], [`eval`], [`track`], [`serve`], [`monitor`], [`project`] — plus [`app`], the egui
//! front end, which only sends commands to the core and draws its state. The core never
//! depends on `app`.

pub mod app;
pub mod data;
pub mod eval;
pub mod features;
pub mod gpu;
pub mod media;
pub mod monitor;
pub mod project;
pub mod serve;
pub mod track;
pub mod train;
pub mod util;
