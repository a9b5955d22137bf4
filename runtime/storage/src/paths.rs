//! The one place that decides where things live inside Colibri's folder.

use object_store::path::Path;

/// Catalog records: `catalog/...` under the root.
pub fn catalog_root(root: &Path) -> Path {
    root.clone().join("catalog")
}

/// A data source's Delta table folder, relative to the root URL (ends in `/`).
pub fn table_folder(table_id: &str) -> String {
    format!("tables/{table_id}/")
}

/// Inside the catalog: the workspace record.
pub fn workspace_record() -> Path {
    Path::from("workspace.json")
}

/// Inside the catalog: a data source record.
pub fn datasource_record(id: &str) -> Path {
    Path::from("datasources").join(format!("{id}.json"))
}

/// Inside the catalog: the folder of data source records.
pub fn datasource_records() -> Path {
    Path::from("datasources")
}

/// Inside the catalog: the claim on a resource name (data sources and pipes share names).
pub fn pipe_record(id: &str) -> Path {
    Path::from("pipes").join(format!("{id}.json"))
}

pub fn pipe_records() -> Path {
    Path::from("pipes")
}

pub fn name_claim(name: &str) -> Path {
    Path::from("names").join(format!("{name}.json"))
}

/// Inside the catalog: a token record.
pub fn token_record(id: &str) -> Path {
    Path::from("tokens").join(format!("{id}.json"))
}

/// Inside the catalog: the folder of token records.
pub fn token_records() -> Path {
    Path::from("tokens")
}

/// Inside the catalog: a job record (the host's job queue).
pub fn job_record(id: &str) -> Path {
    Path::from("jobs").join(format!("{id}.json"))
}

/// Inside the catalog: the folder of job records.
pub fn job_records() -> Path {
    Path::from("jobs")
}

/// The file holding a generated admin token, relative to the root.
pub const ADMIN_TOKEN_FILE: &str = "admin-token";
