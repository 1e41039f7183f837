"""A small fake of Discord on 127.0.0.1: the REST API and the gateway, enough for the real
discord.py client (facts in shared/DESIGN.md, "Testing the bots with the real clients").

It keeps what Discord keeps (servers, channels, messages, reactions, interaction answers) and
records every call the bot made, so tests assert on what a person would see. Tests drive it
like Discord's users would: `post`, `edit`, `delete`, `react`, `slash`, `click`.
"""

import asyncio
import itertools
import json
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import discord
from aiohttp import WSMsgType, web

APP_ID = 900_000_000_000_000_001
BOT_ID = 900_000_000_000_000_002
TOKEN = "fake-token.Zm9vYmFyYmF6.secret-part-never-logged"

# Permission bits (Discord's documentation, "Permissions").
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
ADD_REACTIONS = 1 << 6
MANAGE_GUILD = 1 << 5
MEMBER_PERMISSIONS = VIEW_CHANNEL | SEND_MESSAGES | READ_MESSAGE_HISTORY | ADD_REACTIONS
BOT_PERMISSIONS = MEMBER_PERMISSIONS | MANAGE_MESSAGES | EMBED_LINKS | ATTACH_FILES


def user(user_id: int, name: str | None = None, bot: bool = False) -> dict:
    return {
        "id": str(user_id),
        "username": name or f"member{user_id % 10_000}",
        "discriminator": "0",
        "global_name": None,
        "avatar": None,
        "bot": bot,
    }


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def json_response(data: Any, status: int = 200) -> web.Response:
    # discord.py parses JSON only when the Content-Type is exactly application/json.
    return web.Response(
        body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json"}
    )


def error(status: int, code: int, message: str) -> web.Response:
    return json_response({"code": code, "message": message}, status)


class FakeDiscord:
    def __init__(self) -> None:
        self.guilds: dict[int, dict] = {}
        self.channel_guild: dict[int, int] = {}
        self.messages: dict[int, dict[int, dict]] = defaultdict(dict)
        self.members: dict[tuple[int, int], dict] = {}
        #: Every PUT of a reaction: (channel, message, emoji).
        self.reaction_puts: list[tuple[int, int, str]] = []
        self.reaction_deletes: list[tuple[int, int, str]] = []
        #: (channel, message) -> loop time of its first reaction PUT (for the benchmark).
        self.first_put_at: dict[tuple[int, int], float] = {}
        #: Channel -> message -> the bot's current reactions.
        self.reactions: dict[tuple[int, int], set[str]] = defaultdict(set)
        self.sent: list[dict] = []  # POST /channels/{id}/messages bodies (with channel_id)
        self.edited: list[dict] = []
        self.deleted: list[tuple[int, int]] = []
        #: Interaction id -> the callback bodies; token -> follow-up messages.
        self.callbacks: dict[int, list[dict]] = defaultdict(list)
        self.followups: dict[str, list[dict]] = defaultdict(list)
        self.files: dict[str, list[bytes]] = defaultdict(list)
        self.tokens: dict[int, str] = {}
        self.commands: list[dict] = []
        self.requests: list[tuple[str, str]] = []
        self.forbidden_channels: set[int] = set()
        self.sockets: list[web.WebSocketResponse] = []
        self.identifies = 0
        self.resumes = 0
        self.allow_resume = True
        #: When set, every REST answer carries rate-limit headers granting this many requests
        #: per second and bucket. Without them discord.py assumes a limit of 1 and sends one
        #: request per bucket (per channel, for reactions) at a time.
        self.rate_limit: int | None = None
        #: A Discord-compatible server without slash commands answers their sync with 404.
        self.refuse_commands = False
        self._ids = itertools.count(1)
        self._last_snowflake = 0
        self._seq = 0
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self, port: int = 0) -> "FakeDiscord":
        """Serve on `port` (0: any free one; the URLs name it once started)."""
        app = web.Application(client_max_size=32 * 1024 * 1024)
        app.router.add_get("/gateway", self.gateway)
        app.router.add_route("*", "/api/v10/{path:.*}", self.rest)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        for ws in list(self.sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    def snowflake(self) -> int:
        """Time-ordered ids like Discord's, unique within the fake."""
        value = max(self._last_snowflake + 1, discord.utils.time_snowflake(datetime.now(UTC)))
        self._last_snowflake = value
        return value

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_until(self, predicate: Callable[[], Any], timeout: float = 20.0) -> Any:
        """Wait until `predicate()` is truthy: checked after each call the bot makes, and every
        50 ms (for what the bot writes elsewhere: the database, Redis)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not (value := predicate()):
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"not within {timeout} s: {predicate}")
            async with self._changed:
                try:
                    await asyncio.wait_for(self._changed.wait(), 0.05)
                except TimeoutError:
                    pass
        return value

    # -- the world -------------------------------------------------------------------------

    def add_guild(
        self,
        channels: int = 1,
        bot_permissions: int = BOT_PERMISSIONS,
        locale: str = "en-US",
        roles: int = 2,
    ) -> dict:
        """A server with `channels` text channels, @everyone and `roles` more roles, the bot."""
        guild_id = self.snowflake()
        bot_role = self.snowflake()
        role_ids = [self.snowflake() for _ in range(roles)]
        guild = {
            "id": str(guild_id),
            "name": f"server {len(self.guilds) + 1}",
            "owner_id": str(self.snowflake()),
            "roles": [
                # @everyone grants nothing: the bot's permissions are its role's alone, so a
                # test takes one away by changing that role.
                self._role(guild_id, "@everyone", 0, 0),
                self._role(bot_role, "ReviewBot", bot_permissions, 1),
                *(self._role(r, f"role{i}", 0, 2 + i) for i, r in enumerate(role_ids)),
            ],
            "channels": [],
            "members": [],
            "member_count": 1,
            "emojis": [],
            "stickers": [],
            "features": [],
            "preferred_locale": locale,
            "large": False,
            "unavailable": False,
            "threads": [],
            "voice_states": [],
            "presences": [],
            "joined_at": now_iso(),
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "premium_tier": 0,
            "system_channel_flags": 0,
            "nsfw_level": 0,
            "afk_timeout": 300,
        }
        self.guilds[guild_id] = guild
        guild["bot_role"] = bot_role
        guild["role_ids"] = role_ids
        self.add_member(guild_id, BOT_ID, roles=[bot_role], bot=True)
        for _ in range(channels):
            self.add_channel(guild_id)
        return guild

    def _role(self, role_id: int, name: str, permissions: int, position: int) -> dict:
        return {
            "id": str(role_id),
            "name": name,
            "permissions": str(permissions),
            "position": position,
            "color": 0,
            "hoist": False,
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }

    def add_channel(self, guild_id: int, overwrites: list | None = None) -> int:
        channel_id = self.snowflake()
        guild = self.guilds[guild_id]
        guild["channels"].append(
            {
                "id": str(channel_id),
                "type": 0,
                "name": f"movies-{len(guild['channels']) + 1}",
                "position": len(guild["channels"]),
                "permission_overwrites": overwrites or [],
                "guild_id": str(guild_id),
                "nsfw": False,
                "parent_id": None,
                "topic": None,
                "last_message_id": None,
                "rate_limit_per_user": 0,
            }
        )
        self.channel_guild[channel_id] = guild_id
        return channel_id

    def channels(self, guild: dict) -> list[int]:
        return [int(c["id"]) for c in guild["channels"]]

    def add_member(
        self, guild_id: int, user_id: int, roles: list[int] | None = None, bot: bool = False
    ) -> dict:
        member = {
            "user": user(user_id, bot=bot),
            "roles": [str(r) for r in roles or []],
            "joined_at": now_iso(),
            "deaf": False,
            "mute": False,
            "flags": 0,
        }
        self.members[(guild_id, user_id)] = member
        if bot:
            self.guilds[guild_id]["members"].append(member)
        return member

    def member(self, guild_id: int, user_id: int) -> dict:
        return self.members.get((guild_id, user_id)) or self.add_member(guild_id, user_id)

    # -- what users do ---------------------------------------------------------------------

    async def dispatch(self, event: str, data: dict) -> None:
        for ws in list(self.sockets):
            self._seq += 1
            try:
                await ws.send_str(json.dumps({"op": 0, "t": event, "s": self._seq, "d": data}))
            except ConnectionResetError:
                pass

    def message_payload(
        self, channel_id: int, author_id: int, content: str, message_id: int | None = None
    ) -> dict:
        guild_id = self.channel_guild[channel_id]
        member = self.member(guild_id, author_id)
        return {
            "id": str(message_id or self.snowflake()),
            "channel_id": str(channel_id),
            "guild_id": str(guild_id),
            "author": member["user"],
            "content": content,
            "timestamp": now_iso(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": False,
            "type": 0,
            "flags": 0,
            "components": [],
        }

    async def post(
        self, channel_id: int, author_id: int, content: str, *, live: bool = True
    ) -> int:
        """A member posts a message (live: the gateway tells the bot; else only the history
        has it, as when the bot is down)."""
        message = self.message_payload(channel_id, author_id, content)
        self.messages[channel_id][int(message["id"])] = message
        if live:
            member = {
                k: v for k, v in self.member(self.channel_guild[channel_id], author_id).items()
            }
            member.pop("user")
            await self.dispatch("MESSAGE_CREATE", message | {"member": member})
        return int(message["id"])

    async def edit(self, channel_id: int, message_id: int, content: str) -> None:
        message = self.messages[channel_id][message_id]
        message["content"] = content
        message["edited_timestamp"] = now_iso()
        guild_id = self.channel_guild[channel_id]
        member = dict(self.member(guild_id, int(message["author"]["id"])))
        member.pop("user")
        await self.dispatch("MESSAGE_UPDATE", message | {"member": member})

    async def delete(self, channel_id: int, message_id: int) -> None:
        self.messages[channel_id].pop(message_id, None)
        await self.dispatch(
            "MESSAGE_DELETE",
            {
                "id": str(message_id),
                "channel_id": str(channel_id),
                "guild_id": str(self.channel_guild[channel_id]),
            },
        )

    async def react(self, channel_id: int, message_id: int, user_id: int, emoji: str, add=True):
        guild_id = self.channel_guild[channel_id]
        data = {
            "user_id": str(user_id),
            "channel_id": str(channel_id),
            "message_id": str(message_id),
            "guild_id": str(guild_id),
            "emoji": {"id": None, "name": emoji},
            "burst": False,
            "type": 0,
        }
        if add:
            data["member"] = self.member(guild_id, user_id)
            data["message_author_id"] = self.messages[channel_id][message_id]["author"]["id"]
        await self.dispatch("MESSAGE_REACTION_ADD" if add else "MESSAGE_REACTION_REMOVE", data)

    async def interact(
        self,
        data: dict,
        *,
        guild_id: int | None,
        channel_id: int | None,
        user_id: int,
        permissions: int = MEMBER_PERMISSIONS,
        roles: list[int] | None = None,
        locale: str = "en-US",
        interaction_type: int = 2,
        message: dict | None = None,
    ) -> int:
        interaction_id = self.snowflake()
        token = f"interaction-token-{next(self._ids)}"
        self.tokens[interaction_id] = token
        payload = {
            "id": str(interaction_id),
            "application_id": str(APP_ID),
            "type": interaction_type,
            "data": data,
            "token": token,
            "version": 1,
            "locale": locale,
            "attachment_size_limit": 8 * 1024 * 1024,
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(guild_id)} if guild_id else {"1": "1"},
            "context": 0 if guild_id else 1,
        }
        if guild_id is not None:
            member = dict(self.member(guild_id, user_id))
            member["roles"] = [str(r) for r in roles or []]
            member["permissions"] = str(permissions)
            guild = self.guilds[guild_id]
            channel = next(c for c in guild["channels"] if int(c["id"]) == channel_id)
            bot_bits = int(
                next(r for r in guild["roles"] if int(r["id"]) == guild["bot_role"])["permissions"]
            )
            payload |= {
                "guild_id": str(guild_id),
                "guild_locale": guild["preferred_locale"],
                "channel_id": str(channel_id),
                "channel": channel,
                "member": member,
                "app_permissions": str(bot_bits),
            }
        else:
            dm = self.snowflake()
            payload |= {
                "channel_id": str(dm),
                "channel": {"id": str(dm), "type": 1, "recipients": [user(user_id)]},
                "user": user(user_id),
                "app_permissions": str(VIEW_CHANNEL | SEND_MESSAGES),
            }
        if message is not None:
            payload["message"] = message
        await self.dispatch("INTERACTION_CREATE", payload)
        return interaction_id

    async def slash(
        self,
        name: str,
        options: dict | None = None,
        *,
        guild_id: int | None,
        channel_id: int | None = None,
        user_id: int,
        **kwargs,
    ) -> int:
        """A member runs `/name` with `options` (channel and role options given as ids, marked
        with a ("channel", id) or ("role", id) tuple)."""
        resolved: dict[str, dict] = {}
        rendered = []
        for key, value in (options or {}).items():
            if isinstance(value, tuple) and value[0] == "channel":
                rendered.append({"name": key, "type": 7, "value": str(value[1])})
                channel = self._channel(value[1])
                resolved.setdefault("channels", {})[str(value[1])] = channel | {
                    "permissions": str(MEMBER_PERMISSIONS)
                }
            elif isinstance(value, tuple) and value[0] == "role":
                rendered.append({"name": key, "type": 8, "value": str(value[1])})
                role = next(r for r in self.guilds[guild_id]["roles"] if int(r["id"]) == value[1])
                resolved.setdefault("roles", {})[str(value[1])] = role
            elif isinstance(value, bool):
                rendered.append({"name": key, "type": 5, "value": value})
            elif isinstance(value, int):
                rendered.append({"name": key, "type": 4, "value": value})
            elif isinstance(value, float):
                rendered.append({"name": key, "type": 10, "value": value})
            else:
                rendered.append({"name": key, "type": 3, "value": value})
        command = next((c for c in self.commands if c["name"] == name), None)
        data = {
            "id": command["id"] if command else str(self.snowflake()),
            "name": name,
            "type": 1,
            "options": rendered,
            "resolved": resolved,
        }
        if guild_id is not None:
            data["guild_id"] = str(guild_id)
        return await self.interact(
            data, guild_id=guild_id, channel_id=channel_id, user_id=user_id, **kwargs
        )

    async def click(
        self, message: dict, custom_id: str, *, guild_id: int | None, user_id: int, **kwargs
    ) -> int:
        """A member clicks the button `custom_id` of a message the bot sent."""
        data = {"custom_id": custom_id, "component_type": 2}
        channel_id = int(message["channel_id"])
        return await self.interact(
            data,
            guild_id=guild_id,
            channel_id=channel_id,
            user_id=user_id,
            interaction_type=3,
            message=message,
            **kwargs,
        )

    def _channel(self, channel_id: int) -> dict:
        guild = self.guilds[self.channel_guild[channel_id]]
        return next(c for c in guild["channels"] if int(c["id"]) == channel_id)

    def answers(self, interaction_id: int) -> list[str]:
        """Everything the bot answered to an interaction: callback and follow-up contents."""
        texts = []
        for body in self.callbacks.get(interaction_id, []):
            content = (body.get("data") or {}).get("content")
            if content:
                texts.append(content)
        for body in self.followups.get(self.tokens.get(interaction_id, ""), []):
            if body.get("content"):
                texts.append(body["content"])
        return texts

    def answered(self, interaction_id: int, count: int = 1) -> list[str] | None:
        texts = self.answers(interaction_id)
        return texts if len(texts) >= count else None

    def puts_on(self, channel_id: int, message_id: int) -> list[str]:
        return [e for c, m, e in self.reaction_puts if (c, m) == (channel_id, message_id)]

    # -- the gateway -----------------------------------------------------------------------

    async def gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)

        # discord.py asks for compress=zlib-stream but reads plain text frames as they are.
        async def send(payload: dict) -> None:
            await ws.send_str(json.dumps(payload))

        await send({"op": 10, "d": {"heartbeat_interval": 41_250}})
        try:
            async for message in ws:
                if message.type != WSMsgType.TEXT:
                    continue
                frame = json.loads(message.data)
                op = frame.get("op")
                if op == 1:
                    await send({"op": 11})
                elif op == 2:
                    if frame["d"]["token"] != TOKEN:
                        await ws.close(code=4004, message=b"Authentication failed.")
                        break
                    self.identifies += 1
                    await self._ready(send)
                    self.sockets.append(ws)
                elif op == 6:
                    self.resumes += 1
                    if self.allow_resume:
                        self._seq += 1
                        await send({"op": 0, "t": "RESUMED", "s": self._seq, "d": {}})
                        self.sockets.append(ws)
                    else:
                        await send({"op": 9, "d": False})
        finally:
            if ws in self.sockets:
                self.sockets.remove(ws)
        return ws

    async def _ready(self, send) -> None:
        self._seq += 1
        await send(
            {
                "op": 0,
                "t": "READY",
                "s": self._seq,
                "d": {
                    "v": 10,
                    "user": user(BOT_ID, "ReviewBot", bot=True),
                    "guilds": [{"id": str(g), "unavailable": True} for g in self.guilds],
                    "session_id": f"session-{next(self._ids)}",
                    "resume_gateway_url": self.gateway_url,
                    "application": {"id": str(APP_ID), "flags": 0},
                    "private_channels": [],
                },
            }
        )
        for guild in self.guilds.values():
            self._seq += 1
            data = {k: v for k, v in guild.items() if k not in ("bot_role", "role_ids")}
            await send({"op": 0, "t": "GUILD_CREATE", "s": self._seq, "d": data})

    async def drop_connections(self) -> None:
        """The network breaks: every gateway connection closes (the bot reconnects)."""
        for ws in list(self.sockets):
            self.sockets.remove(ws)
            await ws.close(code=4000, message=b"dropped by the test")

    # -- REST ------------------------------------------------------------------------------

    async def rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["path"]
        self.requests.append((request.method, path))
        if request.headers.get("Authorization") not in (f"Bot {TOKEN}", None):
            return error(401, 0, "401: Unauthorized")
        try:
            response = await self._route(request, path.split("/")[1:])
            if self.rate_limit:
                response.headers.update(
                    {
                        "X-RateLimit-Limit": str(self.rate_limit),
                        "X-RateLimit-Remaining": str(self.rate_limit - 1),
                        "X-RateLimit-Reset-After": "1.0",
                        "X-RateLimit-Bucket": "fake-" + "-".join(path.split("/")[1:3]),
                    }
                )
            return response
        finally:
            await self._notify()

    async def _body(self, request: web.Request) -> dict | list:
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            body = json.loads(form["payload_json"])
            files = [field.file.read() for key, field in form.items() if key.startswith("files")]
            body["_files"] = files
            return body
        if request.can_read_body:
            return await request.json()
        return {}

    def _bot_message(self, channel_id: int, body: dict) -> dict:
        message = {
            "id": str(self.snowflake()),
            "channel_id": str(channel_id),
            "author": user(BOT_ID, "ReviewBot", bot=True),
            "content": body.get("content") or "",
            "timestamp": now_iso(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": body.get("embeds") or [],
            "pinned": False,
            "type": 19 if body.get("message_reference") else 0,
            "flags": body.get("flags", 0),
            "components": body.get("components") or [],
        }
        if channel_id in self.channel_guild:
            message["guild_id"] = str(self.channel_guild[channel_id])
        return message

    async def _route(self, request: web.Request, parts: list[str]) -> web.Response:
        method = request.method
        match parts:
            case ["users", "@me"]:
                return json_response(user(BOT_ID, "ReviewBot", bot=True))
            case ["oauth2", "applications", "@me"]:
                return json_response(
                    {
                        "id": str(APP_ID),
                        "name": "ReviewBot",
                        "description": "",
                        "icon": None,
                        "bot_public": True,
                        "bot_require_code_grant": False,
                        "owner": user(1, "owner"),
                        "verify_key": "0" * 64,
                        "flags": 0,
                    }
                )
            case ["gateway"] | ["gateway", "bot"]:
                return json_response(
                    {
                        "url": self.gateway_url,
                        "shards": 1,
                        "session_start_limit": {
                            "total": 1000,
                            "remaining": 1000,
                            "reset_after": 0,
                            "max_concurrency": 1,
                        },
                    }
                )
            case ["applications", _, "commands"] if method == "PUT" and self.refuse_commands:
                return error(404, 0, "404: Not Found")
            case ["applications", _, "commands"] if method == "PUT":
                body = await self._body(request)
                self.commands = [
                    {
                        **command,
                        "id": str(self.snowflake()),
                        "application_id": str(APP_ID),
                        "version": "1",
                        "default_member_permissions": None,
                        "type": command.get("type", 1),
                    }
                    for command in body
                ]
                return json_response(self.commands)
            case ["channels", channel, "messages", message, "reactions", emoji, "@me"]:
                channel_id, message_id = int(channel), int(message)
                if channel_id in self.forbidden_channels:
                    return error(403, 50013, "Missing Permissions")
                if message_id not in self.messages[channel_id]:
                    return error(404, 10008, "Unknown Message")
                if method == "PUT":
                    self.reaction_puts.append((channel_id, message_id, emoji))
                    self.first_put_at.setdefault(
                        (channel_id, message_id), asyncio.get_running_loop().time()
                    )
                    self.reactions[(channel_id, message_id)].add(emoji)
                else:
                    self.reaction_deletes.append((channel_id, message_id, emoji))
                    self.reactions[(channel_id, message_id)].discard(emoji)
                return web.Response(status=204)
            case ["channels", channel, "messages"] if method == "GET":
                return self._history(int(channel), request.query)
            case ["channels", channel, "messages"] if method == "POST":
                channel_id = int(channel)
                if channel_id in self.forbidden_channels:
                    return error(403, 50013, "Missing Permissions")
                body = await self._body(request)
                message = self._bot_message(channel_id, body)
                self.messages[channel_id][int(message["id"])] = message
                self.sent.append(body | {"channel_id": channel_id, "id": int(message["id"])})
                return json_response(message)
            case ["channels", channel, "messages", message] if method == "PATCH":
                stored = self.messages[int(channel)].get(int(message))
                if stored is None:
                    return error(404, 10008, "Unknown Message")
                body = await self._body(request)
                stored.update({k: v for k, v in body.items() if k in ("content", "embeds")})
                self.edited.append(body | {"id": int(message)})
                return json_response(stored)
            case ["channels", channel, "messages", message] if method == "DELETE":
                if int(message) not in self.messages[int(channel)]:
                    return error(404, 10008, "Unknown Message")
                self.messages[int(channel)].pop(int(message))
                self.deleted.append((int(channel), int(message)))
                return web.Response(status=204)
            case ["guilds", guild, "members", member]:
                found = self.members.get((int(guild), int(member)))
                return json_response(found) if found else error(404, 10007, "Unknown Member")
            case ["interactions", interaction, token, "callback"]:
                body = await self._body(request)
                self.callbacks[int(interaction)].append(body)
                if body.get("_files"):
                    self.files[token] += body["_files"]
                data = body.get("data") or {}
                return json_response(
                    {
                        "interaction": {
                            "id": interaction,
                            "type": 2,
                            "response_message_loading": body["type"] == 5,
                            "response_message_ephemeral": bool(data.get("flags", 0) & 64),
                        },
                        "resource": {"type": body["type"]},
                    }
                )
            case ["webhooks", _, token] if method == "POST":
                body = await self._body(request)
                self.followups[token].append(body)
                if body.get("_files"):
                    self.files[token] += body["_files"]
                return json_response(self._bot_message(self.snowflake(), body))
            case ["webhooks", _, token, "messages", _] if method in ("PATCH", "GET"):
                body = await self._body(request) if method == "PATCH" else {}
                if method == "PATCH":
                    self.followups[token].append(body)
                return json_response(self._bot_message(self.snowflake(), body))
        return error(404, 0, f"404: Not Found ({method} /{'/'.join(parts)})")

    def _history(self, channel_id: int, query) -> web.Response:
        """GET /channels/{id}/messages: newest first, like Discord, `limit` (default 50) of
        those after `after` (the oldest ones after it) or before `before`."""
        limit = int(query.get("limit", 50))
        ids = sorted(self.messages[channel_id])
        if "after" in query:
            ids = [i for i in ids if i > int(query["after"])][:limit]
        elif "before" in query:
            ids = [i for i in ids if i < int(query["before"])][-limit:]
        else:
            ids = ids[-limit:]
        return json_response([self.messages[channel_id][i] for i in reversed(ids)])
