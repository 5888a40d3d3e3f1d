//! A recursive-descent parser from tokens to the [`Query`] syntax tree.
//!
//! Precedence, loosest first: `or`, `and`, `not`, comparisons and `in`/`:`/`like`/`regex`,
//! `+`/`-`, `*`/`/`/`%`, unary minus, then literals, fields, calls and parentheses.

use super::ast::{
    ArithmeticOp, CompareOp, EventQuery, Expr, FieldPath, Join, Literal, MatchKind, PathPart, Pipe,
    Query, QueryBody, Relation, Sequence, SequenceStep,
};
use super::error::ParseError;
use super::lexer::{Token, TokenKind, tokenize};
use super::signatures;

/// The deepest expression nesting the parser accepts. Evaluation recurses once per level, so
/// the cap keeps hostile queries from overflowing the stack of a 2 MiB thread.
pub const MAX_DEPTH: usize = 128;

/// The largest `runs=N` accepted; each run is a copy of the step.
const MAX_RUNS: i64 = 100;

/// Words that end an expression or start a clause, so they cannot name a field.
const RESERVED: [&str; 12] = [
    "and", "or", "not", "in", "like", "regex", "where", "by", "with", "until", "of", "sequence",
];

/// Parses an EQL query.
///
/// # Errors
///
/// Returns a [`ParseError`] with the line, column and text of the first token that does not
/// fit the grammar, and what was expected there.
pub fn parse(source: &str) -> Result<Query, ParseError> {
    let tokens = tokenize(source)?;
    let mut parser = Parser {
        source,
        tokens,
        index: 0,
        depth: 0,
    };
    let query = parser.query()?;
    parser.expect_eof()?;
    Ok(query)
}

/// Parses a standalone expression, such as the condition after `where`.
///
/// # Errors
///
/// Returns a [`ParseError`] at the first token that does not fit the grammar.
pub fn parse_expression(source: &str) -> Result<Expr, ParseError> {
    let tokens = tokenize(source)?;
    let mut parser = Parser {
        source,
        tokens,
        index: 0,
        depth: 0,
    };
    let expr = parser.expr()?;
    parser.expect_eof()?;
    Ok(expr)
}

struct Parser<'s> {
    source: &'s str,
    tokens: Vec<Token>,
    index: usize,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> &TokenKind {
        self.peek_at(0)
    }

    fn peek_at(&self, offset: usize) -> &TokenKind {
        self.tokens
            .get(self.index + offset)
            .or(self.tokens.last())
            .map_or(&TokenKind::Eof, |token| &token.kind)
    }

    fn advance(&mut self) -> TokenKind {
        let kind = self.peek().clone();
        if self.index + 1 < self.tokens.len() {
            self.index += 1;
        }
        kind
    }

    fn error(&self, expected: &str) -> ParseError {
        let token = self.tokens.get(self.index).or(self.tokens.last());
        let (position, found) = token.map_or_else(Default::default, |token| {
            (token.position, token.kind.describe())
        });
        ParseError::new(self.source, position, found, expected)
    }

    fn is_keyword(&self, word: &str) -> bool {
        matches!(self.peek(), TokenKind::Ident(name) if name.eq_ignore_ascii_case(word))
    }

    fn eat_keyword(&mut self, word: &str) -> bool {
        let found = self.is_keyword(word);
        if found {
            self.advance();
        }
        found
    }

    fn expect_keyword(&mut self, word: &str) -> Result<(), ParseError> {
        if self.eat_keyword(word) {
            Ok(())
        } else {
            Err(self.error(&format!("'{word}'")))
        }
    }

    fn eat(&mut self, kind: &TokenKind) -> bool {
        let found = self.peek() == kind;
        if found {
            self.advance();
        }
        found
    }

    fn expect(&mut self, kind: &TokenKind, expected: &str) -> Result<(), ParseError> {
        if self.eat(kind) {
            Ok(())
        } else {
            Err(self.error(expected))
        }
    }

    fn expect_eof(&self) -> Result<(), ParseError> {
        if *self.peek() == TokenKind::Eof {
            Ok(())
        } else {
            Err(self.error("'|' or end of query"))
        }
    }

    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(&format!("at most {MAX_DEPTH} levels of nesting")));
        }
        Ok(())
    }

    fn leave(&mut self, levels: usize) {
        self.depth = self.depth.saturating_sub(levels);
    }

    fn query(&mut self) -> Result<Query, ParseError> {
        let body = if self.eat_keyword("sequence") {
            QueryBody::Sequence(self.sequence()?)
        } else if self.eat_keyword("join") {
            QueryBody::Join(self.join()?)
        } else {
            QueryBody::Event(self.event_query()?)
        };
        let mut pipes = Vec::new();
        while self.eat(&TokenKind::Pipe) {
            pipes.push(self.pipe()?);
        }
        Ok(Query { body, pipes })
    }

    fn event_query(&mut self) -> Result<EventQuery, ParseError> {
        let category = match self.peek().clone() {
            TokenKind::Ident(name) if !RESERVED.contains(&name.as_str()) => name,
            TokenKind::EscapedIdent(name) | TokenKind::Str(name) => name,
            _ => return Err(self.error("an event category such as 'process' or 'any'")),
        };
        self.advance();
        self.expect_keyword("where")?;
        let condition = self.expr()?;
        Ok(EventQuery {
            category,
            condition,
        })
    }

    fn sequence(&mut self) -> Result<Sequence, ParseError> {
        let by = self.optional_by()?;
        let mut maxspan = None;
        if self.eat_keyword("with") {
            self.expect_keyword("maxspan")?;
            self.expect_assign()?;
            match self.advance() {
                TokenKind::Duration(nanos) => maxspan = Some(nanos),
                _ => {
                    self.index = self.index.saturating_sub(1);
                    return Err(self.error("a duration such as 30s, 5m or 1h"));
                }
            }
        }
        let by = if by.is_empty() {
            self.optional_by()?
        } else {
            by
        };
        let mut steps = Vec::new();
        while *self.peek() == TokenKind::LBracket {
            let (step, runs) = self.step(true)?;
            for _ in 0..runs {
                steps.push(step.clone());
            }
        }
        if steps.len() < 2 {
            return Err(self.error("a '[' starting another sequence step (at least two)"));
        }
        let until = self.optional_until()?;
        Ok(Sequence {
            by,
            maxspan,
            steps,
            until,
        })
    }

    fn join(&mut self) -> Result<Join, ParseError> {
        let by = self.optional_by()?;
        let mut steps = Vec::new();
        while *self.peek() == TokenKind::LBracket {
            steps.push(self.step(false)?.0);
        }
        if steps.len() < 2 {
            return Err(self.error("a '[' starting another join step (at least two)"));
        }
        let until = self.optional_until()?;
        Ok(Join { by, steps, until })
    }

    fn optional_until(&mut self) -> Result<Option<SequenceStep>, ParseError> {
        if self.eat_keyword("until") {
            Ok(Some(self.step(false)?.0))
        } else {
            Ok(None)
        }
    }

    fn expect_assign(&mut self) -> Result<(), ParseError> {
        if self.eat(&TokenKind::Assign) || self.eat(&TokenKind::EqEq) {
            Ok(())
        } else {
            Err(self.error("'='"))
        }
    }

    /// Parses `[query] [by ...] [with runs=N]`, returning the step and its run count.
    fn step(&mut self, allow_runs: bool) -> Result<(SequenceStep, u32), ParseError> {
        self.expect(&TokenKind::LBracket, "'['")?;
        let query = self.event_query()?;
        self.expect(&TokenKind::RBracket, "']' closing the step")?;
        let mut by = self.optional_by()?;
        let mut runs = 1;
        if allow_runs && self.eat_keyword("with") {
            self.expect_keyword("runs")?;
            self.expect_assign()?;
            match self.peek().clone() {
                TokenKind::Int(count) if (1..=MAX_RUNS).contains(&count) => {
                    self.advance();
                    runs = u32::try_from(count).unwrap_or(1);
                }
                _ => return Err(self.error(&format!("a run count from 1 to {MAX_RUNS}"))),
            }
            if by.is_empty() {
                by = self.optional_by()?;
            }
        }
        let fork = self.optional_fork()?;
        if by.is_empty() {
            by = self.optional_by()?;
        }
        Ok((SequenceStep { query, by, fork }, runs))
    }

    /// Parses the legacy `fork`, `fork=true` or `fork=false` after a sequence step.
    fn optional_fork(&mut self) -> Result<bool, ParseError> {
        if !self.eat_keyword("fork") {
            return Ok(false);
        }
        if !(self.eat(&TokenKind::Assign) || self.eat(&TokenKind::EqEq)) {
            return Ok(true);
        }
        match self.peek() {
            TokenKind::Ident(word) if word.eq_ignore_ascii_case("true") => {
                self.advance();
                Ok(true)
            }
            TokenKind::Ident(word) if word.eq_ignore_ascii_case("false") => {
                self.advance();
                Ok(false)
            }
            _ => Err(self.error("'true' or 'false' after 'fork='")),
        }
    }

    fn optional_by(&mut self) -> Result<Vec<Expr>, ParseError> {
        if !self.eat_keyword("by") {
            return Ok(Vec::new());
        }
        let mut keys = vec![self.expr()?];
        while self.eat(&TokenKind::Comma) {
            keys.push(self.expr()?);
        }
        Ok(keys)
    }

    fn pipe(&mut self) -> Result<Pipe, ParseError> {
        let name = match self.advance() {
            TokenKind::Ident(name) => name.to_ascii_lowercase(),
            _ => {
                self.index = self.index.saturating_sub(1);
                return Err(self.error("a pipe: head, tail, filter, unique, count or sort"));
            }
        };
        match name.as_str() {
            "head" | "tail" => {
                let count = match self.peek().clone() {
                    TokenKind::Int(count) if count >= 0 => {
                        self.advance();
                        count.unsigned_abs()
                    }
                    // A bare `head` means 50 in the reference implementation.
                    TokenKind::Pipe | TokenKind::Eof => 50,
                    _ => return Err(self.error("a non-negative whole number")),
                };
                Ok(if name == "head" {
                    Pipe::Head(count)
                } else {
                    Pipe::Tail(count)
                })
            }
            "filter" => Ok(Pipe::Filter(self.expr()?)),
            "unique" => Ok(Pipe::Unique(self.pipe_arguments(false)?)),
            "unique_count" => Ok(Pipe::UniqueCount(self.pipe_arguments(false)?)),
            "count" => Ok(Pipe::Count(self.pipe_arguments(true)?)),
            "sort" => Ok(Pipe::Sort(self.pipe_arguments(false)?)),
            _ => {
                self.index = self.index.saturating_sub(1);
                Err(self.error("a pipe: head, tail, filter, unique, unique_count, count or sort"))
            }
        }
    }

    /// Parses pipe arguments, separated by commas or, as the reference grammar allows, by
    /// spaces alone.
    fn pipe_arguments(&mut self, allow_empty: bool) -> Result<Vec<Expr>, ParseError> {
        let mut arguments = Vec::new();
        while !matches!(self.peek(), TokenKind::Pipe | TokenKind::Eof) {
            arguments.push(self.expr()?);
            self.eat(&TokenKind::Comma);
        }
        if arguments.is_empty() && !allow_empty {
            return Err(self.error("at least one field or expression"));
        }
        Ok(arguments)
    }

    fn expr(&mut self) -> Result<Expr, ParseError> {
        self.enter()?;
        let result = self.or_expr();
        self.leave(1);
        result
    }

    fn or_expr(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.and_expr()?;
        let mut chain = 0;
        while self.eat_keyword("or") {
            chain += 1;
            self.enter()?;
            let right = self.and_expr();
            left = Expr::Or(Box::new(left), Box::new(right?));
        }
        self.leave(chain);
        Ok(left)
    }

    fn and_expr(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.not_expr()?;
        let mut chain = 0;
        while self.eat_keyword("and") {
            chain += 1;
            self.enter()?;
            let right = self.not_expr();
            left = Expr::And(Box::new(left), Box::new(right?));
        }
        self.leave(chain);
        Ok(left)
    }

    fn not_expr(&mut self) -> Result<Expr, ParseError> {
        if self.is_keyword("not") {
            self.advance();
            self.enter()?;
            let inner = self.not_expr();
            self.leave(1);
            return Ok(Expr::Not(Box::new(inner?)));
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Expr, ParseError> {
        let left = self.additive()?;
        let op = match self.peek() {
            TokenKind::EqEq | TokenKind::Assign => Some(CompareOp::Eq),
            TokenKind::NotEq => Some(CompareOp::NotEq),
            TokenKind::Lt => Some(CompareOp::Lt),
            TokenKind::Le => Some(CompareOp::Le),
            TokenKind::Gt => Some(CompareOp::Gt),
            TokenKind::Ge => Some(CompareOp::Ge),
            _ => None,
        };
        if let Some(op) = op {
            self.advance();
            let right = self.additive()?;
            return Ok(Expr::Compare(Box::new(left), op, Box::new(right)));
        }
        if *self.peek() == TokenKind::Colon {
            self.advance();
            let patterns = self.one_or_list()?;
            return Ok(match_expr(left, MatchKind::Wildcard, patterns, true));
        }
        let word = match self.peek() {
            TokenKind::Ident(word) => word.to_ascii_lowercase(),
            _ => return Ok(left),
        };
        let negated = word == "not"
            && {
                let next = self.peek_at(1);
                matches!(next, TokenKind::Ident(w) if w.eq_ignore_ascii_case("in") || w.eq_ignore_ascii_case("in~"))
            };
        if negated {
            self.advance();
        }
        let word = if negated {
            match self.peek() {
                TokenKind::Ident(word) => word.to_ascii_lowercase(),
                _ => return Ok(left),
            }
        } else {
            word
        };
        let (kind, case_insensitive) = match word.as_str() {
            "in" | "in~" => {
                self.advance();
                let list = self.paren_list()?;
                return Ok(Expr::In {
                    needle: Box::new(left),
                    list,
                    negated,
                    case_insensitive: word == "in~",
                });
            }
            "like" => (MatchKind::Wildcard, false),
            "like~" => (MatchKind::Wildcard, true),
            "regex" => (MatchKind::Regex, false),
            "regex~" => (MatchKind::Regex, true),
            _ => return Ok(left),
        };
        self.advance();
        let patterns = self.one_or_list()?;
        Ok(match_expr(left, kind, patterns, case_insensitive))
    }

    fn one_or_list(&mut self) -> Result<Vec<Expr>, ParseError> {
        if *self.peek() == TokenKind::LParen {
            self.paren_list()
        } else {
            Ok(vec![self.additive()?])
        }
    }

    fn paren_list(&mut self) -> Result<Vec<Expr>, ParseError> {
        self.expect(&TokenKind::LParen, "'(' starting a list")?;
        let mut items = vec![self.expr()?];
        while self.eat(&TokenKind::Comma) {
            items.push(self.expr()?);
        }
        self.expect(&TokenKind::RParen, "',' or ')' closing the list")?;
        Ok(items)
    }

    fn additive(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.multiplicative()?;
        let mut chain = 0;
        loop {
            let op = match self.peek() {
                TokenKind::Plus => ArithmeticOp::Add,
                TokenKind::Minus => ArithmeticOp::Subtract,
                _ => break,
            };
            self.advance();
            chain += 1;
            self.enter()?;
            let right = self.multiplicative()?;
            left = Expr::Arithmetic(Box::new(left), op, Box::new(right));
        }
        self.leave(chain);
        Ok(left)
    }

    fn multiplicative(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.unary()?;
        let mut chain = 0;
        loop {
            let op = match self.peek() {
                TokenKind::Star => ArithmeticOp::Multiply,
                TokenKind::Slash => ArithmeticOp::Divide,
                TokenKind::Percent => ArithmeticOp::Modulo,
                _ => break,
            };
            self.advance();
            chain += 1;
            self.enter()?;
            let right = self.unary()?;
            left = Expr::Arithmetic(Box::new(left), op, Box::new(right));
        }
        self.leave(chain);
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        if self.eat(&TokenKind::Minus) {
            // Fold `-5` into a literal, so constant negative numbers cost nothing to evaluate.
            match self.peek().clone() {
                TokenKind::Int(value) => {
                    self.advance();
                    return Ok(Expr::Literal(Literal::Int(-value)));
                }
                TokenKind::Float(value) => {
                    self.advance();
                    return Ok(Expr::Literal(Literal::Float(-value)));
                }
                _ => {}
            }
            self.enter()?;
            let inner = self.unary();
            self.leave(1);
            return Ok(Expr::Negate(Box::new(inner?)));
        }
        self.eat(&TokenKind::Plus);
        let value = self.primary()?;
        self.method_chain(value)
    }

    /// Parses `value:function(args)...`, the reference's method syntax for
    /// `function(value, args)`. A `:` not followed by a call is left for the wildcard operator.
    fn method_chain(&mut self, mut value: Expr) -> Result<Expr, ParseError> {
        while *self.peek() == TokenKind::Colon
            && matches!(self.peek_at(1), TokenKind::Ident(_))
            && *self.peek_at(2) == TokenKind::LParen
        {
            self.advance();
            let TokenKind::Ident(word) = self.advance() else {
                return Err(self.error("a function name after ':'"));
            };
            value = self.call_on(word, Some(value))?;
        }
        Ok(value)
    }

    fn is_lineage_at(&self, offset: usize) -> bool {
        matches!(self.peek_at(offset), TokenKind::Ident(word)
            if ["child", "descendant", "event"].contains(&word.as_str()))
            && matches!(self.peek_at(offset + 1), TokenKind::Ident(word) if word == "of")
    }

    fn primary(&mut self) -> Result<Expr, ParseError> {
        match self.peek().clone() {
            TokenKind::Int(value) => {
                self.advance();
                Ok(Expr::Literal(Literal::Int(value)))
            }
            TokenKind::Float(value) => {
                self.advance();
                Ok(Expr::Literal(Literal::Float(value)))
            }
            TokenKind::Str(text) => {
                self.advance();
                Ok(Expr::Literal(Literal::Str(text)))
            }
            TokenKind::LParen => {
                self.advance();
                let inner = self.expr()?;
                self.expect(&TokenKind::RParen, "')'")?;
                Ok(inner)
            }
            TokenKind::EscapedIdent(name) => {
                self.advance();
                self.field_rest(name)
            }
            TokenKind::Ident(word) => self.word(word),
            _ => Err(self.error("a value, field, function call or '('")),
        }
    }

    fn word(&mut self, word: String) -> Result<Expr, ParseError> {
        match word.to_ascii_lowercase().as_str() {
            "true" => {
                self.advance();
                return Ok(Expr::Literal(Literal::Bool(true)));
            }
            "false" => {
                self.advance();
                return Ok(Expr::Literal(Literal::Bool(false)));
            }
            "null" => {
                self.advance();
                return Ok(Expr::Literal(Literal::Null));
            }
            _ => {}
        }
        if self.is_lineage_at(0) {
            self.advance();
            self.advance();
            self.expect(&TokenKind::LBracket, "'['")?;
            self.enter()?;
            let query = self.event_query();
            self.leave(1);
            let query = query?;
            self.expect(&TokenKind::RBracket, "']'")?;
            let relation = match word.as_str() {
                "child" => Relation::Child,
                "descendant" => Relation::Descendant,
                _ => Relation::Event,
            };
            return Ok(Expr::Lineage {
                relation,
                query: Box::new(query),
            });
        }
        if RESERVED.contains(&word.to_ascii_lowercase().as_str()) {
            return Err(self.error("a value, field, function call or '('"));
        }
        self.advance();
        if *self.peek() == TokenKind::LParen {
            return self.call(word);
        }
        if word.ends_with('~') {
            return Err(self.error("'(' after a case-insensitive function name"));
        }
        self.field_rest(word)
    }

    fn call(&mut self, word: String) -> Result<Expr, ParseError> {
        self.call_on(word, None)
    }

    /// Parses a call whose name was just consumed; a method call passes the value before
    /// the `:` as `receiver`, which becomes the first argument.
    fn call_on(&mut self, word: String, receiver: Option<Expr>) -> Result<Expr, ParseError> {
        let name_position = self.index.saturating_sub(1);
        self.advance();
        let mut args = Vec::new();
        let mut arg_positions = Vec::new();
        if let Some(receiver) = receiver {
            // The receiver's own tokens are behind us, so errors point at the ':' before
            // the name.
            args.push(receiver);
            arg_positions.push(name_position.saturating_sub(1));
        }
        if !self.eat(&TokenKind::RParen) {
            arg_positions.push(self.index);
            args.push(self.expr()?);
            while self.eat(&TokenKind::Comma) {
                arg_positions.push(self.index);
                args.push(self.expr()?);
            }
            self.expect(&TokenKind::RParen, "',' or ')' closing the arguments")?;
        }
        let (name, case_insensitive) = match word.strip_suffix('~') {
            Some(name) => (name.to_string(), true),
            None => (word, false),
        };
        self.check_call(&name, &args, name_position, &arg_positions)?;
        Ok(Expr::Call {
            name,
            args,
            case_insensitive,
        })
    }

    /// Rejects an unknown function, a wrong argument count or a literal argument of the wrong
    /// type, pointing at the function name or the argument.
    fn check_call(
        &self,
        name: &str,
        args: &[Expr],
        name_token: usize,
        arg_tokens: &[usize],
    ) -> Result<(), ParseError> {
        let at = |token: usize, found: String, expected: &str| {
            let position = self
                .tokens
                .get(token)
                .map_or_else(Default::default, |token| token.position);
            ParseError::new(self.source, position, found, expected)
        };
        let Some(signature) = signatures::find(name) else {
            let known: Vec<&str> = signatures::SIGNATURES.iter().map(|s| s.name).collect();
            return Err(at(
                name_token,
                format!("unknown function '{name}'"),
                &format!("one of {}", known.join(", ")),
            ));
        };
        if !(signature.min..=signature.max).contains(&args.len()) {
            let count = signatures::describe_count(signature.min, signature.max);
            let noun = if count == "1" {
                "argument"
            } else {
                "arguments"
            };
            return Err(at(
                name_token,
                format!("{} arguments to '{}'", args.len(), signature.name),
                &format!("{count} {noun}"),
            ));
        }
        for (index, (arg, &token)) in args.iter().zip(arg_tokens).enumerate() {
            if let Some(expected) = signature.check_argument(index, arg) {
                let found = self
                    .tokens
                    .get(token)
                    .map_or_else(String::new, |token| token.kind.describe());
                return Err(at(
                    token,
                    format!("{found} as argument {} of '{}'", index + 1, signature.name),
                    expected,
                ));
            }
        }
        Ok(())
    }

    /// Tests for `[N]` or `[-N]` after a field; any other `[` starts a sequence step.
    fn starts_index(&self) -> bool {
        *self.peek() == TokenKind::LBracket
            && match self.peek_at(1) {
                TokenKind::Int(_) => true,
                TokenKind::Minus => matches!(self.peek_at(2), TokenKind::Int(_)),
                _ => false,
            }
    }

    fn field_rest(&mut self, first: String) -> Result<Expr, ParseError> {
        let mut parts = vec![PathPart::Name(first)];
        loop {
            if self.eat(&TokenKind::Dot) {
                match self.advance() {
                    TokenKind::Ident(name) | TokenKind::EscapedIdent(name) => {
                        parts.push(PathPart::Name(name));
                    }
                    _ => {
                        self.index = self.index.saturating_sub(1);
                        return Err(self.error("a field name after '.'"));
                    }
                }
            } else if self.starts_index() {
                self.advance();
                let index = match self.advance() {
                    TokenKind::Int(index) => index,
                    TokenKind::Minus => match self.advance() {
                        TokenKind::Int(index) => -index,
                        _ => {
                            self.index = self.index.saturating_sub(1);
                            return Err(self.error("an array index"));
                        }
                    },
                    _ => {
                        self.index = self.index.saturating_sub(1);
                        return Err(self.error("an array index"));
                    }
                };
                parts.push(PathPart::Index(index));
                self.expect(&TokenKind::RBracket, "']' closing the index")?;
            } else {
                return Ok(Expr::Field(FieldPath { parts }));
            }
        }
    }
}

fn match_expr(subject: Expr, kind: MatchKind, patterns: Vec<Expr>, case_insensitive: bool) -> Expr {
    Expr::Match {
        subject: Box::new(subject),
        kind,
        patterns,
        case_insensitive,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn condition(source: &str) -> Expr {
        match parse(source).unwrap().body {
            QueryBody::Event(query) => query.condition,
            other => panic!("not an event query: {other:?}"),
        }
    }

    fn field(name: &str) -> Expr {
        Expr::Field(FieldPath {
            parts: vec![PathPart::Name(name.to_string())],
        })
    }

    fn int(value: i64) -> Expr {
        Expr::Literal(Literal::Int(value))
    }

    #[test]
    fn and_binds_tighter_than_or() {
        let expr = condition("process where a or b and c");
        let Expr::Or(_, right) = expr else {
            panic!("expected or at the top: {expr:?}");
        };
        assert!(matches!(*right, Expr::And(..)));
    }

    #[test]
    fn multiplication_binds_tighter_than_addition() {
        let expr = condition("any where a + 2 * 3 == 7");
        let expected = Expr::Compare(
            Box::new(Expr::Arithmetic(
                Box::new(field("a")),
                ArithmeticOp::Add,
                Box::new(Expr::Arithmetic(
                    Box::new(int(2)),
                    ArithmeticOp::Multiply,
                    Box::new(int(3)),
                )),
            )),
            CompareOp::Eq,
            Box::new(int(7)),
        );
        assert_eq!(expr, expected);
    }

    #[test]
    fn parses_in_and_not_in() {
        let expr = condition("any where a not in (1, 2)");
        assert_eq!(
            expr,
            Expr::In {
                needle: Box::new(field("a")),
                list: vec![int(1), int(2)],
                negated: true,
                case_insensitive: false,
            }
        );
        assert!(matches!(condition("any where not a in (1)"), Expr::Not(_)));
    }

    #[test]
    fn parses_pattern_operators() {
        for (source, kind, insensitive, count) in [
            ("any where a : \"x*\"", MatchKind::Wildcard, true, 1),
            ("any where a : (\"x\", \"y\")", MatchKind::Wildcard, true, 2),
            ("any where a like \"x\"", MatchKind::Wildcard, false, 1),
            (
                "any where a like~ (\"x\", \"y\")",
                MatchKind::Wildcard,
                true,
                2,
            ),
            ("any where a regex \"x.*\"", MatchKind::Regex, false, 1),
            ("any where a regex~ \"x.*\"", MatchKind::Regex, true, 1),
        ] {
            let Expr::Match {
                kind: found_kind,
                case_insensitive,
                patterns,
                ..
            } = condition(source)
            else {
                panic!("not a match: {source}");
            };
            assert_eq!(found_kind, kind, "{source}");
            assert_eq!(case_insensitive, insensitive, "{source}");
            assert_eq!(patterns.len(), count, "{source}");
        }
    }

    #[test]
    fn parses_field_paths() {
        let expr = condition("any where a.b[0].`c d`[-1] == 1");
        let Expr::Compare(left, ..) = expr else {
            panic!("not a comparison");
        };
        let Expr::Field(path) = *left else {
            panic!("not a field");
        };
        assert_eq!(path.dotted(), "a.b[0].c d[-1]");
    }

    #[test]
    fn parses_calls_with_tilde() {
        let expr = condition("any where startsWith~(a, \"x\")");
        assert!(matches!(
            expr,
            Expr::Call { ref name, case_insensitive: true, ref args } if name == "startsWith" && args.len() == 2
        ));
    }

    #[test]
    fn parses_sequence_clauses() {
        let query = parse(
            "sequence by host with maxspan=5m\n  [process where true] by pid with runs=2\n  \
             [file where true] by ppid\nuntil [process where false] by pid\n| head 3",
        )
        .unwrap();
        let QueryBody::Sequence(sequence) = &query.body else {
            panic!("not a sequence");
        };
        assert_eq!(sequence.by, vec![field("host")]);
        assert_eq!(sequence.maxspan, Some(300_000_000_000));
        assert_eq!(sequence.steps.len(), 3);
        assert_eq!(sequence.steps[0].by, vec![field("pid")]);
        assert_eq!(sequence.steps[2].query.category, "file");
        assert!(sequence.until.is_some());
        assert_eq!(query.pipes, vec![Pipe::Head(3)]);
    }

    #[test]
    fn parses_fork_and_method_calls() {
        let query = parse("sequence [a where true] [b where true] fork=true by pid").unwrap();
        let QueryBody::Sequence(sequence) = query.body else {
            panic!("not a sequence");
        };
        assert!(sequence.steps[1].fork);
        assert_eq!(sequence.steps[1].by, vec![field("pid")]);
        assert!(!sequence.steps[0].fork);
        let call = parse_expression("\"hello\":length() + 1").unwrap();
        let Expr::Arithmetic(left, ArithmeticOp::Add, _) = call else {
            panic!("not an addition");
        };
        assert!(matches!(*left, Expr::Call { ref name, ref args, .. }
            if name == "length" && args.len() == 1));
    }

    #[test]
    fn parses_pipes_with_spaces_or_commas() {
        let query = parse("any where true | unique a b | sort a, b | count | tail 2").unwrap();
        assert_eq!(
            query.pipes,
            vec![
                Pipe::Unique(vec![field("a"), field("b")]),
                Pipe::Sort(vec![field("a"), field("b")]),
                Pipe::Count(vec![]),
                Pipe::Tail(2),
            ]
        );
    }

    #[test]
    fn error_names_token_and_expectation() {
        let error = parse("process where a ==\n  | head 1").unwrap_err();
        assert_eq!(error.position.line, 2);
        assert_eq!(error.position.column, 3);
        assert_eq!(error.found, "'|'");
        assert!(error.expected.contains("value"), "{}", error.expected);
        let shown = error.to_string();
        assert!(shown.ends_with("  | head 1\n  ^"), "{shown}");
    }

    #[test]
    fn unknown_function_points_at_name() {
        let error = parse("process where a == 1 and\n  lenght(b) > 2").unwrap_err();
        assert_eq!(error.position.line, 2);
        assert_eq!(error.position.column, 3);
        assert_eq!(error.found, "unknown function 'lenght'");
        assert!(error.expected.contains("length"), "{}", error.expected);
        let shown = error.to_string();
        assert!(shown.ends_with("  lenght(b) > 2\n  ^"), "{shown}");
    }

    #[test]
    fn wrong_argument_count_names_function() {
        let error = parse("process where startsWith(a)").unwrap_err();
        assert_eq!(error.position.column, 15);
        assert_eq!(error.found, "1 arguments to 'startsWith'");
        assert_eq!(error.expected, "2 arguments");
        let single = parse("process where length(a, b)").unwrap_err();
        assert_eq!(single.expected, "1 argument");
    }

    #[test]
    fn wrong_argument_type_points_at_argument() {
        let error = parse("process where substring(a, \"1\")").unwrap_err();
        assert_eq!(error.position.column, 28);
        assert!(
            error.found.contains("argument 2 of 'substring'"),
            "{}",
            error.found
        );
        assert_eq!(error.expected, "a whole number");
        let method = parse("process where 5:length() == 1").unwrap_err();
        assert!(
            method.found.contains("argument 1 of 'length'"),
            "{}",
            method.found
        );
        let variable = parse("process where arraySearch(a, b.c, true)").unwrap_err();
        assert!(
            variable.expected.contains("variable"),
            "{}",
            variable.expected
        );
        assert!(parse("process where startsWith(a, null)").is_ok());
        assert!(parse("process where add(1, 2.5) == 3.5").is_ok());
    }

    #[test]
    fn rejects_deep_nesting() {
        let deep = format!("any where {}1{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(parse(&deep).is_err());
        let long_chain = format!("any where 1{}", " + 1".repeat(10_000));
        assert!(parse(&long_chain).is_err());
        let nots = format!("any where {}true", "not ".repeat(10_000));
        assert!(parse(&nots).is_err());
    }

    #[test]
    fn accepts_nesting_below_the_cap() {
        let nested = format!("any where {}1{} == 1", "(".repeat(50), ")".repeat(50));
        assert!(parse(&nested).is_ok());
    }

    #[test]
    fn rejects_malformed_queries() {
        for source in [
            "",
            "process",
            "process where",
            "sequence [process where true]",
            "process where a in ()",
            "process where true | head -1",
            "process where true | bogus",
            "sequence with maxspan=5 [a where true] [b where true]",
            "process where f(",
            "process where a.",
            "process where a[x]",
            "process where a[1",
        ] {
            assert!(parse(source).is_err(), "{source}");
        }
    }
}
