//! Text for human output: names that come from files (aliases, subjects, file names) may hold
//! control characters (NUL, newline, ESC sequences); [`escape`] shows them as `\n`, `\x1b`,
//! ..., as ripgrep and `ls` do, so they cannot forge lines or drive the terminal. JSON output
//! escapes them already.

use std::borrow::Cow;
use std::fmt::Write as _;

/// `text` with every control character escaped (`\n`, `\r`, `\t`, `\0`, `\xHH` for the other
/// C0 characters and DEL, `\u{HH}` for C1); borrowed when there is none.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\0' => out.push_str("\\0"),
            c if (c as u32) < 0x80 && c.is_control() => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn control_characters_are_escaped_and_the_rest_is_kept() {
        assert_eq!(escape("plain-ÄÖ"), "plain-ÄÖ");
        assert!(matches!(escape("plain"), std::borrow::Cow::Borrowed(_)));
        assert_eq!(
            escape("a\nb\0c\x1b[31md\u{7f}\u{85}\t"),
            "a\\nb\\0c\\x1b[31md\\x7f\\u{85}\\t"
        );
    }
}
