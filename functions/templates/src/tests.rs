//! The spec's example renders (TPL-EX-01..19) and the rules they stand for.

use super::*;

fn context(pairs: &[(&str, &str)]) -> Context {
    Context {
        variables: pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        secrets: [("n".to_string(), "5".to_string())].into(),
        analysis: false,
    }
}

fn sql(template: &str, pairs: &[(&str, &str)]) -> String {
    render(template, &context(pairs)).unwrap().sql
}

fn error(template: &str, pairs: &[(&str, &str)]) -> TemplateError {
    render(template, &context(pairs)).unwrap_err()
}

#[test]
fn typed_parameters_render_as_literals() {
    let limit = "%SELECT * FROM t LIMIT {{Int32(lim, 10)}}";
    assert_eq!(sql(limit, &[]), "SELECT * FROM t LIMIT 10");
    assert_eq!(sql(limit, &[("lim", "25")]), "SELECT * FROM t LIMIT 25");
    assert_eq!(sql(limit, &[("lim", "")]), "SELECT * FROM t LIMIT 10");
    let bad = error(limit, &[("lim", "abc")]);
    assert_eq!(bad.status, 400);
    assert!(
        bad.message().contains("'abc'") && bad.message().contains("Int32"),
        "{bad:?}"
    );
    assert_eq!(
        sql("% WHERE c = {{String(c, 'US')}}", &[("c", "O'Neil")]),
        " WHERE c = 'O\\'Neil'"
    );
    assert_eq!(
        sql("%WHERE d >= {{Date(d)}}", &[("d", "2024-03-01")]),
        "WHERE d >= '2024-03-01'"
    );
    let missing = error("%WHERE d >= {{Date(d)}}", &[]);
    assert!(missing.message().contains("'d'"), "{missing:?}");
    assert_eq!(error("%{{Date(d)}}", &[("d", "2024-13-01")]).status, 400);
    assert_eq!(
        sql("%{{DateTime(t)}}", &[("t", "2024-03-01 10:00:00")]),
        "'2024-03-01 10:00:00'"
    );
    assert_eq!(
        sql("%{{DateTime64(t)}}", &[("t", "2024-03-01 10:00:00.123")]),
        "'2024-03-01 10:00:00.123'"
    );
    assert_eq!(sql("%{{Float64(f, 999999999)}}", &[]), "999999999");
    assert_eq!(sql("%{{Float32(f)}}", &[("f", "0.5")]), "0.5");
    assert_eq!(error("%{{Float32(f)}}", &[("f", "nan")]).status, 400);
    assert_eq!(sql("%{{Boolean(b)}}", &[("b", "TRUE")]), "1");
    assert_eq!(sql("%{{Boolean(b, False)}}", &[]), "0");
}

#[test]
fn integers_are_checked_against_their_types_range() {
    assert_eq!(sql("%{{UInt8(x)}}", &[("x", "255")]), "255");
    assert_eq!(error("%{{UInt8(x)}}", &[("x", "256")]).status, 400);
    assert_eq!(error("%{{UInt8(x)}}", &[("x", "-1")]).status, 400);
    assert_eq!(sql("%{{Int8(x)}}", &[("x", "-128")]), "-128");
    assert_eq!(
        error("%{{Int64(x)}}", &[("x", "9223372036854775808")]).status,
        400
    );
    assert_eq!(
        sql("%{{UInt64(x)}}", &[("x", "18446744073709551615")]),
        "18446744073709551615"
    );
    let big = "115792089237316195423570985008687907853269984665640564039457584007913129639935";
    assert_eq!(sql("%{{UInt256(x)}}", &[("x", big)]), big);
    assert_eq!(
        error("%{{UInt256(x)}}", &[("x", &format!("{big}0"))]).status,
        400
    );
    assert_eq!(error("%{{Int32(x)}}", &[("x", "1 OR 1=1")]).status, 400);
}

#[test]
fn conditions_loops_and_set() {
    let branch = "%WHERE 1 {% if defined(p) %} AND p > {{Float32(p)}} {% end %}";
    assert_eq!(sql(branch, &[]), "WHERE 1 ");
    assert_eq!(sql(branch, &[("p", "2")]), "WHERE 1  AND p > 2 ");
    let chain = "%{% if x == 'a' %}A{% elif x = 'b' %}B{% else %}C{% end %}";
    assert_eq!(sql(chain, &[("x", "a")]), "A");
    assert_eq!(sql(chain, &[("x", "b")]), "B");
    assert_eq!(sql(chain, &[]), "C");
    let looped = "%{% for _l, _c in enumerate_with_last(split_to_array(m, 'a,b')) %}sum({{symbol(_c)}}) {{symbol(_c)}}{% if not _l %},{% end %}{% end %}";
    assert_eq!(sql(looped, &[]), "sum(`a`) `a`,sum(`b`) `b`");
    assert_eq!(
        sql(
            "%{% set v = 'a,b' %}SELECT {{split_to_array(v)}}",
            &[("v", "zzz")]
        ),
        "SELECT ['a','b']"
    );
    assert_eq!(
        sql(
            "%LIMIT {{Int32(ps, 100)}} OFFSET {{Int32(p, 0) * Int32(ps, 100)}}",
            &[("p", "2"), ("ps", "10")]
        ),
        "LIMIT 10 OFFSET 20"
    );
    assert_eq!(
        sql(
            "%{% if date_diff_in_days(e, s) < 7 %}FROM raw{% else %}FROM agg{% end %}",
            &[("s", "2024-01-01"), ("e", "2024-01-03")]
        ),
        "FROM raw"
    );
    assert_eq!(sql("%{# a comment #}{% comment free text %}x", &[]), "x");
    assert_eq!(error("%{% if x %}never closed", &[]).status, 400);
    assert!(error("%{{ nope(1) }}", &[]).message().contains("nope"));
}

#[test]
fn arrays_identifiers_and_predicates() {
    let array = "%WHERE e IN {{Array(e, 'String', default='buy,view')}}";
    assert_eq!(sql(array, &[("e", "a,b")]), "WHERE e IN ['a','b']");
    assert_eq!(sql(array, &[]), "WHERE e IN ['buy','view']");
    assert_eq!(
        sql("%{{Array(c, 'UInt32', default='1,2,3')}}", &[]),
        "[1,2,3]"
    );
    assert_eq!(
        error("%{{Array(c, 'UInt32')}}", &[("c", "1,x")]).status,
        400
    );
    assert_eq!(sql("%{{Array(colors, 'black')}}", &[]), "['black']");
    let predicates =
        "%WHERE {{sql_and(a__in=Array(a,'Int32',defined=False), b__gte=Int32(b, defined=False))}}";
    assert_eq!(sql(predicates, &[("b", "3")]), "WHERE b >= 3");
    assert_eq!(
        sql(predicates, &[("a", "1,2"), ("b", "3")]),
        "WHERE a IN [1,2] AND b >= 3"
    );
    assert_eq!(sql(predicates, &[]), "WHERE 1");
    assert_eq!(
        sql("%SELECT {{columns(cols, 'x,y')}} FROM t", &[]),
        "SELECT `x`,`y` FROM t"
    );
    assert_eq!(
        sql("%SELECT {{column(c, 'x')}} FROM t", &[]),
        "SELECT `x` FROM t"
    );
    assert_eq!(
        error("%SELECT {{column(c, 'x')}} FROM t", &[("c", "y; DROP")]).status,
        400
    );
    assert_eq!(
        error("%SELECT {{columns(c)}}", &[("c", "a,b`")]).status,
        400
    );
    let enumerated = "%{{String(s, 'a', enum=['a', 'b'])}}";
    assert_eq!(sql(enumerated, &[("s", "b")]), "'b'");
    assert_eq!(error(enumerated, &[("s", "c")]).status, 400);
}

#[test]
fn errors_secrets_and_plain_sql() {
    let raised = error(
        "%{% if not defined(k) %}{{error('k is required')}}{% end %}SELECT 1",
        &[],
    );
    assert_eq!((raised.status, raised.message()), (400, "k is required"));
    let custom = error(
        "%{% if not defined(k) %}{{custom_error({'error': 'no k', 'code': 422})}}{% end %}SELECT 1",
        &[],
    );
    assert_eq!(custom.status, 422);
    assert_eq!(
        custom.body,
        serde_json::json!({"error": "no k", "code": 422})
    );
    assert_eq!(
        sql("%WHERE x = toUInt8({{tb_secret('n')}})", &[]),
        "WHERE x = toUInt8('5')"
    );
    assert_eq!(error("%{{tb_secret('missing')}}", &[]).status, 400);
    assert_eq!(sql("SELECT {{x}}", &[("x", "1")]), "SELECT {{x}}");
    assert_eq!(
        error("%{{Int32(x, required=True, default=1)}}", &[]).status,
        400
    );
}

#[test]
fn every_value_reaches_the_sql_escaped() {
    let hostile = ["'; DROP TABLE t; --", "\\' OR 1=1 --", "x\\", "`", "a' + '"];
    for value in hostile {
        let rendered = sql("%SELECT {{String(s)}}", &[("s", value)]);
        let literal = rendered.strip_prefix("SELECT ").unwrap();
        // The literal is one quoted string: unescaping it gives the value back.
        let inner = &literal[1..literal.len() - 1];
        let mut unescaped = String::new();
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c == '\'' {
                panic!("an unescaped quote in {rendered}");
            }
            unescaped.push(if c == '\\' { chars.next().unwrap() } else { c });
        }
        assert_eq!(unescaped, value);
        let array = sql("%{{Array(a, 'String')}}", &[("a", value)]);
        assert!(array.starts_with("['") && array.ends_with("']"), "{array}");
    }
}

#[test]
fn analysis_mode_uses_placeholders_and_records_parameters() {
    let template = "%{% if not defined(k) %}{{error('no k')}}{% end %}\
        SELECT * FROM t WHERE d >= {{Date(start, description='First day')}} \
        AND c = {{String(country, 'US', enum=['US', 'ES'])}} LIMIT {{Int32(_limit, 10)}} \
        {% if defined(flag) %}AND {{Int8(flag)}}{% end %} {{Array(ids, 'Int32', required=True)}}";
    let rendered = render(
        template,
        &Context {
            analysis: true,
            ..Context::default()
        },
    )
    .unwrap();
    assert_eq!(
        rendered.sql,
        "SELECT * FROM t WHERE d >= '2019-01-01' AND c = 'US' LIMIT 10  []"
    );
    let names: Vec<&str> = rendered.params.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["start", "country", "flag", "ids"]);
    assert_eq!(rendered.params[0].description.as_deref(), Some("First day"));
    assert_eq!(rendered.params[1].default, Some(serde_json::json!("US")));
    assert_eq!(
        rendered.params[1].enum_values,
        Some(vec!["US".to_string(), "ES".to_string()])
    );
    assert_eq!(rendered.params[3].type_name, "Array(Int32)");
    assert!(rendered.params[3].required);
}
