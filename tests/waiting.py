"""Waiting, in tests, for what another thread or process does in its own time."""

import asyncio
import time


def wait_until(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


async def until(condition, timeout: float = 60.0, what: str = "") -> None:
    """In a test's event loop: until `condition()` holds, polling every 20 ms."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        await asyncio.sleep(0.02)


def running(pid: int) -> bool:
    """Whether process `pid` exists and has not exited (a zombie has) (Linux /proc)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
