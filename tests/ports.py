"""A TCP port free on 127.0.0.1 at the time of asking, for a server a test starts."""

import socket


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
