//! A deterministic zip: entries in the order given (callers sort them), every timestamp
//! 1980-01-01 00:00, every file mode 0644, no extra fields, deflate at a fixed level.
//! The same files give the same bytes on every machine.

use std::io::Write;

use flate2::Compression;
use flate2::write::DeflateEncoder;

/// The DOS date of 1980-01-01 (the format's earliest), time 00:00.
const DOS_DATE: u16 = (1 << 5) | 1;
const DOS_TIME: u16 = 0;
/// `-rw-r--r--`, a regular file, in the high half of the external attributes.
const UNIX_FILE_0644: u32 = 0o100_644 << 16;

/// Zips `(name, bytes)` entries.
///
/// ```
/// let a = perimeter::assets::zip::zip(&[("index.py".into(), b"print(1)".to_vec())]).unwrap();
/// let b = perimeter::assets::zip::zip(&[("index.py".into(), b"print(1)".to_vec())]).unwrap();
/// assert_eq!(a, b);
/// assert_eq!(&a[..4], b"PK\x03\x04");
/// ```
pub fn zip(entries: &[(String, Vec<u8>)]) -> std::io::Result<Vec<u8>> {
    if entries.len() > u16::MAX as usize {
        return Err(std::io::Error::other("more than 65,535 files in one zip"));
    }
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in entries {
        let mut enc = DeflateEncoder::new(Vec::new(), Compression::new(6));
        enc.write_all(data)?;
        let packed = enc.finish()?;
        let crc = crc32fast::hash(data);
        let (csize, usize_) = (u32_of(packed.len())?, u32_of(data.len())?);
        let offset = u32_of(out.len())?;
        let name_len = u16::try_from(name.len())
            .map_err(|_| std::io::Error::other("a file name over 65,535 bytes"))?;
        // Local file header.
        put32(&mut out, 0x0403_4b50);
        put16(&mut out, 20); // version needed: 2.0 (deflate)
        put16(&mut out, 1 << 11); // flags: names are UTF-8
        put16(&mut out, 8); // deflate
        put16(&mut out, DOS_TIME);
        put16(&mut out, DOS_DATE);
        put32(&mut out, crc);
        put32(&mut out, csize);
        put32(&mut out, usize_);
        put16(&mut out, name_len);
        put16(&mut out, 0);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&packed);
        // Its central directory record.
        put32(&mut central, 0x0201_4b50);
        put16(&mut central, (3 << 8) | 20); // made by: Unix, 2.0
        put16(&mut central, 20);
        put16(&mut central, 1 << 11);
        put16(&mut central, 8);
        put16(&mut central, DOS_TIME);
        put16(&mut central, DOS_DATE);
        put32(&mut central, crc);
        put32(&mut central, csize);
        put32(&mut central, usize_);
        put16(&mut central, name_len);
        put16(&mut central, 0); // extra
        put16(&mut central, 0); // comment
        put16(&mut central, 0); // disk
        put16(&mut central, 0); // internal attributes
        put32(&mut central, UNIX_FILE_0644);
        put32(&mut central, offset);
        central.extend_from_slice(name.as_bytes());
    }
    let cd_offset = u32_of(out.len())?;
    let cd_size = u32_of(central.len())?;
    out.extend_from_slice(&central);
    // End of central directory.
    put32(&mut out, 0x0605_4b50);
    put16(&mut out, 0);
    put16(&mut out, 0);
    put16(&mut out, entries.len() as u16);
    put16(&mut out, entries.len() as u16);
    put32(&mut out, cd_size);
    put32(&mut out, cd_offset);
    put16(&mut out, 0);
    Ok(out)
}

/// Whether `bytes` are a whole zip as [`zip`] writes them: the end record where it
/// belongs, the central directory it names, and every entry's data inflating to its
/// size and CRC. A file cut short (torn) or garbled is not.
pub fn is_whole(bytes: &[u8]) -> bool {
    whole(bytes).is_some()
}

fn whole(bytes: &[u8]) -> Option<()> {
    use std::io::Read;
    let u16_at = |i: usize| Some(u16::from_le_bytes(bytes.get(i..i + 2)?.try_into().ok()?));
    let u32_at = |i: usize| Some(u32::from_le_bytes(bytes.get(i..i + 4)?.try_into().ok()?));
    let end = bytes.len().checked_sub(22)?;
    if u32_at(end)? != 0x0605_4b50 {
        return None;
    }
    let count = u16_at(end + 10)? as usize;
    let (cd_size, cd_offset) = (u32_at(end + 12)? as usize, u32_at(end + 16)? as usize);
    if cd_offset.checked_add(cd_size)? != end {
        return None;
    }
    let mut at = cd_offset;
    for _ in 0..count {
        if u32_at(at)? != 0x0201_4b50 {
            return None;
        }
        let (crc, csize, size) = (u32_at(at + 16)?, u32_at(at + 20)?, u32_at(at + 24)?);
        let name = u16_at(at + 28)? as usize;
        let skip = name + u16_at(at + 30)? as usize + u16_at(at + 32)? as usize;
        let local = u32_at(at + 42)? as usize;
        if u32_at(local)? != 0x0403_4b50 {
            return None;
        }
        let data = local + 30 + u16_at(local + 26)? as usize + u16_at(local + 28)? as usize;
        let packed = bytes.get(data..data.checked_add(csize as usize)?)?;
        let mut plain = Vec::with_capacity(size as usize);
        flate2::read::DeflateDecoder::new(packed)
            .read_to_end(&mut plain)
            .ok()?;
        if plain.len() != size as usize || crc32fast::hash(&plain) != crc {
            return None;
        }
        at += 46 + skip;
    }
    (at == end).then_some(())
}

fn u32_of(n: usize) -> std::io::Result<u32> {
    u32::try_from(n).map_err(|_| std::io::Error::other("a zip over 4 GiB"))
}

fn put16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zip_cut_short_or_garbled_is_not_whole() {
        let entries = vec![
            (
                "index.py".to_string(),
                b"def handler(e, c):\n    return 1\n".to_vec(),
            ),
            ("pkg/data.txt".to_string(), vec![b'x'; 5_000]),
        ];
        let bytes = zip(&entries).unwrap();
        assert!(is_whole(&bytes));
        for cut in [1, 22, bytes.len() / 2, bytes.len() - 1] {
            assert!(!is_whole(&bytes[..bytes.len() - cut]), "cut {cut}");
        }
        let mut garbled = bytes.clone();
        garbled[40] ^= 0xff;
        assert!(!is_whole(&garbled));
        assert!(!is_whole(b""));
    }

    #[test]
    #[ignore = "reads the zip back with Python's zipfile: scripts/test, which needs Python, runs it"]
    fn python_reads_what_it_writes() {
        // The archive is read back by an independent reader: Python's zipfile.
        let entries = vec![
            (
                "index.py".to_string(),
                b"def handler(e, c):\n    return 1\n".to_vec(),
            ),
            ("pkg/__init__.py".to_string(), vec![b'x'; 10_000]),
        ];
        let bytes = zip(&entries).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.zip");
        std::fs::write(&path, &bytes).unwrap();
        let out = std::process::Command::new("python3")
            .args([
                "-c",
                "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print(*[f'{i.filename}:{i.file_size}:{oct(i.external_attr >> 16)}:{i.date_time}' for i in z.infolist()])",
            ])
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            "index.py:32:0o100644:(1980, 1, 1, 0, 0, 0) pkg/__init__.py:10000:0o100644:(1980, 1, 1, 0, 0, 0)"
        );
    }
}
