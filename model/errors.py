class CheckpointError(ValueError):
    """A checkpoint folder that cannot be served; the message names the problem and the path."""
