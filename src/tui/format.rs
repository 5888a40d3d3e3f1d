//! Formatting of times, durations and counts for display.

use chrono::DateTime;

use crate::store::Timestamp;

const NANOS_PER_SECOND: i64 = 1_000_000_000;

/// Formats a timestamp as `YYYY-MM-DD HH:MM:SS` in UTC, or `?` when it is out of chrono's range.
pub fn time(timestamp: Timestamp) -> String {
    let seconds = timestamp.div_euclid(NANOS_PER_SECOND);
    let nanos = u32::try_from(timestamp.rem_euclid(NANOS_PER_SECOND)).unwrap_or(0);
    match DateTime::from_timestamp(seconds, nanos) {
        Some(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
        None => "?".to_owned(),
    }
}

/// Formats the time of day of a timestamp as `HH:MM:SS` in UTC, or `?` when it is out of
/// chrono's range.
pub fn clock(timestamp: Timestamp) -> String {
    time(timestamp)
        .split_once(' ')
        .map_or_else(|| "?".to_owned(), |(_, clock)| clock.to_owned())
}

/// Formats the time from `earlier` to `later` with a sign and the two largest units, such as
/// `+1m02s`, `+3h04m` or `+2d05h`. Steps less than a second apart show as `+0s`.
pub fn delta(earlier: Timestamp, later: Timestamp) -> String {
    let nanos = i128::from(later) - i128::from(earlier);
    let sign = if nanos < 0 { '-' } else { '+' };
    let seconds = nanos.unsigned_abs() / NANOS_PER_SECOND.unsigned_abs() as u128;
    let (days, hours) = (seconds / 86_400, seconds % 86_400 / 3_600);
    let (minutes, secs) = (seconds % 3_600 / 60, seconds % 60);
    if days > 0 {
        format!("{sign}{days}d{hours:02}h")
    } else if hours > 0 {
        format!("{sign}{hours}h{minutes:02}m")
    } else if minutes > 0 {
        format!("{sign}{minutes}m{secs:02}s")
    } else {
        format!("{sign}{secs}s")
    }
}

/// Formats a count with thousands separators, such as `12,345`.
pub fn count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Formats a count with the noun that agrees with it, such as `1 file` or `12,345 events`.
pub fn counted(n: usize, singular: &str, plural: &str) -> String {
    let noun = if n == 1 { singular } else { plural };
    format!("{} {noun}", count(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_formats_utc() {
        assert_eq!(
            time(1_700_000_000 * NANOS_PER_SECOND),
            "2023-11-14 22:13:20"
        );
    }

    #[test]
    fn clock_drops_date() {
        assert_eq!(clock(1_700_000_000 * NANOS_PER_SECOND), "22:13:20");
    }

    #[test]
    fn time_survives_extremes() {
        assert!(!time(i64::MIN).is_empty());
        assert!(!time(i64::MAX).is_empty());
    }

    #[test]
    fn delta_uses_two_units() {
        let s = NANOS_PER_SECOND;
        assert_eq!(delta(0, 62 * s), "+1m02s");
        assert_eq!(delta(0, 500_000_000), "+0s");
        assert_eq!(delta(0, 3 * 3600 * s + 4 * 60 * s), "+3h04m");
        assert_eq!(delta(0, 2 * 86_400 * s + 5 * 3600 * s), "+2d05h");
        assert_eq!(delta(10 * s, 0), "-10s");
    }

    #[test]
    fn delta_survives_extremes() {
        assert!(delta(i64::MIN, i64::MAX).starts_with('+'));
        assert!(delta(i64::MAX, i64::MIN).starts_with('-'));
    }

    #[test]
    fn counted_agrees_with_count() {
        assert_eq!(counted(1, "file", "files"), "1 file");
        assert_eq!(counted(0, "file", "files"), "0 files");
        assert_eq!(counted(2_000, "file", "files"), "2,000 files");
    }

    #[test]
    fn count_groups_thousands() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_000), "1,000");
        assert_eq!(count(1_234_567), "1,234,567");
    }
}
