"""Settings shared by the front-ends (prefix REVIEWBOT_FRONTEND_): how they consume their reply
streams. Each front-end's own settings (tokens, ports, rate limits) live in its room."""

from pydantic import Field
from pydantic_settings import BaseSettings

from reviewbot.settings import room_config


class FrontendSettings(BaseSettings):
    model_config = room_config("REVIEWBOT_FRONTEND_")

    #: How long one blocking read of a reply stream waits (also how often stop is checked).
    reply_block_ms: int = Field(1000, ge=1)
    #: Replies a crashed front-end left pending this long are taken over by another consumer
    #: (or by the same one after a restart). Longer than the slowest platform call with its
    #: rate-limit retries, so a slow send is not sent twice.
    reply_claim_idle_ms: int = Field(30_000, ge=100)
    #: Attempts after which a reply the platform keeps failing goes to the dead-letter stream.
    reply_max_deliveries: int = Field(5, ge=1)
    #: Where replies go that could not be delivered (refused for good, or failing too often).
    reply_dead_letter_stream: str = "reviewbot:replies:dead"
    #: Replies handled at once by one consumer (the platform's rate limiter paces them).
    reply_concurrency: int = Field(32, ge=1)
    #: Seconds a "this review was answered" marker lives: a reply redelivered within it is
    #: acked without being sent again.
    reply_sent_ttl_s: int = Field(86_400, ge=1)
