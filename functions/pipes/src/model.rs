//! The JSON objects of the Pipes API (PIPE-MODEL-01, PIPE-MODEL-02), built from a pipe's
//! definition and trimmed to the `attrs` and `node_attrs` a client asks for.

use colibri_guest::types;
use colibri_pipeline::{Definition, Node};
use serde_json::{Value, json};

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
