"""A fake Telegram Bot API server on 127.0.0.1 (aiohttp): the one fake of the bot's tests.

It speaks the Bot API as python-telegram-bot uses it (form-encoded requests, nested values as
JSON strings; `{"ok": true, "result": ...}` answers) for the methods the bot calls, keeps the
updates people "send" until the bot confirms them with getUpdates' offset (as Telegram does),
checks HTML messages the way Telegram does (unknown tags and bad entities are a 400), and
enforces flood limits: a token bucket over all chats and 20 messages a minute per group, 429
with `parameters.retry_after` beyond them. Everything the bot sends is recorded.

    fake = FakeBotApi(token)
    await fake.start()                      # fake.base_url -> TelegramSettings.api_base_url
    update = fake.send_text(ANA, "/review great film")
    [answer] = await fake.wait_for(lambda m: m.reply_to == update.message_id)
"""

import asyncio
import itertools
import json
import re
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser

from aiohttp import web

BOT_ID = 777000111
BOT_USERNAME = "reviewbot_test_bot"
#: Tags Telegram's HTML parse mode accepts.
HTML_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a",
    "tg-emoji", "code", "pre", "blockquote",
}  # fmt: skip


@dataclass(frozen=True)
class Person:
    id: int
    first_name: str
    language_code: str | None = "en"

    def as_user(self) -> dict:
        user = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.language_code:
            user["language_code"] = self.language_code
        return user


@dataclass
class Sent:
    """A message the bot sent (sendMessage), as the person sees it."""

    method: str
    chat_id: int
    message_id: int
    text: str  # as displayed: tags removed, entities unescaped
    html: str  # as sent
    reply_to: int | None
    keyboard: list | None
    at: float
    params: dict = field(default_factory=dict)

    @property
    def buttons(self) -> list[tuple[str, str]]:
        return [(b["text"], b.get("callback_data", "")) for row in self.keyboard or [] for b in row]


class HTMLCheck(HTMLParser):
    """Parses a message the way Telegram's HTML parse mode does: known tags only, balanced."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text: list[str] = []
        self.error: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag not in HTML_TAGS:
            self.error = self.error or f'Unsupported start tag "{tag}"'
        self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.error = self.error or f'Unmatched end tag "{tag}"'

    def handle_data(self, data):
        self.text.append(data)


def parse_html(text: str) -> tuple[str, str | None]:
    """(the text a person sees, the parse error Telegram would answer, if any)."""
    if "<" not in text and "&" not in text:
        return text, None
    checker = HTMLCheck()
    checker.feed(text)
    checker.close()
    if checker.stack and not checker.error:
        checker.error = f'Can\'t find end tag corresponding to start tag "{checker.stack[-1]}"'
    # Telegram rejects a "<" that starts no tag and an "&" that starts no entity; html.parser
    # keeps those as data, so catch them here.
    if checker.error is None and re.search(r"<(?!/?[a-zA-Z][a-zA-Z-]*[\s>/])", text):
        checker.error = "Unsupported start tag"
    if checker.error is None and re.search(r"&(?!(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)", text):
        checker.error = "Character entity expected"
    return "".join(checker.text), checker.error


class TokenBucket:
    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self.level = burst
        self.at = time.monotonic()
        #: When each accepted request arrived.
        self.taken: list[float] = []

    def take(self) -> float:
        """0 if a message may go now, else the seconds until one may."""
        now = time.monotonic()
        self.level = min(self.burst, self.level + (now - self.at) * self.rate)
        self.at = now
        if self.level >= 1:
            self.level -= 1
            self.taken.append(now)
            return 0.0
        return (1 - self.level) / self.rate


class FakeBotApi:
    def __init__(
        self,
        token: str,
        messages_per_s: float = 30.0,
        burst_slack: float = 4.0,
        group_messages_per_minute: int = 20,
    ) -> None:
        """`messages_per_s`: the overall limit (a bucket of that many, refilled at that rate;
        `burst_slack` more tolerate requests bunched up on their way here)."""
        self.token = token
        self.bucket = TokenBucket(messages_per_s, messages_per_s + burst_slack)
        self.group_limit = group_messages_per_minute
        self.group_sent: dict[int, deque] = defaultdict(deque)
        self.updates: list[dict] = []  # not yet confirmed
        self._update_ids = itertools.count(1000)
        self._message_ids: dict[int, itertools.count] = defaultdict(lambda: itertools.count(1))
        self._arrived = asyncio.Condition()
        self.sent: list[Sent] = []
        self.calls: list[tuple[float, str, dict]] = []
        self.floods = 0  # 429s answered
        self.flood_next = 0  # answer the next N sendMessage with 429 (retry_after 1)
        self.fail_next = 0  # answer the next N sendMessage with 502 Bad Gateway
        self.blocked: set[int] = set()  # chats whose person blocked the bot (403)
        self.unknown_chats: set[int] = set()  # "chat not found" (400)
        self.webhook: dict | None = None
        self.commands: dict[str | None, list] = {}
        #: Called with the offset of each getUpdates before it is served; returning True drops
        #: the request unanswered (the test killed the bot meanwhile).
        self.on_get_updates: Callable[[int | None], bool] | None = None
        self.fetched = asyncio.Event()  # set when a getUpdates returned updates
        self._runner: web.AppRunner | None = None
        self._stopping = asyncio.Event()
        self.port: int | None = None

    # -- the server ----------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot{{token}}"

    async def start(self, port: int = 0) -> None:
        """Serve on `port` (0: any free one; `base_url` names it once started)."""
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        self._stopping.set()
        async with self._arrived:
            self._arrived.notify_all()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _dispatch(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        params = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                params.update(await request.json())
            else:
                params.update(await request.post())
        params = {key: _decode(value) for key, value in params.items()}
        method = request.match_info["method"]
        self.calls.append((time.monotonic(), method, params))
        handler = getattr(self, f"api_{method}", None)
        if handler is None:
            return _error(404, "Not Found")
        outcome = await handler(params)
        if isinstance(outcome, web.Response):
            return outcome
        return web.json_response({"ok": True, "result": outcome})

    # -- Bot API methods -------------------------------------------------------------------

    async def api_getMe(self, params):
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "ReviewBot",
            "username": BOT_USERNAME,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def api_deleteWebhook(self, params):
        self.webhook = None
        return True

    async def api_setWebhook(self, params):
        self.webhook = params
        return True

    async def api_setMyCommands(self, params):
        self.commands[params.get("language_code")] = params["commands"]
        return True

    async def api_getUpdates(self, params):
        offset = int(params["offset"]) if params.get("offset") not in (None, "") else None
        if self.on_get_updates is not None and self.on_get_updates(offset):
            await self._stopping.wait()  # the bot is gone; never answer
            return []
        if offset is not None:
            # As Telegram: an offset confirms every update before it.
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        deadline = time.monotonic() + timeout
        async with self._arrived:
            while not self.updates and time.monotonic() < deadline and not self._stopping.is_set():
                try:
                    await asyncio.wait_for(self._arrived.wait(), deadline - time.monotonic())
                except TimeoutError:
                    break
        batch = self.updates[:limit]
        if batch:
            self.fetched.set()
        return batch

    async def api_sendMessage(self, params):
        chat_id = int(params["chat_id"])
        refused = self._refusal(chat_id)
        if refused is not None:
            return refused
        html = params["text"]
        text = html
        if params.get("parse_mode") == "HTML":
            text, error = parse_html(html)
            if error:
                return _error(400, f"Bad Request: can't parse entities: {error}")
        if not text.strip():
            return _error(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            return _error(400, "Bad Request: message is too long")
        reply = params.get("reply_parameters") or {}
        markup = params.get("reply_markup") or {}
        message_id = next(self._message_ids[chat_id])
        self.sent.append(
            Sent(
                "sendMessage",
                chat_id,
                message_id,
                text,
                html,
                reply.get("message_id"),
                markup.get("inline_keyboard"),
                time.monotonic(),
                params,
            )
        )
        async with self._arrived:
            self._arrived.notify_all()
        return self._message(chat_id, message_id, text, markup)

    async def api_sendChatAction(self, params):
        chat_id = int(params["chat_id"])
        refused = self._refusal(chat_id)
        return refused if refused is not None else True

    async def api_answerCallbackQuery(self, params):
        return True

    async def api_editMessageReplyMarkup(self, params):
        chat_id, message_id = int(params["chat_id"]), int(params["message_id"])
        sent = self.find(chat_id, message_id)
        markup = params.get("reply_markup") or {}
        if sent is not None:
            if (sent.keyboard or None) == (markup.get("inline_keyboard") or None):
                return _error(400, "Bad Request: message is not modified")
            sent.keyboard = markup.get("inline_keyboard")
        return self._message(chat_id, message_id, sent.text if sent else "", markup)

    async def api_editMessageText(self, params):
        chat_id, message_id = int(params["chat_id"]), int(params["message_id"])
        sent = self.find(chat_id, message_id)
        text, error = (
            parse_html(params["text"]) if params.get("parse_mode") else (params["text"], None)
        )
        if error:
            return _error(400, f"Bad Request: can't parse entities: {error}")
        markup = params.get("reply_markup") or {}
        if sent is not None:
            sent.text, sent.html = text, params["text"]
            sent.keyboard = markup.get("inline_keyboard")
        return self._message(chat_id, message_id, text, markup)

    def _refusal(self, chat_id: int) -> web.Response | None:
        if chat_id in self.blocked:
            return _error(403, "Forbidden: bot was blocked by the user")
        if chat_id in self.unknown_chats:
            return _error(400, "Bad Request: chat not found")
        if self.fail_next > 0:
            self.fail_next -= 1
            return _error(502, "Bad Gateway")
        if self.flood_next > 0:
            self.flood_next -= 1
            return self._flood(1)
        wait = self.bucket.take()
        if wait:
            return self._flood(wait)
        if chat_id < 0:
            sent = self.group_sent[chat_id]
            now = time.monotonic()
            while sent and now - sent[0] > 60:
                sent.popleft()
            if len(sent) >= self.group_limit:
                return self._flood(60 - (now - sent[0]))
            sent.append(now)
        return None

    def _flood(self, wait_s: float) -> web.Response:
        self.floods += 1
        retry_after = max(1, int(wait_s + 0.999))
        return _error(
            429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
        )

    # -- what people do --------------------------------------------------------------------

    def _push(self, update: dict) -> dict:
        update["update_id"] = next(self._update_ids)
        self.updates.append(update)
        asyncio.get_running_loop().create_task(self._notify())
        return update

    async def _notify(self) -> None:
        async with self._arrived:
            self._arrived.notify_all()

    def message(
        self,
        person: Person,
        text: str | None = None,
        chat_id: int | None = None,
        reply_to: dict | None = None,
        **content,
    ) -> dict:
        """A message from `person` in their private chat (or in group `chat_id`); a leading
        /command gets its bot_command entity, as Telegram adds it. Returns the message."""
        chat_id = person.id if chat_id is None else chat_id
        chat = (
            {"id": chat_id, "type": "private", "first_name": person.first_name}
            if chat_id > 0
            else {"id": chat_id, "type": "group", "title": "Movie night"}
        )
        message = {
            "message_id": next(self._message_ids[chat_id]),
            "from": person.as_user(),
            "chat": chat,
            "date": int(time.time()),
            **content,
        }
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                command = text.split(None, 1)[0]
                message["entities"] = [
                    {
                        "type": "bot_command",
                        "offset": 0,
                        "length": len(command.encode("utf-16-le")) // 2,
                    }
                ]
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        self._push({"message": message})
        return message

    def tap(self, person: Person, sent: Sent, data: str) -> dict:
        """`person` taps the button with callback `data` under the bot's message `sent`."""
        chat = {"id": sent.chat_id, "type": "private" if sent.chat_id > 0 else "group"}
        update = {
            "callback_query": {
                "id": str(next(self._update_ids)),
                "from": person.as_user(),
                "chat_instance": "1",
                "data": data,
                "message": {
                    "message_id": sent.message_id,
                    "from": {"id": BOT_ID, "is_bot": True, "first_name": "ReviewBot"},
                    "chat": chat,
                    "date": int(time.time()),
                    "text": sent.text,
                },
            }
        }
        return self._push(update)

    # -- what tests look at ----------------------------------------------------------------

    def find(self, chat_id: int, message_id: int) -> Sent | None:
        for sent in self.sent:
            if sent.chat_id == chat_id and sent.message_id == message_id:
                return sent
        return None

    def answers_to(self, message: dict) -> list[Sent]:
        chat_id = message["chat"]["id"]
        return [
            s for s in self.sent if s.chat_id == chat_id and s.reply_to == message["message_id"]
        ]

    def called(self, method: str) -> list[dict]:
        return [params for _, name, params in self.calls if name == method]

    async def wait_for(
        self, predicate: Callable[[Sent], bool], count: int = 1, timeout: float = 30.0
    ) -> list[Sent]:
        """The first `count` sent messages matching `predicate` (looked at once each, when they
        arrive: a busy benchmark must not spend its CPU re-scanning), waiting for them."""
        deadline = time.monotonic() + timeout
        found: list[Sent] = []
        scanned = 0
        while True:
            new = self.sent[scanned:]
            scanned += len(new)
            found += [s for s in new if predicate(s)]
            if len(found) >= count:
                return found[:count] if count else found
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"{len(found)} of {count} expected messages within {timeout} s; sent: "
                    + "; ".join(
                        f"{s.chat_id}/{s.reply_to}: {s.text[:60]!r}" for s in self.sent[-10:]
                    )
                )
            async with self._arrived:
                try:
                    await asyncio.wait_for(self._arrived.wait(), min(remaining, 0.1))
                except TimeoutError:
                    pass

    async def wait_calls(self, method: str, count: int, timeout: float = 30.0) -> list[dict]:
        """Until the bot called `method` `count` times; those calls' parameters."""
        deadline = time.monotonic() + timeout
        while len(calls := self.called(method)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{method} called {len(calls)} of {count} times")
            await asyncio.sleep(0.02)
        return calls

    async def answer_to(self, message: dict, timeout: float = 30.0) -> Sent:
        chat_id, message_id = message["chat"]["id"], message["message_id"]
        [sent] = await self.wait_for(
            lambda s: s.chat_id == chat_id and s.reply_to == message_id, 1, timeout
        )
        return sent

    async def confirmed(self, timeout: float = 10.0) -> None:
        """Until every update was confirmed by the bot (getUpdates offset past it)."""
        deadline = time.monotonic() + timeout
        while self.updates:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.updates)} updates never confirmed")
            await asyncio.sleep(0.02)

    def _message(self, chat_id: int, message_id: int, text: str, markup: dict) -> dict:
        message = {
            "message_id": message_id,
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "ReviewBot"},
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
            "date": int(time.time()),
            "text": text,
        }
        if markup:
            message["reply_markup"] = markup
        return message


def _decode(value):
    """Nested values arrive as JSON strings."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _error(status: int, description: str, parameters: dict | None = None) -> web.Response:
    body = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status)


#: What Telegram sends for non-text messages (the fields PTB requires).
STICKER = {
    "sticker": {
        "file_id": "s1", "file_unique_id": "u1", "width": 512, "height": 512,
        "is_animated": False, "is_video": False, "type": "regular",
    }
}  # fmt: skip
PHOTO = {"photo": [{"file_id": "p1", "file_unique_id": "u2", "width": 90, "height": 90}]}
VOICE = {"voice": {"file_id": "v1", "file_unique_id": "u3", "duration": 3}}
