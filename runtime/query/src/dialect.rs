//! ClickHouse SQL in: parse with the ClickHouse dialect, accept only read statements, take
//! the `FORMAT` and `SETTINGS` clauses off, and list the tables the statement reads.

use datafusion::sql::parser::{DFParser, Statement};
use datafusion::sql::resolve::resolve_table_references;
use datafusion::sql::sqlparser::ast::{FormatClause, Statement as SqlStatement};
use datafusion::sql::sqlparser::dialect::ClickHouseDialect;

use crate::{MAX_SQL_BYTES, QueryError, Result, codes};

/// A parsed read statement, ready to plan.
#[derive(Debug)]
pub struct ReadStatement {
    pub statement: Statement,
    /// Output format named by the `FORMAT` clause.
    pub format: Option<String>,
    /// Names of the tables read (CTE names excluded), as written.
    pub tables: Vec<String>,
}

pub fn parse(sql: &str) -> Result<ReadStatement> {
    if sql.len() > MAX_SQL_BYTES {
        return Err(QueryError::bad_request(
            codes::QUERY_IS_TOO_LARGE,
            format!(
                "The query is {} bytes long; the maximum is {MAX_SQL_BYTES}",
                sql.len()
            ),
        ));
    }
    if sql.trim().trim_end_matches(';').trim().is_empty() {
        return Err(QueryError::bad_request(codes::EMPTY_QUERY, "Empty query"));
    }
    let (sql, trailing_format) = split_trailing_format(sql);
    let mut statements = DFParser::parse_sql_with_dialect(sql, &ClickHouseDialect {})
        .map_err(|e| QueryError::bad_request(codes::SYNTAX_ERROR, format!("Syntax error: {e}")))?;
    if statements.len() != 1 {
        return Err(QueryError::bad_request(
            codes::SYNTAX_ERROR,
            "Syntax error: exactly one statement is allowed",
        ));
    }
    let mut statement = statements.pop_front().expect("one statement");
    let format = match &mut statement {
        Statement::Statement(inner) => match inner.as_mut() {
            SqlStatement::Query(query) => {
                query.settings = None;
                match query.format_clause.take() {
                    Some(FormatClause::Identifier(ident)) => Some(ident.value),
                    Some(FormatClause::Null) => Some("Null".to_string()),
                    None => trailing_format,
                }
            }
            other => return Err(read_only(other)),
        },
        _ => {
            return Err(QueryError::bad_request(
                codes::READONLY,
                "Only SELECT queries are allowed",
            ));
        }
    };
    let (tables, _ctes) = resolve_table_references(&statement, false)
        .map_err(|e| QueryError::bad_request(codes::SYNTAX_ERROR, e.to_string()))?;
    Ok(ReadStatement {
        statement,
        format,
        tables: tables
            .iter()
            .map(|t| t.to_string())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect(),
    })
}

/// Takes a final `FORMAT <name>` off the text. sqlparser reads `SELECT 1 FORMAT X` as an
/// alias followed by garbage, while ClickHouse reads a trailing FORMAT as the output format.
fn split_trailing_format(sql: &str) -> (&str, Option<String>) {
    let trimmed = sql.trim_end().trim_end_matches(';').trim_end();
    let name_start = trimmed
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .map(|i| i + 1)
        .unwrap_or(0);
    let name = &trimmed[name_start..];
    let before = trimmed[..name_start].trim_end();
    let keyword_start = before.len().saturating_sub("FORMAT".len());
    let is_format = !name.is_empty()
        && before.len() > keyword_start
        && before[keyword_start..].eq_ignore_ascii_case("FORMAT")
        && before[..keyword_start].ends_with(char::is_whitespace)
        && trimmed[name_start - 1..].starts_with(char::is_whitespace);
    if is_format {
        (&before[..keyword_start], Some(name.to_string()))
    } else {
        (sql, None)
    }
}

fn read_only(statement: &SqlStatement) -> QueryError {
    let text = statement.to_string();
    let verb = text.split_whitespace().next().unwrap_or("This statement");
    QueryError::bad_request(
        codes::READONLY,
        format!("{verb} is not allowed: only SELECT queries can be run"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_the_format_clause_off() {
        let statement = parse("SELECT count() FROM events FORMAT JSONEachRow").unwrap();
        assert_eq!(statement.format.as_deref(), Some("JSONEachRow"));
        assert_eq!(statement.tables, vec!["events".to_string()]);
    }

    #[test]
    fn reads_a_trailing_format_after_a_bare_expression() {
        let statement = parse("SELECT 1 FORMAT CSV;").unwrap();
        assert_eq!(statement.format.as_deref(), Some("CSV"));
        let statement = parse("SELECT format FROM t").unwrap();
        assert_eq!(statement.format, None);
    }

    #[test]
    fn rejects_writes() {
        let error = parse("DROP TABLE events").unwrap_err();
        assert_eq!(error.code, codes::READONLY);
        let error = parse("INSERT INTO events VALUES (1)").unwrap_err();
        assert_eq!(error.code, codes::READONLY);
    }

    #[test]
    fn reports_syntax_errors() {
        let error = parse("SELEC 1").unwrap_err();
        assert_eq!(error.code, codes::SYNTAX_ERROR);
    }

    #[test]
    fn does_not_list_cte_names_as_tables() {
        let statement = parse("WITH t AS (SELECT 1 AS x) SELECT * FROM t, events").unwrap();
        assert_eq!(statement.tables, vec!["events".to_string()]);
    }
}
