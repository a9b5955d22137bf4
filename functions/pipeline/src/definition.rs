//! A pipe's definition as the catalog stores it for the pipes component (PIPE-MODEL): a
//! description, the nodes in order, the published node.

use colibri_guest::{ApiError, catalog, types};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What the catalog stores of a pipe, besides its name and id.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Definition {
    #[serde(default)]
    pub description: Option<String>,
    /// The id of the published node (PIPE-EP-03).
    #[serde(default)]
    pub endpoint: Option<String>,
    pub nodes: Vec<Node>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Node {
    pub id: String,
    pub name: String,
    /// The SQL as written, with its leading `%` when it is a template.
    pub sql: String,
    #[serde(default)]
    pub description: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// The parameters its template declares (PIPE-MODEL-03).
    #[serde(default)]
    pub params: Vec<Value>,
    /// The data sources and earlier nodes it reads.
    #[serde(default)]
    pub dependencies: Vec<String>,
}

/// A new resource id: `t_` and 32 hex digits (PIPE-GEN-06).
pub fn new_id() -> String {
    format!("t_{}", uuid::Uuid::new_v4().simple())
}

/// Now, as resource JSON writes times (PIPE-GEN-07).
pub fn now() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%d %H:%M:%S%.6f")
        .to_string()
}

impl Node {
    pub fn new(name: String, sql: String, description: Option<String>) -> Node {
        let now = now();
        Node {
            id: new_id(),
            name,
            sql,
            description,
            created_at: now.clone(),
            updated_at: now,
            params: Vec::new(),
            dependencies: Vec::new(),
        }
    }

    /// Whether the node is called `name_or_id`.
    pub fn is(&self, name_or_id: &str) -> bool {
        self.name == name_or_id || self.id == name_or_id
    }
}

impl Definition {
    pub fn of(pipe: &types::Pipe) -> Result<Definition, ApiError> {
        serde_json::from_str(&pipe.definition).map_err(|e| {
            ApiError::new(
                500,
                format!("Pipe '{}' has an unreadable definition: {e}", pipe.name),
            )
        })
    }

    pub fn to_json_text(&self) -> String {
        serde_json::to_string(self).expect("a definition is JSON")
    }

    pub fn node_index(&self, name_or_id: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.is(name_or_id))
    }

    /// The node whose result stands for the pipe (`_` of a Query API `pipeline`): the
    /// published node, else the last one.
    pub fn result_index(&self) -> usize {
        self.endpoint_index()
            .unwrap_or(self.nodes.len().saturating_sub(1))
    }

    /// The published node's position.
    pub fn endpoint_index(&self) -> Option<usize> {
        let id = self.endpoint.as_deref()?;
        self.node_index(id)
    }

    /// `endpoint` for the published node, else `standard`.
    pub fn node_type(&self, node: &Node) -> &'static str {
        if self.endpoint.as_deref() == Some(node.id.as_str()) {
            "endpoint"
        } else {
            "standard"
        }
    }
}

/// Looks a pipe up; 404 when it does not exist.
pub fn existing(name_or_id: &str) -> Result<(types::Pipe, Definition), ApiError> {
    let pipe = catalog::get_pipe(name_or_id)?
        .ok_or_else(|| ApiError::new(404, format!("Pipe '{name_or_id}' not found")))?;
    let definition = Definition::of(&pipe)?;
    Ok((pipe, definition))
}
