"""A loopback model server for the end-to-end tests: the real agent CLIs talk to it.

``ModelStub`` is a threaded HTTP server on 127.0.0.1 that records every request body and answers
with what a script returns. It speaks the Anthropic Messages API (``POST /v1/messages``, SSE when
``stream`` is true, plus ``count_tokens``), the OpenAI Responses API (``POST .../responses``,
SSE) and the Gemini API (``POST .../models/M:generateContent``, ``:streamGenerateContent`` as
SSE, ``:countTokens``). It is bounded: after ``max_requests`` model requests, or ``timeout``
seconds, it answers 503 to everything; leaving the ``with`` block stops it.

A script gets the request body (a dict) and returns a list of content blocks in Anthropic's
shape: ``{"type": "text", "text": ...}`` or ``{"type": "tool_use", "name": ..., "input": ...}``;
the Responses encoder turns ``tool_use`` into a ``function_call`` item (with the block's
``namespace``, when it has one: Codex groups an MCP server's tools in a ``namespace`` tool), and
``{"type": "custom_tool_use", "name": ..., "input": "text"}`` into a ``custom_tool_call`` (a
freeform tool such as Codex's ``apply_patch``). The Gemini encoder turns ``tool_use`` into a
``functionCall`` part.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Block = dict[str, Any]
Script = Callable[[dict[str, Any]], list[Block]]


@dataclass
class Recorded:
    """One request the CLI sent."""

    method: str
    path: str
    body: dict[str, Any]

    @property
    def text(self) -> str:
        """The whole body as JSON text, for "does the request mention X" assertions."""
        return json.dumps(self.body)


@dataclass
class ModelStub:
    script: Script
    max_requests: int = 20
    timeout: float = 90.0
    requests: list[Recorded] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _done: threading.Event = field(default_factory=threading.Event)
    _server: ThreadingHTTPServer | None = None
    _timer: threading.Timer | None = None
    _counter: int = 0

    def __enter__(self) -> ModelStub:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet

            def do_HEAD(self) -> None:
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self) -> None:
                # Model listings and other probes: an empty list is a sensible answer.
                self._json(200, {"data": [], "models": [], "object": "list"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {"_raw": raw.decode("utf-8", "replace")}
                if not isinstance(body, dict):
                    body = {"_value": body}
                path = self.path.split("?", 1)[0]
                if path.endswith("/count_tokens"):
                    self._json(200, {"input_tokens": max(1, len(raw) // 4)})
                    return
                if path.endswith(":countTokens"):
                    self._json(200, {"totalTokens": max(1, len(raw) // 4)})
                    return
                with stub._lock:
                    over = stub._done.is_set() or len(stub.requests) >= stub.max_requests
                    if not over:
                        stub.requests.append(Recorded("POST", path, body))
                        stub._counter += 1
                        serial = stub._counter
                if over:
                    stub._done.set()
                    self._json(503, {"error": {"type": "overloaded_error", "message": "stub"}})
                    return
                blocks = stub.script(body)
                if path.endswith("/messages"):
                    self._anthropic(body, blocks, serial)
                elif path.endswith("/responses"):
                    self._responses(body, blocks, serial)
                elif path.endswith((":generateContent", ":streamGenerateContent")):
                    self._gemini(blocks, stream=path.endswith(":streamGenerateContent"))
                else:
                    self._json(404, {"error": {"message": f"stub: no {path}"}})

            # ---- encoders --------------------------------------------------------------------

            def _json(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _sse(self, events: list[tuple[str, dict[str, Any]]]) -> None:
                data = b"".join(
                    f"event: {name}\ndata: {json.dumps(payload)}\n\n".encode()
                    for name, payload in events
                )
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _anthropic(self, body: dict[str, Any], blocks: list[Block], serial: int) -> None:
                content: list[Block] = []
                for i, block in enumerate(blocks):
                    if block["type"] == "tool_use":
                        content.append({"id": f"toolu_{serial}_{i}", **block})
                    else:
                        content.append(block)
                stop = "tool_use" if any(b["type"] == "tool_use" for b in content) else "end_turn"
                usage = {"input_tokens": 10, "output_tokens": 10}
                message = {
                    "id": f"msg_{serial}",
                    "type": "message",
                    "role": "assistant",
                    "model": body.get("model", "stub"),
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": usage,
                }
                if not body.get("stream"):
                    self._json(200, {**message, "content": content, "stop_reason": stop})
                    return
                events: list[tuple[str, dict[str, Any]]] = [
                    (
                        "message_start",
                        {"type": "message_start", "message": {**message, "content": []}},
                    )
                ]
                for i, block in enumerate(content):
                    if block["type"] == "tool_use":
                        start = {**block, "input": {}}
                        delta = {
                            "type": "input_json_delta",
                            "partial_json": json.dumps(block["input"]),
                        }
                    else:
                        start = {"type": "text", "text": ""}
                        delta = {"type": "text_delta", "text": block["text"]}
                    events += [
                        ("content_block_start", {"type": "content_block_start", "index": i,
                                                 "content_block": start}),
                        ("content_block_delta", {"type": "content_block_delta", "index": i,
                                                 "delta": delta}),
                        ("content_block_stop", {"type": "content_block_stop", "index": i}),
                    ]  # fmt: skip
                events += [
                    ("message_delta", {"type": "message_delta",
                                       "delta": {"stop_reason": stop, "stop_sequence": None},
                                       "usage": {"output_tokens": 10}}),
                    ("message_stop", {"type": "message_stop"}),
                ]  # fmt: skip
                self._sse(events)

            def _responses(self, body: dict[str, Any], blocks: list[Block], serial: int) -> None:
                items: list[dict[str, Any]] = []
                for i, block in enumerate(blocks):
                    if block["type"] == "tool_use":
                        call = {
                            "type": "function_call", "id": f"fc_{serial}_{i}",
                            "call_id": f"call_{serial}_{i}", "name": block["name"],
                            "arguments": json.dumps(block["input"]), "status": "completed",
                        }  # fmt: skip
                        if block.get("namespace"):  # a tool inside a `namespace` tool
                            call["namespace"] = block["namespace"]
                        items.append(call)
                    elif block["type"] == "custom_tool_use":  # a freeform tool: text input
                        items.append({
                            "type": "custom_tool_call", "id": f"ctc_{serial}_{i}",
                            "call_id": f"call_{serial}_{i}", "name": block["name"],
                            "input": block["input"], "status": "completed",
                        })  # fmt: skip
                    else:
                        items.append({
                            "type": "message", "id": f"msg_{serial}_{i}", "role": "assistant",
                            "status": "completed",
                            "content": [{"type": "output_text", "text": block["text"],
                                         "annotations": []}],
                        })  # fmt: skip
                response = {
                    "id": f"resp_{serial}", "object": "response", "created_at": int(time.time()),
                    "status": "in_progress", "model": body.get("model", "stub"), "output": [],
                }  # fmt: skip
                usage = {
                    "input_tokens": 10, "input_tokens_details": {"cached_tokens": 0},
                    "output_tokens": 10, "output_tokens_details": {"reasoning_tokens": 0},
                    "total_tokens": 20,
                }  # fmt: skip
                events: list[tuple[str, dict[str, Any]]] = [
                    ("response.created", {"type": "response.created", "response": response})
                ]
                for i, item in enumerate(items):
                    events.append(("response.output_item.added", {
                        "type": "response.output_item.added", "output_index": i,
                        "item": {**item, "status": "in_progress"},
                    }))  # fmt: skip
                    if item["type"] == "message":
                        events.append(("response.output_text.delta", {
                            "type": "response.output_text.delta", "item_id": item["id"],
                            "output_index": i, "content_index": 0,
                            "delta": item["content"][0]["text"],
                        }))  # fmt: skip
                    events.append(("response.output_item.done", {
                        "type": "response.output_item.done", "output_index": i, "item": item,
                    }))  # fmt: skip
                done = {**response, "status": "completed", "output": items, "usage": usage}
                events.append(("response.completed", {"type": "response.completed",
                                                      "response": done}))  # fmt: skip
                self._sse(events)

            def _gemini(self, blocks: list[Block], *, stream: bool) -> None:
                parts: list[dict[str, Any]] = []
                for block in blocks:
                    if block["type"] == "tool_use":
                        parts.append({"functionCall": {"name": block["name"],
                                                       "args": block["input"]}})  # fmt: skip
                    else:
                        parts.append({"text": block["text"]})
                answer = {
                    "candidates": [{"content": {"role": "model", "parts": parts},
                                    "finishReason": "STOP", "index": 0}],
                    "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 10,
                                      "totalTokenCount": 20},
                    "modelVersion": "stub",
                }  # fmt: skip
                if not stream:
                    self._json(200, answer)
                    return
                data = f"data: {json.dumps(answer)}\r\n\r\n".encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self._timer = threading.Timer(self.timeout, self._done.set)
        self._timer.daemon = True
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        if self._timer is not None:
            self._timer.cancel()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"


def anthropic_text(request: dict[str, Any]) -> str:
    """Every string in an Anthropic request's system prompt and messages, joined."""
    parts: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, str):
            parts.append(value)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)

    walk(request.get("system"))
    walk(request.get("messages"))
    return "\n".join(parts)


JSONB_MODULE = """\
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Agent(Base):
    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_metadata: Mapped[dict] = mapped_column(JSONB)


async def tag(session: AsyncSession, agent: Agent, k: str, v: str) -> None:
    agent.agent_metadata[k] = v
    await session.commit()
"""
