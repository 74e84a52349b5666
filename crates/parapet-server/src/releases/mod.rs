//! The release calendar: the monthly release day (by default the second Tuesday of the month at
//! a configured time in a configured time zone), and the clock the scheduler reads, which tests
//! replace; the briefings publishers schedule around releases and the iCalendar feed
//! (`briefings.rs`); and advance notification of what a release will bring (`advance.rs`).

pub mod advance;
pub mod briefings;

use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use std::sync::Mutex;
use time::OffsetDateTime;

/// When the monthly release happens: the `week`-th `weekday` of each month at `time` in `zone`.
#[derive(Debug, Clone)]
pub struct Calendar {
    week: i8,
    weekday: Weekday,
    time: Time,
    zone: TimeZone,
    zone_name: String,
}

const WEEKS: [(&str, i8); 5] = [("first", 1), ("second", 2), ("third", 3), ("fourth", 4), ("last", -1)];
const WEEKDAYS: [(&str, Weekday); 7] = [
    ("monday", Weekday::Monday),
    ("tuesday", Weekday::Tuesday),
    ("wednesday", Weekday::Wednesday),
    ("thursday", Weekday::Thursday),
    ("friday", Weekday::Friday),
    ("saturday", Weekday::Saturday),
    ("sunday", Weekday::Sunday),
];

impl Calendar {
    /// Reads `day` (`second tuesday`, `last friday`…), `time` (`17:00`, 24-hour) and `zone` (an
    /// IANA time zone such as `America/Los_Angeles`, or `UTC`).
    pub fn new(day: &str, time: &str, zone: &str) -> Result<Calendar, String> {
        let words: Vec<String> = day.split_whitespace().map(str::to_ascii_lowercase).collect();
        let (week, weekday) = match words.as_slice() {
            [week, weekday] => (
                WEEKS.iter().find(|(w, _)| w == week).map(|(_, n)| *n),
                WEEKDAYS.iter().find(|(d, _)| d == weekday).map(|(_, d)| *d),
            ),
            _ => (None, None),
        };
        let (Some(week), Some(weekday)) = (week, weekday) else {
            return Err(format!(
                "releases.day: {day:?} is not a day of the month such as \"second tuesday\" (first, second, third, \
                 fourth or last, then a weekday)"
            ));
        };
        let time: Time =
            time.parse().map_err(|_| format!("releases.time: {time:?} is not a time of day such as \"17:00\""))?;
        let zone_value = TimeZone::get(zone)
            .map_err(|_| format!("releases.time_zone: {zone:?} is not a known time zone such as \"Europe/Berlin\""))?;
        Ok(Calendar { week, weekday, time, zone: zone_value, zone_name: zone.to_owned() })
    }

    pub fn zone_name(&self) -> &str {
        &self.zone_name
    }

    /// The release instant of a month.
    pub fn release_of(&self, year: i16, month: i8) -> Option<OffsetDateTime> {
        let first = Date::new(year, month, 1).ok()?;
        let date = first.nth_weekday_of_month(self.week, self.weekday).ok()?;
        let zoned = date.to_datetime(self.time).to_zoned(self.zone.clone()).ok()?;
        OffsetDateTime::from_unix_timestamp_nanos(zoned.timestamp().as_nanosecond()).ok()
    }

    /// The first release instant strictly after `after`, and its month as `YYYY-MM`.
    pub fn next_release(&self, after: OffsetDateTime) -> Option<(OffsetDateTime, String)> {
        let timestamp = jiff::Timestamp::from_nanosecond(after.unix_timestamp_nanos()).ok()?;
        let local = timestamp.to_zoned(self.zone.clone());
        let (mut year, mut month) = (local.year(), local.month());
        for _ in 0..3 {
            if let Some(at) = self.release_of(year, month).filter(|at| *at > after) {
                return Some((at, format!("{year:04}-{month:02}")));
            }
            (year, month) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
        }
        None
    }

    /// The instant `days` business days before `release`: the same local time of day, stepping
    /// back over Saturdays, Sundays and `holidays` (local dates).
    pub fn business_days_before(
        &self,
        release: OffsetDateTime,
        days: u32,
        holidays: &[Date],
    ) -> Option<OffsetDateTime> {
        let timestamp = jiff::Timestamp::from_nanosecond(release.unix_timestamp_nanos()).ok()?;
        let local = timestamp.to_zoned(self.zone.clone());
        let mut date = local.date();
        let mut counted = 0;
        while counted < days {
            date = date.yesterday().ok()?;
            let weekend = matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday);
            if !weekend && !holidays.contains(&date) {
                counted += 1;
            }
        }
        let zoned = date.to_datetime(local.time()).to_zoned(self.zone.clone()).ok()?;
        OffsetDateTime::from_unix_timestamp_nanos(zoned.timestamp().as_nanosecond()).ok()
    }

    /// The month (`YYYY-MM`) whose release is exactly `at`, if any.
    pub fn month_of_release(&self, at: OffsetDateTime) -> Option<String> {
        let timestamp = jiff::Timestamp::from_nanosecond(at.unix_timestamp_nanos()).ok()?;
        let local = timestamp.to_zoned(self.zone.clone());
        (self.release_of(local.year(), local.month()) == Some(at))
            .then(|| format!("{:04}-{:02}", local.year(), local.month()))
    }
}

/// What time it is, for the scheduler. Tests use [`ManualClock`] to move across a release
/// instant without waiting for it.
pub trait Clock: Send + Sync {
    fn now(&self) -> OffsetDateTime;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that stands still until set.
pub struct ManualClock(Mutex<OffsetDateTime>);

impl ManualClock {
    pub fn new(at: OffsetDateTime) -> ManualClock {
        ManualClock(Mutex::new(at))
    }

    pub fn set(&self, at: OffsetDateTime) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = at;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn business_days_before_a_release() {
        let calendar = Calendar::new("second tuesday", "17:00", "UTC").unwrap();
        let release = calendar.release_of(2026, 12).unwrap();
        assert_eq!(release, datetime!(2026-12-08 17:00 UTC));
        let holiday = Date::new(2026, 12, 4).unwrap();
        let cases: [(u32, &[Date], OffsetDateTime); 4] = [
            // Monday 7, Friday 4, Thursday 3: the weekend does not count.
            (3, &[], datetime!(2026-12-03 17:00 UTC)),
            (1, &[], datetime!(2026-12-07 17:00 UTC)),
            (2, &[], datetime!(2026-12-04 17:00 UTC)),
            // A holiday on the Friday moves it a day earlier.
            (3, &[holiday], datetime!(2026-12-02 17:00 UTC)),
        ];
        for (days, holidays, expected) in cases {
            assert_eq!(calendar.business_days_before(release, days, holidays), Some(expected), "{days} {holidays:?}");
        }
        // Across the end of daylight saving time (Sunday 7 November 2027) the local time of day is
        // kept: 10:00 standard time (UTC-8) on the release, 10:00 daylight time (UTC-7) before.
        let pacific = Calendar::new("second tuesday", "10:00", "America/Los_Angeles").unwrap();
        let november = pacific.release_of(2027, 11).unwrap();
        assert_eq!(november, datetime!(2027-11-09 18:00 UTC));
        assert_eq!(pacific.business_days_before(november, 3, &[]), Some(datetime!(2027-11-04 17:00 UTC)));
    }

    #[test]
    fn second_tuesdays() {
        let pacific = Calendar::new("second tuesday", "10:00", "America/Los_Angeles").unwrap();
        // Daylight saving time moves the instant in UTC, never the local time.
        let table = [
            (2026, 1, datetime!(2026-01-13 18:00 UTC)),
            (2026, 3, datetime!(2026-03-10 17:00 UTC)),
            (2026, 11, datetime!(2026-11-10 18:00 UTC)),
            (2026, 12, datetime!(2026-12-08 18:00 UTC)),
        ];
        for (year, month, expected) in table {
            assert_eq!(pacific.release_of(year, month), Some(expected), "{year}-{month}");
        }
        assert_eq!(
            pacific.next_release(datetime!(2026-11-26 12:00 UTC)),
            Some((datetime!(2026-12-08 18:00 UTC), "2026-12".into()))
        );
        assert_eq!(
            pacific.next_release(datetime!(2026-12-08 18:00 UTC)),
            Some((datetime!(2027-01-12 18:00 UTC), "2027-01".into())),
            "the release instant itself is not after itself"
        );
        assert_eq!(pacific.month_of_release(datetime!(2026-12-08 18:00 UTC)), Some("2026-12".into()));
        assert_eq!(pacific.month_of_release(datetime!(2026-12-08 18:00:01 UTC)), None);
        let last = Calendar::new("Last Friday", "09:30", "UTC").unwrap();
        assert_eq!(last.release_of(2026, 2), Some(datetime!(2026-02-27 09:30 UTC)));
    }

    #[test]
    fn bad_settings_name_the_setting() {
        for (day, time, zone, needle) in [
            ("tuesday", "17:00", "UTC", "releases.day"),
            ("fifth tuesday", "17:00", "UTC", "releases.day"),
            ("second tuesday", "25:00", "UTC", "releases.time"),
            ("second tuesday", "17:00", "Mars/Olympus", "releases.time_zone"),
        ] {
            let err = Calendar::new(day, time, zone).unwrap_err();
            assert!(err.contains(needle), "{err}");
        }
    }
}
