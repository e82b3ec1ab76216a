//! Time: every validity decision takes "now" as data, from a [`Clock`] chosen at the edge
//! (the command line), never read from the wall clock deep inside.

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

/// The rule every tool follows for "now", as printed in banners and report headers.
pub const CLOCK_RULE: &str = "real certificates (yours, the tenant's records) are judged at the \
wall clock unless --now says otherwise; --now is a start time that runs forward; the seeded \
test PKI is placed around the clock in force; scenario files keep their own fixed \"now\"";

/// Where "now" comes from for validity decisions.
///
/// The rule (README, "Which clock?"): real certificates are judged at the wall clock
/// ([`Clock::System`]) unless `--now` says otherwise; a `--now` given on a command line is a
/// start time that runs forward ([`Clock::Running`]: each handshake sees start + elapsed); the
/// seeded test PKI is placed around the clock in force ([`world_anchor`]); scenario files and
/// tests keep a frozen "now" ([`Clock::Fixed`]) and stay deterministic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    /// A frozen time (scenario files, tests): deterministic.
    Fixed(OffsetDateTime),
    /// A simulated start time that runs forward from `since` (a command line's `--now`).
    Running {
        /// The simulated time at `since`.
        start: OffsetDateTime,
        /// The moment the clock was started.
        since: std::time::Instant,
    },
    /// The wall clock (a real receiver, as CPI would see it today).
    System,
}

impl Clock {
    /// A simulated clock starting at `start` now and running forward.
    pub fn running(start: OffsetDateTime) -> Self {
        Clock::Running {
            start,
            since: std::time::Instant::now(),
        }
    }

    /// The clock of a command line: `--now` (running forward from it) or the wall clock.
    pub fn from_flag(now: Option<OffsetDateTime>) -> Self {
        now.map_or(Clock::System, Clock::running)
    }

    /// The time this clock says it is.
    pub fn now(self) -> OffsetDateTime {
        match self {
            Clock::Fixed(at) => at,
            Clock::Running { start, since } => {
                let elapsed = since.elapsed();
                start + time::Duration::try_from(elapsed).unwrap_or(time::Duration::ZERO)
            }
            Clock::System => OffsetDateTime::now_utc(),
        }
    }

    /// What this clock is, in words: `wall clock`, `simulated --now, running` or
    /// `fixed simulated now`.
    pub fn label(self) -> &'static str {
        match self {
            Clock::Fixed(_) => "fixed simulated now",
            Clock::Running { .. } => "simulated --now, running",
            Clock::System => "wall clock",
        }
    }

    /// `2026-11-29T18:29:00Z (wall clock)`: a time of this clock, naming the clock.
    pub fn describe(self, at: OffsetDateTime) -> String {
        format!("{} ({})", format_rfc3339(at), self.label())
    }
}

/// The point the seeded test PKI's validity windows are placed around for a clock reading:
/// the start of its UTC day. Two processes started the same day (a receiver and a client
/// without `--now`) generate the same certificates; every window stays right for the whole
/// day (valid ones span months, "expired" ended the day before, "not yet valid" starts the
/// day after).
pub fn world_anchor(at: OffsetDateTime) -> OffsetDateTime {
    let at = at.to_offset(time::UtcOffset::UTC);
    at.replace_time(time::Time::MIDNIGHT)
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

    #[test]
    fn the_world_anchor_is_the_start_of_the_utc_day() {
        let at = parse_rfc3339("2028-11-29T18:29:07+02:00").unwrap();
        assert_eq!(format_rfc3339(world_anchor(at)), "2028-11-29T00:00:00Z");
    }

    #[test]
    fn clocks_name_themselves_and_a_running_one_starts_at_its_start() {
        let clock = Clock::running(DEFAULT_NOW);
        let now = clock.now();
        assert!(now >= DEFAULT_NOW && now - DEFAULT_NOW < time::Duration::minutes(5));
        assert_eq!(
            Clock::System.describe(DEFAULT_NOW),
            "2026-06-01T00:00:00Z (wall clock)"
        );
        assert_eq!(Clock::Fixed(DEFAULT_NOW).now(), DEFAULT_NOW);
        assert_eq!(Clock::from_flag(None), Clock::System);
    }
}
