//! The template's syntax: the text is cut into verbatim text, `{{ expression }}` tags and
//! `{% statement %}` tags (TPL-SYN-02, TPL-SYN-03), the statements nested into blocks, and
//! each expression parsed into a tree (TPL-SYN-04).

use crate::TemplateError;

/// An expression of the template language: a safe subset of Python.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    None,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    List(Vec<Expr>),
    Dict(Vec<(Expr, Expr)>),
    Name(String),
    Call {
        function: String,
        args: Vec<Expr>,
        kwargs: Vec<(String, Expr)>,
    },
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Binary(Box<Expr>, BinaryOp, Box<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    And,
    Or,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    NotIn,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

/// A piece of a parsed template.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Text(String),
    Output(Expr),
    /// `if`/`elif` branches in order, then the `else` body.
    If(Vec<(Expr, Vec<Node>)>, Vec<Node>),
    For {
        targets: Vec<String>,
        iterable: Expr,
        body: Vec<Node>,
    },
    Set(String, Expr),
}

fn syntax_error(message: impl std::fmt::Display) -> TemplateError {
    TemplateError::bad_request(format!("Template Syntax Error: {message}"))
}

/// A tag or text run of the template source.
enum Piece<'a> {
    Text(&'a str),
    Output(&'a str),
    Statement(&'a str),
}

fn pieces(source: &str) -> Result<Vec<Piece<'_>>, TemplateError> {
    let mut pieces = Vec::new();
    let mut rest = source;
    while let Some(start) = find_tag(rest) {
        if start > 0 {
            pieces.push(Piece::Text(&rest[..start]));
        }
        let opener = &rest[start..start + 2];
        let closer = match opener {
            "{{" => "}}",
            "{%" => "%}",
            _ => "#}",
        };
        let body_start = start + 2;
        let end = rest[body_start..]
            .find(closer)
            .ok_or_else(|| syntax_error(format!("'{opener}' is never closed with '{closer}'")))?
            + body_start;
        let inner = &rest[body_start..end];
        match opener {
            "{{" => pieces.push(Piece::Output(inner)),
            "{%" => pieces.push(Piece::Statement(inner)),
            _ => {}
        }
        rest = &rest[end + 2..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest));
    }
    Ok(pieces)
}

fn find_tag(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    (0..bytes.len().saturating_sub(1))
        .find(|&i| bytes[i] == b'{' && matches!(bytes[i + 1], b'{' | b'%' | b'#'))
}

/// Parses a template (without its leading `%`).
pub fn parse(source: &str) -> Result<Vec<Node>, TemplateError> {
    let pieces = pieces(source)?;
    let mut position = 0;
    let (nodes, end) = parse_block(&pieces, &mut position)?;
    match end {
        None => Ok(nodes),
        Some(tag) => Err(syntax_error(format!("unexpected '{{% {tag} %}}'"))),
    }
}

/// Parses nodes until a block-closing tag (`end`, `else`, `elif ...`), which it returns.
fn parse_block(
    pieces: &[Piece<'_>],
    position: &mut usize,
) -> Result<(Vec<Node>, Option<String>), TemplateError> {
    let mut nodes = Vec::new();
    while let Some(piece) = pieces.get(*position) {
        *position += 1;
        match piece {
            Piece::Text(text) => nodes.push(Node::Text(text.to_string())),
            Piece::Output(expression) => nodes.push(Node::Output(parse_expression(expression)?)),
            Piece::Statement(statement) => {
                let statement = statement.trim();
                let (keyword, rest) = statement
                    .split_once(char::is_whitespace)
                    .map_or((statement, ""), |(k, r)| (k, r.trim()));
                match keyword {
                    "end" | "endif" | "endfor" | "else" | "elif" => {
                        return Ok((nodes, Some(statement.to_string())));
                    }
                    "if" => nodes.push(parse_if(rest, pieces, position)?),
                    "for" => nodes.push(parse_for(rest, pieces, position)?),
                    "set" => {
                        let (name, value) = rest.split_once('=').ok_or_else(|| {
                            syntax_error(format!("'{{% set {rest} %}}' has no '='"))
                        })?;
                        let name = name.trim();
                        if !is_identifier(name) {
                            return Err(syntax_error(format!("cannot set '{name}'")));
                        }
                        nodes.push(Node::Set(name.to_string(), parse_expression(value)?));
                    }
                    "comment" => {}
                    other => {
                        return Err(syntax_error(format!("unknown statement '{{% {other} %}}'")));
                    }
                }
            }
        }
    }
    Ok((nodes, None))
}

fn parse_if(
    condition: &str,
    pieces: &[Piece<'_>],
    position: &mut usize,
) -> Result<Node, TemplateError> {
    let mut branches = Vec::new();
    let mut condition = parse_condition(condition)?;
    loop {
        let (body, end) = parse_block(pieces, position)?;
        let end = end.ok_or_else(|| syntax_error("'{% if %}' is never closed with '{% end %}'"))?;
        branches.push((condition, body));
        if end == "else" {
            let (otherwise, end) = parse_block(pieces, position)?;
            return match end.as_deref() {
                Some("end" | "endif") => Ok(Node::If(branches, otherwise)),
                _ => Err(syntax_error(
                    "'{% else %}' is never closed with '{% end %}'",
                )),
            };
        }
        if let Some(next) = end.strip_prefix("elif") {
            condition = parse_condition(next.trim())?;
            continue;
        }
        if end == "end" || end == "endif" {
            return Ok(Node::If(branches, Vec::new()));
        }
        return Err(syntax_error(format!(
            "unexpected '{{% {end} %}}' in '{{% if %}}'"
        )));
    }
}

/// An `if` condition, where a lone `=` means `==` (TPL-SYN-05).
fn parse_condition(text: &str) -> Result<Expr, TemplateError> {
    let mut parser = Parser::new(text)?;
    parser.lone_equals_compares = true;
    parser.parse_all()
}

fn parse_for(
    header: &str,
    pieces: &[Piece<'_>],
    position: &mut usize,
) -> Result<Node, TemplateError> {
    let (targets, iterable) = header
        .split_once(" in ")
        .ok_or_else(|| syntax_error(format!("'{{% for {header} %}}' has no 'in'")))?;
    let targets: Vec<String> = targets
        .split(',')
        .map(|t| t.trim().trim_matches(['(', ')']).trim().to_string())
        .collect();
    if targets.iter().any(|t| !is_identifier(t)) {
        return Err(syntax_error(format!("cannot loop over '{header}'")));
    }
    let iterable = parse_expression(iterable)?;
    let (body, end) = parse_block(pieces, position)?;
    match end.as_deref() {
        Some("end" | "endfor") => Ok(Node::For {
            targets,
            iterable,
            body,
        }),
        _ => Err(syntax_error("'{% for %}' is never closed with '{% end %}'")),
    }
}

pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Name(String),
    Int(i128),
    Float(f64),
    Str(String),
    Symbol(&'static str),
}

const SYMBOLS: &[&str] = &[
    "==", "!=", "<=", ">=", "(", ")", "[", "]", "{", "}", ",", ":", "=", "<", ">", "+", "-", "*",
    "/", "%",
];

fn tokenize(text: &str) -> Result<Vec<Token>, TemplateError> {
    let mut tokens = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            tokens.push(Token::Name(chars[start..i].iter().collect()));
        } else if c.is_ascii_digit()
            || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric()
                    || chars[i] == '.'
                    || chars[i] == '_'
                    || ((chars[i] == '+' || chars[i] == '-') && matches!(chars[i - 1], 'e' | 'E')))
            {
                i += 1;
            }
            let literal: String = chars[start..i].iter().filter(|c| **c != '_').collect();
            tokens.push(match literal.parse::<i128>() {
                Ok(n) => Token::Int(n),
                Err(_) => Token::Float(
                    literal
                        .parse()
                        .map_err(|_| syntax_error(format!("invalid number '{literal}'")))?,
                ),
            });
        } else if c == '\'' || c == '"' {
            let mut value = String::new();
            i += 1;
            loop {
                let Some(&next) = chars.get(i) else {
                    return Err(syntax_error("a string is never closed"));
                };
                i += 1;
                if next == c {
                    break;
                }
                if next == '\\' {
                    let Some(&escaped) = chars.get(i) else {
                        return Err(syntax_error("a string is never closed"));
                    };
                    i += 1;
                    value.push(match escaped {
                        'n' => '\n',
                        't' => '\t',
                        'r' => '\r',
                        '0' => '\0',
                        other => other,
                    });
                } else {
                    value.push(next);
                }
            }
            tokens.push(Token::Str(value));
        } else {
            let rest: String = chars[i..chars.len().min(i + 2)].iter().collect();
            let symbol = SYMBOLS
                .iter()
                .find(|s| rest.starts_with(**s))
                .ok_or_else(|| syntax_error(format!("unexpected character '{c}'")))?;
            tokens.push(Token::Symbol(symbol));
            i += symbol.len();
        }
    }
    Ok(tokens)
}

pub fn parse_expression(text: &str) -> Result<Expr, TemplateError> {
    Parser::new(text)?.parse_all()
}

struct Parser {
    tokens: Vec<Token>,
    position: usize,
    lone_equals_compares: bool,
}

impl Parser {
    fn new(text: &str) -> Result<Parser, TemplateError> {
        Ok(Parser {
            tokens: tokenize(text)?,
            position: 0,
            lone_equals_compares: false,
        })
    }

    fn parse_all(mut self) -> Result<Expr, TemplateError> {
        if self.tokens.is_empty() {
            return Err(syntax_error("an empty expression"));
        }
        let expression = self.or()?;
        match self.peek() {
            None => Ok(expression),
            Some(token) => Err(syntax_error(format!("unexpected {token:?}"))),
        }
    }

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.position)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.position).cloned();
        self.position += 1;
        token
    }

    fn eat_symbol(&mut self, symbol: &str) -> bool {
        if matches!(self.peek(), Some(Token::Symbol(s)) if *s == symbol) {
            self.position += 1;
            true
        } else {
            false
        }
    }

    fn eat_name(&mut self, name: &str) -> bool {
        if matches!(self.peek(), Some(Token::Name(n)) if n == name) {
            self.position += 1;
            true
        } else {
            false
        }
    }

    fn expect_symbol(&mut self, symbol: &str) -> Result<(), TemplateError> {
        if self.eat_symbol(symbol) {
            Ok(())
        } else {
            Err(syntax_error(format!("expected '{symbol}'")))
        }
    }

    fn or(&mut self) -> Result<Expr, TemplateError> {
        let mut left = self.and()?;
        while self.eat_name("or") {
            left = Expr::Binary(Box::new(left), BinaryOp::Or, Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, TemplateError> {
        let mut left = self.not()?;
        while self.eat_name("and") {
            left = Expr::Binary(Box::new(left), BinaryOp::And, Box::new(self.not()?));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Expr, TemplateError> {
        if self.eat_name("not") {
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Expr, TemplateError> {
        let mut left = self.sum()?;
        loop {
            let op = match self.peek() {
                Some(Token::Symbol("==")) => BinaryOp::Eq,
                Some(Token::Symbol("=")) if self.lone_equals_compares => BinaryOp::Eq,
                Some(Token::Symbol("!=")) => BinaryOp::Ne,
                Some(Token::Symbol("<")) => BinaryOp::Lt,
                Some(Token::Symbol("<=")) => BinaryOp::Le,
                Some(Token::Symbol(">")) => BinaryOp::Gt,
                Some(Token::Symbol(">=")) => BinaryOp::Ge,
                Some(Token::Name(n)) if n == "in" => BinaryOp::In,
                Some(Token::Name(n))
                    if n == "not"
                        && matches!(self.tokens.get(self.position + 1), Some(Token::Name(m)) if m == "in") =>
                {
                    self.position += 1;
                    BinaryOp::NotIn
                }
                _ => return Ok(left),
            };
            self.position += 1;
            left = Expr::Binary(Box::new(left), op, Box::new(self.sum()?));
        }
    }

    fn sum(&mut self) -> Result<Expr, TemplateError> {
        self.left_associative(
            &[("+", BinaryOp::Add), ("-", BinaryOp::Sub)],
            Parser::product,
        )
    }

    fn product(&mut self) -> Result<Expr, TemplateError> {
        let ops = [
            ("*", BinaryOp::Mul),
            ("/", BinaryOp::Div),
            ("%", BinaryOp::Rem),
        ];
        self.left_associative(&ops, Parser::unary)
    }

    /// `operand (op operand)*` for the symbols of `ops`, grouped from the left.
    fn left_associative(
        &mut self,
        ops: &[(&str, BinaryOp)],
        operand: fn(&mut Parser) -> Result<Expr, TemplateError>,
    ) -> Result<Expr, TemplateError> {
        let mut left = operand(self)?;
        while let Some(op) = ops
            .iter()
            .find(|(symbol, _)| self.eat_symbol(symbol))
            .map(|(_, op)| *op)
        {
            left = Expr::Binary(Box::new(left), op, Box::new(operand(self)?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, TemplateError> {
        if self.eat_symbol("-") {
            return Ok(match self.unary()? {
                Expr::Int(n) => Expr::Int(-n),
                Expr::Float(f) => Expr::Float(-f),
                other => Expr::Neg(Box::new(other)),
            });
        }
        if self.eat_symbol("+") {
            return self.unary();
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, TemplateError> {
        let token = self
            .next()
            .ok_or_else(|| syntax_error("the expression ends too soon"))?;
        match token {
            Token::Int(n) => Ok(Expr::Int(n)),
            Token::Float(f) => Ok(Expr::Float(f)),
            Token::Str(s) => Ok(Expr::Str(s)),
            Token::Symbol("(") => {
                let inner = self.or()?;
                self.expect_symbol(")")?;
                Ok(inner)
            }
            Token::Symbol("[") => Ok(Expr::List(self.items("]")?)),
            Token::Symbol("{") => {
                let mut entries = Vec::new();
                while !self.eat_symbol("}") {
                    let key = self.or()?;
                    self.expect_symbol(":")?;
                    entries.push((key, self.or()?));
                    if !self.eat_symbol(",") {
                        self.expect_symbol("}")?;
                        break;
                    }
                }
                Ok(Expr::Dict(entries))
            }
            Token::Name(name) => match name.as_str() {
                "True" | "true" => Ok(Expr::Bool(true)),
                "False" | "false" => Ok(Expr::Bool(false)),
                "None" => Ok(Expr::None),
                _ if self.eat_symbol("(") => self.call(name),
                _ => Ok(Expr::Name(name)),
            },
            Token::Symbol(other) => Err(syntax_error(format!("unexpected '{other}'"))),
        }
    }

    /// Comma-separated expressions up to `close` (a trailing comma allowed).
    fn items(&mut self, close: &str) -> Result<Vec<Expr>, TemplateError> {
        let mut items = Vec::new();
        while !self.eat_symbol(close) {
            items.push(self.or()?);
            if !self.eat_symbol(",") {
                self.expect_symbol(close)?;
                break;
            }
        }
        Ok(items)
    }

    fn call(&mut self, function: String) -> Result<Expr, TemplateError> {
        let mut args = Vec::new();
        let mut kwargs = Vec::new();
        while !self.eat_symbol(")") {
            let keyword = match (self.peek(), self.tokens.get(self.position + 1)) {
                (Some(Token::Name(name)), Some(Token::Symbol("="))) => Some(name.clone()),
                _ => None,
            };
            match keyword {
                Some(name) => {
                    self.position += 2;
                    kwargs.push((name, self.or()?));
                }
                None if kwargs.is_empty() => args.push(self.or()?),
                None => {
                    return Err(syntax_error(format!(
                        "a positional argument follows a keyword argument in {function}()"
                    )));
                }
            }
            if !self.eat_symbol(",") {
                self.expect_symbol(")")?;
                break;
            }
        }
        Ok(Expr::Call {
            function,
            args,
            kwargs,
        })
    }
}
