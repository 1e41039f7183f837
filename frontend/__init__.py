"""What every front-end (console, Telegram, Discord, HTTP API) uses to reach the workers.

Importable without torch, transformers, SQLAlchemy or the worker's server modules (a test
checks): the client that submits reviews and waits for verdicts (`frontend.client`), the
reply-stream consumer that hands verdicts to a front-end (`frontend.replies`), what a verdict
means to a person in English and Spanish (`frontend.texts`), and the console and the demo.
The key layout, the validation rules and the Redis connection live in `reviewbot/` because
the workers share them.
"""
