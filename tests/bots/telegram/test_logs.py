"""The bot token never appears in a log line: httpx logs request URLs (which contain it), and
errors can carry them too."""

import logging

from bots.telegram.logs import REDACTED, TokenRedaction
from tests.bots.telegram.conftest import BOB, TOKEN


async def test_no_log_line_of_a_whole_conversation_holds_the_token(
    fake, running_bot, serving_worker, caplog
):
    caplog.set_level(logging.DEBUG)
    with serving_worker():
        async with running_bot():
            fake.flood_next = 1
            await fake.answer_to(fake.message(BOB, "/review a gripping film"))
            fake.fail_next = 1
            await fake.answer_to(fake.message(BOB, "/help"))
            fake.blocked.add(BOB.id)
            fake.message(BOB, "/review and another one")
            await fake.confirmed()
    assert len(caplog.records) > 50  # DEBUG: every Bot API call PTB made was logged
    assert any("getUpdates" in record.getMessage() for record in caplog.records)
    for record in caplog.records:
        assert TOKEN not in record.getMessage()
        assert TOKEN not in (record.exc_text or "")
    assert TOKEN not in caplog.text


def test_redaction_covers_arguments_and_tracebacks(caplog):
    caplog.set_level(logging.DEBUG)
    log = logging.getLogger("some.library")
    with TokenRedaction(TOKEN):
        log.info("POST %s", f"https://api.telegram.org/bot{TOKEN}/getMe")
        try:
            raise ValueError(f"failed: https://api.telegram.org/bot{TOKEN}/sendMessage")
        except ValueError:
            log.exception("request failed")
    log.info("after: %s", TOKEN)  # outside the bot's lifetime nothing is changed
    first, second, after = caplog.records
    assert first.getMessage() == f"POST https://api.telegram.org/bot{REDACTED}/getMe"
    assert TOKEN not in second.exc_text and REDACTED in second.exc_text
    assert TOKEN in after.getMessage()
