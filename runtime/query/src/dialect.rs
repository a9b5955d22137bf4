//! ClickHouse SQL in: parse with the ClickHouse dialect, accept only read statements, take
//! the `FORMAT` and `SETTINGS` clauses off, inline scalar `WITH <expression> AS <name>` items,
//! spell ClickHouse-only syntax (`IN [..]`, `USING col`, `t.1`) as sqlparser reads it, mark the
//! tables read with `FINAL`, and list the tables the statement reads.

use std::borrow::Cow;
use std::ops::ControlFlow;

use datafusion::common::TableReference;
use datafusion::sql::parser::{DFParser, Statement};
use datafusion::sql::resolve::resolve_table_references;
use datafusion::sql::sqlparser::ast::{
    Expr, FormatClause, LimitClause, Statement as SqlStatement, TableFactor, Value, Visit, Visitor,
};
use datafusion::sql::sqlparser::dialect::ClickHouseDialect;
use datafusion::sql::sqlparser::keywords::Keyword;
use datafusion::sql::sqlparser::tokenizer::{Location, Token, TokenWithSpan, Tokenizer, Word};

use crate::{MAX_SQL_BYTES, QueryError, Result, codes};

/// A parsed read statement, ready to plan.
#[derive(Debug)]
pub struct ReadStatement {
    pub statement: Statement,
    /// Output format named by the `FORMAT` clause.
    pub format: Option<String>,
    /// The tables read (CTE names excluded).
    pub tables: Vec<TableRead>,
}

/// A table a statement reads.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TableRead {
    /// The name as written (`events`, `tinybird.datasources_ops_log`).
    pub name: String,
    /// True when read with `FINAL`: rows folded by the table's engine.
    pub final_read: bool,
    /// The reference the planner looks the table up by.
    pub reference: TableReference,
}

/// The suffix of the table name `FROM t FINAL` is rewritten to (`` `t FINAL` AS t ``).
const FINAL_SUFFIX: &str = " FINAL";

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
    let inlined = inline_scalar_with(sql)?;
    let spelt = standard_spellings(&inlined)?;
    let (limited, limit_after_by) = limits_around_limit_by(&spelt)?;
    let sql = mark_final_reads(&limited)?;
    let mut statements = DFParser::parse_sql_with_dialect(&sql, &ClickHouseDialect {})
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
                crate::rewrite::rewrite(query.as_mut());
                if let Some(limit) = limit_after_by {
                    // `LIMIT n BY k` became a filtered window; the last LIMIT applies to it.
                    query.limit_clause = Some(LimitClause::LimitOffset {
                        limit: Some(Expr::value(Value::Number(limit, false))),
                        offset: None,
                        limit_by: Vec::new(),
                    });
                }
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
    let functions = table_functions(&statement);
    let tables = tables
        .into_iter()
        .filter(|reference| !functions.contains(&reference.to_string()));
    Ok(ReadStatement {
        statement,
        format,
        tables: tables
            .map(|reference| {
                let written = reference.to_string();
                let (name, final_read) = match written.strip_suffix(FINAL_SUFFIX) {
                    Some(name) => (name.to_string(), true),
                    None => (written, false),
                };
                TableRead {
                    name,
                    final_read,
                    reference,
                }
            })
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect(),
    })
}

/// The names of the table functions a statement calls (`FROM range(0, 10)`): relations with
/// arguments, which the planner resolves itself.
fn table_functions(statement: &Statement) -> Vec<String> {
    struct Calls(Vec<String>);
    impl Visitor for Calls {
        type Break = ();
        fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<()> {
            if let TableFactor::Table {
                name,
                args: Some(_),
                ..
            } = factor
            {
                self.0.push(name.to_string());
            }
            ControlFlow::Continue(())
        }
    }
    let mut calls = Calls(Vec::new());
    if let Statement::Statement(inner) = statement {
        let _ = inner.visit(&mut calls);
    }
    calls.0
}

/// Rewrites ClickHouse's `FROM [db.]t [[AS] alias] FINAL`, which sqlparser does not read, to
/// `` FROM `[db.]t FINAL` [AS] alias `` (the alias defaulting to `t`), a name `parse` reports
/// as a `FINAL` read of `[db.]t`. Text other than the rewritten tokens is kept byte for byte.
fn mark_final_reads(sql: &str) -> Result<Cow<'_, str>> {
    if !sql.to_ascii_uppercase().contains("FINAL") {
        return Ok(Cow::Borrowed(sql));
    }
    let lexed = Lexed::new(sql)?;
    let tokens = &lexed.tokens;
    let word = |k: usize| lexed.word(k);
    let is_keyword = |k: usize, keyword: Keyword| lexed.is_keyword(k, keyword);
    // Start of the dotted name ending at significant token `end`, when FROM, JOIN or a comma
    // comes before it.
    let table_start = |end: usize| -> Option<usize> {
        word(end)?;
        let mut start = end;
        while start >= 2 && tokens[start - 1].token == Token::Period && word(start - 2).is_some() {
            start -= 2;
        }
        let before = start.checked_sub(1)?;
        let opens = is_keyword(before, Keyword::FROM)
            || is_keyword(before, Keyword::JOIN)
            || tokens[before].token == Token::Comma;
        opens.then_some(start)
    };
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    for k in 1..tokens.len() {
        if !is_keyword(k, Keyword::FINAL) {
            continue;
        }
        let (start, end, alias) = if let Some(start) = table_start(k - 1) {
            (start, k - 1, None)
        } else if k >= 2 && word(k - 1).is_some() && !is_keyword(k - 1, Keyword::AS) {
            let end = if k >= 3 && is_keyword(k - 2, Keyword::AS) {
                k - 3
            } else {
                k - 2
            };
            match table_start(end) {
                Some(start) => (start, end, Some(())),
                None => continue,
            }
        } else {
            continue;
        };
        let name = (start..=end)
            .step_by(2)
            .map(|i| word(i).expect("name parts are words").value.clone())
            .collect::<Vec<_>>();
        let mut marked = format!("`{}{FINAL_SUFFIX}`", name.join("."));
        if alias.is_none() {
            marked.push_str(&format!(" AS `{}`", name.last().expect("a name")));
        }
        edits.push((lexed.start(start), lexed.end(end), marked));
        edits.push((lexed.start(k), lexed.end(k), String::new()));
    }
    Ok(with_edits(sql, edits))
}

/// Inlines ClickHouse's scalar `WITH <expression> AS <name>` items, which sqlparser does not
/// read: each is removed from the statement's leading `WITH` list and every later use of
/// `name` (a bare word, not a column of a table, a function or an alias being defined) becomes
/// `(<expression>)`. Common table expressions (`WITH name AS (SELECT ...)`) stay.
fn inline_scalar_with(sql: &str) -> Result<Cow<'_, str>> {
    let trimmed = sql.trim_start();
    if !trimmed
        .get(..4)
        .is_some_and(|word| word.eq_ignore_ascii_case("WITH"))
    {
        return Ok(Cow::Borrowed(sql));
    }
    let lexed = Lexed::new(sql)?;
    let tokens = &lexed.tokens;
    // The items of the WITH list: spans of significant tokens, split at top-level commas,
    // up to the SELECT that starts the body.
    let mut items: Vec<(usize, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut item_start = 1;
    let mut body = None;
    for (k, token) in tokens.iter().enumerate().skip(1) {
        match &token.token {
            Token::LParen | Token::LBracket => depth += 1,
            Token::RParen | Token::RBracket => depth = depth.saturating_sub(1),
            Token::Comma if depth == 0 => {
                items.push((item_start, k - 1));
                item_start = k + 1;
            }
            _ if depth == 0 && lexed.is_keyword(k, Keyword::SELECT) => {
                items.push((item_start, k - 1));
                body = Some(k);
                break;
            }
            _ => {}
        }
    }
    let Some(body) = body else {
        return Ok(Cow::Borrowed(sql));
    };
    let mut scalars: Vec<(String, String)> = Vec::new();
    let mut kept: Vec<&str> = Vec::new();
    for &(first, last) in &items {
        let is_scalar = last >= first + 2
            && lexed.is_keyword(last - 1, Keyword::AS)
            && matches!(tokens[last].token, Token::Word(_));
        match (&tokens[last].token, is_scalar) {
            (Token::Word(name), true) => scalars.push((
                name.value.clone(),
                sql[lexed.start(first)..lexed.end(last - 2)].to_string(),
            )),
            _ => kept.push(&sql[lexed.start(first)..lexed.end(last)]),
        }
    }
    if scalars.is_empty() {
        return Ok(Cow::Borrowed(sql));
    }
    let mut rewritten = String::with_capacity(sql.len() * 2);
    if !kept.is_empty() {
        rewritten.push_str("WITH ");
        rewritten.push_str(&kept.join(", "));
        rewritten.push(' ');
    }
    let mut copied = lexed.start(body);
    for k in body..tokens.len() {
        let Token::Word(word) = &tokens[k].token else {
            continue;
        };
        let Some((_, expression)) = scalars.iter().find(|(name, _)| *name == word.value) else {
            continue;
        };
        let qualified = k > 0 && tokens[k - 1].token == Token::Period;
        let called = tokens
            .get(k + 1)
            .is_some_and(|next| next.token == Token::LParen);
        let defined = lexed.is_keyword(k - 1, Keyword::AS);
        if qualified || called || defined {
            continue;
        }
        rewritten.push_str(&sql[copied..lexed.start(k)]);
        rewritten.push('(');
        rewritten.push_str(expression);
        rewritten.push(')');
        copied = lexed.end(k);
    }
    rewritten.push_str(&sql[copied..]);
    Ok(Cow::Owned(rewritten))
}

/// Spells ClickHouse-only syntax the way sqlparser reads it: `x IN [1, 2]` as `x IN (1, 2)`,
/// `JOIN t USING id` as `USING (id)`, and tuple element access `t.1` (`argMax((a, b), ts).2`)
/// as `tupleElement(t, 1)`.
fn standard_spellings(sql: &str) -> Result<Cow<'_, str>> {
    if !sql.contains('[') && !sql.contains('.') && !sql.to_ascii_uppercase().contains("USING") {
        return Ok(Cow::Borrowed(sql));
    }
    let lexed = Lexed::new(sql)?;
    let tokens = &lexed.tokens;
    // The token closing the bracket or parenthesis opened at `open`.
    let closing = |open: usize| -> Option<usize> {
        let mut depth = 0usize;
        for (k, token) in tokens.iter().enumerate().skip(open) {
            match token.token {
                Token::LParen | Token::LBracket => depth += 1,
                Token::RParen | Token::RBracket => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(k);
                    }
                }
                _ => {}
            }
        }
        None
    };
    // The first token of the operand ending at `last`: a name (`t.col`), a parenthesised
    // expression or tuple, or a call (`argMax(...)`, its name right before its parenthesis).
    let operand_start = |last: usize| -> Option<usize> {
        let mut first = match tokens[last].token {
            Token::RParen => {
                let mut depth = 0usize;
                let mut k = last;
                loop {
                    match tokens[k].token {
                        Token::RParen => depth += 1,
                        Token::LParen => {
                            depth -= 1;
                            if depth == 0 {
                                break k;
                            }
                        }
                        _ => {}
                    }
                    k = k.checked_sub(1)?;
                }
            }
            Token::Word(_) => last,
            _ => return None,
        };
        if tokens[first].token == Token::LParen
            && first > 0
            && matches!(tokens[first - 1].token, Token::Word(_))
            && tokens[first - 1].span.end == tokens[first].span.start
        {
            first -= 1;
        }
        while first >= 2
            && tokens[first - 1].token == Token::Period
            && matches!(tokens[first - 2].token, Token::Word(_))
        {
            first -= 2;
        }
        Some(first)
    };
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    for k in 1..tokens.len() {
        match &tokens[k].token {
            Token::LBracket if lexed.is_keyword(k - 1, Keyword::IN) => {
                if let Some(close) = closing(k) {
                    edits.push((lexed.start(k), lexed.end(k), "(".to_string()));
                    edits.push((lexed.start(close), lexed.end(close), ")".to_string()));
                }
            }
            Token::Word(_)
                if lexed.is_keyword(k - 1, Keyword::USING)
                    && tokens.get(k + 1).is_none_or(|t| t.token != Token::Period) =>
            {
                edits.push((
                    lexed.start(k),
                    lexed.end(k),
                    format!("({})", &sql[lexed.start(k)..lexed.end(k)]),
                ));
            }
            Token::Number(number, _)
                if number.starts_with('.') && number[1..].bytes().all(|b| b.is_ascii_digit()) =>
            {
                let Some(first) = operand_start(k - 1) else {
                    continue;
                };
                edits.push((
                    lexed.start(first),
                    lexed.start(first),
                    "tupleElement(".to_string(),
                ));
                edits.push((lexed.start(k), lexed.end(k), format!(", {})", &number[1..])));
            }
            _ => {}
        }
    }
    edits.sort_by_key(|(at, _, _)| *at);
    Ok(with_edits(sql, edits))
}

/// ClickHouse's limits around `LIMIT n BY k` that sqlparser does not read: `LIMIT m, n BY k`
/// becomes `OFFSET m LIMIT n BY k`, and a last `LIMIT x` after the BY list (the first `x`
/// rows of the whole result) is taken off the text and returned, to apply once `LIMIT n BY k`
/// has been rewritten.
fn limits_around_limit_by(sql: &str) -> Result<(Cow<'_, str>, Option<String>)> {
    if !sql.to_ascii_uppercase().contains("LIMIT") {
        return Ok((Cow::Borrowed(sql), None));
    }
    let lexed = Lexed::new(sql)?;
    let tokens = &lexed.tokens;
    let number = |k: usize| match tokens.get(k).map(|t| &t.token) {
        Some(Token::Number(n, _)) => Some(n.clone()),
        _ => None,
    };
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    let mut last_limit = None;
    let mut depth = 0usize;
    let mut limit_by_seen = false;
    for k in 0..tokens.len() {
        match tokens[k].token {
            Token::LParen => depth += 1,
            Token::RParen => depth = depth.saturating_sub(1),
            _ if depth > 0 || !lexed.is_keyword(k, Keyword::LIMIT) => {}
            _ if limit_by_seen && last_limit.is_none() => {
                if let Some(limit) = number(k + 1) {
                    edits.push((lexed.start(k), lexed.end(k + 1), String::new()));
                    last_limit = Some(limit);
                }
            }
            _ => {
                let by_at = if tokens.get(k + 2).is_some_and(|t| t.token == Token::Comma) {
                    k + 4
                } else {
                    k + 2
                };
                limit_by_seen = lexed.is_keyword(by_at, Keyword::BY);
                if let (true, Some(offset), Some(limit)) = (
                    by_at == k + 4 && limit_by_seen,
                    number(k + 1),
                    number(k + 3),
                ) {
                    edits.push((
                        lexed.start(k),
                        lexed.end(k + 3),
                        format!("OFFSET {offset} LIMIT {limit}"),
                    ));
                }
            }
        }
    }
    Ok((with_edits(sql, edits), last_limit))
}

/// A statement's significant tokens, with the byte offsets of their spans in its text.
struct Lexed<'a> {
    tokens: Vec<TokenWithSpan>,
    offsets: ByteOffsets<'a>,
}

impl<'a> Lexed<'a> {
    fn new(sql: &'a str) -> Result<Self> {
        Ok(Lexed {
            tokens: significant_tokens(sql)?,
            offsets: ByteOffsets::new(sql),
        })
    }

    fn word(&self, k: usize) -> Option<&Word> {
        match self.tokens.get(k).map(|t| &t.token) {
            Some(Token::Word(word)) => Some(word),
            _ => None,
        }
    }

    /// Whether token `k` is the unquoted keyword `keyword`.
    fn is_keyword(&self, k: usize, keyword: Keyword) -> bool {
        self.word(k)
            .is_some_and(|w| w.quote_style.is_none() && w.keyword == keyword)
    }

    /// The byte offset where token `k` starts.
    fn start(&self, k: usize) -> usize {
        self.offsets.of(self.tokens[k].span.start)
    }

    /// The byte offset just past token `k`.
    fn end(&self, k: usize) -> usize {
        self.offsets.of(self.tokens[k].span.end)
    }
}

/// `sql` with each byte range `(from, to)` of `edits` (in order, not overlapping) replaced by
/// its text; `sql` itself when there are none.
fn with_edits(sql: &str, edits: Vec<(usize, usize, String)>) -> Cow<'_, str> {
    if edits.is_empty() {
        return Cow::Borrowed(sql);
    }
    let mut rewritten = String::with_capacity(sql.len() + 32);
    let mut copied = 0;
    for (from, to, text) in edits {
        rewritten.push_str(&sql[copied..from]);
        rewritten.push_str(&text);
        copied = to;
    }
    rewritten.push_str(&sql[copied..]);
    Cow::Owned(rewritten)
}

/// The tokens of a statement, whitespace and comments left out.
fn significant_tokens(sql: &str) -> Result<Vec<TokenWithSpan>> {
    let mut tokens = Tokenizer::new(&ClickHouseDialect {}, sql)
        .tokenize_with_location()
        .map_err(|e| QueryError::bad_request(codes::SYNTAX_ERROR, format!("Syntax error: {e}")))?;
    tokens.retain(|t| !matches!(t.token, Token::Whitespace(_)));
    Ok(tokens)
}

/// Byte offsets of the tokenizer's (line, column) locations in a text.
struct ByteOffsets<'a> {
    text: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> ByteOffsets<'a> {
    fn new(text: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        ByteOffsets { text, line_starts }
    }

    fn of(&self, location: Location) -> usize {
        let line_start = self.line_starts[(location.line as usize).saturating_sub(1)];
        self.text[line_start..]
            .char_indices()
            .nth((location.column as usize).saturating_sub(1))
            .map_or(self.text.len(), |(i, _)| line_start + i)
    }
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
        assert_eq!(names(&statement), vec!["events"]);
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
        assert_eq!(names(&statement), vec!["events"]);
    }

    fn names(statement: &ReadStatement) -> Vec<&str> {
        statement.tables.iter().map(|t| t.name.as_str()).collect()
    }

    #[test]
    fn inlines_scalar_with_items_and_keeps_common_table_expressions() {
        let inlined = inline_scalar_with(
            "WITH 300 AS threshold, (SELECT max(ts) FROM e) AS latest, recent AS (SELECT * FROM e) \
             SELECT countIf(d > threshold) AS threshold_hits, latest FROM recent WHERE e.threshold = 1",
        )
        .unwrap();
        assert_eq!(
            inlined,
            "WITH recent AS (SELECT * FROM e) SELECT countIf(d > (300)) AS threshold_hits, \
             ((SELECT max(ts) FROM e)) FROM recent WHERE e.threshold = 1"
        );
        let plain = "WITH t AS (SELECT 1 AS x) SELECT x FROM t";
        assert_eq!(inline_scalar_with(plain).unwrap(), plain);
    }

    #[test]
    fn spells_clickhouse_only_syntax_as_sqlparser_reads_it() {
        let cases = [
            ("SELECT 1 IN [1, 2]", "SELECT 1 IN (1, 2)"),
            (
                "SELECT a FROM t JOIN u USING id",
                "SELECT a FROM t JOIN u USING (id)",
            ),
            (
                "SELECT argMax((a, b), ts).2 FROM t",
                "SELECT tupleElement(argMax((a, b), ts), 2) FROM t",
            ),
            ("SELECT (1, 'a').1", "SELECT tupleElement((1, 'a'), 1)"),
            ("SELECT t.x.1 FROM t", "SELECT tupleElement(t.x, 1) FROM t"),
            ("SELECT 0.5, x.y FROM x", "SELECT 0.5, x.y FROM x"),
        ];
        for (clickhouse, standard) in cases {
            assert_eq!(standard_spellings(clickhouse).unwrap(), standard);
        }
    }

    #[test]
    fn reads_limits_around_limit_by() {
        let (sql, limit) = limits_around_limit_by(
            "SELECT a, b FROM t ORDER BY a, b LIMIT 1 BY a LIMIT 2 FORMAT JSON",
        )
        .unwrap();
        assert_eq!(
            sql,
            "SELECT a, b FROM t ORDER BY a, b LIMIT 1 BY a  FORMAT JSON"
        );
        assert_eq!(limit.as_deref(), Some("2"));
        let (sql, limit) = limits_around_limit_by("SELECT a FROM t LIMIT 1, 2 BY a").unwrap();
        assert_eq!(sql, "SELECT a FROM t OFFSET 1 LIMIT 2 BY a");
        assert_eq!(limit, None);
        let (sql, _) = limits_around_limit_by("SELECT a FROM t LIMIT 1, 2").unwrap();
        assert_eq!(sql, "SELECT a FROM t LIMIT 1, 2");
    }

    #[test]
    fn reads_final_modifiers() {
        let sql = "SELECT e.k, 'FINAL' FROM events e FINAL JOIN users AS u FINAL ON e.k = u.k, \
                   other FINAL WHERE x = 'it''s' FORMAT JSON";
        let statement = parse(sql).unwrap();
        let reads: Vec<_> = statement
            .tables
            .iter()
            .map(|t| (t.name.as_str(), t.final_read))
            .collect();
        assert_eq!(
            reads,
            vec![("events", true), ("other", true), ("users", true)]
        );
        let plain = parse("SELECT final FROM t AS final").unwrap();
        assert_eq!(plain.tables[0].name, "t");
        assert!(!plain.tables[0].final_read);
        let qualified = parse("SELECT * FROM tinybird.datasources_ops_log FINAL").unwrap();
        assert_eq!(qualified.tables[0].name, "tinybird.datasources_ops_log");
        assert!(qualified.tables[0].final_read);
    }
}
