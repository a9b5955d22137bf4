//! Row expiry (DS-E6): a data source's `engine_ttl` expression (`ts + toIntervalDay(90)`) says
//! when a row expires. Like ClickHouse, Colibri deletes expired rows lazily: a sweep every
//! `--ttl-interval-secs` counts each such data source's expired rows and, when there are any,
//! rewrites the table without them in one commit (the row deletion of `POST .../delete`).

use std::sync::Arc;
use std::time::Duration;

use colibri_storage::DataSource;

use crate::capabilities::Services;

/// The condition true for the expired rows of a TTL expression. ClickHouse's `DELETE`
/// action, the default one, may follow the expression.
pub fn expired_condition(ttl: &str) -> String {
    let ttl = ttl.trim();
    let expression = ttl
        .len()
        .checked_sub(" DELETE".len())
        .filter(|&end| ttl[end..].eq_ignore_ascii_case(" DELETE"))
        .map_or(ttl, |end| &ttl[..end]);
    format!("({expression}) <= now()")
}

/// The TTL expression of a data source, when it has one.
pub fn ttl_of(datasource: &DataSource) -> Option<&str> {
    datasource
        .engine_params
        .get("engine_ttl")
        .map(|ttl| ttl.trim())
        .filter(|ttl| !ttl.is_empty())
}

/// Deletes the expired rows of every data source with a TTL, every `interval`, forever.
pub async fn expire_rows(services: Arc<Services>, interval: Duration) {
    loop {
        tokio::time::sleep(interval).await;
        for datasource in services.storage.catalog().datasources() {
            let Some(ttl) = ttl_of(&datasource) else {
                continue;
            };
            let condition = expired_condition(ttl);
            match services.count_where(&datasource, &condition).await {
                Ok(0) => {}
                Ok(expired) => match services
                    .rewrite_where(&datasource, &condition, Vec::new())
                    .await
                {
                    Ok(_) => {
                        tracing::info!(datasource = %datasource.name, rows = expired, "deleted expired rows")
                    }
                    Err(e) => {
                        tracing::warn!(datasource = %datasource.name, error = %e, "deleting expired rows failed")
                    }
                },
                Err(e) => {
                    tracing::warn!(datasource = %datasource.name, error = %e, "engine_ttl cannot be evaluated")
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delete_action_is_optional() {
        assert_eq!(
            expired_condition("ts + toIntervalDay(1) DELETE"),
            "(ts + toIntervalDay(1)) <= now()"
        );
        assert_eq!(
            expired_condition(" ts + INTERVAL 1 DAY "),
            "(ts + INTERVAL 1 DAY) <= now()"
        );
    }
}
