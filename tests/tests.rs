//! The one integration-test binary (so linking happens once). Modules by layer.

mod common;

mod cli;
mod core;
mod gui;
mod serve;
