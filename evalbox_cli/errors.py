"""Exit codes of the ``evalbox`` command and the one error type that carries them."""

from __future__ import annotations

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_HTTP, EXIT_NETWORK, EXIT_WAIT_TIMEOUT, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 5, 130


class CliError(Exception):
    """A problem to print (one line, no traceback) and the exit code that goes with it."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code
