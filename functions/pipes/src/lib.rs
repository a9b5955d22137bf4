//! `/v0/pipes`: the Pipes API (PIPE-*). Pipes are created from a JSON body or a `name` and
//! `sql`, listed, read (as JSON or as `.pipe` datafile text), renamed and dropped; nodes are
//! appended, changed and removed; a node is published as the pipe's endpoint, which
//! `GET|POST /v0/pipes/{name}.{json,csv,ndjson,parquet,prometheus}` runs with the request's
//! parameters rendered into the nodes' templates; `openapi.json` describes every endpoint the
//! token can read. The catalog stores each pipe's definition as this component writes it; the
//! host plans every node when it is saved, and runs an endpoint's nodes reading the data
//! sources the pipe reads on its caller's behalf.

mod datafile;
mod model;
mod openapi;

use colibri_guest::{
    ApiError, Params, authority, catalog, header, json, query, respond, tokens, types,
};
use colibri_pipeline::{Definition, Node, analyze, existing};
use model::Attributes;
use serde_json::Value;
use spin_sdk::http::{Method, Request, Response};
use spin_sdk::http_component;

#[http_component]
fn handle(request: Request) -> Response {
    respond(route(&request))
}

/// The formats an endpoint answers in (PIPE-CALL-01), with their Query API names.
const ENDPOINT_FORMATS: &[(&str, &str)] = &[
    ("json", "JSON"),
    ("csv", "CSVWithNames"),
    ("ndjson", "JSONEachRow"),
    ("parquet", "Parquet"),
    ("prometheus", "Prometheus"),
];

fn route(request: &Request) -> Result<Response, ApiError> {
    let path = request.path().trim_end_matches('/');
    if path == "/v0/sql_tables" {
        return sql_tables(request);
    }
    // The CLI reads datafiles from `/v1/pipes/{name}.pipe`.
    let rest = path
        .strip_prefix("/v0/pipes")
        .or_else(|| path.strip_prefix("/v1/pipes"))
        .unwrap_or("")
        .trim_start_matches('/');
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let params = request_params(request)?;
    let method = request.method();
    match (method, segments.as_slice()) {
        (Method::Get, []) => list(request, &params),
        (Method::Post, []) => create(request, &params),
        (Method::Get, ["openapi.json"]) => {
            let mut pipes = Vec::new();
            for pipe in catalog::list_pipes()? {
                let definition = Definition::of(&pipe)?;
                pipes.push((pipe, definition));
            }
            Ok(json(200, &openapi::document(&pipes, authority(request))))
        }
        (_, [name]) => {
            if let Some((pipe, format)) = endpoint_format(name) {
                return match method {
                    Method::Get | Method::Post => call_endpoint(pipe, format, &params),
                    other => Err(ApiError::new(
                        405,
                        format!(
                            "{other} is not allowed: requests to API Endpoints must use the GET method"
                        ),
                    )),
                };
            }
            let (name, datafile) = match name.strip_suffix(".pipe") {
                Some(name) => (name, true),
                None => (*name, false),
            };
            match method {
                Method::Get if datafile => {
                    let (pipe, definition) = existing(name)?;
                    Ok(Response::builder()
                        .status(200)
                        .header("content-type", "text/plain")
                        .body(datafile::render(&definition, &readers(&pipe.name)))
                        .build())
                }
                Method::Get => {
                    let (pipe, definition) = existing(name)?;
                    Ok(json(200, &pipe_object(request, &pipe, &definition)))
                }
                Method::Put => update_pipe(request, name, &params),
                Method::Delete => {
                    catalog::drop_pipe(name)?;
                    Ok(Response::builder().status(204).body(Vec::new()).build())
                }
                other => Err(not_allowed(other, path)),
            }
        }
        (Method::Post, [name, "nodes"]) => append_node(request, name, &params),
        (_, [name, "nodes", node]) => match method {
            Method::Get => {
                let (_, definition) = existing(name)?;
                let index = node_index(&definition, node)?;
                Ok(json(
                    200,
                    &model::node_json(&definition, &definition.nodes[index]),
                ))
            }
            Method::Put => update_node(request, name, node, &params),
            Method::Delete => delete_node(name, node),
            other => Err(not_allowed(other, path)),
        },
        (Method::Post | Method::Delete, [name, "nodes", node, "endpoint"]) => {
            publish(request, name, node, *method == Method::Post)
        }
        (method, _) => Err(not_allowed(method, path)),
    }
}

fn not_allowed(method: &Method, path: &str) -> ApiError {
    ApiError::new(405, format!("{method} {path} is not supported"))
}

/// `name.json` and the other endpoint extensions: the pipe's name and the format's name.
fn endpoint_format(segment: &str) -> Option<(&str, &'static str)> {
    let (name, extension) = segment.rsplit_once('.')?;
    ENDPOINT_FORMATS
        .iter()
        .find(|(e, _)| *e == extension)
        .map(|(_, format)| (name, *format))
}

/// The query string, merged with a form body or a flat JSON object body (PIPE-CALL-02).
fn request_params(request: &Request) -> Result<Params, ApiError> {
    let mut params = Params::with_form(request);
    if header(request, "content-type").is_some_and(|t| t.starts_with("application/json"))
        && *request.method() == Method::Post
        && !request.path().trim_end_matches('/').ends_with("/v0/pipes")
        && let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(request.body())
    {
        for (key, value) in object {
            let text = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_string);
            params.insert(&key, text);
        }
    }
    Ok(params)
}

fn pipe_object(request: &Request, pipe: &types::Pipe, definition: &Definition) -> Value {
    model::pipe_json(pipe, definition, &Attributes::all(), authority(request))
}

fn list(request: &Request, params: &Params) -> Result<Response, ApiError> {
    let attributes = Attributes::from(params.get("attrs"), params.get("node_attrs"));
    let mut pipes = Vec::new();
    for pipe in catalog::list_pipes()? {
        let definition = Definition::of(&pipe)?;
        pipes.push(model::pipe_json(
            &pipe,
            &definition,
            &attributes,
            authority(request),
        ));
    }
    Ok(json(200, &serde_json::json!({ "pipes": pipes })))
}

/// A node name: given, or `<pipe>_<index>` (PIPE-MODEL-06).
fn node_name(given: Option<&str>, pipe: &str, index: usize) -> Result<String, ApiError> {
    match given.filter(|n| !n.is_empty()) {
        Some(name) if colibri_templates::is_identifier(name) => Ok(name.to_string()),
        Some(name) => Err(ApiError::bad_request(format!(
            "Invalid node name '{name}': names start with a letter or underscore and contain only letters, digits and underscores"
        ))),
        None => Ok(format!("{pipe}_{index}")),
    }
}

fn check_node_type(node_type: Option<&str>) -> Result<bool, ApiError> {
    match node_type.map(str::to_ascii_lowercase).as_deref() {
        None | Some("" | "standard" | "default") => Ok(false),
        Some("endpoint") => Ok(true),
        Some(other) => Err(ApiError::new(
            501,
            format!(
                "Node type '{other}' is not supported yet: only standard and endpoint nodes are"
            ),
        )),
    }
}

/// `POST /v0/pipes` (PIPE-CRUD-02): from a JSON body, or from `name` and `sql`.
fn create(request: &Request, params: &Params) -> Result<Response, ApiError> {
    let content_type = header(request, "content-type").unwrap_or("");
    let body: Value = if content_type.starts_with("application/json") {
        serde_json::from_slice(request.body())
            .map_err(|e| ApiError::bad_request(format!("The body is not valid JSON: {e}")))?
    } else {
        serde_json::json!({
            "name": params.get("name"),
            "description": params.get("description"),
            "nodes": params.get("sql").map(|sql| vec![serde_json::json!({ "sql": sql })]).unwrap_or_default(),
        })
    };
    let name = body["name"]
        .as_str()
        .or(params.get("name"))
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ApiError::bad_request("Missing the pipe's `name`"))?
        .to_string();
    let mut definition = Definition {
        description: body["description"].as_str().map(str::to_string),
        ..Definition::default()
    };
    let mut published = None;
    for (index, item) in body["nodes"].as_array().into_iter().flatten().enumerate() {
        let sql = item["sql"]
            .as_str()
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| ApiError::bad_request(format!("Node {index} has no `sql`")))?;
        let node_name = node_name(item["name"].as_str(), &name, index)?;
        if definition.node_index(&node_name).is_some() {
            return Err(ApiError::bad_request(format!(
                "Node '{node_name}' appears twice"
            )));
        }
        let node = Node::new(
            node_name,
            sql.to_string(),
            item["description"].as_str().map(str::to_string),
        );
        if check_node_type(item["type"].as_str().or(item["node_type"].as_str()))? {
            published = Some(node.id.clone());
        }
        definition.nodes.push(node);
    }
    if definition.nodes.is_empty() {
        return Err(ApiError::bad_request(
            "A pipe needs at least one node with its `sql`",
        ));
    }
    definition.endpoint = published;
    let existing = catalog::get_pipe(&name)?;
    if let (Some(old), true) = (&existing, params.flag("force")?.unwrap_or(false)) {
        // `tb push --force`: the endpoint stays on the node of the same name (PIPE-EP-04).
        let old_definition = Definition::of(old)?;
        if definition.endpoint.is_none() {
            let old_endpoint = old_definition
                .endpoint_index()
                .map(|i| old_definition.nodes[i].name.clone());
            definition.endpoint = old_endpoint
                .and_then(|n| definition.node_index(&n))
                .map(|i| definition.nodes[i].id.clone());
        }
        let pipe = save(&old.id, &name, &mut definition)?;
        return Ok(json(200, &pipe_object(request, &pipe, &definition)));
    }
    if existing.is_some() {
        return Err(ApiError::new(409, format!("Pipe '{name}' already exists")));
    }
    let pipe = catalog::create_pipe(&checked(&name, &mut definition)?)?;
    Ok(json(200, &pipe_object(request, &pipe, &definition)))
}

/// What a pipe named `name` is saved as: its nodes' names checked, every node analysed (its
/// `params` and `dependencies` filled in `definition`), and the data sources it reads.
fn checked(name: &str, definition: &mut Definition) -> Result<types::NewPipe, ApiError> {
    check_node_names(definition, name)?;
    let reads = analyze(definition)?;
    Ok(types::NewPipe {
        name: name.to_string(),
        definition: definition.to_json_text(),
        reads,
    })
}

/// Checks a pipe's nodes and saves it again (as `name`).
fn save(pipe: &str, name: &str, definition: &mut Definition) -> Result<types::Pipe, ApiError> {
    Ok(catalog::update_pipe(pipe, &checked(name, definition)?)?)
}

/// A node may not be named as a data source or another pipe (PIPE-GEN-05): it would hide
/// that data source from the nodes after it. (The same node name in several pipes is
/// allowed: `tb push --force` pushes a `__checker` copy of a pipe.)
fn check_node_names(definition: &Definition, pipe: &str) -> Result<(), ApiError> {
    for node in &definition.nodes {
        // What the caller may not see, it cannot read through the node either.
        let taken_by_datasource = matches!(catalog::get_datasource(&node.name), Ok(Some(_)));
        let taken_by_pipe =
            matches!(catalog::get_pipe(&node.name), Ok(Some(other)) if other.name != pipe);
        if taken_by_datasource || taken_by_pipe {
            return Err(ApiError::new(
                409,
                format!(
                    "Node '{}' has the name of a Data Source or Pipe: names must be unique",
                    node.name
                ),
            ));
        }
    }
    Ok(())
}

/// `PUT /v0/pipes/{name}` (PIPE-CRUD-05): a new name and/or description.
fn update_pipe(request: &Request, name: &str, params: &Params) -> Result<Response, ApiError> {
    let (pipe, mut definition) = existing(name)?;
    if let Some(description) = params.get("description") {
        definition.description = Some(description.to_string());
    }
    let new_name = params
        .get("name")
        .filter(|n| !n.is_empty())
        .unwrap_or(&pipe.name);
    let saved = save(&pipe.id, new_name, &mut definition)?;
    Ok(json(200, &pipe_object(request, &saved, &definition)))
}

fn node_index(definition: &Definition, node: &str) -> Result<usize, ApiError> {
    definition
        .node_index(node)
        .ok_or_else(|| ApiError::new(404, format!("Node '{node}' not found")))
}

fn body_sql(request: &Request) -> Result<Option<String>, ApiError> {
    let sql = String::from_utf8(request.body().to_vec())
        .map_err(|_| ApiError::bad_request("The SQL in the body is not UTF-8"))?;
    Ok(Some(sql).filter(|s| !s.trim().is_empty()))
}

/// `POST /v0/pipes/{pipe}/nodes` (PIPE-CRUD-07): the SQL is the body.
fn append_node(request: &Request, name: &str, params: &Params) -> Result<Response, ApiError> {
    let (pipe, mut definition) = existing(name)?;
    let sql = body_sql(request)?
        .ok_or_else(|| ApiError::bad_request("The node's SQL (the request body) is empty"))?;
    let node_name = node_name(params.get("name"), &pipe.name, definition.nodes.len())?;
    if definition.node_index(&node_name).is_some() {
        return Err(ApiError::new(
            409,
            format!("Node '{node_name}' already exists in Pipe '{}'", pipe.name),
        ));
    }
    let node = Node::new(
        node_name,
        sql,
        params.get("description").map(str::to_string),
    );
    if check_node_type(params.get("type"))? {
        definition.endpoint = Some(node.id.clone());
    }
    definition.nodes.push(node);
    save(&pipe.id, &pipe.name, &mut definition)?;
    let saved = definition.nodes.last().expect("the node just added");
    Ok(json(200, &model::node_json(&definition, saved)))
}

/// `PUT /v0/pipes/{pipe}/nodes/{node}` (PIPE-CRUD-08): new SQL (the body), name or description.
fn update_node(
    request: &Request,
    name: &str,
    node: &str,
    params: &Params,
) -> Result<Response, ApiError> {
    let (pipe, mut definition) = existing(name)?;
    let index = node_index(&definition, node)?;
    if let Some(new_name) = params.get("name").filter(|n| !n.is_empty()) {
        let new_name = node_name(Some(new_name), &pipe.name, index)?;
        if definition
            .nodes
            .iter()
            .enumerate()
            .any(|(i, n)| i != index && n.name == new_name)
        {
            return Err(ApiError::new(
                409,
                format!("Node '{new_name}' already exists in Pipe '{}'", pipe.name),
            ));
        }
        definition.nodes[index].name = new_name;
    }
    if let Some(sql) = body_sql(request)? {
        definition.nodes[index].sql = sql;
    }
    if let Some(description) = params.get("description") {
        definition.nodes[index].description = Some(description.to_string());
    }
    definition.nodes[index].updated_at = colibri_pipeline::now();
    save(&pipe.id, &pipe.name, &mut definition)?;
    Ok(json(
        200,
        &model::node_json(&definition, &definition.nodes[index]),
    ))
}

/// `DELETE /v0/pipes/{pipe}/nodes/{node}` (PIPE-CRUD-09): 204; a published node stays.
fn delete_node(name: &str, node: &str) -> Result<Response, ApiError> {
    let (pipe, mut definition) = existing(name)?;
    let index = node_index(&definition, node)?;
    if definition.endpoint_index() == Some(index) {
        return Err(ApiError::bad_request(format!(
            "Node '{node}' is the published endpoint of Pipe '{}': unpublish it before removing it",
            pipe.name
        )));
    }
    if definition.nodes.len() == 1 {
        return Err(ApiError::bad_request("A pipe keeps at least one node"));
    }
    definition.nodes.remove(index);
    save(&pipe.id, &pipe.name, &mut definition)?;
    Ok(Response::builder().status(204).body(Vec::new()).build())
}

/// `POST|DELETE /v0/pipes/{pipe}/nodes/{node}/endpoint` (PIPE-EP-01..03).
fn publish(request: &Request, name: &str, node: &str, on: bool) -> Result<Response, ApiError> {
    let (pipe, mut definition) = existing(name)?;
    let index = node_index(&definition, node)?;
    let id = definition.nodes[index].id.clone();
    if on {
        definition.endpoint = Some(id);
    } else if definition.endpoint.as_deref() == Some(id.as_str()) {
        definition.endpoint = None;
    } else {
        return Err(ApiError::bad_request(format!(
            "Node '{node}' is not the published endpoint"
        )));
    }
    let saved = save(&pipe.id, &pipe.name, &mut definition)?;
    Ok(json(200, &pipe_object(request, &saved, &definition)))
}

/// `GET|POST /v0/pipes/{name}.{format}` (PIPE-CALL): the published node, run with the
/// request's parameters, encoded as the extension says.
fn call_endpoint(name: &str, format: &str, params: &Params) -> Result<Response, ApiError> {
    let (pipe, definition) = existing(name)?;
    let index = definition.endpoint_index().ok_or_else(|| {
        ApiError::new(
            404,
            format!("Pipe '{}' has no published endpoint", pipe.name),
        )
    })?;
    let mut nodes =
        colibri_pipeline::rendered_nodes(&definition, index, colibri_pipeline::variables(params))?;
    // The extension chooses the format (PIPE-CALL-07).
    let query = match params.get("q").filter(|q| !q.trim().is_empty()) {
        Some(query) => Some(format!(
            "{}\nFORMAT {format}",
            query.trim().trim_end_matches(';')
        )),
        None => {
            let (_, last) = nodes.last_mut().expect("the endpoint node");
            *last = format!("{}\nFORMAT {format}", last.trim().trim_end_matches(';'));
            None
        }
    };
    let output = query::execute_for_pipe(
        &pipe.id,
        &nodes,
        query.as_deref(),
        &params.output_settings(),
    )?;
    Ok(Response::builder()
        .status(200)
        .header("content-type", output.content_type)
        .body(output.body)
        .build())
}

/// The names of the tokens that read the pipe `name` (`PIPES:READ:<name>`); none when the
/// caller may not list tokens.
fn readers(name: &str) -> Vec<String> {
    let scope = format!("PIPES:READ:{name}");
    tokens::list_tokens()
        .map(|all| {
            all.into_iter()
                .filter(|t| t.scopes.contains(&scope))
                .map(|t| t.name)
                .collect()
        })
        .unwrap_or_default()
}

/// `POST /v0/sql_tables` (what `tb push` asks of a node's SQL): the tables it reads, as
/// `[database, table]` pairs.
fn sql_tables(request: &Request) -> Result<Response, ApiError> {
    let params = request_params(request)?;
    let sql = params
        .get("q")
        .ok_or_else(|| ApiError::bad_request("Missing the `q` parameter with the SQL"))?;
    let tables: Vec<Value> = query::tables(sql)?
        .into_iter()
        .map(|table| match table.split_once('.') {
            Some((database, name)) => serde_json::json!([database, name]),
            None => serde_json::json!(["", table]),
        })
        .collect();
    Ok(json(200, &serde_json::json!({ "tables": tables })))
}
