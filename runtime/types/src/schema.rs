//! The schema syntax of data sources (DS-S1): comma-separated column definitions, each
//! ``name Type [`json:<path>`] [DEFAULT <expr>] [CODEC(<codecs>)]``, names optionally in
//! backticks. Commas inside parentheses, quotes and backticks (`Decimal(10, 2)`,
//! `DEFAULT 'a,b'`) do not split columns. Types are checked and printed in their canonical
//! ClickHouse spelling.

use crate::ChType;

/// One column definition of a schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnSpec {
    pub name: String,
    /// The canonical ClickHouse type name.
    pub type_name: String,
    pub jsonpath: Option<String>,
    pub default_value: Option<String>,
    pub codec: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct SchemaError(pub String);

/// Parses a schema; the error names the column definition that is wrong and why.
pub fn parse_schema(text: &str) -> Result<Vec<ColumnSpec>, SchemaError> {
    let definitions: Vec<&str> = split_top_level(text, ',')
        .into_iter()
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .collect();
    if definitions.is_empty() {
        return Err(SchemaError("The schema has no columns".into()));
    }
    definitions.into_iter().map(parse_column).collect()
}

fn parse_column(definition: &str) -> Result<ColumnSpec, SchemaError> {
    let invalid =
        |why: &str| SchemaError(format!("Invalid column definition `{definition}`: {why}"));
    let (name, rest) = match definition.strip_prefix('`') {
        Some(quoted) => {
            let end = quoted
                .find('`')
                .ok_or_else(|| invalid("unclosed backtick"))?;
            (&quoted[..end], &quoted[end + 1..])
        }
        None => definition
            .split_once(char::is_whitespace)
            .ok_or_else(|| invalid("a column needs a name and a type"))?,
    };
    let rest = rest.trim_start();
    let type_end = top_level_position(rest, |c| c.is_whitespace()).unwrap_or(rest.len());
    let type_text = &rest[..type_end];
    if name.is_empty() || type_text.is_empty() {
        return Err(invalid("a column needs a name and a type"));
    }
    let column_type: ChType = type_text
        .parse()
        .map_err(|e: crate::TypeError| invalid(&e.to_string()))?;
    let mut column = ColumnSpec {
        name: name.to_string(),
        type_name: column_type.to_string(),
        jsonpath: None,
        default_value: None,
        codec: None,
    };
    let mut rest = rest[type_end..].trim_start();
    while !rest.is_empty() {
        if let Some(quoted) = rest.strip_prefix('`') {
            let end = quoted
                .find('`')
                .ok_or_else(|| invalid("unclosed backtick"))?;
            let path = quoted[..end]
                .trim()
                .strip_prefix("json:")
                .ok_or_else(|| invalid("a backticked clause must be `json:<path>`"))?;
            column.jsonpath = Some(path.split_whitespace().collect());
            rest = quoted[end + 1..].trim_start();
        } else if let Some(after) = strip_keyword(rest, "DEFAULT") {
            let end = top_level_keyword(after, "CODEC").unwrap_or(after.len());
            let expression = after[..end].trim();
            if expression.is_empty() {
                return Err(invalid("DEFAULT needs an expression"));
            }
            column.default_value = Some(expression.to_string());
            rest = after[end..].trim_start();
        } else if let Some(after) = strip_keyword(rest, "CODEC") {
            let after = after.trim_start();
            let end = top_level_position(after, |c| c == ')')
                .filter(|_| after.starts_with('('))
                .ok_or_else(|| invalid("CODEC needs a parenthesised list"))?;
            column.codec = Some(after[1..end].trim().to_string());
            rest = after[end + 1..].trim_start();
        } else {
            return Err(invalid(&format!("unexpected `{rest}`")));
        }
    }
    Ok(column)
}

/// `text` after a leading keyword (any case) followed by a space or `(`.
fn strip_keyword<'a>(text: &'a str, keyword: &str) -> Option<&'a str> {
    let head = text.get(..keyword.len())?;
    let after = &text[keyword.len()..];
    (head.eq_ignore_ascii_case(keyword)
        && after.starts_with(|c: char| c.is_whitespace() || c == '('))
    .then_some(after)
}

/// Where `keyword` starts as a word outside parentheses and quotes.
fn top_level_keyword(text: &str, keyword: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(found) = top_level_position(&text[from..], |c| c.is_whitespace()) {
        let word = text[from + found..].trim_start();
        let at = text.len() - word.len();
        if strip_keyword(word, keyword).is_some() {
            return Some(at);
        }
        from = at;
    }
    None
}

/// The first character outside parentheses, quotes and backticks for which `wanted` holds.
/// A closing parenthesis is found at depth 0 too, so `(a, b)` ends at its `)`.
fn top_level_position(text: &str, wanted: impl Fn(char) -> bool) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' | '`' => quote = Some(c),
            '(' => depth += 1,
            ')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 && wanted(c) {
                    return Some(i);
                }
            }
            _ if depth == 0 && wanted(c) => return Some(i),
            _ => {}
        }
    }
    None
}

fn split_top_level(text: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut rest = text;
    while let Some(at) = top_level_position(rest, |c| c == separator) {
        parts.push(&rest[..at]);
        rest = &rest[at + separator.len_utf8()..];
    }
    parts.push(rest);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_with_paths_defaults_and_codecs() {
        let columns = parse_schema(
            "`timestamp` DateTime `json:$.timestamp`, price Decimal(10, 2) `json: $.price` DEFAULT 0,\n\
             name String `json:$.a.b` DEFAULT 'x, y' CODEC(ZSTD(1)), tags Array(String) `json:$.tags[:]`",
        )
        .unwrap();
        assert_eq!(columns.len(), 4);
        assert_eq!(columns[0].name, "timestamp");
        assert_eq!(columns[0].jsonpath.as_deref(), Some("$.timestamp"));
        assert_eq!(columns[1].type_name, "Decimal(10, 2)");
        assert_eq!(columns[1].jsonpath.as_deref(), Some("$.price"));
        assert_eq!(columns[1].default_value.as_deref(), Some("0"));
        assert_eq!(columns[2].default_value.as_deref(), Some("'x, y'"));
        assert_eq!(columns[2].codec.as_deref(), Some("ZSTD(1)"));
        assert_eq!(columns[3].jsonpath.as_deref(), Some("$.tags[:]"));
    }

    #[test]
    fn plain_columns_without_paths() {
        let columns = parse_schema("a Int32, b Nullable(String)").unwrap();
        assert_eq!(columns[1].type_name, "Nullable(String)");
        assert_eq!(columns[1].jsonpath, None);
    }

    #[test]
    fn errors_name_the_column() {
        let error = parse_schema("a Int32, b Strin").unwrap_err();
        assert!(error.0.contains("`b Strin`"), "{error}");
        assert!(parse_schema("a").is_err());
        assert!(parse_schema(" , ").is_err());
        assert!(
            parse_schema("a Int32 garbage")
                .unwrap_err()
                .0
                .contains("garbage")
        );
    }
}
