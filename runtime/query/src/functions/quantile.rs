//! ClickHouse's `quantile(level)(x)` (and `median`, `quantiles`), rewritten to
//! `quantile(x, level)`: the level-th quantile of a reservoir sample of up to 8,192 values,
//! interpolated linearly between the two nearest samples. Up to 8,192 values the sample is
//! every value and the answer exact; beyond, each value replaces a sampled one with the
//! probability that keeps the sample uniform, so memory and time per value stay constant
//! however many rows a group has. As in ClickHouse, the answer on large inputs is an
//! estimate; the generator is seeded the same way every time, so it is repeatable.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Float64Array};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, FieldRef, Float64Type, UInt64Type};
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, AggregateUDFImpl, Signature, Volatility};
use datafusion::physical_expr::expressions::Literal;

/// How many values a sample holds, as in ClickHouse.
const SAMPLE_SIZE: usize = 8192;

#[derive(Debug, PartialEq, Eq, Hash)]
pub(super) struct Quantile {
    signature: Signature,
}

impl Quantile {
    pub(super) fn new() -> Self {
        Quantile {
            signature: Signature::any(2, Volatility::Immutable),
        }
    }
}

impl AggregateUDFImpl for Quantile {
    fn name(&self) -> &str {
        "quantile"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        if !arg_types[0].is_numeric() && arg_types[0] != DataType::Null {
            return plan_err!("quantile takes numbers, not {}", arg_types[0]);
        }
        Ok(DataType::Float64)
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![
            Arc::new(Field::new_list(
                format!("{}[sample]", args.name),
                Field::new_list_field(DataType::Float64, true),
                true,
            )),
            Arc::new(Field::new(
                format!("{}[seen]", args.name),
                DataType::UInt64,
                true,
            )),
        ])
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let level = args
            .exprs
            .get(1)
            .and_then(|level| level.downcast_ref::<Literal>())
            .and_then(|level| level.value().cast_to(&DataType::Float64).ok());
        let Some(ScalarValue::Float64(Some(level))) = level else {
            return plan_err!("quantile takes a constant level");
        };
        if !(0.0..=1.0).contains(&level) {
            return plan_err!("quantile's level must be between 0 and 1, not {level}");
        }
        Ok(Box::new(Sampler {
            level,
            sample: Vec::new(),
            seen: 0,
            random: Random::default(),
        }))
    }
}

/// A deterministic xorshift generator: the same sample for the same input.
#[derive(Debug)]
struct Random(u64);

impl Default for Random {
    fn default() -> Self {
        Random(0x9E37_79B9_7F4A_7C15)
    }
}

impl Random {
    /// A number in `0..bound`.
    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound
    }
}

#[derive(Debug)]
struct Sampler {
    level: f64,
    sample: Vec<f64>,
    /// How many values the sample stands for.
    seen: u64,
    random: Random,
}

impl Sampler {
    fn insert(&mut self, value: f64) {
        self.seen += 1;
        if self.sample.len() < SAMPLE_SIZE {
            self.sample.push(value);
        } else {
            let slot = self.random.below(self.seen) as usize;
            if slot < SAMPLE_SIZE {
                self.sample[slot] = value;
            }
        }
    }

    /// Folds in another sample of `seen` values.
    fn merge(&mut self, mut sample: Vec<f64>, seen: u64) {
        if seen as usize <= SAMPLE_SIZE {
            // The other sample is every value it saw.
            sample.into_iter().for_each(|value| self.insert(value));
            return;
        }
        if self.seen as usize <= SAMPLE_SIZE {
            std::mem::swap(&mut self.sample, &mut sample);
            let mine = std::mem::replace(&mut self.seen, seen);
            debug_assert_eq!(mine as usize, sample.len());
            sample.into_iter().for_each(|value| self.insert(value));
            return;
        }
        // Both are samples: draw each slot from one or the other in proportion to what they
        // stand for.
        let total = self.seen + seen;
        let merged = (0..SAMPLE_SIZE)
            .map(|_| {
                if self.random.below(total) < self.seen {
                    self.sample[self.random.below(self.sample.len() as u64) as usize]
                } else {
                    sample[self.random.below(sample.len() as u64) as usize]
                }
            })
            .collect();
        self.sample = merged;
        self.seen = total;
    }
}

impl Accumulator for Sampler {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let values = cast(&values[0], &DataType::Float64)?;
        values
            .as_primitive::<Float64Type>()
            .iter()
            .flatten()
            .for_each(|value| self.insert(value));
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let (samples, seen) = (
            states[0].as_list::<i32>(),
            states[1].as_primitive::<UInt64Type>(),
        );
        for row in 0..samples.len() {
            if samples.is_null(row) || seen.is_null(row) {
                continue;
            }
            let sample = samples.value(row);
            let sample: Vec<f64> = sample
                .as_primitive::<Float64Type>()
                .iter()
                .flatten()
                .collect();
            self.merge(sample, seen.value(row));
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let sample = Float64Array::from(std::mem::take(&mut self.sample));
        let seen = std::mem::take(&mut self.seen);
        Ok(vec![
            ScalarValue::List(Arc::new(arrow::array::ListArray::new(
                Arc::new(Field::new_list_field(DataType::Float64, true)),
                arrow::buffer::OffsetBuffer::from_lengths([sample.len()]),
                Arc::new(sample),
                None,
            ))),
            ScalarValue::UInt64(Some(seen)),
        ])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        if self.sample.is_empty() {
            return Ok(ScalarValue::Float64(None));
        }
        self.sample.sort_unstable_by(f64::total_cmp);
        let position = self.level * (self.sample.len() - 1) as f64;
        let below = position.floor() as usize;
        let above = (below + 1).min(self.sample.len() - 1);
        let fraction = position - below as f64;
        let (low, high) = (self.sample[below], self.sample[above]);
        Ok(ScalarValue::Float64(Some(low + fraction * (high - low))))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.sample.capacity() * std::mem::size_of::<f64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sampler(level: f64) -> Sampler {
        Sampler {
            level,
            sample: Vec::new(),
            seen: 0,
            random: Random::default(),
        }
    }

    #[test]
    fn small_inputs_are_exact_and_interpolated() {
        let mut median = sampler(0.5);
        [1.0, 4.0, 2.0, 3.0]
            .into_iter()
            .for_each(|v| median.insert(v));
        assert_eq!(median.evaluate().unwrap(), ScalarValue::Float64(Some(2.5)));
    }

    #[test]
    fn large_inputs_keep_a_bounded_uniform_sample() {
        let mut left = sampler(0.9);
        let mut right = sampler(0.9);
        (0..500_000).for_each(|v| left.insert(f64::from(v)));
        (500_000..1_000_000).for_each(|v| right.insert(f64::from(v)));
        left.merge(std::mem::take(&mut right.sample), right.seen);
        assert_eq!(left.sample.len(), SAMPLE_SIZE);
        assert_eq!(left.seen, 1_000_000);
        let ScalarValue::Float64(Some(p90)) = left.evaluate().unwrap() else {
            panic!("a number");
        };
        // A uniform sample of 8,192 puts the 0.9 quantile within about 1% of the truth.
        assert!((p90 - 900_000.0).abs() < 20_000.0, "{p90}");
    }
}
