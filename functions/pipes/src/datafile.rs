//! A pipe as `.pipe` datafile text (PIPE-CRUD-04, DF-PIPE-08): the `TOKEN ... READ` lines of
//! the tokens that read it, the description, then each node with its description and SQL
//! indented by four spaces, and `TYPE ENDPOINT` on the published node, so `tb pull` gets
//! back what `tb push` sent.

use colibri_pipeline::Definition;

fn block(out: &mut String, keyword: &str, text: &str) {
    out.push_str(keyword);
    out.push_str(" >\n");
    for line in text.trim_end().lines() {
        if line.trim().is_empty() {
            out.push('\n');
        } else {
            out.push_str("    ");
            out.push_str(line);
            out.push('\n');
        }
    }
}

/// Text without the indentation all its lines share (the CLI sends a node's SQL indented as
/// it was in the datafile), and without leading and trailing blank lines.
fn dedent(text: &str) -> String {
    let lines: Vec<&str> = text
        .trim_start_matches([' ', '\t'])
        .trim_matches('\n')
        .lines()
        .collect();
    let indent = lines
        .iter()
        .filter(|line| !line.trim().is_empty())
        .map(|line| line.len() - line.trim_start().len())
        .min()
        .unwrap_or(0);
    let lines: Vec<&str> = lines
        .iter()
        .map(|line| line.get(indent..).unwrap_or("").trim_end())
        .collect();
    lines.join("\n")
}

/// The datafile of a pipe that the tokens named `readers` read (DF-PIPE-04).
pub fn render(definition: &Definition, readers: &[String]) -> String {
    let mut out = String::new();
    for reader in readers {
        out.push_str(&format!("TOKEN \"{reader}\" READ\n"));
    }
    if let Some(description) = definition
        .description
        .as_deref()
        .filter(|d| !d.trim().is_empty())
    {
        block(&mut out, "DESCRIPTION", description);
        out.push('\n');
    }
    for (index, node) in definition.nodes.iter().enumerate() {
        if index > 0 {
            out.push('\n');
        }
        out.push_str(&format!("NODE {}\n", node.name));
        if let Some(description) = node.description.as_deref().filter(|d| !d.trim().is_empty()) {
            block(&mut out, "DESCRIPTION", description);
        }
        let sql = match node.sql.trim_start().strip_prefix('%') {
            Some(template) => format!("%\n{}", dedent(template)),
            None => dedent(&node.sql),
        };
        block(&mut out, "SQL", &sql);
        if definition.endpoint.as_deref() == Some(node.id.as_str()) {
            out.push_str("TYPE endpoint\n");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use colibri_pipeline::Node;

    #[test]
    fn renders_description_nodes_sql_and_type() {
        let first = Node::new(
            "filtered".into(),
            "SELECT 1 AS x".into(),
            Some("First".into()),
        );
        let second = Node::new(
            "endpoint".into(),
            "%\n    SELECT * FROM filtered\n      LIMIT {{Int32(n, 1)}}\n".into(),
            None,
        );
        let definition = Definition {
            description: Some("Top pages".into()),
            endpoint: Some(second.id.clone()),
            nodes: vec![first, second],
        };
        assert_eq!(
            render(&definition, &["dashboard".to_string()]),
            "TOKEN \"dashboard\" READ\nDESCRIPTION >\n    Top pages\n\nNODE filtered\nDESCRIPTION >\n    First\nSQL >\n    SELECT 1 AS x\n\n\
             NODE endpoint\nSQL >\n    %\n    SELECT * FROM filtered\n      LIMIT {{Int32(n, 1)}}\nTYPE endpoint\n"
        );
    }
}
