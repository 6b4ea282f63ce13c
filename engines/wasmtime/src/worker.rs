//! What a worker process adds to an engine made in the master: the epoch ticker and the
//! pooling allocator for per-request instances. Both are made after `fork` (threads and
//! pools do not survive it), by [`WorkerState::init`] from nginx's `init_process`, or on first
//! use (e.g. in a single-process nginx after a reload, which does not run `init_process`).

use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Instant;

use engine_api::ticker::{CallGuard, Ticker};
use engine_api::{Budget, EngineOptions, GuestError, GuestErrorKind};
use wasmtime::{InstancePre, Store};

use engine_api::abi::HostAbi;

use crate::{config, linker, StoreData, NO_DEADLINE};

/// The epoch ticker and the engines whose epoch it advances (the master's engine, and the
/// worker's pooling engine once made).
struct EpochTicker {
    engines: Arc<Mutex<Vec<wasmtime::Engine>>>,
    ticker: Ticker,
}

impl EpochTicker {
    fn start(engine: wasmtime::Engine) -> std::io::Result<EpochTicker> {
        let engines = Arc::new(Mutex::new(vec![engine]));
        let e = engines.clone();
        let ticker = Ticker::start("ngx-wasm-epoch", move || {
            for engine in e.lock().unwrap_or_else(PoisonError::into_inner).iter() {
                engine.increment_epoch();
            }
        })?;
        Ok(EpochTicker { engines, ticker })
    }

    fn add_engine(&self, engine: wasmtime::Engine) {
        self.engines
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(engine);
    }
}

/// Per-request instances alive at once in one worker: one per call in progress, nested (a
/// content handler flushing through this module's filters) or suspended. When all are
/// taken, instances come from on-demand allocation instead (`Module::instantiate`). Each
/// reserves 4 GiB of address space: 16 did not fit under valgrind (`make bench`), 8 do.
pub(crate) const POOL_INSTANCES: u32 = 8;

/// Table elements a pooled instance may have (wasmtime's default is 20 000).
const POOL_TABLE_ELEMENTS: usize = 100_000;

/// The pooling engine of one worker, with the ABI linked into it.
pub(crate) struct Pool {
    engine: wasmtime::Engine,
    linker: wasmtime::Linker<StoreData>,
    fiber_linker: wasmtime::Linker<StoreData>,
}

impl Pool {
    fn new(options: EngineOptions, abis: &'static [&'static HostAbi]) -> anyhow::Result<Pool> {
        let mut pooling = wasmtime::PoolingAllocationConfig::new();
        pooling
            .total_core_instances(POOL_INSTANCES)
            .total_memories(POOL_INSTANCES)
            .total_tables(POOL_INSTANCES)
            .total_stacks(POOL_INSTANCES)
            .table_elements(POOL_TABLE_ELEMENTS);
        let mut config = config(options);
        config.allocation_strategy(wasmtime::InstanceAllocationStrategy::Pooling(pooling));
        let engine = wasmtime::Engine::new(&config).map_err(anyhow::Error::from)?;
        let linker = linker::build(&engine, abis, false)?;
        let fiber_linker = linker::build(&engine, abis, true)?;
        Ok(Pool {
            engine,
            linker,
            fiber_linker,
        })
    }

    /// Loads `module` (compiled by the master's engine) into the pooling engine, pre-linked
    /// (for calls on a fiber when `fiber`).
    pub(crate) fn load(
        &self,
        module: &wasmtime::Module,
        fiber: bool,
    ) -> anyhow::Result<(wasmtime::Engine, InstancePre<StoreData>)> {
        let bytes = module.serialize().map_err(anyhow::Error::from)?;
        // SAFETY: the bytes were produced just now by `Module::serialize` of this same
        // wasmtime build, from an engine with the same compilation settings (`config`); only
        // the allocation strategy differs, which compiled code does not depend on.
        let module = unsafe { wasmtime::Module::deserialize(&self.engine, bytes) }
            .map_err(anyhow::Error::from)?;
        let linker = if fiber {
            &self.fiber_linker
        } else {
            &self.linker
        };
        let pre = linker
            .instantiate_pre(&module)
            .map_err(anyhow::Error::from)?;
        Ok((self.engine.clone(), pre))
    }
}

/// The worker-side state of an [`crate::Engine`], shared with its modules and instances.
pub(crate) struct WorkerState {
    engine: wasmtime::Engine,
    options: EngineOptions,
    abis: &'static [&'static HostAbi],
    ticker: OnceLock<Result<EpochTicker, String>>,
    pool: OnceLock<Result<Pool, String>>,
}

impl WorkerState {
    pub(crate) fn new(
        engine: wasmtime::Engine,
        options: EngineOptions,
        abis: &'static [&'static HostAbi],
    ) -> Self {
        WorkerState {
            engine,
            options,
            abis,
            ticker: OnceLock::new(),
            pool: OnceLock::new(),
        }
    }

    pub(crate) fn options(&self) -> EngineOptions {
        self.options
    }

    /// Makes the pool (if `request_isolation`) and starts the ticker (if timeouts are used).
    pub(crate) fn init(&self, request_isolation: bool) -> anyhow::Result<()> {
        if request_isolation {
            let mut made = false;
            let pool = self.pool.get_or_init(|| {
                made = true;
                Pool::new(self.options, self.abis).map_err(|e| format!("{e:#}"))
            });
            match pool {
                Err(e) => anyhow::bail!("cannot create the instance pool: {e}"),
                Ok(pool) if made => {
                    // A ticker started earlier must advance the pool engine's epoch too.
                    if let Some(Ok(t)) = self.ticker.get() {
                        t.add_engine(pool.engine.clone());
                    }
                }
                Ok(_) => {}
            }
        }
        if self.options.timeouts {
            self.ticker().map_err(|e| anyhow::anyhow!("{}", e.reason))?;
        }
        Ok(())
    }

    /// The worker's pooling engine, if [`WorkerState::init`] made one.
    pub(crate) fn pool(&self) -> Option<&Pool> {
        self.pool.get()?.as_ref().ok()
    }

    fn ticker(&self) -> Result<&EpochTicker, GuestError> {
        let ticker = self.ticker.get_or_init(|| {
            let t = EpochTicker::start(self.engine.clone())
                .map_err(|e| format!("cannot start the epoch ticker thread: {e}"))?;
            if let Some(pool) = self.pool() {
                t.add_engine(pool.engine.clone());
            }
            Ok(t)
        });
        ticker
            .as_ref()
            .map_err(|e| GuestError::new(GuestErrorKind::Instantiate, e.clone()))
    }

    /// Keeps the ticker running while a step with a deadline runs (the guard's life).
    pub(crate) fn watch(&self) -> Result<CallGuard<'_>, GuestError> {
        Ok(self.ticker()?.ticker.enter())
    }

    /// Applies `budget` to `store` before a call (or an instantiation): its fuel, and its
    /// timeout as the first step's deadline. The guard, when the budget has a timeout, keeps
    /// the ticker running until the step ends.
    pub(crate) fn begin(
        &self,
        store: &mut Store<StoreData>,
        budget: &Budget,
    ) -> Result<Option<CallGuard<'_>>, GuestError> {
        if self.options.fuel {
            store
                .set_fuel(budget.fuel.unwrap_or(u64::MAX))
                .map_err(|e| GuestError::new(GuestErrorKind::Instantiate, e.to_string()))?;
        }
        if !self.options.timeouts {
            if budget.timeout.is_some() {
                return Err(GuestError::new(
                    GuestErrorKind::Instantiate,
                    "a timeout is configured but the engine was made without epochs",
                ));
            }
            return Ok(None);
        }
        // The clock only when there is a deadline to compute: it costs more than a call.
        let deadline = budget.timeout.and_then(|_| budget.deadline(Instant::now()));
        store.data_mut().deadline = deadline;
        if deadline.is_none() {
            store.set_epoch_deadline(NO_DEADLINE);
            return Ok(None);
        }
        let guard = self.ticker()?.ticker.enter();
        // The callback runs at the next tick and checks the clock on every tick after it.
        store.set_epoch_deadline(1);
        Ok(Some(guard))
    }
}
