//! Import of ATT&CK STIX 2.1 bundles into a [`Catalog`].
//!
//! The importer reads analytics, detection strategies, techniques (`attack-pattern`), data
//! components, tactics, the collection object and the `detects` and `subtechnique-of`
//! relationships. It ignores every other object type, skips revoked and deprecated objects,
//! and rejects a bundle in which a reference it follows points at no object.

mod importer;
mod raw;
mod report;

use std::path::Path;

pub use report::{ImportError, ImportReport, SkippedReference, VersionSource};

use super::Catalog;
use importer::Importer;

/// Imports a bundle that carries its ATT&CK version in an `x-mitre-collection` object.
pub fn import(bundle_json: &str) -> Result<(Catalog, ImportReport), ImportError> {
    import_with_fallback_version(bundle_json, None)
}

/// Imports a bundle, using `fallback_version` when it has no `x-mitre-collection` version.
///
/// The collection's version wins when both exist.
pub fn import_with_fallback_version(
    bundle_json: &str,
    fallback_version: Option<&str>,
) -> Result<(Catalog, ImportReport), ImportError> {
    let bundle: raw::Bundle = serde_json::from_str(bundle_json).map_err(ImportError::Json)?;
    if bundle.kind != "bundle" {
        return Err(ImportError::NotABundle { found: bundle.kind });
    }
    let mut importer = Importer::default();
    for (position, object) in bundle.objects.into_iter().enumerate() {
        importer.add_object(position, object)?;
    }
    importer.finish(fallback_version)
}

/// Reads and imports a bundle file, taking the fallback version from its file name.
pub fn import_file(path: &Path) -> Result<(Catalog, ImportReport), ImportError> {
    let json = std::fs::read_to_string(path).map_err(|source| ImportError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let fallback = version_from_file_name(path);
    import_with_fallback_version(&json, fallback.as_deref())
}

/// Imports a bundle file and writes the normalized catalog JSON to `output`.
pub fn generate_catalog_file(bundle: &Path, output: &Path) -> Result<ImportReport, ImportError> {
    let (catalog, report) = import_file(bundle)?;
    let json = catalog.to_json_pretty()?;
    std::fs::write(output, json).map_err(|source| ImportError::Write {
        path: output.to_path_buf(),
        source,
    })?;
    Ok(report)
}

/// Extracts an ATT&CK version such as `18.1` from a file name such as
/// `enterprise-attack-18.1-detection.json`: the first `-`-separated part of the name without
/// extension that is digits and dots, optionally prefixed with `v`.
pub fn version_from_file_name(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    let stem = name.strip_suffix(".json").unwrap_or(name);
    stem.split('-')
        .map(|part| part.strip_prefix('v').unwrap_or(part))
        .find(|part| {
            part.starts_with(|c: char| c.is_ascii_digit())
                && part.chars().all(|c| c.is_ascii_digit() || c == '.')
                && !part.ends_with('.')
        })
        .map(str::to_string)
}
