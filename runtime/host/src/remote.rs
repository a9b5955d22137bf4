//! Remote files, for URL imports (DS-U4) and analyses (AN-2): http and https URLs only, at
//! most 5 redirects, and an idle timeout while the body arrives.

use std::time::Duration;

/// Longest a download may stay idle.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// Checks that `url` is an http or https URL; the error says why not.
pub fn check(url: &str) -> Result<url::Url, String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("Invalid url '{url}': {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!(
            "Invalid url '{url}': only http and https URLs can be read"
        ));
    }
    Ok(parsed)
}

/// Starts downloading `url`: the file's name (the last path segment of the URL it ended at)
/// and the response, whose body is still to read.
pub async fn open(url: &str) -> Result<(String, reqwest::Response), String> {
    let parsed = check(url)?;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::limited(5))
        .read_timeout(IDLE_TIMEOUT)
        .build()
        .map_err(|e| e.to_string())?;
    let response = client
        .get(parsed)
        .send()
        .await
        .map_err(|e| format!("Fetching {url} failed: {e}"))?;
    if !response.status().is_success() {
        return Err(format!("Fetching {url} failed: HTTP {}", response.status()));
    }
    let name = response
        .url()
        .path_segments()
        .and_then(|mut segments| segments.next_back())
        .unwrap_or_default()
        .replace('"', "");
    Ok((name, response))
}

/// The first `max_bytes` of the file at `url`, its name, and whether there was more.
pub async fn head(url: &str, max_bytes: usize) -> Result<(String, Vec<u8>, bool), String> {
    let (name, mut response) = open(url).await?;
    let mut bytes = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| format!("Fetching {url} failed: {e}"))?
    {
        let room = max_bytes - bytes.len();
        if chunk.len() > room {
            bytes.extend_from_slice(&chunk[..room]);
            return Ok((name, bytes, true));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok((name, bytes, false))
}
