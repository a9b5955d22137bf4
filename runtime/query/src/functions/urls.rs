//! URL functions (`domain`, `path`, `extractURLParameter`, `extractURLParameterNames`,
//! `decodeURLComponent`, ...) as UDFs over string columns; the parsing, ClickHouse's own
//! rules, is in `url_parts`.

use std::borrow::Cow;
use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray, ListBuilder, StringArray, StringBuilder};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};

use super::url_parts;
use super::{arguments_as_arrays, columnar, nullable_if_an_argument_is};

pub fn functions() -> Vec<ScalarUDF> {
    let mut functions: Vec<ScalarUDF> = Part::ALL
        .into_iter()
        .map(|part| {
            let arguments = if part == Part::Parameter { 2 } else { 1 };
            ScalarUDF::new_from_impl(UrlFunction {
                part,
                signature: Signature::any(arguments, Volatility::Immutable),
            })
        })
        .collect();
    functions.push(ScalarUDF::new_from_impl(ParameterNames {
        signature: Signature::any(1, Volatility::Immutable),
    }));
    functions
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Part {
    Protocol,
    Domain,
    DomainWithoutWww,
    TopLevelDomain,
    Path,
    PathFull,
    QueryString,
    Fragment,
    /// `extractURLParameter(url, name)`.
    Parameter,
    CutQueryString,
    Decode,
    Encode,
}

impl Part {
    const ALL: [Part; 12] = [
        Part::Protocol,
        Part::Domain,
        Part::DomainWithoutWww,
        Part::TopLevelDomain,
        Part::Path,
        Part::PathFull,
        Part::QueryString,
        Part::Fragment,
        Part::Parameter,
        Part::CutQueryString,
        Part::Decode,
        Part::Encode,
    ];

    fn name(self) -> &'static str {
        match self {
            Part::Protocol => "protocol",
            Part::Domain => "domain",
            Part::DomainWithoutWww => "domainwithoutwww",
            Part::TopLevelDomain => "topleveldomain",
            Part::Path => "path",
            Part::PathFull => "pathfull",
            Part::QueryString => "querystring",
            Part::Fragment => "fragment",
            Part::Parameter => "extracturlparameter",
            Part::CutQueryString => "cutquerystring",
            Part::Decode => "decodeurlcomponent",
            Part::Encode => "encodeurlcomponent",
        }
    }

    fn of<'a>(self, url: &'a str, parameter: &str) -> Cow<'a, str> {
        match self {
            Part::Protocol => url_parts::protocol(url).into(),
            Part::Domain => url_parts::domain(url).into(),
            Part::DomainWithoutWww => url_parts::domain_without_www(url).into(),
            Part::TopLevelDomain => url_parts::top_level_domain(url).into(),
            Part::Path => url_parts::path(url).into(),
            Part::PathFull => url_parts::path_full(url).into(),
            Part::QueryString => url_parts::query_string(url).into(),
            Part::Fragment => url_parts::fragment(url).into(),
            Part::Parameter => url_parts::extract_url_parameter(url, parameter).into(),
            Part::CutQueryString => url_parts::cut_query_string(url).into(),
            Part::Decode => url_parts::decode_url_component(url).into(),
            Part::Encode => url_parts::encode_url_component(url).into(),
        }
    }
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct UrlFunction {
    part: Part,
    signature: Signature,
}

fn is_text(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
    )
}

impl ScalarUDFImpl for UrlFunction {
    fn name(&self) -> &str {
        self.part.name()
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        if let Some(other) = args.iter().find(|t| !is_text(t) && **t != DataType::Null) {
            return plan_err!("{} takes strings, not {other}", self.name());
        }
        Ok(DataType::Utf8)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        nullable_if_an_argument_is(self, args)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, is_scalar) = arguments_as_arrays(&args.args)?;
        let texts = arrays
            .iter()
            .map(|array| cast(array, &DataType::Utf8))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let urls = texts[0].as_string::<i32>();
        let parts: StringArray = match texts.get(1) {
            Some(names) => urls
                .iter()
                .zip(names.as_string::<i32>().iter())
                .map(|(url, name)| Some(self.part.of(url?, name?)))
                .collect(),
            None => urls
                .iter()
                .map(|url| url.map(|url| self.part.of(url, "")))
                .collect(),
        };
        columnar(Arc::new(parts) as ArrayRef, is_scalar)
    }
}

/// `extractURLParameterNames(url)`: the names of the URL's parameters, in order.
#[derive(Debug, PartialEq, Eq, Hash)]
struct ParameterNames {
    signature: Signature,
}

impl ScalarUDFImpl for ParameterNames {
    fn name(&self) -> &str {
        "extracturlparameternames"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        if let Some(other) = args.iter().find(|t| !is_text(t) && **t != DataType::Null) {
            return plan_err!("{} takes strings, not {other}", self.name());
        }
        Ok(DataType::List(Arc::new(Field::new(
            "item",
            DataType::Utf8,
            true,
        ))))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (arrays, is_scalar) = arguments_as_arrays(&args.args)?;
        let urls = cast(&arrays[0], &DataType::Utf8)?;
        let mut names = ListBuilder::new(StringBuilder::new());
        for url in urls.as_string::<i32>().iter() {
            for name in url_parts::url_parameter_names(url.unwrap_or("")) {
                names.values().append_value(name);
            }
            names.append(true);
        }
        columnar(Arc::new(names.finish()) as ArrayRef, is_scalar)
    }
}
