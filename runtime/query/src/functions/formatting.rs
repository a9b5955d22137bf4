//! Writing and reading dates and times as text. `formatDateTime(t, format[, timezone])` writes a
//! Date, DateTime or DateTime64 with ClickHouse's `%` specifiers (`%M` is the month's name, `%i`
//! the minute, `%f` always six digits, `%e` unpadded, as ClickHouse's default settings have
//! them). `parseDateTimeBestEffort(s[, timezone])` reads the many ways dates are written (ISO
//! 8601, RFC 2822, Unix times, `15/03/2024`, `Mar 15 2024`, `20240315102030`...) by ClickHouse's
//! rules, with its `OrNull` and `OrZero` forms, the `US` forms (`03/04/2024` is March 4, not
//! April 3) and the `parseDateTime64BestEffort` forms, which keep fractions of a second.

use std::fmt::Write;
use std::ops::ControlFlow;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Int64Array, StringArray, new_null_array};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, FieldRef, Int64Type, TimeUnit};
use chrono::{DateTime, Datelike, NaiveDate, Offset, TimeDelta, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    TypeSignature, Volatility,
};

use super::{OnFailure, columnar, nullable_if_an_argument_is};

pub fn functions() -> Vec<ScalarUDF> {
    let mut functions = vec![ScalarUDF::new_from_impl(FormatDateTime {
        signature: arities(2..=3),
    })];
    for sub_second in [false, true] {
        for us in [false, true] {
            for on_failure in [OnFailure::Error, OnFailure::Null, OnFailure::Zero] {
                functions.push(ScalarUDF::new_from_impl(ParseBestEffort::new(
                    sub_second, us, on_failure,
                )));
            }
        }
    }
    functions
}

/// Any arguments, as many as `counts` allows.
fn arities(counts: std::ops::RangeInclusive<usize>) -> Signature {
    Signature::one_of(
        counts.map(TypeSignature::Any).collect(),
        Volatility::Immutable,
    )
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

fn parse_zone(name: &str) -> Result<Tz> {
    name.parse()
        .or_else(|_| exec_err!("Cannot load time zone {name}"))
}

// ---------------------------------------------------------------------------------------------
// formatDateTime

/// `formatDateTime(t, format[, timezone])`: `t` as text. The format must be a constant; a
/// DateTime shows in `timezone`, else in its own zone; a Date has no zone (and no `%z`).
#[derive(Debug, PartialEq, Eq, Hash)]
struct FormatDateTime {
    signature: Signature,
}

/// Specifiers that stand for others.
const COMPOSITES: [(char, &str); 5] = [
    ('D', "%m/%d/%y"),
    ('F', "%Y-%m-%d"),
    ('r', "%h:%i %p"),
    ('R', "%H:%i"),
    ('T', "%H:%i:%S"),
];

/// Writes ClickHouse's `%spec` of `t`; false for a letter ClickHouse does not know (or, as
/// `%U`, `%v`, `%x` and `%X`, does not implement).
fn specifier(out: &mut String, spec: char, t: &DateTime<Tz>) -> bool {
    let month = MONTHS[t.month0() as usize];
    let weekday = WEEKDAYS[t.weekday().num_days_from_monday() as usize];
    let hour12 = (t.hour() + 11) % 12 + 1;
    let written = match spec {
        'a' => out.write_str(&weekday[..3]),
        'b' => out.write_str(&month[..3]),
        'c' | 'm' => write!(out, "{:02}", t.month()),
        'C' => write!(out, "{:02}", t.year().div_euclid(100)),
        'd' => write!(out, "{:02}", t.day()),
        'e' => write!(out, "{}", t.day()),
        'f' => write!(out, "{:06}", t.nanosecond() / 1_000),
        'g' => write!(out, "{:02}", t.iso_week().year().rem_euclid(100)),
        'G' => write!(out, "{:04}", t.iso_week().year()),
        'h' | 'I' | 'l' => write!(out, "{hour12:02}"),
        'H' | 'k' => write!(out, "{:02}", t.hour()),
        'i' => write!(out, "{:02}", t.minute()),
        'j' => write!(out, "{:03}", t.ordinal()),
        'M' => out.write_str(month),
        'n' => out.write_char('\n'),
        'p' => out.write_str(if t.hour() < 12 { "AM" } else { "PM" }),
        'Q' => write!(out, "{}", t.month0() / 3 + 1),
        's' | 'S' => write!(out, "{:02}", t.second()),
        't' => out.write_char('\t'),
        'u' => write!(out, "{}", t.weekday().number_from_monday()),
        'V' => write!(out, "{:02}", t.iso_week().week()),
        'w' => write!(out, "{}", t.weekday().num_days_from_sunday()),
        'W' => out.write_str(weekday),
        'y' => write!(out, "{:02}", t.year().rem_euclid(100)),
        'Y' => write!(out, "{:04}", t.year()),
        'z' => {
            let offset = t.offset().fix().local_minus_utc();
            let sign = if offset < 0 { '-' } else { '+' };
            let offset = offset.abs();
            write!(out, "{sign}{:02}{:02}", offset / 3_600, offset % 3_600 / 60)
        }
        '%' => out.write_char('%'),
        _ => return false,
    };
    written.is_ok()
}

/// A piece of a format: literal text or a specifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece<'a> {
    Text(&'a str),
    Specifier(char),
}

/// A format's pieces, with composite specifiers (`%F`...) spelled out.
fn compile(pattern: &str) -> Result<Vec<Piece<'_>>> {
    let epoch = DateTime::<Utc>::default().with_timezone(&chrono_tz::UTC);
    let mut pieces = Vec::new();
    let mut rest = pattern;
    while let Some(at) = rest.find('%') {
        if at > 0 {
            pieces.push(Piece::Text(&rest[..at]));
        }
        let mut chars = rest[at + 1..].chars();
        let Some(spec) = chars.next() else {
            return exec_err!(
                "'%' must not be the last character in the format string, use '%%' instead"
            );
        };
        rest = chars.as_str();
        if let Some(&(_, spelled_out)) = COMPOSITES.iter().find(|(c, _)| *c == spec) {
            pieces.extend(compile(spelled_out)?);
        } else if specifier(&mut String::new(), spec, &epoch) {
            pieces.push(Piece::Specifier(spec));
        } else {
            return exec_err!("formatDateTime does not support '%{spec}'");
        }
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest));
    }
    Ok(pieces)
}

fn render(pieces: &[Piece<'_>], t: &DateTime<Tz>) -> String {
    let mut out = String::new();
    for piece in pieces {
        match piece {
            Piece::Text(text) => out.push_str(text),
            Piece::Specifier(spec) => {
                specifier(&mut out, *spec, t);
            }
        }
    }
    out
}

/// The instants of a Date, DateTime or DateTime64 array (a date's at midnight UTC).
fn instants(array: &ArrayRef) -> Result<Vec<Option<DateTime<Utc>>>> {
    let from: fn(i64) -> Option<DateTime<Utc>> = match array.data_type() {
        DataType::Date32 => |days| DateTime::from_timestamp(days * 86_400, 0),
        DataType::Date64 | DataType::Timestamp(TimeUnit::Millisecond, _) => {
            DateTime::from_timestamp_millis
        }
        DataType::Timestamp(TimeUnit::Second, _) => |seconds| DateTime::from_timestamp(seconds, 0),
        DataType::Timestamp(TimeUnit::Microsecond, _) => DateTime::from_timestamp_micros,
        DataType::Timestamp(TimeUnit::Nanosecond, _) => {
            |nanos| Some(DateTime::from_timestamp_nanos(nanos))
        }
        other => {
            return exec_err!(
                "Illegal type {other} of first argument of function formatDateTime. \
                 Should be a date or a date with time"
            );
        }
    };
    let ticks = cast(array, &DataType::Int64)?;
    Ok(ticks
        .as_primitive::<Int64Type>()
        .iter()
        .map(|v| v.and_then(from))
        .collect())
}

/// A constant string argument; None when it is NULL.
fn constant_text(value: &ColumnarValue, what: &str) -> Result<Option<String>> {
    match value {
        ColumnarValue::Scalar(v) if v.is_null() => Ok(None),
        ColumnarValue::Scalar(v) => match v.try_as_str() {
            Some(Some(text)) => Ok(Some(text.to_string())),
            _ => exec_err!("formatDateTime: the {what} must be a string"),
        },
        ColumnarValue::Array(_) => exec_err!("formatDateTime: the {what} must be a constant"),
    }
}

impl ScalarUDFImpl for FormatDateTime {
    fn name(&self) -> &str {
        "formatdatetime"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        nullable_if_an_argument_is(self, args)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let is_scalar = matches!(args.args[0], ColumnarValue::Scalar(_));
        let times = args.args[0].to_array(args.number_rows)?;
        let nulls = || columnar(new_null_array(&DataType::Utf8, times.len()), is_scalar);
        let Some(pattern) = constant_text(&args.args[1], "format")? else {
            return nulls();
        };
        let zone = match args.args.get(2) {
            None => None,
            Some(arg) => match constant_text(arg, "time zone")? {
                Some(name) => Some(parse_zone(&name)?),
                None => return nulls(),
            },
        };
        let pieces = compile(&pattern)?;
        let tz = match times.data_type() {
            DataType::Null => return nulls(),
            DataType::Date32 | DataType::Date64 => {
                if pieces.contains(&Piece::Specifier('z')) {
                    return exec_err!("formatDateTime: a Date has no time zone offset (%z)");
                }
                chrono_tz::UTC
            }
            DataType::Timestamp(_, own) => match zone {
                Some(zone) => zone,
                None => parse_zone(own.as_deref().unwrap_or(colibri_types::DEFAULT_TIME_ZONE))?,
            },
            _ => chrono_tz::UTC, // `instants` refuses it
        };
        let texts: StringArray = instants(&times)?
            .into_iter()
            .map(|t| t.map(|t| render(&pieces, &t.with_timezone(&tz))))
            .collect();
        columnar(Arc::new(texts), is_scalar)
    }
}

// ---------------------------------------------------------------------------------------------
// parseDateTimeBestEffort

/// `parseDateTimeBestEffort(s[, timezone])` -> DateTime, or with `sub_second`
/// `parseDateTime64BestEffort(s[, precision[, timezone]])` -> DateTime64(precision, default 3).
/// A time without a zone or offset of its own is in `timezone` (UTC by default).
#[derive(Debug, PartialEq, Eq, Hash)]
struct ParseBestEffort {
    name: String,
    /// The DateTime64 forms.
    sub_second: bool,
    /// The `US` forms: `03/04/2024` is March 4.
    us: bool,
    on_failure: OnFailure,
    signature: Signature,
}

impl ParseBestEffort {
    fn new(sub_second: bool, us: bool, on_failure: OnFailure) -> Self {
        let name = format!(
            "parsedatetime{}besteffort{}{}",
            if sub_second { "64" } else { "" },
            if us { "us" } else { "" },
            match on_failure {
                OnFailure::Error => "",
                OnFailure::Zero => "orzero",
                OnFailure::Null => "ornull",
            }
        );
        let most = if sub_second { 3 } else { 2 };
        ParseBestEffort {
            name,
            sub_second,
            us,
            on_failure,
            signature: arities(1..=most),
        }
    }
}

/// A DateTime64 precision (0 to 9 decimals).
fn precision_of(value: Option<&ScalarValue>) -> Result<u32> {
    match value.map(|v| v.cast_to(&DataType::Int64)).transpose()? {
        Some(ScalarValue::Int64(Some(p))) if (0..=9).contains(&p) => Ok(p as u32),
        _ => plan_err!("parseDateTime64BestEffort: the precision must be a constant from 0 to 9"),
    }
}

/// The Arrow unit that holds a precision (Arrow has no unit for 1, 2, 4, 5, 7 or 8 decimals).
fn unit_of(precision: u32) -> TimeUnit {
    match precision {
        0 => TimeUnit::Second,
        1..=3 => TimeUnit::Millisecond,
        4..=6 => TimeUnit::Microsecond,
        _ => TimeUnit::Nanosecond,
    }
}

impl ScalarUDFImpl for ParseBestEffort {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        let unit = if self.sub_second {
            TimeUnit::Millisecond
        } else {
            TimeUnit::Second
        };
        Ok(DataType::Timestamp(
            unit,
            Some(colibri_types::DEFAULT_TIME_ZONE.into()),
        ))
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let count = args.arg_fields.len();
        let constant = |i: usize| args.scalar_arguments.get(i).copied().flatten();
        let precision = match (self.sub_second, count) {
            (false, _) => 0,
            (true, 1) => 3,
            (true, _) => precision_of(constant(1))?,
        };
        let zone_at = if self.sub_second { 2 } else { 1 };
        let zone = if count > zone_at {
            let Some(Some(name)) = constant(zone_at).and_then(ScalarValue::try_as_str) else {
                return plan_err!("{}: the time zone must be a constant string", self.name);
            };
            parse_zone(name)?;
            name.to_string()
        } else {
            colibri_types::DEFAULT_TIME_ZONE.to_string()
        };
        let data_type = DataType::Timestamp(unit_of(precision), Some(zone.into()));
        let nullable =
            self.on_failure == OnFailure::Null || args.arg_fields.iter().any(|f| f.is_nullable());
        Ok(Arc::new(Field::new(self.name(), data_type, nullable)))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let result_type = args.return_field.data_type().clone();
        let DataType::Timestamp(unit, Some(zone)) = &result_type else {
            return exec_err!("{}: unexpected result type {result_type}", self.name);
        };
        let tz = parse_zone(zone)?;
        let precision = match (self.sub_second, args.args.get(1)) {
            (false, _) => 0,
            (true, None) => 3,
            (true, Some(ColumnarValue::Scalar(p))) => precision_of(Some(p))?,
            (true, Some(_)) => return exec_err!("{}: the precision must be a constant", self.name),
        };
        let per_second: i64 = match unit {
            TimeUnit::Second => 1,
            TimeUnit::Millisecond => 1_000,
            TimeUnit::Microsecond => 1_000_000,
            TimeUnit::Nanosecond => 1_000_000_000,
        };
        let kept = 10_u32.pow(9 - precision); // the nanoseconds a precision keeps
        let is_scalar = matches!(args.args[0], ColumnarValue::Scalar(_));
        let input = args.args[0].to_array(args.number_rows)?;
        let texts = match input.data_type() {
            DataType::Null | DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
                cast(&input, &DataType::Utf8)?
            }
            other => {
                return exec_err!(
                    "Illegal type {other} of first argument of function {}",
                    self.name
                );
            }
        };
        let today = Utc::now().with_timezone(&tz).date_naive();
        let mut ticks = Vec::with_capacity(texts.len());
        for text in texts.as_string::<i32>() {
            let Some(text) = text else {
                ticks.push(None);
                continue;
            };
            let parsed =
                parse_at(text, tz, self.us, self.sub_second, today).and_then(|(seconds, nanos)| {
                    if !self.sub_second {
                        return Some(seconds.clamp(0, i64::from(u32::MAX)));
                    }
                    let nanos = i64::from(nanos - nanos % kept);
                    seconds
                        .checked_mul(per_second)?
                        .checked_add(nanos / (1_000_000_000 / per_second))
                });
            ticks.push(match (parsed, self.on_failure) {
                (Some(value), _) => Some(value),
                (None, OnFailure::Zero) => Some(0),
                (None, OnFailure::Null) => None,
                (None, OnFailure::Error) => {
                    let what = if self.sub_second {
                        "DateTime64"
                    } else {
                        "DateTime"
                    };
                    return exec_err!("Cannot parse string '{text}' as {what}");
                }
            });
        }
        let ticks: ArrayRef = Arc::new(Int64Array::from(ticks));
        columnar(cast(&ticks, &result_type)?, is_scalar)
    }
}

/// The text not yet read.
struct Cursor<'a> {
    text: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        let hit = self.peek() == Some(byte);
        self.at += usize::from(hit);
        hit
    }

    fn eat_any(&mut self, bytes: &[u8]) -> bool {
        let hit = self.peek().is_some_and(|b| bytes.contains(&b));
        self.at += usize::from(hit);
        hit
    }

    /// Up to 19 digits, as many as ClickHouse reads at once.
    fn digits(&mut self) -> &'a [u8] {
        self.run(19, u8::is_ascii_digit)
    }

    fn word(&mut self) -> &'a [u8] {
        self.run(usize::MAX, u8::is_ascii_alphabetic)
    }

    fn run(&mut self, most: usize, class: fn(&u8) -> bool) -> &'a [u8] {
        let start = self.at;
        while self.at - start < most && self.peek().is_some_and(|b| class(&b)) {
            self.at += 1;
        }
        &self.text[start..self.at]
    }
}

fn number(digits: &[u8]) -> i64 {
    digits.iter().fold(0, |n, d| n * 10 + i64::from(d - b'0'))
}

/// One or two digits, as a part of a date or time has.
fn short(digits: &[u8]) -> Option<i64> {
    (1..=2).contains(&digits.len()).then(|| number(digits))
}

/// Up to nine digits of a fraction of a second, as nanoseconds.
fn nanos(digits: &[u8]) -> u32 {
    let digits = &digits[..digits.len().min(9)];
    (number(digits) * 10_i64.pow(9 - digits.len() as u32)) as u32
}

/// The month a word names: its first three letters ("Mar", "march"; not "Marc").
fn month_named(word: &[u8]) -> Option<i64> {
    let prefix = word.get(..3)?;
    let index = MONTHS
        .iter()
        .position(|m| m.as_bytes()[..3].eq_ignore_ascii_case(prefix))?;
    whole_name(word).then_some(index as i64 + 1)
}

/// A word longer than three letters must be a whole month or weekday name.
fn whole_name(word: &[u8]) -> bool {
    word.len() == 3
        || MONTHS
            .iter()
            .chain(&WEEKDAYS)
            .any(|name| name.as_bytes().eq_ignore_ascii_case(word))
}

/// The parts of a date and time read so far; zero is "not read" (as is a zero day or month).
/// Digits read into a part already read add to it, as in ClickHouse (`Mar 20240315` is June 15).
#[derive(Default)]
struct Parts {
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    has_time: bool,
    nanos: Option<u32>,
    /// The text names a zone or an offset: hours and minutes east of UTC, or west when
    /// `offset_negative`. As in ClickHouse, offsets add up (`+01:00+01:00` is two hours) and a
    /// `-` sticks.
    zoned: bool,
    offset_hours: i64,
    offset_minutes: i64,
    offset_negative: bool,
    am: bool,
    pm: bool,
    /// A comma between the date and the time.
    comma: bool,
}

impl Parts {
    /// `YYYYMMDD`.
    fn add_date(&mut self, d: &[u8]) {
        self.year += number(&d[..4]);
        self.month += number(&d[4..6]);
        self.day += number(&d[6..8]);
    }

    /// `hhmmss`.
    fn add_time(&mut self, d: &[u8]) {
        self.hour += number(&d[..2]);
        self.minute += number(&d[2..4]);
        self.second += number(&d[4..6]);
        self.has_time = true;
    }

    /// Seconds east of UTC, when the text names a zone or an offset.
    fn offset(&self) -> Option<i64> {
        let seconds = self.offset_hours * 3_600 + self.offset_minutes * 60;
        self.zoned.then_some(if self.offset_negative {
            -seconds
        } else {
            seconds
        })
    }
}

/// Reads `text` as `parseDateTimeBestEffort` does: seconds since the epoch and nanoseconds, or
/// None. `us` reads `03/04/2024` month first; `sub_second` reads a fraction after a Unix time
/// (`1710498030.5`, as the DateTime64 forms do). A time without a zone of its own is in `tz`; a
/// date without a year is in the latest year that does not put it after `today`.
fn parse_at(
    text: &str,
    tz: Tz,
    us: bool,
    sub_second: bool,
    today: NaiveDate,
) -> Option<(i64, u32)> {
    let mut c = Cursor {
        text: text.as_bytes(),
        at: 0,
    };
    let mut p = Parts::default();
    while let Some(byte) = c.peek() {
        if byte == b',' && (p.year != 0) != p.has_time {
            c.at += 1;
            p.comma = true;
            if c.peek().is_none() {
                break;
            }
        }
        let mut read = 0;
        if p.year == 0 || !p.has_time {
            let digits = c.digits();
            read = digits.len();
            let alone = p.year == 0 && !p.has_time;
            match read {
                0 => {}
                // Unix times: in milli-, micro- or nanoseconds, or in seconds (with a fraction
                // for DateTime64).
                13 | 16 | 19 if alone => {
                    let (seconds, fraction) = digits.split_at(10);
                    let fraction = if sub_second { nanos(fraction) } else { 0 };
                    return c.peek().is_none().then(|| (number(seconds), fraction));
                }
                9 | 10 if alone => {
                    let fraction: &[u8] = if sub_second && c.eat(b'.') {
                        c.digits()
                    } else {
                        &[]
                    };
                    return c
                        .peek()
                        .is_none()
                        .then(|| (number(digits), nanos(fraction)));
                }
                14 if alone => {
                    p.add_date(&digits[..8]);
                    p.add_time(&digits[8..]);
                }
                8 if p.year == 0 => p.add_date(digits),
                6 if p.year == 0 && p.month == 0 => {
                    (p.year, p.month) = (number(&digits[..4]), number(&digits[4..]));
                }
                6 if !p.has_time => p.add_time(digits),
                4 if p.year == 0 => match after_year(&mut c, &mut p, number(digits))? {
                    ControlFlow::Continue(()) => continue,
                    ControlFlow::Break(()) => break,
                },
                1 | 2 => small_number(&mut c, &mut p, number(digits), us)?,
                _ => return None,
            }
        }
        if read > 0 {
            continue;
        }
        let Some(byte) = c.peek() else { break };
        match byte {
            b' ' => c.at += 1,
            b'T' if p.year != 0 && !p.has_time => c.at += 1,
            b'Z' => {
                c.at += 1;
                p.zoned = true;
            }
            b'.' => {
                c.at += 1;
                if !p.has_time || p.nanos.is_some() {
                    return None;
                }
                p.nanos = Some(nanos(c.digits()));
            }
            b'+' | b'-' => {
                c.at += 1;
                offset_or_time(&mut c, &mut p, byte == b'-')?;
            }
            _ => {
                let word = c.word();
                if word.is_empty() {
                    break;
                }
                read_word(&mut c, &mut p, word)?;
            }
        }
    }
    if c.peek().is_some() {
        return None; // ClickHouse reads the whole string or fails
    }
    finish(&p, tz, today)
}

/// After a four-digit year: `-MM-DD`, `/M/D`, ` MM`... (one delimiter, used twice).
fn after_year(c: &mut Cursor, p: &mut Parts, year: i64) -> Option<ControlFlow<()>> {
    p.year = year;
    let Some(delimiter) = c.peek() else {
        return Some(ControlFlow::Continue(()));
    };
    if !(0x20..0x80).contains(&delimiter) || b",;'\"".contains(&delimiter) {
        return Some(ControlFlow::Break(()));
    }
    if p.month != 0 {
        return Some(ControlFlow::Continue(()));
    }
    c.at += 1;
    // After a space, something other than a month or day ("2024 Mar 15") is fine.
    let lenient = delimiter == b' ';
    match short(c.digits()) {
        Some(month) => p.month = month,
        None if lenient => return Some(ControlFlow::Continue(())),
        None => return None,
    }
    if p.day == 0 && c.eat(delimiter) {
        match short(c.digits()) {
            Some(day) => p.day = day,
            None if lenient => return Some(ControlFlow::Continue(())),
            None => return None,
        }
    }
    Some(ControlFlow::Continue(()))
}

/// One or two digits: an hour before `:`; a day (a month in the US forms) before `/`, `.` or
/// `-`, as in `15/03/2024`, `15.03.24`, `15-Mar-2024`; a day after a month (`March 15,`); else a
/// day, or an hour once there is a day (`2024-03-15 10am`).
fn small_number(c: &mut Cursor, p: &mut Parts, n: i64, us: bool) -> Option<()> {
    if c.eat(b':') {
        if p.has_time {
            return None;
        }
        p.hour = n;
        p.has_time = true;
        p.minute = short(c.digits())?;
        if c.eat(b':') {
            p.second = short(c.digits())?;
        }
    } else if c.eat(b',') {
        if p.month != 0 && p.day == 0 {
            p.day = n;
        }
    } else if c.eat_any(b"/.-") {
        if p.day != 0 || p.month != 0 {
            return None;
        }
        let next = c.digits();
        (p.day, p.month) = if us {
            (short(next)?, n)
        } else if next.is_empty() {
            let month = month_named(c.word())?;
            if c.peek().is_some_and(|b| b.is_ascii_digit()) {
                return None; // "20-Mar2024", unlike "20-Mar 2024", is refused
            }
            (n, month)
        } else {
            (n, short(next)?)
        };
        if p.month > 12 {
            (p.day, p.month) = (p.month, p.day);
        }
        if c.eat_any(b"/.-") {
            if p.year != 0 {
                return None;
            }
            let year = c.digits();
            p.year = match (year.len(), number(year)) {
                (4, y) => y,
                (2, y) if y >= 70 => 1900 + y,
                (2, y) => 2000 + y,
                _ => return None,
            };
        }
    } else if p.day != 0 {
        p.hour = n;
    } else {
        p.day = n;
    }
    Some(())
}

/// After `+` or `-`: a time `hhmmss` right after a date (`2024-03-15+102030`), else an offset:
/// `+h`, `+hh`, `+hmm`, `+hhmm`, `+h:mm`, `+hh:mm`.
fn offset_or_time(c: &mut Cursor, p: &mut Parts, negative: bool) -> Option<()> {
    let digits = c.digits();
    if digits.len() == 6 && !p.has_time && p.year != 0 && p.month != 0 && p.day != 0 {
        p.add_time(digits);
        return Some(());
    }
    let (hours, mut minutes) = match digits.len() {
        1 | 2 => (number(digits), 0),
        3 | 4 => {
            let (hours, minutes) = digits.split_at(digits.len() - 2);
            (number(hours), number(minutes))
        }
        _ => return None,
    };
    if digits.len() < 3 && c.eat(b':') {
        minutes = short(c.digits())?;
    }
    p.zoned = true;
    p.offset_negative |= negative;
    p.offset_hours += hours;
    p.offset_minutes += minutes;
    Some(())
}

/// A word: AM or PM, a month, a weekday (RFC 2822's "Fri,"), or UTC, GMT, MSK or MSD.
fn read_word(c: &mut Cursor, p: &mut Parts, word: &[u8]) -> Option<()> {
    if word.len() == 2 {
        match word.to_ascii_lowercase().as_slice() {
            b"am" => p.am = true,
            b"pm" => p.pm = true,
            _ => return None,
        }
        return Some(());
    }
    if word.len() < 3 || !whole_name(word) {
        return None;
    }
    if let Some(month) = month_named(word) {
        p.month = month;
        return Some(());
    }
    match word[..3].to_ascii_lowercase().as_slice() {
        b"utc" | b"gmt" => p.zoned = true,
        b"msk" => (p.zoned, p.offset_hours) = (true, 3),
        b"msd" => (p.zoned, p.offset_hours) = (true, 4),
        prefix
            if WEEKDAYS
                .iter()
                .any(|d| d.as_bytes()[..3].eq_ignore_ascii_case(prefix)) =>
        {
            c.eat(b',');
        }
        _ => return None,
    }
    Some(())
}

/// The instant the parts name, once the text is read.
fn finish(p: &Parts, tz: Tz, today: NaiveDate) -> Option<(i64, u32)> {
    if p.comma && (!p.has_time || p.year == 0 || p.month == 0 || p.day == 0) {
        return None;
    }
    if p.year == 0 && p.month == 0 && p.day == 0 && !p.has_time {
        return None;
    }
    let (month, day) = (p.month.max(1), p.day.max(1));
    let this_year = i64::from(today.year());
    let year = match p.year {
        0 if (month, day) <= (i64::from(today.month()), i64::from(today.day())) => this_year,
        0 => this_year - 1,
        year => year,
    };
    let date = NaiveDate::from_ymd_opt(
        i32::try_from(year).ok()?,
        u32::try_from(month).ok()?,
        u32::try_from(day).ok()?,
    )?;
    let mut hour = p.hour;
    if p.am && hour == 12 {
        hour = 0;
    }
    if p.pm && hour < 12 {
        hour += 12;
    }
    // Hours, minutes and seconds may overflow into the next day ("25:00:00"), as in ClickHouse.
    let seconds = hour * 3_600 + p.minute * 60 + p.second;
    let whole = match p.offset() {
        Some(offset) => date.and_hms_opt(0, 0, 0)?.and_utc().timestamp() + seconds - offset,
        None => local_seconds(tz, date, seconds)?,
    };
    Some((whole, p.nanos.unwrap_or(0)))
}

/// The instant `seconds` after the start of local day `date` in `tz`, as ClickHouse counts it:
/// from the day's first instant (the change itself when a change skips midnight), moved by
/// that day's change of offset once it has happened. So a time in a spring-forward gap (02:30)
/// reads as an hour earlier (01:30), and one in a fall-back overlap as the earlier instant.
fn local_seconds(tz: Tz, date: NaiveDate, seconds: i64) -> Option<i64> {
    let midnight = date.and_hms_opt(0, 0, 0)?;
    let start = tz
        .from_local_datetime(&midnight)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(midnight + TimeDelta::hours(1)))
                .earliest()
        })?
        .timestamp();
    let offset_at = |t: i64| -> Option<i64> {
        let utc = DateTime::from_timestamp(t, 0)?.naive_utc();
        Some(i64::from(
            tz.offset_from_utc_datetime(&utc).fix().local_minus_utc(),
        ))
    };
    let naive = start + seconds;
    Some(naive - (offset_at(naive.min(start + 86_399))? - offset_at(start - 1)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn format(t: DateTime<Tz>, pattern: &str) -> Result<String> {
        Ok(render(&compile(pattern)?, &t))
    }

    fn at(seconds: i64, nanos: u32, zone: &str) -> DateTime<Tz> {
        let tz: Tz = zone.parse().expect("a zone");
        DateTime::from_timestamp(seconds, nanos)
            .expect("an instant")
            .with_timezone(&tz)
    }

    /// Each specifier, as chDB 26.9 writes it for DateTime '2024-03-05 07:08:09',
    /// DateTime64(6) '2024-03-05 17:08:09.123456' and Date '2024-03-05' (at midnight UTC).
    #[test]
    fn every_specifier_as_chdb_writes_it() {
        let date_time = at(1_709_622_489, 0, "UTC");
        let date_time64 = at(1_709_658_489, 123_456_000, "UTC");
        let date = at(19_787 * 86_400, 0, "UTC");
        let cases = [
            ('a', "Tue", "Tue", "Tue"),
            ('b', "Mar", "Mar", "Mar"),
            ('c', "03", "03", "03"),
            ('C', "20", "20", "20"),
            ('d', "05", "05", "05"),
            ('D', "03/05/24", "03/05/24", "03/05/24"),
            ('e', "5", "5", "5"),
            ('f', "000000", "123456", "000000"),
            ('F', "2024-03-05", "2024-03-05", "2024-03-05"),
            ('g', "24", "24", "24"),
            ('G', "2024", "2024", "2024"),
            ('h', "07", "05", "12"),
            ('H', "07", "17", "00"),
            ('i', "08", "08", "00"),
            ('I', "07", "05", "12"),
            ('j', "065", "065", "065"),
            ('k', "07", "17", "00"),
            ('l', "07", "05", "12"),
            ('m', "03", "03", "03"),
            ('M', "March", "March", "March"),
            ('n', "\n", "\n", "\n"),
            ('p', "AM", "PM", "AM"),
            ('Q', "1", "1", "1"),
            ('r', "07:08 AM", "05:08 PM", "12:00 AM"),
            ('R', "07:08", "17:08", "00:00"),
            ('s', "09", "09", "00"),
            ('S', "09", "09", "00"),
            ('t', "\t", "\t", "\t"),
            ('T', "07:08:09", "17:08:09", "00:00:00"),
            ('u', "2", "2", "2"),
            ('V', "10", "10", "10"),
            ('w', "2", "2", "2"),
            ('W', "Tuesday", "Tuesday", "Tuesday"),
            ('y', "24", "24", "24"),
            ('Y', "2024", "2024", "2024"),
            ('z', "+0000", "+0000", "+0000"),
            ('%', "%", "%", "%"),
        ];
        for (spec, expected, expected64, expected_date) in cases {
            let pattern = format!("%{spec}");
            assert_eq!(format(date_time, &pattern).unwrap(), expected, "%{spec}");
            assert_eq!(
                format(date_time64, &pattern).unwrap(),
                expected64,
                "%{spec} (64)"
            );
            assert_eq!(
                format(date, &pattern).unwrap(),
                expected_date,
                "%{spec} (date)"
            );
        }
    }

    #[test]
    fn formats_in_zones_and_corners_as_chdb_does() {
        let cases = [
            // formatDateTime(toDateTime64('2024-03-05 07:08:09.123', 3, 'UTC'), ..., 'Europe/Madrid')
            (
                at(1_709_622_489, 123_000_000, "Europe/Madrid"),
                "%F %T.%f %z",
                "2024-03-05 08:08:09.123000 +0100",
            ),
            (
                at(1_720_163_289, 123_000_000, "Europe/Madrid"),
                "%F %T.%f %z",
                "2024-07-05 09:08:09.123000 +0200",
            ),
            (
                at(1_709_680_089, 0, "Asia/Tokyo"),
                "%F %T %z %a %p",
                "2024-03-06 08:08:09 +0900 Wed AM",
            ),
            (
                at(1_709_647_689, 0, "Asia/Tokyo"),
                "%F %T %z",
                "2024-03-05 23:08:09 +0900",
            ),
            (
                at(1_720_163_289, 0, "America/St_Johns"),
                "%F %T %z",
                "2024-07-05 04:38:09 -0230",
            ),
            (
                at(-1, 250_000_000, "UTC"),
                "%F %T.%f",
                "1969-12-31 23:59:59.250000",
            ),
            (
                at(18_628 * 86_400, 0, "UTC"),
                "%V %G %g %j %u %w %a",
                "53 2020 20 001 5 5 Fri",
            ),
            (
                at(20_087 * 86_400, 0, "UTC"),
                "%V %G %g %j %u %w %a",
                "01 2025 25 365 1 1 Mon",
            ),
            (
                at(-7_242 * 86_400, 0, "UTC"),
                "%C %y %j %W %M",
                "19 50 064 Sunday March",
            ),
            (
                at(1_709_597_289, 0, "UTC"),
                "%I %l %h %p %r",
                "12 12 12 AM 12:08 AM",
            ),
            (
                at(1_709_640_489, 0, "UTC"),
                "%I %l %h %p %r",
                "12 12 12 PM 12:08 PM",
            ),
            (at(1_709_622_489, 0, "UTC"), "abc %%Y é %Y", "abc %Y é 2024"),
            (at(1_709_622_489, 123_456_789, "UTC"), "%f", "123456"),
            (at(1_709_622_489, 0, "UTC"), "", ""),
        ];
        for (t, pattern, expected) in cases {
            assert_eq!(format(t, pattern).unwrap(), expected, "{pattern}");
        }
    }

    #[test]
    fn refuses_what_chdb_refuses() {
        let t = at(0, 0, "UTC");
        for pattern in [
            "abc %", "%o", "%q", "%A", "%E", "%v", "%x", "%U", "%X", "%Z", "%0",
        ] {
            assert!(format(t, pattern).is_err(), "{pattern}");
        }
    }

    /// chDB's `parseDateTimeBestEffortOrNull(text)` (UTC) on 2026-11-23, as Unix times.
    #[test]
    fn parses_as_chdb_does() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let parse = |text: &str| {
            parse_at(text, chrono_tz::UTC, false, false, today)
                .map(|(s, _)| s.clamp(0, i64::from(u32::MAX)))
        };
        let cases: &[(&str, Option<i64>)] = &[
            ("2024-03-15 10:20:30", Some(1710498030)),
            ("2024-03-15T10:20:30Z", Some(1710498030)),
            ("2024-03-15T10:20:30.123+02:00", Some(1710490830)),
            ("2024-03-15", Some(1710460800)),
            ("20240315", Some(1710460800)),
            ("20240315102030", Some(1710498030)),
            ("1710498030", Some(1710498030)),
            ("Fri, 15 Mar 2024 10:20:30 GMT", Some(1710498030)),
            ("15/03/2024 10:20:30", Some(1710498030)),
            ("03/15/2024 10:20:30", Some(1710498030)),
            ("03/04/2024", Some(1712102400)), // day first: April 3
            ("15.03.2024", Some(1710460800)),
            ("03.04.2024", Some(1712102400)),
            ("15-03-2024", Some(1710460800)),
            ("2024-03-15 10:20", Some(1710498000)),
            ("10:20:30", Some(1767262830)), // January 1 of this year
            ("Mar 15 2024", Some(1710460800)),
            ("15 Mar 2024", Some(1710460800)),
            ("March 15, 2024", Some(1710460800)),
            ("2024/03/15", Some(1710460800)),
            ("2024/03/15 10:20:30", Some(1710498030)),
            ("2024-03-15 10:20:30.123456", Some(1710498030)),
            ("2024-03-15T10:20:30+0530", Some(1710478230)),
            ("2024-03-15T10:20:30 +05:30", Some(1710478230)),
            ("2024-03-15 10:20:30 -0800", Some(1710526830)),
            ("2024-03-15 10:20:30 PST", None),
            ("2024-03-15 10:20:30 UTC", Some(1710498030)),
            ("2024-03-15 10:20:30 utc", Some(1710498030)),
            ("2024-03-15 10:20:30 MSK", Some(1710487230)),
            ("2024-03-15 10:20:30 msd", Some(1710483630)),
            ("2024-03-15 10:20:30 EST", None),
            ("2024-03-15 10:20:30 Z", Some(1710498030)),
            ("2024-03-15 10:20:30+02", Some(1710490830)),
            ("2024-03-15 10:20:30+2", Some(1710490830)),
            ("2024-03-15 10:20:30 +123", Some(1710493050)),
            ("2024-03-15 10:20:30 +12345", None),
            ("2024-03-15 10:20:30 +25:00", Some(1710408030)),
            ("2024-03-15 10:20:30Z+01:00", Some(1710494430)),
            ("", None),
            (" ", None),
            ("abc", None),
            ("2024", Some(1704067200)),
            ("202403", Some(1709251200)),
            ("2024-03", Some(1709251200)),
            ("2024-13-01", None),
            ("2024-02-30", None),
            ("2024-02-29", Some(1709164800)),
            ("2023-02-29", None),
            ("2024-03-15 25:00:00", Some(1710550800)),
            ("2024-03-15 10:61:00", Some(1710500460)),
            ("1", Some(1767225600)),
            ("0", None),
            ("-1", None),
            ("123", None),
            ("12345", None),
            ("171049803", Some(171049803)),
            ("17104980300", None),
            ("1710498030123", Some(1710498030)),
            ("1710498030.123", None),
            ("1710498030 ", None),
            ("  2024-03-15 10:20:30  ", Some(1710498030)),
            ("2024-03-15 10:20:30 garbage", None),
            ("2024-03-15 10am", Some(1710496800)),
            ("2024-03-15 10:20 PM", Some(1710541200)),
            ("2024-03-15 12:20 AM", Some(1710462000)),
            ("2024-03-15 12:20:30 pm", Some(1710505230)),
            ("12/31/2024 11:59:59 PM", Some(1735689599)),
            ("Fri Mar 15 10:20:30 UTC 2024", Some(1710498030)),
            ("Friday, March 15, 2024 10:20:30", Some(1710498030)),
            ("15 March 2024 10:20", Some(1710498000)),
            ("2024-Mar-15", None),
            ("15-Mar-2024", Some(1710460800)),
            ("15-Mar-24", Some(1710460800)),
            ("03/15/24", Some(1710460800)),
            ("3/5/2024", Some(1714694400)),
            ("5.3.2024", Some(1709596800)),
            ("24-03-15", Some(1427155200)), // day 24, March, 2015
            ("240315", None),
            ("2024-3-5", Some(1709596800)),
            ("1969-12-31 23:59:59", Some(0)),
            ("2200-01-01", Some(4294967295)),
            ("2024-03-15T10:20:30,123Z", None),
            ("2024-03-15 10:20:30.", Some(1710498030)),
            ("T10:20:30", None),
            ("2024-03-15T", Some(1710460800)),
            ("Mar 2024", Some(1709251200)),
            ("March", Some(1772323200)),
            ("15 Mar", Some(1773532800)),
            ("Dec 3 01:33:48", Some(1764725628)), // last year: December is still ahead
            ("Feb 29", None),
            ("20240315T102030Z", Some(1710498030)),
            ("20240315 102030", Some(1710498030)),
            ("2024-03-15+102030", Some(1710498030)),
            ("Married 15 2024", None),
            ("15 Marc 2024", None),
            ("Tues 15 Mar 2024", None),
            ("Mon,15 Mar 2024", Some(1710460800)),
            ("2024-03-15, 10:20:30", Some(1710498030)),
            ("2024/03/15, ", None),
            ("2024-03-15\t10:20:30", None),
            ("10:20:30 10:20:30", None),
            ("15 03 2024", Some(1705287600)), // day 15, 03 o'clock, January
            ("2024 Mar 15", Some(1710460800)),
            ("2024年", None),
        ];
        for &(text, expected) in cases {
            assert_eq!(parse(text), expected, "{text:?}");
        }
    }

    /// chDB's `parseDateTimeBestEffortOrNull(text, zone)`, with the clock changes of Madrid.
    #[test]
    fn parses_in_a_zone_as_chdb_does() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let cases = [
            ("2024-03-15 10:20:30", "Asia/Tokyo", Some(1710465630)),
            ("2024-03-15 10:20:30Z", "Asia/Tokyo", Some(1710498030)),
            ("2024-03-15", "Asia/Tokyo", Some(1710428400)),
            ("1710498030", "Asia/Tokyo", Some(1710498030)),
            ("2024-03-31 02:30:00", "Europe/Madrid", Some(1711845000)), // in the gap
            ("2024-03-31 01:59:59", "Europe/Madrid", Some(1711846799)),
            ("2024-03-31 03:00:00", "Europe/Madrid", Some(1711846800)),
            ("2024-10-27 02:30:00", "Europe/Madrid", Some(1729989000)), // the overlap
            ("2024-10-27 01:30:00", "Europe/Madrid", Some(1729985400)),
            ("2024-10-27 03:30:00", "Europe/Madrid", Some(1729996200)),
            ("2024-03-15 25:00:00", "Europe/Madrid", Some(1710547200)),
            ("2024-03-31 26:30:00", "Europe/Madrid", Some(1711931400)),
            ("2024-10-26 26:30:00", "Europe/Madrid", Some(1729989000)),
            ("2024-10-26 27:30:00", "Europe/Madrid", Some(1729992600)),
            (
                "2024-03-31 01:30:00 +0100",
                "Europe/Madrid",
                Some(1711845000),
            ),
        ];
        for (text, zone, expected) in cases {
            let tz: Tz = zone.parse().unwrap();
            let parsed = parse_at(text, tz, false, false, today).map(|(s, _)| s);
            assert_eq!(parsed, expected, "{text:?} in {zone}");
        }
    }

    /// chDB's `parseDateTimeBestEffortUSOrNull` on 2026-11-23.
    #[test]
    fn parses_month_first_as_chdb_does() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let cases = [
            ("03/04/2024", Some(1709510400)),
            ("15/03/2024", Some(1710460800)),
            ("15-Mar-2024", None),
            ("03.04.24", Some(1709510400)),
            ("3/4", Some(1772582400)),
        ];
        for (text, expected) in cases {
            let parsed = parse_at(text, chrono_tz::UTC, true, false, today).map(|(s, _)| s);
            assert_eq!(parsed, expected, "{text:?}");
        }
    }

    /// chDB's `parseDateTime64BestEffort`: seconds and nanoseconds before truncation.
    #[test]
    fn parses_fractions_as_chdb_does() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let cases = [
            (
                "2024-03-15 10:20:30.123456",
                Some((1710498030, 123_456_000)),
            ),
            (
                "2024-03-15 10:20:30.123456789",
                Some((1710498030, 123_456_789)),
            ),
            ("1710498030.5", Some((1710498030, 500_000_000))),
            ("1710498030123", Some((1710498030, 123_000_000))),
            ("1710498030.123456789", Some((1710498030, 123_456_789))),
            ("1969-12-31 23:59:59.5", Some((-1, 500_000_000))),
            ("1899-12-31 23:59:59", Some((-2208988801, 0))),
            (
                "2024-03-15 10:20:30.5 +01:00",
                Some((1710494430, 500_000_000)),
            ),
            ("2024-03-15 10:20:30Z.5", Some((1710498030, 500_000_000))),
            (
                "2024-03-15 10:20:30.1234567890123456789",
                Some((1710498030, 123_456_789)),
            ),
            ("2024-03-15 10:20:30.12345678901234567890", None),
            ("2024-03-15 10:20:30.123.456", None),
            ("2024-03-15.123", None),
        ];
        for (text, expected) in cases {
            assert_eq!(
                parse_at(text, chrono_tz::UTC, false, true, today),
                expected,
                "{text:?}"
            );
        }
    }
}
