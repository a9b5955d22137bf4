//! The functions a template may call (TPL-TYPE, TPL-FN): the type functions that read and
//! validate a parameter, and the helpers for identifiers, predicates, arrays, dates, errors
//! and secrets. Any other name is an error.

use chrono::{NaiveDate, NaiveDateTime};

use crate::syntax::Expr;
use crate::{Param, Renderer, TemplateError, Value};

const TYPE_FUNCTIONS: &[&str] = &[
    "Boolean",
    "DateTime64",
    "DateTime",
    "Date",
    "Float32",
    "Float64",
    "Int8",
    "Int16",
    "Int32",
    "Int64",
    "Int128",
    "Int256",
    "UInt8",
    "UInt16",
    "UInt32",
    "UInt64",
    "UInt128",
    "UInt256",
    "String",
    "Array",
];

const UINT128_MAX: &str = "340282366920938463463374607431768211455";
const INT256_MAX: &str =
    "57896044618658097711785492504343953926634992332820282019728792003956564819967";
const INT256_MIN_MAGNITUDE: &str =
    "57896044618658097711785492504343953926634992332820282019728792003956564819968";
const UINT256_MAX: &str =
    "115792089237316195423570985008687907853269984665640564039457584007913129639935";

/// The evaluated arguments of a call.
struct Args {
    positional: Vec<Value>,
    keywords: Vec<(String, Value)>,
}

impl Args {
    fn get(&self, index: usize, keyword: &str) -> Option<&Value> {
        self.keywords
            .iter()
            .find(|(k, _)| k == keyword)
            .map(|(_, v)| v)
            .or_else(|| self.positional.get(index))
            .filter(|v| **v != Value::None)
    }

    fn keyword(&self, keyword: &str) -> Option<&Value> {
        self.keywords
            .iter()
            .find(|(k, _)| k == keyword)
            .map(|(_, v)| v)
    }
}

fn invalid(value: &str, type_name: &str, name: &str) -> TemplateError {
    TemplateError::bad_request(format!(
        "[Error] Error validating '{value}' to type {type_name} (parameter '{name}')"
    ))
}

fn required(name: &str) -> TemplateError {
    TemplateError::bad_request(format!(
        "[Error] Required parameter '{name}' is not defined"
    ))
}

/// Whether `digits` (no sign) is at most `max`, both decimal.
fn at_most(digits: &str, max: &str) -> bool {
    let digits = digits.trim_start_matches('0');
    digits.len() < max.len() || (digits.len() == max.len() && digits <= max)
}

fn integer_range(type_name: &str) -> (i128, i128) {
    match type_name {
        "Int8" => (i8::MIN.into(), i8::MAX.into()),
        "Int16" => (i16::MIN.into(), i16::MAX.into()),
        "Int32" => (i32::MIN.into(), i32::MAX.into()),
        "Int64" => (i64::MIN.into(), i64::MAX.into()),
        "UInt8" => (0, u8::MAX.into()),
        "UInt16" => (0, u16::MAX.into()),
        "UInt32" => (0, u32::MAX.into()),
        "UInt64" => (0, u64::MAX.into()),
        "Int128" | "Int256" => (i128::MIN, i128::MAX),
        _ => (0, i128::MAX),
    }
}

/// A value as an integer of a ClickHouse integer type, range checked (TPL-TYPE-04).
fn to_integer(value: &Value, type_name: &str, name: &str) -> Result<Value, TemplateError> {
    let text = match value {
        Value::Int(n) => n.to_string(),
        Value::Bool(b) => u8::from(*b).to_string(),
        other => other.to_text(),
    };
    let text = text.trim();
    let fail = || invalid(text, type_name, name);
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(fail());
    }
    let (min, max) = integer_range(type_name);
    if let Ok(n) = text.parse::<i128>() {
        return if n >= min && n <= max {
            Ok(Value::Int(n))
        } else {
            Err(fail())
        };
    }
    // Beyond i128: only the 128-bit unsigned and 256-bit types reach here.
    let fits = match (type_name, negative) {
        ("UInt128", false) => at_most(digits, UINT128_MAX),
        ("UInt256", false) => at_most(digits, UINT256_MAX),
        ("Int256", false) => at_most(digits, INT256_MAX),
        ("Int256", true) => at_most(digits, INT256_MIN_MAGNITUDE),
        _ => false,
    };
    if fits {
        Ok(Value::BigInt(text.to_string()))
    } else {
        Err(fail())
    }
}

/// A value converted to what the type function `type_name` returns (TPL-TYPE-03..08).
fn convert(value: &Value, type_name: &str, name: &str) -> Result<Value, TemplateError> {
    let text = value.to_text();
    match type_name {
        "String" => Ok(Value::Str(text)),
        "Boolean" => match value {
            Value::Bool(b) => Ok(Value::Bool(*b)),
            _ if text.eq_ignore_ascii_case("true") || text == "1" => Ok(Value::Bool(true)),
            _ if text.eq_ignore_ascii_case("false") || text == "0" => Ok(Value::Bool(false)),
            _ => Err(invalid(&text, type_name, name)),
        },
        "Float32" | "Float64" => {
            let number = match value {
                Value::Int(n) => *n as f64,
                Value::Float(f) => *f,
                _ => text
                    .trim()
                    .parse::<f64>()
                    .map_err(|_| invalid(&text, type_name, name))?,
            };
            if number.is_finite() {
                Ok(Value::Float(number))
            } else {
                Err(invalid(&text, type_name, name))
            }
        }
        "Date" => NaiveDate::parse_from_str(&text, "%Y-%m-%d")
            .map(|_| Value::Str(text.clone()))
            .map_err(|_| invalid(&text, type_name, name)),
        "DateTime" => NaiveDateTime::parse_from_str(&text, "%Y-%m-%d %H:%M:%S")
            .map(|_| Value::Str(text.clone()))
            .map_err(|_| invalid(&text, type_name, name)),
        "DateTime64" => {
            let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
            let fraction_ok = fraction.len() <= 9 && fraction.bytes().all(|b| b.is_ascii_digit());
            let whole_ok = NaiveDateTime::parse_from_str(whole, "%Y-%m-%d %H:%M:%S").is_ok();
            if whole_ok && fraction_ok && !(text.contains('.') && fraction.is_empty()) {
                Ok(Value::Str(text.clone()))
            } else {
                Err(invalid(&text, type_name, name))
            }
        }
        integer => to_integer(value, integer, name),
    }
}

/// The items of an `Array` parameter: a list, or a comma-separated text (TPL-TYPE-08).
fn array_items(value: &Value) -> Vec<Value> {
    match value {
        Value::List(items) | Value::Tuple(items) => items.clone(),
        other => split(&other.to_text(), ","),
    }
}

fn split(text: &str, separator: &str) -> Vec<Value> {
    if text.trim().is_empty() {
        return Vec::new();
    }
    text.split(separator)
        .map(|part| Value::Str(part.trim().to_string()))
        .collect()
}

/// What a type function gives in analysis mode for an undefined parameter without default.
fn placeholder(type_name: &str) -> Value {
    match type_name {
        "String" => Value::Str("__placeholder__".into()),
        "Boolean" => Value::Bool(false),
        "Float32" | "Float64" => Value::Float(0.0),
        "Date" => Value::Str("2019-01-01".into()),
        "DateTime" | "DateTime64" => Value::Str("2019-01-01 00:00:00".into()),
        "Array" => Value::List(Vec::new()),
        _ => Value::Int(0),
    }
}

/// A name that may be written into SQL as an identifier: letters, digits and underscores,
/// optionally dotted (TPL-OUT-02).
fn identifier(text: &str, quote: char) -> Result<Value, TemplateError> {
    let text = text.trim();
    if text.is_empty() || !text.split('.').all(crate::syntax::is_identifier) {
        return Err(TemplateError::bad_request(format!(
            "[Error] '{text}' is not a valid column name"
        )));
    }
    let quoted: Vec<String> = text
        .split('.')
        .map(|part| format!("{quote}{part}{quote}"))
        .collect();
    Ok(Value::Identifier(quoted.join(".")))
}

/// Python's `strptime` on the formats `date_diff_in_*` take.
fn parse_date(text: &str, format: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(text, format)
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(text, format)
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })
}

impl Renderer<'_> {
    pub(crate) fn call(
        &mut self,
        function: &str,
        args: &[Expr],
        kwargs: &[(String, Expr)],
    ) -> Result<Value, TemplateError> {
        let evaluated = Args {
            positional: self.eval_all(args)?,
            keywords: kwargs
                .iter()
                .map(|(k, e)| Ok((k.clone(), self.eval(e)?)))
                .collect::<Result<_, TemplateError>>()?,
        };
        let name = match args.first() {
            Some(Expr::Name(name)) => name.as_str(),
            _ => function,
        };
        if TYPE_FUNCTIONS.contains(&function) {
            return self.typed(function, name, &evaluated);
        }
        let first = evaluated.positional.first().cloned().unwrap_or(Value::None);
        match function {
            "defined" => Ok(Value::Bool(first != Value::None)),
            "column" => match evaluated.get(0, "x").or(evaluated.get(1, "default")) {
                Some(value) => identifier(&value.to_text(), '`'),
                None => Err(required(name)),
            },
            _ => self.helper(function, &evaluated, &first),
        }
    }

    fn helper(
        &mut self,
        function: &str,
        args: &Args,
        first: &Value,
    ) -> Result<Value, TemplateError> {
        match function {
            "columns" => {
                let value = args
                    .get(0, "x")
                    .or(args.get(1, "default"))
                    .ok_or_else(|| required("columns"))?;
                let names = array_items(value)
                    .iter()
                    .map(|v| match identifier(&v.to_text(), '`')? {
                        Value::Identifier(sql) => Ok(sql),
                        _ => unreachable!("identifier gives an identifier"),
                    })
                    .collect::<Result<Vec<_>, TemplateError>>()?;
                Ok(Value::Identifier(names.join(",")))
            }
            "symbol" => {
                let quote = args.get(1, "quote").map_or("`".to_string(), Value::to_text);
                let quote = match quote.as_str() {
                    "`" => '`',
                    "\"" => '"',
                    other => {
                        return Err(TemplateError::bad_request(format!(
                            "[Error] symbol() quotes with ` or \", not {other}"
                        )));
                    }
                };
                identifier(&first.to_text(), quote)
            }
            "sql_and" => {
                let mut predicates = Vec::new();
                for (keyword, value) in &args.keywords {
                    if *value == Value::None {
                        continue;
                    }
                    let (column, op) = match keyword.rsplit_once("__") {
                        Some((column, op)) => (column, op),
                        None => (keyword.as_str(), "eq"),
                    };
                    let op = match op {
                        "in" => "IN",
                        "not_in" => "NOT IN",
                        "gt" => ">",
                        "lt" => "<",
                        "gte" => ">=",
                        "lte" => "<=",
                        "eq" => "=",
                        other => {
                            return Err(TemplateError::bad_request(format!(
                                "[Error] sql_and() knows in, not_in, gt, lt, gte and lte, not '{other}'"
                            )));
                        }
                    };
                    predicates.push(format!("{column} {op} {}", value.to_sql()));
                }
                Ok(Value::Sql(if predicates.is_empty() {
                    "1".to_string()
                } else {
                    predicates.join(" AND ")
                }))
            }
            "split_to_array" => {
                let separator = args
                    .get(2, "separator")
                    .map_or(",".to_string(), Value::to_text);
                match args.get(0, "x").or(args.get(1, "default")) {
                    Some(Value::List(items)) => Ok(Value::List(items.clone())),
                    Some(value) => Ok(Value::List(split(&value.to_text(), &separator))),
                    None => Ok(Value::List(Vec::new())),
                }
            }
            "enumerate_with_last" => {
                let items = array_items(first);
                let count = items.len();
                Ok(Value::List(
                    items
                        .into_iter()
                        .enumerate()
                        .map(|(i, item)| Value::Tuple(vec![Value::Bool(i + 1 == count), item]))
                        .collect(),
                ))
            }
            "date_diff_in_seconds"
            | "date_diff_in_minutes"
            | "date_diff_in_hours"
            | "date_diff_in_days" => self.date_diff(function, args),
            "error" => {
                if self.context.analysis {
                    return Ok(Value::None);
                }
                let status = args.get(1, "code").map_or(Ok(400), status_code)?;
                Err(TemplateError {
                    status,
                    body: serde_json::json!({ "error": first.to_text() }),
                })
            }
            "custom_error" => {
                if self.context.analysis {
                    return Ok(Value::None);
                }
                let Value::Dict(entries) = first else {
                    return Err(TemplateError::bad_request(
                        "[Error] custom_error() takes a dict, such as {'error': '...', 'code': 400}",
                    ));
                };
                let status = entries
                    .iter()
                    .find(|(k, _)| k.to_text() == "code")
                    .map_or(Ok(400), |(_, v)| status_code(v))?;
                Err(TemplateError {
                    status,
                    body: first.to_json(),
                })
            }
            "tb_secret" | "tb_var" => {
                let name = first.to_text();
                match self.context.secrets.get(&name) {
                    Some(value) => Ok(Value::Str(value.clone())),
                    None => match args.get(1, "default") {
                        Some(default) => Ok(Value::Str(default.to_text())),
                        None if self.context.analysis => Ok(Value::Str(String::new())),
                        None => Err(TemplateError::bad_request(format!(
                            "[Error] Cannot access secret '{name}': it does not exist"
                        ))),
                    },
                }
            }
            other => Err(TemplateError::bad_request(format!(
                "Template Syntax Error: unknown function '{other}'"
            ))),
        }
    }

    fn date_diff(&mut self, function: &str, args: &Args) -> Result<Value, TemplateError> {
        let default_format = if function == "date_diff_in_days" {
            "%Y-%m-%d"
        } else {
            "%Y-%m-%d %H:%M:%S"
        };
        let format = args
            .get(2, "date_format")
            .map_or(default_format.to_string(), Value::to_text);
        let backup = args.get(3, "backup_date_format").map(Value::to_text);
        let none_if_error = args.get(4, "none_if_error").is_some_and(Value::truthy);
        let parse = |value: Option<&Value>| {
            let text = value?.to_text();
            parse_date(&text, &format).or_else(|| parse_date(&text, backup.as_deref()?))
        };
        match (parse(args.get(0, "date_1")), parse(args.get(1, "date_2"))) {
            (Some(a), Some(b)) => {
                let seconds = (a - b).num_seconds().abs();
                let unit = match function {
                    "date_diff_in_minutes" => 60,
                    "date_diff_in_hours" => 3600,
                    "date_diff_in_days" => 86400,
                    _ => 1,
                };
                Ok(Value::Int(i128::from(seconds / unit)))
            }
            _ if none_if_error || self.context.analysis => Ok(Value::None),
            _ => Err(TemplateError::bad_request(format!(
                "[Error] {function}: the dates do not match the format '{format}'"
            ))),
        }
    }

    /// A type function (TPL-TYPE-01, TPL-TYPE-02): the parameter `name`'s value, validated
    /// and converted, or its default; recorded as a declared parameter.
    fn typed(&mut self, function: &str, name: &str, args: &Args) -> Result<Value, TemplateError> {
        // `Array(x, 'Int32', default)`; `Array(x, 'a,b')` has a default, not a type.
        let (element_type, default_index) = match (function, args.positional.get(1)) {
            ("Array", Some(Value::Str(t)))
                if TYPE_FUNCTIONS.contains(&t.as_str()) && t != "Array" =>
            {
                (Some(t.clone()), 2)
            }
            ("Array", _) => (Some("String".to_string()), 1),
            _ => (None, 1),
        };
        let element_type = args.keyword("type").map(Value::to_text).or(element_type);
        let default = args.get(default_index, "default").cloned();
        let is_required = args.keyword("required").is_some_and(Value::truthy);
        let may_be_undefined = args.keyword("defined").is_some_and(|d| !d.truthy());
        let enum_values = args.keyword("enum").map(array_items);
        let type_name = match &element_type {
            Some(element) => format!("Array({element})"),
            None => function.to_string(),
        };
        if name != function {
            self.record(Param {
                name: name.to_string(),
                type_name: type_name.clone(),
                default: default.as_ref().map(Value::to_json),
                description: args.keyword("description").map(Value::to_text),
                required: is_required,
                enum_values: enum_values
                    .as_ref()
                    .map(|values| values.iter().map(Value::to_text).collect()),
                example: args.keyword("example").map(Value::to_text),
                format: args.keyword("format").map(Value::to_text),
            });
        }
        let shown = name;
        let given = args.positional.first().filter(|v| **v != Value::None);
        let value = match (given, &default) {
            (Some(value), _) => value.clone(),
            (None, _) if self.context.analysis => {
                default.clone().unwrap_or_else(|| placeholder(function))
            }
            (None, _) if is_required => return Err(required(shown)),
            (None, Some(default)) => default.clone(),
            (None, None) if may_be_undefined => return Ok(Value::None),
            (None, None) => return Err(required(shown)),
        };
        let converted = match &element_type {
            Some(element) => Value::List(
                array_items(&value)
                    .iter()
                    .map(|item| convert(item, element, shown))
                    .collect::<Result<_, _>>()?,
            ),
            None => convert(&value, function, shown)?,
        };
        if let (Some(allowed), false) = (&enum_values, self.context.analysis) {
            let items = match &converted {
                Value::List(items) => items.clone(),
                single => vec![single.clone()],
            };
            if let Some(bad) = items
                .iter()
                .find(|item| !allowed.iter().any(|a| a.to_text() == item.to_text()))
            {
                let allowed: Vec<String> = allowed.iter().map(Value::to_text).collect();
                return Err(TemplateError::bad_request(format!(
                    "[Error] Invalid value '{}' for parameter '{shown}': it must be one of {}",
                    bad.to_text(),
                    allowed.join(", ")
                )));
            }
        }
        Ok(converted)
    }
}

fn status_code(value: &Value) -> Result<u16, TemplateError> {
    match value {
        Value::Int(n) if (400..600).contains(n) => Ok(*n as u16),
        other => Err(TemplateError::bad_request(format!(
            "[Error] error code {} is not an HTTP error status",
            other.to_text()
        ))),
    }
}
