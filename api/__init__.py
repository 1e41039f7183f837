"""The HTTP API and its web page (`reviewbot api`): reviews through the same stream, workers,
history and feedback as the bots; no model, no torch in this process."""
