class DataError(ValueError):
    """Data that cannot be used for training or evaluation; the message says why and where."""
