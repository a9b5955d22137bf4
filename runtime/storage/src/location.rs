//! Where a Colibri node keeps its data: a local folder or a cloud object-store URL.

use std::sync::Arc;

use object_store::ObjectStore;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use url::Url;

use crate::{Error, Result, paths};

/// A root in an object store: the store (whose `/` is the bucket or filesystem root) plus
/// the URL of Colibri's folder in it.
#[derive(Debug, Clone)]
pub struct Location {
    store: Arc<dyn ObjectStore>,
    url: Url,
    prefix: Path,
}

impl Location {
    /// Parses `--data`: a folder path, a `file://` URL, or `s3://`, `gs://`, `az://` /
    /// `abfss://` URLs whose credentials come from the standard environment variables
    /// (`AWS_*`, `GOOGLE_*`, `AZURE_*`).
    pub fn parse(spec: &str) -> Result<Location> {
        let url = match Url::parse(spec) {
            Ok(url) if url.scheme().len() > 1 => url,
            _ => {
                let path = std::path::Path::new(spec);
                std::fs::create_dir_all(path)?;
                let absolute = std::fs::canonicalize(path)?;
                Url::from_directory_path(&absolute)
                    .map_err(|_| Error::Invalid(format!("bad data folder {spec}")))?
            }
        };
        let url = if url.path().ends_with('/') {
            url
        } else {
            Url::parse(&format!("{url}/")).map_err(|e| Error::Invalid(e.to_string()))?
        };
        let (store, prefix): (Arc<dyn ObjectStore>, Path) = match url.scheme() {
            "file" => {
                let folder = url
                    .to_file_path()
                    .map_err(|_| Error::Invalid(format!("bad file URL {url}")))?;
                std::fs::create_dir_all(&folder)?;
                let prefix = Path::from_absolute_path(&folder)
                    .map_err(|e| Error::Invalid(format!("bad data folder {spec}: {e}")))?;
                // Folders emptied by deletes go too, as they would on an object store.
                let store = LocalFileSystem::new().with_automatic_cleanup(true);
                (Arc::new(store), prefix)
            }
            _ => {
                let options = std::env::vars().map(|(k, v)| (k.to_ascii_lowercase(), v));
                let (store, prefix) = object_store::parse_url_opts(&url, options)?;
                crate::physical::register_cloud_log_store(&url);
                (Arc::from(store), prefix)
            }
        };
        Ok(Location { store, url, prefix })
    }

    /// The URL of Colibri's root folder, ending in `/`.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The object store rooted at the bucket or filesystem root.
    pub fn root_store(&self) -> Arc<dyn ObjectStore> {
        self.store.clone()
    }

    /// The object store rooted at Colibri's folder.
    pub fn store(&self) -> Arc<dyn ObjectStore> {
        Arc::new(PrefixStore::new(self.store.clone(), self.prefix.clone()))
    }

    /// The object store rooted at the catalog folder.
    pub fn catalog_store(&self) -> Arc<dyn ObjectStore> {
        Arc::new(PrefixStore::new(
            self.store.clone(),
            paths::catalog_root(&self.prefix),
        ))
    }

    /// The URL of a data source's Delta table.
    pub fn table_url(&self, table_id: &str) -> Result<Url> {
        self.url
            .join(&paths::table_folder(table_id))
            .map_err(|e| Error::Invalid(e.to_string()))
    }
}
