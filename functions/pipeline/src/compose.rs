//! A pipe's nodes rendered: each node's template with the request's parameters (all nodes
//! share them, TPL-VAR-02), for the host to run as one statement (PIPE-MODEL-05). When a
//! node is saved, every node is rendered in analysis mode and planned by the host, which
//! finds its parameters, the tables it reads and its errors before anyone calls it
//! (PIPE-CRUD-10, TPL-ANA-01).

use std::collections::HashMap;

use colibri_guest::{ApiError, Params, query};
use colibri_templates::{Context, Param};
use serde_json::{Value, json};

use crate::definition::Definition;

/// Request parameters that are never template variables (PIPE-CALL-04).
fn is_reserved(name: &str) -> bool {
    matches!(name, "token" | "q" | "pipeline" | "format")
        || name.starts_with("output_format_")
        || name.starts_with("__tb")
}

/// The template variables of a request: its parameters but the reserved ones; of a repeated
/// parameter, the last value.
pub fn variables(params: &Params) -> HashMap<String, String> {
    params
        .pairs()
        .filter(|(name, _)| !is_reserved(name))
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect()
}

/// Renders SQL (a template when it starts with `%`); a template error is answered as the
/// template says (TPL-FN-09).
pub fn render(sql: &str, context: &Context) -> Result<colibri_templates::Rendered, ApiError> {
    colibri_templates::render(sql, context).map_err(|e| ApiError::with_body(e.status, e.body))
}

/// The nodes that run node `index` of a pipe for a request's `variables`, rendered, in
/// order, `index` last (the host makes them one statement).
pub fn rendered_nodes(
    definition: &Definition,
    index: usize,
    variables: HashMap<String, String>,
) -> Result<Vec<(String, String)>, ApiError> {
    let context = Context {
        variables,
        ..Context::default()
    };
    definition.nodes[..=index]
        .iter()
        .map(|node| Ok((node.name.clone(), render(&node.sql, &context)?.sql)))
        .collect()
}

fn param_json(param: &Param) -> Value {
    let mut object = json!({
        "name": param.name,
        "type": param.type_name,
        "default": param.default,
        "description": param.description,
        "required": param.required,
    });
    if let Some(values) = &param.enum_values {
        object["enum"] = json!(values);
    }
    if let Some(example) = &param.example {
        object["example"] = json!(example);
    }
    if let Some(format) = &param.format {
        object["format"] = json!(format);
    }
    object
}

/// Checks every node of a definition (rendered in analysis mode, after the nodes before it,
/// planned by the host as the caller), records each node's parameters and dependencies, and
/// returns the data sources the pipe reads.
pub fn analyze(definition: &mut Definition) -> Result<Vec<String>, ApiError> {
    let context = Context {
        analysis: true,
        ..Context::default()
    };
    let mut earlier: Vec<(String, String)> = Vec::new();
    let mut reads: Vec<String> = Vec::new();
    for node in &mut definition.nodes {
        let in_node = |e: ApiError| ApiError {
            message: format!("Node '{}': {}", node.name, e.message),
            body: e.body.map(|body| match body {
                Value::Object(mut map) => {
                    if let Some(Value::String(message)) = map.get("error") {
                        let message = format!("Node '{}': {message}", node.name);
                        map.insert("error".into(), Value::String(message));
                    }
                    Value::Object(map)
                }
                other => other,
            }),
            ..e
        };
        let rendered = render(&node.sql, &context).map_err(in_node)?;
        if rendered.sql.trim().is_empty() {
            return Err(in_node(ApiError::bad_request("the SQL is empty")));
        }
        // The host plans the node after the nodes before it, as the caller; what it reads
        // directly (earlier nodes included) are its dependencies.
        earlier.push((node.name.clone(), rendered.sql.clone()));
        let tables = query::check(&earlier).map_err(|e| in_node(e.into()))?;
        for table in tables {
            if !table.contains('.') && !reads.contains(&table) {
                reads.push(table);
            }
        }
        let dependencies = query::tables(&rendered.sql).map_err(|e| in_node(e.into()))?;
        node.params = rendered.params.iter().map(param_json).collect();
        node.dependencies = dependencies;
    }
    Ok(reads)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_parameters_are_not_variables() {
        let params =
            Params::from_query("token=t&q=SELECT&x=1&x=2&output_format_json_quote_denormals=1");
        let variables = variables(&params);
        assert_eq!(variables.len(), 1);
        assert_eq!(variables["x"], "2");
    }
}
