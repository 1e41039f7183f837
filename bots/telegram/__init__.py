"""The Telegram bot: `/review` for everyone, each review answered exactly once.

`reviewbot telegram` runs one process: python-telegram-bot's Application with this package's
handlers, an intake that confirms updates to Telegram only once their reviews are on the review
stream, and a reply consumer that turns verdicts into Telegram messages. See docs/bots.md.
"""
