//! Dates, times and intervals.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, Date32Array, IntervalMonthDayNanoArray, TimestampSecondArray,
};
use arrow::compute::cast;
use arrow::datatypes::{
    DataType, Field, FieldRef, Int64Type, IntervalMonthDayNano, TimeUnit, TimestampSecondType,
};
use datafusion::common::types::{NativeType, logical_int64};
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::{
    Coercion, ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl,
    Signature, TypeSignature, TypeSignatureClass, Volatility,
};

use super::{columnar, nullable_if_an_argument_is};

pub fn functions() -> Vec<ScalarUDF> {
    let dates = [
        DateFunction::new("todate", DateKind::ToDate),
        DateFunction::new("todatetime", DateKind::ToDateTime),
        DateFunction::new("tostartofminute", DateKind::StartOf(60)),
        DateFunction::new("tostartoffiveminutes", DateKind::StartOf(300)),
        DateFunction::new("tostartoffifteenminutes", DateKind::StartOf(900)),
        DateFunction::new("tostartofhour", DateKind::StartOfHour),
        DateFunction::new("tostartofday", DateKind::StartOfDay),
        DateFunction::new("now", DateKind::Now),
        DateFunction::new("today", DateKind::Today),
    ];
    let parts = [
        ("toyear", Part::Year, DataType::UInt16),
        ("toquarter", Part::Quarter, DataType::UInt8),
        ("tomonth", Part::Month, DataType::UInt8),
        ("todayofmonth", Part::Day, DataType::UInt8),
        ("todayofweek", Part::DayOfWeek, DataType::UInt8),
        ("todayofyear", Part::DayOfYear, DataType::UInt16),
        ("tohour", Part::Hour, DataType::UInt8),
        ("tominute", Part::Minute, DataType::UInt8),
        ("tosecond", Part::Second, DataType::UInt8),
        ("toyyyymm", Part::YearMonth, DataType::UInt32),
        ("toyyyymmdd", Part::YearMonthDay, DataType::UInt32),
    ];
    dates
        .into_iter()
        .map(ScalarUDF::new_from_impl)
        .chain(std::iter::once(ScalarUDF::new_from_impl(DateDiff {
            signature: Signature::any(3, Volatility::Immutable),
        })))
        .chain(std::iter::once(ScalarUDF::new_from_impl(StartOfInterval {
            signature: Signature::any(3, Volatility::Immutable),
        })))
        .chain(
            [
                "tostartofmonth",
                "tostartofquarter",
                "tostartofyear",
                "tomonday",
                "tostartofweek",
            ]
            .into_iter()
            .map(|name| {
                ScalarUDF::new_from_impl(StartOfPeriod {
                    name,
                    signature: Signature::any(1, Volatility::Immutable),
                })
            }),
        )
        .chain(parts.into_iter().map(|(name, part, result)| {
            ScalarUDF::new_from_impl(DatePartFunction {
                name,
                part,
                result,
                signature: Signature::any(1, Volatility::Immutable),
            })
        }))
        .chain(
            IntervalUnit::ALL
                .into_iter()
                .map(|unit| ScalarUDF::new_from_impl(ToInterval::new(unit))),
        )
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum DateKind {
    ToDate,
    ToDateTime,
    /// Rounded down to a multiple of this many seconds.
    StartOf(i64),
    StartOfHour,
    StartOfDay,
    Now,
    Today,
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct DateFunction {
    name: &'static str,
    kind: DateKind,
    signature: Signature,
}

impl DateFunction {
    fn new(name: &'static str, kind: DateKind) -> Self {
        let signature = match kind {
            DateKind::Now | DateKind::Today => Signature::nullary(Volatility::Stable),
            // `toDateTime(x, 'Europe/Madrid')`: the time zone to read `x` in and show it in.
            DateKind::ToDate | DateKind::ToDateTime => Signature::one_of(
                vec![TypeSignature::Any(1), TypeSignature::Any(2)],
                Volatility::Immutable,
            ),
            _ => Signature::any(1, Volatility::Immutable),
        };
        DateFunction {
            name,
            kind,
            signature,
        }
    }
}

fn time_zone_of(data_type: &DataType) -> Arc<str> {
    match data_type {
        DataType::Timestamp(_, Some(tz)) => tz.clone(),
        _ => colibri_types::DEFAULT_TIME_ZONE.into(),
    }
}

/// A time zone argument: a constant string naming a zone.
fn time_zone_argument(value: Option<&ScalarValue>) -> Result<Arc<str>> {
    match value {
        Some(ScalarValue::Utf8(Some(zone)) | ScalarValue::Utf8View(Some(zone))) => {
            if zone.parse::<chrono_tz::Tz>().is_err() {
                return plan_err!("Unknown time zone: {zone}");
            }
            Ok(zone.as_str().into())
        }
        _ => plan_err!("the time zone must be a constant string"),
    }
}

/// Seconds since the epoch of any date/time or string argument, in its time zone.
fn to_seconds(array: &ArrayRef) -> Result<TimestampSecondArray> {
    let tz = time_zone_of(array.data_type());
    let target = DataType::Timestamp(TimeUnit::Second, Some(tz));
    Ok(cast(array, &target)?
        .as_primitive::<TimestampSecondType>()
        .clone())
}

/// The UTC day of each time.
fn utc_days(array: &ArrayRef) -> Result<ArrayRef> {
    let days: Date32Array = to_seconds(array)?.unary(|s| s.div_euclid(86_400) as i32);
    Ok(Arc::new(days))
}

/// Rounds seconds down to a multiple of `step` (UTC; zones with whole-hour offsets agree for
/// hours).
fn floor_seconds(array: &ArrayRef, step: i64) -> Result<ArrayRef> {
    let tz = time_zone_of(array.data_type());
    let seconds = to_seconds(array)?;
    let floored: TimestampSecondArray = seconds.unary(|v| v - v.rem_euclid(step));
    Ok(Arc::new(floored.with_timezone(tz)))
}

impl ScalarUDFImpl for DateFunction {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        Ok(match self.kind {
            DateKind::ToDate | DateKind::Today => DataType::Date32,
            DateKind::Now => DataType::Timestamp(
                TimeUnit::Second,
                Some(colibri_types::DEFAULT_TIME_ZONE.into()),
            ),
            DateKind::ToDateTime
            | DateKind::StartOf(_)
            | DateKind::StartOfHour
            | DateKind::StartOfDay => {
                DataType::Timestamp(TimeUnit::Second, Some(time_zone_of(&args[0])))
            }
        })
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        if self.kind == DateKind::ToDateTime && args.arg_fields.len() == 2 {
            let zone = time_zone_argument(args.scalar_arguments[1])?;
            let nullable = args.arg_fields[0].is_nullable();
            let data_type = DataType::Timestamp(TimeUnit::Second, Some(zone));
            return Ok(Arc::new(Field::new(self.name, data_type, nullable)));
        }
        nullable_if_an_argument_is(self, args)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let now = chrono::Utc::now().timestamp();
        match self.kind {
            DateKind::Now => {
                return Ok(ColumnarValue::Scalar(ScalarValue::TimestampSecond(
                    Some(now),
                    Some(colibri_types::DEFAULT_TIME_ZONE.into()),
                )));
            }
            DateKind::Today => {
                return Ok(ColumnarValue::Scalar(ScalarValue::Date32(Some(
                    now.div_euclid(86_400) as i32,
                ))));
            }
            _ => {}
        }
        let Some(arg) = args.args.first() else {
            return exec_err!("{} expects one argument", self.name);
        };
        let is_scalar = matches!(arg, ColumnarValue::Scalar(_));
        let mut array = arg.to_array(args.number_rows)?;
        if let Some(zone) = args.args.get(1) {
            let zone = match zone {
                ColumnarValue::Scalar(zone) => time_zone_argument(Some(zone))?,
                ColumnarValue::Array(_) => time_zone_argument(None)?,
            };
            array = cast(&array, &DataType::Timestamp(TimeUnit::Second, Some(zone)))?;
        }
        let result: ArrayRef = match self.kind {
            DateKind::ToDate => match array.data_type() {
                DataType::Date32 => array,
                // Text, and times in UTC, whose days are whole multiples of 86,400 seconds.
                DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => utc_days(&array)?,
                DataType::Timestamp(_, tz)
                    if tz
                        .as_deref()
                        .is_none_or(|tz| tz == colibri_types::DEFAULT_TIME_ZONE) =>
                {
                    utc_days(&array)?
                }
                _ => cast(&array, &DataType::Date32)?,
            },
            DateKind::ToDateTime => {
                Arc::new(to_seconds(&array)?.with_timezone(time_zone_of(array.data_type())))
            }
            DateKind::StartOf(step) => floor_seconds(&array, step)?,
            DateKind::StartOfHour => floor_seconds(&array, 3_600)?,
            DateKind::StartOfDay => floor_seconds(&array, 86_400)?,
            DateKind::Now | DateKind::Today => unreachable!("handled above"),
        };
        columnar(result, is_scalar)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum IntervalUnit {
    Second,
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

impl IntervalUnit {
    const ALL: [IntervalUnit; 8] = [
        IntervalUnit::Second,
        IntervalUnit::Minute,
        IntervalUnit::Hour,
        IntervalUnit::Day,
        IntervalUnit::Week,
        IntervalUnit::Month,
        IntervalUnit::Quarter,
        IntervalUnit::Year,
    ];

    /// `n` of this unit as (months, days, nanoseconds).
    fn of(self, n: i64) -> IntervalMonthDayNano {
        const SECOND: i64 = 1_000_000_000;
        let (months, days, seconds) = match self {
            IntervalUnit::Second => (0, 0, n),
            IntervalUnit::Minute => (0, 0, n * 60),
            IntervalUnit::Hour => (0, 0, n * 3_600),
            IntervalUnit::Day => (0, n, 0),
            IntervalUnit::Week => (0, n * 7, 0),
            IntervalUnit::Month => (n, 0, 0),
            IntervalUnit::Quarter => (n * 3, 0, 0),
            IntervalUnit::Year => (n * 12, 0, 0),
        };
        IntervalMonthDayNano::new(months as i32, days as i32, seconds.wrapping_mul(SECOND))
    }
}

/// `toIntervalSecond`, with which ClickHouse's `time + n` (seconds) is said in DataFusion.
pub(crate) fn seconds_interval() -> ScalarUDF {
    ScalarUDF::new_from_impl(ToInterval::new(IntervalUnit::Second))
}

/// `toIntervalDay(n)` and its siblings: an interval of `n` units, to add to or subtract from
/// dates and times (`ts + toIntervalDay(90)`, as TTL expressions write it).
#[derive(Debug, PartialEq, Eq, Hash)]
struct ToInterval {
    name: String,
    unit: IntervalUnit,
    signature: Signature,
}

impl ToInterval {
    fn new(unit: IntervalUnit) -> Self {
        ToInterval {
            name: format!("tointerval{unit:?}").to_lowercase(),
            unit,
            signature: Signature::coercible(
                vec![Coercion::new_implicit(
                    TypeSignatureClass::Native(logical_int64()),
                    vec![TypeSignatureClass::Numeric],
                    NativeType::Int64,
                )],
                Volatility::Immutable,
            ),
        }
    }
}

impl ScalarUDFImpl for ToInterval {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Interval(
            arrow::datatypes::IntervalUnit::MonthDayNano,
        ))
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        nullable_if_an_argument_is(self, args)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let unit = self.unit;
        match &args.args[0] {
            ColumnarValue::Scalar(value) => {
                let n = match value.cast_to(&DataType::Int64)? {
                    ScalarValue::Int64(n) => n,
                    _ => None,
                };
                Ok(ColumnarValue::Scalar(ScalarValue::IntervalMonthDayNano(
                    n.map(|n| unit.of(n)),
                )))
            }
            ColumnarValue::Array(array) => {
                let numbers = cast(array, &DataType::Int64)?;
                let intervals: IntervalMonthDayNanoArray =
                    numbers.as_primitive::<Int64Type>().unary(|n| unit.of(n));
                Ok(ColumnarValue::Array(Arc::new(intervals)))
            }
        }
    }
}

/// A part of a date or time, in the value's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Part {
    Year,
    Quarter,
    Month,
    Day,
    DayOfWeek,
    DayOfYear,
    Hour,
    Minute,
    Second,
    YearMonth,
    YearMonthDay,
}

/// `toYear(d)`, `toHour(t)`, `toYYYYMM(d)`...: a part of a date or time as a number.
#[derive(Debug, PartialEq, Eq, Hash)]
struct DatePartFunction {
    name: &'static str,
    part: Part,
    result: DataType,
    signature: Signature,
}

impl ScalarUDFImpl for DatePartFunction {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(self.result.clone())
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        nullable_if_an_argument_is(self, args)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        use arrow::compute::kernels::temporal::{DatePart, date_part};
        let Some(arg) = args.args.first() else {
            return exec_err!("{} expects one argument", self.name);
        };
        let is_scalar = matches!(arg, ColumnarValue::Scalar(_));
        let array = arg.to_array(args.number_rows)?;
        let array = match array.data_type() {
            DataType::Date32 | DataType::Timestamp(..) => array,
            _ => Arc::new(to_seconds(&array)?.with_timezone(time_zone_of(array.data_type()))),
        };
        let part = |part: DatePart| -> Result<ArrayRef> { Ok(date_part(&array, part)?) };
        let ints = |array: &ArrayRef| array.as_primitive::<arrow::datatypes::Int32Type>().clone();
        let values: ArrayRef = match self.part {
            Part::Year => part(DatePart::Year)?,
            Part::Quarter => part(DatePart::Quarter)?,
            Part::Month => part(DatePart::Month)?,
            Part::Day => part(DatePart::Day)?,
            Part::DayOfWeek => {
                let monday0 = part(DatePart::DayOfWeekMonday0)?;
                Arc::new(ints(&monday0).unary::<_, arrow::datatypes::Int32Type>(|d| d + 1))
            }
            Part::DayOfYear => part(DatePart::DayOfYear)?,
            Part::Hour => part(DatePart::Hour)?,
            Part::Minute => part(DatePart::Minute)?,
            Part::Second => part(DatePart::Second)?,
            Part::YearMonth | Part::YearMonthDay => {
                let years = ints(&part(DatePart::Year)?);
                let months = ints(&part(DatePart::Month)?);
                let year_month: arrow::array::Int32Array =
                    arrow::compute::binary(&years, &months, |y, m| y * 100 + m)?;
                if self.part == Part::YearMonth {
                    Arc::new(year_month)
                } else {
                    let days = ints(&part(DatePart::Day)?);
                    let full: arrow::array::Int32Array =
                        arrow::compute::binary(&year_month, &days, |ym, d| ym * 100 + d)?;
                    Arc::new(full)
                }
            }
        };
        let result = cast(&values, &self.result)?;
        columnar(result, is_scalar)
    }
}

/// The local date and time of each value of a date or time array, in its time zone.
fn local_times(array: &ArrayRef) -> Result<Vec<Option<chrono::NaiveDateTime>>> {
    if array.data_type() == &DataType::Date32 {
        let days = array.as_primitive::<arrow::datatypes::Date32Type>();
        return Ok(days
            .iter()
            .map(|d| {
                d.and_then(|d| {
                    chrono::DateTime::from_timestamp(i64::from(d) * 86_400, 0)
                        .map(|t| t.naive_utc())
                })
            })
            .collect());
    }
    let tz: chrono_tz::Tz = time_zone_of(array.data_type())
        .parse()
        .unwrap_or(chrono_tz::UTC);
    let seconds = to_seconds(array)?;
    Ok(seconds
        .iter()
        .map(|s| {
            s.and_then(|s| chrono::DateTime::from_timestamp(s, 0))
                .map(|t| t.with_timezone(&tz).naive_local())
        })
        .collect())
}

/// `dateDiff('unit', start, end)`: how many unit boundaries lie between two dates or times
/// (`dateDiff('month', '2024-01-31', '2024-02-01')` is 1), in the values' time zone.
#[derive(Debug, PartialEq, Eq, Hash)]
struct DateDiff {
    signature: Signature,
}

/// The number of a unit since a fixed origin, so differences count crossed boundaries.
fn unit_number(unit: &str, t: chrono::NaiveDateTime) -> Option<i64> {
    use chrono::{Datelike, Timelike};
    let days = t.date().num_days_from_ce() as i64;
    let seconds = days * 86_400 + t.num_seconds_from_midnight() as i64;
    Some(match unit {
        "second" | "seconds" | "ss" | "s" => seconds,
        "minute" | "minutes" | "mi" | "n" => seconds.div_euclid(60),
        "hour" | "hours" | "hh" | "h" => seconds.div_euclid(3_600),
        "day" | "days" | "dd" | "d" => days,
        // Weeks start on Monday; day 1 of the common era was a Monday.
        "week" | "weeks" | "wk" | "ww" => (days - 1).div_euclid(7),
        "month" | "months" | "mm" | "m" => t.year() as i64 * 12 + t.month0() as i64,
        "quarter" | "quarters" | "qq" | "q" => t.year() as i64 * 4 + t.month0() as i64 / 3,
        "year" | "years" | "yyyy" | "yy" => t.year() as i64,
        _ => return None,
    })
}

impl ScalarUDFImpl for DateDiff {
    fn name(&self) -> &str {
        "datediff"
    }

    fn aliases(&self) -> &[String] {
        static ALIASES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
        ALIASES.get_or_init(|| vec!["date_diff".to_string(), "timestampdiff".to_string()])
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int64)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        nullable_if_an_argument_is(self, args)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [unit, start, end] = args.args.as_slice() else {
            return exec_err!("dateDiff expects a unit, a start and an end");
        };
        let ColumnarValue::Scalar(unit) = unit else {
            return exec_err!("dateDiff: the unit must be a literal");
        };
        let unit = match unit.cast_to(&DataType::Utf8)? {
            ScalarValue::Utf8(Some(unit)) => unit.to_ascii_lowercase(),
            _ => return exec_err!("dateDiff: the unit must be a string"),
        };
        if unit_number(&unit, chrono::NaiveDateTime::default()).is_none() {
            return exec_err!("dateDiff: unknown unit '{unit}'");
        }
        let is_scalar = matches!(
            (start, end),
            (ColumnarValue::Scalar(_), ColumnarValue::Scalar(_))
        );
        let starts = local_times(&start.to_array(args.number_rows)?)?;
        let ends = local_times(&end.to_array(args.number_rows)?)?;
        let differences: arrow::array::Int64Array = starts
            .iter()
            .zip(&ends)
            .map(|(s, e)| Some(unit_number(&unit, (*e)?)? - unit_number(&unit, (*s)?)?))
            .collect();
        let result: ArrayRef = Arc::new(differences);
        columnar(result, is_scalar)
    }
}

/// `toStartOfMonth(d)` and its siblings: the first day of the period holding a date or time,
/// as a Date.
#[derive(Debug, PartialEq, Eq, Hash)]
struct StartOfPeriod {
    name: &'static str,
    signature: Signature,
}

impl ScalarUDFImpl for StartOfPeriod {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Date32)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        nullable_if_an_argument_is(self, args)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        use chrono::Datelike;
        let is_scalar = matches!(args.args[0], ColumnarValue::Scalar(_));
        let times = local_times(&args.args[0].to_array(args.number_rows)?)?;
        let start = |date: chrono::NaiveDate| -> Option<chrono::NaiveDate> {
            match self.name {
                "tostartofmonth" => date.with_day(1),
                "tostartofquarter" => date.with_day(1)?.with_month(date.month0() / 3 * 3 + 1),
                "tostartofyear" => date.with_day(1)?.with_month(1),
                "tomonday" => {
                    Some(date - chrono::Days::new(date.weekday().num_days_from_monday() as u64))
                }
                // Mode 0: weeks start on Sunday.
                _ => Some(date - chrono::Days::new(date.weekday().num_days_from_sunday() as u64)),
            }
        };
        let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("a date");
        let days: Date32Array = times
            .iter()
            .map(|t| Some((start((*t)?.date())? - epoch).num_days() as i32))
            .collect();
        let result: ArrayRef = Arc::new(days);
        columnar(result, is_scalar)
    }
}

/// `toStartOfInterval(t, INTERVAL n unit)`, which the rewriter passes as
/// `toStartOfInterval(t, n, 'unit')`: the start of the `n`-unit interval holding `t`, counted
/// from the epoch (weeks from Monday 1970-01-05, months from January 1970). Seconds to days
/// give a DateTime (in UTC, as `toStartOfHour`), weeks to years a Date.
#[derive(Debug, PartialEq, Eq, Hash)]
struct StartOfInterval {
    signature: Signature,
}

impl StartOfInterval {
    /// The unit's length in seconds, or None for the units of the calendar.
    fn seconds(unit: &str) -> Option<i64> {
        match unit {
            "second" => Some(1),
            "minute" => Some(60),
            "hour" => Some(3_600),
            "day" => Some(86_400),
            _ => None,
        }
    }

    fn unit(value: Option<&ScalarValue>) -> Result<&str> {
        match value {
            Some(ScalarValue::Utf8(Some(unit))) => Ok(unit),
            _ => plan_err!("toStartOfInterval takes an INTERVAL"),
        }
    }
}

impl ScalarUDFImpl for StartOfInterval {
    fn name(&self) -> &str {
        "tostartofinterval"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        plan_err!("toStartOfInterval is typed from its unit")
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let unit = Self::unit(args.scalar_arguments[2])?;
        let data_type = match Self::seconds(unit) {
            Some(_) => DataType::Timestamp(
                TimeUnit::Second,
                Some(time_zone_of(args.arg_fields[0].data_type())),
            ),
            None if ["week", "month", "quarter", "year"].contains(&unit) => DataType::Date32,
            None => return plan_err!("toStartOfInterval does not take intervals of {unit}s"),
        };
        let nullable = args.arg_fields[0].is_nullable();
        Ok(Arc::new(Field::new(self.name(), data_type, nullable)))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        use chrono::Datelike;
        let ColumnarValue::Scalar(count) = &args.args[1] else {
            return exec_err!("toStartOfInterval takes a constant interval");
        };
        let count = match count.cast_to(&DataType::Int64)? {
            ScalarValue::Int64(Some(count)) if count > 0 => count,
            _ => return exec_err!("toStartOfInterval takes a positive interval"),
        };
        let unit = match &args.args[2] {
            ColumnarValue::Scalar(unit) => Self::unit(Some(unit))?,
            ColumnarValue::Array(_) => Self::unit(None)?,
        };
        let is_scalar = matches!(args.args[0], ColumnarValue::Scalar(_));
        let times = args.args[0].to_array(args.number_rows)?;
        if let Some(seconds) = Self::seconds(unit) {
            return columnar(floor_seconds(&times, seconds * count)?, is_scalar);
        }
        let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("a date");
        let days: Date32Array = local_times(&times)?
            .iter()
            .map(|time| {
                let date = (*time)?.date();
                let start = match unit {
                    "week" => {
                        // Days since Monday 1970-01-05, rounded down to whole intervals.
                        let days = (date - epoch).num_days() - 4;
                        return Some((days - days.rem_euclid(7 * count) + 4) as i32);
                    }
                    "month" | "quarter" | "year" => {
                        let months_per = match unit {
                            "month" => 1,
                            "quarter" => 3,
                            _ => 12,
                        } * count;
                        let months = i64::from(date.year() - 1970) * 12 + i64::from(date.month0());
                        let start = months - months.rem_euclid(months_per);
                        chrono::NaiveDate::from_ymd_opt(
                            1970 + start.div_euclid(12) as i32,
                            start.rem_euclid(12) as u32 + 1,
                            1,
                        )?
                    }
                    _ => return None,
                };
                Some((start - epoch).num_days() as i32)
            })
            .collect();
        columnar(Arc::new(days), is_scalar)
    }
}
