//! Directory walking: expands the paths a user gave into the files to load.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// One entry found by [`walk`].
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum WalkEntry {
    /// A regular file to load.
    File(PathBuf),
    /// A path that could not be read, with the reason.
    Unreadable(PathBuf, String),
}

/// Walks `paths` depth-first, following symbolic links, and returns what it found in the order
/// the paths were given, each directory's entries sorted by name.
///
/// A directory reached twice, whether through a symlink loop or by being given twice, is read
/// once, so the walk always ends. A file reached twice is listed once, at its first position.
pub(crate) fn walk(paths: &[PathBuf]) -> Vec<WalkEntry> {
    let mut entries = Vec::new();

    let mut seen_dirs: HashSet<PathBuf> = HashSet::new();
    let mut seen_files: HashSet<PathBuf> = HashSet::new();
    // An explicit stack rather than recursion, so a deep tree cannot overflow the thread stack.
    let mut stack: Vec<PathBuf> = paths.iter().rev().cloned().collect();

    while let Some(path) = stack.pop() {
        let metadata = match std::fs::metadata(&path) {
            Ok(metadata) => metadata,
            Err(err) => {
                entries.push(WalkEntry::Unreadable(
                    path,
                    format!("cannot read metadata: {err}"),
                ));
                continue;
            }
        };
        let canonical = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        if metadata.is_dir() {
            if !seen_dirs.insert(canonical) {
                tracing::debug!(path = %path.display(), "directory already walked, skipping");
                continue;
            }
            match read_sorted(&path) {
                Ok(children) => stack.extend(children.into_iter().rev()),
                Err(err) => entries.push(WalkEntry::Unreadable(
                    path,
                    format!("cannot read directory: {err}"),
                )),
            }
        } else if metadata.is_file() {
            if seen_files.insert(canonical) {
                entries.push(WalkEntry::File(path));
            }
        } else {
            entries.push(WalkEntry::Unreadable(
                path,
                "not a regular file or directory (device, socket or pipe)".to_owned(),
            ));
        }
    }
    entries
}

fn read_sorted(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut children = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        children.push(entry?.path());
    }
    children.sort();
    Ok(children)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walk_sorts_and_recurses() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("b")).unwrap();
        std::fs::write(root.join("b/z.json"), "{}").unwrap();
        std::fs::write(root.join("c.evtx"), "").unwrap();
        std::fs::write(root.join("a.json"), "{}").unwrap();

        let entries = walk(&[root.to_path_buf()]);

        let names: Vec<_> = entries
            .iter()
            .map(|entry| match entry {
                WalkEntry::File(p) => p.strip_prefix(root).unwrap().to_path_buf(),
                WalkEntry::Unreadable(p, err) => panic!("unexpected error on {p:?}: {err}"),
            })
            .collect();
        let expected: Vec<PathBuf> = ["a.json", "b/z.json", "c.evtx"]
            .iter()
            .map(PathBuf::from)
            .collect();
        assert_eq!(names, expected);
    }

    #[cfg(unix)]
    #[test]
    fn walk_survives_symlink_loop() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("sub")).unwrap();
        std::fs::write(root.join("sub/x.json"), "{}").unwrap();
        std::os::unix::fs::symlink(root, root.join("sub/loop")).unwrap();

        let entries = walk(&[root.to_path_buf()]);

        assert_eq!(entries, vec![WalkEntry::File(root.join("sub/x.json"))]);
    }

    #[test]
    fn walk_reports_missing_path() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing");

        let entries = walk(std::slice::from_ref(&missing));

        assert_eq!(entries.len(), 1);
        assert!(matches!(&entries[0], WalkEntry::Unreadable(p, _) if *p == missing));
    }
}
