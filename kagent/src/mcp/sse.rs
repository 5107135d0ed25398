//! The SSE transport of MCP (protocol version 2024-11-05, which kimi-cli still reaches for a
//! server configured `"transport": "sse"` or whose URL path has a `/sse` segment). rmcp 3 has
//! no client for it any more, so it is here, on rmcp's [`Transport`] trait:
//!
//! 1. GET the server's URL as an event stream (`Accept: text/event-stream`);
//! 2. the first `endpoint` event names, relative to that URL, where messages go; it must be on
//!    the same origin (scheme, host and port), as the MCP SDK kimi-cli uses insists;
//! 3. every client message is POSTed there as JSON; every `message` event of the stream (an
//!    event without a type is one) is a message of the server.
//!
//! The HTTP client and the event decoding are [`super::http`]'s.

use std::collections::HashMap;
use std::sync::Arc;

use futures::stream::StreamExt;
use http::{HeaderName, HeaderValue};
use rmcp::model::{ClientJsonRpcMessage, ServerJsonRpcMessage};
use rmcp::service::RoleClient;
use rmcp::transport::streamable_http_client::StreamableHttpError;
use rmcp::transport::Transport;

use super::http::{event_stream, status_error, McpHttpClient, McpHttpError};

/// Why the SSE transport failed.
#[derive(Debug, thiserror::Error)]
pub enum SseTransportError {
    #[error(transparent)]
    Http(#[from] StreamableHttpError<McpHttpError>),
    #[error("{url}: the server answered {content_type:?}, not an event stream (text/event-stream); is this an SSE endpoint?")]
    NotAnEventStream {
        url: String,
        content_type: Option<String>,
    },
    #[error("{0}: the event stream ended before the server named its message endpoint")]
    NoEndpoint(String),
    #[error("{url}: invalid message endpoint {endpoint:?}: {detail}")]
    BadEndpoint {
        url: String,
        endpoint: String,
        detail: String,
    },
    #[error("Endpoint origin does not match connection origin: {0}")]
    ForeignEndpoint(String),
    #[error("cannot encode the message: {0}")]
    Encode(#[from] serde_json::Error),
}

/// A connected SSE transport.
pub struct SseClientTransport {
    http: McpHttpClient,
    /// Where messages are POSTed (from the `endpoint` event).
    endpoint: Arc<str>,
    auth: Option<String>,
    headers: Arc<HashMap<HeaderName, HeaderValue>>,
    incoming: tokio::sync::mpsc::Receiver<ServerJsonRpcMessage>,
    reader: tokio::task::JoinHandle<()>,
}

fn same_origin(a: &reqwest::Url, b: &reqwest::Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

impl SseClientTransport {
    /// Open the event stream of `url` and wait for the server's `endpoint` event.
    pub async fn connect(
        http: McpHttpClient,
        url: &str,
        auth: Option<String>,
        headers: HashMap<HeaderName, HeaderValue>,
    ) -> Result<SseClientTransport, SseTransportError> {
        let base = reqwest::Url::parse(url).map_err(|e| SseTransportError::BadEndpoint {
            url: url.to_string(),
            endpoint: url.to_string(),
            detail: e.to_string(),
        })?;
        let resp = http
            .request(
                reqwest::Method::GET,
                url,
                "text/event-stream",
                auth.as_deref(),
                &headers,
            )?
            .header("cache-control", "no-store")
            .send()
            .await
            .map_err(|e| StreamableHttpError::Client(McpHttpError::Request(e)))?;
        if !resp.status().is_success() {
            return Err(status_error(resp).await.into());
        }
        let content_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        if !content_type.as_deref().is_some_and(|t| {
            t.trim_start()
                .to_ascii_lowercase()
                .starts_with("text/event-stream")
        }) {
            return Err(SseTransportError::NotAnEventStream {
                url: url.to_string(),
                content_type,
            });
        }
        let mut events = event_stream(resp);
        let endpoint = loop {
            match events.next().await {
                None => return Err(SseTransportError::NoEndpoint(url.to_string())),
                Some(Err(e)) => return Err(StreamableHttpError::<McpHttpError>::Sse(e).into()),
                Some(Ok(ev)) if ev.event.as_deref() == Some("endpoint") => {
                    let data = ev.data.unwrap_or_default();
                    let joined =
                        base.join(data.trim())
                            .map_err(|e| SseTransportError::BadEndpoint {
                                url: url.to_string(),
                                endpoint: data.clone(),
                                detail: e.to_string(),
                            })?;
                    if !same_origin(&base, &joined) {
                        return Err(SseTransportError::ForeignEndpoint(joined.to_string()));
                    }
                    break joined;
                }
                Some(Ok(ev)) => kagent_base::logging::warn(&format!(
                    "MCP SSE server {url}: event {:?} before the endpoint event ignored",
                    ev.event
                )),
            }
        };
        let (tx, incoming) = tokio::sync::mpsc::channel(64);
        let source = url.to_string();
        let reader = tokio::spawn(async move {
            while let Some(ev) = events.next().await {
                let ev = match ev {
                    Ok(ev) => ev,
                    Err(e) => {
                        kagent_base::logging::warn(&format!(
                            "MCP SSE server {source}: the event stream failed: {e}"
                        ));
                        break;
                    }
                };
                if !matches!(ev.event.as_deref(), None | Some("message")) {
                    continue;
                }
                let data = ev.data.unwrap_or_default();
                match serde_json::from_str::<ServerJsonRpcMessage>(&data) {
                    Ok(msg) => {
                        if tx.send(msg).await.is_err() {
                            break;
                        }
                    }
                    Err(e) => kagent_base::logging::warn(&format!(
                        "MCP SSE server {source}: a message that is not JSON-RPC ignored ({e}): {data}"
                    )),
                }
            }
        });
        Ok(SseClientTransport {
            http,
            endpoint: endpoint.as_str().into(),
            auth,
            headers: Arc::new(headers),
            incoming,
            reader,
        })
    }
}

impl Transport<RoleClient> for SseClientTransport {
    type Error = SseTransportError;

    fn send(
        &mut self,
        item: ClientJsonRpcMessage,
    ) -> impl std::future::Future<Output = Result<(), Self::Error>> + Send + 'static {
        let (http, endpoint, auth, headers) = (
            self.http.clone(),
            self.endpoint.clone(),
            self.auth.clone(),
            self.headers.clone(),
        );
        async move {
            let body = serde_json::to_vec(&item)?;
            let resp = http
                .request(
                    reqwest::Method::POST,
                    &endpoint,
                    "application/json, text/event-stream",
                    auth.as_deref(),
                    &headers,
                )?
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .map_err(|e| StreamableHttpError::Client(McpHttpError::Request(e)))?;
            if !resp.status().is_success() {
                return Err(status_error(resp).await.into());
            }
            Ok(())
        }
    }

    fn receive(
        &mut self,
    ) -> impl std::future::Future<Output = Option<ServerJsonRpcMessage>> + Send {
        self.incoming.recv()
    }

    async fn close(&mut self) -> Result<(), Self::Error> {
        self.reader.abort();
        self.incoming.close();
        Ok(())
    }
}

impl Drop for SseClientTransport {
    fn drop(&mut self) {
        self.reader.abort();
    }
}
