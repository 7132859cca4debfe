"""Errors that stop the program with one clear line instead of a traceback."""


class StartupError(Exception):
    """Something in the configuration or environment prevents start-up.

    The CLI prints ``str(error)`` as a single line and exits with ``exit_status``.
    """

    exit_status = 2

    def __init__(self, message: str, exit_status: int = 2):
        super().__init__(message)
        self.exit_status = exit_status
