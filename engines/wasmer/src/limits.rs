//! `wasm_max_memory` on wasmer: tunables that route every memory and table the instance
//! creates through [`MemoryLimiter`].
//!
//! Wasmer has no resource-limiter hook; it creates memories and tables through the engine's
//! [`Tunables`]. Each instance gets an engine clone with [`LimitingTunables`]: creation is
//! checked against the limiter, and each memory is wrapped in [`LimitedMemory`], which asks
//! the limiter before every `memory.grow` (refused: the guest sees -1). Tables cannot be
//! wrapped (wasmer's table is a concrete type), so their maximum is lowered to what the
//! limit leaves at creation instead; a refused `table.grow` then returns -1 too, but is not
//! recorded by the limiter (the only difference from the other engines, see
//! `docs/safety.md`).

use std::ptr::NonNull;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use engine_api::MemoryLimiter;
use std::time::Duration;

use wasmer::sys::vm::{
    ExpectedValue, LinearMemory, MemoryError, MemoryStyle, TableStyle, ThreadConditions, VMMemory,
    VMMemoryDefinition, VMSharedMemory, VMTable, VMTableDefinition, WaiterError,
};
use wasmer::sys::{BaseTunables, Tunables};
use wasmer::{MemoryType, Pages, TableType, WASM_PAGE_SIZE};

/// The limiter of one instance, shared by its memories and the instance.
pub(crate) type SharedLimiter = Arc<Mutex<MemoryLimiter>>;

pub(crate) fn lock(l: &SharedLimiter) -> MutexGuard<'_, MemoryLimiter> {
    l.lock().unwrap_or_else(PoisonError::into_inner)
}

fn refused(ty: &MemoryType) -> MemoryError {
    MemoryError::Generic(format!(
        "memory of {} pages refused by wasm_max_memory",
        ty.minimum.0
    ))
}

/// Tunables that apply one instance's [`MemoryLimiter`].
pub(crate) struct LimitingTunables {
    base: BaseTunables,
    limiter: SharedLimiter,
}

impl LimitingTunables {
    pub(crate) fn new(base: BaseTunables, limiter: SharedLimiter) -> Self {
        LimitingTunables { base, limiter }
    }

    fn admit_memory(&self, ty: &MemoryType) -> Result<(), MemoryError> {
        let bytes = u64::from(ty.minimum.0) * WASM_PAGE_SIZE as u64;
        if lock(&self.limiter).memory_growing(0, bytes) {
            Ok(())
        } else {
            Err(refused(ty))
        }
    }

    /// `ty` with its maximum lowered to what the limit leaves, after checking its minimum.
    fn admit_table(&self, ty: &TableType) -> Result<TableType, String> {
        let mut limiter = lock(&self.limiter);
        if !limiter.table_growing(0, u64::from(ty.minimum)) {
            return Err("table refused by wasm_max_memory".to_string());
        }
        let mut ty = *ty;
        if let Some(limit) = limiter.limits().max_table_elements() {
            let cap = u32::try_from(limit).unwrap_or(u32::MAX);
            ty.maximum = Some(ty.maximum.map_or(cap, |m| m.min(cap)));
        }
        Ok(ty)
    }

    fn wrap(&self, memory: VMMemory) -> VMMemory {
        VMMemory(Box::new(LimitedMemory {
            inner: memory,
            limiter: self.limiter.clone(),
        }))
    }
}

impl Tunables for LimitingTunables {
    fn memory_style(&self, memory: &MemoryType) -> MemoryStyle {
        self.base.memory_style(memory)
    }

    fn table_style(&self, table: &TableType) -> TableStyle {
        self.base.table_style(table)
    }

    fn create_host_memory(
        &self,
        ty: &MemoryType,
        style: &MemoryStyle,
    ) -> Result<VMMemory, MemoryError> {
        self.admit_memory(ty)?;
        Ok(self.wrap(self.base.create_host_memory(ty, style)?))
    }

    unsafe fn create_vm_memory(
        &self,
        ty: &MemoryType,
        style: &MemoryStyle,
        vm_definition_location: NonNull<VMMemoryDefinition>,
    ) -> Result<VMMemory, MemoryError> {
        self.admit_memory(ty)?;
        // SAFETY: the caller's contract (a valid definition location) is passed on unchanged.
        let memory = unsafe {
            self.base
                .create_vm_memory(ty, style, vm_definition_location)?
        };
        Ok(self.wrap(memory))
    }

    fn create_host_table(&self, ty: &TableType, style: &TableStyle) -> Result<VMTable, String> {
        let ty = self.admit_table(ty)?;
        self.base.create_host_table(&ty, style)
    }

    unsafe fn create_vm_table(
        &self,
        ty: &TableType,
        style: &TableStyle,
        vm_definition_location: NonNull<VMTableDefinition>,
    ) -> Result<VMTable, String> {
        let ty = self.admit_table(ty)?;
        // SAFETY: the caller's contract (a valid definition location) is passed on unchanged.
        unsafe {
            self.base
                .create_vm_table(&ty, style, vm_definition_location)
        }
    }
}

/// A memory whose growth the limiter approves first.
#[derive(Debug)]
struct LimitedMemory {
    inner: VMMemory,
    limiter: SharedLimiter,
}

/// What [`LimitedMemory::admit_growth`] decided.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Admit {
    /// The limiter was not asked (no growth, or one the memory's own maximum refuses).
    NotAsked,
    /// The limiter counted the growth: undo it if the memory then fails to grow.
    Counted,
    /// The limiter refused it.
    Refused,
}

impl LimitedMemory {
    fn admit_growth(&self, desired_bytes: u64) -> Admit {
        let current = self.inner.size().bytes().0 as u64;
        if desired_bytes <= current {
            return Admit::NotAsked;
        }
        // Beyond the memory's own maximum the grow fails anyway: not the limiter's refusal.
        let ty = self.inner.ty();
        if let Some(max) = ty.maximum {
            if desired_bytes > u64::from(max.0) * WASM_PAGE_SIZE as u64 {
                return Admit::NotAsked;
            }
        }
        if lock(&self.limiter).memory_growing(current, desired_bytes) {
            Admit::Counted
        } else {
            Admit::Refused
        }
    }

    /// The memory failed a growth the limiter counted: it no longer counts.
    fn failed<T, E>(&self, admit: Admit, result: Result<T, E>) -> Result<T, E> {
        if result.is_err() && admit == Admit::Counted {
            lock(&self.limiter).memory_grow_failed();
        }
        result
    }
}

impl LinearMemory for LimitedMemory {
    fn ty(&self) -> MemoryType {
        self.inner.ty()
    }

    fn size(&self) -> Pages {
        self.inner.size()
    }

    fn style(&self) -> MemoryStyle {
        self.inner.style()
    }

    fn grow(&mut self, delta: Pages) -> Result<Pages, MemoryError> {
        let desired = (u64::from(self.inner.size().0) + u64::from(delta.0)) * WASM_PAGE_SIZE as u64;
        let admit = self.admit_growth(desired);
        if admit == Admit::Refused {
            return Err(MemoryError::CouldNotGrow {
                current: self.inner.size(),
                attempted_delta: delta,
            });
        }
        let grown = self.inner.grow(delta);
        self.failed(admit, grown)
    }

    fn grow_at_least(&mut self, min_size: u64) -> Result<(), MemoryError> {
        let admit = self.admit_growth(min_size);
        if admit == Admit::Refused {
            return Err(MemoryError::CouldNotGrow {
                current: self.inner.size(),
                attempted_delta: Pages(0),
            });
        }
        let grown = self.inner.grow_at_least(min_size);
        self.failed(admit, grown)
    }

    fn reset(&mut self) -> Result<(), MemoryError> {
        self.inner.reset()
    }

    fn vmmemory(&self) -> NonNull<VMMemoryDefinition> {
        self.inner.vmmemory()
    }

    fn try_clone(&self) -> Result<Box<dyn LinearMemory + Send + Sync + 'static>, MemoryError> {
        LinearMemory::try_clone(&self.inner)
    }

    unsafe fn initialize_with_data(
        &self,
        start: usize,
        data: &[u8],
    ) -> Result<(), wasmer::sys::vm::Trap> {
        // SAFETY: the caller's contract is passed on unchanged.
        unsafe { self.inner.initialize_with_data(start, data) }
    }

    fn copy(&self) -> Result<Box<dyn LinearMemory + Send + Sync + 'static>, MemoryError> {
        LinearMemory::copy(&self.inner)
    }

    fn as_shared(&self) -> Result<VMSharedMemory, MemoryError> {
        self.inner.as_shared()
    }

    unsafe fn do_wait(
        &mut self,
        dst: u32,
        expected: ExpectedValue,
        timeout: Option<Duration>,
    ) -> Result<u32, WaiterError> {
        // SAFETY: the caller's contract (a valid, aligned address) is passed on unchanged.
        unsafe { self.inner.do_wait(dst, expected, timeout) }
    }

    fn do_notify(&mut self, dst: u32, count: u32) -> u32 {
        self.inner.do_notify(dst, count)
    }

    fn thread_conditions(&self) -> Option<&ThreadConditions> {
        self.inner.thread_conditions()
    }
}
