//! `SearchWeb`: the Moonshot search service (`[services.moonshot_search]`; without it the
//! tool does not exist, as in kimi-cli). POST `{"text_query", "limit",
//! "enable_page_crawling", "timeout_seconds": 30}`; each result of `search_results` becomes a
//! `Title/Date/URL/Summary` block (and the page content when asked for), as kimi-cli 1.51
//! writes it; errors worded as kimi-cli's.

use serde_json::{json, Value};

use super::{failure, http_url, service_request, Failure, ServiceAuth, Timeouts};
use crate::config::WebService;
use crate::tools::args::{self, Field, Get, Kind, STR};
use crate::tools::util::{msg, ResultBuilder};
use crate::tools::{Tool, ToolContext, ToolReturnValue};
use kagent_base::BoxFuture;

pub const NAME: &str = "SearchWeb";

fn five() -> Value {
    json!(5)
}

const FIELDS: &[Field] = &[
    Field::required("query", STR),
    Field::optional(
        "limit",
        Kind::Int {
            ge: Some(1),
            le: Some(20),
        },
        five,
    ),
    Field::optional("include_content", Kind::Bool, args::false_),
];

/// One result as the service sends it (kimi-cli's `SearchResult`).
const RESULT_FIELDS: &[Field] = &[
    Field::required("site_name", STR),
    Field::required("title", STR),
    Field::required("url", STR),
    Field::required("snippet", STR),
    Field::optional("content", STR, args::empty_str),
    Field::optional("date", STR, args::empty_str),
    Field::optional("icon", STR, args::empty_str),
    Field::optional("mime", STR, args::empty_str),
];

const RESPONSE_FIELDS: &[Field] = &[Field::required(
    "search_results",
    Kind::ListOf {
        model: "SearchResult",
        fields: RESULT_FIELDS,
        min: None,
        max: None,
    },
)];

/// kimi-cli's timeouts for a search (page crawling can take longer than the service's 30 s).
pub const SEARCH_TIMEOUTS: Timeouts = Timeouts {
    total: std::time::Duration::from_secs(180),
    connect: std::time::Duration::from_secs(15),
    read: std::time::Duration::from_secs(90),
};

pub struct SearchWeb {
    service: WebService,
    auth: ServiceAuth,
}

impl SearchWeb {
    pub fn new(service: WebService, auth: ServiceAuth) -> Self {
        SearchWeb { service, auth }
    }
}

impl Tool for SearchWeb {
    fn name(&self) -> &str {
        NAME
    }

    fn description(&self) -> &str {
        "Search the web through the configured search service: titles, dates, URLs and \
         summaries of the best results, optionally with the pages' text."
    }

    fn parameters(&self) -> Value {
        json!({
            "properties": {
                "query": {"description": "What to search for.", "type": "string"},
                "limit": {"default": 5, "description": "How many results (1 to 20).", "maximum": 20, "minimum": 1, "type": "integer"},
                "include_content": {"default": false, "description": "Also return each page's text (many tokens).", "type": "boolean"}
            },
            "required": ["query"],
            "type": "object"
        })
    }

    fn call(&self, arguments: Value, ctx: ToolContext) -> BoxFuture<'static, ToolReturnValue> {
        let service = self.service.clone();
        let auth = self.auth.clone();
        Box::pin(async move {
            let params = match args::validate(&arguments, FIELDS) {
                Ok(m) => m,
                Err(e) => return args::validate_error(&e),
            };
            search(
                &params.str_of("query"),
                params.int_of("limit"),
                params.bool_of("include_content"),
                &service,
                &auth,
                &ctx.tool_call_id,
            )
            .await
        })
    }
}

fn runtime_error(e: &str) -> ToolReturnValue {
    ToolReturnValue::error(format!("Error running tool: {e}"), "Tool runtime error")
}

async fn search(
    query: &str,
    limit: i64,
    include_content: bool,
    service: &WebService,
    auth: &ServiceAuth,
    tool_call_id: &str,
) -> ToolReturnValue {
    let mut builder = ResultBuilder::new(50_000, None);
    let api_key = auth.api_key(service);
    if service.base_url.is_empty() || api_key.is_empty() {
        return builder.error(
            &msg("search.unconfigured", &[]),
            &msg("search.unconfigured.brief", &[]),
        );
    }
    let request_failed = |e: &str| {
        ResultBuilder::new(50_000, None).error(
            &msg("search.failed", &[("{error}", e)]),
            &msg("search.failed.brief", &[]),
        )
    };
    let endpoint = match http_url(&service.base_url) {
        Ok(u) => u,
        Err(shown) => return request_failed(&shown),
    };
    let client = match super::client(SEARCH_TIMEOUTS) {
        Ok(c) => c,
        Err(e) => return runtime_error(&e),
    };
    let body = json!({
        "text_query": query,
        "limit": limit,
        "enable_page_crawling": include_content,
        "timeout_seconds": 30,
    });
    let failed = |e: &reqwest::Error| match failure(e, &endpoint) {
        Failure::Timeout => {
            kagent_base::logging::warn(&msg("search.timeout.log", &[("{query}", query)]));
            ResultBuilder::new(50_000, None).error(
                &msg("search.timeout", &[]),
                &msg("search.timeout.brief", &[]),
            )
        }
        Failure::Client(msg) => request_failed(&msg),
    };
    let call_headers = vec![
        ("Authorization".to_string(), format!("Bearer {api_key}")),
        ("X-Msh-Tool-Call-Id".to_string(), tool_call_id.to_string()),
    ];
    let request = service_request(&client, &endpoint, call_headers, auth, service, &body);
    let response = match request.send().await {
        Ok(r) => r,
        Err(e) => return failed(&e),
    };
    let status = response.status().as_u16();
    if status != 200 {
        let status = status.to_string();
        kagent_base::logging::warn(&msg(
            "search.http_error.log",
            &[("{status}", &status), ("{query}", query)],
        ));
        return builder.error(
            &msg("search.http_error", &[("{status}", &status)]),
            "Failed to search",
        );
    }
    let content_type = super::content_type(&response);
    let bytes = match response.bytes().await {
        Ok(b) => b,
        Err(e) => return failed(&e),
    };
    // aiohttp's `response.json()` insists on a JSON content type
    let mime = content_type.split(';').next().unwrap_or_default().trim();
    if mime != "application/json" && !(mime.starts_with("application/") && mime.ends_with("+json"))
    {
        return request_failed(&format!(
            "{status}, message='Attempt to decode JSON with unexpected mimetype: {mime}', url='{endpoint}'"
        ));
    }
    let text = match super::fetch::decode(&bytes, &content_type) {
        Ok(t) => t,
        Err(e) => return runtime_error(&e),
    };
    let value: Value = match kagent_base::py::loads::loads(&text) {
        Ok(v) => v,
        Err(e) => return runtime_error(&e.to_string()),
    };
    if !value.is_object() {
        return runtime_error(&format!(
            "kimi_cli.tools.web.search.Response() argument after ** must be a mapping, not {}",
            kagent_base::py::repr::type_name(&value)
        ));
    }
    let parsed = match args::validate_model(&value, RESPONSE_FIELDS, "Response") {
        Ok(m) => m,
        Err(e) => {
            let e = e.to_string();
            kagent_base::logging::warn(&msg(
                "search.parse_error.log",
                &[("{error}", &e), ("{query}", query)],
            ));
            return builder.error(
                &msg("search.parse_error", &[("{error}", &e)]),
                &msg("search.parse_error.brief", &[]),
            );
        }
    };
    let results = parsed
        .get("search_results")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for (i, result) in results.iter().enumerate() {
        let Some(r) = result.as_object() else {
            continue;
        };
        if i > 0 {
            builder.write("---\n\n");
        }
        builder.write(&format!(
            "Title: {}\nDate: {}\nURL: {}\nSummary: {}\n\n",
            r.str_of("title"),
            r.str_of("date"),
            r.str_of("url"),
            r.str_of("snippet")
        ));
        let content = r.str_of("content");
        if !content.is_empty() {
            builder.write(&format!("{content}\n\n"));
        }
    }
    builder.ok("", "")
}
