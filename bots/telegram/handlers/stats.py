"""/stats for the configured admin ids: reviews today and in 7 days, positive rate, backlog,
median time to answer, model version and threshold. Everyone else gets a polite refusal."""

from telegram import Update
from telegram.ext import CommandHandler, ContextTypes

from bots.telegram.handlers.common import language, say, services
from frontend import texts
from reviewbot.messages import Language, UsageStats


def stats_text(stats: UsageStats, backlog: int, lang: Language) -> str:
    none = texts.sentence("no_data", lang)
    return texts.sentence(
        "stats",
        lang,
        today=stats.reviews_today,
        week=stats.reviews_7d,
        positive_rate=none if stats.positive_rate_7d is None else f"{stats.positive_rate_7d:.0%}",
        backlog=backlog,
        p50=none if stats.p50_answer_s is None else f"{stats.p50_answer_s:.1f} s",
        model=stats.model_version or none,
        threshold=none if stats.threshold is None else f"{stats.threshold:.2f}",
    )


async def stats_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    found = services(context)
    lang = language(update)
    if update.effective_user.id not in found.settings.admin_ids:
        await say(update.effective_message, texts.sentence("admin_only", lang))
        return
    stats = await found.in_store("usage_stats")
    # Acked reviews are deleted from the stream: its length is what waits or is in flight.
    backlog = await found.redis.xlen(found.stream_settings.stream)
    await say(update.effective_message, stats_text(stats, backlog, lang))


HANDLERS = [CommandHandler("stats", stats_command)]
