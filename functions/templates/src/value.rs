//! The values template expressions compute, Python's truth and comparisons over them, and
//! how `{{ }}` writes each into SQL (TPL-OUT-01): parameter values only ever reach the SQL as
//! quoted literals, validated numbers or validated identifiers (TPL-OUT-02).

use std::cmp::Ordering;

use crate::TemplateError;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    None,
    Bool(bool),
    Int(i128),
    /// A validated integer too wide for `Int` ((U)Int128/256 values), as its digits.
    BigInt(String),
    Float(f64),
    Str(String),
    List(Vec<Value>),
    Tuple(Vec<Value>),
    Dict(Vec<(Value, Value)>),
    /// An identifier, already quoted (`column`, `columns`, `symbol`).
    Identifier(String),
    /// SQL text built by the template itself (`sql_and`), written as is.
    Sql(String),
}

/// A string as a ClickHouse literal: `\` and `'` escaped.
pub fn quote(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('\'');
    for c in text.chars() {
        match c {
            '\\' => quoted.push_str("\\\\"),
            '\'' => quoted.push_str("\\'"),
            other => quoted.push(other),
        }
    }
    quoted.push('\'');
    quoted
}

fn format_float(value: f64) -> String {
    // Rust prints the shortest text that reads back as the same float, `1` for 1.0.
    format!("{value}")
}

impl Value {
    /// The SQL a `{{ }}` tag writes for this value.
    pub fn to_sql(&self) -> String {
        match self {
            Value::None => String::new(),
            Value::Bool(b) => u8::from(*b).to_string(),
            Value::Int(n) => n.to_string(),
            Value::BigInt(digits) => digits.clone(),
            Value::Float(f) => format_float(*f),
            Value::Str(s) => quote(s),
            Value::List(items) => {
                let items: Vec<String> = items.iter().map(Value::to_sql).collect();
                format!("[{}]", items.join(","))
            }
            Value::Tuple(items) => {
                let items: Vec<String> = items.iter().map(Value::to_sql).collect();
                format!("({})", items.join(","))
            }
            Value::Dict(_) => quote(&self.to_text()),
            Value::Identifier(sql) | Value::Sql(sql) => sql.clone(),
        }
    }

    /// The value as text, as Python's `str()` would give it (for names, enums, JSON bodies).
    pub fn to_text(&self) -> String {
        match self {
            Value::None => String::new(),
            Value::Bool(b) => if *b { "True" } else { "False" }.to_string(),
            Value::Int(n) => n.to_string(),
            Value::BigInt(digits) => digits.clone(),
            Value::Float(f) => format_float(*f),
            Value::Str(s) | Value::Identifier(s) | Value::Sql(s) => s.clone(),
            Value::List(_) | Value::Tuple(_) | Value::Dict(_) => self.to_json().to_string(),
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        match self {
            Value::None => serde_json::Value::Null,
            Value::Bool(b) => json!(b),
            Value::Int(n) => i64::try_from(*n).map_or_else(|_| json!(n.to_string()), |n| json!(n)),
            Value::BigInt(digits) => json!(digits),
            Value::Float(f) => json!(f),
            Value::Str(s) | Value::Identifier(s) | Value::Sql(s) => json!(s),
            Value::List(items) | Value::Tuple(items) => {
                serde_json::Value::Array(items.iter().map(Value::to_json).collect())
            }
            Value::Dict(entries) => serde_json::Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.to_text(), v.to_json()))
                    .collect(),
            ),
        }
    }

    /// Python's truth.
    pub fn truthy(&self) -> bool {
        match self {
            Value::None => false,
            Value::Bool(b) => *b,
            Value::Int(n) => *n != 0,
            Value::BigInt(_) => true,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) | Value::Identifier(s) | Value::Sql(s) => !s.is_empty(),
            Value::List(items) | Value::Tuple(items) => !items.is_empty(),
            Value::Dict(entries) => !entries.is_empty(),
        }
    }

    fn as_number(&self) -> Option<f64> {
        match self {
            Value::Bool(b) => Some(f64::from(u8::from(*b))),
            Value::Int(n) => Some(*n as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }

    fn as_int(&self) -> Option<i128> {
        match self {
            Value::Bool(b) => Some(i128::from(*b)),
            Value::Int(n) => Some(*n),
            _ => None,
        }
    }

    /// Python's `==`.
    pub fn equals(&self, other: &Value) -> bool {
        match (self.as_number(), other.as_number()) {
            (Some(a), Some(b)) => a == b,
            _ => match (self, other) {
                (Value::List(a) | Value::Tuple(a), Value::List(b) | Value::Tuple(b)) => {
                    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.equals(y))
                }
                _ => self == other,
            },
        }
    }

    /// Python's ordering; comparing a number with text is an error.
    pub fn compare(&self, other: &Value) -> Result<Ordering, TemplateError> {
        if let (Some(a), Some(b)) = (self.as_int(), other.as_int()) {
            return Ok(a.cmp(&b));
        }
        if let (Some(a), Some(b)) = (self.as_number(), other.as_number()) {
            return a
                .partial_cmp(&b)
                .ok_or_else(|| TemplateError::bad_request("[Error] cannot compare NaN"));
        }
        match (self, other) {
            (Value::Str(a), Value::Str(b)) => Ok(a.cmp(b)),
            _ => Err(TemplateError::bad_request(format!(
                "[Error] cannot compare {} with {}",
                self.to_sql(),
                other.to_sql()
            ))),
        }
    }

    /// Python's `in`: an element of a list, a substring of a string, a key of a dict.
    pub fn contains(&self, item: &Value) -> Result<bool, TemplateError> {
        match self {
            Value::List(items) | Value::Tuple(items) => Ok(items.iter().any(|i| i.equals(item))),
            Value::Str(text) => match item {
                Value::Str(part) => Ok(text.contains(part.as_str())),
                _ => Err(TemplateError::bad_request(
                    "[Error] 'in <string>' needs a string on the left",
                )),
            },
            Value::Dict(entries) => Ok(entries.iter().any(|(k, _)| k.equals(item))),
            Value::None => Ok(false),
            other => Err(TemplateError::bad_request(format!(
                "[Error] cannot look inside {}",
                other.to_sql()
            ))),
        }
    }

    /// `+ - * / %` as Python computes them.
    pub fn arithmetic(
        &self,
        op: crate::syntax::BinaryOp,
        other: &Value,
    ) -> Result<Value, TemplateError> {
        use crate::syntax::BinaryOp::*;
        let overflow = || TemplateError::bad_request("[Error] integer overflow in the template");
        if let (Some(a), Some(b)) = (self.as_int(), other.as_int()) {
            return match op {
                Add => a.checked_add(b).map(Value::Int).ok_or_else(overflow),
                Sub => a.checked_sub(b).map(Value::Int).ok_or_else(overflow),
                Mul => a.checked_mul(b).map(Value::Int).ok_or_else(overflow),
                Div if b == 0 => Err(TemplateError::bad_request("[Error] division by zero")),
                Div => Ok(Value::Float(a as f64 / b as f64)),
                Rem if b == 0 => Err(TemplateError::bad_request("[Error] division by zero")),
                Rem => Ok(Value::Int(
                    a.rem_euclid(b) + if b < 0 && a.rem_euclid(b) != 0 { b } else { 0 },
                )),
                _ => unreachable!("not an arithmetic operator"),
            };
        }
        if let (Some(a), Some(b)) = (self.as_number(), other.as_number()) {
            return Ok(Value::Float(match op {
                Add => a + b,
                Sub => a - b,
                Mul => a * b,
                Div => a / b,
                Rem => a.rem_euclid(b),
                _ => unreachable!("not an arithmetic operator"),
            }));
        }
        match (self, op, other) {
            (Value::Str(a), Add, Value::Str(b)) => Ok(Value::Str(format!("{a}{b}"))),
            (Value::List(a), Add, Value::List(b)) => {
                Ok(Value::List(a.iter().chain(b).cloned().collect()))
            }
            _ => Err(TemplateError::bad_request(format!(
                "[Error] unsupported operation {op:?} between {} and {}",
                self.to_sql(),
                other.to_sql()
            ))),
        }
    }
}
