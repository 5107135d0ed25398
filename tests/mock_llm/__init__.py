"""A loopback mock model server for provider tests (127.0.0.1 only, never any other address).

``MockLLMServer`` records every request it receives and answers each one with the next
scripted ``Reply`` of the lane the request came in on.  Lanes are URL path prefixes
(``http://127.0.0.1:<port>/<lane>/...``), so one server can serve many kernel runs of a test
module without the runs seeing each other's replies.  ``streams`` builds the replies in the
real wire formats of the providers (OpenAI chat completions SSE, Anthropic Messages SSE).
"""

from __future__ import annotations

from .server import Lane, MockLLMServer, RecordedRequest, Reply

__all__ = ["Lane", "MockLLMServer", "RecordedRequest", "Reply"]
