//! The `condition` of a Sigma rule: `and`, `or`, `not`, parentheses, `1 of` and `all of` a
//! pattern or `them`.
//!
//! Precedence follows the specification, from loosest to tightest: `or`, `and`, `not`,
//! `x of`, parentheses. Names resolve to selection indexes when parsed, so evaluation never
//! looks a name up.

/// A parsed condition over selections numbered by their order in the rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Condition {
    /// One selection.
    Selection(usize),
    /// The negation.
    Not(Box<Condition>),
    /// Every operand holds.
    And(Vec<Condition>),
    /// At least one operand holds.
    Or(Vec<Condition>),
    /// At least one of the selections is true (`1 of`).
    AnyOf(Vec<usize>),
    /// Every one of the selections is true (`all of`).
    AllOf(Vec<usize>),
}

/// The reason a condition could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConditionError {
    /// Valid in an older Sigma, such as the `| count()` aggregation or `near`, but not
    /// supported; correlation rules replace them.
    Unsupported(String),
    /// Not a valid condition.
    Invalid(String),
}

impl std::fmt::Display for ConditionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConditionError::Unsupported(message) | ConditionError::Invalid(message) => {
                f.write_str(message)
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Word(String),
    Open,
    Close,
    Pipe,
}

fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut word = String::new();
    let flush = |word: &mut String, tokens: &mut Vec<Token>| {
        if !word.is_empty() {
            tokens.push(Token::Word(std::mem::take(word)));
        }
    };
    for c in text.chars() {
        match c {
            '(' | ')' | '|' => {
                flush(&mut word, &mut tokens);
                tokens.push(match c {
                    '(' => Token::Open,
                    ')' => Token::Close,
                    _ => Token::Pipe,
                });
            }
            c if c.is_whitespace() => flush(&mut word, &mut tokens),
            c => word.push(c),
        }
    }
    flush(&mut word, &mut tokens);
    tokens
}

/// Returns whether `name` matches a selection pattern in which `*` stands for any run of characters.
pub fn pattern_matches(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let mut rest = name;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(after) = rest.strip_prefix(part) else {
                return false;
            };
            rest = after;
        } else if i == parts.len() - 1 {
            return rest.len() >= part.len() && rest.ends_with(part);
        } else {
            let Some((_, after)) = rest.split_once(part) else {
                return false;
            };
            rest = after;
        }
    }
    true
}

/// The deepest nesting of parentheses and `not` that a condition may have. The parser and
/// the evaluator recurse once per level, so a hostile rule could otherwise overflow the stack.
const MAX_NESTING: usize = 64;

struct Parser<'a> {
    tokens: Vec<Token>,
    position: usize,
    names: &'a [String],
    /// The parentheses and `not` open at `position`.
    depth: usize,
}

impl Parser<'_> {
    /// Enters one level of parentheses or `not`, failing past [`MAX_NESTING`].
    fn enter(&mut self) -> Result<(), ConditionError> {
        if self.depth >= MAX_NESTING {
            return Err(ConditionError::Invalid(format!(
                "the condition nests parentheses and 'not' deeper than {MAX_NESTING} levels"
            )));
        }
        self.depth = self.depth.saturating_add(1);
        Ok(())
    }

    fn peek_word(&self) -> Option<&str> {
        match self.tokens.get(self.position) {
            Some(Token::Word(word)) => Some(word),
            _ => None,
        }
    }

    fn or(&mut self) -> Result<Condition, ConditionError> {
        let mut operands = vec![self.and()?];
        while self.peek_word() == Some("or") {
            self.position += 1;
            operands.push(self.and()?);
        }
        Ok(if operands.len() == 1 {
            operands.remove(0)
        } else {
            Condition::Or(operands)
        })
    }

    fn and(&mut self) -> Result<Condition, ConditionError> {
        let mut operands = vec![self.not()?];
        while self.peek_word() == Some("and") {
            self.position += 1;
            operands.push(self.not()?);
        }
        Ok(if operands.len() == 1 {
            operands.remove(0)
        } else {
            Condition::And(operands)
        })
    }

    fn not(&mut self) -> Result<Condition, ConditionError> {
        if self.peek_word() == Some("not") {
            self.position += 1;
            self.enter()?;
            let inner = self.not();
            self.depth = self.depth.saturating_sub(1);
            return Ok(Condition::Not(Box::new(inner?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Condition, ConditionError> {
        let token = self.tokens.get(self.position).cloned();
        self.position += 1;
        match token {
            None => Err(ConditionError::Invalid(
                "the condition ends where a selection was expected".to_owned(),
            )),
            Some(Token::Open) => {
                self.enter()?;
                let inner = self.or();
                self.depth = self.depth.saturating_sub(1);
                let inner = inner?;
                match self.tokens.get(self.position) {
                    Some(Token::Close) => {
                        self.position += 1;
                        Ok(inner)
                    }
                    _ => Err(ConditionError::Invalid("a ')' is missing".to_owned())),
                }
            }
            Some(Token::Close) => Err(ConditionError::Invalid("unexpected ')'".to_owned())),
            Some(Token::Pipe) => Err(aggregation()),
            Some(Token::Word(word)) => match word.as_str() {
                "and" | "or" => Err(ConditionError::Invalid(format!(
                    "'{word}' where a selection was expected"
                ))),
                "near" => Err(ConditionError::Unsupported(
                    "the 'near' operator is obsolete; use a temporal correlation rule".to_owned(),
                )),
                "1" | "all" | "any" if self.peek_word() == Some("of") => {
                    self.position += 1;
                    let target = match self.tokens.get(self.position) {
                        Some(Token::Word(target)) => target.clone(),
                        _ => {
                            return Err(ConditionError::Invalid(format!(
                                "'{word} of' must be followed by a pattern or 'them'"
                            )));
                        }
                    };
                    self.position += 1;
                    let selected = self.select(&target)?;
                    Ok(if word == "all" {
                        Condition::AllOf(selected)
                    } else {
                        Condition::AnyOf(selected)
                    })
                }
                _ if self.peek_word() == Some("of") => Err(ConditionError::Unsupported(format!(
                    "'{word} of' is not supported; only '1 of' and 'all of' are"
                ))),
                name => self
                    .names
                    .iter()
                    .position(|n| n == name)
                    .map(Condition::Selection)
                    .ok_or_else(|| {
                        ConditionError::Invalid(format!("'{name}' is not a selection of this rule"))
                    }),
            },
        }
    }

    /// Resolves `them` or a pattern to selection indexes; `them` leaves out names starting
    /// with `_`, as the specification requires.
    fn select(&self, target: &str) -> Result<Vec<usize>, ConditionError> {
        let selected: Vec<usize> = self
            .names
            .iter()
            .enumerate()
            .filter(|(_, name)| {
                if target == "them" {
                    !name.starts_with('_')
                } else {
                    pattern_matches(target, name)
                }
            })
            .map(|(i, _)| i)
            .collect();
        if selected.is_empty() {
            return Err(ConditionError::Invalid(format!(
                "'{target}' matches no selection of this rule"
            )));
        }
        Ok(selected)
    }
}

fn aggregation() -> ConditionError {
    ConditionError::Unsupported(
        "aggregations after '|' are obsolete; use a correlation rule".to_owned(),
    )
}

/// Parses one condition; `names` are the rule's selection names in order.
pub fn parse(text: &str, names: &[String]) -> Result<Condition, ConditionError> {
    let tokens = tokenize(text);
    if tokens.iter().any(|t| *t == Token::Word("near".to_owned())) {
        return Err(ConditionError::Unsupported(
            "the 'near' operator is obsolete; use a temporal correlation rule".to_owned(),
        ));
    }
    if tokens.is_empty() {
        return Err(ConditionError::Invalid("the condition is empty".to_owned()));
    }
    let mut parser = Parser {
        tokens,
        position: 0,
        names,
        depth: 0,
    };
    let condition = parser.or()?;
    match parser.tokens.get(parser.position) {
        None => Ok(condition),
        Some(Token::Pipe) => Err(aggregation()),
        Some(token) => Err(ConditionError::Invalid(format!(
            "unexpected {} after a complete condition",
            match token {
                Token::Word(word) => format!("'{word}'"),
                Token::Open => "'('".to_owned(),
                Token::Close => "')'".to_owned(),
                Token::Pipe => "'|'".to_owned(),
            }
        ))),
    }
}

impl Condition {
    /// Evaluates the condition; `selection` returns whether a selection matches.
    pub fn eval(&self, selection: &mut dyn FnMut(usize) -> bool) -> bool {
        match self {
            Condition::Selection(index) => selection(*index),
            Condition::Not(inner) => !inner.eval(selection),
            Condition::And(operands) => operands.iter().all(|c| c.eval(selection)),
            Condition::Or(operands) => operands.iter().any(|c| c.eval(selection)),
            Condition::AnyOf(indexes) => indexes.iter().any(|&i| selection(i)),
            Condition::AllOf(indexes) => indexes.iter().all(|&i| selection(i)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    fn parsed(text: &str, list: &[&str]) -> Condition {
        match parse(text, &names(list)) {
            Ok(condition) => condition,
            Err(error) => panic!("{text}: {error}"),
        }
    }

    fn holds(condition: &Condition, true_selections: &[usize]) -> bool {
        condition.eval(&mut |i| true_selections.contains(&i))
    }

    #[test]
    fn single_selection() {
        assert_eq!(parsed("selection", &["selection"]), Condition::Selection(0));
    }

    #[test]
    fn precedence_or_and_not() {
        // a or b and not c  ==  a or (b and (not c))
        let condition = parsed("a or b and not c", &["a", "b", "c"]);
        assert_eq!(
            condition,
            Condition::Or(vec![
                Condition::Selection(0),
                Condition::And(vec![
                    Condition::Selection(1),
                    Condition::Not(Box::new(Condition::Selection(2)))
                ])
            ])
        );
        assert!(holds(&condition, &[0, 2]));
        assert!(holds(&condition, &[1]));
        assert!(!holds(&condition, &[1, 2]));
    }

    #[test]
    fn parentheses_group() {
        let condition = parsed("(a or b) and not c", &["a", "b", "c"]);
        assert!(holds(&condition, &[1]));
        assert!(!holds(&condition, &[0, 2]));
        assert!(!holds(&condition, &[2]));
        let nested = parsed("not ((a))", &["a"]);
        assert!(holds(&nested, &[]));
    }

    #[test]
    fn one_of_and_all_of_patterns() {
        let list = [
            "selection_img",
            "selection_cli",
            "filter_main",
            "filter_optional",
        ];
        let condition = parsed("all of selection_* and not 1 of filter_*", &list);
        assert_eq!(
            condition,
            Condition::And(vec![
                Condition::AllOf(vec![0, 1]),
                Condition::Not(Box::new(Condition::AnyOf(vec![2, 3])))
            ])
        );
        assert!(holds(&condition, &[0, 1]));
        assert!(!holds(&condition, &[0]));
        assert!(!holds(&condition, &[0, 1, 3]));
        let inner = parsed("1 of *_cli", &list);
        assert_eq!(inner, Condition::AnyOf(vec![1]));
    }

    #[test]
    fn them_skips_underscore_names() {
        let list = ["a", "_hidden", "b"];
        assert_eq!(parsed("1 of them", &list), Condition::AnyOf(vec![0, 2]));
        assert_eq!(parsed("all of them", &list), Condition::AllOf(vec![0, 2]));
    }

    #[test]
    fn x_of_binds_tighter_than_not() {
        let condition = parsed("not 1 of filter*", &["filter1", "filter2"]);
        assert_eq!(
            condition,
            Condition::Not(Box::new(Condition::AnyOf(vec![0, 1])))
        );
    }

    #[test]
    fn invalid_conditions() {
        let list = names(&["a", "b"]);
        for text in [
            "", "a and", "a b", "(a", "a)", "c", "1 of x*", "and a", "1 of",
        ] {
            assert!(
                matches!(parse(text, &list), Err(ConditionError::Invalid(_))),
                "{text}"
            );
        }
    }

    #[test]
    fn deep_nesting_is_invalid() {
        let list = names(&["a"]);
        let deep = format!("{}a{}", "(".repeat(100_000), ")".repeat(100_000));
        assert!(matches!(
            parse(&deep, &list),
            Err(ConditionError::Invalid(_))
        ));
        let negations = format!("{}a", "not ".repeat(100_000));
        assert!(matches!(
            parse(&negations, &list),
            Err(ConditionError::Invalid(_))
        ));
        let allowed = format!("{}a{}", "(".repeat(64), ")".repeat(64));
        assert_eq!(parse(&allowed, &list), Ok(Condition::Selection(0)));
    }

    #[test]
    fn obsolete_forms_are_unsupported() {
        let list = names(&["a", "b"]);
        for text in ["a | count() > 5", "a | near b", "a near b", "2 of them"] {
            assert!(
                matches!(parse(text, &list), Err(ConditionError::Unsupported(_))),
                "{text}"
            );
        }
    }

    #[test]
    fn patterns() {
        assert!(pattern_matches("sel*", "selection"));
        assert!(pattern_matches("*tion", "selection"));
        assert!(pattern_matches("s*l*n", "selection"));
        assert!(!pattern_matches("sel*x", "selection"));
        assert!(pattern_matches("*", "x"));
        assert!(!pattern_matches("a*a", "a"));
    }
}
