//! SMTP replies as values: code, enhanced status code, text. Formatted
//! here rather than by smtp-proto (whose writer adds `0.0.0` codes).

use std::fmt;

/// One SMTP reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// Basic code, e.g. 550.
    pub code: u16,
    /// Enhanced status code, e.g. "5.7.1" (empty for 220/221/354 and the EHLO list).
    pub enhanced: String,
    /// Text; several lines make a multi-line reply.
    pub lines: Vec<String>,
}

impl Reply {
    /// A reply with an enhanced code.
    pub fn new(code: u16, enhanced: &str, text: impl Into<String>) -> Self {
        Reply { code, enhanced: enhanced.to_owned(), lines: vec![text.into()] }
    }

    /// A reply without an enhanced code (greeting, 354, 221).
    pub fn plain(code: u16, text: impl Into<String>) -> Self {
        Reply { code, enhanced: String::new(), lines: vec![text.into()] }
    }

    /// Whether it is 4xx or 5xx.
    pub fn is_error(&self) -> bool {
        self.code >= 400
    }

    /// The wire form, CRLF-terminated.
    pub fn to_wire(&self) -> Vec<u8> {
        self.to_string().into_bytes()
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.lines.len().max(1);
        for i in 0..n {
            let sep = if i + 1 < n { '-' } else { ' ' };
            let text = self.lines.get(i).map(String::as_str).unwrap_or("");
            if self.enhanced.is_empty() {
                write!(f, "{}{sep}{text}\r\n", self.code)?;
            } else {
                write!(f, "{}{sep}{} {text}\r\n", self.code, self.enhanced)?;
            }
        }
        Ok(())
    }
}

/// Keeps a text safe to put into a reply: printable ASCII, one line, bounded.
pub fn sanitise(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { ' ' })
        .take(200)
        .collect::<String>()
        .trim()
        .to_owned()
}
