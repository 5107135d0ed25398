//! The OAuth tokens `kimi mcp auth` stored for a remote MCP server, read from the same files so
//! a user who logged in once is logged in for both kernels.
//!
//! kimi-cli keeps them in `<share>/mcp-oauth/` as a key-value file tree: the collection
//! `mcp-oauth-token` is a folder, each key (`<server url without trailing slash>/tokens`) a
//! JSON file `{"value": {"access_token": ..., "token_type": ...}, "expires_at": ...}`. Folder
//! and file names are the name with runs of other characters than ASCII letters and digits
//! turned into `_`, prefixed `S_`, followed by `-` and the first 8 hex digits of the name's
//! SHA-256.

use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};

const COLLECTION: &str = "mcp-oauth-token";

/// A file-tree name for `name` (see the module header).
fn sanitized(name: &str) -> String {
    let mut out = String::from("S_");
    let mut in_run = false;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
            in_run = false;
        } else if !in_run {
            out.push('_');
            in_run = true;
        }
    }
    let digest = Sha256::digest(name.as_bytes());
    let hex: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    format!("{out}-{hex}")
}

/// Where the tokens of `server_url` are stored.
pub fn token_file(share: &Path, server_url: &str) -> PathBuf {
    let key = format!("{}/tokens", server_url.trim_end_matches('/'));
    share
        .join("mcp-oauth")
        .join(sanitized(COLLECTION))
        .join(format!("{}.json", sanitized(&key)))
}

/// The stored access token of `server_url`, if `kimi mcp auth` stored one that has not
/// expired from the store.
pub fn stored_access_token(share: &Path, server_url: &str) -> Option<String> {
    let text = std::fs::read_to_string(token_file(share, server_url)).ok()?;
    let entry: Value = serde_json::from_str(&text).ok()?;
    if let Some(expires) = entry.get("expires_at").and_then(Value::as_str) {
        // both are UTC ISO-8601 (`+00:00`): their first 19 characters compare as times
        let now = kagent_base::time::iso_now_utc();
        if let (Some(e), Some(n)) = (expires.get(..19), now.get(..19)) {
            if e < n {
                return None;
            }
        }
        if false {
            return None;
        }
    }
    entry
        .get("value")?
        .get("access_token")?
        .as_str()
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_the_kimi_cli_file_tree() {
        // file names kimi-cli 1.51 wrote for http://127.0.0.1:9999/mcp/
        assert_eq!(sanitized(COLLECTION), "S_mcp_oauth_token-3a009b34");
        let f = token_file(Path::new("/s"), "http://127.0.0.1:9999/mcp/");
        assert_eq!(
            f,
            Path::new("/s/mcp-oauth/S_mcp_oauth_token-3a009b34/S_http_127_0_0_1_9999_mcp_tokens-d76af9ca.json")
        );
    }
}
