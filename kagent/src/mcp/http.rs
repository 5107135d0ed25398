//! The HTTP side of remote MCP servers, on kagent's own HTTP stack (reqwest 0.12 over rustls
//! with the webpki roots, the client the LLM providers use) instead of rmcp's reqwest 0.13
//! client: that one always brings rustls-platform-verifier, which links macOS's Security
//! framework, so the macOS build could not be cross-linked with it. Here the same stack runs
//! on every target of the platform matrix.
//!
//! [`McpHttpClient`] implements rmcp's [`StreamableHttpClient`] (the streamable HTTP
//! transport: JSON-RPC messages POSTed, answers as JSON or as an event stream, a GET stream for
//! the server's own messages, DELETE to end the session). Event streams are decoded by kagent's
//! SSE decoder ([`crate::llm::sse`]); [`super::sse`] reuses the client for the older SSE
//! transport.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use futures::stream::{BoxStream, StreamExt};
use http::{HeaderName, HeaderValue, StatusCode};
use rmcp::model::{ClientJsonRpcMessage, ServerJsonRpcMessage};
use rmcp::transport::streamable_http_client::{
    AuthRequiredError, HttpStatusError, InsufficientScopeError, SseError, StreamableHttpClient,
    StreamableHttpError, StreamableHttpPostResponse,
};
use sse_stream::Sse;

use crate::llm::sse::{SseDecoder, SseEvent};

const EVENT_STREAM: &str = "text/event-stream";
const JSON: &str = "application/json";
const SESSION_ID: &str = "mcp-session-id";
const LAST_EVENT_ID: &str = "last-event-id";
/// Headers the transport sets itself; a configured header may not replace them.
const RESERVED: &[&str] = &["accept", SESSION_ID, LAST_EVENT_ID];
/// How much of an error body is kept for the message.
const ERROR_BODY_PREVIEW: usize = 512;

/// What the HTTP layer itself reports (the rest is rmcp's [`StreamableHttpError`]).
#[derive(Debug, thiserror::Error)]
pub enum McpHttpError {
    #[error("{0}")]
    Request(#[from] reqwest::Error),
    /// An answer that is not a success (and not one rmcp's error kinds name).
    #[error("HTTP {status} from {url}{detail}")]
    Status {
        status: StatusCode,
        url: String,
        /// ": <start of the body>" or empty.
        detail: String,
    },
    #[error("invalid header {name:?}: {detail}")]
    Header { name: String, detail: String },
}

type Error = StreamableHttpError<McpHttpError>;

/// The HTTP client of remote MCP servers (cheap to clone).
#[derive(Clone)]
pub struct McpHttpClient {
    client: reqwest::Client,
}

impl McpHttpClient {
    pub fn new() -> Result<McpHttpClient, McpHttpError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .connect_timeout(crate::llm::http::CONNECT_TIMEOUT)
            .build()?;
        Ok(McpHttpClient { client })
    }

    /// A request with the configured headers and the bearer token (a configured header may
    /// not be one the transport sets itself).
    pub(crate) fn request(
        &self,
        method: reqwest::Method,
        uri: &str,
        accept: &str,
        auth: Option<&str>,
        custom: &HashMap<HeaderName, HeaderValue>,
    ) -> Result<reqwest::RequestBuilder, Error> {
        let mut req = self.client.request(method, uri).header("accept", accept);
        if let Some(token) = auth {
            req = req.bearer_auth(token);
        }
        for (name, value) in custom {
            if RESERVED
                .iter()
                .any(|r| name.as_str().eq_ignore_ascii_case(r))
            {
                return Err(StreamableHttpError::ReservedHeaderConflict(
                    name.to_string(),
                ));
            }
            req = req.header(name, value);
        }
        Ok(req)
    }
}

fn send_error(e: reqwest::Error) -> Error {
    StreamableHttpError::Client(McpHttpError::Request(e))
}

fn content_type(resp: &reqwest::Response) -> Option<String> {
    resp.headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
}

/// `scope="a b"` or `scope=a` of a `WWW-Authenticate` challenge.
fn challenge_scope(header: &str) -> Option<String> {
    let at = header.to_ascii_lowercase().find("scope=")? + "scope=".len();
    let rest = &header[at..];
    let scope = match rest.strip_prefix('"') {
        Some(quoted) => &quoted[..quoted.find('"')?],
        None => rest
            .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
            .next()
            .unwrap_or(""),
    };
    (!scope.is_empty()).then(|| scope.to_string())
}

/// The errors every answer is checked for first: 401/403 with a challenge (the server wants
/// (other) authorization) and 429/5xx (rmcp's status metadata).
fn challenge_or_status(resp: &reqwest::Response) -> Option<Error> {
    let status = resp.status();
    let challenge = resp
        .headers()
        .get(reqwest::header::WWW_AUTHENTICATE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    match (status, challenge) {
        (StatusCode::UNAUTHORIZED, Some(h)) => {
            Some(StreamableHttpError::AuthRequired(AuthRequiredError::new(h)))
        }
        (StatusCode::FORBIDDEN, Some(h)) => {
            let scope = challenge_scope(&h);
            Some(StreamableHttpError::InsufficientScope(
                InsufficientScopeError::new(h, scope),
            ))
        }
        (s, _) if s == StatusCode::TOO_MANY_REQUESTS || s.is_server_error() => {
            let retry_after = resp
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            Some(HttpStatusError::new(s.as_u16(), retry_after).into())
        }
        _ => None,
    }
}

/// A failed answer as an error naming the status and the start of the body.
pub(crate) async fn status_error(resp: reqwest::Response) -> Error {
    let (status, url) = (resp.status(), resp.url().to_string());
    let body = resp.text().await.unwrap_or_default();
    status_error_of(status, url, &body)
}

fn status_error_of(status: StatusCode, url: String, body: &str) -> Error {
    let body = body.trim();
    let detail = if body.is_empty() {
        String::new()
    } else {
        let cut = (0..=body.len().min(ERROR_BODY_PREVIEW))
            .rev()
            .find(|i| body.is_char_boundary(*i))
            .unwrap_or(0);
        format!(": {}", &body[..cut])
    };
    StreamableHttpError::Client(McpHttpError::Status {
        status,
        url,
        detail,
    })
}

/// The body of `resp` as a stream of events, decoded by kagent's SSE decoder.
pub(crate) fn event_stream(resp: reqwest::Response) -> BoxStream<'static, Result<Sse, SseError>> {
    struct State {
        resp: reqwest::Response,
        decoder: SseDecoder,
        queue: VecDeque<SseEvent>,
        ended: bool,
    }
    let state = State {
        resp,
        decoder: SseDecoder::new(),
        queue: VecDeque::new(),
        ended: false,
    };
    futures::stream::unfold(state, |mut st| async move {
        loop {
            if let Some(ev) = st.queue.pop_front() {
                let sse = Sse {
                    event: ev.event,
                    data: Some(ev.data),
                    id: ev.id,
                    retry: ev.retry,
                };
                return Some((Ok(sse), st));
            }
            if st.ended {
                return None;
            }
            match st.resp.chunk().await {
                Ok(Some(bytes)) => st.queue.extend(st.decoder.feed(&bytes)),
                Ok(None) => {
                    st.queue.extend(st.decoder.finish());
                    st.ended = true;
                }
                Err(e) => {
                    st.ended = true;
                    return Some((Err(SseError::Body(Box::new(e))), st));
                }
            }
        }
    })
    .boxed()
}

impl StreamableHttpClient for McpHttpClient {
    type Error = McpHttpError;

    async fn post_message(
        &self,
        uri: Arc<str>,
        message: ClientJsonRpcMessage,
        session_id: Option<Arc<str>>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<StreamableHttpPostResponse, Error> {
        let body = serde_json::to_vec(&message)?;
        let mut req = self
            .request(
                reqwest::Method::POST,
                &uri,
                "application/json, text/event-stream",
                auth_header.as_deref(),
                &custom_headers,
            )?
            .header("content-type", JSON);
        if let Some(id) = &session_id {
            req = req.header(SESSION_ID, id.as_ref());
        }
        let resp = req.body(body).send().await.map_err(send_error)?;
        let status = resp.status();
        let kind = content_type(&resp);
        // a server error with a JSON body may be a JSON-RPC error: read below
        if !(status.is_server_error() && kind.as_deref() == Some(JSON)) {
            if let Some(e) = challenge_or_status(&resp) {
                return Err(e);
            }
        }
        if matches!(status, StatusCode::ACCEPTED | StatusCode::NO_CONTENT) {
            return Ok(StreamableHttpPostResponse::Accepted);
        }
        if status == StatusCode::NOT_FOUND && session_id.is_some() {
            return Err(StreamableHttpError::SessionExpired);
        }
        let new_session = resp
            .headers()
            .get(SESSION_ID)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        if !status.is_success() {
            let url = resp.url().to_string();
            let text = resp.text().await.unwrap_or_default();
            // a JSON-RPC error sent with a failure status is still the server's answer
            if let Ok(msg @ rmcp::model::JsonRpcMessage::Error(_)) =
                serde_json::from_str::<ServerJsonRpcMessage>(&text)
            {
                return Ok(StreamableHttpPostResponse::Json(msg, new_session));
            }
            return Err(status_error_of(status, url, &text));
        }
        let expects_answer = matches!(message, ClientJsonRpcMessage::Request(_));
        match kind.as_deref() {
            Some(EVENT_STREAM) => Ok(StreamableHttpPostResponse::Sse(
                event_stream(resp),
                new_session,
            )),
            Some(JSON) => {
                let bytes = resp.bytes().await.map_err(send_error)?;
                if bytes.is_empty() && !expects_answer {
                    return Ok(StreamableHttpPostResponse::Accepted);
                }
                let msg: ServerJsonRpcMessage = serde_json::from_slice(&bytes)?;
                Ok(StreamableHttpPostResponse::Json(msg, new_session))
            }
            _ if !expects_answer => Ok(StreamableHttpPostResponse::Accepted),
            other => Err(StreamableHttpError::UnexpectedContentType(
                other.map(str::to_string),
            )),
        }
    }

    async fn delete_session(
        &self,
        uri: Arc<str>,
        session_id: Arc<str>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<(), Error> {
        let resp = self
            .request(
                reqwest::Method::DELETE,
                &uri,
                "application/json, text/event-stream",
                auth_header.as_deref(),
                &custom_headers,
            )?
            .header(SESSION_ID, session_id.as_ref())
            .send()
            .await
            .map_err(send_error)?;
        // a server that keeps no sessions may refuse the DELETE
        if resp.status().is_success() || resp.status() == StatusCode::METHOD_NOT_ALLOWED {
            return Ok(());
        }
        Err(status_error(resp).await)
    }

    async fn get_stream(
        &self,
        uri: Arc<str>,
        session_id: Option<Arc<str>>,
        last_event_id: Option<String>,
        auth_header: Option<String>,
        custom_headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<BoxStream<'static, Result<Sse, SseError>>, Error> {
        let mut req = self.request(
            reqwest::Method::GET,
            &uri,
            "text/event-stream, application/json",
            auth_header.as_deref(),
            &custom_headers,
        )?;
        if let Some(id) = &session_id {
            req = req.header(SESSION_ID, id.as_ref());
        }
        if let Some(id) = last_event_id {
            req = req.header(LAST_EVENT_ID, id);
        }
        let resp = req.send().await.map_err(send_error)?;
        if resp.status() == StatusCode::METHOD_NOT_ALLOWED {
            return Err(StreamableHttpError::ServerDoesNotSupportSse);
        }
        if let Some(e) = challenge_or_status(&resp) {
            return Err(e);
        }
        if !resp.status().is_success() {
            return Err(status_error(resp).await);
        }
        match content_type(&resp).as_deref() {
            Some(EVENT_STREAM | JSON) => Ok(event_stream(resp)),
            other => Err(StreamableHttpError::UnexpectedContentType(
                other.map(str::to_string),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_of_challenges() {
        assert_eq!(
            challenge_scope(r#"Bearer error="insufficient_scope", scope="a b""#).as_deref(),
            Some("a b")
        );
        assert_eq!(
            challenge_scope("Bearer scope=read:x, x=y").as_deref(),
            Some("read:x")
        );
        assert_eq!(challenge_scope("Bearer realm=\"r\""), None);
    }
}
