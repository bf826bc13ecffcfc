//! The spill file: audit records the store could not take, one JSON line
//! each, appended and synced before the writer moves on; read back whole
//! (a torn last line from a crash is skipped) and emptied once every
//! record in it is in the store. One file per process: only its writer
//! task touches it.

use sendas_core::model::AuditRecord;
use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

/// An append-only file of audit records.
#[derive(Debug, Clone)]
pub(super) struct SpillFile {
    path: PathBuf,
}

impl SpillFile {
    pub(super) fn new(path: PathBuf) -> SpillFile {
        SpillFile { path }
    }

    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `records` and syncs the file (blocking; call from a blocking context).
    pub(super) fn append(&self, records: &[AuditRecord]) -> std::io::Result<()> {
        let mut text = Vec::new();
        for r in records {
            serde_json::to_writer(&mut text, r)?;
            text.push(b'\n');
        }
        let mut file = std::fs::OpenOptions::new().create(true).append(true).open(&self.path)?;
        file.write_all(&text)?;
        file.sync_data()
    }

    /// Every record in the file, each id once (a line that does not parse is skipped).
    pub(super) fn read(&self) -> std::io::Result<Vec<AuditRecord>> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut seen = HashSet::new();
        let mut records = Vec::new();
        for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            match serde_json::from_str::<AuditRecord>(line) {
                Ok(r) if seen.insert(r.id) => records.push(r),
                Ok(_) => {}
                Err(e) => tracing::warn!(line = n + 1, error = %e, "audit spill file: a torn line is skipped"),
            }
        }
        Ok(records)
    }

    /// Empties the file (its records are in the store); no file is empty already.
    pub(super) fn clear(&self) -> std::io::Result<()> {
        match std::fs::OpenOptions::new().write(true).truncate(true).open(&self.path) {
            Ok(file) => file.sync_data(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sendas_core::testing::fixtures;
    use sendas_core::{TenantId, Timestamp};

    #[test]
    fn records_come_back_once_and_a_torn_line_is_skipped() {
        let dir = tempfile::tempdir().expect("dir");
        let spill = SpillFile::new(dir.path().join("audit.spill"));
        assert!(spill.read().expect("no file yet").is_empty());
        let t = TenantId::generate();
        let (a, b) = (fixtures::audit(t, Timestamp::now(), None), fixtures::audit(t, Timestamp::now(), None));
        spill.append(&[a.clone(), b.clone()]).expect("append");
        spill.append(std::slice::from_ref(&a)).expect("append again");
        let mut f = std::fs::OpenOptions::new().append(true).open(spill.path()).expect("open");
        f.write_all(b"{\"tenant_id\":\"torn").expect("torn line");
        let back = spill.read().expect("read");
        assert_eq!(back, vec![a, b], "each record once, the torn line skipped");
        spill.clear().expect("clear");
        assert!(spill.read().expect("read").is_empty());
    }
}
