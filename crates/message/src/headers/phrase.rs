//! Decoding a display phrase for the display-name checks: quoted strings
//! unquoted (quoted pairs resolved), RFC 2047 encoded words decoded with
//! their declared charset through WHATWG Encoding (`encoding_rs`: ISO-2022-JP,
//! Shift_JIS, GB2312/GBK, KOI8-R, windows-1252, ...). Adjacent encoded words
//! join without the white space between them (RFC 2047 §6.2); the bytes of
//! adjacent encoded words in one charset are decoded together, so a
//! character split across two words (which RFC 2047 forbids, and readers
//! such as Python's `email` join anyway) is checked as readers show it.
//!
//! Encoded-word-shaped text inside a quoted string is decoded too, although
//! RFC 2047 forbids it there: some mail readers decode it, so the checks
//! must see what they would show. An encoded word in a charset WHATWG
//! Encoding does not know is no reason to refuse a message: its bytes are
//! read as UTF-8 with anything undecodable and every control character
//! replaced by U+FFFD, so the checks still see any `@` the raw bytes hold.

use crate::encoding::canonical_base64;

/// The decoded display name of `phrase` (structure already checked).
pub fn decode(phrase: &str) -> String {
    let mut out = Decoded::default();
    let chars: Vec<char> = phrase.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '"' {
            let mut text = String::new();
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' && i + 1 < chars.len() {
                    i += 1;
                }
                text.push(chars[i]);
                i += 1;
            }
            i += 1;
            out.words(&text);
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i] != '"' {
            i += 1;
        }
        out.words(&chars[start..i].iter().collect::<String>());
    }
    out.flush();
    out.text.trim_matches(|c| c == ' ' || c == '\t').to_owned()
}

#[derive(Default)]
struct Decoded {
    text: String,
    /// White space seen since the last word, not yet written.
    space: String,
    last_encoded: bool,
    /// The charset and bytes of the adjacent encoded words not decoded yet.
    pending: Option<(String, Vec<u8>)>,
}

impl Decoded {
    /// Appends a run of white-space-separated words (encoded or not).
    fn words(&mut self, run: &str) {
        let mut word = String::new();
        for c in run.chars().chain(std::iter::once(' ')) {
            if c == ' ' || c == '\t' {
                if !word.is_empty() {
                    self.word(&std::mem::take(&mut word));
                }
                self.space.push(c);
            } else {
                word.push(c);
            }
        }
        // The sentinel space stands for nothing.
        self.space.pop();
    }

    fn word(&mut self, word: &str) {
        match encoded_word(word) {
            Some((label, bytes)) => {
                if !self.last_encoded {
                    self.text.push_str(&self.space);
                }
                match &mut self.pending {
                    Some((charset, held)) if charset.eq_ignore_ascii_case(&label) => held.extend(bytes),
                    _ => {
                        self.flush();
                        self.pending = Some((label, bytes));
                    }
                }
                self.last_encoded = true;
            }
            None => {
                self.flush();
                self.text.push_str(&self.space);
                self.text.push_str(word);
                self.last_encoded = false;
            }
        }
        self.space.clear();
    }

    /// Decodes the pending encoded words' bytes into the text.
    fn flush(&mut self) {
        if let Some((label, bytes)) = self.pending.take() {
            self.text.push_str(&decode_bytes(&label, &bytes));
        }
    }
}

/// The charset label and bytes of one `=?charset[*lang]?B|Q?text?=`; `None` when it is not one.
fn encoded_word(word: &str) -> Option<(String, Vec<u8>)> {
    let inner = word.strip_prefix("=?")?.strip_suffix("?=")?;
    let mut parts = inner.split('?');
    let (charset, encoding, text) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let bytes = match encoding {
        "B" | "b" => canonical_base64(text)?,
        "Q" | "q" => q_decode(text)?,
        _ => return None,
    };
    Some((charset.split('*').next().unwrap_or_default().to_owned(), bytes))
}

/// `bytes` decoded in charset `label` (WHATWG Encoding; unknown: UTF-8, controls replaced).
fn decode_bytes(label: &str, bytes: &[u8]) -> String {
    match encoding_rs::Encoding::for_label(label.as_bytes()) {
        Some(encoding) => encoding.decode_without_bom_handling(bytes).0.into_owned(),
        None => String::from_utf8_lossy(bytes).chars().map(|c| if c.is_control() { '\u{FFFD}' } else { c }).collect(),
    }
}

/// RFC 2047 "Q": `_` is a space, `=XX` a byte.
fn q_decode(text: &str) -> Option<Vec<u8>> {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'_' => out.push(b' '),
            b'=' => {
                let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::decode;

    #[test]
    fn names_as_real_clients_write_them() {
        for (phrase, name) in [
            (r#""Ann \"Boss\" Tenant""#, r#"Ann "Boss" Tenant"#),
            ("Ann Tenant", "Ann Tenant"),
            ("=?utf-8?q?J=C3=BCrgen?= =?utf-8?q?_M=C3=BCller?=", "Jürgen Müller"),
            ("=?ISO-2022-JP?B?GyRCOzNFRBsoQiAbJEJCQE86GyhC?=", "山田 太郎"),
            ("=?iso-2022-jp?b?GyRCOzNFRBsoQg==?= Taro", "山田 Taro"),
            ("=?Shift_JIS?B?jlKTYw==?=", "山田"),
            ("=?gb2312?B?1cXI/Q==?=", "张三"),
            ("=?koi8-r?B?6dfBzg==?=", "Иван"),
            ("=?windows-1252?Q?Ren=E9e_=80?=", "Renée €"),
            ("=?utf-8*de?q?Gr=C3=BC=C3=9Fe?=", "Grüße"),
            ("\"quoted =?utf-8?q?=C3=A4?=\" tail", "quoted ä tail"),
        ] {
            assert_eq!(decode(phrase), name, "{phrase}");
        }
    }

    #[test]
    fn an_unknown_charset_keeps_what_its_bytes_say_without_controls() {
        assert_eq!(decode("=?x-unknown?Q?ceo=40victim.example?="), "ceo@victim.example");
        assert_eq!(decode("=?x-unknown?Q?a=1Bb=00c?="), "a\u{FFFD}b\u{FFFD}c");
    }
}
