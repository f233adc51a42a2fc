"""A zero-latency Workers AI stand-in for benchmarks: asyncio, keep-alive, canned conformant answers.

Run in its own process so that it does not share the runner's event loop:
``python benchmarks/zero_latency_server.py PORT``.
"""

from __future__ import annotations

import asyncio
import json
import sys

_SUCCESS = json.dumps(
    {
        "result": {
            "response": "Hello there ",
            "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
        },
        "success": True,
        "errors": [],
        "messages": [],
    }
).encode()
_STREAM = (
    b'data: {"response":"Hello"}\n\ndata: {"response":" there"}\n\n'
    b'data: {"response":"","usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}\n\n'
    b"data: [DONE]\n\n"
)
_ERROR = json.dumps(
    {
        "errors": [{"code": 5006, "message": "AiError: Bad input"}],
        "success": False,
        "result": {},
        "messages": [],
    }
).encode()


def _response(status: str, content_type: bytes, body: bytes) -> bytes:
    return (
        f"HTTP/1.1 {status}\r\n".encode()
        + b"content-type: "
        + content_type
        + f"\r\ncontent-length: {len(body)}\r\n\r\n".encode()
        + body
    )


async def _serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            body = await reader.readexactly(length)
            try:
                request = json.loads(body)
            except ValueError:
                request = None
            if not isinstance(request, dict) or not ("prompt" in request or "messages" in request):
                writer.write(_response("400 Bad Request", b"application/json", _ERROR))
            elif request.get("stream") is True:
                writer.write(_response("200 OK", b"text/event-stream", _STREAM))
            else:
                writer.write(_response("200 OK", b"application/json", _SUCCESS))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def main(port: int) -> None:
    server = await asyncio.start_server(_serve, "127.0.0.1", port)
    print(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/client/v4", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 0))
