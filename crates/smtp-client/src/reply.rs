//! SMTP replies (RFC 5321 §4.2): the three-digit code, the enhanced status
//! code (RFC 3463) when the server gives one, and the text lines; parsing
//! of reply lines; and `sanitise`, which makes a server's text safe to
//! show (printable ASCII, bounded).

use std::fmt;

/// The longest text [`sanitise`] keeps, in characters.
pub const MAX_TEXT: usize = 400;

/// An enhanced status code `class.subject.detail` (RFC 3463), e.g. `5.7.8`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EnhancedCode {
    /// 2, 4 or 5.
    pub class: u8,
    /// The subject (0..=999).
    pub subject: u16,
    /// The detail (0..=999).
    pub detail: u16,
}

impl EnhancedCode {
    /// Parses `x.y.z` (class 2, 4 or 5; subject and detail of 1 to 3 digits).
    pub fn parse(s: &str) -> Option<EnhancedCode> {
        let mut parts = s.split('.');
        let (class, subject, detail) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let number = |p: &str| {
            if (1..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()) {
                p.parse::<u16>().ok()
            } else {
                None
            }
        };
        let class = match class {
            "2" => 2,
            "4" => 4,
            "5" => 5,
            _ => return None,
        };
        Some(EnhancedCode { class, subject: number(subject)?, detail: number(detail)? })
    }
}

impl fmt::Display for EnhancedCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

/// One reply of the server, possibly of several lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    code: u16,
    enhanced: Option<EnhancedCode>,
    lines: Vec<String>,
}

impl Reply {
    /// A reply made of its parts (tests, and replies synthesised by a caller).
    pub fn new(code: u16, lines: Vec<String>) -> Reply {
        let enhanced = lines.first().and_then(|l| leading_enhanced(code, l));
        Reply { code, enhanced, lines }
    }

    /// The three-digit code.
    pub fn code(&self) -> u16 {
        self.code
    }

    /// The enhanced status code of the first line, if it carries one of the reply's class.
    pub fn enhanced(&self) -> Option<EnhancedCode> {
        self.enhanced
    }

    /// The same reply without its text: the code and the enhanced code
    /// (`535 5.7.8`), for a server whose words must not be passed on.
    pub fn codes_only(&self) -> Reply {
        Reply {
            code: self.code,
            enhanced: self.enhanced,
            lines: self.enhanced.map(|e| e.to_string()).into_iter().collect(),
        }
    }

    /// The text lines as received (after the code and separator).
    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    /// 2xx.
    pub fn is_positive(&self) -> bool {
        (200..300).contains(&self.code)
    }

    /// 3xx (354 to DATA, 334 to AUTH).
    pub fn is_intermediate(&self) -> bool {
        (300..400).contains(&self.code)
    }

    /// 4xx: try again later.
    pub fn is_transient(&self) -> bool {
        (400..500).contains(&self.code)
    }

    /// 5xx: refused for good.
    pub fn is_permanent(&self) -> bool {
        (500..600).contains(&self.code)
    }

    /// The text of every line joined by a space, each line without its
    /// leading enhanced code, sanitised (printable ASCII, at most [`MAX_TEXT`]).
    pub fn text(&self) -> String {
        let joined = self
            .lines
            .iter()
            .map(|l| match (self.enhanced, l.split_once(' ')) {
                (Some(e), Some((first, rest))) if EnhancedCode::parse(first) == Some(e) => rest,
                (Some(e), None) if EnhancedCode::parse(l) == Some(e) => "",
                _ => l.as_str(),
            })
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        sanitise(&joined)
    }
}

impl fmt::Display for Reply {
    /// `550 5.1.1 text`, sanitised.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code)?;
        if let Some(e) = self.enhanced {
            write!(f, " {e}")?;
        }
        let text = self.text();
        if !text.is_empty() {
            write!(f, " {text}")?;
        }
        Ok(())
    }
}

fn leading_enhanced(code: u16, line: &str) -> Option<EnhancedCode> {
    let first = line.split(' ').next()?;
    EnhancedCode::parse(first).filter(|e| u16::from(e.class) == code / 100)
}

/// One parsed reply line: code, whether more lines follow, text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ReplyLine {
    pub(crate) code: u16,
    pub(crate) more: bool,
    pub(crate) text: String,
}

/// Parses `ddd text`, `ddd-text` or `ddd` (CRLF already removed).
pub(crate) fn parse_line(line: &[u8]) -> Option<ReplyLine> {
    let digits = line.get(..3)?;
    if !digits.iter().all(u8::is_ascii_digit) || !(b'2'..=b'5').contains(&digits[0]) {
        return None;
    }
    let code = digits.iter().fold(0u16, |n, d| n * 10 + u16::from(d - b'0'));
    let (more, text) = match line.get(3) {
        None => (false, &[][..]),
        Some(b' ') => (false, &line[4..]),
        Some(b'-') => (true, &line[4..]),
        Some(_) => return None,
    };
    Some(ReplyLine { code, more, text: String::from_utf8_lossy(text).into_owned() })
}

/// Keeps printable ASCII (other characters become `?`, tabs and line
/// breaks a space), trims, and cuts at [`MAX_TEXT`] characters.
pub fn sanitise(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_TEXT + 3));
    for (n, c) in text.trim().chars().enumerate() {
        if n == MAX_TEXT {
            out.push_str("...");
            break;
        }
        out.push(match c {
            ' '..='~' => c,
            '\t' | '\r' | '\n' => ' ',
            _ => '?',
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_parse() {
        assert_eq!(parse_line(b"250-PIPELINING"), Some(ReplyLine { code: 250, more: true, text: "PIPELINING".into() }));
        assert_eq!(parse_line(b"250 OK"), Some(ReplyLine { code: 250, more: false, text: "OK".into() }));
        assert_eq!(parse_line(b"334"), Some(ReplyLine { code: 334, more: false, text: String::new() }));
        assert_eq!(parse_line(b"334 "), Some(ReplyLine { code: 334, more: false, text: String::new() }));
        assert_eq!(parse_line(b"25 OK"), None);
        assert_eq!(parse_line(b"250xOK"), None);
        assert_eq!(parse_line(b"650 OK"), None);
        assert_eq!(parse_line(b"hello"), None);
    }

    #[test]
    fn enhanced_codes_and_text() {
        let r = Reply::new(550, vec!["5.1.1 <x@y>: no such user".into(), "5.1.1 try again".into()]);
        assert_eq!(r.enhanced(), Some(EnhancedCode { class: 5, subject: 1, detail: 1 }));
        assert_eq!(r.text(), "<x@y>: no such user try again");
        assert_eq!(r.to_string(), "550 5.1.1 <x@y>: no such user try again");
        assert!(r.is_permanent() && !r.is_transient());
        // A code of another class is text, not an enhanced code.
        let r = Reply::new(451, vec!["5.1.1 odd".into()]);
        assert_eq!(r.enhanced(), None);
        assert_eq!(r.to_string(), "451 5.1.1 odd");
        assert!(r.is_transient());
        assert_eq!(EnhancedCode::parse("4.7.0").map(|e| e.to_string()).as_deref(), Some("4.7.0"));
        assert_eq!(EnhancedCode::parse("4.7"), None);
        assert_eq!(EnhancedCode::parse("4.7.0.1"), None);
        assert_eq!(EnhancedCode::parse("3.7.0"), None);
        assert_eq!(EnhancedCode::parse("4.7.1000"), None);
    }

    #[test]
    fn sanitise_bounds_and_cleans() {
        assert_eq!(sanitise("a\r\nb\u{7}c\u{e9}"), "a  b?c?");
        let long = sanitise(&"x".repeat(5000));
        assert_eq!(long.len(), MAX_TEXT + 3);
        assert!(long.ends_with("..."));
    }
}
