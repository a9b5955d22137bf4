//! `GET /v0/pipes/openapi.json` (PIPE-CALL-19): an OpenAPI 3.0 document describing every
//! endpoint the token can read, its parameters taken from what the templates of the
//! published node and the nodes before it declare (names starting with `_` are private and
//! left out; a parameter declared twice takes its last declaration, TPL-VAR-02).

use colibri_guest::types;
use colibri_pipeline::Definition;
use serde_json::{Map, Value, json};

/// The JSON Schema of a template type function's values.
fn schema(type_name: &str) -> Value {
    if let Some(element) = type_name
        .strip_prefix("Array(")
        .and_then(|t| t.strip_suffix(')'))
    {
        return json!({ "type": "array", "items": schema(element) });
    }
    match type_name {
        "String" => json!({ "type": "string" }),
        "Boolean" => json!({ "type": "boolean" }),
        "Float32" | "Float64" => json!({ "type": "number" }),
        "Date" => json!({ "type": "string", "format": "date" }),
        "DateTime" | "DateTime64" => json!({ "type": "string", "format": "date-time" }),
        "Int8" | "Int16" | "Int32" | "UInt8" | "UInt16" => {
            json!({ "type": "integer", "format": "int32" })
        }
        "Int64" | "UInt32" => json!({ "type": "integer", "format": "int64" }),
        // Wider integers do not fit JSON Schema's integer formats.
        _ => json!({ "type": "integer" }),
    }
}

/// The parameters of the endpoint at `index`: those of its node and the nodes before it.
fn parameters(definition: &Definition, index: usize) -> Vec<Value> {
    let mut found: Vec<(String, Value)> = Vec::new();
    for node in &definition.nodes[..=index] {
        for param in &node.params {
            let Some(name) = param["name"].as_str().filter(|n| !n.starts_with('_')) else {
                continue;
            };
            let mut schema = schema(param["type"].as_str().unwrap_or("String"));
            for key in ["default", "enum", "example", "format"] {
                if !param[key].is_null() {
                    schema[key] = param[key].clone();
                }
            }
            let mut parameter = json!({
                "name": name,
                "in": "query",
                "required": param["required"].as_bool().unwrap_or(false),
                "schema": schema,
            });
            if let Some(description) = param["description"].as_str() {
                parameter["description"] = json!(description);
            }
            if parameter["schema"]["type"] == "array" {
                // Arrays are sent as one comma-separated value (TPL-TYPE-08).
                parameter["style"] = json!("form");
                parameter["explode"] = json!(false);
            }
            found.retain(|(n, _)| n != name);
            found.push((name.to_string(), parameter));
        }
    }
    found.into_iter().map(|(_, p)| p).collect()
}

/// The document for `pipes` (with their definitions), served from `authority`.
pub fn document(pipes: &[(types::Pipe, Definition)], authority: &str) -> Value {
    let mut paths = Map::new();
    for (pipe, definition) in pipes {
        let Some(index) = definition.endpoint_index() else {
            continue;
        };
        let node = &definition.nodes[index];
        let description = definition
            .description
            .clone()
            .or_else(|| node.description.clone())
            .unwrap_or_default();
        let errors = json!({
            "400": { "description": "A parameter is missing or invalid, or the query failed" },
            "403": { "description": "The token may not read this endpoint" },
            "404": { "description": "The pipe does not exist or is not published" },
        });
        for (extension, content_type) in [
            ("json", "application/json"),
            ("csv", "text/csv"),
            ("ndjson", "application/x-ndjson"),
            ("parquet", "application/octet-stream"),
        ] {
            let mut responses = errors.clone();
            responses["200"] = json!({
                "description": "The endpoint's result",
                "content": { content_type: {} },
            });
            paths.insert(
                format!("/v0/pipes/{}.{extension}", pipe.name),
                json!({
                    "get": {
                        "summary": pipe.name,
                        "description": description,
                        "operationId": format!("{}_{extension}", pipe.name),
                        "parameters": parameters(definition, index),
                        "responses": responses,
                    }
                }),
            );
        }
    }
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "Colibri API Endpoints",
            "version": "1.0.0",
            "description": "The published pipes of the workspace.",
        },
        "servers": [{ "url": format!("http://{authority}") }],
        "components": {
            "securitySchemes": {
                "tokenAuth": { "type": "http", "scheme": "bearer" },
                "tokenParameter": { "type": "apiKey", "in": "query", "name": "token" },
            }
        },
        "security": [{ "tokenAuth": [] }, { "tokenParameter": [] }],
        "paths": paths,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use colibri_pipeline::Node;

    #[test]
    fn parameters_come_from_the_endpoint_and_the_nodes_before_it() {
        let mut first = Node::new("a".into(), "SELECT 1".into(), None);
        first.params = vec![
            json!({"name": "country", "type": "String", "default": "US", "description": "Old", "required": false}),
            json!({"name": "_private", "type": "Int32", "default": 1, "required": false}),
        ];
        let mut second = Node::new("b".into(), "SELECT 1".into(), None);
        second.params = vec![
            json!({"name": "country", "type": "String", "default": "ES", "description": "New", "required": true}),
            json!({"name": "ids", "type": "Array(Int32)", "default": null, "required": false}),
        ];
        let definition = Definition {
            description: None,
            endpoint: Some(second.id.clone()),
            nodes: vec![first, second],
        };
        let found = parameters(&definition, 1);
        assert_eq!(found.len(), 2);
        assert_eq!(
            found[0],
            json!({"name": "country", "in": "query", "required": true, "description": "New",
                   "schema": {"type": "string", "default": "ES"}})
        );
        assert_eq!(
            found[1]["schema"],
            json!({"type": "array", "items": {"type": "integer", "format": "int32"}})
        );
        assert_eq!(found[1]["explode"], false);
    }
}
