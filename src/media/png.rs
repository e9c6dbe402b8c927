//! The PNG chunk walk for what the `image` decoder does not hand over: EXIF kept in a
//! `Raw profile type exif` text chunk (ImageMagick and exiftool write it there; browsers and
//! libvips read it) and the `gAMA`/`cHRM`/`sRGB`/`iCCP` chunks that say how to read the
//! samples when no ICC profile does.
//!
//! Owns: [`PngMeta`], [`read_meta`]. May import the JPEG EXIF reader; `miniz_oxide` outside.

/// What the ancillary chunks say.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PngMeta {
    /// The EXIF block (TIFF, maybe after `Exif\0\0`) from a `Raw profile type exif` (or
    /// `APP1`) text chunk.
    pub raw_exif: Option<Vec<u8>>,
    /// `gAMA`: the encoding gamma × 100000 (45455 = 1/2.2).
    pub gamma: Option<u32>,
    /// `cHRM`: white x, y, red x, y, green x, y, blue x, y, each × 100000.
    pub chrm: Option<[u32; 8]>,
    /// An `sRGB` chunk is present (it overrides `gAMA`/`cHRM`).
    pub srgb: bool,
    /// An `iCCP` chunk is present (it overrides `gAMA`/`cHRM`).
    pub iccp: bool,
}

/// The largest inflated text chunk read (an EXIF block is at most 64 KiB in JPEG; a
/// compressed chunk must not inflate without bound).
const MAX_TEXT: usize = 1 << 20;

/// Walk the chunks before the first `IDAT`. Malformed chunks end the walk quietly: the
/// decoder proper reports corrupt data; this only collects optional metadata.
pub fn read_meta(bytes: &[u8]) -> PngMeta {
    let mut meta = PngMeta::default();
    let mut i = 8;
    while let Some(head) = bytes.get(i..i + 8) {
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let kind = &head[4..8];
        let Some(data) = bytes.get(i + 8..(i + 8).saturating_add(len)) else { break };
        match kind {
            b"IDAT" | b"IEND" => break,
            b"gAMA" if data.len() == 4 => meta.gamma = Some(be32(data, 0)),
            b"cHRM" if data.len() == 32 => meta.chrm = Some(std::array::from_fn(|k| be32(data, k * 4))),
            b"sRGB" => meta.srgb = true,
            b"iCCP" => meta.iccp = true,
            b"tEXt" | b"zTXt" | b"iTXt" if meta.raw_exif.is_none() => {
                meta.raw_exif = text_chunk(kind, data).and_then(|(key, text)| raw_profile_exif(&key, &text));
            }
            _ => {}
        }
        i += 12 + len;
    }
    meta
}

fn be32(d: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([d[at], d[at + 1], d[at + 2], d[at + 3]])
}

/// Keyword and text of a `tEXt`, `zTXt` or `iTXt` chunk, inflated where compressed.
fn text_chunk(kind: &[u8], data: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let nul = data.iter().position(|&b| b == 0)?;
    let (key, rest) = (data[..nul].to_vec(), &data[nul + 1..]);
    let text = match kind {
        b"tEXt" => rest.to_vec(),
        // Compression method (0 = zlib), then the stream.
        b"zTXt" => inflate(rest.get(1..)?)?,
        _ => {
            // iTXt: compression flag, method, language tag\0, translated keyword\0, text.
            let (&flag, after) = rest.split_first()?;
            let after = after.get(1..)?;
            let lang = after.iter().position(|&b| b == 0)?;
            let after = &after[lang + 1..];
            let tr = after.iter().position(|&b| b == 0)?;
            let body = &after[tr + 1..];
            if flag == 1 {
                inflate(body)?
            } else {
                body.to_vec()
            }
        }
    };
    Some((key, text))
}

fn inflate(zlib: &[u8]) -> Option<Vec<u8>> {
    miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(zlib, MAX_TEXT).ok()
}

/// ImageMagick's raw profile text: `\n<name>\n<spaces><decimal length>\n<hex digits, in
/// lines>`. Returns the bytes for an EXIF profile (`exif`, or `APP1` holding `Exif\0\0`).
fn raw_profile_exif(key: &[u8], text: &[u8]) -> Option<Vec<u8>> {
    if key != b"Raw profile type exif" && key != b"Raw profile type APP1" {
        return None;
    }
    let mut lines = text.split(|&b| b == b'\n').filter(|l| !l.iter().all(u8::is_ascii_whitespace));
    let _name = lines.next()?;
    let len: usize = std::str::from_utf8(lines.next()?).ok()?.trim().parse().ok()?;
    if len > MAX_TEXT / 2 {
        return None;
    }
    let mut out = Vec::with_capacity(len);
    let mut high: Option<u8> = None;
    for &c in lines.flatten() {
        let Some(v) = (c as char).to_digit(16) else {
            if c.is_ascii_whitespace() {
                continue;
            }
            return None;
        };
        let v = u8::try_from(v).ok()?;
        match high.take() {
            Some(h) => out.push(h << 4 | v),
            None => high = Some(v),
        }
        if out.len() == len {
            break;
        }
    }
    (out.len() == len).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut c = u32::try_from(data.len()).unwrap().to_be_bytes().to_vec();
        c.extend_from_slice(kind);
        c.extend_from_slice(data);
        c.extend_from_slice(&[0; 4]); // CRC: not checked by the walk
        c
    }

    fn png(chunks: &[Vec<u8>]) -> Vec<u8> {
        let mut p = b"\x89PNG\r\n\x1a\n".to_vec();
        p.extend(chunk(b"IHDR", &[0; 13]));
        for c in chunks {
            p.extend_from_slice(c);
        }
        p.extend(chunk(b"IDAT", &[]));
        p
    }

    fn raw_profile(bytes: &[u8]) -> Vec<u8> {
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let lines: Vec<&str> = hex.as_bytes().chunks(72).map(|c| std::str::from_utf8(c).unwrap()).collect();
        format!("\nexif\n{:8}\n{}\n", bytes.len(), lines.join("\n")).into_bytes()
    }

    #[test]
    fn gamma_chrm_srgb_and_iccp_are_read() {
        let mut chrm = Vec::new();
        for v in [31_270u32, 32_900, 64_000, 33_000, 30_000, 60_000, 15_000, 6_000] {
            chrm.extend_from_slice(&v.to_be_bytes());
        }
        let m = read_meta(&png(&[chunk(b"gAMA", &100_000u32.to_be_bytes()), chunk(b"cHRM", &chrm)]));
        assert_eq!(m.gamma, Some(100_000));
        assert_eq!(m.chrm.map(|c| c[0]), Some(31_270));
        assert!(!m.srgb && !m.iccp);
        let m = read_meta(&png(&[chunk(b"sRGB", &[0]), chunk(b"iCCP", b"x\0\0")]));
        assert!(m.srgb && m.iccp && m.gamma.is_none());
    }

    #[test]
    fn raw_profile_exif_in_text_and_compressed_chunks() {
        let exif = b"Exif\0\0MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0\x06\0\0\0\0\0\0".to_vec();
        let text = raw_profile(&exif);
        let mut t = b"Raw profile type exif\0".to_vec();
        t.extend_from_slice(&text);
        assert_eq!(read_meta(&png(&[chunk(b"tEXt", &t)])).raw_exif.as_deref(), Some(&exif[..]));

        let mut z = b"Raw profile type exif\0\0".to_vec();
        z.extend(miniz_oxide::deflate::compress_to_vec_zlib(&text, 6));
        let got = read_meta(&png(&[chunk(b"zTXt", &z)])).raw_exif.unwrap();
        assert_eq!(super::super::jpeg::tiff_orientation(&got), Some(6));

        let mut it = b"Raw profile type exif\0\x01\0\0\0".to_vec();
        it.extend(miniz_oxide::deflate::compress_to_vec_zlib(&text, 6));
        assert_eq!(read_meta(&png(&[chunk(b"iTXt", &it)])).raw_exif, Some(exif));
    }

    #[test]
    fn other_keywords_bad_hex_and_short_data_are_ignored() {
        let mut t = b"Comment\0".to_vec();
        t.extend_from_slice(&raw_profile(b"Exif\0\0MM"));
        assert!(read_meta(&png(&[chunk(b"tEXt", &t)])).raw_exif.is_none());
        let mut bad = b"Raw profile type exif\0".to_vec();
        bad.extend_from_slice(b"\nexif\n      20\nzz\n");
        assert!(read_meta(&png(&[chunk(b"tEXt", &bad)])).raw_exif.is_none());
        // A chunk whose length runs past the end stops the walk without a panic.
        let mut cut = png(&[]);
        cut.truncate(20);
        assert_eq!(read_meta(&cut), PngMeta::default());
    }
}
