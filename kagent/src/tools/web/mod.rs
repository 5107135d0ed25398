//! The web tools: `FetchURL` (an HTTP GET of a page, its main text extracted; or the Moonshot
//! fetch service when `[services.moonshot_fetch]` is configured) and `SearchWeb` (the Moonshot
//! search service; the tool exists only when `[services.moonshot_search]` is configured, as
//! in kimi-cli). Both run over reqwest with rustls and the webpki roots compiled in, the stack
//! of the LLM clients (no OpenSSL, no platform verifier: the cross builds link nothing more).

pub mod extract;
pub mod fetch;
pub mod search;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::config::WebService;

/// aiohttp's timeouts as kimi-cli sets them: the whole request, connecting, a read.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub total: Duration,
    pub connect: Duration,
    pub read: Duration,
}

/// kimi-cli's default client timeouts (`new_client_session()` without arguments).
pub const DEFAULT_TIMEOUTS: Timeouts = Timeouts {
    total: Duration::from_secs(120),
    connect: Duration::from_secs(15),
    read: Duration::from_secs(60),
};

/// The most redirects aiohttp follows (`max_redirects=10`): the 10th redirect is an error.
pub const MAX_REDIRECTS: usize = 10;

#[derive(Debug, thiserror::Error)]
#[error("too many redirects")]
struct TooManyRedirects;

/// A client with `timeouts` that follows redirects as aiohttp does.
pub fn client(timeouts: Timeouts) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .timeout(timeouts.total)
        .connect_timeout(timeouts.connect)
        .read_timeout(timeouts.read)
        .redirect(reqwest::redirect::Policy::custom(|attempt| {
            if attempt.previous().len() >= MAX_REDIRECTS {
                attempt.error(TooManyRedirects)
            } else {
                attempt.follow()
            }
        }))
        .build()
        .map_err(|e| e.to_string())
}

/// How a request failed, in the terms of aiohttp's exceptions.
#[derive(Debug)]
pub enum Failure {
    /// `TimeoutError`
    Timeout,
    /// `aiohttp.ClientError`, with its `str()`
    Client(String),
}

fn sources<'a>(
    e: &'a (dyn std::error::Error + 'static),
) -> Vec<&'a (dyn std::error::Error + 'static)> {
    let mut out = vec![e];
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push(s);
        cur = s.source();
    }
    out
}

/// `str()` of the aiohttp exception a reqwest error stands for: `url` is the URL requested.
pub fn failure(e: &reqwest::Error, url: &reqwest::Url) -> Failure {
    if e.is_timeout() {
        return Failure::Timeout;
    }
    let chain = sources(e);
    if chain
        .iter()
        .any(|s| s.downcast_ref::<TooManyRedirects>().is_some())
    {
        // aiohttp's TooManyRedirects: the request info of the first response
        return Failure::Client(format!("0, message='', url='{url}'"));
    }
    if e.is_connect() {
        let host = url.host_str().unwrap_or_default();
        let port = url.port_or_known_default().unwrap_or(80);
        let why = chain
            .iter()
            .find_map(|s| s.downcast_ref::<std::io::Error>())
            .map(|io| match io.kind() {
                std::io::ErrorKind::ConnectionRefused => {
                    let ip = host.trim_start_matches('[').trim_end_matches(']');
                    format!("Connect call failed ('{ip}', {port})")
                }
                _ => io
                    .to_string()
                    .trim_start_matches("failed to lookup address information: ")
                    .to_string(),
            })
            .unwrap_or_else(|| {
                chain
                    .last()
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| e.to_string())
            });
        return Failure::Client(format!(
            "Cannot connect to host {host}:{port} ssl:default [{why}]"
        ));
    }
    Failure::Client(
        chain
            .last()
            .map(|s| s.to_string())
            .unwrap_or_else(|| e.to_string()),
    )
}

/// A response's `Content-Type`, lower-cased (empty when there is none or it is not text).
pub fn content_type(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_lowercase()
}

/// A URL as aiohttp's `str()` of an invalid or non-HTTP URL shows it (yarl quotes spaces).
pub fn shown_url(url: &str) -> String {
    url.replace(' ', "%20")
}

/// The URL when aiohttp would send the request: http(s) with a host; else the `str()` of
/// its `InvalidUrlClientError`/`NonHttpUrlClientError`.
pub fn http_url(url: &str) -> Result<reqwest::Url, String> {
    match reqwest::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => Ok(u),
        _ => Err(shown_url(url)),
    }
}

/// What the web services need from the session: the share dir (OAuth tokens, device id).
#[derive(Debug, Clone)]
pub struct ServiceAuth {
    pub share_dir: PathBuf,
}

impl ServiceAuth {
    /// kimi-cli's `resolve_api_key`: the OAuth token stored for the service's `oauth.key`
    /// (`<share>/credentials/<last part of the key>.json`, `access_token`), else `api_key`.
    pub fn api_key(&self, service: &WebService) -> String {
        if let Some(key) = &service.oauth_key {
            let name = key.trim_start_matches("oauth/");
            let name = name
                .rsplit('/')
                .next()
                .filter(|n| !n.is_empty())
                .unwrap_or(key);
            let path = self
                .share_dir
                .join("credentials")
                .join(format!("{name}.json"));
            let token = std::fs::read_to_string(&path)
                .ok()
                .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
                .and_then(|v| v.get("access_token")?.as_str().map(str::to_string))
                .filter(|t| !t.is_empty());
            if let Some(t) = token {
                return t;
            }
            kagent_base::logging::warn(
                &crate::config::profile::active()
                    .message_with("web.oauth_fallback.log", &[("{key}", &key.to_string())]),
            );
        }
        service.api_key.clone()
    }

    /// kimi-cli's `common_headers()` (`X-Msh-*`: platform, version, device), ASCII only.
    pub fn common_headers(&self) -> Vec<(String, String)> {
        let ascii = |v: String| {
            let s: String = v.chars().filter(char::is_ascii).collect();
            let s = s.trim().to_string();
            if s.is_empty() {
                "unknown".to_string()
            } else {
                s
            }
        };
        let read = |p: &str| {
            std::fs::read_to_string(p)
                .map(|s| s.trim().to_string())
                .unwrap_or_default()
        };
        let release = read("/proc/sys/kernel/osrelease");
        let system = match std::env::consts::OS {
            "linux" => "Linux",
            "macos" => "Darwin",
            "windows" => "Windows",
            other => other,
        };
        let model = format!("{system} {release} {}", std::env::consts::ARCH)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        vec![
            ("X-Msh-Platform".into(), "kimi_cli".into()),
            (
                "X-Msh-Version".into(),
                crate::config::profile::active()
                    .kimi_cli_version()
                    .to_string(),
            ),
            (
                "X-Msh-Device-Name".into(),
                ascii(read("/proc/sys/kernel/hostname")),
            ),
            ("X-Msh-Device-Model".into(), ascii(model)),
            (
                "X-Msh-Os-Version".into(),
                ascii(read("/proc/sys/kernel/version")),
            ),
            ("X-Msh-Device-Id".into(), ascii(device_id(&self.share_dir))),
        ]
    }
}

/// `<share>/device_id`, created (a uuid4 hex) when missing, as kimi-cli does.
fn device_id(share: &Path) -> String {
    let path = share.join("device_id");
    if let Ok(id) = std::fs::read_to_string(&path) {
        return id.trim().to_string();
    }
    let id = uuid::Uuid::new_v4().simple().to_string();
    let _ = std::fs::write(&path, &id);
    id
}

/// `User-Agent` of kimi-cli's service requests: `KimiCLI/<version>`.
pub fn service_user_agent() -> String {
    format!(
        "KimiCLI/{}",
        crate::config::profile::active().kimi_cli_version()
    )
}

/// A service request: POST `body` as JSON with kimi-cli's headers: the user agent, then
/// `call_headers` (the bearer key, the tool call id, ...), the common headers, then the
/// configured custom headers.
pub fn service_request(
    client: &reqwest::Client,
    url: &reqwest::Url,
    call_headers: Vec<(String, String)>,
    auth: &ServiceAuth,
    service: &WebService,
    body: &serde_json::Value,
) -> reqwest::RequestBuilder {
    let mut headers: Vec<(String, String)> = vec![("User-Agent".into(), service_user_agent())];
    headers.extend(call_headers);
    headers.extend(auth.common_headers());
    headers.extend(
        service
            .custom_headers
            .iter()
            .map(|(k, v)| (k.clone(), v.clone())),
    );
    // later headers replace earlier ones of the same name (kimi-cli merges dicts)
    let mut map = reqwest::header::HeaderMap::new();
    for (k, v) in headers {
        match (
            reqwest::header::HeaderName::from_bytes(k.as_bytes()),
            reqwest::header::HeaderValue::from_str(&v),
        ) {
            (Ok(name), Ok(value)) => {
                map.insert(name, value);
            }
            _ => kagent_base::logging::warn(&format!("skipping invalid HTTP header {k:?}")),
        }
    }
    // aiohttp's `json=`: `json.dumps` (ASCII, `", "` and `": "`), as application/json
    map.insert(
        reqwest::header::CONTENT_TYPE,
        reqwest::header::HeaderValue::from_static("application/json"),
    );
    client
        .post(url.clone())
        .headers(map)
        .body(kagent_base::py::json::dumps(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(oauth_key: Option<&str>) -> WebService {
        WebService {
            base_url: "http://127.0.0.1:1/search".into(),
            api_key: "configured-key".into(),
            custom_headers: Default::default(),
            oauth_key: oauth_key.map(str::to_string),
        }
    }

    #[test]
    fn the_stored_oauth_token_wins_over_the_api_key() {
        let share = std::env::temp_dir().join(format!("kagent-web-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(share.join("credentials")).unwrap();
        let auth = ServiceAuth {
            share_dir: share.clone(),
        };
        // no token stored yet: the configured key
        assert_eq!(
            auth.api_key(&service(Some("oauth/kimi-code"))),
            "configured-key"
        );
        std::fs::write(
            share.join("credentials").join("kimi-code.json"),
            r#"{"access_token": "stored-token", "refresh_token": "r"}"#,
        )
        .unwrap();
        assert_eq!(
            auth.api_key(&service(Some("oauth/kimi-code"))),
            "stored-token"
        );
        assert_eq!(auth.api_key(&service(None)), "configured-key");
        // the device id is created once and then kept
        let headers = auth.common_headers();
        let id = |h: &[(String, String)]| {
            h.iter()
                .find(|(k, _)| k == "X-Msh-Device-Id")
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        assert_eq!(id(&headers).len(), 32);
        assert_eq!(id(&headers), id(&auth.common_headers()));
        std::fs::remove_dir_all(&share).unwrap();
    }

    #[test]
    fn only_http_urls_with_a_host_are_requested() {
        assert!(http_url("https://example.invalid/a").is_ok());
        assert_eq!(http_url("ftp://x/y").unwrap_err(), "ftp://x/y");
        assert_eq!(http_url("not a url").unwrap_err(), "not%20a%20url");
        assert_eq!(http_url("http://").unwrap_err(), "http://");
    }
}
