//! Schema guessing for events (DS-T*), deterministic: the first 10,000 events are sampled;
//! objects are flattened (names joined by `_`), arrays of scalars become `Array(T)`, arrays
//! of objects one `Array(T)` column per leaf (`$.records[:].data` → `records__data`), deeper
//! nesting is kept as raw JSON text; a field missing or null in part of the sample is
//! Nullable; repetitive strings are `LowCardinality(String)`; columns are sorted by path with
//! Nullable columns last. The same guess tells which paths of later events are not columns
//! yet (EV-9).

use std::collections::{BTreeMap, HashMap, HashSet};

use colibri_guest::types::Column;
use serde_json::Value;

const SAMPLE_SIZE: usize = 10_000;

/// DS-T4: strings are LowCardinality from this many non-null values on, when at most a tenth
/// of them (and at most `LOW_CARDINALITY_MAX_DISTINCT`) are distinct.
const LOW_CARDINALITY_MIN_VALUES: usize = 100;
const LOW_CARDINALITY_MAX_DISTINCT: usize = 1000;

/// What the sample showed of one path.
#[derive(Default)]
struct Observed {
    present: usize,
    /// Values seen at the path, each element of an array counting once (AN-6).
    occurrences: usize,
    nulls: usize,
    kinds: Kinds,
    raw_json: bool,
    /// Element kinds, for `Array(T)` columns (arrays of scalars, or leaves of arrays of objects).
    array: Option<Box<Kinds>>,
    /// A leaf of an array of objects was missing or null in some element.
    element_nulls: bool,
}

#[derive(Default, Clone)]
struct Kinds {
    bool: bool,
    int_min: Option<i128>,
    int_max: Option<i128>,
    float: bool,
    string: bool,
    object: bool,
    /// The strings all looked like: Date (0), DateTime (1), DateTime64 with n digits.
    temporal: Option<Option<u8>>,
    non_temporal_string: bool,
    strings_seen: usize,
    /// Distinct strings, counted up to `LOW_CARDINALITY_MAX_DISTINCT + 1`.
    distinct_strings: HashSet<String>,
}

impl Kinds {
    fn observe(&mut self, value: &Value) {
        match value {
            Value::Bool(_) => self.bool = true,
            Value::Number(n) => match n.as_i64().map(i128::from).or(n.as_u64().map(i128::from)) {
                Some(i) => {
                    self.int_min = Some(self.int_min.map_or(i, |m| m.min(i)));
                    self.int_max = Some(self.int_max.map_or(i, |m| m.max(i)));
                }
                None => self.float = true,
            },
            Value::String(s) => {
                self.string = true;
                self.strings_seen += 1;
                if self.distinct_strings.len() <= LOW_CARDINALITY_MAX_DISTINCT {
                    self.distinct_strings.insert(s.clone());
                }
                match temporal_kind(s) {
                    Some(kind) if !self.non_temporal_string => {
                        self.temporal = Some(match self.temporal {
                            None => kind,
                            Some(seen) => wider_temporal(seen, kind),
                        });
                    }
                    _ => {
                        self.non_temporal_string = true;
                        self.temporal = None;
                    }
                }
            }
            Value::Object(_) | Value::Array(_) => self.object = true,
            Value::Null => {}
        }
    }

    fn is_low_cardinality(&self) -> bool {
        let distinct = self.distinct_strings.len();
        self.strings_seen >= LOW_CARDINALITY_MIN_VALUES
            && distinct <= LOW_CARDINALITY_MAX_DISTINCT
            && distinct * 10 <= self.strings_seen
    }

    fn clickhouse_type(&self) -> String {
        let numeric = self.int_min.is_some() || self.float;
        let families = [self.bool, numeric, self.string, self.object]
            .iter()
            .filter(|b| **b)
            .count();
        if families != 1 {
            return "String".into();
        }
        if self.bool {
            return "Bool".into();
        }
        if self.object {
            return "String".into();
        }
        if self.string {
            return match self.temporal {
                Some(None) => "Date".into(),
                Some(Some(0)) => "DateTime".into(),
                Some(Some(digits)) if digits <= 3 => "DateTime64(3)".into(),
                Some(Some(_)) => "DateTime64(6)".into(),
                None if self.is_low_cardinality() => "LowCardinality(String)".into(),
                None => "String".into(),
            };
        }
        if self.float {
            return "Float64".into();
        }
        let (min, max) = (self.int_min.unwrap_or(0), self.int_max.unwrap_or(0));
        if min >= i16::MIN as i128 && max <= i16::MAX as i128 {
            "Int16".into()
        } else if min >= i32::MIN as i128 && max <= i32::MAX as i128 {
            "Int32".into()
        } else if min >= i64::MIN as i128 && max <= i64::MAX as i128 {
            "Int64".into()
        } else if min >= 0 {
            "UInt64".into()
        } else {
            "Float64".into()
        }
    }
}

/// `None` = Date; `Some(n)` = date-time with n fractional digits.
fn temporal_kind(text: &str) -> Option<Option<u8>> {
    crate::temporal::parse(text).map(|t| t.fraction_digits)
}

fn wider_temporal(a: Option<u8>, b: Option<u8>) -> Option<u8> {
    match (a, b) {
        (None, None) => None,
        (Some(x), Some(y)) => Some(x.max(y)),
        // Dates mixed with date-times: keep date-times.
        (Some(x), None) | (None, Some(x)) => Some(x),
    }
}

fn observe(
    paths: &mut BTreeMap<String, Observed>,
    prefix: &str,
    object: &serde_json::Map<String, Value>,
) {
    for (key, value) in object {
        let path = format!("{prefix}.{key}");
        match value {
            Value::Object(inner) if !inner.is_empty() => observe(paths, &path, inner),
            Value::Array(items) if items.iter().any(Value::is_object) => {
                observe_array_of_objects(paths, &path, items)
            }
            Value::Array(items) => {
                let entry = paths.entry(path).or_default();
                entry.present += 1;
                entry.occurrences += items.len();
                if items.iter().all(|i| !i.is_array()) {
                    let kinds = entry.array.get_or_insert_with(Default::default);
                    for item in items {
                        kinds.observe(item);
                    }
                } else {
                    entry.raw_json = true;
                }
            }
            other => {
                let entry = paths.entry(path).or_default();
                entry.present += 1;
                entry.occurrences += 1;
                if other.is_null() {
                    entry.nulls += 1;
                }
                entry.kinds.observe(other);
            }
        }
    }
}

/// `{"records": [{"data": 1}, {"data": 2}]}` → `$.records[:].data` holding `[1, 2]`. Only
/// scalar leaves can be addressed this way; anything deeper keeps the array as raw JSON.
fn observe_array_of_objects(paths: &mut BTreeMap<String, Observed>, path: &str, items: &[Value]) {
    let mut leaves: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    let mut addressable = true;
    for item in items {
        let Value::Object(fields) = item else {
            addressable = false;
            break;
        };
        addressable &= collect_leaves(&format!("{path}[:]"), fields, &mut leaves);
    }
    if !addressable {
        let entry = paths.entry(path.to_string()).or_default();
        entry.present += 1;
        entry.occurrences += 1;
        entry.raw_json = true;
        return;
    }
    for (leaf, values) in leaves {
        let entry = paths.entry(leaf).or_default();
        entry.present += 1;
        entry.occurrences += values.len();
        entry.element_nulls |= values.len() < items.len() || values.iter().any(|v| v.is_null());
        let kinds = entry.array.get_or_insert_with(Default::default);
        for value in values {
            kinds.observe(value);
        }
    }
}

/// The scalar leaves of one array element; false when it holds arrays (not addressable).
fn collect_leaves<'a>(
    prefix: &str,
    fields: &'a serde_json::Map<String, Value>,
    leaves: &mut BTreeMap<String, Vec<&'a Value>>,
) -> bool {
    for (key, value) in fields {
        let path = format!("{prefix}.{key}");
        let addressable = match value {
            Value::Array(_) => false,
            Value::Object(inner) => collect_leaves(&path, inner, leaves),
            scalar => {
                leaves.entry(path).or_default().push(scalar);
                true
            }
        };
        if !addressable {
            return false;
        }
    }
    true
}

/// `$.a.b` → `a_b`; `$.records[:].data` → `records__data`.
fn column_name(path: &str) -> String {
    path.trim_start_matches("$.")
        .replace("[:].", "__")
        .replace("[:]", "")
        .replace('.', "_")
}

/// `Nullable(T)`, written inside LowCardinality as ClickHouse requires.
fn nullable(type_name: &str) -> String {
    match type_name
        .strip_prefix("LowCardinality(")
        .and_then(|t| t.strip_suffix(')'))
    {
        Some(inner) => format!("LowCardinality(Nullable({inner}))"),
        None => format!("Nullable({type_name})"),
    }
}

/// A guessed column and how often its path held a value in the sample (AN-6: occurrences
/// over sampled events, so an array path with three elements in one event is 3).
pub struct GuessedColumn {
    pub column: Column,
    pub present_pct: f64,
}

/// The guessed columns for a sample of events.
pub fn infer_columns<'a>(events: impl Iterator<Item = &'a Value>) -> Vec<Column> {
    guess_columns(events)
        .into_iter()
        .map(|guessed| guessed.column)
        .collect()
}

/// The guessed columns for a sample of events, with their presence.
pub fn guess_columns<'a>(events: impl Iterator<Item = &'a Value>) -> Vec<GuessedColumn> {
    let mut paths = BTreeMap::new();
    let mut sampled = 0;
    for event in events.take(SAMPLE_SIZE) {
        if let Value::Object(object) = event {
            observe(&mut paths, "$", object);
            sampled += 1;
        }
    }
    let mut columns: Vec<(bool, GuessedColumn)> = Vec::new();
    let mut names = std::collections::HashSet::new();
    for (path, observed) in paths {
        let name = column_name(&path);
        if !names.insert(name.clone()) {
            continue;
        }
        let (type_name, jsonpath) = if observed.raw_json {
            ("String".to_string(), path.clone())
        } else if let Some(kinds) = &observed.array {
            let element = if kinds.int_min.is_none() && !kinds.float && !kinds.bool && !kinds.string
            {
                "String".to_string()
            } else {
                kinds.clickhouse_type()
            };
            let element = if observed.element_nulls {
                nullable(&element)
            } else {
                element
            };
            // Leaves of arrays of objects already carry `[:]` in their path.
            let jsonpath = if path.contains("[:]") {
                path.clone()
            } else {
                format!("{path}[:]")
            };
            (format!("Array({element})"), jsonpath)
        } else {
            let all_null = observed.nulls == observed.present;
            let base = if all_null {
                "String".to_string()
            } else {
                observed.kinds.clickhouse_type()
            };
            (base, path.clone())
        };
        let nullable =
            !type_name.starts_with("Array(") && (observed.present < sampled || observed.nulls > 0);
        let type_name = if nullable {
            self::nullable(&type_name)
        } else {
            type_name
        };
        columns.push((
            nullable,
            GuessedColumn {
                column: Column {
                    name,
                    type_: type_name,
                    jsonpath: Some(jsonpath),
                    default_value: None,
                },
                present_pct: observed.occurrences as f64 / sampled.max(1) as f64,
            },
        ));
    }
    columns.sort_by_key(|(nullable, _)| *nullable);
    columns.into_iter().map(|(_, column)| column).collect()
}

/// The value a CSV field stands for when guessing types (DS-T3 on text): empty and `\N` are
/// null, `true`/`false` booleans, text that parses as a number a number, the rest a string.
fn csv_value(text: &str) -> Value {
    let trimmed = text.trim();
    if trimmed.is_empty() || trimmed == "\\N" {
        return Value::Null;
    }
    if trimmed.eq_ignore_ascii_case("true") || trimmed.eq_ignore_ascii_case("false") {
        return Value::Bool(trimmed.eq_ignore_ascii_case("true"));
    }
    let looks_numeric = trimmed
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'));
    if looks_numeric && let Ok(number) = serde_json::from_str::<serde_json::Number>(trimmed) {
        return Value::Number(number);
    }
    Value::String(text.to_string())
}

/// The guessed columns of a CSV file, in the file's order, named `names`, with the share of
/// records holding a value; with `type_guessing` off every column is `String` (DS-T3, DS-T5).
pub fn guess_csv_columns(
    names: &[String],
    records: &[csv::StringRecord],
    type_guessing: bool,
) -> Vec<GuessedColumn> {
    let sampled = records.len().min(SAMPLE_SIZE);
    names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let mut kinds = Kinds::default();
            let mut nulls = 0;
            for record in records.iter().take(SAMPLE_SIZE) {
                let value = csv_value(record.get(i).unwrap_or(""));
                nulls += usize::from(value.is_null());
                kinds.observe(&value);
            }
            let type_name = if !type_guessing {
                "String".to_string()
            } else if nulls == sampled {
                nullable("String")
            } else if nulls > 0 {
                nullable(&kinds.clickhouse_type())
            } else {
                kinds.clickhouse_type()
            };
            GuessedColumn {
                column: Column {
                    name: name.clone(),
                    type_: type_name,
                    jsonpath: None,
                    default_value: None,
                },
                present_pct: (sampled - nulls) as f64 / sampled.max(1) as f64,
            }
        })
        .collect()
}

/// The partition and sorting keys Tinybird guesses for a new data source (DS-T8, DS-T9):
/// partition by the year of the first Date or DateTime column (none without one); sort by
/// the date and time columns, then the numeric ones, then the strings, skipping Nullable,
/// Array, Map and JSON columns, at most four (`tuple()` when none qualifies).
pub fn guess_keys(columns: &[Column]) -> (String, String) {
    let kind = |type_name: &str| -> Option<u8> {
        let base = type_name
            .strip_prefix("LowCardinality(")
            .and_then(|t| t.strip_suffix(')'))
            .unwrap_or(type_name);
        if base.starts_with("Date") {
            Some(0)
        } else if base.starts_with("Int")
            || base.starts_with("UInt")
            || base.starts_with("Float")
            || base.starts_with("Decimal")
        {
            Some(1)
        } else if base == "String" {
            Some(2)
        } else {
            None
        }
    };
    let partition = columns
        .iter()
        .find(|c| kind(&c.type_) == Some(0))
        .map(|c| format!("toYear({})", c.name))
        .unwrap_or_default();
    let mut keyed: Vec<(u8, &str)> = columns
        .iter()
        .filter_map(|c| kind(&c.type_).map(|k| (k, c.name.as_str())))
        .collect();
    keyed.sort_by_key(|(k, _)| *k);
    let sorting: Vec<&str> = keyed.iter().take(4).map(|(_, name)| *name).collect();
    let sorting = if sorting.is_empty() {
        "tuple()".to_string()
    } else {
        sorting.join(", ")
    };
    (partition, sorting)
}

/// Events with unknown fields whose types are guessed per request (EV-9).
const NEW_COLUMNS_SAMPLE: usize = 1_000;

/// The object keys the columns read, as a tree: a node is `whole` when a column reads
/// everything below it (an array column reads its whole array).
#[derive(Default)]
struct KnownKeys {
    whole: bool,
    children: HashMap<String, KnownKeys>,
}

impl KnownKeys {
    fn of(paths: &[String]) -> KnownKeys {
        let mut root = KnownKeys::default();
        for path in paths {
            let mut node = &mut root;
            let steps = path.trim_start_matches('$').trim_start_matches('.');
            for step in steps.split('.').filter(|s| !s.is_empty()) {
                let (key, array) = match step.split_once("[:]") {
                    Some((key, _)) => (key, true),
                    None => (step, false),
                };
                node = node.children.entry(key.to_string()).or_default();
                if array {
                    break;
                }
            }
            node.whole = true;
        }
        root
    }

    /// Whether every field of `object` is read by some column. Allocates nothing: this runs
    /// on every event.
    fn cover(&self, object: &serde_json::Map<String, Value>) -> bool {
        self.whole
            || object.iter().all(
                |(key, value)| match (self.children.get(key.as_str()), value) {
                    (None, _) => false,
                    (Some(child), Value::Object(inner)) => child.cover(inner),
                    (Some(_), _) => true,
                },
            )
    }
}

/// The paths of `events` that no column reads, with their guessed types, as
/// `(jsonpath, type)` (EV-9). Events whose fields are all known are skipped cheaply; the
/// types are guessed on the first `NEW_COLUMNS_SAMPLE` events that have unknown fields.
pub fn new_columns<'a>(
    columns: &[Column],
    events: impl Iterator<Item = &'a Value>,
) -> Vec<(String, String)> {
    let known: Vec<String> = columns
        .iter()
        .map(|c| {
            let path = c
                .jsonpath
                .clone()
                .unwrap_or_else(|| format!("$.{}", c.name));
            path.chars().filter(|c| !c.is_whitespace()).collect()
        })
        .collect();
    let keys = KnownKeys::of(&known);
    let mut with_unknown_fields = events
        .filter(|event| matches!(event, Value::Object(fields) if !keys.cover(fields)))
        .take(NEW_COLUMNS_SAMPLE)
        .peekable();
    if with_unknown_fields.peek().is_none() {
        return Vec::new();
    }
    infer_columns(with_unknown_fields)
        .into_iter()
        .filter_map(|column| {
            let path = column.jsonpath?;
            (!known.iter().any(|k| reads(k, &path))).then_some((path, column.type_))
        })
        .collect()
}

/// Whether a column at `known` reads the values at `path` (itself or inside it).
fn reads(known: &str, path: &str) -> bool {
    let known = known.strip_suffix("[:]").unwrap_or(known);
    known == "$"
        || path
            .strip_prefix(known)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guesses_types_names_and_nullability() {
        let events = [
            serde_json::json!({"date": "2020-04-05 00:05:38", "n": 1, "price": 1.5, "extra": {"city": "Madrid"}, "tags": [1, 2]}),
            serde_json::json!({"date": "2020-04-05 00:06:00", "n": 70000, "price": 2, "extra": {"city": "Paris", "term": "x"}, "tags": []}),
        ];
        let columns = infer_columns(events.iter());
        let described: Vec<_> = columns
            .iter()
            .map(|c| {
                (
                    c.name.as_str(),
                    c.type_.as_str(),
                    c.jsonpath.as_deref().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            described,
            vec![
                ("date", "DateTime", "$.date"),
                ("extra_city", "String", "$.extra.city"),
                ("n", "Int32", "$.n"),
                ("price", "Float64", "$.price"),
                ("tags", "Array(Int16)", "$.tags[:]"),
                ("extra_term", "Nullable(String)", "$.extra.term"),
            ]
        );
    }

    fn describe(columns: &[Column]) -> Vec<(String, String, String)> {
        columns
            .iter()
            .map(|c| (c.name.clone(), c.type_.clone(), c.jsonpath.clone().unwrap()))
            .collect()
    }

    #[test]
    fn arrays_of_objects_become_one_array_per_leaf() {
        let events = [
            serde_json::json!({"records": [{"data": "a", "n": 1}, {"data": "b"}], "deep": [{"x": [1]}]}),
            serde_json::json!({"records": [{"data": "c", "n": 2}], "deep": [{"x": [2]}]}),
        ];
        let strings = |v: &[(&str, &str, &str)]| {
            v.iter()
                .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            describe(&infer_columns(events.iter())),
            strings(&[
                ("deep", "String", "$.deep"),
                ("records__data", "Array(String)", "$.records[:].data"),
                ("records__n", "Array(Nullable(Int16))", "$.records[:].n"),
            ])
        );
    }

    #[test]
    fn repetitive_strings_are_low_cardinality() {
        let events: Vec<_> = (0..200)
            .map(|i| {
                let event = ["view", "click"][i % 2];
                serde_json::json!({"event": event, "id": format!("u{i}")})
            })
            .collect();
        let mut events_with_gap = events.clone();
        events_with_gap.push(serde_json::json!({"id": "last"}));
        let types: Vec<_> = infer_columns(events_with_gap.iter())
            .into_iter()
            .map(|c| c.type_)
            .collect();
        assert_eq!(types, vec!["String", "LowCardinality(Nullable(String))"]);
    }

    #[test]
    fn new_columns_are_the_paths_no_column_reads() {
        let columns =
            infer_columns([serde_json::json!({"a": 1, "o": {"b": "x"}, "t": [1]})].iter());
        let later = [serde_json::json!({"a": 1, "o": {"b": "x", "c": 2.5}, "t": [2], "z": "new"})];
        assert_eq!(
            new_columns(&columns, later.iter()),
            vec![
                ("$.o.c".to_string(), "Float64".to_string()),
                ("$.z".to_string(), "String".to_string()),
            ]
        );
        let whole = vec![Column {
            name: "doc".into(),
            type_: "String".into(),
            jsonpath: Some("$".into()),
            default_value: None,
        }];
        assert!(new_columns(&whole, later.iter()).is_empty());
    }
}
