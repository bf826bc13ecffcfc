//! Edits without lost updates: every change of a user, group or mailbox is
//! read, changed and written conditional on the version it read. A write
//! that raced another is done again on the fresh item, unless the caller
//! pinned a version with `If-Match`: then it fails with `412`.

use crate::error::ServiceError;

/// How often a use-case tries an edit that keeps racing other writers
/// before it answers `409`. A versioned write fails only when another write
/// of the same item succeeded in between, so up to this many admins editing
/// one item at once all land (the contract case races 6; CI once saw the
/// sixth writer lose five times in a row when this was 5).
const ATTEMPTS: usize = 16;

/// The versions a caller's `If-Match` allows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum IfMatch {
    /// No `If-Match` (or `*`): any current version; a raced write is retried.
    #[default]
    Any,
    /// These versions only (the entity tags of `If-Match`); a tag that is
    /// not one of ours is kept as no version, so it never matches.
    Versions(Vec<u64>),
}

impl IfMatch {
    /// Checks the version just read against the caller's precondition.
    pub fn check(&self, current: u64) -> Result<(), ServiceError> {
        match self {
            IfMatch::Any => Ok(()),
            IfMatch::Versions(v) if v.contains(&current) => Ok(()),
            IfMatch::Versions(_) => Err(ServiceError::PreconditionFailed),
        }
    }

    fn pinned(&self) -> bool {
        matches!(self, IfMatch::Versions(_))
    }
}

/// Runs one read-change-write `attempt` until it does not race: a
/// `PreconditionFailed` from the store (another write came between the
/// read and the write) starts it again, up to [`ATTEMPTS`] times, unless
/// the caller pinned a version.
pub(crate) async fn retry_raced<T, F>(if_match: &IfMatch, mut attempt: impl FnMut() -> F) -> Result<T, ServiceError>
where
    F: std::future::Future<Output = Result<T, ServiceError>>,
{
    for _ in 0..ATTEMPTS {
        match attempt().await {
            Err(ServiceError::PreconditionFailed) if !if_match.pinned() => continue,
            other => return other,
        }
    }
    Err(ServiceError::Conflict("others kept changing it at the same time; try again".into()))
}

/// One field of a replacing write (a PUT) that may be retried after a
/// race: the caller's value when it changes what the caller read first
/// (`base`), else the stored one (`theirs`). Two admins replacing a record
/// at once then both keep what each of them changed.
pub(crate) fn merged<T: PartialEq + Clone>(ours: &T, base: &T, theirs: &T) -> T {
    if ours == base { theirs.clone() } else { ours.clone() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn a_replacing_write_keeps_what_it_does_not_change() {
        // base: what the PUT read; theirs: what another admin wrote meanwhile.
        assert!(merged(&false, &false, &true), "left as read: the concurrent change stays");
        assert!(!merged(&false, &true, &true), "changed by this write: it wins");
        assert_eq!(merged(&"new", &"old", &"other"), "new");
        assert_eq!(merged(&"old", &"old", &"other"), "other");
    }

    #[test]
    fn any_allows_every_version_and_tags_allow_theirs() {
        assert!(IfMatch::Any.check(7).is_ok());
        assert!(IfMatch::Versions(vec![3, 7]).check(7).is_ok());
        assert_eq!(IfMatch::Versions(vec![3]).check(7), Err(ServiceError::PreconditionFailed));
        assert_eq!(IfMatch::Versions(vec![]).check(1), Err(ServiceError::PreconditionFailed));
    }

    #[tokio::test]
    async fn a_raced_write_is_retried_unless_pinned() {
        let calls = AtomicUsize::new(0);
        let racing_twice = || async {
            match calls.fetch_add(1, Ordering::SeqCst) {
                0 | 1 => Err(ServiceError::PreconditionFailed),
                n => Ok(n),
            }
        };
        assert_eq!(retry_raced(&IfMatch::Any, racing_twice).await, Ok(2));
        calls.store(0, Ordering::SeqCst);
        assert_eq!(retry_raced(&IfMatch::Versions(vec![1]), racing_twice).await, Err(ServiceError::PreconditionFailed));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        calls.store(0, Ordering::SeqCst);
        let always = || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err::<(), _>(ServiceError::PreconditionFailed)
        };
        assert!(matches!(retry_raced(&IfMatch::Any, always).await, Err(ServiceError::Conflict(_))));
        assert_eq!(calls.load(Ordering::SeqCst), ATTEMPTS, "bounded");
    }
}
