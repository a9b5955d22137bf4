//! The JSONPath subset of Tinybird schemas (DS-J2): `$`, member access to any depth, and
//! `[:]` over one array level.

use std::borrow::Cow;

use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Member(String),
    EachElement,
}

/// Parses `$.a.b[:].c` (whitespace after `$` tolerated).
pub fn parse(path: &str) -> Vec<Step> {
    let path: String = path.chars().filter(|c| !c.is_whitespace()).collect();
    let rest = path.strip_prefix('$').unwrap_or(&path);
    let mut steps = Vec::new();
    for part in rest.split('.').filter(|p| !p.is_empty()) {
        let (member, each) = match part.strip_suffix("[:]") {
            Some(member) => (member, true),
            None => (part, false),
        };
        if !member.is_empty() {
            steps.push(Step::Member(member.to_string()));
        }
        if each {
            steps.push(Step::EachElement);
        }
    }
    steps
}

/// The value at `steps` in `value`; `None` when a member is missing. After `[:]` the rest of
/// the path is applied to each element and the results form an array.
pub fn extract<'a>(value: &'a Value, steps: &[Step]) -> Option<Cow<'a, Value>> {
    let Some((first, rest)) = steps.split_first() else {
        return Some(Cow::Borrowed(value));
    };
    match first {
        Step::Member(name) => extract(value.as_object()?.get(name)?, rest),
        Step::EachElement => {
            let items = value.as_array()?;
            if rest.is_empty() {
                return Some(Cow::Borrowed(value));
            }
            Some(Cow::Owned(Value::Array(
                items
                    .iter()
                    .map(|item| {
                        extract(item, rest)
                            .map(Cow::into_owned)
                            .unwrap_or(Value::Null)
                    })
                    .collect(),
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extracts_members_and_arrays() {
        let event = serde_json::json!({"a": {"b": 1}, "r": [{"d": 1}, {"d": 2}]});
        assert_eq!(
            extract(&event, &parse("$.a.b")).unwrap().as_ref(),
            &serde_json::json!(1)
        );
        assert_eq!(
            extract(&event, &parse("$.r[:].d")).unwrap().as_ref(),
            &serde_json::json!([1, 2])
        );
        assert_eq!(extract(&event, &parse("$")).unwrap().as_ref(), &event);
        assert!(extract(&event, &parse("$.missing")).is_none());
    }
}
