//! Dates and date-times in event values: `YYYY-MM-DD`, optionally followed by `T` or a space
//! and `HH:MM:SS`, an optional fraction of up to nine digits, and an optional zone (`Z`,
//! `±HH`, `±HHMM` or `±HH:MM`, optionally after a space). One scanner serves both schema
//! guessing (what kind of value is this?) and conversion (which instant is it?); it is on the
//! hot path of every event, so it reads bytes directly instead of trying format strings.

use chrono::NaiveDate;

/// A date or date-time read from text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Temporal {
    /// Nanoseconds since the Unix epoch, in UTC (text without a zone is read as UTC).
    pub nanos: i128,
    /// `None` for a date alone; `Some(n)` for a date-time with `n` fractional digits.
    pub fraction_digits: Option<u8>,
    /// The text named its zone (`Z` or an offset); otherwise it is a local time.
    pub zoned: bool,
}

fn number(bytes: &[u8], range: std::ops::Range<usize>) -> Option<u32> {
    let digits = bytes.get(range)?;
    digits.iter().try_fold(0u32, |n, b| {
        b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0'))
    })
}

/// Seconds east of UTC of a zone suffix; `None` when it is not one.
fn zone_offset(zone: &[u8]) -> Option<i64> {
    let zone = zone.strip_prefix(b" ").unwrap_or(zone);
    match zone {
        [] | [b'Z'] => return Some(0),
        _ => {}
    }
    let sign = match zone.first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let hours = number(zone, 1..3)?;
    let minutes = match &zone[3..] {
        [] => 0,
        [b':', ..] if zone.len() == 6 => number(zone, 4..6)?,
        _ if zone.len() == 5 => number(zone, 3..5)?,
        _ => return None,
    };
    (hours < 24 && minutes < 60).then(|| sign * i64::from(hours * 3600 + minutes * 60))
}

/// Reads `text` as a date or date-time; `None` when it is neither (or not a real date).
pub fn parse(text: &str) -> Option<Temporal> {
    let bytes = text.as_bytes();
    if bytes.len() < 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(
        number(bytes, 0..4)? as i32,
        number(bytes, 5..7)?,
        number(bytes, 8..10)?,
    )?;
    let day_nanos = i128::from(date.and_hms_opt(0, 0, 0)?.and_utc().timestamp()) * 1_000_000_000;
    if bytes.len() == 10 {
        return Some(Temporal {
            nanos: day_nanos,
            fraction_digits: None,
            zoned: false,
        });
    }
    if bytes.len() < 19
        || !matches!(bytes[10], b' ' | b'T')
        || bytes[13] != b':'
        || bytes[16] != b':'
    {
        return None;
    }
    let (hour, minute, second) = (
        number(bytes, 11..13)?,
        number(bytes, 14..16)?,
        number(bytes, 17..19)?,
    );
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut rest = &bytes[19..];
    let mut fraction_digits = 0u8;
    let mut fraction_nanos = 0i128;
    if let Some(after) = rest.strip_prefix(b".") {
        let count = after.iter().take_while(|b| b.is_ascii_digit()).count();
        if count == 0 {
            return None;
        }
        for (i, digit) in after[..count].iter().enumerate() {
            if i < 9 {
                fraction_nanos = fraction_nanos * 10 + i128::from(digit - b'0');
            }
        }
        fraction_digits = count.min(9) as u8;
        fraction_nanos *= 10i128.pow(9 - u32::from(fraction_digits));
        rest = &after[count..];
    }
    let offset = zone_offset(rest)?;
    let seconds = i64::from(hour * 3600 + minute * 60 + second) - offset;
    Some(Temporal {
        nanos: day_nanos + i128::from(seconds) * 1_000_000_000 + fraction_nanos,
        fraction_digits: Some(fraction_digits),
        zoned: !rest.is_empty(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nanos(text: &str) -> Option<i128> {
        parse(text).map(|t| t.nanos)
    }

    #[test]
    fn dates_and_date_times() {
        assert_eq!(
            parse("2024-05-01"),
            Some(Temporal {
                nanos: 1_714_521_600_000_000_000,
                fraction_digits: None,
                zoned: false
            })
        );
        assert_eq!(
            nanos("2024-05-01 10:00:00"),
            Some(1_714_557_600_000_000_000)
        );
        assert_eq!(
            nanos("2024-05-01T10:00:00Z"),
            Some(1_714_557_600_000_000_000)
        );
        assert_eq!(
            parse("2022-11-14 12:08:46.574295 +0100"),
            Some(Temporal {
                nanos: 1_668_424_126_574_295_000,
                fraction_digits: Some(6),
                zoned: true
            })
        );
        assert_eq!(
            nanos("2024-05-01T12:00:00+02:00"),
            nanos("2024-05-01 10:00:00")
        );
        assert_eq!(
            nanos("2024-05-01T07:30:00-02:30"),
            nanos("2024-05-01 10:00:00")
        );
        assert_eq!(
            nanos("2024-05-01 12:00:00+02"),
            nanos("2024-05-01 10:00:00")
        );
        assert_eq!(nanos("1969-12-31 23:59:59.5"), Some(-500_000_000));
    }

    #[test]
    fn rejects_what_is_not_a_date() {
        for text in [
            "2024-02-30",
            "2024-05-01 25:00:00",
            "2024-05-01 10:00",
            "2024-05-01 10:00:00.",
            "2024-05-01 10:00:00 UTC",
            "20240501",
            "hello world",
            "2024-05-01x",
        ] {
            assert_eq!(parse(text), None, "{text}");
        }
    }
}
