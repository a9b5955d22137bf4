//! A pipe's nodes as one statement (PIPE-MODEL-05): each node's template rendered with the
//! request's parameters (all nodes share them, TPL-VAR-02), and the nodes before the one that
//! runs given to it as common table expressions named after them, so a node reads an earlier
//! node by name before any data source of that name. When a node is saved, every node is
//! rendered in analysis mode and planned by the host, which finds its parameters, the tables
//! it reads and its errors before anyone calls it (PIPE-CRUD-10, TPL-ANA-01).

use std::collections::HashMap;

use colibri_guest::{ApiError, Params, query};
use colibri_templates::{Context, Param};
use serde_json::{Value, json};

use crate::model::Definition;

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

/// Renders one node's SQL; a template error is answered as the template says (TPL-FN-09).
fn render(sql: &str, context: &Context) -> Result<colibri_templates::Rendered, ApiError> {
    colibri_templates::render(sql, context).map_err(|e| ApiError::with_body(e.status, e.body))
}

/// `statement` with `nodes` (name, SQL) as common table expressions; a statement with a
/// `WITH` list of its own gets them at the head of it.
pub fn with_nodes(nodes: &[(String, String)], statement: &str) -> String {
    let statement = statement.trim().trim_end_matches(';').trim_end();
    if nodes.is_empty() {
        return statement.to_string();
    }
    let list: Vec<String> = nodes
        .iter()
        .map(|(name, sql)| {
            let sql = sql.trim().trim_end_matches(';');
            format!("`{name}` AS (\n{sql}\n)")
        })
        .collect();
    let list = list.join(",\n");
    let own_with = statement.get(..5).is_some_and(|head| {
        head.eq_ignore_ascii_case("WITH ") || head.eq_ignore_ascii_case("WITH\n")
    });
    if own_with {
        format!("WITH {list},\n{}", &statement[5..])
    } else {
        format!("WITH {list}\n{statement}")
    }
}

/// The statement that runs node `index` of a pipe for a request's `variables`: the node and
/// every node before it rendered; with `query` (the `q` parameter, PIPE-CALL-07), that query
/// over the node's result, which it reads as `_`.
pub fn statement(
    definition: &Definition,
    index: usize,
    variables: HashMap<String, String>,
    query: Option<&str>,
) -> Result<String, ApiError> {
    let context = Context {
        variables,
        ..Context::default()
    };
    let mut nodes = Vec::with_capacity(index + 1);
    for node in &definition.nodes[..=index] {
        nodes.push((node.name.clone(), render(&node.sql, &context)?.sql));
    }
    match query {
        Some(query) => {
            let result = nodes[index].1.clone();
            nodes.push(("_".to_string(), result));
            Ok(with_nodes(&nodes, query))
        }
        None => {
            let (_, last) = nodes.pop().expect("the node itself");
            Ok(with_nodes(&nodes, &last))
        }
    }
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
        let tables =
            query::check(&with_nodes(&earlier, &rendered.sql)).map_err(|e| in_node(e.into()))?;
        for table in tables {
            if !table.contains('.') && !reads.contains(&table) {
                reads.push(table);
            }
        }
        let dependencies = query::tables(&rendered.sql).map_err(|e| in_node(e.into()))?;
        node.params = rendered.params.iter().map(param_json).collect();
        node.dependencies = dependencies;
        earlier.push((node.name.clone(), rendered.sql));
    }
    Ok(reads)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn earlier_nodes_become_common_table_expressions() {
        let nodes = vec![("a".to_string(), "SELECT 1 AS x -- one".to_string())];
        assert_eq!(
            with_nodes(&nodes, "SELECT * FROM a;"),
            "WITH `a` AS (\nSELECT 1 AS x -- one\n)\nSELECT * FROM a"
        );
        assert_eq!(
            with_nodes(&nodes, "with b AS (SELECT 2) SELECT * FROM a, b"),
            "WITH `a` AS (\nSELECT 1 AS x -- one\n),\nb AS (SELECT 2) SELECT * FROM a, b"
        );
        assert_eq!(with_nodes(&[], " SELECT 1 "), "SELECT 1");
    }

    #[test]
    fn reserved_parameters_are_not_variables() {
        let params =
            Params::from_query("token=t&q=SELECT&x=1&x=2&output_format_json_quote_denormals=1");
        let variables = variables(&params);
        assert_eq!(variables.len(), 1);
        assert_eq!(variables["x"], "2");
    }
}
