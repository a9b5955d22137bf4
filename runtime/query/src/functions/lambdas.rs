//! Higher-order array functions with ClickHouse lambdas: `arrayMap`, `arrayFilter`,
//! `arrayExists`, `arrayAll`, `arrayCount`, and `arraySort`/`arrayReverseSort` by a key. The
//! statement rewriter turns `f(x, y -> body, a, b)` into `f('x,y', '<body>', a, b, c...)`: the
//! lambda's parameters, its body as SQL text, the arrays, then the outer values the body reads,
//! which the body calls `__capture_0`, `__capture_1`... Here the body is planned against the
//! arrays' element types (ClickHouse's number rules included) and evaluated once per batch over
//! every element at once: each array's values flattened, each outer value repeated for the
//! elements of its row.

use std::sync::{Arc, OnceLock};

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, ListArray, RecordBatch, RecordBatchOptions, UInt8Array,
    UInt32Array,
};
use arrow::buffer::OffsetBuffer;
use arrow::compute::{SortOptions, cast, filter, sort_to_indices, take};
use arrow::datatypes::{DataType, Field, FieldRef, Schema, SchemaRef};
use datafusion::common::{DFSchema, Result, ScalarValue, exec_err, plan_err};
use datafusion::execution::context::SessionState;
use datafusion::logical_expr::{
    ColumnarValue, EmptyRelation, LogicalPlan, LogicalPlanBuilder, ReturnFieldArgs,
    ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::parser::Parser;

pub fn functions() -> Vec<ScalarUDF> {
    [
        Kind::Map,
        Kind::Filter,
        Kind::Exists,
        Kind::All,
        Kind::Count,
        Kind::Sort,
        Kind::ReverseSort,
    ]
    .into_iter()
    .map(|kind| {
        ScalarUDF::new_from_impl(HigherOrder {
            kind,
            signature: Signature::variadic_any(Volatility::Immutable),
        })
    })
    .collect()
}

/// The name the body of a lambda gives the `index`-th outer value it reads.
pub(crate) fn capture_name(index: usize) -> String {
    format!("__capture_{index}")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Map,
    Filter,
    Exists,
    All,
    Count,
    Sort,
    ReverseSort,
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct HigherOrder {
    kind: Kind,
    signature: Signature,
}

/// A lambda planned for the element types of one call.
struct Lambda {
    body: Arc<dyn PhysicalExpr>,
    field: FieldRef,
    schema: SchemaRef,
    arrays: usize,
}

/// The session lambda bodies are planned in: Colibri's functions and analyzer rules. Bodies
/// are read with the generic dialect, as they were printed: their strings are already
/// unescaped.
fn body_session() -> &'static SessionState {
    static SESSION: OnceLock<SessionState> = OnceLock::new();
    SESSION.get_or_init(|| crate::QueryEngine::new().state)
}

fn text<'a>(value: Option<&'a ScalarValue>, what: &str) -> Result<&'a str> {
    match value {
        Some(ScalarValue::Utf8(Some(text))) => Ok(text),
        _ => plan_err!("the lambda's {what} must be a constant string"),
    }
}

fn element_field(list: &DataType) -> Option<&FieldRef> {
    match list {
        DataType::List(field) | DataType::LargeList(field) | DataType::FixedSizeList(field, _) => {
            Some(field)
        }
        _ => None,
    }
}

impl Lambda {
    fn plan(name: &str, params: &str, body: &str, arg_fields: &[FieldRef]) -> Result<Lambda> {
        let params: Vec<&str> = params.split(',').collect();
        if arg_fields.len() < params.len() {
            return plan_err!("{name} takes {} arrays for its lambda", params.len());
        }
        let (arrays, captures) = arg_fields.split_at(params.len());
        let mut fields = Vec::with_capacity(arg_fields.len());
        for (param, array) in params.iter().zip(arrays) {
            let Some(element) = element_field(array.data_type()) else {
                return plan_err!(
                    "{name} takes arrays after its lambda, not {}",
                    array.data_type()
                );
            };
            fields.push(Field::new(
                *param,
                element.data_type().clone(),
                element.is_nullable(),
            ));
        }
        for (index, capture) in captures.iter().enumerate() {
            fields.push(Field::new(
                capture_name(index),
                capture.data_type().clone(),
                capture.is_nullable(),
            ));
        }
        let schema = Arc::new(Schema::new(fields));
        let df_schema = Arc::new(DFSchema::try_from(schema.as_ref().clone())?);
        let session = body_session();
        let parsed = Parser::new(&GenericDialect {})
            .try_with_sql(body)?
            .parse_expr_with_alias()?;
        let expr = session.create_logical_expr_from_sql_expr(parsed, &df_schema)?;
        let relation = LogicalPlan::EmptyRelation(EmptyRelation {
            produce_one_row: false,
            schema: Arc::clone(&df_schema),
        });
        let plan = LogicalPlanBuilder::from(relation)
            .project(vec![expr])?
            .build()?;
        let plan =
            session
                .analyzer()
                .execute_and_check(plan, session.config_options(), |_, _| {})?;
        let LogicalPlan::Projection(projection) = plan else {
            return plan_err!("{name}: the lambda's body did not plan as an expression");
        };
        let field = Arc::new(
            projection
                .schema
                .field(0)
                .as_ref()
                .clone()
                .with_name("item"),
        );
        let body = session.create_physical_expr(projection.expr[0].clone(), &df_schema)?;
        Ok(Lambda {
            body,
            field,
            schema,
            arrays: params.len(),
        })
    }
}

impl HigherOrder {
    fn lambda(&self, args: &ReturnFieldArgs) -> Result<Lambda> {
        if args.arg_fields.len() < 3 {
            return plan_err!("{} takes a lambda and an array", self.name());
        }
        Lambda::plan(
            self.name(),
            text(args.scalar_arguments[0], "parameters")?,
            text(args.scalar_arguments[1], "body")?,
            &args.arg_fields[2..],
        )
    }
}

impl ScalarUDFImpl for HigherOrder {
    fn name(&self) -> &str {
        match self.kind {
            Kind::Map => "arraymap",
            Kind::Filter => "arrayfilter",
            Kind::Exists => "arrayexists",
            Kind::All => "arrayall",
            Kind::Count => "arraycount",
            Kind::Sort => "arraysort",
            Kind::ReverseSort => "arrayreversesort",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        plan_err!("{} is typed from its arguments' fields", self.name())
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let lambda = self.lambda(&args)?;
        let first = &args.arg_fields[2];
        let nullable = first.is_nullable();
        let data_type = match self.kind {
            Kind::Map => DataType::List(lambda.field),
            Kind::Filter | Kind::Sort | Kind::ReverseSort => match first.data_type() {
                DataType::List(item)
                | DataType::LargeList(item)
                | DataType::FixedSizeList(item, _) => DataType::List(Arc::clone(item)),
                other => return plan_err!("{} takes arrays, not {other}", self.name()),
            },
            Kind::Exists | Kind::All => DataType::UInt8,
            Kind::Count => DataType::UInt32,
        };
        Ok(Arc::new(Field::new(self.name(), data_type, nullable)))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let scalars: Vec<Option<&ScalarValue>> = args
            .args
            .iter()
            .map(|arg| match arg {
                ColumnarValue::Scalar(value) => Some(value),
                ColumnarValue::Array(_) => None,
            })
            .collect();
        let lambda = self.lambda(&ReturnFieldArgs {
            arg_fields: &args.arg_fields,
            scalar_arguments: &scalars,
        })?;
        let is_scalar = scalars[2..].iter().all(Option::is_some);
        let rows = if is_scalar { 1 } else { args.number_rows };
        let values = args.args[2..]
            .iter()
            .map(|arg| arg.to_array(rows))
            .collect::<Result<Vec<_>>>()?;
        let lists = values[..lambda.arrays]
            .iter()
            .map(as_list)
            .collect::<Result<Vec<_>>>()?;
        let result = self.evaluate(&lambda, &lists, &values[lambda.arrays..])?;
        super::columnar(result, is_scalar)
    }
}

fn as_list(array: &ArrayRef) -> Result<ListArray> {
    let Some(item) = element_field(array.data_type()) else {
        return exec_err!("expected an array, got {}", array.data_type());
    };
    Ok(cast(array, &DataType::List(Arc::clone(item)))?
        .as_list::<i32>()
        .clone())
}

impl HigherOrder {
    fn evaluate(
        &self,
        lambda: &Lambda,
        lists: &[ListArray],
        captures: &[ArrayRef],
    ) -> Result<ArrayRef> {
        let first = &lists[0];
        let rows = first.len();
        let lengths: Vec<usize> = (0..rows)
            .map(|row| first.value_length(row) as usize)
            .collect();
        for other in &lists[1..] {
            if (0..rows).any(|row| other.value_length(row) as usize != lengths[row]) {
                return exec_err!("Arrays passed to {} must have equal size", self.name());
            }
        }
        let elements: usize = lengths.iter().sum();
        let parents: UInt32Array = lengths
            .iter()
            .enumerate()
            .flat_map(|(row, &length)| std::iter::repeat_n(row as u32, length))
            .collect();
        let mut columns: Vec<ArrayRef> = lists.iter().map(flat_values).collect();
        for capture in captures {
            columns.push(take(capture.as_ref(), &parents, None)?);
        }
        let batch = RecordBatch::try_new_with_options(
            Arc::clone(&lambda.schema),
            columns,
            &RecordBatchOptions::new().with_row_count(Some(elements)),
        )?;
        let results = lambda.body.evaluate(&batch)?.into_array(elements)?;
        let nulls = first.nulls().cloned();
        let first_values = flat_values(first);
        let item = match first.data_type() {
            DataType::List(item) => Arc::clone(item),
            _ => unreachable!("as_list made a list"),
        };
        let truths = || -> Result<BooleanArray> {
            let truths = cast(&results, &DataType::Boolean)?;
            Ok(truths
                .as_boolean()
                .iter()
                .map(|t| Some(t == Some(true)))
                .collect())
        };
        Ok(match self.kind {
            Kind::Map => Arc::new(ListArray::try_new(
                Arc::clone(&lambda.field),
                OffsetBuffer::from_lengths(lengths),
                results,
                nulls,
            )?),
            Kind::Filter => {
                let truths = truths()?;
                let mut kept = Vec::with_capacity(rows);
                let mut start = 0;
                for &length in &lengths {
                    kept.push((start..start + length).filter(|&i| truths.value(i)).count());
                    start += length;
                }
                Arc::new(ListArray::try_new(
                    item,
                    OffsetBuffer::from_lengths(kept),
                    filter(&first_values, &truths)?,
                    nulls,
                )?)
            }
            Kind::Exists | Kind::All | Kind::Count => {
                let truths = truths()?;
                let mut start = 0;
                let mut counts = Vec::with_capacity(rows);
                for &length in &lengths {
                    counts.push((start..start + length).filter(|&i| truths.value(i)).count());
                    start += length;
                }
                match self.kind {
                    Kind::Count => Arc::new(UInt32Array::from_iter_values(
                        counts.iter().map(|&c| c as u32),
                    )),
                    Kind::Exists => Arc::new(UInt8Array::from_iter_values(
                        counts.iter().map(|&c| u8::from(c > 0)),
                    )),
                    _ => Arc::new(UInt8Array::from_iter_values(
                        counts.iter().zip(&lengths).map(|(&c, &l)| u8::from(c == l)),
                    )),
                }
            }
            Kind::Sort | Kind::ReverseSort => {
                let options = SortOptions {
                    descending: self.kind == Kind::ReverseSort,
                    nulls_first: false,
                };
                let mut order: Vec<u32> = Vec::with_capacity(elements);
                let mut start = 0;
                for &length in &lengths {
                    let keys = results.slice(start, length);
                    let sorted = sort_to_indices(&keys, Some(options), None)?;
                    order.extend(sorted.values().iter().map(|&i| start as u32 + i));
                    start += length;
                }
                Arc::new(ListArray::try_new(
                    item,
                    OffsetBuffer::from_lengths(lengths),
                    take(&first_values, &UInt32Array::from(order), None)?,
                    nulls,
                )?)
            }
        })
    }
}

/// The values of a list's rows, from its first row's start to its last row's end.
fn flat_values(list: &ListArray) -> ArrayRef {
    let offsets = list.value_offsets();
    let start = offsets[0] as usize;
    let end = offsets[list.len()] as usize;
    list.values().slice(start, end - start)
}
