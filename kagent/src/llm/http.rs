//! The HTTP client shared by the real providers.
//!
//! - reqwest over rustls (ring) with the webpki root certificates compiled in: no system
//!   certificate store and no OpenSSL, so the same code cross-compiles to every target of the
//!   platform matrix (glibc 2.17, macOS, windows-gnu) and behaves the same everywhere.
//! - Proxies: reqwest reads `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY` and `NO_PROXY` (either case),
//!   as httpx does for kimi-cli.
//! - Timeouts: 5 s to connect and 600 s of silence while reading, the OpenAI/Anthropic SDK
//!   defaults kimi-cli runs with.
//! - Transport retries: like those SDKs (`max_retries=2`), a request answered 408/409/429/5xx
//!   (or `x-should-retry: true`), or failing to connect, is sent again up to two more times,
//!   waiting `retry-after-ms`/`retry-after` when the server asks for at most 60 s, otherwise
//!   `0.5 s * 2^n` (max 8 s) minus up to 25 % jitter. The turn loop's own StepRetry policy sits
//!   on top of this, exactly as kimi-cli's tenacity loop sits on top of the SDK's.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;

use super::ChatProviderError;
use kagent_base::py::repr::repr_value;

pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
pub const READ_TIMEOUT: Duration = Duration::from_secs(600);
pub const MAX_TRANSPORT_RETRIES: u32 = 2;

/// Errors building the client (bad header names/values in the configuration).
#[derive(Debug, thiserror::Error)]
pub enum HttpSetupError {
    #[error("invalid HTTP header {name:?}: {detail}")]
    Header { name: String, detail: String },
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
}

/// A configured HTTP client with default headers.
#[derive(Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    read_timeout: Duration,
}

/// Build a header map from name/value pairs.
pub fn header_map<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<HeaderMap, HttpSetupError> {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        let n = HeaderName::from_bytes(name.as_bytes()).map_err(|e| HttpSetupError::Header {
            name: name.to_string(),
            detail: e.to_string(),
        })?;
        let v = HeaderValue::from_str(value).map_err(|e| HttpSetupError::Header {
            name: name.to_string(),
            detail: e.to_string(),
        })?;
        map.insert(n, v);
    }
    Ok(map)
}

impl HttpClient {
    pub fn new(default_headers: HeaderMap) -> Result<Self, HttpSetupError> {
        let client = reqwest::Client::builder()
            .default_headers(default_headers)
            .connect_timeout(CONNECT_TIMEOUT)
            .build()
            .map_err(|e| HttpSetupError::Client(e.to_string()))?;
        Ok(HttpClient {
            client,
            read_timeout: READ_TIMEOUT,
        })
    }

    /// POST `body` as JSON; returns the response once its status is a success (the body is
    /// left to stream). Failures are retried at the transport level as described above.
    pub async fn post_json(
        &self,
        url: &str,
        headers: &HeaderMap,
        body: &Value,
    ) -> Result<Response, ChatProviderError> {
        let payload = serde_json::to_vec(body)
            .map_err(|e| ChatProviderError::Other(format!("cannot encode the request: {e}")))?;
        let mut retries_taken: u32 = 0;
        loop {
            let remaining = MAX_TRANSPORT_RETRIES - retries_taken;
            let sent = tokio::time::timeout(
                self.read_timeout,
                self.client
                    .post(url)
                    .headers(headers.clone())
                    .header("content-type", "application/json")
                    .header("accept", "application/json")
                    .header("x-stainless-retry-count", retries_taken.to_string())
                    .body(payload.clone())
                    .send(),
            )
            .await;
            let resp = match sent {
                Err(_) => {
                    if remaining > 0 {
                        self.backoff(retries_taken, None).await;
                        retries_taken += 1;
                        continue;
                    }
                    return Err(ChatProviderError::Timeout("Request timed out.".into()));
                }
                Ok(Err(e)) => {
                    kagent_base::logging::warn(&format!("HTTP request to {url} failed: {e}"));
                    if remaining > 0 {
                        self.backoff(retries_taken, None).await;
                        retries_taken += 1;
                        continue;
                    }
                    return Err(if e.is_timeout() {
                        ChatProviderError::Timeout("Request timed out.".into())
                    } else {
                        ChatProviderError::Connection("Connection error.".into())
                    });
                }
                Ok(Ok(r)) => r,
            };
            let status = resp.status();
            if status.is_success() {
                return Ok(Response {
                    inner: resp,
                    read_timeout: self.read_timeout,
                });
            }
            let resp_headers = resp.headers().clone();
            if remaining > 0 && should_retry(status.as_u16(), &resp_headers) {
                // drain the body so the connection can be reused
                let _ = tokio::time::timeout(self.read_timeout, resp.bytes()).await;
                self.backoff(retries_taken, Some(&resp_headers)).await;
                retries_taken += 1;
                continue;
            }
            let text = match tokio::time::timeout(self.read_timeout, resp.text()).await {
                Ok(Ok(t)) => t,
                _ => String::new(),
            };
            return Err(ChatProviderError::Status {
                status_code: i64::from(status.as_u16()),
                message: status_error_message(status.as_u16(), &text),
            });
        }
    }

    async fn backoff(&self, retries_taken: u32, headers: Option<&HeaderMap>) {
        let wait = retry_wait_seconds(retries_taken, headers, jitter_fraction());
        kagent_base::logging::info(&format!(
            "Retrying HTTP request in {wait:.3} seconds (retry {})",
            retries_taken + 1
        ));
        tokio::time::sleep(Duration::from_secs_f64(wait)).await;
    }
}

/// The SDKs' `_should_retry`.
pub fn should_retry(status: u16, headers: &HeaderMap) -> bool {
    match headers.get("x-should-retry").and_then(|v| v.to_str().ok()) {
        Some("true") => return true,
        Some("false") => return false,
        _ => {}
    }
    matches!(status, 408 | 409 | 429) || status >= 500
}

/// The SDKs' `_calculate_retry_timeout` (`jitter` in [0, 1)).
pub fn retry_wait_seconds(retries_taken: u32, headers: Option<&HeaderMap>, jitter: f64) -> f64 {
    if let Some(h) = headers {
        let get = |k: &str| h.get(k).and_then(|v| v.to_str().ok()).map(str::trim);
        let asked = get("retry-after-ms")
            .and_then(|v| v.parse::<f64>().ok())
            .map(|ms| ms / 1000.0)
            .or_else(|| get("retry-after").and_then(|v| v.parse::<f64>().ok()));
        if let Some(s) = asked {
            if s > 0.0 && s <= 60.0 {
                return s;
            }
        }
    }
    let base = (0.5 * 2f64.powi(retries_taken.min(1000) as i32)).min(8.0);
    base * (1.0 - 0.25 * jitter)
}

fn jitter_fraction() -> f64 {
    let bits = uuid::Uuid::new_v4().as_u128() as u64 >> 11;
    bits as f64 / (1u64 << 53) as f64
}

/// `Error code: N - <repr of the JSON body>` (or the raw text), as the SDKs word it.
pub fn status_error_message(status: u16, text: &str) -> String {
    let trimmed = text.trim();
    match serde_json::from_str::<Value>(trimmed) {
        Ok(v) if !trimmed.is_empty() => format!("Error code: {status} - {}", repr_value(&v)),
        _ if !trimmed.is_empty() => trimmed.to_string(),
        _ => format!("Error code: {status}"),
    }
}

/// A successful response whose body is read chunk by chunk.
pub struct Response {
    inner: reqwest::Response,
    read_timeout: Duration,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<String> {
        self.inner
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }

    /// The next body chunk, `None` at the end. Errors are mapped like kosong's
    /// `convert_httpx_error` (a connection lost mid-body is an `APIConnectionError`).
    pub async fn chunk(&mut self) -> Result<Option<Vec<u8>>, ChatProviderError> {
        match tokio::time::timeout(self.read_timeout, self.inner.chunk()).await {
            Err(_) => Err(ChatProviderError::Timeout("timed out".into())),
            Ok(Ok(c)) => Ok(c.map(|b| b.to_vec())),
            Ok(Err(e)) => {
                kagent_base::logging::warn(&format!("reading the response body failed: {e:?}"));
                Err(if e.is_timeout() {
                    ChatProviderError::Timeout("timed out".into())
                } else {
                    ChatProviderError::Connection(
                        "peer closed connection without sending complete message body (incomplete chunked read)".into(),
                    )
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_rules_follow_the_sdks() {
        let empty = HeaderMap::new();
        assert!(should_retry(429, &empty));
        assert!(should_retry(500, &empty));
        assert!(should_retry(408, &empty));
        assert!(!should_retry(401, &empty));
        assert!(!should_retry(400, &empty));
        let no = header_map([("x-should-retry", "false")]).unwrap();
        assert!(!should_retry(503, &no));
        let yes = header_map([("x-should-retry", "true")]).unwrap();
        assert!(should_retry(400, &yes));
    }

    #[test]
    fn retry_wait_honours_retry_after() {
        let ms = header_map([("retry-after-ms", "250")]).unwrap();
        assert_eq!(retry_wait_seconds(0, Some(&ms), 0.5), 0.25);
        let s = header_map([("retry-after", "2")]).unwrap();
        assert_eq!(retry_wait_seconds(1, Some(&s), 0.5), 2.0);
        let too_long = header_map([("retry-after", "120")]).unwrap();
        assert_eq!(retry_wait_seconds(0, Some(&too_long), 0.0), 0.5);
        assert_eq!(retry_wait_seconds(1, None, 0.0), 1.0);
        assert_eq!(retry_wait_seconds(10, None, 0.0), 8.0);
        assert!((retry_wait_seconds(0, None, 0.999) - 0.375).abs() < 0.001);
    }

    #[test]
    fn status_messages_like_the_sdks() {
        assert_eq!(
            status_error_message(401, r#"{"error": {"message": "bad key", "type": "auth"}}"#),
            "Error code: 401 - {'error': {'message': 'bad key', 'type': 'auth'}}"
        );
        assert_eq!(status_error_message(502, "Bad Gateway\n"), "Bad Gateway");
        assert_eq!(status_error_message(503, ""), "Error code: 503");
    }
}
