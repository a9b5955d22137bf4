//! `colibri`: the Colibri host binary. It serves Colibri's HTTP API from WebAssembly
//! components (one per route, listed in a Spin manifest), giving them the native catalog,
//! storage and query services. It owns the CLI, the server, the Wasm engine and the
//! capability implementations; data handling lives in `colibri-storage` and
//! `colibri-query`.

mod auth;
mod capabilities;
mod components {
    include!(concat!(env!("OUT_DIR"), "/components.rs"));
}
mod engine;
mod jobs;
mod limits;
mod manifest;
mod remote;
mod server;
mod stats;
mod ttl;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use colibri_storage::{FlushPolicy, Location, Storage};
use object_store::ObjectStoreExt as _;

use crate::capabilities::{Services, Sizes};
use crate::engine::{GuestLimits, WasmRuntime};
use crate::manifest::App;

/// mimalloc instead of glibc's malloc, as DataFusion's own benchmarks use: queries, the
/// request path and the commits allocate many short-lived objects from several threads.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "colibri",
    version,
    about = "Tinybird-compatible real-time analytics API on WebAssembly"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (the default).
    Serve(ServeArgs),
    /// Create a static token in the catalog (read by the server when it starts).
    CreateToken {
        #[arg(long, default_value = "./colibri-data")]
        data: String,
        #[arg(long)]
        name: String,
        /// A Tinybird scope, e.g. DATASOURCES:READ:events; repeat for several.
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
    },
}

#[derive(Args, Clone)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:7181")]
    listen: SocketAddr,
    /// Data folder or object-store URL (file://, s3://, gs://, az://).
    #[arg(long, default_value = "./colibri-data")]
    data: String,
    /// Local folder for the write-ahead log and compiled components (default: inside the
    /// data folder when it is local, else ./colibri-local).
    #[arg(long)]
    local_dir: Option<PathBuf>,
    /// Folder for compiled components (default: `compiled` in the local folder).
    #[arg(long)]
    compile_cache: Option<PathBuf>,
    /// Serve the routes of this Spin manifest instead of the embedded one.
    #[arg(long)]
    manifest: Option<PathBuf>,
    /// Wall-clock time a component may run per request, in milliseconds.
    #[arg(long, default_value_t = 30_000)]
    guest_timeout_ms: u64,
    /// Memory a component may use per request, in MiB.
    #[arg(long, default_value_t = 512)]
    guest_memory_mib: usize,
    /// Component instances that may run at once.
    #[arg(long, default_value_t = 256)]
    max_instances: u32,
    /// Commit buffered rows at least this often, in milliseconds.
    #[arg(long, default_value_t = 1000)]
    flush_interval_ms: u64,
    /// Commit as soon as this many rows are buffered.
    #[arg(long, default_value_t = 200_000)]
    flush_rows: usize,
    /// Delete rows past their data source's `engine_ttl` this often, in seconds.
    #[arg(long, default_value_t = 60)]
    ttl_interval_secs: u64,
    /// Events API requests per second accepted per data source; more get 429 (EV-13).
    #[arg(long, default_value_t = 1000)]
    events_rate_limit: u32,
    /// Events API body bytes per second accepted per data source; more get 429 (EV-13).
    #[arg(long, default_value_t = 20 * 1024 * 1024)]
    events_bytes_limit: u64,
    /// Largest Events API request body, in bytes (LIM-3).
    #[arg(long, default_value_t = 10 * 1024 * 1024)]
    max_events_body_bytes: u64,
    /// Largest raw (non-multipart) upload body on the wire, in bytes (LIM-4).
    #[arg(long, default_value_t = 8 * 1024 * 1024)]
    max_raw_body_bytes: u64,
    /// Largest multipart upload body on the wire, in bytes (LIM-5).
    #[arg(long, default_value_t = 500 * 1024 * 1024)]
    max_multipart_bytes: u64,
    /// Largest Parquet file, decompressed, in bytes (LIM-7); it is held whole in a component's
    /// memory, so keep it under `--guest-memory-mib`.
    #[arg(long, default_value_t = 256 * 1024 * 1024)]
    max_parquet_file_bytes: u64,
    /// Largest file, decompressed, in bytes (LIM-8).
    #[arg(long, default_value_t = 10 * 1024 * 1024 * 1024)]
    max_file_bytes: u64,
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
                "info,buoyant_kernel=warn,delta_kernel=warn,deltalake_core=warn".into()
            }),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match cli.command {
            None => serve(cli.serve).await,
            Some(Command::Serve(args)) => serve(args).await,
            Some(Command::CreateToken { data, name, scopes }) => {
                create_token(&data, &name, scopes).await
            }
        }
    })
}

fn local_dir(args: &ServeArgs, location: &Location) -> PathBuf {
    if let Some(dir) = &args.local_dir {
        return dir.clone();
    }
    match location.url().to_file_path() {
        Ok(folder) if location.url().scheme() == "file" => folder.join("_local"),
        _ => PathBuf::from("./colibri-local"),
    }
}

async fn open_storage(
    data: &str,
    wal_dir: PathBuf,
    policy: FlushPolicy,
) -> anyhow::Result<Arc<Storage>> {
    let location =
        Location::parse(data).with_context(|| format!("opening data location {data}"))?;
    let storage = Storage::open(location, wal_dir, policy).await?;
    storage.catalog().ensure_workspace("colibri").await?;
    Ok(storage)
}

/// Makes sure the admin token exists: `COLIBRI_ADMIN_TOKEN` fixes its value; otherwise a
/// token is generated on first start, printed once and written to `<data>/admin-token`.
async fn ensure_admin_token(storage: &Storage) -> anyhow::Result<()> {
    const ADMIN: &str = "admin token";
    let catalog = storage.catalog();
    let existing = catalog.token_by_name(ADMIN);
    match std::env::var("COLIBRI_ADMIN_TOKEN")
        .ok()
        .filter(|t| !t.is_empty())
    {
        Some(value) if existing.as_ref().map(|t| &t.token) != Some(&value) => {
            catalog
                .put_token(ADMIN, value, vec!["ADMIN".into()])
                .await?;
        }
        None if existing.is_none() => {
            let workspace = catalog.workspace().context("workspace exists")?;
            let value = auth::mint_token(&workspace.id);
            catalog
                .put_token(ADMIN, value.clone(), vec!["ADMIN".into()])
                .await?;
            storage
                .location()
                .store()
                .put(
                    &object_store::path::Path::from(colibri_storage::ADMIN_TOKEN_FILE),
                    value.clone().into(),
                )
                .await?;
            println!("Admin token (also written to the data folder's admin-token file):\n{value}");
        }
        // The token already has the wanted value.
        Some(_) | None => {}
    }
    Ok(())
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let location = Location::parse(&args.data)?;
    let local = local_dir(&args, &location);
    let policy = FlushPolicy {
        interval: Duration::from_millis(args.flush_interval_ms),
        max_rows: args.flush_rows,
    };
    let storage = open_storage(&args.data, local.join("wal"), policy).await?;
    ensure_admin_token(&storage).await?;

    let app = match &args.manifest {
        Some(path) => App::from_file(path)?,
        None => App::embedded()?,
    };
    let limits = GuestLimits {
        timeout: Duration::from_millis(args.guest_timeout_ms),
        memory_bytes: args.guest_memory_mib << 20,
        max_instances: args.max_instances,
    };
    let cache = args
        .compile_cache
        .clone()
        .unwrap_or_else(|| local.join("compiled"));
    let runtime = WasmRuntime::load(&app, limits, &cache)?;
    let (jobs, job_queue) = jobs::Jobs::restore(storage.clone()).await?;
    let services = Arc::new(Services {
        storage: storage.clone(),
        query: colibri_query::QueryEngine::with_rule_after_aggregate_statistics(Some(Arc::new(
            colibri_storage::DropExactStatistics,
        ))),
        jobs,
        sizes: Sizes {
            events_body_bytes: args.max_events_body_bytes,
            raw_body_bytes: args.max_raw_body_bytes,
            multipart_bytes: args.max_multipart_bytes,
            parquet_file_bytes: args.max_parquet_file_bytes,
            file_bytes: args.max_file_bytes,
        },
    });
    let listener = server::bind(args.listen).await?;
    let server = Arc::new(server::Server {
        app,
        runtime,
        services,
        events_limiter: limits::RateLimiter::new(args.events_rate_limit, args.events_bytes_limit),
    });
    tracing::info!(address = %listener.local_addr()?, data = %storage.location().url(), "colibri is listening");
    tokio::spawn(server.clone().run_jobs(job_queue));
    tokio::spawn(ttl::expire_rows(
        server.services.clone(),
        Duration::from_secs(args.ttl_interval_secs),
    ));
    tokio::select! {
        result = server.serve(listener) => result,
        _ = tokio::signal::ctrl_c() => {
            tracing::info!("shutting down: committing buffered rows");
            storage.flush_all().await?;
            Ok(())
        }
    }
}

async fn create_token(data: &str, name: &str, scopes: Vec<String>) -> anyhow::Result<()> {
    let location = Location::parse(data)?;
    let wal = match location.url().to_file_path() {
        Ok(folder) => folder.join("_local/wal"),
        Err(()) => PathBuf::from("./colibri-local/wal"),
    };
    let storage = open_storage(data, wal, FlushPolicy::default()).await?;
    let workspace = storage.catalog().workspace().context("workspace exists")?;
    let token = storage
        .catalog()
        .put_token(name, auth::mint_token(&workspace.id), scopes)
        .await?;
    println!("{}", token.token);
    Ok(())
}
