//! The MergeTree family: what each engine keeps of the rows that share a sorting key when
//! they are merged (`fold`). ClickHouse folds every inserted block on insert and parts in the
//! background, and `SELECT ... FINAL` reads the fully folded result; Colibri does the same
//! with a commit as the block and the table's files, in insertion order, as the parts.
//!
//! The rules follow ClickHouse's merging algorithms:
//! - Replacing: the row with the greatest version, the last inserted one among equals (or the
//!   last inserted without a version); with `is_deleted`, a final read drops the key when that
//!   row is a deletion.
//! - Summing: one row per key, the summed columns added up (wrapping, in their own type), the
//!   others taken from the first row; a row whose sums are all zero is dropped.
//! - Aggregating: one row per key, each `SimpleAggregateFunction` column folded with its
//!   function, the others taken from the first row.
//! - Collapsing: per key, with p rows of sign 1 and n of sign -1, nothing when p = n and the
//!   last row is -1; else the first -1 row when p <= n and the last 1 row when p >= n. A final
//!   read keeps only the 1 row.
//! - VersionedCollapsing: per key and version, each row cancels the latest earlier row of the
//!   opposite sign that is still standing; the others stay.

use std::cmp::Ordering;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, ArrowNativeTypeOp, ArrowPrimitiveType, Int8Array, PrimitiveArray, UInt32Array,
    downcast_primitive_array, make_comparator,
};
use arrow::compute::{SortOptions, cast, take, take_record_batch};
use arrow::datatypes::DataType;
use arrow::record_batch::RecordBatch;
use arrow::row::{RowConverter, Rows, SortField};
use colibri_types::ChType;

use crate::{DataSource, Error, Result};

/// What a merge keeps of the rows that share a sorting key. Columns are indices in the
/// table's schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MergeRule {
    /// MergeTree: every row.
    KeepAll,
    Replace {
        version: Option<usize>,
        is_deleted: Option<usize>,
    },
    Sum {
        columns: Vec<usize>,
    },
    Aggregate {
        columns: Vec<(usize, SimpleAggregate)>,
    },
    Collapse {
        sign: usize,
    },
    VersionedCollapse {
        sign: usize,
        version: usize,
    },
}

/// The functions a `SimpleAggregateFunction` column can be folded with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimpleAggregate {
    Any,
    AnyLast,
    Min,
    Max,
    Sum,
}

impl SimpleAggregate {
    fn parse(name: &str) -> Option<SimpleAggregate> {
        Some(match name {
            "any" => SimpleAggregate::Any,
            "anyLast" => SimpleAggregate::AnyLast,
            "min" => SimpleAggregate::Min,
            "max" => SimpleAggregate::Max,
            "sum" | "sumWithOverflow" => SimpleAggregate::Sum,
            _ => return None,
        })
    }
}

/// Whether a fold is a merge (what is stored) or the final read of `SELECT ... FINAL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FoldFor {
    Merge,
    Final,
}

/// A data source's engine: its sorting key and merge rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Engine {
    pub rule: MergeRule,
    /// Columns of the sorting key (empty: every row has the same key).
    pub key: Vec<usize>,
}

impl Engine {
    /// The engine of a data source, checked against its columns: a clear error for an unknown
    /// engine, a missing or unknown parameter column, or a sorting key a merge cannot use.
    pub fn of(datasource: &DataSource) -> Result<Engine> {
        let engine = datasource.engine.as_str();
        let columns = &datasource.columns;
        let column = |param: &str| -> Result<Option<usize>> {
            let Some(name) = datasource.engine_params.get(param) else {
                return Ok(None);
            };
            let name = name.trim().trim_matches('`');
            if name.is_empty() {
                return Ok(None);
            }
            columns
                .iter()
                .position(|c| c.name == name)
                .map(Some)
                .ok_or_else(|| {
                    Error::Invalid(format!(
                        "{param} of the {engine} engine names '{name}', which is not a column"
                    ))
                })
        };
        let required = |param: &str| -> Result<usize> {
            column(param)?.ok_or_else(|| {
                Error::Invalid(format!("The {engine} engine needs the {param} parameter"))
            })
        };
        let rule = match engine {
            "" | "MergeTree" => MergeRule::KeepAll,
            "ReplacingMergeTree" => MergeRule::Replace {
                version: column("engine_ver")?,
                is_deleted: column("engine_is_deleted")?,
            },
            "SummingMergeTree" => MergeRule::Sum {
                columns: Vec::new(),
            },
            "AggregatingMergeTree" => MergeRule::Aggregate {
                columns: Vec::new(),
            },
            "CollapsingMergeTree" => MergeRule::Collapse {
                sign: required("engine_sign")?,
            },
            "VersionedCollapsingMergeTree" => MergeRule::VersionedCollapse {
                sign: required("engine_sign")?,
                version: required("engine_version")?,
            },
            other => {
                return Err(Error::Invalid(format!("Unknown engine '{other}'")));
            }
        };
        let folds = rule != MergeRule::KeepAll;
        let key = sorting_key_columns(datasource, folds)?;
        let rule = match rule {
            MergeRule::Sum { .. } => MergeRule::Sum {
                columns: summed_columns(datasource, &key)?,
            },
            MergeRule::Aggregate { .. } => MergeRule::Aggregate {
                columns: aggregated_columns(datasource)?,
            },
            MergeRule::Collapse { sign } | MergeRule::VersionedCollapse { sign, .. }
                if columns[sign].ch_type() != ChType::Int8 =>
            {
                return Err(Error::Invalid(format!(
                    "engine_sign column '{}' must be Int8, not {}",
                    columns[sign].name, columns[sign].type_name
                )));
            }
            rule => rule,
        };
        Ok(Engine { rule, key })
    }

    /// True when merges change rows (every engine but MergeTree).
    pub fn folds(&self) -> bool {
        self.rule != MergeRule::KeepAll
    }

    /// Folds rows given in insertion order by the engine's rule. The result is sorted by the
    /// sorting key (and by insertion order within a key, for MergeTree).
    pub fn fold(&self, batch: &RecordBatch, purpose: FoldFor) -> Result<RecordBatch> {
        if batch.num_rows() == 0 {
            return Ok(batch.clone());
        }
        let mut key = self.key.clone();
        if let MergeRule::VersionedCollapse { version, .. } = self.rule {
            key.push(version);
        }
        let groups = groups_by_key(batch, &key)?;
        match &self.rule {
            MergeRule::KeepAll => Ok(take_rows(batch, groups.into_iter().flatten())?),
            MergeRule::Replace {
                version,
                is_deleted,
            } => {
                let newest = match version {
                    Some(v) => newest_by(batch.column(*v), &groups)?,
                    None => groups.iter().map(|g| *g.last().expect("group")).collect(),
                };
                let deleted = match (is_deleted, purpose) {
                    (Some(column), FoldFor::Final) => Some(truthy(batch.column(*column))?),
                    _ => None,
                };
                let kept = newest
                    .into_iter()
                    .filter(|&row| deleted.as_ref().is_none_or(|d| !d[row as usize]));
                Ok(take_rows(batch, kept)?)
            }
            MergeRule::Collapse { sign } => {
                let signs = signs(batch.column(*sign))?;
                let kept = groups
                    .iter()
                    .flat_map(|group| collapse(group, &signs, purpose))
                    .collect::<Vec<_>>();
                Ok(take_rows(batch, kept)?)
            }
            MergeRule::VersionedCollapse { sign, .. } => {
                let signs = signs(batch.column(*sign))?;
                let kept = groups
                    .iter()
                    .flat_map(|group| cancel_pairs(group, &signs))
                    .collect::<Vec<_>>();
                Ok(take_rows(batch, kept)?)
            }
            MergeRule::Sum { columns } => {
                let aggregates: Vec<_> =
                    columns.iter().map(|&c| (c, SimpleAggregate::Sum)).collect();
                let folded = aggregate(batch, &groups, &aggregates)?;
                drop_zero_sums(folded, columns)
            }
            MergeRule::Aggregate { columns } => aggregate(batch, &groups, columns),
        }
    }
}

/// The columns of `engine_sorting_key`. Engines that fold need plain column names: the key
/// decides which rows are merged, and Colibri does not evaluate expressions in storage.
fn sorting_key_columns(datasource: &DataSource, folds: bool) -> Result<Vec<usize>> {
    let text = datasource.sorting_key.trim();
    let inner = text
        .strip_prefix("tuple(")
        .or_else(|| text.strip_prefix('('))
        .and_then(|rest| rest.strip_suffix(')'))
        .unwrap_or(text);
    let mut key = Vec::new();
    for item in inner.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let name = item.trim_matches('`');
        match datasource.columns.iter().position(|c| c.name == name) {
            Some(index) => key.push(index),
            None if !folds => return Ok(Vec::new()),
            None => {
                return Err(Error::Invalid(format!(
                    "engine_sorting_key of the {} engine must list columns; '{item}' is not one",
                    datasource.engine
                )));
            }
        }
    }
    Ok(key)
}

/// `engine_columns` of SummingMergeTree, or every numeric column outside the sorting key.
fn summed_columns(datasource: &DataSource, key: &[usize]) -> Result<Vec<usize>> {
    let columns = &datasource.columns;
    let numeric = |index: usize| {
        let ty = columns[index].ch_type().arrow_type();
        ty.is_numeric() && !matches!(ty, DataType::Boolean)
    };
    let listed = datasource
        .engine_params
        .get("engine_columns")
        .map(|list| {
            list.trim()
                .trim_start_matches('(')
                .trim_end_matches(')')
                .split(',')
                .map(|n| n.trim().trim_matches('`'))
                .filter(|n| !n.is_empty())
                .map(|name| {
                    columns
                        .iter()
                        .position(|c| c.name == name)
                        .filter(|&i| numeric(i) && !key.contains(&i))
                        .ok_or_else(|| {
                            Error::Invalid(format!(
                                "engine_columns of SummingMergeTree names '{name}', which is not a \
                                 numeric column outside the sorting key"
                            ))
                        })
                })
                .collect::<Result<Vec<_>>>()
        })
        .transpose()?;
    Ok(listed.filter(|l| !l.is_empty()).unwrap_or_else(|| {
        (0..columns.len())
            .filter(|&i| numeric(i) && !key.contains(&i))
            .collect()
    }))
}

/// The `SimpleAggregateFunction` columns of an AggregatingMergeTree and their functions.
fn aggregated_columns(datasource: &DataSource) -> Result<Vec<(usize, SimpleAggregate)>> {
    let mut aggregated = Vec::new();
    for (index, column) in datasource.columns.iter().enumerate() {
        if let ChType::SimpleAggregateFunction(function, _) = column.ch_type() {
            let aggregate = SimpleAggregate::parse(&function).ok_or_else(|| {
                Error::Invalid(format!(
                    "column '{}': SimpleAggregateFunction({function}, ...) is not supported; use \
                     any, anyLast, min, max or sum",
                    column.name
                ))
            })?;
            aggregated.push((index, aggregate));
        }
    }
    Ok(aggregated)
}

/// Row indices grouped by equal key, groups sorted by key, rows in insertion order.
fn groups_by_key(batch: &RecordBatch, key: &[usize]) -> Result<Vec<Vec<u32>>> {
    let rows = key_rows(batch, key)?;
    let mut order: Vec<u32> = (0..batch.num_rows() as u32).collect();
    if let Some(rows) = &rows {
        order.sort_by(|&a, &b| rows.row(a as usize).cmp(&rows.row(b as usize)));
    }
    let mut groups: Vec<Vec<u32>> = Vec::new();
    for index in order {
        let same = match (&rows, groups.last()) {
            (Some(rows), Some(group)) => rows.row(group[0] as usize) == rows.row(index as usize),
            (None, Some(_)) => true,
            (_, None) => false,
        };
        match groups.last_mut() {
            Some(group) if same => group.push(index),
            _ => groups.push(vec![index]),
        }
    }
    Ok(groups)
}

fn key_rows(batch: &RecordBatch, key: &[usize]) -> Result<Option<Rows>> {
    if key.is_empty() {
        return Ok(None);
    }
    let converter = RowConverter::new(
        key.iter()
            .map(|&i| SortField::new(batch.column(i).data_type().clone()))
            .collect(),
    )?;
    let columns: Vec<ArrayRef> = key.iter().map(|&i| batch.column(i).clone()).collect();
    Ok(Some(converter.convert_columns(&columns)?))
}

fn take_rows(batch: &RecordBatch, rows: impl IntoIterator<Item = u32>) -> Result<RecordBatch> {
    let indices = UInt32Array::from_iter_values(rows);
    Ok(take_record_batch(batch, &indices)?)
}

/// Per group, the row with the greatest value of `version`, the last one among equals.
fn newest_by(version: &ArrayRef, groups: &[Vec<u32>]) -> Result<Vec<u32>> {
    let compare = make_comparator(version, version, SortOptions::default())?;
    Ok(groups
        .iter()
        .map(|group| {
            group.iter().copied().fold(group[0], |best, row| {
                match compare(row as usize, best as usize) {
                    Ordering::Less => best,
                    _ => row,
                }
            })
        })
        .collect())
}

/// Whether each value is non-zero (an `is_deleted` column).
fn truthy(column: &ArrayRef) -> Result<Vec<bool>> {
    let values = cast(column, &DataType::Int8)?;
    let values = values
        .as_any()
        .downcast_ref::<Int8Array>()
        .expect("cast to Int8");
    Ok(values.iter().map(|v| v.unwrap_or(0) != 0).collect())
}

/// The sign of each row: true for 1, false for -1.
fn signs(column: &ArrayRef) -> Result<Vec<bool>> {
    let values = column
        .as_any()
        .downcast_ref::<Int8Array>()
        .ok_or_else(|| Error::Invalid("the sign column must be Int8".to_string()))?;
    Ok(values.iter().map(|v| v.unwrap_or(0) > 0).collect())
}

/// CollapsingMergeTree's rule for one key.
fn collapse(group: &[u32], positive: &[bool], purpose: FoldFor) -> Vec<u32> {
    let is_positive = |row: &u32| positive[*row as usize];
    let positives = group.iter().filter(|r| is_positive(r)).count();
    let negatives = group.len() - positives;
    let last_is_positive = group.last().is_some_and(is_positive);
    if positives == negatives && !last_is_positive {
        return Vec::new();
    }
    let mut kept = Vec::new();
    if positives <= negatives && purpose == FoldFor::Merge {
        kept.extend(group.iter().find(|r| !is_positive(r)));
    }
    if positives >= negatives {
        kept.extend(group.iter().rev().find(|r| is_positive(r)));
    }
    kept
}

/// VersionedCollapsingMergeTree's rule for one key and version: each row cancels the latest
/// standing row of the opposite sign.
fn cancel_pairs(group: &[u32], positive: &[bool]) -> Vec<u32> {
    let mut standing: Vec<u32> = Vec::new();
    for &row in group {
        match standing.last() {
            Some(&last) if positive[last as usize] != positive[row as usize] => {
                standing.pop();
            }
            _ => standing.push(row),
        }
    }
    standing
}

/// One row per group: the first row, with each aggregated column folded by its function.
fn aggregate(
    batch: &RecordBatch,
    groups: &[Vec<u32>],
    columns: &[(usize, SimpleAggregate)],
) -> Result<RecordBatch> {
    let first = take_rows(batch, groups.iter().map(|g| g[0]))?;
    let mut folded = first.columns().to_vec();
    for &(index, function) in columns {
        let column = batch.column(index);
        folded[index] = match function {
            SimpleAggregate::Sum => sum_groups(column, groups)?,
            SimpleAggregate::Any | SimpleAggregate::AnyLast => {
                let pick = |group: &Vec<u32>| {
                    let mut valid = group.iter().filter(|&&r| column.is_valid(r as usize));
                    let found = if function == SimpleAggregate::Any {
                        valid.next()
                    } else {
                        valid.next_back()
                    };
                    *found.unwrap_or(&group[0])
                };
                take(
                    column,
                    &UInt32Array::from_iter_values(groups.iter().map(pick)),
                    None,
                )?
            }
            SimpleAggregate::Min | SimpleAggregate::Max => {
                let compare = make_comparator(column, column, SortOptions::default())?;
                let wanted = if function == SimpleAggregate::Min {
                    Ordering::Less
                } else {
                    Ordering::Greater
                };
                let pick = |group: &Vec<u32>| {
                    group
                        .iter()
                        .copied()
                        .filter(|&r| column.is_valid(r as usize))
                        .reduce(|best, row| {
                            if compare(row as usize, best as usize) == wanted {
                                row
                            } else {
                                best
                            }
                        })
                        .unwrap_or(group[0])
                };
                take(
                    column,
                    &UInt32Array::from_iter_values(groups.iter().map(pick)),
                    None,
                )?
            }
        };
    }
    Ok(RecordBatch::try_new(batch.schema(), folded)?)
}

/// The wrapping sum of a numeric column per group, in the column's own type (NULL when a
/// group has no value).
fn sum_groups(column: &ArrayRef, groups: &[Vec<u32>]) -> Result<ArrayRef> {
    fn sum<T: ArrowPrimitiveType>(array: &PrimitiveArray<T>, groups: &[Vec<u32>]) -> ArrayRef {
        let sums: PrimitiveArray<T> = groups
            .iter()
            .map(|group| {
                group
                    .iter()
                    .filter(|&&r| array.is_valid(r as usize))
                    .map(|&r| array.value(r as usize))
                    .reduce(|a, b| a.add_wrapping(b))
            })
            .collect();
        Arc::new(sums.with_data_type(array.data_type().clone()))
    }
    downcast_primitive_array!(
        column => Ok(sum(column, groups)),
        other => Err(Error::Invalid(format!("cannot sum a column of type {other}")))
    )
}

/// Drops the rows whose summed columns are all zero (or NULL).
fn drop_zero_sums(batch: RecordBatch, columns: &[usize]) -> Result<RecordBatch> {
    if columns.is_empty() {
        return Ok(batch);
    }
    let mut nonzero = vec![false; batch.num_rows()];
    for &index in columns {
        let column = batch.column(index);
        downcast_primitive_array!(
            column => {
                for (row, value) in column.iter().enumerate() {
                    nonzero[row] |= value.is_some_and(|v| !v.is_zero());
                }
            },
            other => return Err(Error::Invalid(format!("cannot sum a column of type {other}")))
        )
    }
    take_rows(
        &batch,
        (0..batch.num_rows() as u32).filter(|&r| nonzero[r as usize]),
    )
}
