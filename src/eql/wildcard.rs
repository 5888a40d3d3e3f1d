//! Wildcard patterns: `*` matches any run of characters, and `?` (where enabled) one character.

/// Compares two characters, folding case when `case_insensitive` is set.
fn chars_equal(a: char, b: char, case_insensitive: bool) -> bool {
    a == b || (case_insensitive && a.to_lowercase().eq(b.to_lowercase()))
}

/// Tests whether all of `text` matches `pattern`.
///
/// `question_mark` makes `?` match exactly one character; the legacy `==` form leaves it a
/// literal `?`. Runs in O(len(text) * len(pattern)) time in the worst case, never worse, because
/// it backtracks only to the most recent `*`.
pub fn wildcard_match(
    text: &str,
    pattern: &str,
    case_insensitive: bool,
    question_mark: bool,
) -> bool {
    // Positions are byte offsets at character boundaries, so nothing is copied.
    let next = |s: &str, at: usize| s.get(at..).and_then(|rest| rest.chars().next());
    let (mut t, mut p) = (0, 0);
    let mut last_star: Option<(usize, usize)> = None;
    while let Some(c) = next(text, t) {
        match next(pattern, p) {
            Some('*') => {
                last_star = Some((p, t));
                p += 1;
            }
            Some('?') if question_mark => {
                t += c.len_utf8();
                p += 1;
            }
            Some(wanted) if chars_equal(wanted, c, case_insensitive) => {
                t += c.len_utf8();
                p += wanted.len_utf8();
            }
            _ => match last_star {
                // Let the last `*` absorb one more character and retry from there.
                Some((star_p, star_t)) => {
                    let absorbed = next(text, star_t).map_or(1, char::len_utf8);
                    p = star_p + 1;
                    t = star_t + absorbed;
                    last_star = Some((star_p, t));
                }
                None => return false,
            },
        }
    }
    pattern
        .get(p..)
        .is_some_and(|rest| rest.chars().all(|c| c == '*'))
}

#[cfg(test)]
mod tests {
    use super::wildcard_match;

    #[test]
    fn matches_stars_and_question_marks() {
        let cases = [
            ("cmd.exe", "*.exe", true),
            ("cmd.exe", "cmd*", true),
            ("cmd.exe", "*", true),
            ("", "*", true),
            ("", "", true),
            ("a", "", false),
            ("cmd.exe", "c?d.exe", true),
            ("cmd.exe", "c?.exe", false),
            ("abcabd", "*ab?", true),
            ("C:\\Windows\\x", "*\\windows\\*", true),
            ("net1 user", "*%*", false),
            ("%a%", "*%*%*", true),
            ("äöü.exe", "*ö?.EXE", true),
            ("日本語", "日?語", true),
            ("日本語", "*語*", true),
            ("日本", "日?語", false),
        ];
        for (text, pattern, expected) in cases {
            assert_eq!(
                wildcard_match(text, pattern, true, true),
                expected,
                "{text} {pattern}"
            );
        }
    }

    #[test]
    fn case_sensitivity_is_optional() {
        assert!(wildcard_match("CMD.EXE", "cmd.*", true, true));
        assert!(!wildcard_match("CMD.EXE", "cmd.*", false, true));
    }

    #[test]
    fn question_mark_can_be_literal() {
        assert!(!wildcard_match("ab", "a?", true, false));
        assert!(wildcard_match("a?", "a?", true, false));
    }
}
