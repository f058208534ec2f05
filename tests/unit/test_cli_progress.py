"""`localshelf demo load` progress: a bar redrawn in place on a real terminal (a pty), plain lines elsewhere."""

from __future__ import annotations

import io
import os
import pty
import select

from localshelf.cli import progress_printer


def _report(progress: object) -> None:
    assert callable(progress)
    for done in (2000, 4000, 4000, 5000):  # a repeated count draws nothing
        progress("in_store_offers", done, 5000)


def _read_until(fd: int, end: bytes) -> str:
    """What the terminal received: a pty hands the written bytes over in pieces."""
    received = b""
    while not received.endswith(end):
        ready, _, _ = select.select([fd], [], [], 10)
        assert ready, f"the terminal received only {received!r}"
        received += os.read(fd, 4096)
    return received.decode()


def test_on_a_terminal_the_bar_is_redrawn_in_place_and_ends_the_line() -> None:
    controller, terminal = pty.openpty()
    try:
        with os.fdopen(terminal, "w", closefd=False) as stream:
            _report(progress_printer(stream, width=10))
        drawn = _read_until(controller, b"5000/5000\r\n")
    finally:
        os.close(controller)
        os.close(terminal)
    assert drawn.endswith("\r\n")  # the line ends once the table is done (the pty writes "\n" as "\r\n")
    frames = drawn.removesuffix("\r\n").split("\r")[1:]
    assert [frame.split("] ")[1] for frame in frames] == ["2000/5000", "4000/5000", "5000/5000"]
    assert "[####......]" in frames[0] and "[##########]" in frames[-1]


def test_off_a_terminal_each_report_is_one_plain_line() -> None:
    stream = io.StringIO()
    _report(progress_printer(stream))
    assert stream.getvalue().splitlines() == [
        "  in_store_offers: 2000/5000",
        "  in_store_offers: 4000/5000",
        "  in_store_offers: 5000/5000",
    ]
    assert "\r" not in stream.getvalue()
