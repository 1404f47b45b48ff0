//! The wgpu engine: the WGSL kernels of `shaders/` dispatched on a GPU adapter.
//!
//! Every kernel shares one bind-group layout (a 32-byte parameter block at a dynamic offset
//! of one uniform "arena" buffer, and four storage buffers), so a training step records all
//! its dispatches into one command encoder with no round trip to the CPU; bind groups are
//! cached per buffer combination and the arena is uploaded once per submission.

use super::conv::ConvShape;
use super::engine::{Buf, Engine, LossKind, Optimiser};
use super::reference::{Activation, MatmulFlags, MfStep, Step};
use super::{AdapterInfo, GpuError};
use std::collections::HashMap;
use wgpu::util::DeviceExt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kernel {
    Matmul,
    ActForward,
    ActBackward,
    SoftmaxCe,
    Mse,
    ColSum,
    Adam,
    Sgd,
    Gather,
    Dropout,
    Factorize,
    Im2col,
    Depthwise,
    Add,
    MeanPool,
}

impl Kernel {
    const ALL: [Kernel; 15] = [
        Kernel::Matmul,
        Kernel::ActForward,
        Kernel::ActBackward,
        Kernel::SoftmaxCe,
        Kernel::Mse,
        Kernel::ColSum,
        Kernel::Adam,
        Kernel::Sgd,
        Kernel::Gather,
        Kernel::Dropout,
        Kernel::Factorize,
        Kernel::Im2col,
        Kernel::Depthwise,
        Kernel::Add,
        Kernel::MeanPool,
    ];

    /// The shader file's text and the entry point.
    fn source(self) -> (&'static str, &'static str, &'static str) {
        const MATMUL: &str = include_str!("../../shaders/matmul.wgsl");
        const ACTIVATION: &str = include_str!("../../shaders/activation.wgsl");
        const LOSS: &str = include_str!("../../shaders/loss.wgsl");
        const REDUCE: &str = include_str!("../../shaders/reduce.wgsl");
        const OPTIMIZER: &str = include_str!("../../shaders/optimizer.wgsl");
        const GATHER: &str = include_str!("../../shaders/gather.wgsl");
        const FACTORIZE: &str = include_str!("../../shaders/factorize.wgsl");
        const CONV: &str = include_str!("../../shaders/conv.wgsl");
        match self {
            Kernel::Matmul => ("matmul", MATMUL, "main"),
            Kernel::ActForward => ("activation", ACTIVATION, "forward"),
            Kernel::ActBackward => ("activation", ACTIVATION, "backward"),
            Kernel::SoftmaxCe => ("loss", LOSS, "softmax_ce"),
            Kernel::Mse => ("loss", LOSS, "mse"),
            Kernel::ColSum => ("reduce", REDUCE, "main"),
            Kernel::Adam => ("optimizer", OPTIMIZER, "adam"),
            Kernel::Sgd => ("optimizer", OPTIMIZER, "sgd"),
            Kernel::Gather => ("gather", GATHER, "main"),
            Kernel::Dropout => ("activation", ACTIVATION, "dropout"),
            Kernel::Factorize => ("factorize", FACTORIZE, "main"),
            Kernel::Im2col => ("conv", CONV, "im2col"),
            Kernel::Depthwise => ("conv", CONV, "depthwise"),
            Kernel::Add => ("conv", CONV, "add"),
            Kernel::MeanPool => ("conv", CONV, "mean_pool"),
        }
    }
}

/// Bytes of one kernel's parameter block.
const PARAM_BYTES: u64 = 32;
/// Bytes of the parameter arena: dispatches per submission × the offset alignment.
const ARENA_BYTES: usize = 1 << 20;

pub struct GpuEngine {
    device: wgpu::Device,
    queue: wgpu::Queue,
    info: AdapterInfo,
    layout: wgpu::BindGroupLayout,
    pipelines: Vec<wgpu::ComputePipeline>,
    bufs: Vec<wgpu::Buffer>,
    /// Four small buffers bound where a kernel has fewer than four storage bindings.
    dummies: [Buf; 4],
    uniform: wgpu::Buffer,
    arena: Vec<u8>,
    align: usize,
    encoder: Option<wgpu::CommandEncoder>,
    /// The open compute pass of `encoder`: consecutive dispatches share it (wgpu orders them).
    pass: Option<wgpu::ComputePass<'static>>,
    groups: HashMap<[Buf; 4], wgpu::BindGroup>,
    bytes: u64,
    max_binding: u64,
}

impl GpuEngine {
    /// Opens the adapter as a device and compiles every kernel.
    pub fn new(adapter: &wgpu::Adapter) -> Result<GpuEngine, GpuError> {
        let info = super::describe(adapter);
        let limits = adapter.limits();
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("cairn training"),
            required_limits: limits.clone(),
            ..Default::default()
        }))
        .map_err(|e| GpuError::Device(format!("{}: {e}", info.describe())))?;
        let storage = |binding| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Storage { read_only: false },
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        };
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("kernel"),
            entries: &[
                wgpu::BindGroupLayoutEntry {
                    binding: 0,
                    visibility: wgpu::ShaderStages::COMPUTE,
                    ty: wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Uniform,
                        has_dynamic_offset: true,
                        min_binding_size: wgpu::BufferSize::new(PARAM_BYTES),
                    },
                    count: None,
                },
                storage(1),
                storage(2),
                storage(3),
                storage(4),
            ],
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("kernel"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let mut modules: HashMap<&str, wgpu::ShaderModule> = HashMap::new();
        let pipelines = Kernel::ALL
            .iter()
            .map(|k| {
                let (file, text, entry) = k.source();
                let module = modules.entry(file).or_insert_with(|| {
                    device.create_shader_module(wgpu::ShaderModuleDescriptor {
                        label: Some(file),
                        source: wgpu::ShaderSource::Wgsl(text.into()),
                    })
                });
                device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                    label: Some(entry),
                    layout: Some(&pipeline_layout),
                    module,
                    entry_point: Some(entry),
                    compilation_options: Default::default(),
                    cache: None,
                })
            })
            .collect();
        let uniform = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("kernel parameters"),
            size: ARENA_BYTES as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut engine = GpuEngine {
            device,
            queue,
            info,
            layout,
            pipelines,
            bufs: Vec::new(),
            dummies: [0; 4],
            uniform,
            arena: Vec::with_capacity(ARENA_BYTES),
            align: (limits.min_uniform_buffer_offset_alignment as usize).max(PARAM_BYTES as usize),
            encoder: None,
            pass: None,
            groups: HashMap::new(),
            bytes: 0,
            max_binding: limits.max_storage_buffer_binding_size.min(limits.max_buffer_size),
        };
        for i in 0..4 {
            engine.dummies[i] = engine.zeros(1)?;
        }
        Ok(engine)
    }

    pub fn info(&self) -> &AdapterInfo {
        &self.info
    }

    fn buffer(&mut self, len: usize, init: Option<&[u8]>) -> Result<Buf, GpuError> {
        let size = (len.max(1) * 4) as u64;
        if size > self.max_binding {
            return Err(GpuError::TooLarge { bytes: size, limit: self.max_binding, adapter: self.info.describe() });
        }
        let usage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::COPY_SRC;
        let buf = match init {
            Some(bytes) if !bytes.is_empty() => self.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: None,
                contents: bytes,
                usage,
            }),
            _ => self.device.create_buffer(&wgpu::BufferDescriptor {
                label: None,
                size,
                usage,
                mapped_at_creation: false,
            }),
        };
        self.bytes += size;
        self.bufs.push(buf);
        Ok(self.bufs.len() - 1)
    }

    /// The encoder, with no compute pass open (for copies).
    fn encoder(&mut self) -> &mut wgpu::CommandEncoder {
        self.pass = None;
        let device = &self.device;
        self.encoder.get_or_insert_with(|| device.create_command_encoder(&Default::default()))
    }

    fn pass(&mut self) -> &mut wgpu::ComputePass<'static> {
        let pass = match self.pass.take() {
            Some(pass) => pass,
            None => self
                .encoder()
                .begin_compute_pass(&wgpu::ComputePassDescriptor { label: None, timestamp_writes: None })
                .forget_lifetime(),
        };
        self.pass.insert(pass)
    }

    /// Records one dispatch of `kernel` with its parameter block and storage buffers.
    fn dispatch(&mut self, kernel: Kernel, params: [u32; 8], bindings: &[Buf], groups: (u32, u32)) {
        if self.arena.len() + self.align > ARENA_BYTES {
            // The arena is full: send what is recorded (it reads the arena as uploaded now).
            self.flush().ok();
        }
        let offset = self.arena.len();
        self.arena.extend(params.iter().flat_map(|w| w.to_le_bytes()));
        self.arena.resize(offset + self.align, 0);
        let mut key = self.dummies;
        key[..bindings.len()].copy_from_slice(bindings);
        if !self.groups.contains_key(&key) {
            let mut entries = vec![wgpu::BindGroupEntry {
                binding: 0,
                resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                    buffer: &self.uniform,
                    offset: 0,
                    size: wgpu::BufferSize::new(PARAM_BYTES),
                }),
            }];
            for (i, &b) in key.iter().enumerate() {
                entries
                    .push(wgpu::BindGroupEntry { binding: i as u32 + 1, resource: self.bufs[b].as_entire_binding() });
            }
            let group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: None,
                layout: &self.layout,
                entries: &entries,
            });
            self.groups.insert(key, group);
        }
        let pipeline = self.pipelines[kernel as usize].clone();
        let group = self.groups[&key].clone();
        let pass = self.pass();
        pass.set_pipeline(&pipeline);
        pass.set_bind_group(0, &group, &[offset as u32]);
        pass.dispatch_workgroups(groups.0, groups.1, 1);
    }

    /// Workgroups of 256 threads covering `len` items (2-D when more than 65 535 groups).
    fn linear(len: usize) -> (u32, u32) {
        let groups = len.div_ceil(256).max(1) as u32;
        let x = groups.min(65_535);
        (x, groups.div_ceil(x))
    }
}

fn words(values: &[u32]) -> [u32; 8] {
    let mut w = [0u32; 8];
    w[..values.len()].copy_from_slice(values);
    w
}

/// The parameter block of `conv.wgsl` (see the shader's header).
fn conv_words(s: &ConvShape, relu6: bool) -> [u32; 8] {
    let shape = s.kernel as u32 | (s.stride as u32) << 8 | (relu6 as u32) << 16;
    let pad = s.pad_top as u32 | (s.pad_left as u32) << 8;
    let (h, w, c) = (s.height as u32, s.width as u32, s.channels as u32);
    [s.batch as u32, h, w, c, shape, pad, s.out_height() as u32, s.out_width() as u32]
}

impl Engine for GpuEngine {
    fn device(&self) -> String {
        self.info.describe()
    }
    fn upload(&mut self, data: &[f32]) -> Result<Buf, GpuError> {
        self.buffer(data.len(), Some(bytemuck::cast_slice(data)))
    }
    fn zeros(&mut self, len: usize) -> Result<Buf, GpuError> {
        self.buffer(len, None)
    }
    fn upload_index(&mut self, data: &[u32]) -> Result<Buf, GpuError> {
        self.buffer(data.len(), Some(bytemuck::cast_slice(data)))
    }
    fn write(&mut self, buf: Buf, data: &[f32]) {
        // Recorded work runs first (a queued write would land before it).
        self.flush().ok();
        self.queue.write_buffer(&self.bufs[buf], 0, bytemuck::cast_slice(data));
    }
    fn write_index(&mut self, buf: Buf, data: &[u32]) {
        self.flush().ok();
        self.queue.write_buffer(&self.bufs[buf], 0, bytemuck::cast_slice(data));
    }
    fn read(&mut self, buf: Buf, len: usize) -> Result<Vec<f32>, GpuError> {
        let size = (len.max(1) * 4) as u64;
        let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("read back"),
            size,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let src = self.bufs[buf].clone();
        self.encoder().copy_buffer_to_buffer(&src, 0, &staging, 0, size);
        self.flush()?;
        let slice = staging.slice(..);
        let (tx, rx) = std::sync::mpsc::channel();
        slice.map_async(wgpu::MapMode::Read, move |r| {
            tx.send(r).ok();
        });
        self.device.poll(wgpu::PollType::wait_indefinitely()).map_err(|e| GpuError::Device(e.to_string()))?;
        rx.recv()
            .map_err(|e| GpuError::Device(e.to_string()))?
            .map_err(|e| GpuError::Device(format!("reading a buffer back: {e}")))?;
        let view = slice.get_mapped_range().map_err(|e| GpuError::Device(e.to_string()))?;
        let out: Vec<f32> = bytemuck::cast_slice::<u8, f32>(&view)[..len].to_vec();
        drop(view);
        staging.unmap();
        Ok(out)
    }
    fn matmul(&mut self, a: Buf, b: Buf, c: Buf, m: usize, n: usize, k: usize, flags: MatmulFlags) {
        let params = words(&[m as u32, n as u32, k as u32, flags.bits()]);
        self.dispatch(Kernel::Matmul, params, &[a, b, c], (n.div_ceil(64) as u32, m.div_ceil(64) as u32));
    }
    fn bias_act(&mut self, z: Buf, bias: Buf, out: Buf, rows: usize, cols: usize, act: Activation) {
        let params = words(&[rows as u32, cols as u32, act as u32]);
        self.dispatch(Kernel::ActForward, params, &[z, bias, out], Self::linear(rows * cols));
    }
    fn act_grad(&mut self, z: Buf, g: Buf, len: usize, act: Activation) {
        let params = words(&[1, len as u32, act as u32]);
        self.dispatch(Kernel::ActBackward, params, &[z, g], Self::linear(len));
    }
    fn loss(&mut self, kind: LossKind, out: Buf, y: Buf, grad: Buf, row_loss: Buf, rows: usize, cols: usize) {
        let scale = 1.0 / rows.max(1) as f32;
        let params = words(&[rows as u32, cols as u32, scale.to_bits()]);
        let kernel = if kind == LossKind::SoftmaxCe { Kernel::SoftmaxCe } else { Kernel::Mse };
        self.dispatch(kernel, params, &[out, y, grad, row_loss], Self::linear(rows));
    }
    fn col_sum(&mut self, x: Buf, out: Buf, rows: usize, cols: usize, accumulate: bool) {
        let params = words(&[rows as u32, cols as u32, accumulate as u32]);
        self.dispatch(Kernel::ColSum, params, &[x, out], (cols as u32, 1));
    }
    fn optimise(&mut self, kind: Optimiser, w: Buf, g: Buf, m: Buf, v: Buf, len: usize, s: &Step) {
        let f = |x: f32| x.to_bits();
        let params = [len as u32, f(s.lr), f(s.beta1), f(s.beta2), f(s.eps), f(s.l2), f(s.bc1), f(s.bc2)];
        let kernel = if kind == Optimiser::Adam { Kernel::Adam } else { Kernel::Sgd };
        self.dispatch(kernel, params, &[w, g, m, v], Self::linear(len));
    }
    fn gather(&mut self, src: Buf, idx: Buf, dst: Buf, rows: usize, cols: usize, offset: usize) {
        let params = words(&[rows as u32, cols as u32, offset as u32]);
        self.dispatch(Kernel::Gather, params, &[src, idx, dst], Self::linear(rows * cols));
    }
    fn dropout(&mut self, x: Buf, len: usize, rate: f32, seed: u32) {
        let params = words(&[1, len as u32, seed, rate.to_bits()]);
        // The kernel scales binding 3 (bindings 1 and 2 are unused).
        self.dispatch(Kernel::Dropout, params, &[self.dummies[0], self.dummies[1], x], Self::linear(len));
    }
    fn mf_sgd(&mut self, model: Buf, ratings: Buf, cells: Buf, loss: Buf, s: &MfStep) {
        let f = |x: f32| x.to_bits();
        let params = [
            s.blocks as u32,
            s.stratum as u32,
            s.factors as u32,
            s.users as u32,
            s.items as u32,
            f(s.lr),
            f(s.reg),
            f(s.mean),
        ];
        // One thread per block; each walks its cell of this stratum.
        self.dispatch(Kernel::Factorize, params, &[model, ratings, cells, loss], (s.blocks.div_ceil(64) as u32, 1));
    }
    fn im2col(&mut self, x: Buf, cols: Buf, s: &ConvShape) {
        let len = s.out_pixels() * s.kernel * s.kernel * s.channels;
        self.dispatch(Kernel::Im2col, conv_words(s, false), &[x, cols], Self::linear(len));
    }
    fn depthwise(&mut self, x: Buf, w: Buf, bias: Buf, out: Buf, s: &ConvShape, relu6: bool) {
        let len = s.out_pixels() * s.channels;
        self.dispatch(Kernel::Depthwise, conv_words(s, relu6), &[x, w, bias, out], Self::linear(len));
    }
    fn add(&mut self, a: Buf, b: Buf, len: usize) {
        self.dispatch(Kernel::Add, words(&[len as u32]), &[a, b], Self::linear(len));
    }
    fn mean_pool(&mut self, x: Buf, out: Buf, batch: usize, pixels: usize, channels: usize) {
        let params = words(&[batch as u32, pixels as u32, 0, channels as u32]);
        self.dispatch(Kernel::MeanPool, params, &[x, out], Self::linear(batch * channels));
    }
    fn flush(&mut self) -> Result<(), GpuError> {
        self.pass = None;
        if let Some(encoder) = self.encoder.take() {
            if !self.arena.is_empty() {
                self.queue.write_buffer(&self.uniform, 0, &self.arena);
            }
            self.queue.submit([encoder.finish()]);
            self.arena.clear();
        }
        Ok(())
    }
    fn memory_bytes(&self) -> u64 {
        self.bytes
    }
}
