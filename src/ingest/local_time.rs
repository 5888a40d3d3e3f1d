//! Timestamps written without a year or a zone, as syslog, network-device logs and nfdump's
//! CSV write them.
//!
//! The user can state the zone (`--tz`) and the year (`--year`) for every file or for the
//! files a pattern names; [`LoadOptions::for_file`] picks the settings of one file. Without
//! them, zone-less times are read as UTC and the year is inferred from the file's modification
//! time ([`YearInference`]). Each parser states in the file's notes what it assumed.

use std::fmt;
use std::path::{Component, Path};
use std::str::FromStr;

use chrono::{
    DateTime, Datelike, Duration, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, Offset,
    TimeZone, Utc,
};

/// The zone of timestamps written without one: a fixed UTC offset or an IANA time zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Zone {
    /// A fixed offset from UTC, such as `+02:00`; `UTC` is the zero offset.
    Fixed(FixedOffset),
    /// An IANA time zone, such as `Europe/Berlin`, whose offset follows daylight saving time.
    Iana(chrono_tz::Tz),
}

impl FromStr for Zone {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if matches!(text, "UTC" | "utc" | "Z" | "z" | "GMT") {
            return Ok(Zone::Fixed(utc_offset()));
        }
        if let Some(offset) = parse_offset(text) {
            return Ok(Zone::Fixed(offset));
        }
        chrono_tz::Tz::from_str(text).map(Zone::Iana).map_err(|_| {
            format!(
                "invalid zone '{text}': expected an IANA zone name such as Europe/Berlin, \
                 UTC, or an offset such as +02:00"
            )
        })
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Zone::Fixed(offset) if offset.local_minus_utc() == 0 => f.write_str("UTC"),
            Zone::Fixed(offset) => write!(f, "UTC{offset}"),
            Zone::Iana(tz) => f.write_str(tz.name()),
        }
    }
}

fn utc_offset() -> FixedOffset {
    Utc.fix()
}

/// Parses `+HH:MM`, `+HHMM` or `+HH` (or `-`), optionally after `UTC`.
fn parse_offset(text: &str) -> Option<FixedOffset> {
    let text = text.strip_prefix("UTC").unwrap_or(text);
    let (sign, digits) = match text.as_bytes().first()? {
        b'+' => (1, text.get(1..)?),
        b'-' => (-1, text.get(1..)?),
        _ => return None,
    };
    let digits: String = digits.chars().filter(|c| *c != ':').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (hours, minutes) = match digits.len() {
        1 | 2 => (digits.parse::<i32>().ok()?, 0),
        4 => (
            digits.get(..2)?.parse::<i32>().ok()?,
            digits.get(2..)?.parse::<i32>().ok()?,
        ),
        _ => return None,
    };
    if hours > 23 || minutes > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))
}

/// A value given for every file, or for the files whose path matches a pattern.
///
/// On the command line it is `VALUE` or `PATTERN=VALUE`. A pattern without `/` matches the
/// file name. A pattern with `/` matches the last components of the path, or the whole path
/// when it starts with `/`. `*` matches any run of characters within a component and `?` any one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileSetting<T> {
    /// The file pattern, or `None` for every file.
    pub pattern: Option<String>,
    /// The value.
    pub value: T,
}

impl<T> FileSetting<T> {
    /// Creates a setting for every file.
    pub fn all(value: T) -> Self {
        FileSetting {
            pattern: None,
            value,
        }
    }

    /// Creates a setting for the files matching `pattern`.
    pub fn matching(pattern: &str, value: T) -> Self {
        FileSetting {
            pattern: Some(pattern.to_owned()),
            value,
        }
    }

    /// Returns whether the setting applies to `path`.
    pub fn applies_to(&self, path: &Path) -> bool {
        self.pattern
            .as_deref()
            .is_none_or(|pattern| path_matches(pattern, path))
    }
}

impl<T: FromStr<Err = String>> FromStr for FileSetting<T> {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        // The value comes after the last `=`, since file names may contain one but zones and
        // years never do.
        match text.rsplit_once('=') {
            Some(("", _)) => Err(format!(
                "invalid setting '{text}': the file pattern before '=' is empty"
            )),
            Some((pattern, value)) => Ok(FileSetting::matching(pattern, value.parse()?)),
            None => Ok(FileSetting::all(text.parse()?)),
        }
    }
}

impl<T: fmt::Display> fmt::Display for FileSetting<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.pattern {
            Some(pattern) => write!(f, "{pattern}={}", self.value),
            None => write!(f, "{}", self.value),
        }
    }
}

/// A year given with `--year`, the year of a file's first timestamp that has none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Year(pub i32);

impl FromStr for Year {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        match text.parse::<i32>() {
            Ok(year) if text.len() == 4 && (1000..=9999).contains(&year) => Ok(Year(year)),
            _ => Err(format!(
                "invalid year '{text}': expected four digits, such as 2023"
            )),
        }
    }
}

impl fmt::Display for Year {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

fn path_matches(pattern: &str, path: &Path) -> bool {
    let names: Vec<String> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(name) => Some(name.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    let anchored = pattern.starts_with('/');
    let parts: Vec<&str> = pattern.split('/').filter(|p| !p.is_empty()).collect();
    if parts.is_empty() || parts.len() > names.len() || (anchored && parts.len() != names.len()) {
        return false;
    }
    // Compared from the end, so the parts meet the last `parts.len()` names.
    parts
        .iter()
        .rev()
        .zip(names.iter().rev())
        .all(|(part, name)| glob_matches(part.as_bytes(), name.as_bytes()))
}

/// Matches `name` against `pattern`, where `*` is any run of bytes and `?` any one byte.
fn glob_matches(pattern: &[u8], name: &[u8]) -> bool {
    let (mut p, mut n) = (0, 0);
    // Where the last `*` was and the name position it matched up to, for backtracking.
    let mut star: Option<(usize, usize)> = None;
    while let Some(&byte) = name.get(n) {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, n));
                p += 1;
            }
            Some(&c) if c == b'?' || c == byte => {
                p += 1;
                n += 1;
            }
            _ => match star {
                Some((star_p, star_n)) => {
                    p = star_p + 1;
                    n = star_n + 1;
                    star = Some((star_p, star_n + 1));
                }
                None => return false,
            },
        }
    }
    pattern
        .get(p..)
        .unwrap_or_default()
        .iter()
        .all(|&c| c == b'*')
}

/// Settings for formats whose records leave out the year or the zone of their timestamps.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// `--tz`: the zone of timestamps written without one.
    pub zones: Vec<FileSetting<Zone>>,
    /// `--year`: the year of each file's first timestamp written without one; later ones
    /// follow it across New Year.
    pub years: Vec<FileSetting<Year>>,
    /// `--memory-limit`: the maximum bytes the store's events and strings may take, by
    /// [`crate::store::EventStore::heap_bytes`]. A file that would pass it is not loaded, and
    /// neither are the files after it. `None` loads everything.
    pub memory_limit: Option<u64>,
}

/// The settings that apply to one file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileTimeOptions {
    /// The zone, and the setting it came from.
    pub zone: Option<(Zone, String)>,
    /// The year, and the setting it came from.
    pub year: Option<(i32, String)>,
}

impl LoadOptions {
    /// Picks the settings for `path`: a setting with a matching pattern wins over one for every
    /// file, and among several matching patterns the last one given wins.
    pub fn for_file(&self, path: &Path) -> FileTimeOptions {
        FileTimeOptions {
            zone: pick(&self.zones, path).map(|s| (s.value, describe("--tz", s))),
            year: pick(&self.years, path).map(|s| (s.value.0, describe("--year", s))),
        }
    }

    /// Returns the `--tz` and `--year` patterns that match none of `paths`, as given.
    pub fn unmatched_patterns<'a>(
        &self,
        paths: impl Iterator<Item = &'a Path> + Clone,
    ) -> Vec<String> {
        let zones = self.zones.iter().map(|s| ("--tz", s.pattern.as_deref()));
        let years = self.years.iter().map(|s| ("--year", s.pattern.as_deref()));
        zones
            .chain(years)
            .filter_map(|(option, pattern)| Some((option, pattern?)))
            .filter(|(_, pattern)| !paths.clone().any(|p| path_matches(pattern, p)))
            .map(|(option, pattern)| format!("{option} pattern '{pattern}'"))
            .collect()
    }
}

fn pick<'a, T>(settings: &'a [FileSetting<T>], path: &Path) -> Option<&'a FileSetting<T>> {
    let specific = settings
        .iter()
        .rev()
        .find(|s| s.pattern.is_some() && s.applies_to(path));
    specific.or_else(|| settings.iter().rev().find(|s| s.pattern.is_none()))
}

fn describe<T: fmt::Display>(option: &str, setting: &FileSetting<T>) -> String {
    format!("{option} {setting}")
}

/// How far past the file's modification time an inferred timestamp may fall before it is
/// moved a year back. One day absorbs clocks and zones that differ from the reading host.
const MTIME_SLACK_SECONDS: i64 = 86_400;

/// Chooses the year of timestamps that have none.
///
/// With a given year, the first line is in that year and a line whose month is more than six
/// months before the previous line's starts the next year (a New Year rollover). Without a
/// given year, the same rule starts from the file's modification year. A line that would then
/// fall after the modification time moves a year back, so every line lands in the twelve
/// months up to it.
#[derive(Debug)]
pub(crate) struct YearInference {
    year: i32,
    previous_month: Option<u32>,
    limit: Option<NaiveDateTime>,
    first_year: Option<i32>,
}

impl YearInference {
    /// Starts from `year` when given, else from the year of `modified`, else from today.
    pub fn new(year: Option<i32>, modified: Option<DateTime<Utc>>) -> Self {
        let limit =
            modified.map(|m| m.naive_utc() + chrono::Duration::seconds(MTIME_SLACK_SECONDS));
        YearInference {
            year: year
                .or(modified.map(|m| m.year()))
                .unwrap_or_else(|| Utc::now().year()),
            previous_month: None,
            // A year given by the user is trusted as is.
            limit: if year.is_some() { None } else { limit },
            first_year: None,
        }
    }

    /// Returns the local date and time of `month`/`day` `time` in the inferred year, or
    /// `None` when that date does not exist (Feb 29 outside a leap year).
    pub fn resolve(
        &mut self,
        month: u32,
        day: u32,
        seconds_of_day: u32,
        nanos: u32,
    ) -> Option<NaiveDateTime> {
        if let Some(previous) = self.previous_month
            && month + 6 < previous
        {
            self.year += 1;
        }
        self.previous_month = Some(month);
        let build = |year: i32| {
            NaiveDate::from_ymd_opt(year, month, day)?.and_hms_nano_opt(
                seconds_of_day / 3600,
                seconds_of_day / 60 % 60,
                seconds_of_day % 60,
                nanos,
            )
        };
        let time = build(self.year)?;
        let time = match self.limit {
            Some(limit) if time > limit => {
                self.year -= 1;
                build(self.year)?
            }
            _ => time,
        };
        self.first_year.get_or_insert(time.year());
        Some(time)
    }

    /// Returns the year of the first timestamp resolved, if any was.
    pub fn first_year(&self) -> Option<i32> {
        self.first_year
    }
}

/// Describes the year assumption of a file for its notes, such as "year 2023 for the first
/// line, inferred so that each line falls in the 12 months up to the file's modification time
/// (2024-01-10)".
pub(crate) fn describe_year(
    inference: &YearInference,
    given: Option<&(i32, String)>,
    modified: Option<DateTime<Utc>>,
) -> String {
    let first = inference
        .first_year()
        .map_or_else(|| "no year".to_owned(), |year| format!("year {year}"));
    match (given, modified) {
        (Some((_, setting)), _) => format!("{first} for the first line (set by {setting})"),
        (None, Some(modified)) => format!(
            "{first} for the first line, inferred so that each line falls in the 12 months up \
             to the file's modification time ({})",
            modified.format("%Y-%m-%d")
        ),
        (None, None) => format!(
            "{first} for the first line, taken from the current date because the file's \
             modification time is unknown"
        ),
    }
}

/// Converts local times to UTC in one zone, counting the times a daylight saving change makes
/// ambiguous or nonexistent.
#[derive(Debug)]
pub(crate) struct LocalClock {
    zone: Option<(Zone, String)>,
    previous: Option<i64>,
    ambiguous: u64,
    nonexistent: u64,
}

impl LocalClock {
    /// Creates a clock for `zone`, or for UTC when `None`.
    pub fn new(zone: Option<(Zone, String)>) -> Self {
        LocalClock {
            zone,
            previous: None,
            ambiguous: 0,
            nonexistent: 0,
        }
    }

    /// Converts `local` to nanoseconds since the Unix epoch, or `None` when it is out of range.
    ///
    /// A time in the hour repeated when daylight saving time ends gets the earlier of its two
    /// meanings. It gets the later one when the earlier would put it before the previous time
    /// converted, so a log that runs through the repeated hour stays in order. A time in the gap when
    /// daylight saving time starts is read with the offset in effect before the change.
    pub fn resolve_utc(&mut self, local: NaiveDateTime) -> Option<i64> {
        let nanos = match self.zone.as_ref().map(|(zone, _)| *zone) {
            None => local.and_utc().timestamp_nanos_opt()?,
            Some(Zone::Fixed(offset)) => (local
                - Duration::seconds(i64::from(offset.local_minus_utc())))
            .and_utc()
            .timestamp_nanos_opt()?,
            Some(Zone::Iana(tz)) => self.resolve_in(tz, local)?,
        };
        self.previous = Some(nanos);
        Some(nanos)
    }

    fn resolve_in(&mut self, tz: chrono_tz::Tz, local: NaiveDateTime) -> Option<i64> {
        match tz.from_local_datetime(&local) {
            LocalResult::Single(time) => time.timestamp_nanos_opt(),
            LocalResult::Ambiguous(earlier, later) => {
                self.ambiguous += 1;
                let earlier = earlier.timestamp_nanos_opt()?;
                match self.previous {
                    Some(previous) if earlier < previous => later.timestamp_nanos_opt(),
                    _ => Some(earlier),
                }
            }
            LocalResult::None => {
                self.nonexistent += 1;
                // Step back until the clock reads a time that exists, and take that time's
                // offset. Gaps last an hour in most zones and at most a day.
                (1..=48).find_map(|half_hours| {
                    let shift = Duration::minutes(30 * half_hours);
                    match tz.from_local_datetime(&(local - shift)) {
                        LocalResult::Single(before) | LocalResult::Ambiguous(_, before) => {
                            (before + shift).timestamp_nanos_opt()
                        }
                        LocalResult::None => None,
                    }
                })
            }
        }
    }

    /// Describes the zone assumption for the file's notes, such as "times read as
    /// UTC+02:00 (set by --tz +02:00)".
    pub fn describe(&self) -> String {
        let mut text = match &self.zone {
            Some((zone, setting)) => format!("times read as {zone} (set by {setting})"),
            None => "times read as UTC (no --tz given)".to_owned(),
        };
        if self.ambiguous > 0 {
            text.push_str(&format!(
                ", {} of them in the hour repeated when daylight saving time ended, read so \
                 that they stay in file order",
                self.ambiguous
            ));
        }
        if self.nonexistent > 0 {
            text.push_str(&format!(
                ", {} of them in the gap when daylight saving time started, read with the \
                 offset before the change",
                self.nonexistent
            ));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn local(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    fn utc(text: &str) -> i64 {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .timestamp_nanos_opt()
            .unwrap()
    }

    #[test]
    fn zones_parse() {
        let berlin = Zone::Iana(chrono_tz::Europe::Berlin);
        let cases: &[(&str, Zone)] = &[
            ("UTC", Zone::Fixed(utc_offset())),
            ("Z", Zone::Fixed(utc_offset())),
            ("+02:00", Zone::Fixed(FixedOffset::east_opt(7200).unwrap())),
            ("+0530", Zone::Fixed(FixedOffset::east_opt(19800).unwrap())),
            ("-05", Zone::Fixed(FixedOffset::west_opt(18000).unwrap())),
            ("UTC+2", Zone::Fixed(FixedOffset::east_opt(7200).unwrap())),
            ("Europe/Berlin", berlin),
        ];
        for (text, expected) in cases {
            assert_eq!(text.parse::<Zone>().as_ref(), Ok(expected), "{text}");
        }
        for bad in ["Europe/Berln", "+25:00", "+1:2:3", "", "+"] {
            assert!(bad.parse::<Zone>().is_err(), "{bad}");
        }
        assert_eq!(berlin.to_string(), "Europe/Berlin");
        assert_eq!("+02:00".parse::<Zone>().unwrap().to_string(), "UTC+02:00");
    }

    #[test]
    fn settings_parse_with_and_without_pattern() {
        let all: FileSetting<Zone> = "Europe/Berlin".parse().unwrap();
        assert_eq!(all.pattern, None);
        let one: FileSetting<Zone> = "logs/a=b.log=+02:00".parse().unwrap();
        assert_eq!(one.pattern.as_deref(), Some("logs/a=b.log"));
        assert!("=+02:00".parse::<FileSetting<Zone>>().is_err());
        assert!(
            "auth.log=Mars/Olympus"
                .parse::<FileSetting<Zone>>()
                .is_err()
        );
        assert_eq!(
            "2023".parse::<FileSetting<Year>>().unwrap().value,
            Year(2023)
        );
        assert!("23".parse::<FileSetting<Year>>().is_err());
    }

    #[test]
    fn patterns_match_names_and_path_tails() {
        let path = PathBuf::from("/cases/4711/router1/syslog.log");
        for pattern in [
            "syslog.log",
            "*.log",
            "sys?og.log",
            "router1/*",
            "4711/router1/syslog.log",
            "/cases/*/router1/syslog.log",
        ] {
            assert!(path_matches(pattern, &path), "{pattern}");
        }
        for pattern in [
            "syslog",
            "router2/*",
            "/4711/router1/syslog.log",
            "*.txt",
            "a/b/c/d/e/f",
        ] {
            assert!(!path_matches(pattern, &path), "{pattern}");
        }
    }

    #[test]
    fn file_pattern_beats_all_files() {
        let options = LoadOptions {
            zones: vec![
                FileSetting::matching("auth.log", "+02:00".parse().unwrap()),
                FileSetting::all("UTC".parse().unwrap()),
            ],
            years: vec![FileSetting::all(Year(2021))],
            ..LoadOptions::default()
        };

        let auth = options.for_file(Path::new("x/auth.log"));
        let other = options.for_file(Path::new("x/syslog"));

        assert_eq!(auth.zone.unwrap().1, "--tz auth.log=UTC+02:00");
        assert_eq!(other.zone.unwrap().1, "--tz UTC");
        assert_eq!(auth.year.unwrap().0, 2021);
        let paths = [Path::new("x/syslog")];
        assert_eq!(
            options.unmatched_patterns(paths.iter().copied()),
            vec!["--tz pattern 'auth.log'".to_owned()]
        );
    }

    #[test]
    fn iana_zone_follows_daylight_saving() {
        let zone = Zone::Iana(chrono_tz::Europe::Berlin);
        let mut clock = LocalClock::new(Some((zone, "--tz Europe/Berlin".to_owned())));

        assert_eq!(
            clock.resolve_utc(local("2023-01-10 12:00:00")),
            Some(utc("2023-01-10T11:00:00Z"))
        );
        assert_eq!(
            clock.resolve_utc(local("2023-07-10 12:00:00")),
            Some(utc("2023-07-10T10:00:00Z"))
        );
        // 02:30 does not exist on 2023-03-26; it is read with the winter offset.
        assert_eq!(
            clock.resolve_utc(local("2023-03-26 02:30:00")),
            Some(utc("2023-03-26T01:30:00Z"))
        );
        // The hour from 02:00 happens twice on 2023-10-29: in summer time, then in winter time.
        assert_eq!(
            clock.resolve_utc(local("2023-10-29 02:50:00")),
            Some(utc("2023-10-29T00:50:00Z"))
        );
        assert_eq!(
            clock.resolve_utc(local("2023-10-29 02:10:00")),
            Some(utc("2023-10-29T01:10:00Z"))
        );
        let note = clock.describe();
        assert!(note.contains("Europe/Berlin"), "{note}");
        assert!(note.contains("2 of them in the hour repeated"), "{note}");
        assert!(note.contains("1 of them in the gap"), "{note}");
    }

    #[test]
    fn fixed_offset_and_utc() {
        let zone = "-05:00".parse::<Zone>().unwrap();
        let mut fixed = LocalClock::new(Some((zone, "--tz -05:00".to_owned())));
        let mut plain = LocalClock::new(None);

        assert_eq!(
            fixed.resolve_utc(local("2023-01-10 12:00:00")),
            Some(utc("2023-01-10T17:00:00Z"))
        );
        assert_eq!(
            plain.resolve_utc(local("2023-01-10 12:00:00")),
            Some(utc("2023-01-10T12:00:00Z"))
        );
        assert!(plain.describe().contains("read as UTC"));
    }
}
