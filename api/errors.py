"""Every refusal of the API as one exception, answered as a `Problem` whose `detail` is the
sentence the bots show (frontend.texts, in the language of Accept-Language) and whose `code` a
program can branch on. No traceback reaches a client: anything unexpected is logged and answered
with the "unavailable" sentence."""

import logging

import redis
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from api.models import Problem
from frontend.texts import interface_language, sentence, submit_error_text
from reviewbot.messages import Language
from reviewbot.validation import BinaryReview, Busy, EmptyReview, ReviewTooLong, SubmitError

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        retry_after_s: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.retry_after_s = retry_after_s
        self.headers = dict(headers or {})
        if retry_after_s is not None:
            self.headers["Retry-After"] = str(retry_after_s)

    @classmethod
    def said(cls, status: int, code: str, lang: Language, **values) -> "ApiError":
        """The error whose detail is the `code` sentence of frontend.texts."""
        retry = values.get("seconds") if status == 429 else None
        return cls(status, code, sentence(code, lang, **values), retry_after_s=retry)

    def problem(self) -> Problem:
        return Problem(detail=self.detail, code=self.code, retry_after_s=self.retry_after_s)


def submit_error_code(error: SubmitError) -> str:
    for kind, code in (
        (EmptyReview, "empty"),
        (ReviewTooLong, "too_long"),
        (BinaryReview, "binary"),
        (Busy, "busy"),
    ):
        if isinstance(error, kind):
            return code
    return "invalid"


def from_submit_error(error: SubmitError, lang: Language) -> ApiError:
    """422 for a review that is wrong, 429 with Retry-After for a full queue."""
    detail = submit_error_text(error, lang)
    if isinstance(error, Busy):
        return ApiError(429, "busy", detail, retry_after_s=error.retry_after_s)
    return ApiError(422, submit_error_code(error), detail)


def request_language(request: Request) -> Language:
    """English or Spanish, from the first language of Accept-Language (the browser's)."""
    header = request.headers.get("accept-language", "")
    return interface_language(header.split(",")[0].split(";")[0].strip())


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, error: ApiError) -> JSONResponse:
        return JSONResponse(error.problem().model_dump(), error.status, headers=error.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        # A malformed body (not JSON, a field of the wrong type): say which field, in one line.
        parts = []
        for item in error.errors()[:5]:
            where = ".".join(str(p) for p in item.get("loc", ()) if p != "body") or "body"
            parts.append(f"{where}: {item.get('msg', 'invalid')}")
        detail = "The request is not valid: " + "; ".join(parts)
        if request_language(request) == Language.ES:
            detail = "La petición no es válida: " + "; ".join(parts)
        problem = Problem(detail=detail, code="invalid_request")
        return JSONResponse(problem.model_dump(), 422)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> JSONResponse:
        # FastAPI's own refusals: a body that is not UTF-8 (400), an unknown path (404), a wrong
        # method (405). Same shape as every other error; a body that cannot be read is one more
        # invalid request (422), like a body that is not JSON.
        if error.status_code == 400:
            detail = "The request body could not be read: send UTF-8 JSON."
            if request_language(request) == Language.ES:
                detail = "No se pudo leer el cuerpo de la petición: envía JSON en UTF-8."
            return JSONResponse(Problem(detail=detail, code="invalid_request").model_dump(), 422)
        problem = Problem(detail=str(error.detail), code=f"http_{error.status_code}")
        return JSONResponse(problem.model_dump(), error.status_code, headers=error.headers)

    @app.exception_handler(redis.RedisError)
    async def redis_down(request: Request, error: redis.RedisError) -> JSONResponse:
        # Redis restarting or stalled: the review may or may not be queued; a retry with the
        # same Idempotency-Key is safe either way.
        log.warning("%s %s: Redis unavailable: %r", request.method, request.url.path, error)
        problem = Problem(
            detail=sentence("unavailable", request_language(request)), code="unavailable"
        )
        return JSONResponse(problem.model_dump(), 503, headers={"Retry-After": "5"})

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        log.error("%s %s failed: %r", request.method, request.url.path, error, exc_info=error)
        lang = request_language(request)
        problem = Problem(detail=sentence("unavailable", lang), code="unavailable")
        return JSONResponse(problem.model_dump(), 503, headers={"Retry-After": "60"})
