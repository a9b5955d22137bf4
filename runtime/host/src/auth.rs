//! Who is calling and what they may do: tokens resolve to a principal with Tinybird scopes,
//! checked by the host on every capability call.

use colibri_storage::{Catalog, DataSource};

/// One scope of a static token (TOK-*); the singular spellings are aliases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Admin,
    DatasourcesCreate,
    DatasourcesAppend(String),
    DatasourcesRead(String),
    DatasourcesDrop(String),
    PipesCreate,
    PipesRead(String),
    PipesDrop(String),
    Tokens,
    Other(String),
}

impl Scope {
    pub fn parse(text: &str) -> Scope {
        let mut parts = text.splitn(3, ':');
        let (kind, action, resource) = (parts.next(), parts.next(), parts.next());
        let datasources = matches!(kind, Some("DATASOURCES") | Some("DATASOURCE"));
        let pipes = matches!(kind, Some("PIPES") | Some("PIPE"));
        // A READ scope with a row filter grants nothing until filters are enforced.
        let resource_name = || resource.unwrap_or("").to_string();
        let filtered = resource.is_some_and(|r| r.contains(':'));
        match (kind, action) {
            (Some("ADMIN"), None) => Scope::Admin,
            (Some("TOKENS"), None) => Scope::Tokens,
            (_, Some("CREATE")) if pipes => Scope::PipesCreate,
            (_, Some("READ")) if pipes && resource.is_some() && !filtered => {
                Scope::PipesRead(resource_name())
            }
            (_, Some("DROP")) if pipes && resource.is_some() => Scope::PipesDrop(resource_name()),
            (_, Some("CREATE")) if datasources => Scope::DatasourcesCreate,
            (_, Some("APPEND")) if datasources && resource.is_some() => {
                Scope::DatasourcesAppend(resource_name())
            }
            (_, Some("READ")) if datasources && resource.is_some() && !filtered => {
                Scope::DatasourcesRead(resource_name())
            }
            (_, Some("DROP")) if datasources && resource.is_some() => {
                Scope::DatasourcesDrop(resource_name())
            }
            _ => Scope::Other(text.to_string()),
        }
    }
}

/// The caller of one request.
#[derive(Debug, Clone)]
pub struct Principal {
    pub token_name: String,
    pub scope_texts: Vec<String>,
    scopes: Vec<Scope>,
    /// The job a run carries out, when the host replays a queued job's request.
    pub job: Option<String>,
}

/// The data source a quarantine table belongs to is what scopes name.
fn scoped_name<'a>(catalog: &'a Catalog, datasource: &'a DataSource) -> String {
    match &datasource.quarantine_of {
        Some(owner) => catalog
            .datasource(owner)
            .map(|d| d.name)
            .unwrap_or_else(|| datasource.name.clone()),
        None => datasource.name.clone(),
    }
}

impl Principal {
    pub fn new(token_name: String, scope_texts: Vec<String>) -> Principal {
        let scopes = scope_texts.iter().map(|s| Scope::parse(s)).collect();
        Principal {
            token_name,
            scope_texts,
            scopes,
            job: None,
        }
    }

    /// Resolves the token of a request.
    pub fn from_token(catalog: &Catalog, token: &str) -> Option<Principal> {
        catalog
            .token_by_value(token)
            .map(|t| Principal::new(t.name, t.scopes))
    }

    /// The same caller, running `job` (or no job).
    pub fn running(&self, job: Option<String>) -> Principal {
        Principal {
            job,
            ..self.clone()
        }
    }

    pub fn is_admin(&self) -> bool {
        self.scopes.contains(&Scope::Admin)
    }

    pub fn can_create(&self) -> bool {
        self.is_admin() || self.scopes.contains(&Scope::DatasourcesCreate)
    }

    pub fn can_append(&self, catalog: &Catalog, datasource: &DataSource) -> bool {
        let name = scoped_name(catalog, datasource);
        self.can_create() || self.scopes.contains(&Scope::DatasourcesAppend(name))
    }

    pub fn can_drop(&self, catalog: &Catalog, datasource: &DataSource) -> bool {
        let name = scoped_name(catalog, datasource);
        self.is_admin() || self.scopes.contains(&Scope::DatasourcesDrop(name))
    }

    pub fn can_read(&self, catalog: &Catalog, datasource: &DataSource) -> bool {
        let name = scoped_name(catalog, datasource);
        self.is_admin() || self.scopes.contains(&Scope::DatasourcesRead(name))
    }

    /// May list, create, change and delete tokens (ADMIN or TOKENS).
    pub fn can_manage_tokens(&self) -> bool {
        self.is_admin() || self.scopes.contains(&Scope::Tokens)
    }

    /// May create pipes and change any pipe (PIPES:CREATE).
    pub fn can_create_pipes(&self) -> bool {
        self.is_admin() || self.scopes.contains(&Scope::PipesCreate)
    }

    /// May read the pipe `name`: its definition and its endpoint.
    pub fn can_read_pipe(&self, name: &str) -> bool {
        self.can_create_pipes() || self.scopes.contains(&Scope::PipesRead(name.to_string()))
    }

    pub fn can_drop_pipe(&self, name: &str) -> bool {
        self.is_admin() || self.scopes.contains(&Scope::PipesDrop(name.to_string()))
    }

    /// May learn whether the data source exists and what it looks like.
    pub fn can_see(&self, catalog: &Catalog, datasource_name: &str) -> bool {
        self.can_create()
            || catalog.datasource(datasource_name).is_some_and(|d| {
                self.can_read(catalog, &d)
                    || self.can_append(catalog, &d)
                    || self.can_drop(catalog, &d)
            })
            || self.scopes.iter().any(|s| {
                matches!(s, Scope::DatasourcesAppend(n) | Scope::DatasourcesRead(n) | Scope::DatasourcesDrop(n) if n == datasource_name)
            })
    }
}

/// A scope as the Tokens API stores it: checked, in its canonical plural spelling (TOK-2,
/// TOK-4); `DROP:<name>` drops the data source or pipe of that name.
pub fn canonical_scope(text: &str, catalog: &Catalog) -> Result<String, String> {
    let invalid = || format!("Invalid scope '{text}'");
    let parts: Vec<&str> = text.trim().splitn(4, ':').collect();
    let resource = |index: usize| {
        parts
            .get(index)
            .filter(|r| !r.is_empty())
            .copied()
            .ok_or_else(invalid)
    };
    let with_filter = |kind: &str| -> Result<String, String> {
        let resource = resource(2)?;
        Ok(match parts.get(3) {
            Some(filter) => format!("{kind}:{resource}:{filter}"),
            None => format!("{kind}:{resource}"),
        })
    };
    let plain = |kind: &str| -> Result<String, String> {
        match parts.len() {
            3 => Ok(format!("{kind}:{}", resource(2)?)),
            _ => Err(invalid()),
        }
    };
    let kind = match parts[0] {
        "DATASOURCE" => "DATASOURCES",
        "PIPE" => "PIPES",
        other => other,
    };
    match (kind, parts.get(1).copied(), parts.len()) {
        ("ADMIN" | "TOKENS", None, 1) => Ok(kind.to_string()),
        ("ORG_DATASOURCES", Some("READ"), 2) => Ok("ORG_DATASOURCES:READ".to_string()),
        ("DATASOURCES" | "PIPES", Some("CREATE"), 2) => Ok(format!("{kind}:CREATE")),
        ("DATASOURCES" | "PIPES", Some("READ"), _) => with_filter(&format!("{kind}:READ")),
        ("DATASOURCES", Some("APPEND"), _) => plain("DATASOURCES:APPEND"),
        ("DATASOURCES" | "PIPES", Some("DROP"), _) => plain(&format!("{kind}:DROP")),
        ("DROP", Some(name), 2) if catalog.pipe(name).is_some() => Ok(format!("PIPES:DROP:{name}")),
        ("DROP", Some(name), 2) if !name.is_empty() => Ok(format!("DATASOURCES:DROP:{name}")),
        _ => Err(invalid()),
    }
}

/// A new static token string, in Tinybird's shape: `p.` + base64url(JSON) + `.` + secret.
pub fn mint_token(workspace_id: &str) -> String {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = serde_json::json!({
        "u": workspace_id,
        "id": uuid::Uuid::new_v4().to_string(),
        "host": "local",
    });
    let secret: [u8; 32] = rand::random();
    format!(
        "p.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(secret)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_scopes_and_singular_aliases() {
        assert_eq!(Scope::parse("ADMIN"), Scope::Admin);
        assert_eq!(Scope::parse("DATASOURCES:CREATE"), Scope::DatasourcesCreate);
        assert_eq!(
            Scope::parse("DATASOURCE:APPEND:events"),
            Scope::DatasourcesAppend("events".into())
        );
        assert_eq!(
            Scope::parse("DATASOURCES:READ:events:country = 'ES'"),
            Scope::Other("DATASOURCES:READ:events:country = 'ES'".into())
        );
        assert_eq!(Scope::parse("PIPES:READ:p"), Scope::PipesRead("p".into()));
        assert_eq!(Scope::parse("PIPE:CREATE"), Scope::PipesCreate);
        assert_eq!(Scope::parse("PIPES:DROP:p"), Scope::PipesDrop("p".into()));
        assert_eq!(
            Scope::parse("PIPES:READ:p:x = 1"),
            Scope::Other("PIPES:READ:p:x = 1".into())
        );
    }

    #[test]
    fn minted_tokens_have_tinybirds_shape() {
        let token = mint_token("ws");
        let parts: Vec<_> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0], "p");
    }
}
