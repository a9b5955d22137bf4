//! The WebAssembly side of the host: one Wasmtime engine with the pooling allocator and
//! epoch interruption, every component compiled once (and cached on disk), linked with WASI,
//! wasi:http and `colibri:platform`, and pre-instantiated; each request gets a fresh store.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use wasmtime::component::{Component, HasSelf, Linker, ResourceTable};
use wasmtime::{
    Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store,
    StoreLimits, StoreLimitsBuilder,
};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks, WasiHttpView};

use crate::capabilities::{Capabilities, Guest};
use crate::manifest::{App, ComponentSource};

/// How often the epoch advances; guest deadlines are counted in these ticks.
const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Memory of a finished instance that is reset in place rather than given back to the kernel.
/// A 10k-row events request uses tens of MiB of guest memory; at 4 MiB, ingestion of such
/// requests ran at ~400k rows/s, at 32 MiB ~550k (no page faults or page-table updates for
/// memory the slot's last request already touched).
const KEEP_RESIDENT: usize = 32 << 20;

/// Finished instance slots kept warm (with up to KEEP_RESIDENT of memory each), which bounds
/// the memory kept resident after a burst to WARM_SLOTS × KEEP_RESIDENT (512 MiB) per linear
/// memory of a component.
const WARM_SLOTS: u32 = 16;

/// Per-request limits of a guest.
#[derive(Debug, Clone, Copy)]
pub struct GuestLimits {
    pub timeout: Duration,
    pub memory_bytes: usize,
    /// Instances that may run at once (slots of the pooling allocator).
    pub max_instances: u32,
}

/// Outgoing HTTP from guests is refused: components reach the world only through the host.
struct NoOutgoingHttp;

type OutgoingResult = wasmtime_wasi_http::Result<(
    http::Response<wasmtime_wasi_http::WasiBody>,
    Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
)>;

impl WasiHttpHooks for NoOutgoingHttp {
    fn send_request(
        &mut self,
        _request: http::Request<wasmtime_wasi_http::WasiBody>,
        _options: Option<wasmtime_wasi_http::RequestOptions>,
        _fut: Box<dyn Future<Output = wasmtime_wasi_http::Result<()>> + Send>,
    ) -> Box<dyn Future<Output = OutgoingResult> + Send> {
        Box::new(async { Err(wasmtime_wasi_http::Error::HttpRequestDenied) })
    }
}

/// The state of one request's store.
pub struct RequestState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    hooks: NoOutgoingHttp,
    table: ResourceTable,
    limits: StoreLimits,
    pub capabilities: Capabilities,
}

impl WasiView for RequestState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for RequestState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}

pub struct WasmRuntime {
    engine: Engine,
    limits: GuestLimits,
    components: HashMap<String, ProxyPre<RequestState>>,
}

impl WasmRuntime {
    /// Compiles (or loads from `cache_dir`) and pre-instantiates every component of `app`.
    pub fn load(
        app: &App,
        limits: GuestLimits,
        cache_dir: &Path,
    ) -> anyhow::Result<Arc<WasmRuntime>> {
        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(limits.max_instances)
            .total_core_instances(limits.max_instances * 2)
            .total_memories(limits.max_instances * 2)
            .total_tables(limits.max_instances * 2)
            .max_memory_size(limits.memory_bytes)
            // Reset a finished instance's dirty pages in place (found with PAGEMAP_SCAN where
            // the kernel has it) instead of unmapping them: the next request on the slot then
            // takes no page faults and no TLB shootdown for its working set.
            .pagemap_scan(Enabled::Auto)
            .max_unused_warm_slots(WARM_SLOTS)
            .linear_memory_keep_resident(KEEP_RESIDENT)
            .table_keep_resident(KEEP_RESIDENT);
        let mut config = Config::new();
        config
            .wasm_component_model(true)
            .epoch_interruption(true)
            // Guests speak wasi:http 0.2 (no component-model async): skip the per-store
            // concurrency machinery and its bookkeeping on every host call.
            .concurrency_support(false)
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let engine = Engine::new(&config)?;

        let mut linker: Linker<RequestState> = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
        Guest::add_to_linker::<_, HasSelf<Capabilities>>(
            &mut linker,
            |state: &mut RequestState| &mut state.capabilities,
        )?;

        std::fs::create_dir_all(cache_dir)?;
        let mut components = HashMap::new();
        for (id, source) in &app.components {
            let component = compile_cached(&engine, source, cache_dir)
                .with_context(|| format!("loading component {id}"))?;
            let pre = ProxyPre::new(linker.instantiate_pre(&component)?)
                .map_err(|e| anyhow::anyhow!("component {id} is not a wasi:http handler: {e}"))?;
            components.insert(id.clone(), pre);
        }

        let ticker = engine.weak();
        std::thread::Builder::new()
            .name("epoch-ticker".into())
            .spawn(move || {
                while let Some(engine) = ticker.upgrade() {
                    engine.increment_epoch();
                    drop(engine);
                    std::thread::sleep(EPOCH_TICK);
                }
            })?;
        Ok(Arc::new(WasmRuntime {
            engine,
            limits,
            components,
        }))
    }

    pub fn component(&self, id: &str) -> Option<&ProxyPre<RequestState>> {
        self.components.get(id)
    }

    /// A fresh store for one request, with its memory cap and a deadline: `timeout`, else the
    /// configured one.
    pub fn new_store(
        &self,
        capabilities: Capabilities,
        timeout: Option<Duration>,
    ) -> Store<RequestState> {
        let state = RequestState {
            wasi: WasiCtx::builder().build(),
            http: WasiHttpCtx::new(),
            hooks: NoOutgoingHttp,
            table: ResourceTable::new(),
            limits: StoreLimitsBuilder::new()
                .memory_size(self.limits.memory_bytes)
                .instances(16)
                .build(),
            capabilities,
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| &mut state.limits);
        let timeout = timeout.unwrap_or(self.limits.timeout);
        let ticks = (timeout.as_millis() / EPOCH_TICK.as_millis()).max(1) as u64;
        store.set_epoch_deadline(ticks);
        store.epoch_deadline_trap();
        store
    }
}

/// Compiles a component, reusing the machine code cached from an earlier start when the
/// component bytes and the engine's configuration are the same.
fn compile_cached(
    engine: &Engine,
    source: &ComponentSource,
    cache_dir: &Path,
) -> anyhow::Result<Component> {
    let bytes: std::borrow::Cow<[u8]> = match source {
        ComponentSource::Embedded(bytes) => std::borrow::Cow::Borrowed(bytes),
        ComponentSource::File(path) => std::borrow::Cow::Owned(std::fs::read(path)?),
    };
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut hasher);
    engine.precompile_compatibility_hash().hash(&mut hasher);
    let cached: PathBuf = cache_dir.join(format!("{:016x}.cwasm", hasher.finish()));
    if cached.exists() {
        // SAFETY: the file was written by `precompile_component` of an engine with the same
        // compatibility hash (it is in the file name), in a folder only this host writes.
        #[allow(unsafe_code)]
        if let Ok(component) = unsafe { Component::deserialize_file(engine, &cached) } {
            return Ok(component);
        }
    }
    let compiled = engine.precompile_component(&bytes)?;
    // Servers starting at once may compile the same component: each writes its own file and
    // the last rename wins, with identical bytes.
    let temporary = cached.with_extension(format!("{}.tmp", std::process::id()));
    std::fs::write(&temporary, &compiled)?;
    std::fs::rename(&temporary, &cached)?;
    // SAFETY: produced just above by this engine.
    #[allow(unsafe_code)]
    let component = unsafe { Component::deserialize(engine, &compiled)? };
    Ok(component)
}
