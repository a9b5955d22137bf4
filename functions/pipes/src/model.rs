//! A pipe as this component keeps it (PIPE-MODEL): the definition stored in the catalog (a
//! description, the nodes in order, the published node), and the JSON objects of the API
//! built from it, trimmed to the `attrs` and `node_attrs` a client asks for.

use colibri_guest::{ApiError, catalog, types};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

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

    /// The published node's position.
    pub fn endpoint_index(&self) -> Option<usize> {
        let id = self.endpoint.as_deref()?;
        self.node_index(id)
    }

    fn node_type(&self, node: &Node) -> &'static str {
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

/// Which attributes of pipes and nodes a listing returns: all when not named (an empty
/// `attrs` means all too); `nodes` is always present (the CLI counts them).
pub struct Attributes {
    pub pipe: Option<Vec<String>>,
    pub node: Option<Vec<String>>,
}

fn names(list: Option<&str>) -> Option<Vec<String>> {
    list.filter(|l| !l.trim().is_empty())
        .map(|l| l.split(',').map(|a| a.trim().to_string()).collect())
}

impl Attributes {
    pub fn all() -> Attributes {
        Attributes {
            pipe: None,
            node: None,
        }
    }

    pub fn from(attrs: Option<&str>, node_attrs: Option<&str>) -> Attributes {
        Attributes {
            pipe: names(attrs),
            node: names(node_attrs),
        }
    }
}

fn keep(object: Value, wanted: &Option<Vec<String>>, always: &[&str]) -> Value {
    match (object, wanted) {
        (Value::Object(map), Some(wanted)) => Value::Object(
            map.into_iter()
                .filter(|(k, _)| wanted.contains(k) || always.contains(&k.as_str()))
                .collect(),
        ),
        (object, _) => object,
    }
}

/// A node object (PIPE-MODEL-02).
pub fn node_json(definition: &Definition, node: &Node) -> Value {
    json!({
        "id": node.id,
        "name": node.name,
        "sql": node.sql,
        "description": node.description,
        "materialized": null,
        "cluster": null,
        "tags": {},
        "created_at": node.created_at,
        "updated_at": node.updated_at,
        "version": 0,
        "project": null,
        "result": null,
        "ignore_sql_errors": false,
        "dependencies": node.dependencies,
        "params": node.params,
        "node_type": definition.node_type(node),
        "type": definition.node_type(node),
    })
}

/// A pipe object (PIPE-MODEL-01); `authority` is the host the client called, for `url`.
pub fn pipe_json(
    pipe: &types::Pipe,
    definition: &Definition,
    attributes: &Attributes,
    authority: &str,
) -> Value {
    let nodes: Vec<Value> = definition
        .nodes
        .iter()
        .map(|node| keep(node_json(definition, node), &attributes.node, &[]))
        .collect();
    let mut object = json!({
        "id": pipe.id,
        "name": pipe.name,
        "description": definition.description,
        "endpoint": definition.endpoint,
        "created_at": pipe.created_at,
        "updated_at": pipe.updated_at,
        "parent": null,
        "type": if definition.endpoint.is_some() { "endpoint" } else { "default" },
        "nodes": nodes,
    });
    if definition.endpoint.is_some() {
        object["url"] = json!(format!("http://{authority}/v0/pipes/{}.json", pipe.name));
    }
    keep(object, &attributes.pipe, &["nodes"])
}
