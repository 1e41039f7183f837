"""The request body limit (413), as plain ASGI middleware so that it holds before FastAPI reads
or parses a byte: a declared Content-Length over the limit is refused at once, and a chunked
body is read here as it arrives and refused as soon as it passes the limit."""

import json

from frontend.texts import interface_language, sentence


class BodyLimit:
    def __init__(self, app, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await self._refuse(headers, send)
            return
        if length is not None:
            # Declared and within the limit; h11/httptools stop a body at its declared length.
            await self.app(scope, receive, send)
            return
        # Chunked: read it here, up to the limit, then hand it on (the limit bounds the memory).
        chunks, seen, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunks.append(message.get("body", b""))
            seen += len(chunks[-1])
            if seen > self.max_bytes:
                await self._refuse(headers, send)
                return
            more = message.get("more_body", False)
        body = b"".join(chunks)
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, headers: dict, send) -> None:
        lang = interface_language(_first_language(headers.get(b"accept-language", b"")))
        body = json.dumps(
            {
                "detail": sentence("body_too_large", lang, limit=self.max_bytes),
                "code": "body_too_large",
                "retry_after_s": None,
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _first_language(header: bytes) -> str:
    return header.decode("latin-1").split(",")[0].split(";")[0].strip()
