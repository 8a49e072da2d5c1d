"""A chain-parsing worker process: `python -m gex_mcp.sources.parse_worker`.

It reads requests on stdin and answers on stdout, each one pickled message framed by
`multiprocessing.connection.Connection`: a request is a path (str), the answer is
`("ok", OptionChain)` or `("error", exception)`. It stops at end of input (its parent closed
the pipe or died), ignores SIGINT (Ctrl-C stops the parent, which stops it), and sends its
own stdout to stderr, so a stray print can never corrupt the answers.

A plain module run by `-m`, not `multiprocessing`: spawning with `multiprocessing` imports
the parent's main module again in the child, which runs the script of any caller that
lacks an `if __name__ == "__main__"` guard.
"""

from __future__ import annotations

import os
import signal
from multiprocessing.connection import Connection

from gex_mcp.errors import describe
from gex_mcp.parsing import load_chain_file


def serve(requests: Connection, answers: Connection) -> None:
    """Answer requests until end of input."""
    while True:
        try:
            path = requests.recv()
        except (EOFError, OSError):
            return
        try:
            answer = ("ok", load_chain_file(path))
        except Exception as exc:  # the parent re-raises it
            answer = ("error", exc)
        try:
            answers.send(answer)
        except OSError:  # the parent has gone
            return
        except Exception:  # the exception does not pickle: send its text
            answers.send(("error", RuntimeError(describe(answer[1]))))


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    requests = Connection(os.dup(0), writable=False)
    answers = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)  # print() from here on goes to stderr, never into the answers
    serve(requests, answers)


if __name__ == "__main__":
    main()
