//! ClickHouse's `quantile(level)(x)` (and `median`, `quantiles`), rewritten to
//! `quantile(x, level)`: the level-th quantile of a reservoir sample of up to 8,192 values,
//! interpolated linearly between the two nearest samples. Up to 8,192 values the sample is
//! every value and the answer exact; beyond, values replace sampled ones with the
//! probability that keeps the sample uniform (Li's "Algorithm L": the number of values to
//! pass over until the next replacement is drawn at once, so most values cost a comparison),
//! and memory and time per value stay constant however many rows a group has. As in
//! ClickHouse, the answer on large inputs is an estimate; the generator is seeded the same
//! way every time, so it is repeatable.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Float64Array, ListArray, UInt64Array};
use arrow::buffer::OffsetBuffer;
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, FieldRef, Float64Type, UInt64Type};
use datafusion::common::{Result, ScalarValue, plan_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDFImpl, EmitTo, GroupsAccumulator, Signature, Volatility,
};
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
        Ok(Box::new(Sampler {
            level: level_of(&args)?,
            reservoir: Reservoir::default(),
        }))
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(
        &self,
        args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(GroupSamplers {
            level: level_of(&args)?,
            groups: Vec::new(),
        }))
    }
}

/// The constant level, the second argument, between 0 and 1.
fn level_of(args: &AccumulatorArgs) -> Result<f64> {
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
    Ok(level)
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
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number in `0..bound`.
    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }

    /// A number in `(0, 1]`.
    fn unit(&mut self) -> f64 {
        ((self.next() >> 11) + 1) as f64 / (1u64 << 53) as f64
    }
}

/// One group's sample.
#[derive(Debug, Default)]
struct Reservoir {
    sample: Vec<f64>,
    /// How many values the sample stands for.
    seen: u64,
    random: Random,
    /// Once the sample is full, the largest of the sampled values' random keys (Algorithm L's
    /// `W`); and the count of values seen at which the next one enters the sample (while it
    /// fills, the next value).
    threshold: f64,
    next_replacement: u64,
}

impl Reservoir {
    /// Counts a value; the few that enter the sample go through [`Reservoir::admit`].
    #[inline]
    fn insert(&mut self, value: f64) {
        self.seen += 1;
        if self.seen >= self.next_replacement {
            self.admit(value);
        }
    }

    fn admit(&mut self, value: f64) {
        if self.sample.len() < SAMPLE_SIZE {
            self.sample.push(value);
            if self.sample.len() == SAMPLE_SIZE {
                self.threshold = 1.0;
                self.lower_threshold();
            } else {
                self.next_replacement = self.seen + 1;
            }
        } else {
            let slot = self.random.below(SAMPLE_SIZE as u64) as usize;
            self.sample[slot] = value;
            self.lower_threshold();
        }
    }

    /// After a value entered the full sample: the new threshold, and how many values pass
    /// before the next one enters.
    fn lower_threshold(&mut self) {
        self.threshold *= (self.random.unit().ln() / SAMPLE_SIZE as f64).exp();
        self.schedule_next_replacement();
    }

    fn schedule_next_replacement(&mut self) {
        let skipped = (self.random.unit().ln() / (1.0 - self.threshold).ln()).floor();
        self.next_replacement = self.seen.saturating_add(skipped as u64).saturating_add(1);
    }

    /// Resumes sampling after a merge made this a full sample of `seen` values, with the
    /// threshold such a sample has on average.
    fn resume_after_merge(&mut self) {
        self.threshold = SAMPLE_SIZE as f64 / (self.seen + 1) as f64;
        self.schedule_next_replacement();
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
            self.resume_after_merge();
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
        self.resume_after_merge();
    }

    /// The level-th quantile of the sample, NULL for no values.
    fn quantile(&mut self, level: f64) -> Option<f64> {
        if self.sample.is_empty() {
            return None;
        }
        self.sample.sort_unstable_by(f64::total_cmp);
        let position = level * (self.sample.len() - 1) as f64;
        let below = position.floor() as usize;
        let above = (below + 1).min(self.sample.len() - 1);
        let fraction = position - below as f64;
        let (low, high) = (self.sample[below], self.sample[above]);
        Some(low + fraction * (high - low))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.sample.capacity() * std::mem::size_of::<f64>()
    }
}

/// Calls `f` with the row and value (as Float64, the type every sample holds) of each
/// non-NULL value the filter selects.
fn for_each_value(
    values: &ArrayRef,
    opt_filter: Option<&BooleanArray>,
    mut f: impl FnMut(usize, f64),
) -> Result<()> {
    let values = cast(values, &DataType::Float64)?;
    let values = values.as_primitive::<Float64Type>();
    if opt_filter.is_none() && values.null_count() == 0 {
        values
            .values()
            .iter()
            .enumerate()
            .for_each(|(row, value)| f(row, *value));
        return Ok(());
    }
    for row in 0..values.len() {
        let selected = opt_filter.is_none_or(|filter| filter.is_valid(row) && filter.value(row));
        if selected && values.is_valid(row) {
            f(row, values.value(row));
        }
    }
    Ok(())
}

/// Intermediate states, `[sample]` and `[seen]`, one row per reservoir.
fn states_of(reservoirs: Vec<Reservoir>) -> Vec<ArrayRef> {
    let seen = UInt64Array::from_iter_values(reservoirs.iter().map(|r| r.seen));
    let lengths = reservoirs
        .iter()
        .map(|r| r.sample.len())
        .collect::<Vec<_>>();
    let values = Float64Array::from_iter_values(reservoirs.into_iter().flat_map(|r| r.sample));
    let samples = ListArray::new(
        Arc::new(Field::new_list_field(DataType::Float64, true)),
        OffsetBuffer::from_lengths(lengths),
        Arc::new(values),
        None,
    );
    vec![Arc::new(samples), Arc::new(seen)]
}

/// Each row of intermediate states, as (row, sample, seen).
fn each_state(states: &[ArrayRef]) -> impl Iterator<Item = (usize, Vec<f64>, u64)> + '_ {
    let (samples, seen) = (
        states[0].as_list::<i32>(),
        states[1].as_primitive::<UInt64Type>(),
    );
    (0..samples.len())
        .filter(|&row| !samples.is_null(row) && !seen.is_null(row))
        .map(move |row| {
            let sample = samples.value(row);
            let sample = sample.as_primitive::<Float64Type>().iter().flatten();
            (row, sample.collect(), seen.value(row))
        })
}

/// `quantile` without GROUP BY (or in a window): one reservoir.
#[derive(Debug)]
struct Sampler {
    level: f64,
    reservoir: Reservoir,
}

impl Accumulator for Sampler {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        for_each_value(&values[0], None, |_, value| self.reservoir.insert(value))
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        for (_, sample, seen) in each_state(states) {
            self.reservoir.merge(sample, seen);
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        states_of(vec![std::mem::take(&mut self.reservoir)])
            .iter()
            .map(|state| ScalarValue::try_from_array(state, 0))
            .collect()
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(ScalarValue::Float64(self.reservoir.quantile(self.level)))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.reservoir.size()
    }
}

/// `quantile` per group: one reservoir per group index, updated a batch at a time.
#[derive(Debug)]
struct GroupSamplers {
    level: f64,
    groups: Vec<Reservoir>,
}

impl GroupSamplers {
    fn grow_to(&mut self, total_num_groups: usize) {
        if self.groups.len() < total_num_groups {
            self.groups
                .resize_with(total_num_groups, Reservoir::default);
        }
    }
}

impl GroupsAccumulator for GroupSamplers {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.grow_to(total_num_groups);
        for_each_value(&values[0], opt_filter, |row, value| {
            self.groups[group_indices[row]].insert(value)
        })
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let level = self.level;
        let quantiles = emit_to
            .take_needed(&mut self.groups)
            .iter_mut()
            .map(|reservoir| reservoir.quantile(level))
            .collect::<Float64Array>();
        Ok(Arc::new(quantiles))
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        Ok(states_of(emit_to.take_needed(&mut self.groups)))
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.grow_to(total_num_groups);
        for (row, sample, seen) in each_state(values) {
            self.groups[group_indices[row]].merge(sample, seen);
        }
        Ok(())
    }

    /// Each row as the state of a group that saw it alone (for skipped partial aggregation).
    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        let mut reservoirs: Vec<Reservoir> = std::iter::repeat_with(Reservoir::default)
            .take(values[0].len())
            .collect();
        for_each_value(&values[0], opt_filter, |row, value| {
            reservoirs[row].insert(value)
        })?;
        Ok(states_of(reservoirs))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.groups.iter().map(Reservoir::size).sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_inputs_are_exact_and_interpolated() {
        let mut values = Reservoir::default();
        [1.0, 4.0, 2.0, 3.0]
            .into_iter()
            .for_each(|v| values.insert(v));
        assert_eq!(values.quantile(0.5), Some(2.5));
    }

    #[test]
    fn large_inputs_keep_a_bounded_uniform_sample() {
        let mut left = Reservoir::default();
        let mut right = Reservoir::default();
        (0..500_000).for_each(|v| left.insert(f64::from(v)));
        (500_000..1_000_000).for_each(|v| right.insert(f64::from(v)));
        left.merge(std::mem::take(&mut right.sample), right.seen);
        assert_eq!(left.sample.len(), SAMPLE_SIZE);
        assert_eq!(left.seen, 1_000_000);
        let p90 = left.quantile(0.9).expect("a number");
        // A uniform sample of 8,192 puts the 0.9 quantile within about 1% of the truth.
        assert!((p90 - 900_000.0).abs() < 20_000.0, "{p90}");
    }

    #[test]
    fn skipping_keeps_every_part_of_a_long_input_equally_likely() {
        let mut values = Reservoir::default();
        (0..2_000_000).for_each(|v| values.insert(f64::from(v)));
        assert_eq!(values.sample.len(), SAMPLE_SIZE);
        // Each tenth of the input holds about a tenth of the sample (819, give or take 28).
        let mut tenths = [0usize; 10];
        for value in &values.sample {
            tenths[(*value / 200_000.0) as usize] += 1;
        }
        assert!(tenths.iter().all(|n| n.abs_diff(819) < 120), "{tenths:?}");
        for level in [0.1, 0.5, 0.9] {
            let estimate = values.quantile(level).expect("a number");
            assert!(
                (estimate - level * 2_000_000.0).abs() < 40_000.0,
                "{level}: {estimate}"
            );
        }
    }
}
