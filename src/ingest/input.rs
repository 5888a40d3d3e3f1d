//! Reading input files, with gzip-compressed files decompressed transparently.
//!
//! A file is treated as gzip when it starts with the gzip magic bytes, whatever its name, so a
//! `.gz` file and a renamed one read the same way. Concatenated gzip members, as `cat a.gz b.gz`
//! writes, are read as one stream.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use flate2::bufread::MultiGzDecoder;

use super::report::{FileReport, Location};

/// The two bytes every gzip member starts with (RFC 1952).
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Maximum decompressed size of one gzip file, so a small compressed file that expands to an
/// enormous one cannot exhaust memory.
pub const MAX_DECOMPRESSED_LEN: u64 = 4 << 30;

/// Returns whether `prefix` starts like a gzip file.
pub fn is_gzip(prefix: &[u8]) -> bool {
    prefix.starts_with(&GZIP_MAGIC)
}

/// Returns whether the file at `path` starts with the gzip magic bytes.
pub fn is_gzip_file(path: &Path) -> std::io::Result<bool> {
    let mut magic = Vec::with_capacity(GZIP_MAGIC.len());
    File::open(path)?
        .take(GZIP_MAGIC.len() as u64)
        .read_to_end(&mut magic)?;
    Ok(is_gzip(&magic))
}

/// Opens `path` for reading its content, decompressing gzip. Returns the reader and whether
/// the file was compressed.
pub fn open(path: &Path) -> std::io::Result<(Box<dyn Read + Send>, bool)> {
    let mut reader = BufReader::new(File::open(path)?);
    let compressed = is_gzip(reader.fill_buf()?);
    if compressed {
        let decoder = MultiGzDecoder::new(reader).take(MAX_DECOMPRESSED_LEN + 1);
        Ok((Box::new(decoder), true))
    } else {
        Ok((Box::new(reader), false))
    }
}

/// Reads up to `len` bytes of the content of `path`, decompressed when it is gzip.
///
/// A gzip stream that is cut short or corrupt within the first `len` bytes still returns the
/// bytes that decompressed before the damage, so the format is detected from them and the
/// parser reports the damage. It fails only when nothing decompresses.
pub fn read_prefix(path: &Path, len: usize) -> std::io::Result<Vec<u8>> {
    let (reader, compressed) = open(path)?;
    let mut prefix = Vec::with_capacity(len);
    match reader.take(len as u64).read_to_end(&mut prefix) {
        Ok(_) => Ok(prefix),
        Err(_) if compressed && !prefix.is_empty() => Ok(prefix),
        Err(error) => Err(error),
    }
}

/// Reads the whole content of `path`, decompressed when it is gzip.
///
/// For a gzip stream that is cut short or corrupt, returns the content that decompressed
/// before the damage and notes the damage in `report`. The records of a collection cut off
/// midway then still load, and the parser reports the record cut in two. Fails when nothing
/// decompresses, and with [`std::io::ErrorKind::InvalidData`] when a gzip file expands past
/// [`MAX_DECOMPRESSED_LEN`].
pub fn read_all(path: &Path, report: &mut FileReport) -> std::io::Result<Vec<u8>> {
    let (mut reader, compressed) = open(path)?;
    let mut bytes = Vec::new();
    // On an error, `read_to_end` keeps the bytes it read before it.
    if let Err(error) = reader.read_to_end(&mut bytes) {
        if !compressed || bytes.is_empty() {
            return Err(error);
        }
        report.push_error(
            Location::File,
            format!(
                "the gzip stream is damaged or cut short after {} bytes of content ({error}); \
                 the records before that point are loaded",
                bytes.len()
            ),
        );
    }
    if compressed && bytes.len() as u64 > MAX_DECOMPRESSED_LEN {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("gzip content is larger than the maximum of {MAX_DECOMPRESSED_LEN} bytes"),
        ));
    }
    Ok(bytes)
}

/// Opens `path` and skips `offset` bytes of its (decompressed) content, so a record can be
/// read back from the offset the loader stored.
pub fn open_at(path: &Path, offset: u64) -> std::io::Result<Box<dyn Read + Send>> {
    let (mut reader, _) = open(path)?;
    let skipped = std::io::copy(&mut (&mut reader).take(offset), &mut std::io::sink())?;
    if skipped < offset {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            format!("file ends before byte {offset}"),
        ));
    }
    Ok(reader)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    use crate::ingest::{FileStatus, Format};

    fn report() -> FileReport {
        FileReport::new("test".into(), Format::Unknown, FileStatus::Loaded)
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn gzip_is_read_transparently() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("a.log");
        let packed = dir.path().join("renamed.txt");
        std::fs::write(&plain, b"hello\nworld\n").unwrap();
        std::fs::write(&packed, gzip(b"hello\nworld\n")).unwrap();

        assert_eq!(read_all(&plain, &mut report()).unwrap(), b"hello\nworld\n");
        assert_eq!(read_all(&packed, &mut report()).unwrap(), b"hello\nworld\n");
        assert_eq!(read_prefix(&packed, 5).unwrap(), b"hello");
        let mut rest = String::new();
        open_at(&packed, 6)
            .unwrap()
            .read_to_string(&mut rest)
            .unwrap();
        assert_eq!(rest, "world\n");
    }

    #[test]
    fn concatenated_gzip_members_are_one_stream() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("two.gz");
        let mut bytes = gzip(b"a\n");
        bytes.extend(gzip(b"b\n"));
        std::fs::write(&path, bytes).unwrap();

        assert_eq!(read_all(&path, &mut report()).unwrap(), b"a\nb\n");
    }

    #[test]
    fn gzip_cut_short_keeps_content() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cut.gz");
        let text: String = (0..20_000).map(|n| format!("line {n}\n")).collect();
        let mut bytes = gzip(text.as_bytes());
        bytes.truncate(bytes.len() / 2);
        std::fs::write(&path, bytes).unwrap();

        let mut report = report();
        let content = read_all(&path, &mut report).unwrap();
        assert!(!content.is_empty());
        assert!(text.as_bytes().starts_with(&content));
        assert_eq!(report.errors.len(), 1);
        assert!(
            report.errors[0].message.contains("cut short"),
            "{:?}",
            report.errors
        );
    }

    #[test]
    fn gzip_header_only_is_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.gz");
        let mut bytes = gzip(b"some text that compresses");
        // The 10-byte member header alone: nothing decompresses.
        bytes.truncate(10);
        std::fs::write(&path, bytes).unwrap();

        assert!(read_all(&path, &mut report()).is_err());
    }

    #[test]
    fn offset_past_end_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("short.log");
        std::fs::write(&path, b"abc").unwrap();

        assert!(open_at(&path, 10).is_err());
    }
}
