//! Schema guessing for events (DS-T*), deterministic: the first 10,000 events are sampled;
//! objects are flattened (names joined by `_`), arrays of scalars become `Array(T)`, other
//! arrays are kept as raw JSON text; a field missing or null in part of the sample is
//! Nullable; columns are sorted by path with Nullable columns last.

use std::collections::BTreeMap;

use colibri_guest::types::Column;
use serde_json::Value;

const SAMPLE_SIZE: usize = 10_000;

/// What the sample showed of one path.
#[derive(Default)]
struct Observed {
    present: usize,
    nulls: usize,
    kinds: Kinds,
    raw_json: bool,
    array: Option<Box<Kinds>>,
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
            Value::Array(items) => {
                let entry = paths.entry(path).or_default();
                entry.present += 1;
                if items.iter().all(|i| !i.is_array() && !i.is_object()) {
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
                if other.is_null() {
                    entry.nulls += 1;
                }
                entry.kinds.observe(other);
            }
        }
    }
}

fn column_name(path: &str) -> String {
    path.trim_start_matches("$.").replace('.', "_")
}

/// The guessed columns for a sample of events.
pub fn infer_columns<'a>(events: impl Iterator<Item = &'a Value>) -> Vec<Column> {
    let mut paths = BTreeMap::new();
    let mut sampled = 0;
    for event in events.take(SAMPLE_SIZE) {
        if let Value::Object(object) = event {
            observe(&mut paths, "$", object);
            sampled += 1;
        }
    }
    let mut columns: Vec<(bool, Column)> = Vec::new();
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
            (format!("Array({element})"), format!("{path}[:]"))
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
            format!("Nullable({type_name})")
        } else {
            type_name
        };
        columns.push((
            nullable,
            Column {
                name,
                type_: type_name,
                jsonpath: Some(jsonpath),
                default_value: None,
            },
        ));
    }
    columns.sort_by_key(|(nullable, _)| *nullable);
    columns.into_iter().map(|(_, column)| column).collect()
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
}
