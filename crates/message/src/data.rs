//! The DATA reader: bytes after `354` in, the message out. Only CRLF.CRLF
//! ends DATA; bare CR, bare LF and NUL are noted (not ended on), and so are
//! lines and messages over the limits, but reading always goes on to the
//! real end, so nothing of a refused message is ever taken for a command.
//! Pure and incremental: feed it whatever the socket delivered.

/// Limits of one message.
#[derive(Debug, Clone, Copy)]
pub struct DataLimits {
    /// Largest message (after dot-unstuffing) that is kept.
    pub max_size: usize,
    /// Longest line, without its CRLF.
    pub max_line: usize,
}

/// What went wrong inside DATA; the first of each kind is kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DataFlaws {
    /// Offset (in the message) of the first bare CR, bare LF or NUL.
    pub bad_ending_at: Option<usize>,
    /// A line was longer than the limit.
    pub line_too_long: bool,
    /// The message was larger than the limit (the rest was discarded).
    pub too_big: bool,
}

/// An incremental reader of one DATA section.
#[derive(Debug)]
pub struct DataReader {
    limits: DataLimits,
    message: Vec<u8>,
    /// Bytes of the current line so far (not yet in `message`).
    line: Vec<u8>,
    line_len: usize,
    /// The previous byte of the current line.
    last: u8,
    /// Total size of the message, also past the limit.
    size: usize,
    flaws: DataFlaws,
}

/// The finished message.
#[derive(Debug)]
pub struct Received {
    /// The message, dot-unstuffed, CRLF line endings as received.
    pub message: Vec<u8>,
    /// Its size as received (also when too big to keep).
    pub size: usize,
    /// What went wrong.
    pub flaws: DataFlaws,
}

impl DataReader {
    /// A reader for one message.
    pub fn new(limits: DataLimits) -> Self {
        DataReader {
            limits,
            message: Vec::new(),
            line: Vec::new(),
            line_len: 0,
            last: 0,
            size: 0,
            flaws: DataFlaws::default(),
        }
    }

    /// Consumes bytes from `input`; answers how many were consumed and, when
    /// the end of DATA was among them, the message. Bytes after the end stay
    /// unconsumed (they are the client's next commands).
    ///
    /// Works a line at a time (memchr for LF, slice copies): the benchmark
    /// profile had the byte-at-a-time version as the proxy's top function.
    pub fn feed(&mut self, input: &[u8]) -> (usize, Option<Received>) {
        let mut at = 0;
        while at < input.len() {
            let rest = &input[at..];
            let Some(lf) = memchr::memchr(b'\n', rest) else {
                self.take_part(rest);
                return (input.len(), None);
            };
            let before = if lf > 0 { rest[lf - 1] } else { self.last };
            self.take_part(&rest[..=lf]);
            at += lf + 1;
            // A line ends at LF only with CR before it; a bare LF does not end a line.
            if before != b'\r' {
                self.note_bad(self.line_len - 1);
                continue;
            }
            if self.line_len == 3 && self.line == b".\r\n" {
                self.line.clear();
                let received =
                    Received { message: std::mem::take(&mut self.message), size: self.size, flaws: self.flaws };
                return (at, Some(received));
            }
            self.finish_line();
        }
        (input.len(), None)
    }

    /// Bytes read so far (also those past the size limit and the current line).
    pub fn size(&self) -> usize {
        self.size + self.line_len
    }

    /// Keeps nothing more, and frees what it kept: the message will be refused
    /// (the caller says why), the rest of it is only read to its end.
    pub fn drop_message(&mut self) {
        self.message = Vec::new();
        self.limits.max_size = 0;
    }

    /// Adds a part of the current line (kept up to the line limit, plus CRLF and a
    /// stuffing dot, counted whole).
    fn take_part(&mut self, part: &[u8]) {
        let room = (self.limits.max_line + 3).saturating_sub(self.line.len());
        self.line.extend_from_slice(&part[..part.len().min(room)]);
        self.line_len += part.len();
        if let Some(&b) = part.last() {
            self.last = b;
        }
    }

    fn note_bad(&mut self, offset_in_line: usize) {
        if self.flaws.bad_ending_at.is_none() {
            self.flaws.bad_ending_at = Some(self.size + offset_in_line);
        }
    }

    /// The limit is on the line as the message holds it: without its CRLF and
    /// without the dot a client stuffed in front (RFC 5321 §4.5.2), so a line of
    /// exactly `max_line` octets passes whether or not it starts with a dot.
    fn finish_line(&mut self) {
        let stuffed = usize::from(self.line.first() == Some(&b'.'));
        let complete = self.line_len == self.line.len() && self.line_len - stuffed <= self.limits.max_line + 2;
        if !complete {
            self.flaws.line_too_long = true;
        }
        let content = &self.line[..self.line.len().saturating_sub(2)];
        if let Some(p) = memchr::memchr2(b'\r', 0, content) {
            self.note_bad(p);
        }
        self.size += self.line_len - stuffed;
        if self.size > self.limits.max_size {
            self.flaws.too_big = true;
        } else if complete {
            self.message.extend_from_slice(&self.line[stuffed..]);
        }
        self.line.clear();
        self.line_len = 0;
        self.last = 0;
    }
}

/// A message as a client sends it after DATA: dot-stuffed, CRLF-terminated, then `.` CRLF.
pub fn dot_stuffed(message: &[u8]) -> Vec<u8> {
    let mut wire = Vec::with_capacity(message.len() + message.len() / 64 + 5);
    let mut at_line_start = true;
    for &b in message {
        if at_line_start && b == b'.' {
            wire.push(b'.');
        }
        wire.push(b);
        at_line_start = b == b'\n';
    }
    if !wire.ends_with(b"\r\n") {
        wire.extend_from_slice(b"\r\n");
    }
    wire.extend_from_slice(b".\r\n");
    wire
}

/// A whole message as DATA would carry it: the same reader, the same
/// checks, so a message built elsewhere (HTTP send) meets exactly the rules
/// of a message a client sends.
pub fn read_whole(message: &[u8], limits: DataLimits) -> Received {
    let mut reader = DataReader::new(limits);
    match reader.feed(&dot_stuffed(message)) {
        (_, Some(received)) => received,
        // Unreachable: the wire ends with the terminator `dot_stuffed` writes.
        (_, None) => {
            Received { message: Vec::new(), size: 0, flaws: DataFlaws { too_big: true, ..DataFlaws::default() } }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: DataLimits = DataLimits { max_size: 1000, max_line: 100 };

    fn read_all(input: &[u8]) -> (usize, Option<Received>) {
        DataReader::new(LIMITS).feed(input)
    }

    #[test]
    fn ends_only_at_crlf_dot_crlf_and_unstuffs() {
        let (used, r) = read_all(b"a\r\n..b\r\n.\r\nQUIT\r\n");
        let r = r.expect("ended");
        assert_eq!(r.message, b"a\r\n.b\r\n");
        assert_eq!(used, 11);
        assert_eq!(r.flaws, DataFlaws::default());
    }

    #[test]
    fn byte_by_byte_equals_all_at_once() {
        let input = b"Subject: x\r\n\r\nline\r\n..dot\r\n.\r\n";
        let mut reader = DataReader::new(LIMITS);
        let mut done = None;
        for (i, b) in input.iter().enumerate() {
            let (used, r) = reader.feed(std::slice::from_ref(b));
            assert_eq!(used, 1);
            if r.is_some() {
                assert_eq!(i, input.len() - 1);
                done = r;
            }
        }
        assert_eq!(done.expect("ended").message, read_all(input).1.expect("ended").message);
    }

    #[test]
    fn smuggling_sequences_never_end_data() {
        for seq in [&b"\n.\n"[..], b"\n.\r", b"\r.\n", b"\r.\r", b"\n.\r\n", b"\r.\r\n", b"\r\n\0.\r\n", b"\r\n.\r\r\n"]
        {
            let mut input = b"Subject: t\r\n\r\nline1".to_vec();
            input.extend_from_slice(seq);
            input.extend_from_slice(b"MAIL FROM:<x@y>\r\nDATA\r\nsmuggled\r\n\r\n.\r\n");
            let (used, r) = read_all(&input);
            let r = r.unwrap_or_else(|| panic!("{seq:?} never ended"));
            assert_eq!(used, input.len(), "{seq:?} ended early");
            assert!(r.flaws.bad_ending_at.is_some(), "{seq:?} not flagged");
        }
    }

    #[test]
    fn a_line_of_exactly_the_limit_passes_also_when_dot_stuffed() {
        let limits = DataLimits { max_size: 10_000, max_line: 998 };
        for line in ["x".repeat(998), format!(".{}", "x".repeat(997))] {
            let stuffed = if line.starts_with('.') { format!(".{line}") } else { line.clone() };
            let r = DataReader::new(limits).feed(format!("{stuffed}\r\n.\r\n").as_bytes()).1.expect("ended");
            assert!(!r.flaws.line_too_long, "a {}-octet line", line.len());
            assert_eq!(r.message, format!("{line}\r\n").into_bytes());
        }
        for line in ["x".repeat(999), format!("..{}", "x".repeat(998))] {
            let r = DataReader::new(limits).feed(format!("{line}\r\n.\r\n").as_bytes()).1.expect("ended");
            assert!(r.flaws.line_too_long, "{} octets on the wire", line.len());
        }
    }

    #[test]
    fn limits_are_noted_and_reading_goes_on() {
        let long = format!("{}\r\n.\r\nNOOP\r\n", "x".repeat(150));
        let (used, r) = read_all(long.as_bytes());
        assert!(r.expect("ended").flaws.line_too_long);
        assert_eq!(used, long.len() - 6);
        let big = format!("{}.\r\n", "0123456789\r\n".repeat(200));
        let r = read_all(big.as_bytes()).1.expect("ended");
        assert!(r.flaws.too_big);
        assert_eq!(r.size, 2400);
        assert!(r.message.len() <= 1000);
    }
}
