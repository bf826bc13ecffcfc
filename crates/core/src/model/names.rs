//! Validated names: display names of things and user logins.

use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;

/// Why a name or login was refused.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum NameError {
    /// Empty or only white space.
    #[error("must not be empty")]
    Empty,
    /// Longer than allowed.
    #[error("must be at most {0} characters")]
    TooLong(usize),
    /// Holds characters that are not allowed.
    #[error("holds characters that are not allowed")]
    BadCharacters,
}

/// A human-readable name (tenant, company, group, display name): trimmed,
/// 1..=200 characters, no control or bidirectional-control characters.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Name(String);

impl Name {
    /// Maximum length in characters.
    pub const MAX: usize = 200;

    /// Validates and trims a name.
    pub fn parse(s: &str) -> Result<Self, NameError> {
        let t = s.trim();
        if t.is_empty() {
            return Err(NameError::Empty);
        }
        if t.chars().count() > Self::MAX {
            return Err(NameError::TooLong(Self::MAX));
        }
        if t.chars().any(|c| c.is_control() || crate::address::is_bidi_control(c)) {
            return Err(NameError::BadCharacters);
        }
        Ok(Name(t.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

impl TryFrom<String> for Name {
    type Error = NameError;
    fn try_from(s: String) -> Result<Self, NameError> {
        Name::parse(&s)
    }
}

impl From<Name> for String {
    fn from(n: Name) -> String {
        n.0
    }
}

/// A user's login, unique across the platform and used as the SMTP AUTH
/// username: 1..=128 characters of `a-z 0-9 . _ - + @`, folded to lower
/// case, so that `Alice` and `alice` are the same login.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Login(String);

impl Login {
    /// Maximum length in characters.
    pub const MAX: usize = 128;

    /// Validates and folds a login.
    pub fn parse(s: &str) -> Result<Self, NameError> {
        if s.is_empty() {
            return Err(NameError::Empty);
        }
        if s.len() > Self::MAX {
            return Err(NameError::TooLong(Self::MAX));
        }
        if !s.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-+@".contains(&b)) {
            return Err(NameError::BadCharacters);
        }
        Ok(Login(s.to_ascii_lowercase()))
    }

    /// The folded login.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Login({})", self.0)
    }
}

impl TryFrom<String> for Login {
    type Error = NameError;
    fn try_from(s: String) -> Result<Self, NameError> {
        Login::parse(&s)
    }
}

impl From<Login> for String {
    fn from(l: Login) -> String {
        l.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_checked() {
        assert_eq!(Name::parse("  Sales ").map(|n| n.to_string()), Ok("Sales".into()));
        assert_eq!(Name::parse("   "), Err(NameError::Empty));
        assert_eq!(Name::parse("a\u{202E}b"), Err(NameError::BadCharacters));
        assert_eq!(Name::parse("a\nb"), Err(NameError::BadCharacters));
        assert_eq!(Name::parse(&"x".repeat(201)), Err(NameError::TooLong(200)));
        assert!(Name::parse(&"ü".repeat(200)).is_ok());
    }

    #[test]
    fn logins_fold_case_and_refuse_odd_characters() {
        assert_eq!(Login::parse("Alice@Example.com").map(|l| l.to_string()), Ok("alice@example.com".into()));
        for bad in ["", "a b", "a:b", "ä", "a\0", "a\r\n"] {
            assert!(Login::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Login::parse(&"a".repeat(129)).is_err());
    }
}
