//! A pipe's nodes as one statement (PIPE-MODEL-05): the nodes before the one that runs are
//! its common table expressions, named after them, so a node reads an earlier node by name
//! before any data source of that name.

/// `statement` with `nodes` (name, SQL) as common table expressions; a statement with a
/// `WITH` list of its own gets them at the head of it.
pub fn with_nodes(nodes: &[(String, String)], statement: &str) -> String {
    let statement = statement.trim().trim_end_matches(';').trim_end();
    if nodes.is_empty() {
        return statement.to_string();
    }
    let list: Vec<String> = nodes
        .iter()
        .map(|(name, sql)| {
            let sql = sql.trim().trim_end_matches(';');
            format!("`{name}` AS (\n{sql}\n)")
        })
        .collect();
    let list = list.join(",\n");
    let own_with = statement.get(..5).is_some_and(|head| {
        head.eq_ignore_ascii_case("WITH ") || head.eq_ignore_ascii_case("WITH\n")
    });
    if own_with {
        format!("WITH {list},\n{}", &statement[5..])
    } else {
        format!("WITH {list}\n{statement}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn earlier_nodes_become_common_table_expressions() {
        let nodes = vec![("a".to_string(), "SELECT 1 AS x -- one".to_string())];
        assert_eq!(
            with_nodes(&nodes, "SELECT * FROM a;"),
            "WITH `a` AS (\nSELECT 1 AS x -- one\n)\nSELECT * FROM a"
        );
        assert_eq!(
            with_nodes(&nodes, "with b AS (SELECT 2) SELECT * FROM a, b"),
            "WITH `a` AS (\nSELECT 1 AS x -- one\n),\nb AS (SELECT 2) SELECT * FROM a, b"
        );
        assert_eq!(with_nodes(&[], " SELECT 1 "), "SELECT 1");
    }
}
