//! GPU layer: adapter discovery, the WGSL kernels of `shaders/` behind an [`Engine`] with a
//! CPU twin ([`CpuEngine`], running `reference`), and the neural-network training loop
//! ([`net`]) written once against that trait.

pub mod conv;
mod depthwise;
pub mod device;
pub mod engine;
pub mod net;
pub mod reference;
pub mod sgemm;

pub use device::GpuEngine;
pub use engine::{Buf, CpuEngine, Engine, LossKind, Optimiser};
use serde::Serialize;

/// A GPU (or software rasteriser) that wgpu can use.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct AdapterInfo {
    pub name: String,
    pub backend: String,
    pub device_type: String,
}

impl AdapterInfo {
    pub fn describe(&self) -> String {
        format!("{} ({}, {})", self.name, self.backend, self.device_type)
    }

    /// A software rasteriser (e.g. lavapipe), slower than the CPU path for training.
    pub fn is_software(&self) -> bool {
        self.device_type == "Cpu"
    }
}

#[derive(Debug, thiserror::Error)]
pub enum GpuError {
    #[error("no GPU adapter found (install a Vulkan driver, e.g. mesa-vulkan-drivers, or use --device cpu)")]
    NoAdapter,
    #[error("GPU device: {0}")]
    Device(String),
    #[error(
        "the data needs a {bytes}-byte buffer but {adapter} allows at most {limit} bytes per buffer \
         (use --device cpu, or fewer rows or features)"
    )]
    TooLarge { bytes: u64, limit: u64, adapter: String },
}

fn describe(adapter: &wgpu::Adapter) -> AdapterInfo {
    let i = adapter.get_info();
    AdapterInfo { name: i.name, backend: format!("{:?}", i.backend), device_type: format!("{:?}", i.device_type) }
}

fn all_adapters() -> Vec<wgpu::Adapter> {
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle());
    pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()))
}

/// Lists the adapters wgpu finds on this machine (may be empty).
pub fn adapters() -> Vec<AdapterInfo> {
    all_adapters().iter().map(describe).collect()
}

/// The adapter to train on: a hardware GPU first (discrete, integrated, virtual), then — only
/// with `allow_software` — a software one; Vulkan/Metal/DX12 before OpenGL.
pub fn best_adapter(allow_software: bool) -> Option<wgpu::Adapter> {
    let rank = |a: &wgpu::Adapter| {
        let i = a.get_info();
        let kind = match i.device_type {
            wgpu::DeviceType::DiscreteGpu => 0,
            wgpu::DeviceType::IntegratedGpu => 1,
            wgpu::DeviceType::VirtualGpu => 2,
            wgpu::DeviceType::Other => 3,
            wgpu::DeviceType::Cpu => 4,
        };
        (kind, i.backend == wgpu::Backend::Gl)
    };
    let mut found: Vec<wgpu::Adapter> = all_adapters()
        .into_iter()
        .filter(|a| allow_software || a.get_info().device_type != wgpu::DeviceType::Cpu)
        .filter(|a| a.get_info().backend != wgpu::Backend::Noop)
        .collect();
    found.sort_by_key(rank);
    found.into_iter().next()
}

/// Where training runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DeviceChoice {
    /// A hardware GPU when there is one, else the CPU (a software rasteriser would be slower
    /// than the CPU path).
    #[default]
    Auto,
    Cpu,
    /// Any adapter, software ones included; an error when there is none.
    Gpu,
}

impl DeviceChoice {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Some(DeviceChoice::Auto),
            "cpu" => Some(DeviceChoice::Cpu),
            "gpu" => Some(DeviceChoice::Gpu),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            DeviceChoice::Auto => "auto",
            DeviceChoice::Cpu => "cpu",
            DeviceChoice::Gpu => "gpu",
        }
    }

    /// The GPU engine this choice trains on, or `None` for the CPU path.
    pub fn open(self) -> Result<Option<GpuEngine>, GpuError> {
        match self {
            DeviceChoice::Cpu => Ok(None),
            DeviceChoice::Auto => best_adapter(false).map(|a| GpuEngine::new(&a)).transpose(),
            DeviceChoice::Gpu => GpuEngine::new(&best_adapter(true).ok_or(GpuError::NoAdapter)?).map(Some),
        }
    }
}
