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


class ConformanceError(Exception):
    """Base class of every error the toolkit raises deliberately."""


class ContractError(ConformanceError):
    """A vendored schema could not be loaded or compiled."""


class UsageError(ConformanceError):
    """A user-supplied option or configuration value is invalid.

    The message names the option and the value, and says what is accepted:
    ``--profile='fast' is not one of smoke, standard, full``.
    """


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
