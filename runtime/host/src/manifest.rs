//! The route table, read from a Spin manifest (v2): `[[trigger.http]]` entries map a route to
//! a component, `[component.<id>]` tables name the component's Wasm file.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::Deserialize;

#[derive(Deserialize)]
struct Manifest {
    spin_manifest_version: u32,
    #[serde(default)]
    trigger: Triggers,
    #[serde(default)]
    component: BTreeMap<String, ComponentEntry>,
}

#[derive(Deserialize, Default)]
struct Triggers {
    #[serde(default)]
    http: Vec<HttpTrigger>,
}

#[derive(Deserialize)]
struct HttpTrigger {
    route: String,
    component: String,
}

#[derive(Deserialize)]
struct ComponentEntry {
    source: String,
}

/// A route pattern: an exact path, or a prefix when the route ends in `/...`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RoutePattern {
    Exact(String),
    Prefix(String),
}

impl RoutePattern {
    fn parse(route: &str) -> RoutePattern {
        match route.strip_suffix("/...") {
            Some(prefix) => RoutePattern::Prefix(prefix.to_string()),
            None => RoutePattern::Exact(route.trim_end_matches('/').to_string()),
        }
    }

    fn matches(&self, path: &str) -> bool {
        match self {
            RoutePattern::Exact(exact) => path == exact,
            RoutePattern::Prefix(prefix) => {
                path == prefix
                    || path
                        .strip_prefix(prefix.as_str())
                        .is_some_and(|rest| rest.starts_with('/'))
            }
        }
    }

    fn specificity(&self) -> (u8, usize) {
        match self {
            RoutePattern::Exact(p) => (1, p.len()),
            RoutePattern::Prefix(p) => (0, p.len()),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Route {
    pub pattern: RoutePattern,
    pub component: String,
}

/// Where a component's bytes come from.
#[derive(Debug, Clone)]
pub enum ComponentSource {
    File(PathBuf),
    Embedded(&'static [u8]),
}

#[derive(Debug)]
pub struct App {
    /// Most specific first.
    pub routes: Vec<Route>,
    pub components: BTreeMap<String, ComponentSource>,
}

impl App {
    /// Reads a manifest; `resolve` turns a `source` into the component's bytes.
    pub fn parse(
        text: &str,
        resolve: impl Fn(&str) -> anyhow::Result<ComponentSource>,
    ) -> anyhow::Result<App> {
        let manifest: Manifest =
            toml::from_str(text).context("spin.toml is not a valid manifest")?;
        if manifest.spin_manifest_version != 2 {
            bail!("spin.toml: only spin_manifest_version = 2 is supported");
        }
        let mut seen = HashSet::new();
        let mut routes = Vec::new();
        for trigger in manifest.trigger.http {
            let pattern = RoutePattern::parse(&trigger.route);
            if !seen.insert(pattern.clone()) {
                bail!("spin.toml: route {} is declared twice", trigger.route);
            }
            if !manifest.component.contains_key(&trigger.component) {
                bail!(
                    "spin.toml: route {} names unknown component {}",
                    trigger.route,
                    trigger.component
                );
            }
            routes.push(Route {
                pattern,
                component: trigger.component,
            });
        }
        routes.sort_by_key(|route| std::cmp::Reverse(route.pattern.specificity()));
        let components = manifest
            .component
            .iter()
            .map(|(id, entry)| Ok((id.clone(), resolve(&entry.source)?)))
            .collect::<anyhow::Result<_>>()?;
        Ok(App { routes, components })
    }

    /// The manifest compiled into the binary, with its embedded components.
    pub fn embedded() -> anyhow::Result<App> {
        App::parse(crate::components::EMBEDDED_MANIFEST, |source| {
            let file_name = Path::new(source)
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or(source);
            crate::components::EMBEDDED_COMPONENTS
                .iter()
                .find(|(name, _)| *name == file_name)
                .map(|(_, bytes)| ComponentSource::Embedded(bytes))
                .with_context(|| format!("component {source} is not embedded"))
        })
    }

    /// A manifest on disk; sources are relative to its folder.
    pub fn from_file(path: &Path) -> anyhow::Result<App> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        App::parse(&text, |source| {
            let file = base.join(source);
            if !file.exists() {
                bail!("component file {} does not exist", file.display());
            }
            Ok(ComponentSource::File(file))
        })
    }

    /// The component serving `path` (trailing slash ignored).
    pub fn route(&self, path: &str) -> Option<&str> {
        let path = if path.len() > 1 {
            path.trim_end_matches('/')
        } else {
            path
        };
        self.routes
            .iter()
            .find(|r| r.pattern.matches(path))
            .map(|r| r.component.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = r#"
spin_manifest_version = 2
[[trigger.http]]
route = "/v0/datasources/..."
component = "ds"
[[trigger.http]]
route = "/v0/events"
component = "events"
[component.ds]
source = "ds.wasm"
[component.events]
source = "events.wasm"
"#;

    fn app(text: &str) -> anyhow::Result<App> {
        App::parse(text, |_| Ok(ComponentSource::Embedded(b"")))
    }

    #[test]
    fn routes_exact_and_prefix_paths() {
        let app = app(MANIFEST).unwrap();
        assert_eq!(app.route("/v0/events"), Some("events"));
        assert_eq!(app.route("/v0/events/"), Some("events"));
        assert_eq!(app.route("/v0/datasources"), Some("ds"));
        assert_eq!(app.route("/v0/datasources/x/truncate"), Some("ds"));
        assert_eq!(app.route("/v0/datasourcesx"), None);
        assert_eq!(app.route("/v0/other"), None);
    }

    #[test]
    fn duplicate_routes_are_an_error() {
        let text = MANIFEST.replace("/v0/events", "/v0/datasources/...");
        let error = app(&text).unwrap_err().to_string();
        assert!(error.contains("declared twice"), "{error}");
    }
}
