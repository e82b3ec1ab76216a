//! Simulated time: every validity decision takes "now" as data, never from the wall clock.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The default simulated "now": 2026-06-01T00:00:00Z. Scenarios and tests may set their own.
pub const DEFAULT_NOW: OffsetDateTime = time::macros::datetime!(2026-06-01 00:00:00 UTC);

/// Parses an RFC 3339 timestamp such as `2026-06-01T00:00:00Z`.
pub fn parse_rfc3339(text: &str) -> Result<OffsetDateTime, TimeError> {
    OffsetDateTime::parse(text, &Rfc3339).map_err(|source| TimeError {
        text: text.to_owned(),
        source,
    })
}

/// Formats a time as RFC 3339 in UTC, to the second.
pub fn format_rfc3339(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    let at = at.replace_nanosecond(0).unwrap_or(at);
    // Invariant: formatting a UTC time with a four-digit year as RFC 3339 cannot fail; the
    // fallback keeps the function total for years outside 0..=9999.
    at.format(&Rfc3339).unwrap_or_else(|_| at.to_string())
}

/// A timestamp that is not RFC 3339.
#[derive(Debug, thiserror::Error)]
#[error("`{text}` is not an RFC 3339 time (expected e.g. `2026-06-01T00:00:00Z`)")]
pub struct TimeError {
    text: String,
    #[source]
    source: time::error::Parse,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_rfc3339() {
        let at = parse_rfc3339("2026-06-01T00:00:00Z").unwrap();
        assert_eq!(at, DEFAULT_NOW);
        assert_eq!(format_rfc3339(at), "2026-06-01T00:00:00Z");
        assert!(parse_rfc3339("yesterday").is_err());
    }
}
