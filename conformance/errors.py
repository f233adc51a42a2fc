"""The toolkit's exceptions.

Every exception the toolkit raises on purpose derives from one base::

    ConformanceError
    ├── ContractError        the vendored schemas are missing or malformed
    ├── UsageError           a user's option, argument or config value is wrong
    │   └── CheckpointError  a model directory is not a checkpoint the server can load
    ├── TargetError          the implementation under test cannot be tested at all
    └── JSONReadError        bytes that are not JSON this toolkit can hold (also a ValueError)

Check failures are not exceptions of this tree: a check raises
`conformance.checks.CheckFailure`, which the runner records as a result.
"""

from __future__ import annotations

from collections.abc import Callable

NO_VALUE: object = object()
"""A `UsageError` about an option without a value (a flag, or one that is missing)."""


def cli_flag(name: str) -> str:
    """The command line's flag for an option name: ``"account_id"`` is ``--account-id``."""
    return "--" + name.replace("_", "-")


class ConformanceError(Exception):
    """Base class of every error the toolkit raises deliberately."""


class ContractError(ConformanceError):
    """A vendored schema could not be loaded or compiled."""


class UsageError(ConformanceError):
    """A user-supplied option or configuration value is invalid.

    The message names the option and the value, and says what is accepted:
    ``--profile='fast' is not one of smoke, standard, full``. Raised with a
    ``field`` (the option's name in `conformance.options`), the value and the
    problem, it is structured, so each front end words it with its own names;
    ``str()`` words it as the command line does::

        >>> error = UsageError("is not one of smoke, standard, full", field="profile", value="fast")
        >>> str(error)
        "--profile='fast' is not one of smoke, standard, full"
        >>> error.worded(lambda name: "--conformance-" + name.replace("_", "-"))
        "--conformance-profile='fast' is not one of smoke, standard, full"

    ``{name}`` in the problem stands for another option, for each name in
    ``mentions``: ``"is not an account id: pass {account_id}"``.
    """

    def __init__(
        self,
        problem: str,
        *,
        field: str | None = None,
        value: object = NO_VALUE,
        mentions: tuple[str, ...] = (),
    ) -> None:
        self.problem, self.field, self.value, self.mentions = problem, field, value, mentions
        super().__init__(self.worded(cli_flag))

    def worded(self, label: Callable[[str], str]) -> str:
        """The message with every option named by ``label`` (an option's name to what the user typed)."""
        text = self.problem
        for name in self.mentions:
            text = text.replace("{" + name + "}", label(name))
        if self.field is None:
            return text
        shown = label(self.field) if self.value is NO_VALUE else f"{label(self.field)}={self.value!r}"
        return f"{shown} {text}"


class CheckpointError(UsageError):
    """A model directory is not a checkpoint, or one of a kind the reference server cannot load.

    The message says what is missing or unsupported; the CLI prefixes the
    option: ``--model-path='/models/x': it has no config.json.``
    """


class TargetError(ConformanceError):
    """The implementation under test could not be tested at all (unreachable, auth refused)."""


class JSONReadError(ConformanceError, ValueError):
    """Bytes that are not JSON, or JSON too deep or with numbers too large to hold safely.

    A ValueError too, so code that treats "not JSON" as a ValueError keeps working.
    Raised by `conformance.contract.bounded_json.read_json`.
    """
