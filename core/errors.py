"""Errors that stop the program with one clear line instead of a traceback."""


class StartupError(Exception):
    """Something in the configuration or environment prevents start-up.

    The CLI prints ``str(error)`` as a single line and exits with ``exit_status``.
    """

    exit_status = 2

    def __init__(self, message: str, exit_status: int = 2):
        super().__init__(message)
        self.exit_status = exit_status


class HookFailed(Exception):
    """A plugin's hook raised where the host was asked to fail closed (a rule that could
    not be checked must refuse, not allow). ``plugin`` and ``hook`` name it."""

    def __init__(self, plugin: str, hook: str, answers: list | None = None):
        super().__init__(f"plugin {plugin}: hook {hook} failed")
        self.plugin = plugin
        self.hook = hook
        #: What the plugins before it answered (a refusal given first still wins).
        self.answers = answers or []
