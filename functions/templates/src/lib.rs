//! Tinybird's SQL template language (TPL-*), rendered inside the sandbox: a node's SQL that
//! starts with `%` is a Tornado-style template whose `{{ expression }}` tags write typed,
//! escaped parameter values into the SQL and whose `{% if %}`, `{% for %}` and `{% set %}`
//! statements shape it. `render` turns a template and the request's parameters into plain
//! SQL; in analysis mode (TPL-ANA-01) it renders with placeholders instead and records every
//! parameter the template declares, for a node's `params` and the OpenAPI document.

mod functions;
mod syntax;
mod value;

use std::collections::HashMap;

pub use syntax::is_identifier;
use syntax::{BinaryOp, Expr, Node};
pub use value::{Value, quote};

/// Why a template cannot be rendered: the HTTP status and the JSON body of the answer.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateError {
    pub status: u16,
    pub body: serde_json::Value,
}

impl TemplateError {
    pub fn bad_request(message: impl Into<String>) -> TemplateError {
        TemplateError {
            status: 400,
            body: serde_json::json!({ "error": message.into() }),
        }
    }

    /// The error message of the body.
    pub fn message(&self) -> &str {
        self.body["error"].as_str().unwrap_or_default()
    }
}

/// A parameter a template declares through a type function (PIPE-MODEL-03).
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub name: String,
    /// The type function's name (`Int32`, `String`, `Array(Int32)`...).
    pub type_name: String,
    pub default: Option<serde_json::Value>,
    pub description: Option<String>,
    pub required: bool,
    pub enum_values: Option<Vec<String>>,
    pub example: Option<String>,
    pub format: Option<String>,
}

/// What a template is rendered with.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The request's parameters; an empty value counts as undefined (TPL-VAR-04).
    pub variables: HashMap<String, String>,
    /// The workspace's secrets and variables (`tb_secret`, `tb_var`).
    pub secrets: HashMap<String, String>,
    /// Analysis mode (TPL-ANA-01): undefined parameters become placeholders and errors are
    /// not raised.
    pub analysis: bool,
}

/// A rendered template.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub sql: String,
    /// The parameters declared on the way (last declaration wins; names starting with `_`
    /// left out).
    pub params: Vec<Param>,
}

/// The template text of a node's SQL: what follows its leading `%`, or `None` when the SQL
/// is not a template (TPL-SYN-01).
pub fn template_text(sql: &str) -> Option<&str> {
    sql.trim_start().strip_prefix('%')
}

/// Renders SQL: a template (leading `%`) is rendered with `context`; other SQL is returned
/// as it is.
pub fn render(sql: &str, context: &Context) -> Result<Rendered, TemplateError> {
    let Some(text) = template_text(sql) else {
        return Ok(Rendered {
            sql: sql.to_string(),
            params: Vec::new(),
        });
    };
    let nodes = syntax::parse(text)?;
    let mut renderer = Renderer {
        context,
        locals: HashMap::new(),
        params: Vec::new(),
        out: String::new(),
    };
    renderer.nodes(&nodes)?;
    Ok(Rendered {
        sql: renderer.out,
        params: renderer.params,
    })
}

struct Renderer<'a> {
    context: &'a Context,
    /// `{% set %}` and loop variables, which override the request's (TPL-VAR-01).
    locals: HashMap<String, Value>,
    params: Vec<Param>,
    out: String,
}

impl Renderer<'_> {
    fn nodes(&mut self, nodes: &[Node]) -> Result<(), TemplateError> {
        for node in nodes {
            match node {
                Node::Text(text) => self.out.push_str(text),
                Node::Output(expression) => {
                    let value = self.eval(expression)?;
                    self.out.push_str(&value.to_sql());
                }
                Node::If(branches, otherwise) => {
                    let mut taken = None;
                    for (index, (condition, _)) in branches.iter().enumerate() {
                        if self.eval(condition)?.truthy() {
                            taken = Some(index);
                            break;
                        }
                    }
                    let bodies = branches.iter().map(|(_, body)| body).chain([otherwise]);
                    for (index, body) in bodies.enumerate() {
                        if index == taken.unwrap_or(branches.len()) {
                            self.nodes(body)?;
                        } else if self.context.analysis {
                            self.declarations_in(body);
                        }
                    }
                }
                Node::For {
                    targets,
                    iterable,
                    body,
                } => {
                    let items = match self.eval(iterable)? {
                        Value::List(items) | Value::Tuple(items) => items,
                        Value::None => Vec::new(),
                        Value::Str(text) => {
                            text.chars().map(|c| Value::Str(c.to_string())).collect()
                        }
                        other => {
                            return Err(TemplateError::bad_request(format!(
                                "[Error] cannot loop over {}",
                                other.to_sql()
                            )));
                        }
                    };
                    for item in items {
                        self.bind(targets, item)?;
                        self.nodes(body)?;
                    }
                }
                Node::Set(name, expression) => {
                    let value = self.eval(expression)?;
                    self.locals.insert(name.clone(), value);
                }
            }
        }
        Ok(())
    }

    /// Records the parameters a branch not taken declares (analysis mode documents every
    /// parameter of the template), leaving the output and the variables as they were.
    fn declarations_in(&mut self, body: &[Node]) {
        let (length, locals) = (self.out.len(), self.locals.clone());
        let _ = self.nodes(body);
        self.out.truncate(length);
        self.locals = locals;
    }

    fn bind(&mut self, targets: &[String], item: Value) -> Result<(), TemplateError> {
        if let [target] = targets {
            self.locals.insert(target.clone(), item);
            return Ok(());
        }
        match item {
            Value::List(parts) | Value::Tuple(parts) if parts.len() == targets.len() => {
                for (target, part) in targets.iter().zip(parts) {
                    self.locals.insert(target.clone(), part);
                }
                Ok(())
            }
            other => Err(TemplateError::bad_request(format!(
                "[Error] cannot unpack {} into {} names",
                other.to_sql(),
                targets.len()
            ))),
        }
    }

    /// A variable's value: a `set` or loop variable, else the request's parameter as text,
    /// else `None` (undefined).
    fn variable(&self, name: &str) -> Value {
        if let Some(value) = self.locals.get(name) {
            return value.clone();
        }
        match self.context.variables.get(name) {
            Some(text) if !text.is_empty() => Value::Str(text.clone()),
            _ => Value::None,
        }
    }

    fn eval(&mut self, expression: &Expr) -> Result<Value, TemplateError> {
        Ok(match expression {
            Expr::None => Value::None,
            Expr::Bool(b) => Value::Bool(*b),
            Expr::Int(n) => Value::Int(*n),
            Expr::Float(f) => Value::Float(*f),
            Expr::Str(s) => Value::Str(s.clone()),
            Expr::List(items) => Value::List(self.eval_all(items)?),
            Expr::Dict(entries) => {
                let mut values = Vec::with_capacity(entries.len());
                for (key, value) in entries {
                    values.push((self.eval(key)?, self.eval(value)?));
                }
                Value::Dict(values)
            }
            Expr::Name(name) => self.variable(name),
            Expr::Not(inner) => Value::Bool(!self.eval(inner)?.truthy()),
            Expr::Neg(inner) => Value::Int(0).arithmetic(BinaryOp::Sub, &self.eval(inner)?)?,
            Expr::Binary(left, op, right) => match op {
                BinaryOp::And => {
                    let left = self.eval(left)?;
                    if left.truthy() {
                        self.eval(right)?
                    } else {
                        left
                    }
                }
                BinaryOp::Or => {
                    let left = self.eval(left)?;
                    if left.truthy() {
                        left
                    } else {
                        self.eval(right)?
                    }
                }
                _ => {
                    let (left, right) = (self.eval(left)?, self.eval(right)?);
                    match op {
                        BinaryOp::Eq => Value::Bool(left.equals(&right)),
                        BinaryOp::Ne => Value::Bool(!left.equals(&right)),
                        BinaryOp::Lt => Value::Bool(left.compare(&right)?.is_lt()),
                        BinaryOp::Le => Value::Bool(left.compare(&right)?.is_le()),
                        BinaryOp::Gt => Value::Bool(left.compare(&right)?.is_gt()),
                        BinaryOp::Ge => Value::Bool(left.compare(&right)?.is_ge()),
                        BinaryOp::In => Value::Bool(right.contains(&left)?),
                        BinaryOp::NotIn => Value::Bool(!right.contains(&left)?),
                        arithmetic => left.arithmetic(*arithmetic, &right)?,
                    }
                }
            },
            Expr::Call {
                function,
                args,
                kwargs,
            } => self.call(function, args, kwargs)?,
        })
    }

    fn eval_all(&mut self, expressions: &[Expr]) -> Result<Vec<Value>, TemplateError> {
        expressions.iter().map(|e| self.eval(e)).collect()
    }

    fn record(&mut self, param: Param) {
        if param.name.starts_with('_') {
            return;
        }
        self.params.retain(|p| p.name != param.name);
        self.params.push(param);
    }
}

#[cfg(test)]
mod tests;
