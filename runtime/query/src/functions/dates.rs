//! Dates, times and intervals.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, Date32Array, IntervalMonthDayNanoArray, TimestampSecondArray,
};
use arrow::compute::cast;
use arrow::datatypes::{
    DataType, FieldRef, Int64Type, IntervalMonthDayNano, TimeUnit, TimestampSecondType,
};
use datafusion::common::types::{NativeType, logical_int64};
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::{
    Coercion, ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl,
    Signature, TypeSignatureClass, Volatility,
};

use super::nullable_if_an_argument_is;

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

/// Seconds since the epoch of any date/time or string argument, in its time zone.
fn to_seconds(array: &ArrayRef) -> Result<TimestampSecondArray> {
    let tz = time_zone_of(array.data_type());
    let target = DataType::Timestamp(TimeUnit::Second, Some(tz));
    Ok(cast(array, &target)?
        .as_primitive::<TimestampSecondType>()
        .clone())
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
        let array = arg.to_array(args.number_rows)?;
        let result: ArrayRef = match self.kind {
            DateKind::ToDate => match array.data_type() {
                DataType::Date32 => array,
                DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
                    let seconds = to_seconds(&array)?;
                    Arc::new(Date32Array::from_iter(
                        seconds
                            .iter()
                            .map(|v| v.map(|s| s.div_euclid(86_400) as i32)),
                    ))
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
        if is_scalar && result.len() == 1 {
            Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(
                &result, 0,
            )?))
        } else {
            Ok(ColumnarValue::Array(result))
        }
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
        if is_scalar && result.len() == 1 {
            Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(
                &result, 0,
            )?))
        } else {
            Ok(ColumnarValue::Array(result))
        }
    }
}
