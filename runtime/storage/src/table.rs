//! One data source's table: a Delta Lake table plus a write buffer with its write-ahead log,
//! committed in groups by a background task.

use std::path::PathBuf;
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use deltalake::datafusion::catalog::TableProvider;
use deltalake::kernel::engine::arrow_conversion::TryIntoKernel;
use deltalake::kernel::transaction::{CommitBuilder, CommitProperties};
use deltalake::kernel::{Action, Add, Remove, Transaction};
use deltalake::protocol::{DeltaOperation, SaveMode};
use deltalake::writer::{DeltaWriter, RecordBatchWriter};
use deltalake::{DeltaTable, DeltaTableBuilder, StructType};
use object_store::ObjectStoreExt;
use parking_lot::Mutex;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use tokio::sync::{Notify, oneshot};

use crate::engine::{Engine, FoldFor};
use crate::physical::{self, Layout};
use crate::wal::{self, Segment};
use crate::{DataSource, Error, FlushPolicy, Location, Result};

/// The Delta application-transaction id under which WAL segment numbers are committed, so a
/// replay after a crash never commits a segment twice.
const WAL_APP_ID: &str = "colibri-wal";

/// Row and byte counts of a table.
#[derive(Debug, Clone, Copy, Default)]
pub struct TableStats {
    /// Rows committed to Delta plus rows in the write buffer.
    pub rows: u64,
    /// Bytes of the committed Parquet files.
    pub bytes: u64,
}

/// Rows written as Parquet files of a table but not committed: invisible until
/// `Table::commit_staged` adds them to the Delta log.
pub struct Staged {
    files: Vec<Add>,
    pub rows: u64,
    pub bytes: u64,
}

impl Staged {
    fn of(files: Vec<Add>, rows: u64) -> Staged {
        let bytes = files.iter().map(|file| file.size.max(0) as u64).sum();
        Staged { files, rows, bytes }
    }
}

/// The largest file the table's writers write (Parquet bytes; about 4M rows of the
/// benchmark's events).
const STAGED_FILE_BYTES: u64 = 128 << 20;

/// The files of one import into one table, being written (see [`Table::stager`]).
pub struct Stager {
    /// Only ever reached through `&mut` (`Mutex::get_mut`, no locking): the mutex makes the
    /// stager `Sync`, which the request's capabilities must be and the writer is not.
    writer: std::sync::Mutex<RecordBatchWriter>,
    rows: u64,
}

impl Stager {
    fn writer(&mut self) -> &mut RecordBatchWriter {
        self.writer
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Ends the files written: staged rows, ready for `commit_staged`.
    pub async fn finish(mut self) -> Result<Staged> {
        let files = self.writer().flush().await?;
        Ok(Staged::of(files, self.rows))
    }
}

/// What a reader sees: the committed Delta snapshot and the rows not yet in it.
pub struct TableSnapshot {
    pub delta: DeltaTable,
    pub buffered: Vec<RecordBatch>,
}

type Waiter = oneshot::Sender<()>;

/// Makes a new Delta version the one readers see, with its row and byte counts.
pub(crate) fn install(state: &mut State, delta: DeltaTable) {
    let (committed_rows, committed_bytes) = committed_stats(&delta);
    state.delta = delta;
    state.committed_rows = committed_rows;
    state.committed_bytes = committed_bytes;
}

pub(crate) struct State {
    pub(crate) delta: DeltaTable,
    /// Rows waiting for the next commit, with the WAL segments that hold them.
    pending: Vec<RecordBatch>,
    pending_rows: usize,
    pending_waiters: Vec<Waiter>,
    sealed: Vec<Segment>,
    /// Rows of the commit in flight (still visible to readers until it lands).
    committing: Vec<RecordBatch>,
    segment: Segment,
    committed_rows: u64,
    committed_bytes: u64,
}

pub struct Table {
    pub id: String,
    pub name: String,
    pub(crate) logical: SchemaRef,
    /// The schema queries read the rows in: `logical`, with LowCardinality text as
    /// dictionaries.
    pub(crate) queried: SchemaRef,
    pub(crate) layout: Layout,
    pub(crate) engine: Engine,
    wal_dir: PathBuf,
    policy: FlushPolicy,
    pub(crate) state: Mutex<State>,
    wake: Notify,
    pub(crate) commit_lock: tokio::sync::Mutex<()>,
    /// The table version compaction last looked at.
    pub(crate) compaction_examined: std::sync::atomic::AtomicU64,
    /// Set when the data source is dropped: the committer stops.
    closed: std::sync::atomic::AtomicBool,
}

async fn open_delta(
    datasource: &DataSource,
    location: &Location,
    physical: &SchemaRef,
) -> Result<DeltaTable> {
    let url = location.table_url(&datasource.id)?;
    let mut table = DeltaTableBuilder::from_url(url.clone())?
        .with_storage_backend(location.root_store(), url)
        .build()?;
    match table.load().await {
        Ok(()) => Ok(table),
        Err(e) if table.verify_deltatable_existence().await.unwrap_or(false) => Err(e.into()),
        Err(_) => {
            let schema: StructType = physical.as_ref().try_into_kernel().map_err(|e| {
                Error::Invalid(format!(
                    "schema of '{}' cannot be stored: {e}",
                    datasource.name
                ))
            })?;
            Ok(table
                .create()
                .with_table_name(&datasource.name)
                .with_columns(schema.fields().cloned())
                .await?)
        }
    }
}

fn committed_stats(delta: &DeltaTable) -> (u64, u64) {
    let Ok(snapshot) = delta.snapshot() else {
        return (0, 0);
    };
    snapshot
        .log_data()
        .iter()
        .fold((0, 0), |(rows, bytes), file| {
            (
                rows + file.num_records().unwrap_or(0) as u64,
                bytes + file.size().max(0) as u64,
            )
        })
}

/// Commits between two cleanups of expired Delta log files.
const LOG_CLEANUP_EVERY: u64 = 100;

/// Writes rows as Parquet files of the table without committing them, as one block (a flush
/// of single-event requests holds thousands of 1-row batches). For an engine that folds, the
/// block is folded first, as ClickHouse does on insert.
async fn write_files(
    delta: &DeltaTable,
    layout: &Layout,
    engine: &Engine,
    batches: &[RecordBatch],
) -> Result<Staged> {
    let (rows, block) = block_of(engine, batches)?;
    let files = write_block(delta, layout, block.as_ref()).await?;
    Ok(Staged::of(files, rows))
}

/// The batches as one block, folded for an engine that folds, and how many rows were given
/// (not how many are left after folding: what the caller inserted).
fn block_of(engine: &Engine, batches: &[RecordBatch]) -> Result<(u64, Option<RecordBatch>)> {
    let rows = batches.iter().map(|b| b.num_rows() as u64).sum();
    let mut block = match batches.first() {
        Some(first) => Some(arrow::compute::concat_batches(&first.schema(), batches)?),
        None => None,
    };
    if let Some(rows) = block.as_mut().filter(|_| engine.folds()) {
        *rows = engine.fold(rows, FoldFor::Merge)?;
    }
    Ok((rows, block))
}

/// A writer of Parquet files of the table, laid out by `layout` for `rows` rows, in files of
/// up to [`STAGED_FILE_BYTES`].
fn parquet_writer(delta: &DeltaTable, layout: &Layout, rows: usize) -> Result<RecordBatchWriter> {
    Ok(RecordBatchWriter::for_table(delta)?
        .with_writer_properties(layout.writer_properties(rows))
        .with_target_file_size(STAGED_FILE_BYTES))
}

/// Writes one block of rows (none: no file) as Parquet files of the table.
pub(crate) async fn write_block(
    delta: &DeltaTable,
    layout: &Layout,
    block: Option<&RecordBatch>,
) -> Result<Vec<Add>> {
    let rows = block.map_or(0, RecordBatch::num_rows);
    let mut writer = parquet_writer(delta, layout, rows)?;
    if let Some(block) = block {
        writer
            .write(physical::to_physical(block, &layout.schema)?)
            .await?;
    }
    Ok(writer.flush().await?)
}

/// Stamps added files with their insertion order: modification times (milliseconds) after
/// every file of the table, increasing in the order of `files`. Engines that fold read the
/// files in this order (see `provider.rs`).
fn stamp_insertion_order(delta: &DeltaTable, files: &mut [Add]) -> Result<()> {
    let latest = delta
        .snapshot()?
        .log_data()
        .iter()
        .map(|file| file.modification_time())
        .max()
        .unwrap_or(0);
    let first = chrono::Utc::now().timestamp_millis().max(latest + 1);
    for (time, file) in (first..).zip(files) {
        file.modification_time = time;
    }
    Ok(())
}

/// One Delta commit adding the staged files and, with `replace_all`, removing every file of
/// the current snapshot; with `wal_seq`, recording the WAL segment it commits.
async fn commit(
    delta: DeltaTable,
    staged: Vec<Staged>,
    replace_all: bool,
    wal_seq: Option<u64>,
) -> Result<DeltaTable> {
    let mut added: Vec<Add> = staged.into_iter().flat_map(|s| s.files).collect();
    stamp_insertion_order(&delta, &mut added)?;
    let mut actions: Vec<Action> = added.into_iter().map(Action::Add).collect();
    if replace_all {
        actions.extend(
            files_in_insertion_order(&delta)?
                .into_iter()
                .map(|file| Action::Remove(file.remove)),
        );
    }
    let operation = DeltaOperation::Write {
        mode: if replace_all {
            SaveMode::Overwrite
        } else {
            SaveMode::Append
        },
        partition_by: None,
        predicate: None,
    };
    commit_actions(delta, actions, operation, wal_seq).await
}

/// One Delta commit of `actions`; with `wal_seq`, recording the WAL segment it commits.
pub(crate) async fn commit_actions(
    mut delta: DeltaTable,
    actions: Vec<Action>,
    operation: DeltaOperation,
    wal_seq: Option<u64>,
) -> Result<DeltaTable> {
    // Cleaning expired log files lists the whole `_delta_log` folder, so doing it on every
    // commit (deltalake's default) makes each commit slower as the table ages; do it once
    // every LOG_CLEANUP_EVERY commits instead.
    let next_version = delta.version().map_or(0, |v| v + 1);
    let mut properties = CommitProperties::default()
        .with_cleanup_expired_logs(Some(next_version.is_multiple_of(LOG_CLEANUP_EVERY)));
    if let Some(seq) = wal_seq {
        properties =
            properties.with_application_transaction(Transaction::new(WAL_APP_ID, seq as i64));
    }
    let finalized = CommitBuilder::from(properties)
        .with_actions(actions)
        .build(Some(delta.snapshot()?), delta.log_store(), operation)
        .await?;
    delta.state = Some(finalized.snapshot());
    Ok(delta)
}

/// A committed file of a table.
pub(crate) struct CommittedFile {
    /// Its place in insertion order (the stamped modification time).
    pub inserted: i64,
    pub path: object_store::path::Path,
    pub size: u64,
    /// The action that removes it.
    pub remove: Remove,
}

/// The committed files of a table in insertion order.
pub(crate) fn files_in_insertion_order(delta: &DeltaTable) -> Result<Vec<CommittedFile>> {
    let Ok(snapshot) = delta.snapshot() else {
        return Ok(Vec::new());
    };
    let mut files: Vec<_> = snapshot
        .log_data()
        .iter()
        .map(|file| CommittedFile {
            inserted: file.modification_time(),
            path: file.object_store_path(),
            size: file.size().max(0) as u64,
            remove: file.remove_action(true),
        })
        .collect();
    files.sort_by(|a, b| (a.inserted, &a.path).cmp(&(b.inserted, &b.path)));
    Ok(files)
}

/// The rows of committed files, file after file, each in its own row order, in the logical
/// schema.
pub(crate) async fn read_files(
    delta: &DeltaTable,
    logical: &SchemaRef,
    files: &[CommittedFile],
) -> Result<Vec<RecordBatch>> {
    let store = delta.object_store();
    let mut batches = Vec::new();
    for file in files {
        let bytes = store.get(&file.path).await?.bytes().await?;
        for batch in ParquetRecordBatchReaderBuilder::try_new(bytes)?.build()? {
            batches.push(physical::to_logical(&batch?, logical)?);
        }
    }
    Ok(batches)
}

/// Writes and commits buffered rows, recording the last WAL segment that holds them.
async fn write_delta(
    delta: DeltaTable,
    layout: &Layout,
    engine: &Engine,
    batches: &[RecordBatch],
    wal_seq: u64,
) -> Result<DeltaTable> {
    let staged = write_files(&delta, layout, engine, batches).await?;
    commit(delta, vec![staged], false, Some(wal_seq)).await
}

impl Table {
    /// Opens (creating when absent) the Delta table of a data source, commits whatever its
    /// write-ahead log holds that Delta does not, and starts its committer.
    pub async fn open(
        datasource: &DataSource,
        location: &Location,
        wal_dir: PathBuf,
        policy: FlushPolicy,
    ) -> Result<Arc<Table>> {
        let logical = datasource.arrow_schema();
        let layout = Layout::of(datasource);
        let engine = Engine::of(datasource)?;
        let mut delta = open_delta(datasource, location, &layout.schema).await?;

        let committed_seq = delta
            .snapshot()?
            .transaction_version(delta.log_store().as_ref(), WAL_APP_ID)
            .await?
            .unwrap_or(-1);
        let mut replay = Vec::new();
        let mut last_seq = committed_seq;
        for seq in wal::list_segments(&wal_dir)? {
            if seq as i64 > committed_seq {
                replay.extend(wal::read_segment(&wal_dir, seq)?);
            }
            last_seq = last_seq.max(seq as i64);
        }
        if !replay.is_empty() {
            tracing::info!(table = %datasource.name, rows = replay.iter().map(|b| b.num_rows()).sum::<usize>(), "replaying write-ahead log");
            delta = write_delta(delta, &layout, &engine, &replay, last_seq as u64).await?;
        }
        for seq in wal::list_segments(&wal_dir)? {
            wal::remove_segment_file(&wal_dir, seq)?;
        }
        let (committed_rows, committed_bytes) = committed_stats(&delta);
        let segment = Segment::create(&wal_dir, (last_seq + 1) as u64)?;
        let table = Arc::new(Table {
            id: datasource.id.clone(),
            name: datasource.name.clone(),
            logical,
            queried: datasource.query_schema(),
            layout,
            engine,
            wal_dir,
            policy,
            state: Mutex::new(State {
                delta,
                pending: Vec::new(),
                pending_rows: 0,
                pending_waiters: Vec::new(),
                sealed: Vec::new(),
                committing: Vec::new(),
                segment,
                committed_rows,
                committed_bytes,
            }),
            wake: Notify::new(),
            commit_lock: tokio::sync::Mutex::new(()),
            compaction_examined: std::sync::atomic::AtomicU64::new(u64::MAX),
            closed: std::sync::atomic::AtomicBool::new(false),
        });
        tokio::spawn(table.clone().run_committer());
        Ok(table)
    }

    /// The logical Arrow schema of the table's rows.
    pub fn schema(&self) -> SchemaRef {
        self.logical.clone()
    }

    /// A batch a query read from the table, in the schema rows are stored and appended in.
    pub fn as_stored(&self, batch: &RecordBatch) -> Result<RecordBatch> {
        physical::to_logical(batch, &self.logical)
    }

    pub fn stats(&self) -> TableStats {
        let state = self.state.lock();
        let buffered: usize = state
            .committing
            .iter()
            .map(RecordBatch::num_rows)
            .sum::<usize>()
            + state.pending_rows;
        TableStats {
            rows: state.committed_rows + buffered as u64,
            bytes: state.committed_bytes,
        }
    }

    /// A consistent view for readers: the Delta snapshot and the buffered rows not in it.
    pub fn snapshot(&self) -> TableSnapshot {
        let state = self.state.lock();
        let mut buffered = state.committing.clone();
        buffered.extend(state.pending.iter().cloned());
        TableSnapshot {
            delta: state.delta.clone(),
            buffered,
        }
    }

    fn check_schema(&self, batch: &RecordBatch) -> Result<()> {
        let expected = self.logical.fields();
        let got = batch.schema();
        let matches =
            got.fields().len() == expected.len()
                && expected.iter().zip(got.fields()).zip(batch.columns()).all(
                    |((e, g), column)| {
                        g.name() == e.name()
                            && g.data_type() == e.data_type()
                            && (e.is_nullable() || column.null_count() == 0)
                    },
                );
        if matches {
            return Ok(());
        }
        let describe = |fields: &arrow::datatypes::Fields| {
            fields
                .iter()
                .map(|f| format!("{} {}", f.name(), f.data_type()))
                .collect::<Vec<_>>()
                .join(", ")
        };
        Err(Error::Invalid(format!(
            "rows for '{}' do not have its schema: expected ({}), got ({})",
            self.name,
            describe(expected),
            describe(got.fields())
        )))
    }

    /// Appends rows: written to the WAL and made visible at once; with `wait`, returns only
    /// after the Delta commit that holds them.
    pub async fn append(&self, batches: Vec<RecordBatch>, wait: bool) -> Result<u64> {
        for batch in &batches {
            self.check_schema(batch)?;
        }
        // Batches are stored with the table's own schema (field metadata included).
        let batches = batches
            .into_iter()
            .filter(|b| b.num_rows() > 0)
            .map(|b| RecordBatch::try_new(self.logical.clone(), b.columns().to_vec()))
            .collect::<Result<Vec<_>, _>>()?;
        let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
        if rows == 0 {
            return Ok(0);
        }
        let (waiter, wake_now) = {
            let mut state = self.state.lock();
            state.segment.append(&batches)?;
            state.pending.extend(batches);
            state.pending_rows += rows;
            let waiter = wait.then(|| {
                let (sender, receiver) = oneshot::channel();
                state.pending_waiters.push(sender);
                receiver
            });
            (waiter, wait || state.pending_rows >= self.policy.max_rows)
        };
        if wake_now {
            self.wake.notify_one();
        }
        if let Some(waiter) = waiter {
            waiter.await.map_err(|_| {
                Error::CommitFailed(format!("committer of '{}' stopped", self.name))
            })?;
        }
        Ok(rows as u64)
    }

    /// Commits every buffered row now.
    pub async fn flush(&self) -> Result<()> {
        self.commit_pending().await
    }

    /// A writer for the rows of one import, which come in pieces: they are written as they
    /// come into Parquet files of up to [`STAGED_FILE_BYTES`] (a few, large files, not one per
    /// piece: every query pays for each file a table has), and committed by `commit_staged`.
    pub fn stager(&self) -> Result<Stager> {
        let delta = self.state.lock().delta.clone();
        // How many rows the files will hold is not known yet: bloom filters are sized for a
        // full row group (Parquet folds them down to what they hold when a row group ends).
        let writer = parquet_writer(&delta, &self.layout, usize::MAX)?;
        Ok(Stager {
            writer: std::sync::Mutex::new(writer),
            rows: 0,
        })
    }

    /// Writes one piece of an import (folded first, for an engine that folds); returns how
    /// many rows it had.
    pub async fn stage_piece(&self, stager: &mut Stager, batches: &[RecordBatch]) -> Result<u64> {
        for batch in batches {
            self.check_schema(batch)?;
        }
        let (rows, block) = block_of(&self.engine, batches)?;
        if let Some(block) = block {
            stager
                .writer()
                .write(physical::to_physical(&block, &self.layout.schema)?)
                .await?;
        }
        stager.rows += rows;
        Ok(rows)
    }

    /// Makes staged rows visible, all in one Delta commit; returns how many rows. With
    /// `replace` the same commit removes every row the table held (the buffered rows are
    /// committed first, so they go too).
    pub async fn commit_staged(&self, staged: Vec<Staged>, replace: bool) -> Result<u64> {
        let rows = staged.iter().map(|s| s.rows).sum();
        if replace {
            self.commit_pending().await?;
        } else if staged.is_empty() {
            return Ok(0);
        }
        let _one_commit_at_a_time = self.commit_lock.lock().await;
        self.commit_files(staged, replace).await?;
        Ok(rows)
    }

    /// Rewrites the committed rows in one commit: the buffered rows are committed first, then
    /// `keep` gets a view of the committed rows and returns the ones to keep, which replace
    /// them all, together with the `added` staged rows. No other commit runs meanwhile; rows
    /// appended meanwhile wait in the buffer and are untouched. Returns how many committed
    /// rows there were before, and how many of them were kept.
    pub async fn rewrite<F, Fut>(&self, keep: F, added: Vec<Staged>) -> Result<(u64, u64)>
    where
        F: FnOnce(Arc<dyn TableProvider>) -> Fut,
        Fut: std::future::Future<Output = Result<Vec<RecordBatch>>>,
    {
        self.commit_pending().await?;
        let _one_commit_at_a_time = self.commit_lock.lock().await;
        let (delta, rows_before) = {
            let state = self.state.lock();
            (state.delta.clone(), state.committed_rows)
        };
        let committed = TableSnapshot {
            delta,
            buffered: Vec::new(),
        };
        let kept = keep(self.view_of(committed))
            .await?
            .iter()
            .map(|batch| self.as_stored(batch))
            .collect::<Result<Vec<_>>>()?;
        let mut stager = self.stager()?;
        self.stage_piece(&mut stager, &kept).await?;
        let staged = stager.finish().await?;
        let rows_kept = staged.rows;
        let mut files = added;
        files.push(staged);
        self.commit_files(files, true).await?;
        Ok((rows_before, rows_kept))
    }

    /// Commits staged files (see `commit`) and makes the new version the one readers see. The
    /// caller holds `commit_lock`.
    async fn commit_files(&self, staged: Vec<Staged>, replace_all: bool) -> Result<()> {
        let delta = self.state.lock().delta.clone();
        let delta = commit(delta, staged, replace_all, None).await?;
        install(&mut self.state.lock(), delta);
        Ok(())
    }

    /// Deletes every row in one Delta commit, after committing the buffered ones; returns how
    /// many rows there were. Readers see all rows or none.
    pub async fn truncate(&self) -> Result<u64> {
        self.commit_pending().await?;
        let _one_commit_at_a_time = self.commit_lock.lock().await;
        let (delta, rows) = {
            let state = self.state.lock();
            (state.delta.clone(), state.committed_rows)
        };
        let (delta, _) = delta.delete().await?;
        install(&mut self.state.lock(), delta);
        Ok(rows)
    }

    /// Stops the committer, for a dropped data source.
    pub fn close(&self) {
        self.closed.store(true, std::sync::atomic::Ordering::SeqCst);
        self.wake.notify_one();
    }

    async fn run_committer(self: Arc<Self>) {
        loop {
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(self.policy.interval) => {}
            }
            if self.closed.load(std::sync::atomic::Ordering::SeqCst) {
                return;
            }
            if let Err(e) = self.commit_pending().await {
                tracing::error!(table = %self.name, error = %e, "commit failed; rows stay buffered and will be retried");
                tokio::time::sleep(self.policy.interval).await;
            } else if let Err(e) = self.compact().await {
                tracing::warn!(table = %self.name, error = %e, "compaction failed; the files stay as they are");
            }
        }
    }

    async fn commit_pending(&self) -> Result<()> {
        let _one_commit_at_a_time = self.commit_lock.lock().await;
        let (batches, waiters, segments, delta) = {
            let mut state = self.state.lock();
            if state.pending.is_empty() {
                return Ok(());
            }
            let next = Segment::create(&self.wal_dir, state.segment.seq + 1)?;
            let sealed = std::mem::replace(&mut state.segment, next);
            state.sealed.push(sealed);
            state.committing = std::mem::take(&mut state.pending);
            state.pending_rows = 0;
            (
                state.committing.clone(),
                std::mem::take(&mut state.pending_waiters),
                std::mem::take(&mut state.sealed),
                state.delta.clone(),
            )
        };
        let last_seq = segments.last().map(|s| s.seq).unwrap_or_default();
        match write_delta(delta, &self.layout, &self.engine, &batches, last_seq).await {
            Ok(delta) => {
                {
                    // One lock: readers see the committed rows in the buffer or in Delta.
                    let mut state = self.state.lock();
                    state.committing.clear();
                    install(&mut state, delta);
                }
                for segment in segments {
                    segment.remove()?;
                }
                for waiter in waiters {
                    let _ = waiter.send(());
                }
                Ok(())
            }
            Err(e) => {
                let mut state = self.state.lock();
                let mut restored = std::mem::take(&mut state.committing);
                restored.append(&mut state.pending);
                state.pending_rows = restored.iter().map(RecordBatch::num_rows).sum();
                state.pending = restored;
                let mut sealed = segments;
                sealed.append(&mut state.sealed);
                state.sealed = sealed;
                let mut all_waiters = waiters;
                all_waiters.append(&mut state.pending_waiters);
                state.pending_waiters = all_waiters;
                Err(e)
            }
        }
    }
}
