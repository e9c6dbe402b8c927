//! A pool of device buffers, reused across jobs.
//!
//! Owns: [`BufferPool`]. Creating and freeing storage buffers of tens of megabytes per job
//! costs driver time (and on lavapipe a zeroing pass); jobs of the same size ask for the same
//! buffer sizes again and again, so finished chains hand their buffers back here and the next
//! chain takes them. Buffers are keyed by exact size and usage. The pool holds at most
//! [`BufferPool::new`]'s byte budget; beyond it returned buffers are simply dropped.
//!
//! May import: wgpu only.

use std::collections::HashMap;
use std::sync::Mutex;

/// Free buffers by (size, usage bits).
pub struct BufferPool {
    /// `std::sync::Mutex`: held only for a hash-map lookup, never across a GPU wait, so a
    /// blocking lock is cheaper than anything async, and jobs run on blocking threads.
    free: Mutex<Free>,
    budget: u64,
}

#[derive(Default)]
struct Free {
    by_key: HashMap<(u64, u32), Vec<wgpu::Buffer>>,
    bytes: u64,
}

impl BufferPool {
    /// An empty pool that keeps at most `budget` bytes of idle buffers.
    pub fn new(budget: u64) -> Self {
        BufferPool { free: Mutex::new(Free::default()), budget }
    }

    /// A buffer of exactly `size` bytes and `usage`: a pooled one when available, else new.
    pub fn take(&self, device: &wgpu::Device, label: &str, size: u64, usage: wgpu::BufferUsages) -> wgpu::Buffer {
        let key = (size, usage.bits());
        if let Ok(mut free) = self.free.lock() {
            if let Some(b) = free.by_key.get_mut(&key).and_then(Vec::pop) {
                free.bytes = free.bytes.saturating_sub(size);
                return b;
            }
        }
        device.create_buffer(&wgpu::BufferDescriptor { label: Some(label), size, usage, mapped_at_creation: false })
    }

    /// Return buffers the GPU has finished with (their last submission completed). Mapped
    /// buffers must be unmapped first.
    pub fn give(&self, buffers: impl IntoIterator<Item = wgpu::Buffer>) {
        let Ok(mut free) = self.free.lock() else { return };
        for b in buffers {
            let size = b.size();
            if free.bytes.saturating_add(size) > self.budget {
                continue;
            }
            free.bytes += size;
            free.by_key.entry((size, b.usage().bits())).or_default().push(b);
        }
    }

    /// Bytes held idle.
    pub fn idle_bytes(&self) -> u64 {
        self.free.lock().map(|f| f.bytes).unwrap_or(0)
    }
}
