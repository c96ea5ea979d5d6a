//! Just enough of X.509 to explain a certificate problem in words: the version, the
//! validity dates, the subject's CN, whether a subjectAltName or CA flag is present and the
//! public key. Trust decisions stay with webpki; this reader only diagnoses, and returns
//! `None` for anything it does not understand.

/// What a certificate says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    /// 1 for an X.509 v1 certificate (no extensions), 3 for v3.
    pub version: u8,
    /// notBefore and notAfter, in seconds since the Unix epoch.
    pub not_before: i64,
    pub not_after: i64,
    /// The subject's common name, when it has one.
    pub common_name: Option<String>,
    /// Whether the certificate carries a subjectAltName extension.
    pub has_san: bool,
    /// Whether basicConstraints says CA:TRUE.
    pub is_ca: bool,
    /// Whether issuer and subject are the same name (self-issued).
    pub self_issued: bool,
    /// The DER SubjectPublicKeyInfo, tag and length included.
    pub spki: Vec<u8>,
}

/// Reads a DER certificate; `None` when it is not one.
pub fn parse(der: &[u8]) -> Option<CertInfo> {
    let (cert, _) = element(der, 0x30)?;
    let (tbs, _) = element(cert, 0x30)?;
    let mut rest = tbs;
    let mut version = 1;
    if rest.first() == Some(&0xa0) {
        let (explicit, after) = element(rest, 0xa0)?;
        let (number, _) = element(explicit, 0x02)?;
        version = number.last().copied()?.checked_add(1)?;
        rest = after;
    }
    let (_serial, rest) = element(rest, 0x02)?;
    let (_algorithm, rest) = element(rest, 0x30)?;
    let (issuer, rest) = whole(rest, 0x30)?;
    let (validity, rest) = element(rest, 0x30)?;
    let (subject_content, _) = element(rest, 0x30)?;
    let (subject, rest) = whole(rest, 0x30)?;
    let (spki, mut rest) = whole(rest, 0x30)?;
    let (not_before, after) = time(validity)?;
    let (not_after, _) = time(after)?;
    let mut has_san = false;
    let mut is_ca = false;
    while let Some(&tag) = rest.first() {
        let (content, after) = element(rest, tag)?;
        if tag == 0xa3 {
            let (list, _) = element(content, 0x30)?;
            let mut list = list;
            while !list.is_empty() {
                let (extension, after) = element(list, 0x30)?;
                let (oid, value) = element(extension, 0x06)?;
                match oid {
                    [0x55, 0x1d, 0x11] => has_san = true,
                    [0x55, 0x1d, 0x13] => is_ca = basic_constraints_ca(value).unwrap_or(false),
                    _ => {}
                }
                list = after;
            }
        }
        rest = after;
    }
    Some(CertInfo {
        version,
        not_before,
        not_after,
        common_name: common_name(subject_content),
        has_san,
        is_ca,
        self_issued: issuer == subject,
        spki: spki.to_vec(),
    })
}

/// The content of the element with `tag` at the start of `input`, and what follows it.
fn element(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (all, rest) = whole(input, tag)?;
    let header = all.len() - content_length(all)?;
    Some((&all[header..], rest))
}

/// The whole element (tag, length, content) with `tag` at the start of `input`, and what
/// follows it.
fn whole(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    if *input.first()? != tag {
        return None;
    }
    let length = content_length(input)?;
    let header = header_length(input)?;
    let end = header.checked_add(length)?;
    (end <= input.len()).then(|| input.split_at(end))
}

fn header_length(input: &[u8]) -> Option<usize> {
    let first = *input.get(1)?;
    if first < 0x80 {
        Some(2)
    } else {
        let bytes = usize::from(first & 0x7f);
        (1..=4).contains(&bytes).then_some(2 + bytes)
    }
}

fn content_length(input: &[u8]) -> Option<usize> {
    let first = *input.get(1)?;
    if first < 0x80 {
        return Some(usize::from(first));
    }
    let bytes = usize::from(first & 0x7f);
    if !(1..=4).contains(&bytes) {
        return None;
    }
    input.get(2..2 + bytes)?.iter().try_fold(0usize, |n, &b| {
        n.checked_mul(256).map(|n| n + usize::from(b))
    })
}

/// A UTCTime or GeneralizedTime as seconds since the epoch, and what follows it.
fn time(input: &[u8]) -> Option<(i64, &[u8])> {
    let tag = *input.first()?;
    let (content, rest) = element(input, tag)?;
    let text = std::str::from_utf8(content).ok()?.strip_suffix('Z')?;
    let (year, rest_of_date) = match tag {
        0x17 => {
            let yy: i32 = text.get(..2)?.parse().ok()?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, text.get(2..)?)
        }
        0x18 => (text.get(..4)?.parse().ok()?, text.get(4..)?),
        _ => return None,
    };
    let field = |at: usize| -> Option<u32> { rest_of_date.get(at..at + 2)?.parse().ok() };
    let date = chrono::NaiveDate::from_ymd_opt(year, field(0)?, field(2)?)?;
    let moment = date.and_hms_opt(field(4)?, field(6)?, field(8).unwrap_or(0))?;
    Some((moment.and_utc().timestamp(), rest))
}

/// basicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, ... } inside an OCTET STRING,
/// after an optional `critical` BOOLEAN.
fn basic_constraints_ca(value: &[u8]) -> Option<bool> {
    let value = match value.first() {
        Some(0x01) => element(value, 0x01)?.1,
        _ => value,
    };
    let (octets, _) = element(value, 0x04)?;
    let (sequence, _) = element(octets, 0x30)?;
    match element(sequence, 0x01) {
        Some((flag, _)) => Some(flag.first().is_some_and(|&b| b != 0)),
        None => Some(false),
    }
}

/// The first CN (2.5.4.3) of a Name's content.
fn common_name(mut name: &[u8]) -> Option<String> {
    while !name.is_empty() {
        let (set, after) = element(name, 0x31)?;
        let mut set = set;
        while !set.is_empty() {
            let (pair, after) = element(set, 0x30)?;
            let (oid, value) = element(pair, 0x06)?;
            if oid == [0x55, 0x04, 0x03] {
                let tag = *value.first()?;
                let (text, _) = element(value, tag)?;
                return Some(String::from_utf8_lossy(text).into_owned());
            }
            set = after;
        }
        name = after;
    }
    None
}

/// A moment as the messages show it: `2020-02-01 00:00 UTC`.
pub fn date(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| "an unreadable date".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::CertificateDer;

    fn fixture(name: &str) -> CertInfo {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/certs")
            .join(name);
        let der = CertificateDer::from_pem_file(path).expect("a PEM certificate");
        parse(&der).expect("parses")
    }

    #[test]
    fn reads_the_fixtures() {
        let ca = fixture("ca.pem");
        assert_eq!(ca.version, 3);
        assert!(ca.is_ca && ca.self_issued && !ca.has_san);
        assert_eq!(ca.common_name.as_deref(), Some("mqtk test CA"));
        let server = fixture("server.pem");
        assert!(server.has_san && !server.is_ca && !server.self_issued);
        assert_eq!(server.common_name.as_deref(), Some("localhost"));
        assert!(server.not_before < server.not_after);
        assert!(server.spki.starts_with(&[0x30]));
    }

    #[test]
    fn garbage_is_none() {
        assert_eq!(parse(b"not a certificate"), None);
        assert_eq!(parse(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), None);
        assert_eq!(parse(&[]), None);
    }
}
