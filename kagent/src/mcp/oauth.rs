//! The OAuth tokens `kimi mcp auth` stored for a remote MCP server, read from the same files so
//! a user who logged in once is logged in for both kernels.
//!
//! kimi-cli keeps them in `<share>/mcp-oauth/` as a key-value file tree: the collection
//! `mcp-oauth-token` is a folder, each key (`<server url without trailing slash>/tokens`) a
//! JSON file `{"value": {"access_token": ..., "token_type": ...}, "expires_at": ...}`. Folder
//! and file names are the name with runs of other characters than ASCII letters and digits
//! turned into `_`, prefixed `S_`, followed by `-` and the first 8 hex digits of the name's
//! SHA-256. Each collection also has a `<folder>-info.json` beside its folder.
//!
//! An access token with an `expires_in` (not 0) whose stored expiry (`mcp-oauth-token-expiry`:
//! `{"expires_at": <unix seconds>}`) has passed is refreshed as the MCP SDK's OAuth provider does on kimi-cli's first
//! request: the refresh_token grant POSTed (form-encoded, with the stored client's id and its
//! secret as its `token_endpoint_auth_method` says) to `/token` at the server's origin (the
//! provider knows no metadata yet at that point), the answer written back as the new tokens
//! and expiry. A failed refresh leaves the server to be reached without a token, as there.

use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};

const COLLECTION: &str = "mcp-oauth-token";
const EXPIRY_COLLECTION: &str = "mcp-oauth-token-expiry";
const CLIENT_COLLECTION: &str = "mcp-oauth-client-info";
/// The stores' time to live of tokens and expiries (one year, in seconds).
const STORE_TTL: i64 = 365 * 24 * 3600;

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
    entry_file(share, COLLECTION, server_url, "tokens")
}

fn entry_file(share: &Path, collection: &str, server_url: &str, what: &str) -> PathBuf {
    let key = format!("{}/{what}", server_url.trim_end_matches('/'));
    share
        .join("mcp-oauth")
        .join(sanitized(collection))
        .join(format!("{}.json", sanitized(&key)))
}

/// The value of a stored entry that has not expired from the store.
fn read_value(share: &Path, collection: &str, server_url: &str, what: &str) -> Option<Value> {
    let text = std::fs::read_to_string(entry_file(share, collection, server_url, what)).ok()?;
    let mut entry: Value = serde_json::from_str(&text).ok()?;
    if let Some(expires) = entry.get("expires_at").and_then(Value::as_str) {
        // both are UTC ISO-8601 (`+00:00`): their first 19 characters compare as times
        let now = kagent_base::time::iso_now_utc();
        if let (Some(e), Some(n)) = (expires.get(..19), now.get(..19)) {
            if e < n {
                return None;
            }
        }
    }
    entry.get_mut("value").map(Value::take)
}

/// Store `value` as the key-value store does (keys sorted, Python's JSON separators), with the
/// collection's info file when it is new.
fn write_value(
    share: &Path,
    collection: &str,
    server_url: &str,
    what: &str,
    value: Value,
) -> std::io::Result<()> {
    let file = entry_file(share, collection, server_url, what);
    let dir = file.parent().unwrap_or(share);
    std::fs::create_dir_all(dir)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let (secs, micros) = (now.as_secs() as i64, now.subsec_micros());
    let created = kagent_base::time::iso_utc(secs, micros);
    let info = dir.with_file_name(format!("{}-info.json", sanitized(collection)));
    if !info.exists() {
        let meta = serde_json::json!({
            "collection": collection,
            "created_at": created,
            "directory": dir.display().to_string(),
            "version": 1,
        });
        std::fs::write(&info, kagent_base::py::json::dumps(&meta))?;
    }
    let entry = serde_json::json!({
        "created_at": created,
        "expires_at": kagent_base::time::iso_utc(secs + STORE_TTL, micros),
        "value": value,
        "version": 1,
    });
    let tmp = file.with_extension("json.tmp");
    std::fs::write(&tmp, kagent_base::py::json::dumps(&entry))?;
    std::fs::rename(&tmp, &file)
}

fn unix_now_f64() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// The access token to send to `server_url`: the stored one while it has not expired, else a
/// refreshed one (see the module header); `None` when there is none to send.
pub async fn access_token(share: &Path, server_url: &str) -> Option<String> {
    let tokens = read_value(share, COLLECTION, server_url, "tokens")?;
    let access = tokens.get("access_token")?.as_str()?.to_string();
    // the provider (fastmcp's OAuth) reads the stored expiry only for a token whose
    // `expires_in` is set and not 0; without it, or without a stored expiry (then counted
    // from now), the token is taken as valid
    let expires = tokens
        .get("expires_in")
        .and_then(Value::as_f64)
        .is_some_and(|s| s != 0.0);
    let expiry = read_value(share, EXPIRY_COLLECTION, server_url, "token_expiry")
        .and_then(|v| v.get("expires_at").and_then(Value::as_f64))
        .filter(|_| expires);
    if expiry.is_none_or(|e| unix_now_f64() <= e) {
        return Some(access);
    }
    match refresh(share, server_url, &tokens).await {
        Ok(token) => Some(token),
        Err(why) => {
            kagent_base::logging::warn(&format!(
                "MCP OAuth token of {server_url} expired and was not refreshed: {why}"
            ));
            None
        }
    }
}

/// `application/x-www-form-urlencoded` of `pairs`.
fn form(pairs: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    (b as char).to_string()
                }
                b' ' => "+".to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The server's origin (`scheme://host[:port]`).
fn origin(server_url: &str) -> Option<String> {
    let (scheme, rest) = server_url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    Some(format!("{scheme}://{authority}"))
}

/// The refresh_token grant; the new access token once stored.
async fn refresh(share: &Path, server_url: &str, tokens: &Value) -> Result<String, String> {
    let refresh_token = tokens
        .get("refresh_token")
        .and_then(Value::as_str)
        .ok_or("no refresh token was stored")?;
    let client = read_value(share, CLIENT_COLLECTION, server_url, "client_info")
        .ok_or("no OAuth client was stored")?;
    let client_id = client
        .get("client_id")
        .and_then(Value::as_str)
        .ok_or("the stored OAuth client has no client_id")?;
    let secret = client.get("client_secret").and_then(Value::as_str);
    let method = client
        .get("token_endpoint_auth_method")
        .and_then(Value::as_str);
    let mut pairs = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
        ("client_id", client_id),
    ];
    let mut basic = None;
    match (method, secret) {
        (Some("client_secret_basic"), Some(secret)) => {
            use base64::Engine;
            let pct = |s: &str| form(&[("", s)])[1..].replace('+', "%20");
            let credentials = format!("{}:{}", pct(client_id), pct(secret));
            basic = Some(base64::engine::general_purpose::STANDARD.encode(credentials));
        }
        (Some("client_secret_post"), Some(secret)) => pairs.push(("client_secret", secret)),
        _ => {}
    }
    let url = format!(
        "{}/token",
        origin(server_url).ok_or_else(|| format!("{server_url} is not a URL"))?
    );
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .connect_timeout(crate::llm::http::CONNECT_TIMEOUT)
        .build()
        .map_err(|e| e.to_string())?;
    let mut req = http
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&pairs));
    if let Some(b) = basic {
        req = req.header("authorization", format!("Basic {b}"));
    }
    let resp = req.send().await.map_err(|e| format!("{url}: {e}"))?;
    if resp.status() != reqwest::StatusCode::OK {
        return Err(format!("{url} answered {}", resp.status()));
    }
    let text = resp.text().await.map_err(|e| format!("{url}: {e}"))?;
    let answer: Value =
        serde_json::from_str(&text).map_err(|e| format!("{url}: invalid token response: {e}"))?;
    let access = answer
        .get("access_token")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{url}: the token response has no access_token"))?
        .to_string();
    let token_type = answer
        .get("token_type")
        .and_then(Value::as_str)
        .unwrap_or("");
    if !token_type.eq_ignore_ascii_case("bearer") {
        return Err(format!("{url}: token type {token_type:?} is not Bearer"));
    }
    let field = |k: &str| answer.get(k).cloned().unwrap_or(Value::Null);
    let expires_in = field("expires_in");
    // the SDK's OAuthToken, keys sorted as the store writes them
    let stored = serde_json::json!({
        "access_token": access,
        "expires_in": expires_in,
        "refresh_token": field("refresh_token"),
        "scope": field("scope"),
        "token_type": "Bearer",
    });
    let write = |collection, what, value| {
        write_value(share, collection, server_url, what, value)
            .map_err(|e| format!("cannot store the refreshed token: {e}"))
    };
    write(COLLECTION, "tokens", stored)?;
    if let Some(secs) = expires_in.as_f64() {
        let at = unix_now_f64() + secs.trunc();
        write(
            EXPIRY_COLLECTION,
            "token_expiry",
            serde_json::json!({"expires_at": at}),
        )?;
    }
    Ok(access)
}

/// The stored access token of `server_url`, if `kimi mcp auth` stored one that has not
/// expired from the store (kimi-cli's `has_mcp_oauth_tokens`; the token itself may have
/// expired: [`access_token`] refreshes it).
pub fn stored_access_token(share: &Path, server_url: &str) -> Option<String> {
    read_value(share, COLLECTION, server_url, "tokens")?
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
        // the expiry and client files kimi-cli 1.51 wrote for the same server
        let expiry = entry_file(
            Path::new("/s"),
            EXPIRY_COLLECTION,
            "http://127.0.0.1:9999/mcp",
            "token_expiry",
        );
        assert!(expiry.ends_with("S_mcp_oauth_token_expiry-1a152c9e/S_http_127_0_0_1_9999_mcp_token_expiry-f1b1ffb3.json"), "{expiry:?}");
        let client = entry_file(
            Path::new("/s"),
            CLIENT_COLLECTION,
            "http://127.0.0.1:9999/mcp",
            "client_info",
        );
        assert!(client.ends_with("S_mcp_oauth_client_info-92af0fc1/S_http_127_0_0_1_9999_mcp_client_info-01b32852.json"), "{client:?}");
    }

    #[tokio::test]
    async fn a_token_without_expires_in_is_valid_whatever_its_stored_expiry() {
        let share = std::env::temp_dir().join(format!("kagent-oauth-{}", std::process::id()));
        let url = "http://127.0.0.1:9/mcp";
        let past = serde_json::json!({"expires_at": unix_now_f64() - 60.0});
        write_value(&share, EXPIRY_COLLECTION, url, "token_expiry", past).unwrap();
        for (expires_in, sent) in [
            (Value::Null, Some("t")),
            (serde_json::json!(0), Some("t")),
            // expired: refreshed, which fails here (no refresh token): nothing to send
            (serde_json::json!(60), None),
        ] {
            let tokens = serde_json::json!({"access_token": "t", "token_type": "Bearer", "expires_in": expires_in});
            write_value(&share, COLLECTION, url, "tokens", tokens).unwrap();
            assert_eq!(
                access_token(&share, url).await.as_deref(),
                sent,
                "{expires_in}"
            );
        }
        let _ = std::fs::remove_dir_all(&share);
    }

    #[test]
    fn forms_and_origins() {
        assert_eq!(
            form(&[("a b", "x/y&z"), ("k", "~.-_")]),
            "a+b=x%2Fy%26z&k=~.-_"
        );
        assert_eq!(
            origin("http://127.0.0.1:9/a/b?c").as_deref(),
            Some("http://127.0.0.1:9")
        );
    }
}
