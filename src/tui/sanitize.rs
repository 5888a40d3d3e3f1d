//! Sanitizing of untrusted text before it reaches the terminal.
//!
//! Field values and raw records come from the logs under investigation, so an attacker may have
//! written them. An escape sequence or a bidirectional override in that text could move the
//! cursor, recolor or retitle the analyst's terminal, or make text read differently from what it
//! is. Every string from the store passes through [`sanitize`] (one line) or [`sanitize_lines`]
//! (a multi-line raw record) before the views draw it.

use std::borrow::Cow;

/// Spaces that replace one tab in [`sanitize_lines`], so raw records keep their indentation.
const TAB_SPACES: &str = "    ";

/// Replaces every character that could drive the terminal or hide text with a visible placeholder.
///
/// - C0 controls (U+0000–U+001F, including ESC, tab, CR and LF) become their Unicode control
///   picture, such as `␛` for ESC and `␊` for LF.
/// - DEL (U+007F) becomes `␡`.
/// - C1 controls (U+0080–U+009F), bidirectional marks and overrides, zero-width characters, the
///   line and paragraph separators and the byte-order mark become `<U+XXXX>`.
///
/// Returns the input unchanged, without allocating, when it contains none of these.
pub fn sanitize(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        push_safe(&mut out, c);
    }
    Cow::Owned(out)
}

/// Splits a multi-line text into sanitized lines: LF ends a line, a CR before it is dropped, and
/// tabs become spaces. Every other unsafe character is replaced as [`sanitize`] does.
pub fn sanitize_lines(text: &str) -> Vec<String> {
    text.split('\n')
        .map(|line| {
            let line = line.strip_suffix('\r').unwrap_or(line);
            let mut out = String::with_capacity(line.len());
            for c in line.chars() {
                if c == '\t' {
                    out.push_str(TAB_SPACES);
                } else {
                    push_safe(&mut out, c);
                }
            }
            out
        })
        .collect()
}

fn push_safe(out: &mut String, c: char) {
    let code = u32::from(c);
    if code < 0x20 {
        // The Control Pictures block mirrors C0 in order, starting at U+2400 for NUL.
        out.push(char::from_u32(0x2400 + code).unwrap_or('?'));
    } else if code == 0x7f {
        out.push('\u{2421}');
    } else if is_unsafe(c) {
        out.push_str(&format!("<U+{code:04X}>"));
    } else {
        out.push(c);
    }
}

fn is_unsafe(c: char) -> bool {
    matches!(
        c,
        '\u{0000}'..='\u{001f}'
            | '\u{007f}'..='\u{009f}'
            // Arabic letter mark, and the left-to-right and right-to-left marks.
            | '\u{061c}'
            | '\u{200e}'
            | '\u{200f}'
            // Zero-width space, non-joiner and joiner.
            | '\u{200b}'..='\u{200d}'
            // Line and paragraph separators, which some terminals treat as line breaks.
            | '\u{2028}'
            | '\u{2029}'
            // Bidirectional embeddings, overrides and isolates.
            | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}'
            | '\u{feff}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed() {
        let text = "cmd.exe /c whoami — ünïcödé 日本";
        assert!(matches!(sanitize(text), Cow::Borrowed(_)));
        assert_eq!(sanitize(text), text);
    }

    #[test]
    fn escape_sequences_are_neutralized() {
        let hostile = "\u{1b}[2J\u{1b}]0;pwned\u{7}title";
        let clean = sanitize(hostile);
        assert!(!clean.contains('\u{1b}'));
        assert!(!clean.contains('\u{7}'));
        assert_eq!(clean, "␛[2J␛]0;pwned␇title");
    }

    #[test]
    fn c1_controls_are_replaced() {
        // U+009B is the single-character CSI that some terminals still honor.
        let clean = sanitize("a\u{9b}31mb\u{85}c");
        assert_eq!(clean, "a<U+009B>31mb<U+0085>c");
    }

    #[test]
    fn del_and_nul_are_replaced() {
        assert_eq!(sanitize("a\u{7f}b\u{0}c"), "a␡b␀c");
    }

    #[test]
    fn bidi_overrides_are_replaced() {
        let clean = sanitize("invoice\u{202e}fdp.exe");
        assert_eq!(clean, "invoice<U+202E>fdp.exe");
        let isolates = sanitize("\u{2066}x\u{2069}\u{200f}");
        assert_eq!(isolates, "<U+2066>x<U+2069><U+200F>");
    }

    #[test]
    fn zero_width_and_separators_are_replaced() {
        assert_eq!(sanitize("a\u{200b}b"), "a<U+200B>b");
        assert_eq!(sanitize("a\u{2028}b"), "a<U+2028>b");
        assert_eq!(sanitize("\u{feff}x"), "<U+FEFF>x");
    }

    #[test]
    fn newlines_are_visible_in_one_line() {
        assert_eq!(sanitize("a\r\nb\tc"), "a␍␊b␉c");
    }

    #[test]
    fn lines_split_and_expand_tabs() {
        let lines = sanitize_lines("<a>\r\n\t<b>\u{1b}[1m</b>\n</a>");
        assert_eq!(lines, vec!["<a>", "    <b>␛[1m</b>", "</a>"]);
    }

    #[test]
    fn lines_keep_lone_cr_visible() {
        // A CR inside a line would return the cursor and let later text overwrite earlier text.
        let lines = sanitize_lines("safe\rEVIL");
        assert_eq!(lines, vec!["safe␍EVIL"]);
    }

    #[test]
    fn every_control_char_is_replaced() {
        for code in (0u32..0x20).chain(0x7f..0xa0) {
            let c = char::from_u32(code).unwrap_or('x');
            let clean = sanitize(&c.to_string()).into_owned();
            assert!(
                !clean.chars().any(is_unsafe),
                "U+{code:04X} survived as {clean:?}"
            );
        }
    }
}
