"""The one exception type users see as a one-line message."""


class LivecueError(Exception):
    """A problem with the user's input or machine, reported as one line.

    ``exit_code`` follows sysexits loosely: 2 usage/input, 3 model, 4 device.
    """

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def import_problem(module: str, package: str, exc: ImportError) -> str:
    """Say what failed: the package itself missing, or one of its own imports."""
    missing = getattr(exc, "name", None)
    if missing == module:
        return f"{package} is not installed: pip install {package}"
    return f"{package} is installed but cannot be imported: {type(exc).__name__}: {exc}"
