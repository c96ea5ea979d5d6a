//! Topic filters: checked before they are sent (so a typo is a usage error, not a dropped
//! connection) and matched against topic names for `sub -T`.

use crate::error::{shorten, Failure};

/// Checks a subscription filter: not empty, `#` only as the whole last level, `+` only as a
/// whole level, no NUL, at most 65535 bytes; `$share/GROUP/FILTER` needs a plain group.
pub fn validate_filter(filter: &str, flag: &str) -> Result<(), Failure> {
    let bad = |why: &str| {
        Err(Failure::Usage(format!(
            "{flag} '{}': {why}",
            shorten(filter)
        )))
    };
    if filter.is_empty() {
        return bad("a filter cannot be empty");
    }
    if filter.len() > 65535 {
        return bad("a filter is at most 65535 bytes");
    }
    if filter.contains('\0') {
        return bad("a filter cannot contain a NUL character");
    }
    let mut rest = filter;
    if let Some(shared) = filter.strip_prefix("$share/") {
        let Some((group, inner)) = shared.split_once('/') else {
            return bad("a shared subscription is $share/GROUP/FILTER");
        };
        if group.is_empty() || group.contains(['+', '#']) {
            return bad("the $share group must be a plain, non-empty name");
        }
        if inner.is_empty() {
            return bad("a shared subscription is $share/GROUP/FILTER");
        }
        rest = inner;
    }
    let levels: Vec<&str> = rest.split('/').collect();
    for (i, level) in levels.iter().enumerate() {
        if level.contains('#') && (*level != "#" || i + 1 != levels.len()) {
            return bad("'#' must be a whole level and the last one (sensors/#)");
        }
        if level.contains('+') && *level != "+" {
            return bad("'+' must be a whole level (sensors/+/temp)");
        }
    }
    Ok(())
}

/// Whether topic name `topic` matches filter `filter` (a valid, non-shared filter). As the
/// standard says, a filter starting with a wildcard does not match `$SYS/…`-style topics.
pub fn filter_matches(filter: &str, topic: &str) -> bool {
    if topic.starts_with('$') && filter.starts_with(['+', '#']) {
        return false;
    }
    let mut topic_levels = topic.split('/');
    for level in filter.split('/') {
        match (level, topic_levels.next()) {
            ("#", _) => return true,
            ("+", Some(_)) => {}
            (level, Some(name)) if level == name => {}
            _ => return false,
        }
    }
    topic_levels.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_valid_filters() {
        for ok in [
            "a",
            "a/b",
            "#",
            "+",
            "a/+/c",
            "a/#",
            "+/+",
            "/",
            "a//b",
            "$SYS/#",
            "$share/g/a/#",
        ] {
            assert!(validate_filter(ok, "-t").is_ok(), "{ok}");
        }
    }

    #[test]
    fn rejects_malformed_filters_naming_the_flag() {
        for bad in [
            "",
            "a/#/b",
            "a#",
            "a/b#",
            "a+/b",
            "a/+b",
            "##",
            "$share/g",
            "$share//a",
            "$share/g+/a",
            "a\0b",
        ] {
            let error = validate_filter(bad, "-T").unwrap_err().to_string();
            assert!(error.starts_with("-T '"), "{bad}: {error}");
        }
    }

    #[test]
    fn matches_like_a_broker() {
        let cases = [
            ("a/b", "a/b", true),
            ("a/b", "a/c", false),
            ("a/+", "a/b", true),
            ("a/+", "a/b/c", false),
            ("a/+", "a/", true),
            ("a/#", "a", true),
            ("a/#", "a/b/c", true),
            ("#", "a/b", true),
            ("+/b", "a/b", true),
            ("+", "/a", false),
            ("+/+", "/a", true),
            ("#", "$SYS/x", false),
            ("+/x", "$SYS/x", false),
            ("$SYS/#", "$SYS/x", true),
            ("a/b", "a/b/c", false),
            ("a/b/c", "a/b", false),
        ];
        for (filter, topic, expected) in cases {
            assert_eq!(
                filter_matches(filter, topic),
                expected,
                "{filter} vs {topic}"
            );
        }
    }
}
