//! Background compaction: when a table's newest files are many and small (every group commit
//! of events writes one), they are merged into one, folded by the table's engine and sorted
//! by its sorting key, in their place in insertion order. Like ClickHouse's background
//! merges, it changes what a read without `FINAL` sees for engines that fold, never what a
//! `FINAL` read sees.

use std::sync::atomic::Ordering;

use deltalake::kernel::Action;
use deltalake::protocol::DeltaOperation;

use crate::Result;
use crate::engine::FoldFor;
use crate::table::{
    Table, commit_actions, files_in_insertion_order, install, read_files, write_block,
};

/// Files smaller than this are merged.
const SMALL_FILE_BYTES: u64 = 4 << 20;
/// How many small files must follow each other at the end of the insertion order before they
/// are merged.
const COMPACT_AT_FILES: usize = 16;
/// The most bytes of files merged at once: they are read into memory, decoded (several times
/// their size), folded and written again, and a server importing gigabytes stays under 1 GiB.
const MAX_COMPACTION_BYTES: u64 = 16 << 20;

impl Table {
    /// Merges the newest run of small files when it is long enough. A table version already
    /// looked at is not listed again (the committer asks every tick).
    pub(crate) async fn compact(&self) -> Result<()> {
        let _one_commit_at_a_time = self.commit_lock.lock().await;
        let delta = self.state.lock().delta.clone();
        let Some(version) = delta.version() else {
            return Ok(());
        };
        if self.compaction_examined.swap(version, Ordering::SeqCst) == version {
            return Ok(());
        }
        let files = files_in_insertion_order(&delta)?;
        let mut start = files.len();
        let mut bytes = 0;
        while start > 0
            && files[start - 1].size < SMALL_FILE_BYTES
            && bytes + files[start - 1].size <= MAX_COMPACTION_BYTES
        {
            start -= 1;
            bytes += files[start].size;
        }
        let run = &files[start..];
        if run.len() < COMPACT_AT_FILES {
            return Ok(());
        }
        let batches = read_files(&delta, &self.logical, run).await?;
        let block = arrow::compute::concat_batches(&self.logical, &batches)?;
        let merged = self.engine.fold(&block, FoldFor::Merge)?;
        let mut added = write_block(&delta, &self.layout, Some(&merged)).await?;
        // The merged files take the places of the first files of the run, so they stay
        // before every later file and in their own order. (They are fewer: the writer's files
        // are larger than SMALL_FILE_BYTES.)
        for (file, place) in added.iter_mut().zip(run) {
            file.modification_time = place.inserted;
        }
        let mut actions: Vec<Action> = added.into_iter().map(Action::Add).collect();
        actions.extend(run.iter().map(|file| Action::Remove(file.remove.clone())));
        let operation = DeltaOperation::Optimize {
            predicate: None,
            target_size: SMALL_FILE_BYTES as i64,
        };
        let delta = commit_actions(delta, actions, operation, None).await?;
        install(&mut self.state.lock(), delta);
        tracing::debug!(table = %self.name, files = run.len(), "merged files");
        Ok(())
    }
}
