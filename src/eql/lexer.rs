//! Splits EQL source text into tokens, each with the line and column where it starts.

use super::error::ParseError;

/// A 1-based line and column (in characters) in the query text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Position {
    /// Line number, starting at 1.
    pub line: usize,
    /// Column number in characters, starting at 1.
    pub column: usize,
}

/// One lexical token of EQL.
#[derive(Clone, Debug, PartialEq)]
pub enum TokenKind {
    /// A bare identifier or keyword (`process`, `where`, `and`, `like~`).
    Ident(String),
    /// A backtick-escaped identifier; never a keyword.
    EscapedIdent(String),
    /// A string literal with its escapes already resolved.
    Str(String),
    /// A whole number literal.
    Int(i64),
    /// A floating-point literal.
    Float(f64),
    /// A duration literal such as `5m`, converted to nanoseconds.
    Duration(i64),
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `[`
    LBracket,
    /// `]`
    RBracket,
    /// `,`
    Comma,
    /// `.`
    Dot,
    /// `|`
    Pipe,
    /// `==`
    EqEq,
    /// `=`, the legacy spelling of `==`.
    Assign,
    /// `!=`
    NotEq,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `:`
    Colon,
    /// `+`
    Plus,
    /// `-`
    Minus,
    /// `*`
    Star,
    /// `/`
    Slash,
    /// `%`
    Percent,
    /// End of the input.
    Eof,
}

impl TokenKind {
    /// Renders the token as it would appear in a query, for error messages.
    pub fn describe(&self) -> String {
        match self {
            TokenKind::Ident(name) => format!("'{name}'"),
            TokenKind::EscapedIdent(name) => format!("'`{name}`'"),
            TokenKind::Str(text) => format!("string {text:?}"),
            TokenKind::Int(value) => format!("number {value}"),
            TokenKind::Float(value) => format!("number {value}"),
            TokenKind::Duration(_) => "duration".to_string(),
            TokenKind::Eof => "end of query".to_string(),
            other => format!("'{}'", other.symbol()),
        }
    }

    fn symbol(&self) -> &'static str {
        match self {
            TokenKind::LParen => "(",
            TokenKind::RParen => ")",
            TokenKind::LBracket => "[",
            TokenKind::RBracket => "]",
            TokenKind::Comma => ",",
            TokenKind::Dot => ".",
            TokenKind::Pipe => "|",
            TokenKind::EqEq => "==",
            TokenKind::Assign => "=",
            TokenKind::NotEq => "!=",
            TokenKind::Lt => "<",
            TokenKind::Le => "<=",
            TokenKind::Gt => ">",
            TokenKind::Ge => ">=",
            TokenKind::Colon => ":",
            TokenKind::Plus => "+",
            TokenKind::Minus => "-",
            TokenKind::Star => "*",
            TokenKind::Slash => "/",
            TokenKind::Percent => "%",
            _ => "",
        }
    }
}

/// A token and where it starts.
#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    /// The token's kind and value.
    pub kind: TokenKind,
    /// The position of its first character.
    pub position: Position,
    /// Its length in characters, so an error caret can underline it.
    pub width: usize,
}

/// Duration units EQL accepts after a number, with their length in nanoseconds.
const DURATION_UNITS: [(&str, i64); 5] = [
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
    ("d", 86_400_000_000_000),
];

struct Lexer<'s> {
    source: &'s str,
    chars: Vec<char>,
    index: usize,
    line: usize,
    column: usize,
}

/// Splits `source` into tokens, ending with [`TokenKind::Eof`].
///
/// # Errors
///
/// Returns a [`ParseError`] at the first character that starts no valid token, at an
/// unterminated string, an unknown escape, or a number that does not fit in 64 bits.
pub fn tokenize(source: &str) -> Result<Vec<Token>, ParseError> {
    let mut lexer = Lexer {
        source,
        chars: source.chars().collect(),
        index: 0,
        line: 1,
        column: 1,
    };
    let mut tokens = Vec::new();
    loop {
        lexer.skip_space_and_comments()?;
        let start = lexer.position();
        let start_index = lexer.index;
        let Some(kind) = lexer.next_kind()? else {
            tokens.push(Token {
                kind: TokenKind::Eof,
                position: start,
                width: 1,
            });
            return Ok(tokens);
        };
        tokens.push(Token {
            kind,
            position: start,
            width: lexer.index - start_index,
        });
    }
}

impl Lexer<'_> {
    fn position(&self) -> Position {
        Position {
            line: self.line,
            column: self.column,
        }
    }

    fn peek(&self, offset: usize) -> Option<char> {
        self.chars.get(self.index + offset).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.chars.get(self.index).copied()?;
        self.index += 1;
        if c == '\n' {
            self.line += 1;
            self.column = 1;
        } else {
            self.column += 1;
        }
        Some(c)
    }

    fn error(&self, position: Position, found: String, expected: &str) -> ParseError {
        ParseError::new(self.source, position, found, expected)
    }

    fn skip_space_and_comments(&mut self) -> Result<(), ParseError> {
        loop {
            match (self.peek(0), self.peek(1)) {
                (Some(c), _) if c.is_whitespace() => {
                    self.bump();
                }
                (Some('/'), Some('/')) => {
                    while self.peek(0).is_some_and(|c| c != '\n') {
                        self.bump();
                    }
                }
                (Some('/'), Some('*')) => {
                    let start = self.position();
                    self.bump();
                    self.bump();
                    loop {
                        match self.bump() {
                            Some('*') if self.peek(0) == Some('/') => {
                                self.bump();
                                break;
                            }
                            Some(_) => {}
                            None => {
                                return Err(self.error(
                                    start,
                                    "'/*'".to_string(),
                                    "a comment closed by '*/'",
                                ));
                            }
                        }
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    fn next_kind(&mut self) -> Result<Option<TokenKind>, ParseError> {
        let start = self.position();
        let Some(c) = self.peek(0) else {
            return Ok(None);
        };
        let next = self.peek(1);
        let kind = match c {
            '"' | '\'' => self.string(c)?,
            '?' if matches!(next, Some('"' | '\'')) => {
                self.bump();
                self.raw_string()?
            }
            '`' => self.escaped_ident()?,
            c if c.is_ascii_digit() => self.number()?,
            '.' if next.is_some_and(|n| n.is_ascii_digit()) => self.number()?,
            c if c.is_alphabetic() || c == '_' || c == '@' => self.ident(),
            _ => {
                let (kind, width) = match (c, next) {
                    ('=', Some('=')) => (TokenKind::EqEq, 2),
                    ('!', Some('=')) => (TokenKind::NotEq, 2),
                    ('<', Some('=')) => (TokenKind::Le, 2),
                    ('>', Some('=')) => (TokenKind::Ge, 2),
                    ('=', _) => (TokenKind::Assign, 1),
                    ('<', _) => (TokenKind::Lt, 1),
                    ('>', _) => (TokenKind::Gt, 1),
                    ('(', _) => (TokenKind::LParen, 1),
                    (')', _) => (TokenKind::RParen, 1),
                    ('[', _) => (TokenKind::LBracket, 1),
                    (']', _) => (TokenKind::RBracket, 1),
                    (',', _) => (TokenKind::Comma, 1),
                    ('.', _) => (TokenKind::Dot, 1),
                    ('|', _) => (TokenKind::Pipe, 1),
                    (':', _) => (TokenKind::Colon, 1),
                    ('+', _) => (TokenKind::Plus, 1),
                    ('-', _) => (TokenKind::Minus, 1),
                    ('*', _) => (TokenKind::Star, 1),
                    ('/', _) => (TokenKind::Slash, 1),
                    ('%', _) => (TokenKind::Percent, 1),
                    _ => {
                        return Err(self.error(start, format!("'{c}'"), "a token"));
                    }
                };
                for _ in 0..width {
                    self.bump();
                }
                kind
            }
        };
        Ok(Some(kind))
    }

    fn ident(&mut self) -> TokenKind {
        let mut name = String::new();
        while let Some(c) = self.peek(0) {
            if c.is_alphanumeric() || c == '_' || c == '@' {
                name.push(c);
                self.bump();
            } else {
                break;
            }
        }
        // `like~`, `regex~`, `in~` and `startsWith~`-style calls mark case-insensitive forms;
        // the tilde belongs to the word because no EQL operator starts with `~`.
        if self.peek(0) == Some('~') {
            self.bump();
            name.push('~');
        }
        TokenKind::Ident(name)
    }

    fn escaped_ident(&mut self) -> Result<TokenKind, ParseError> {
        let start = self.position();
        self.bump();
        let mut name = String::new();
        loop {
            match self.bump() {
                // A doubled backtick stands for one literal backtick inside the name.
                Some('`') if self.peek(0) == Some('`') => {
                    self.bump();
                    name.push('`');
                }
                Some('`') => return Ok(TokenKind::EscapedIdent(name)),
                Some('\n') | None => {
                    return Err(self.error(start, "'`'".to_string(), "a closing '`'"));
                }
                Some(c) => name.push(c),
            }
        }
    }

    fn raw_string(&mut self) -> Result<TokenKind, ParseError> {
        let start = self.position();
        let quote = self.bump().unwrap_or('"');
        let mut text = String::new();
        loop {
            match self.bump() {
                Some(c) if c == quote => return Ok(TokenKind::Str(text)),
                Some('\n') | None => {
                    return Err(self.error(start, format!("'{quote}'"), "a closing quote"));
                }
                Some(c) => text.push(c),
            }
        }
    }

    fn string(&mut self, quote: char) -> Result<TokenKind, ParseError> {
        let start = self.position();
        if quote == '"' && self.peek(1) == Some('"') && self.peek(2) == Some('"') {
            return self.triple_quoted(start);
        }
        self.bump();
        let mut text = String::new();
        loop {
            match self.bump() {
                Some(c) if c == quote => return Ok(TokenKind::Str(text)),
                Some('\\') => {
                    let escape_at = self.position();
                    let escaped = match self.bump() {
                        Some('n') => '\n',
                        Some('t') => '\t',
                        Some('r') => '\r',
                        Some('b') => '\u{8}',
                        Some('f') => '\u{c}',
                        Some('0') => '\0',
                        Some(c @ ('"' | '\'' | '\\' | '`')) => c,
                        Some(c) => {
                            return Err(self.error(
                                escape_at,
                                format!("'\\{c}'"),
                                "an escape such as \\n, \\t, \\\" or \\\\ (use ?\"...\" for raw text)",
                            ));
                        }
                        None => break,
                    };
                    text.push(escaped);
                }
                Some('\n') | None => break,
                Some(c) => text.push(c),
            }
        }
        Err(self.error(
            start,
            format!("'{quote}'"),
            "a closing quote on the same line",
        ))
    }

    fn triple_quoted(&mut self, start: Position) -> Result<TokenKind, ParseError> {
        for _ in 0..3 {
            self.bump();
        }
        let mut text = String::new();
        loop {
            if self.peek(0) == Some('"') && self.peek(1) == Some('"') && self.peek(2) == Some('"') {
                for _ in 0..3 {
                    self.bump();
                }
                return Ok(TokenKind::Str(text));
            }
            match self.bump() {
                Some(c) => text.push(c),
                None => {
                    return Err(self.error(start, "'\"\"\"'".to_string(), "a closing '\"\"\"'"));
                }
            }
        }
    }

    fn number(&mut self) -> Result<TokenKind, ParseError> {
        let start = self.position();
        let mut text = String::new();
        let mut is_float = false;
        while let Some(c) = self.peek(0) {
            if c.is_ascii_digit() {
                text.push(c);
            } else if c == '.' && !is_float && self.peek(1).is_some_and(|n| n.is_ascii_digit()) {
                is_float = true;
                text.push(c);
            } else if c == '.' && !is_float && !text.is_empty() {
                // `1.` is a float, as in the reference grammar.
                is_float = true;
                text.push(c);
                self.bump();
                break;
            } else {
                break;
            }
            self.bump();
        }
        if matches!(self.peek(0), Some('e' | 'E'))
            && (self.peek(1).is_some_and(|c| c.is_ascii_digit())
                || (matches!(self.peek(1), Some('+' | '-'))
                    && self.peek(2).is_some_and(|c| c.is_ascii_digit())))
        {
            is_float = true;
            text.push('e');
            self.bump();
            if let Some(sign @ ('+' | '-')) = self.peek(0) {
                text.push(sign);
                self.bump();
            }
            while let Some(c) = self.peek(0).filter(char::is_ascii_digit) {
                text.push(c);
                self.bump();
            }
        }
        if self.peek(0).is_some_and(|c| c.is_alphabetic()) {
            return self.duration(start, &text, is_float);
        }
        if is_float {
            return text
                .parse::<f64>()
                .ok()
                .filter(|value| value.is_finite())
                .map(TokenKind::Float)
                .ok_or_else(|| self.error(start, format!("'{text}'"), "a finite number"));
        }
        text.parse::<i64>().map(TokenKind::Int).map_err(|_| {
            self.error(
                start,
                format!("'{text}'"),
                "a whole number between -2^63 and 2^63-1",
            )
        })
    }

    fn duration(
        &mut self,
        start: Position,
        digits: &str,
        is_float: bool,
    ) -> Result<TokenKind, ParseError> {
        let mut unit = String::new();
        while let Some(c) = self.peek(0).filter(|c| c.is_alphanumeric() || *c == '_') {
            unit.push(c);
            self.bump();
        }
        let found = format!("'{digits}{unit}'");
        let expected = "a duration such as 100ms, 30s, 5m, 1h or 2d";
        let Some((_, scale)) = DURATION_UNITS.iter().find(|(name, _)| *name == unit) else {
            return Err(self.error(start, found, expected));
        };
        if is_float {
            return Err(self.error(start, found, "a duration with a whole number"));
        }
        digits
            .parse::<i64>()
            .ok()
            .and_then(|count| count.checked_mul(*scale))
            .map(TokenKind::Duration)
            .ok_or_else(|| self.error(start, found, "a duration shorter than 292 years"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(source: &str) -> Vec<TokenKind> {
        tokenize(source)
            .unwrap()
            .into_iter()
            .map(|token| token.kind)
            .collect()
    }

    #[test]
    fn lexes_operators_and_words() {
        assert_eq!(
            kinds("a.b == 1 and c != 2.5 like~ x"),
            vec![
                TokenKind::Ident("a".into()),
                TokenKind::Dot,
                TokenKind::Ident("b".into()),
                TokenKind::EqEq,
                TokenKind::Int(1),
                TokenKind::Ident("and".into()),
                TokenKind::Ident("c".into()),
                TokenKind::NotEq,
                TokenKind::Float(2.5),
                TokenKind::Ident("like~".into()),
                TokenKind::Ident("x".into()),
                TokenKind::Eof,
            ]
        );
    }

    #[test]
    fn lexes_string_forms() {
        assert_eq!(kinds(r#""a\n\"b\\""#)[0], TokenKind::Str("a\n\"b\\".into()));
        assert_eq!(kinds(r"'it\'s'")[0], TokenKind::Str("it's".into()));
        assert_eq!(
            kinds(r#"?"C:\temp\x""#)[0],
            TokenKind::Str(r"C:\temp\x".into())
        );
        assert_eq!(kinds(r"?'\d+'")[0], TokenKind::Str(r"\d+".into()));
        assert_eq!(
            kinds("\"\"\"raw \\n \"quoted\" \"\"\"")[0],
            TokenKind::Str("raw \\n \"quoted\" ".into())
        );
        assert_eq!(kinds("\"*.exe\"")[0], TokenKind::Str("*.exe".into()));
    }

    #[test]
    fn lexes_durations_and_numbers() {
        assert_eq!(kinds("5m")[0], TokenKind::Duration(300_000_000_000));
        assert_eq!(kinds("100ms")[0], TokenKind::Duration(100_000_000));
        assert_eq!(kinds("2d")[0], TokenKind::Duration(172_800_000_000_000));
        assert_eq!(kinds(".5")[0], TokenKind::Float(0.5));
        assert_eq!(kinds("1e3")[0], TokenKind::Float(1000.0));
    }

    #[test]
    fn lexes_escaped_identifiers() {
        assert_eq!(
            kinds("`my field`")[0],
            TokenKind::EscapedIdent("my field".into())
        );
        assert_eq!(kinds("`a``b`")[0], TokenKind::EscapedIdent("a`b".into()));
    }

    #[test]
    fn tracks_line_and_column() {
        let tokens = tokenize("a\n  == b").unwrap();
        assert_eq!(tokens[1].position, Position { line: 2, column: 3 });
        assert_eq!(tokens[1].width, 2);
    }

    #[test]
    fn rejects_bad_input_without_panicking() {
        for source in [
            "\"open",
            "'\\q'",
            "99999999999999999999",
            "5years",
            "9999999999999999d",
            "`open",
            "/* open",
            "#",
            "1e999",
        ] {
            assert!(tokenize(source).is_err(), "{source}");
        }
    }
}
