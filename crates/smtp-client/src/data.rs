//! The message on the wire after DATA (RFC 5321 §4.5.2): dot-stuffed and
//! ended by `.` CRLF; and the envelope's commands (MAIL FROM with its
//! parameters, RCPT TO).
//!
//! Dot-stuffing is fast: `memchr::memmem` finds each `\n.` (the only
//! places a dot must be doubled, plus the very first byte) with SIMD, and
//! the runs between them are copied as whole slices — no per-byte loop.
//! [`Client::send`](crate::Client::send) stuffs and writes a message in
//! parts of 64 KiB ([`DotStuffer`]), so a large message is never held twice. A dot is
//! doubled after every LF, so a bare LF (which the proxy refuses anyway)
//! can never make a line a lenient server would read as the end of data.
//! The message always ends with CRLF before the terminator: one is added
//! only when the message does not already end with it.

use memchr::memmem;

/// `message` dot-stuffed and terminated, ready to write after the 354.
pub fn dot_stuffed(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    dot_stuff_into(message, &mut out);
    out
}

/// Appends `message`, dot-stuffed, its final CRLF if missing, and `.` CRLF to `out`.
pub fn dot_stuff_into(message: &[u8], out: &mut Vec<u8>) {
    out.reserve(message.len() + message.len() / 256 + 8);
    let mut stuffer = DotStuffer::default();
    stuffer.push(message, out);
    stuffer.finish(out);
}

/// Dot-stuffs a message given in parts (the relay writes a large message
/// in chunks, so it never holds a second whole copy): each part is
/// appended stuffed, the state carried across parts is whether the next
/// byte starts a line, so a `\n` ending one part and a `.` starting the
/// next are stuffed as in one piece.
#[derive(Debug)]
pub struct DotStuffer {
    line_start: bool,
    last_two: [u8; 2],
    empty: bool,
}

impl Default for DotStuffer {
    fn default() -> Self {
        DotStuffer { line_start: true, last_two: [0, 0], empty: true }
    }
}

impl DotStuffer {
    /// Appends `part`, dot-stuffed, to `out`.
    pub fn push(&mut self, part: &[u8], out: &mut Vec<u8>) {
        let Some(&last) = part.last() else { return };
        if self.line_start && part[0] == b'.' {
            out.push(b'.');
        }
        let mut start = 0;
        for at in memmem::find_iter(part, b"\n.") {
            out.extend_from_slice(&part[start..=at]);
            out.push(b'.');
            start = at + 1;
        }
        out.extend_from_slice(&part[start..]);
        self.line_start = last == b'\n';
        self.last_two = match part {
            [.., a, b] => [*a, *b],
            _ => [self.last_two[1], last],
        };
        self.empty = false;
    }

    /// Appends the final CRLF if the message lacks it, and `.` CRLF.
    pub fn finish(self, out: &mut Vec<u8>) {
        if !self.empty && self.last_two != *b"\r\n" {
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b".\r\n");
    }
}

/// The size of the message as SIZE counts it (with the final CRLF, without stuffing).
pub(crate) fn message_size(message: &[u8]) -> u64 {
    let missing = if message.is_empty() || message.ends_with(b"\r\n") { 0 } else { 2 };
    message.len() as u64 + missing
}

/// An envelope address may go between `<` and `>`: no controls, spaces or
/// angle brackets (no command injection), at most 512 octets.
pub(crate) fn valid_address(address: &str) -> bool {
    address.len() <= 512 && !address.chars().any(|c| c.is_control() || c.is_whitespace() || c == '<' || c == '>')
}

/// `MAIL FROM:<from>` with SIZE, BODY=8BITMIME and SMTPUTF8 as decided by the caller.
pub(crate) fn mail_from(from: &str, size: Option<u64>, eight_bit: bool, smtputf8: bool) -> String {
    let mut line = format!("MAIL FROM:<{from}>");
    if let Some(n) = size {
        line.push_str(&format!(" SIZE={n}"));
    }
    if eight_bit {
        line.push_str(" BODY=8BITMIME");
    }
    if smtputf8 {
        line.push_str(" SMTPUTF8");
    }
    line.push_str("\r\n");
    line
}

/// `RCPT TO:<to>`.
pub(crate) fn rcpt_to(to: &str) -> String {
    format!("RCPT TO:<{to}>\r\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The obvious byte-at-a-time encoder, as a reference.
    fn reference(message: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut line_start = true;
        for &b in message {
            if line_start && b == b'.' {
                out.push(b'.');
            }
            out.push(b);
            line_start = b == b'\n';
        }
        if !message.is_empty() && !out.ends_with(b"\r\n") {
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b".\r\n");
        out
    }

    #[test]
    fn stuffing() {
        let cases: &[(&[u8], &[u8])] = &[
            (b"a\r\nb\r\n", b"a\r\nb\r\n.\r\n"),
            (b".\r\n", b"..\r\n.\r\n"),
            (b".", b"..\r\n.\r\n"),
            (b"", b".\r\n"),
            (b"a\r\n.\r\n..b\r\n", b"a\r\n..\r\n...b\r\n.\r\n"),
            (b"no final crlf", b"no final crlf\r\n.\r\n"),
            (b"a\r\n.", b"a\r\n..\r\n.\r\n"),
            (b"bare\n.lf\r\n", b"bare\n..lf\r\n.\r\n"),
            (b"x.y\r\n .z\r\n", b"x.y\r\n .z\r\n.\r\n"),
        ];
        for (message, wire) in cases {
            assert_eq!(dot_stuffed(message), *wire, "{:?}", String::from_utf8_lossy(message));
            assert_eq!(dot_stuffed(message), reference(message));
            // In parts of every small size: a part boundary between `\n` and `.`, or `\r` and `\n`, changes nothing.
            for size in 1..=4 {
                let (mut stuffer, mut out) = (DotStuffer::default(), Vec::new());
                for part in message.chunks(size) {
                    stuffer.push(part, &mut out);
                }
                stuffer.finish(&mut out);
                assert_eq!(out, *wire, "parts of {size}: {:?}", String::from_utf8_lossy(message));
            }
        }
    }

    #[test]
    fn long_lines_and_no_extra_crlf() {
        let line = [b'.'].iter().chain([b'x'; 997].iter()).copied().collect::<Vec<u8>>();
        assert_eq!(line.len(), 998);
        let mut message = Vec::new();
        for _ in 0..3 {
            message.extend_from_slice(&line);
            message.extend_from_slice(b"\r\n");
        }
        let wire = dot_stuffed(&message);
        assert_eq!(wire.len(), message.len() + 3 + 3);
        assert!(wire.ends_with(b"x\r\n.\r\n"));
        assert!(!wire.ends_with(b"\r\n\r\n.\r\n"));
        assert_eq!(wire, reference(&message));
        assert_eq!(message_size(&message), message.len() as u64);
        assert_eq!(message_size(b"a"), 3);
    }

    #[test]
    fn stuffing_matches_the_reference_on_many_shapes() {
        // Every message of up to 7 bytes over an alphabet that has all the special bytes.
        let alphabet = [b'.', b'\r', b'\n', b'a'];
        let mut message = Vec::new();
        for len in 0..=7u32 {
            for n in 0..alphabet.len().pow(len) {
                message.clear();
                let mut k = n;
                for _ in 0..len {
                    message.push(alphabet[k % alphabet.len()]);
                    k /= alphabet.len();
                }
                assert_eq!(dot_stuffed(&message), reference(&message));
            }
        }
    }

    #[test]
    fn envelope_lines() {
        assert_eq!(mail_from("a@b", Some(12), true, true), "MAIL FROM:<a@b> SIZE=12 BODY=8BITMIME SMTPUTF8\r\n");
        assert_eq!(mail_from("", None, false, false), "MAIL FROM:<>\r\n");
        assert_eq!(rcpt_to("x@y"), "RCPT TO:<x@y>\r\n");
        assert!(valid_address("jörg@exämple.test"));
        for bad in ["a@b>\r\nRSET", "a b@c", "<a@b>", "a@b\0", &"x".repeat(513)] {
            assert!(!valid_address(bad), "{bad:?}");
        }
    }
}
