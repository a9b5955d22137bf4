//! The write-ahead log of one table: numbered segment files of framed Arrow IPC streams.
//! A frame is `[u32 length][u32 crc32][IPC stream bytes]`, little-endian; a torn frame at the
//! end of a segment (a crash mid-write) is ignored, since its rows were never acknowledged.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use arrow::ipc::reader::StreamReader;
use arrow::ipc::writer::StreamWriter;
use arrow::record_batch::RecordBatch;

use crate::Result;

pub struct Segment {
    pub seq: u64,
    path: PathBuf,
    file: File,
}

fn segment_path(dir: &Path, seq: u64) -> PathBuf {
    dir.join(format!("{seq:020}.wal"))
}

impl Segment {
    pub fn create(dir: &Path, seq: u64) -> Result<Segment> {
        std::fs::create_dir_all(dir)?;
        let path = segment_path(dir, seq);
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        Ok(Segment { seq, path, file })
    }

    /// Appends one frame holding `batches`. Once this returns, the rows survive a crash of
    /// the process (they are in the operating system's page cache).
    pub fn append(&mut self, batches: &[RecordBatch]) -> Result<()> {
        let Some(first) = batches.first() else {
            return Ok(());
        };
        let mut payload = Vec::new();
        let mut writer = StreamWriter::try_new(&mut payload, &first.schema())?;
        for batch in batches {
            writer.write(batch)?;
        }
        writer.finish()?;
        drop(writer);
        let mut frame = Vec::with_capacity(payload.len() + 8);
        frame.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        frame.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
        frame.extend_from_slice(&payload);
        self.file.write_all(&frame)?;
        Ok(())
    }

    pub fn remove(self) -> Result<()> {
        drop(self.file);
        remove_segment(&self.path)
    }
}

fn remove_segment(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// The sequence numbers of the segments in `dir`, ascending.
pub fn list_segments(dir: &Path) -> Result<Vec<u64>> {
    let mut seqs = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(seqs),
        Err(e) => return Err(e.into()),
    };
    for entry in entries {
        let name = entry?.file_name();
        if let Some(seq) = name
            .to_str()
            .and_then(|n| n.strip_suffix(".wal"))
            .and_then(|n| n.parse().ok())
        {
            seqs.push(seq);
        }
    }
    seqs.sort_unstable();
    Ok(seqs)
}

/// Every complete frame of a segment, as batches.
pub fn read_segment(dir: &Path, seq: u64) -> Result<Vec<RecordBatch>> {
    let bytes = std::fs::read(segment_path(dir, seq))?;
    let mut batches = Vec::new();
    let mut rest = bytes.as_slice();
    while rest.len() >= 8 {
        let len = u32::from_le_bytes(rest[0..4].try_into().expect("4 bytes")) as usize;
        let crc = u32::from_le_bytes(rest[4..8].try_into().expect("4 bytes"));
        let Some(payload) = rest.get(8..8 + len) else {
            break;
        };
        if crc32fast::hash(payload) != crc {
            break;
        }
        for batch in StreamReader::try_new(payload, None)? {
            batches.push(batch?);
        }
        rest = &rest[8 + len..];
    }
    Ok(batches)
}

pub fn remove_segment_file(dir: &Path, seq: u64) -> Result<()> {
    remove_segment(&segment_path(dir, seq))
}
