//! `FetchURL`: fetch a page. With `[services.moonshot_fetch]` the service is asked first
//! (POST `{"url": ...}`, markdown back); when it fails, or without it, an HTTP GET of the URL
//! (kimi-cli's browser user agent, aiohttp's redirect limit and timeouts), the body decoded
//! with the response's charset (UTF-8 by default, strictly: a body that is not UTF-8 fails
//! the call as Python's `UnicodeDecodeError` does), plain text and markdown returned whole,
//! HTML reduced to its main text by [`super::extract`]. Results, errors and their wording are
//! kimi-cli 1.51's.

use serde_json::{json, Value};

use super::{failure, http_url, service_request, Failure, ServiceAuth, Timeouts};
use crate::config::WebService;
use crate::tools::args::{self, Field, Get, STR};
use crate::tools::util::{msg, ResultBuilder};
use crate::tools::{Tool, ToolContext, ToolReturnValue};
use kagent_base::BoxFuture;

pub const NAME: &str = "FetchURL";

const FIELDS: &[Field] = &[Field::required("url", STR)];

/// kimi-cli's own timeouts for a page fetch (large or slow sites).
pub const FETCH_TIMEOUTS: Timeouts = Timeouts {
    total: std::time::Duration::from_secs(180),
    connect: std::time::Duration::from_secs(15),
    read: std::time::Duration::from_secs(60),
};

/// The browser `User-Agent` the page fetch sends (sites answer browsers): kimi-cli's, from
/// the profile (`fetch.user_agent`).
fn browser_user_agent() -> &'static str {
    crate::config::profile::active().message("fetch.user_agent")
}

const MAX_CHARS: usize = 50_000;

pub struct FetchUrl {
    service: Option<WebService>,
    auth: ServiceAuth,
    timeouts: Timeouts,
}

impl FetchUrl {
    pub fn new(service: Option<WebService>, auth: ServiceAuth) -> Self {
        FetchUrl {
            service,
            auth,
            timeouts: FETCH_TIMEOUTS,
        }
    }

    /// With other timeouts (tests of the timeout path).
    pub fn with_timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }
}

impl Tool for FetchUrl {
    fn name(&self) -> &str {
        NAME
    }

    fn description(&self) -> &str {
        "Fetch a web page over HTTP(S) and return its main text: HTML is reduced to the article \
         or main content without site navigation, plain text and markdown come back whole."
    }

    fn parameters(&self) -> Value {
        json!({
            "properties": {"url": {"description": "The http(s) URL of the page.", "type": "string"}},
            "required": ["url"],
            "type": "object"
        })
    }

    fn call(&self, arguments: Value, ctx: ToolContext) -> BoxFuture<'static, ToolReturnValue> {
        let service = self.service.clone();
        let auth = self.auth.clone();
        let timeouts = self.timeouts;
        Box::pin(async move {
            let url = match args::validate(&arguments, FIELDS) {
                Ok(m) => m.str_of("url"),
                Err(e) => return args::validate_error(&e),
            };
            if let Some(service) = &service {
                let ret = with_service(&url, service, &auth, &ctx.tool_call_id).await;
                if !ret.is_error {
                    return ret;
                }
                kagent_base::logging::warn(&msg(
                    "fetch.service_failed.log",
                    &[("{error}", &ret.message)],
                ));
            }
            http_get(&url, timeouts).await
        })
    }
}

fn network_error(e: &str) -> ToolReturnValue {
    ResultBuilder::new(MAX_CHARS, None).error(
        &msg("fetch.network_error", &[("{error}", e)]),
        "Network error",
    )
}

fn timed_out() -> ToolReturnValue {
    ResultBuilder::new(MAX_CHARS, None).error(&msg("fetch.timeout", &[]), "Request timed out")
}

/// kosong's `ToolRuntimeError`: what a tool that raised answers.
fn runtime_error(e: &str) -> ToolReturnValue {
    ToolReturnValue::error(format!("Error running tool: {e}"), "Tool runtime error")
}

/// The GET path of kimi-cli's FetchURL.
pub async fn http_get(url: &str, timeouts: Timeouts) -> ToolReturnValue {
    let mut builder = ResultBuilder::new(MAX_CHARS, None);
    let parsed = match http_url(url) {
        Ok(u) => u,
        Err(shown) => return network_error(&shown),
    };
    let client = match super::client(timeouts) {
        Ok(c) => c,
        Err(e) => return runtime_error(&e),
    };
    let response = match client
        .get(parsed.clone())
        .header("User-Agent", browser_user_agent())
        .send()
        .await
    {
        Ok(r) => r,
        Err(e) => return request_failed(&e, &parsed),
    };
    let status = response.status().as_u16();
    if status >= 400 {
        let status = status.to_string();
        kagent_base::logging::warn(&msg(
            "fetch.http_error.log",
            &[("{status}", &status), ("{url}", url)],
        ));
        return builder.error(
            &msg("fetch.http_error", &[("{status}", &status)]),
            &format!("HTTP {status} error"),
        );
    }
    let content_type = super::content_type(&response);
    let body = match response.bytes().await {
        Ok(b) => b,
        Err(e) => return request_failed(&e, &parsed),
    };
    let text = match decode(&body, &content_type) {
        Ok(t) => t,
        Err(e) => return runtime_error(&e),
    };
    if content_type.starts_with("text/plain") || content_type.starts_with("text/markdown") {
        builder.write(&text);
        return builder.ok(&msg("fetch.full_page", &[]), "");
    }
    if text.is_empty() {
        return builder.ok(&msg("fetch.empty_body", &[]), "Empty response body");
    }
    match super::extract::extract(&text) {
        None => builder.error(
            &msg("fetch.no_content", &[]),
            &msg("fetch.no_content.brief", &[]),
        ),
        Some(extracted) => {
            builder.write(&extracted);
            builder.ok(&msg("fetch.extracted", &[]), "")
        }
    }
}

fn request_failed(e: &reqwest::Error, url: &reqwest::Url) -> ToolReturnValue {
    match failure(e, url) {
        Failure::Timeout => {
            kagent_base::logging::warn(&msg("fetch.timeout.log", &[("{url}", url.as_str())]));
            timed_out()
        }
        Failure::Client(e) => {
            kagent_base::logging::warn(&msg(
                "fetch.network_error.log",
                &[("{error}", &e), ("{url}", url.as_str())],
            ));
            network_error(&e)
        }
    }
}

/// The `charset` parameter of a Content-Type value.
fn charset(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        (k.trim() == "charset").then(|| v.trim().trim_matches('"').to_ascii_lowercase())
    })
}

/// aiohttp's `response.text()`: the charset of the Content-Type (UTF-8 when there is none),
/// strict decoding. `Err` is the `str()` of Python's `UnicodeDecodeError`.
pub fn decode(body: &[u8], content_type: &str) -> Result<String, String> {
    let label = charset(content_type).unwrap_or_else(|| "utf-8".into());
    let label = label.replace('_', "-");
    match label.as_str() {
        "utf-8" | "utf8" | "u8" | "utf" => decode_utf8(body),
        "iso-8859-1" | "latin-1" | "latin1" | "l1" | "iso8859-1" | "8859" | "cp819"
        | "iso-ir-100" => Ok(body.iter().map(|&b| char::from(b)).collect()),
        "ascii" | "us-ascii" | "646" => match body.iter().position(|b| !b.is_ascii()) {
            None => Ok(body.iter().map(|&b| char::from(b)).collect()),
            Some(i) => Err(format!(
                "'ascii' codec can't decode byte 0x{:02x} in position {i}: ordinal not in range(128)",
                body[i]
            )),
        },
        other => match encoding_rs::Encoding::for_label(other.as_bytes()) {
            // other codecs: decoded as the web does (malformed bytes replaced)
            Some(enc) => Ok(enc.decode_without_bom_handling(body).0.into_owned()),
            // an unknown charset: aiohttp falls back to UTF-8
            None => decode_utf8(body),
        },
    }
}

fn decode_utf8(body: &[u8]) -> Result<String, String> {
    match std::str::from_utf8(body) {
        Ok(s) => Ok(s.to_string()),
        Err(e) => {
            let start = e.valid_up_to();
            let first = body.get(start).copied().unwrap_or_default();
            let (end, reason) = match e.error_len() {
                None => (body.len(), "unexpected end of data"),
                Some(1) if (0xc2..=0xf4).contains(&first) => {
                    (start + 1, "invalid continuation byte")
                }
                Some(1) => (start + 1, "invalid start byte"),
                Some(n) => (start + n, "invalid continuation byte"),
            };
            Err(if end - start > 1 {
                format!(
                    "'utf-8' codec can't decode bytes in position {start}-{}: {reason}",
                    end - 1
                )
            } else {
                format!(
                    "'utf-8' codec can't decode byte 0x{first:02x} in position {start}: {reason}"
                )
            })
        }
    }
}

/// The service path of kimi-cli's FetchURL.
async fn with_service(
    url: &str,
    service: &WebService,
    auth: &ServiceAuth,
    tool_call_id: &str,
) -> ToolReturnValue {
    let mut builder = ResultBuilder::new(MAX_CHARS, None);
    let api_key = auth.api_key(service);
    if api_key.is_empty() {
        return builder.error(
            &msg("fetch.service.unconfigured", &[]),
            &msg("fetch.service.unconfigured.brief", &[]),
        );
    }
    let network = |e: &str| {
        ResultBuilder::new(MAX_CHARS, None).error(
            &msg("fetch.service.network_error", &[("{error}", e)]),
            &msg("fetch.service.network_error.brief", &[]),
        )
    };
    let endpoint = match http_url(&service.base_url) {
        Ok(u) => u,
        Err(shown) => return network(&shown),
    };
    let client = match super::client(super::DEFAULT_TIMEOUTS) {
        Ok(c) => c,
        Err(e) => return runtime_error(&e),
    };
    let call_headers = vec![
        ("Authorization".to_string(), format!("Bearer {api_key}")),
        ("Accept".to_string(), "text/markdown".to_string()),
        ("X-Msh-Tool-Call-Id".to_string(), tool_call_id.to_string()),
    ];
    let request = service_request(
        &client,
        &endpoint,
        call_headers,
        auth,
        service,
        &json!({"url": url}),
    );
    let failed = |e: &reqwest::Error| match failure(e, &endpoint) {
        Failure::Timeout => ResultBuilder::new(MAX_CHARS, None).error(
            &msg("fetch.service.timeout", &[]),
            &msg("fetch.service.timeout.brief", &[]),
        ),
        Failure::Client(msg) => network(&msg),
    };
    let response = match request.send().await {
        Ok(r) => r,
        Err(e) => return failed(&e),
    };
    let status = response.status().as_u16();
    if status != 200 {
        let status = status.to_string();
        kagent_base::logging::warn(&msg(
            "fetch.service.http_error.log",
            &[("{status}", &status), ("{url}", url)],
        ));
        return builder.error(
            &msg("fetch.service.http_error", &[("{status}", &status)]),
            &msg("fetch.service.http_error.brief", &[]),
        );
    }
    let content_type = super::content_type(&response);
    let body = match response.bytes().await {
        Ok(b) => b,
        Err(e) => return failed(&e),
    };
    let content = match decode(&body, &content_type) {
        Ok(t) => t,
        Err(e) => return runtime_error(&e),
    };
    builder.write(&content);
    builder.ok(&msg("fetch.service.extracted", &[]), "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_decode_as_python_does() {
        assert_eq!(
            decode(b"caf\xe9", "text/html; charset=ISO-8859-1").unwrap(),
            "caf\u{e9}"
        );
        assert_eq!(
            decode(b"\x89PNG", "image/png").unwrap_err(),
            "'utf-8' codec can't decode byte 0x89 in position 0: invalid start byte"
        );
        assert_eq!(
            decode(b"ab\xe4\x41", "text/html").unwrap_err(),
            "'utf-8' codec can't decode byte 0xe4 in position 2: invalid continuation byte"
        );
        assert_eq!(
            decode(b"a\xf0\x90\x80", "").unwrap_err(),
            "'utf-8' codec can't decode bytes in position 1-3: unexpected end of data"
        );
        assert_eq!(
            decode(b"\xed\xa0\x80", "").unwrap_err(),
            "'utf-8' codec can't decode byte 0xed in position 0: invalid continuation byte"
        );
    }

    #[tokio::test]
    async fn a_server_that_never_answers_times_out() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let hold = tokio::spawn(async move {
            let (socket, _) = listener.accept().await.unwrap();
            tokio::time::sleep(std::time::Duration::from_secs(30)).await;
            drop(socket);
        });
        let short = Timeouts {
            total: std::time::Duration::from_secs(30),
            connect: std::time::Duration::from_secs(5),
            read: std::time::Duration::from_millis(300),
        };
        let ret = http_get(&format!("http://{addr}/slow"), short).await;
        hold.abort();
        assert!(ret.is_error);
        assert_eq!(ret.message, msg("fetch.timeout", &[]));
    }
}
