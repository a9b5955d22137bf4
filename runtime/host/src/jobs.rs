//! The job queue (JOB-*): URL imports and row deletions answer at once with a job and run in
//! the background. A job is a request replayed later: the component that queued it is called
//! again by the host (`Server::run_job`) with the job's path, as the same principal marked
//! with the job's id, and for an import with the file fetched from the URL as the body. Its
//! answer completes the job. Jobs on one data source run one at a time (JOB-8, which also
//! realises DS-M8); jobs are kept for 48 hours (JOB-1). A job is saved as a record of the
//! catalog before the caller is told about it, and every later change is saved, in order; at
//! start-up the records are read back and the jobs that were waiting or working run (again)
//! from the start: an import that was cut off never committed, and a deletion run twice
//! deletes nothing more.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use colibri_storage::Storage;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

use crate::auth::Principal;
use crate::capabilities::format_time;

/// How long finished jobs are kept (JOB-1, JOB-3).
const RETENTION: chrono::TimeDelta = chrono::TimeDelta::hours(48);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Waiting,
    Working,
    Done,
    Error,
    Cancelled,
}

impl Status {
    fn name(self) -> &'static str {
        match self {
            Status::Waiting => "waiting",
            Status::Working => "working",
            Status::Done => "done",
            Status::Error => "error",
            Status::Cancelled => "cancelled",
        }
    }
}

/// What a job runs: the request the host replays, as the token that queued it (with the
/// scopes the token has when the job runs).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Replay {
    pub component: String,
    pub token_name: String,
    pub path_and_query: String,
    pub url: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    pub id: String,
    pub kind: String,
    pub status: Status,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    /// The data source, by name (jobs on one run one at a time).
    pub datasource: String,
    /// Kind-specific fields given at submission, and the answer's fields once done.
    pub fields: serde_json::Map<String, serde_json::Value>,
    pub error: Option<String>,
    pub replay: Replay,
}

impl Job {
    /// The job object (JOB-6, JOB-7), without `job_url` (the component adds it, knowing the
    /// host the client called).
    pub fn to_json(&self) -> serde_json::Value {
        let mut object = serde_json::json!({
            "kind": self.kind,
            "id": self.id,
            "job_id": self.id,
            "status": self.status.name(),
            "created_at": format_time(self.created_at),
            "updated_at": format_time(self.updated_at),
            "started_at": self.started_at.map(format_time),
            "is_cancellable": self.status == Status::Waiting,
            "datasource": {"name": self.datasource},
        });
        for (key, value) in &self.fields {
            object[key] = value.clone();
        }
        if let Some(error) = &self.error {
            object["error"] = serde_json::json!(error);
        }
        object
    }

    /// Whether `principal` may see and cancel this job (JOB-11): an admin token sees every
    /// job, another token the jobs it queued.
    pub fn visible_to(&self, principal: &Principal) -> bool {
        principal.is_admin() || principal.token_name == self.replay.token_name
    }
}

/// A change to save: a job as it is now, or a job to forget.
enum Record {
    Save(Box<Job>),
    Forget(String),
}

/// The jobs of the workspace and the queue that runs them.
pub struct Jobs {
    storage: Arc<Storage>,
    jobs: Mutex<Vec<Job>>,
    queue: UnboundedSender<String>,
    records: UnboundedSender<Record>,
    /// One lock per data source, held while one of its jobs runs.
    running: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl Jobs {
    /// The jobs saved in `storage`'s catalog, the unfinished ones queued again, and the
    /// receiving end of the queue, for `Server::run_jobs`.
    pub async fn restore(
        storage: Arc<Storage>,
    ) -> colibri_storage::Result<(Jobs, UnboundedReceiver<String>)> {
        let now = Utc::now();
        let mut saved: Vec<Job> = storage.catalog().jobs().await?;
        saved.sort_by_key(|job| job.created_at);
        let (queue, receiver) = tokio::sync::mpsc::unbounded_channel();
        let (records, to_save) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(save_records(storage.clone(), to_save));
        let mut kept = Vec::new();
        for mut job in saved {
            if now - job.created_at >= RETENTION {
                let _ = records.send(Record::Forget(job.id));
                continue;
            }
            if matches!(job.status, Status::Waiting | Status::Working) {
                job.status = Status::Waiting;
                job.started_at = None;
                let _ = queue.send(job.id.clone());
                let _ = records.send(Record::Save(Box::new(job.clone())));
            }
            kept.push(job);
        }
        let jobs = Jobs {
            storage,
            jobs: Mutex::new(kept),
            queue,
            records,
            running: Mutex::new(HashMap::new()),
        };
        Ok((jobs, receiver))
    }

    fn save(&self, job: &Job) {
        // The saving task lives as long as the server.
        let _ = self.records.send(Record::Save(Box::new(job.clone())));
    }

    /// Queues a job, `waiting`, once its record is saved (a job the caller was told about
    /// survives a crash); returns it.
    pub async fn submit(
        &self,
        kind: String,
        datasource: String,
        fields: serde_json::Map<String, serde_json::Value>,
        replay: Replay,
    ) -> colibri_storage::Result<Job> {
        let now = Utc::now();
        let job = Job {
            id: uuid::Uuid::new_v4().to_string(),
            kind,
            status: Status::Waiting,
            created_at: now,
            updated_at: now,
            started_at: None,
            datasource,
            fields,
            error: None,
            replay,
        };
        self.storage.catalog().put_job(&job.id, &job).await?;
        let mut jobs = self.jobs.lock();
        jobs.retain(|j| {
            let kept = now - j.created_at < RETENTION;
            if !kept {
                let _ = self.records.send(Record::Forget(j.id.clone()));
            }
            kept
        });
        jobs.push(job.clone());
        drop(jobs);
        // The receiver lives as long as the server.
        let _ = self.queue.send(job.id.clone());
        Ok(job)
    }

    pub fn get(&self, id: &str) -> Option<Job> {
        self.jobs.lock().iter().find(|j| j.id == id).cloned()
    }

    /// The jobs `principal` may see, newest first.
    pub fn visible(&self, principal: &Principal) -> Vec<Job> {
        let now = Utc::now();
        let mut jobs: Vec<Job> = self
            .jobs
            .lock()
            .iter()
            .filter(|j| now - j.created_at < RETENTION && j.visible_to(principal))
            .cloned()
            .collect();
        jobs.reverse();
        jobs
    }

    /// Changes a job; returns it as changed.
    pub fn update(&self, id: &str, change: impl FnOnce(&mut Job)) -> Option<Job> {
        let mut jobs = self.jobs.lock();
        let job = jobs.iter_mut().find(|j| j.id == id)?;
        change(job);
        job.updated_at = Utc::now();
        self.save(job);
        Some(job.clone())
    }

    /// The lock jobs on `datasource` take while they run.
    pub fn lock_for(&self, datasource: &str) -> Arc<tokio::sync::Mutex<()>> {
        self.running
            .lock()
            .entry(datasource.to_string())
            .or_default()
            .clone()
    }
}

/// Saves job records in the order the changes were made.
async fn save_records(storage: Arc<Storage>, mut records: UnboundedReceiver<Record>) {
    while let Some(record) = records.recv().await {
        let saved = match &record {
            Record::Save(job) => storage.catalog().put_job(&job.id, job).await,
            Record::Forget(id) => storage.catalog().delete_job(id).await,
        };
        if let Err(e) = saved {
            tracing::error!(error = %e, "saving a job record failed");
        }
    }
}
