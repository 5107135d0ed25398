//! HTTP providers against a scripted loopback server (127.0.0.1 only): streams cut into
//! tiny TCP writes, transport retries, status errors, refused connections.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

use kagent::config::{LlmModel, LlmProvider};
use kagent::llm::{
    create_provider_with, ChatProvider, ChatProviderError, ProviderOptions, StreamedPart,
};
use kagent::soul::message::{ContentPart, Message, Role};

/// One scripted answer: raw status line + headers, then body pieces written one by one.
struct Answer {
    head: String,
    pieces: Vec<Vec<u8>>,
}

struct Seen {
    headers: Vec<String>,
    body: serde_json::Value,
}

/// Serves `answers` in order, one connection each (`Connection: close`).
fn serve(answers: Vec<Answer>) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(vec![]));
    let log = seen.clone();
    thread::spawn(move || {
        for answer in answers {
            let Ok((stream, _)) = listener.accept() else {
                return;
            };
            handle(stream, answer, &log);
        }
    });
    (format!("http://{addr}"), seen)
}

fn handle(mut stream: TcpStream, answer: Answer, log: &Mutex<Vec<Seen>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut headers = vec![];
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        let line = line.trim_end().to_string();
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap();
        }
        headers.push(line.to_ascii_lowercase());
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).unwrap();
    log.lock().unwrap().push(Seen {
        headers,
        body: serde_json::from_slice(&body).unwrap(),
    });
    stream.write_all(answer.head.as_bytes()).unwrap();
    for p in answer.pieces {
        stream.write_all(&p).unwrap();
        stream.flush().unwrap();
        thread::sleep(std::time::Duration::from_millis(1));
    }
}

fn sse_answer(events: &[&str]) -> Answer {
    let text: String = events.iter().map(|e| format!("data: {e}\n\n")).collect();
    // cut the stream into 7-byte writes so events and UTF-8 straddle TCP packets
    let bytes = text.as_bytes();
    let pieces = bytes.chunks(7).map(<[u8]>::to_vec).collect();
    Answer {
        head: "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n"
            .into(),
        pieces,
    }
}

fn error_answer(status: &str, extra: &str, body: &str) -> Answer {
    Answer {
        head: format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n{extra}\r\n",
            body.len()
        ),
        pieces: vec![body.as_bytes().to_vec()],
    }
}

fn provider(kind: &str, base_url: &str) -> Box<dyn ChatProvider> {
    let p = LlmProvider {
        kind: kind.into(),
        base_url: base_url.into(),
        api_key: "sk-test".into(),
        ..LlmProvider::default()
    };
    let m = LlmModel {
        provider: "p".into(),
        model: "m".into(),
        max_context_size: 100_000,
        capabilities: vec![],
    };
    create_provider_with(&p, &m, &ProviderOptions::default()).unwrap()
}

async fn collect(
    p: &dyn ChatProvider,
) -> Result<
    (
        Vec<StreamedPart>,
        Option<String>,
        Option<kagent::soul::message::TokenUsage>,
    ),
    ChatProviderError,
> {
    let history = [Message::new(Role::User, vec![ContentPart::text("hi")])];
    let mut stream = p.generate("sys", &[], &history).await?;
    let mut parts = vec![];
    while let Some(part) = stream.next_part().await {
        parts.push(part?);
    }
    Ok((parts, stream.id(), stream.usage()))
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn kimi_stream_split_into_tiny_writes_after_a_transport_retry() {
    let events = [
        r#"{"id":"c1","choices":[{"index":0,"delta":{"role":"assistant","reasoning_content":"Dénk "}}]}"#,
        r#"{"id":"c1","choices":[{"index":0,"delta":{"content":"héllo"}}]}"#,
        r#"{"id":"c1","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"t1","type":"function","function":{"name":"f","arguments":"{\"a\""}}]}}]}"#,
        r#"{"id":"c1","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":":1}"}}]}}]}"#,
        r#"{"id":"c1","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls","usage":{"prompt_tokens":30,"completion_tokens":5,"total_tokens":35,"cached_tokens":10}}]}"#,
        "[DONE]",
    ];
    let (url, seen) = serve(vec![
        error_answer(
            "503 Service Unavailable",
            "retry-after-ms: 5\r\n",
            r#"{"error":"busy"}"#,
        ),
        sse_answer(&events),
    ]);
    let p = provider("kimi", &format!("{url}/v1"));
    let (parts, id, usage) = rt().block_on(collect(p.as_ref())).unwrap();
    let think = |t: &str| {
        StreamedPart::Content(ContentPart::Think {
            think: t.into(),
            encrypted: None,
        })
    };
    assert_eq!(parts[0], think("Dénk "));
    assert_eq!(parts[1], StreamedPart::Content(ContentPart::text("héllo")));
    match (&parts[2], &parts[3]) {
        (StreamedPart::ToolCall(c), StreamedPart::ToolCallPart(tp)) => {
            assert_eq!((c.id.as_str(), c.name.as_str()), ("t1", "f"));
            assert_eq!(c.arguments.as_deref(), Some("{\"a\""));
            assert_eq!(tp.arguments_part.as_deref(), Some(":1}"));
        }
        other => panic!("unexpected parts {other:?}"),
    }
    assert_eq!(parts.len(), 4);
    assert_eq!(id.as_deref(), Some("c1"));
    let u = usage.unwrap();
    assert_eq!((u.input_other, u.input_cache_read, u.output), (20, 10, 5));
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2, "one transport retry");
    assert!(seen[1]
        .headers
        .iter()
        .any(|h| h == "x-stainless-retry-count: 1"));
    assert!(seen[0]
        .headers
        .iter()
        .any(|h| h == "authorization: bearer sk-test"));
    assert_eq!(
        seen[0].body["messages"][0],
        serde_json::json!({"role": "system", "content": "sys"})
    );
    assert_eq!(
        seen[0].body["thinking"],
        serde_json::json!({"type": "disabled"})
    );
}

#[test]
fn client_errors_are_not_retried_and_keep_the_providers_message() {
    let (url, seen) = serve(vec![error_answer(
        "400 Bad Request",
        "",
        r#"{"error":{"message":"bad model","type":"invalid_request_error"}}"#,
    )]);
    let p = provider("openai_legacy", &format!("{url}/v1"));
    let err = rt().block_on(collect(p.as_ref())).unwrap_err();
    assert_eq!(
        err,
        ChatProviderError::Status {
            status_code: 400,
            message: "Error code: 400 - {'error': {'message': 'bad model', 'type': 'invalid_request_error'}}".into()
        }
    );
    assert!(!err.is_retryable());
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[test]
fn refused_connection_is_a_retryable_connection_error() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let p = provider("anthropic", &format!("http://127.0.0.1:{port}"));
    let err = rt().block_on(collect(p.as_ref())).unwrap_err();
    assert_eq!(
        err,
        ChatProviderError::Connection("Connection error.".into())
    );
    assert!(err.is_retryable());
}

#[test]
fn anthropic_thinking_signature_and_usage() {
    let events = [
        r#"{"type":"message_start","message":{"id":"msg_1","usage":{"input_tokens":11,"output_tokens":1,"cache_read_input_tokens":3,"cache_creation_input_tokens":2}}}"#,
        r#"{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}"#,
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"hmm"}}"#,
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"SIG"}}"#,
        r#"{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"tu1","name":"f","input":{}}}"#,
        r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{}"}}"#,
        r#"{"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":9}}"#,
        r#"{"type":"message_stop"}"#,
    ];
    let (url, seen) = serve(vec![sse_answer(&events)]);
    let p = provider("anthropic", &url);
    let (parts, id, usage) = rt().block_on(collect(p.as_ref())).unwrap();
    let think = |t: &str, e: Option<&str>| {
        StreamedPart::Content(ContentPart::Think {
            think: t.into(),
            encrypted: e.map(str::to_owned),
        })
    };
    assert_eq!(
        parts[..3],
        [think("", None), think("hmm", None), think("", Some("SIG"))]
    );
    assert!(
        matches!(&parts[3], StreamedPart::ToolCall(c) if c.id == "tu1" && c.arguments.as_deref() == Some(""))
    );
    assert_eq!(parts.len(), 5);
    assert_eq!(id.as_deref(), Some("msg_1"));
    let u = usage.unwrap();
    assert_eq!(
        (
            u.input_other,
            u.output,
            u.input_cache_read,
            u.input_cache_creation
        ),
        (11, 9, 3, 2)
    );
    let seen = seen.lock().unwrap();
    assert!(seen[0].headers.iter().any(|h| h == "x-api-key: sk-test"));
    assert!(seen[0]
        .headers
        .iter()
        .any(|h| h == "anthropic-version: 2023-06-01"));
    assert_eq!(seen[0].body["max_tokens"], 50000);
}
