//! Strict reading of command lines before smtp-proto parses them (pure).
//!
//! smtp-proto is lenient: it accepts parameters the proxy never offered
//! (DSN, REQUIRETLS, ...), the same parameter twice, control characters
//! inside values, source routes, and arguments after verbs that take none.
//! What this module refuses never reaches a verb handler:
//!
//! - control characters (C0, DEL) anywhere in a command line: `501 5.5.2`;
//! - arguments after `STARTTLS`, `DATA`, `RSET`, `QUIT`: `501 5.5.4`;
//! - in `MAIL` and `RCPT`: a source route (`<@host:a@b>`, `501 5.1.7` /
//!   `501 5.1.3`), a parameter twice or malformed (`501 5.5.4`), a
//!   parameter the proxy does not offer (`555 5.5.4`), and a non-ASCII
//!   address without `SMTPUTF8` on MAIL (`553 5.6.7`, RFC 6531 §3.5).
//!
//! Offered MAIL parameters: `SIZE`, `BODY=7BIT|8BITMIME`, `SMTPUTF8`, and
//! `AUTH=` (RFC 4954, read and ignored). RCPT takes none. None of the
//! client's parameters is passed upstream as written: the relay sets its
//! own (SMTPUTF8 when the envelope needs it).

use sendas_message::reply::Reply;

/// Longest AUTH command or SASL response line, with its CRLF (RFC 4954 §4).
pub const SASL_LINE_MAX: usize = 12_288;

/// What the strict reading found out about a line that passed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Checked {
    /// MAIL carried `SMTPUTF8`.
    pub smtputf8: bool,
}

/// Checks a command line (with its CRLF). `smtputf8` says whether the
/// transaction's MAIL carried SMTPUTF8 (for RCPT).
pub(crate) fn check(line: &[u8], max_command_line: usize, smtputf8: bool) -> Result<Checked, Reply> {
    let body = line.strip_suffix(b"\r\n").unwrap_or(line);
    if body.iter().any(|&b| b < 0x20 || b == 0x7f) {
        return Err(Reply::new(501, "5.5.2", "Syntax error: control characters in the command line"));
    }
    let Ok(text) = std::str::from_utf8(body) else {
        return Err(Reply::new(501, "5.5.2", "Syntax error: the command line is not UTF-8"));
    };
    let (verb, args) = text.split_once(' ').unwrap_or((text, ""));
    let verb = verb.to_ascii_uppercase();
    if verb != "AUTH" && line.len() > max_command_line {
        return Err(Reply::new(500, "5.5.2", "Line too long"));
    }
    match verb.as_str() {
        "STARTTLS" | "DATA" | "RSET" | "QUIT" if !args.trim_matches(' ').is_empty() => {
            Err(Reply::new(501, "5.5.4", format!("Syntax error: {verb} takes no parameters")))
        }
        "MAIL" => mail(args),
        "RCPT" => rcpt(args, smtputf8),
        _ => Ok(Checked::default()),
    }
}

fn syntax(text: impl Into<String>) -> Reply {
    Reply::new(501, "5.5.4", text)
}

/// Splits `KEYWORD:<path> params` after the verb into the path (without brackets) and the parameters.
fn path_and_params<'a>(args: &'a str, keyword: &str) -> Result<(&'a str, &'a str), Reply> {
    let Some(rest) =
        args.get(..keyword.len()).filter(|k| k.eq_ignore_ascii_case(keyword)).map(|_| &args[keyword.len()..])
    else {
        return Err(syntax(format!("Syntax error: expected {keyword}<address>")));
    };
    let rest = rest.trim_start_matches(' ');
    let Some(inner) = rest.strip_prefix('<') else {
        return Err(syntax("Syntax error: the address must be in angle brackets"));
    };
    // The closing '>' outside a quoted local part.
    let (mut quoted, mut escaped) = (false, false);
    for (i, c) in inner.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '>' if !quoted => {
                let params = &inner[i + 1..];
                if !params.is_empty() && !params.starts_with(' ') {
                    return Err(syntax("Syntax error: text after the address"));
                }
                return Ok((&inner[..i], params));
            }
            _ => {}
        }
    }
    Err(syntax("Syntax error: no closing '>'"))
}

/// The `keyword[=value]` parameters, each at most once.
fn params(text: &str) -> Result<Vec<(String, Option<&str>)>, Reply> {
    let mut out: Vec<(String, Option<&str>)> = Vec::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let (keyword, value) = match word.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (word, None),
        };
        let keyword_ok = keyword.starts_with(|c: char| c.is_ascii_alphanumeric())
            && keyword.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        // esmtp-value: printable ASCII but '=' (RFC 5321), or UTF-8 (RFC 6531).
        let value_ok = value
            .is_none_or(|v| !v.is_empty() && v.chars().all(|c| c != '=' && (c.is_ascii_graphic() || !c.is_ascii())));
        if !keyword_ok || !value_ok {
            return Err(syntax(format!("Syntax error: malformed parameter {}", sendas_message::reply::sanitise(word))));
        }
        let keyword = keyword.to_ascii_uppercase();
        if out.iter().any(|(k, _)| *k == keyword) {
            return Err(syntax(format!("Syntax error: parameter {keyword} given twice")));
        }
        out.push((keyword, value));
    }
    Ok(out)
}

fn unsupported(keyword: &str) -> Reply {
    Reply::new(555, "5.5.4", format!("Parameter {keyword} is not supported"))
}

fn mail(args: &str) -> Result<Checked, Reply> {
    let (path, text) = path_and_params(args, "FROM:")?;
    if path.starts_with('@') {
        return Err(Reply::new(501, "5.1.7", "Bad sender address syntax: source routes are not accepted"));
    }
    let mut checked = Checked::default();
    for (keyword, value) in params(text)? {
        let ok = match (keyword.as_str(), value) {
            ("SIZE", Some(v)) => v.len() <= 20 && v.bytes().all(|b| b.is_ascii_digit()),
            ("BODY", Some(v)) => v.eq_ignore_ascii_case("7BIT") || v.eq_ignore_ascii_case("8BITMIME"),
            ("SMTPUTF8", None) => {
                checked.smtputf8 = true;
                true
            }
            ("AUTH", Some(_)) => true,
            ("SIZE" | "BODY" | "SMTPUTF8" | "AUTH", _) => false,
            (other, _) => return Err(unsupported(other)),
        };
        if !ok {
            return Err(syntax(format!("Syntax error: bad value for {keyword}")));
        }
    }
    if !path.is_ascii() && !checked.smtputf8 {
        return Err(Reply::new(553, "5.6.7", "A non-ASCII address needs the SMTPUTF8 parameter"));
    }
    Ok(checked)
}

fn rcpt(args: &str, smtputf8: bool) -> Result<Checked, Reply> {
    let (path, text) = path_and_params(args, "TO:")?;
    if path.starts_with('@') {
        return Err(Reply::new(501, "5.1.3", "Bad recipient address syntax: source routes are not accepted"));
    }
    if let Some((keyword, _)) = params(text)?.first() {
        return Err(unsupported(keyword));
    }
    if !path.is_ascii() && !smtputf8 {
        return Err(Reply::new(553, "5.6.7", "A non-ASCII address needs SMTPUTF8 on MAIL FROM"));
    }
    Ok(Checked { smtputf8 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(line: &str, smtputf8: bool) -> u16 {
        match check(format!("{line}\r\n").as_bytes(), 2048, smtputf8) {
            Ok(_) => 0,
            Err(r) => r.code,
        }
    }

    #[test]
    fn ordinary_commands_pass() {
        for line in [
            "EHLO client.example",
            "MAIL FROM:<a@tenant.example>",
            "MAIL FROM: <a@tenant.example> SIZE=1000 BODY=8BITMIME",
            "mail from:<a@tenant.example> smtputf8 auth=<>",
            "MAIL FROM:<\"odd>local\"@tenant.example>",
            "RCPT TO:<b@example.net>",
            "STARTTLS",
            "DATA",
            "NOOP anything",
        ] {
            assert_eq!(code(line, false), 0, "{line}");
        }
        assert_eq!(check(b"MAIL FROM:<a@t.example> SMTPUTF8\r\n", 2048, false).ok(), Some(Checked { smtputf8: true }));
    }

    #[test]
    fn strict_refusals() {
        for (line, want) in [
            ("MAIL FROM:<a@b> ORCPT=rfc822;x\0y", 501),
            ("RCPT TO:<a@b> NOTIFY=NEVER", 555),
            ("MAIL FROM:<a@b> AUTH=<> AUTH=<>", 501),
            ("MAIL FROM:<a@b> SIZE=1 size=2", 501),
            ("MAIL FROM:<a@b> REQUIRETLS", 555),
            ("MAIL FROM:<a@b> BODY=BINARYMIME", 501),
            ("MAIL FROM:<a@b> SIZE=x", 501),
            ("MAIL FROM:<a@b> SMTPUTF8=YES", 501),
            ("MAIL FROM:<@host:a@b>", 501),
            ("RCPT TO:<@host:a@b>", 501),
            ("MAIL FROM:<a@b>junk", 501),
            ("MAIL FROM:a@b", 501),
            ("MAIL FROM:<a@b", 501),
            ("STARTTLS now", 501),
            ("DATA x", 501),
            ("RSET x", 501),
            ("QUIT now", 501),
            ("NOOP\x7f", 501),
            ("MAIL FROM:<jörg@tenant.example>", 553),
            ("RCPT TO:<jörg@example.net>", 553),
        ] {
            assert_eq!(code(line, false), want, "{line:?}");
        }
        assert_eq!(code("MAIL FROM:<jörg@tenant.example> SMTPUTF8", false), 0);
        assert_eq!(code("RCPT TO:<jörg@example.net>", true), 0);
    }

    #[test]
    fn only_auth_may_use_the_long_sasl_line() {
        let long = format!("AUTH XOAUTH2 {}\r\n", "a".repeat(8000));
        assert!(check(long.as_bytes(), 2048, false).is_ok());
        let long = format!("NOOP {}\r\n", "a".repeat(8000));
        assert_eq!(check(long.as_bytes(), 2048, false).err().map(|r| r.code), Some(500));
    }
}
