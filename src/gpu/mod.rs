//! GPU layer: adapter discovery through wgpu. The classical models train on the CPU; the
//! wgpu-accelerated neural nets and their WGSL kernels (in `shaders/`) build on this.

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
}

/// Lists the adapters wgpu finds on this machine (may be empty).
pub fn adapters() -> Vec<AdapterInfo> {
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle());
    let found = pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()));
    found
        .iter()
        .map(|a| {
            let i = a.get_info();
            AdapterInfo {
                name: i.name,
                backend: format!("{:?}", i.backend),
                device_type: format!("{:?}", i.device_type),
            }
        })
        .collect()
}

/// Where training runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DeviceChoice {
    #[default]
    Auto,
    Cpu,
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
}
