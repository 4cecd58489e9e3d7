"""The run page's charts drawn to SVG in a process of their own, while the page goes on.

vl-convert draws in a JavaScript runtime that takes about 0.4 s of CPU to start and holds the
GIL while it starts and draws, so in the page's own process nothing else can run meanwhile. A
child process (this module run with `-m`; it imports vl-convert alone) starts its runtime as
soon as it is spawned, draws each Vega-Lite spec it is sent, in order, and writes one SVG per
line; the page loads its libraries, works out its frames and builds its tables on the other
core meanwhile, and turns each SVG into its PNG as it arrives. Only chart specs cross the pipe
(OFPs, codes, counts: never a record or an SSN); the page writes every file itself.
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

_DONE = object()


class Painter:
    """One child process drawing the page's charts: `paint` sends the specs (once), `svgs`
    gives their SVGs in order. `close` ends the child (killed if it is still drawing)."""

    def __init__(self) -> None:
        self._child = subprocess.Popen(
            [sys.executable, "-m", __name__], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE)
        self._drawn: queue.Queue[Any] = queue.Queue()
        self._talk: threading.Thread | None = None

    def paint(self, specs: list[dict]) -> None:
        """Send the specs; a thread writes them and reads the SVGs back, so that neither pipe
        waits on this process while it builds the rest of the page."""
        payload = json.dumps(specs).encode()
        self._talk = threading.Thread(target=self._exchange, args=(payload,), daemon=True)
        self._talk.start()

    def _exchange(self, payload: bytes) -> None:
        child = self._child
        assert child.stdin is not None and child.stdout is not None
        try:
            child.stdin.write(payload)
            child.stdin.close()
            for line in child.stdout:
                self._drawn.put(json.loads(line))
        except (OSError, ValueError) as err:  # the child died: `svgs` says why
            self._drawn.put(err)
        self._drawn.put(_DONE)

    def svgs(self, count: int) -> Iterator[str]:
        """The `count` SVGs in the order of the specs; an error names the child's own."""
        for _ in range(count):
            got = self._drawn.get()
            if isinstance(got, str):
                yield got
                continue
            child = self._child
            stderr = child.stderr.read().decode(errors="replace").strip() if child.stderr else ""
            child.wait()
            why = stderr.splitlines()[-1] if stderr else repr(got)
            raise RuntimeError(f"chart drawing failed (exit {child.returncode}): {why}")

    def close(self, kill: bool = True) -> None:
        """End the child: wait for it after its last SVG, kill it otherwise."""
        child = self._child
        if not kill:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                kill = True
        if kill and child.poll() is None:
            child.kill()
        child.wait()
        if self._talk is not None:
            self._talk.join()
        for pipe in (child.stdin, child.stdout, child.stderr):
            if pipe is not None and not pipe.closed:
                pipe.close()

    def __enter__(self) -> Painter:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        self.close(kill=kind is not None)


def main() -> None:
    """The child: start the runtime (the cheapest call that needs it), then draw what comes."""
    import vl_convert

    vl_convert.get_themes()
    for n, spec in enumerate(json.load(sys.stdin.buffer), start=1):
        try:
            svg = vl_convert.vegalite_to_svg(spec)
        except ValueError as err:  # vl-convert's message, then the JavaScript stack
            said = " ".join(str(err).splitlines()[:2])
            sys.exit(f"chart {n}: {said}")
        sys.stdout.write(json.dumps(svg) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
