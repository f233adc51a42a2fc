"""``conformance diff``: an implementation side by side with a reference, disagreements beyond its noise.

`facts` says what is compared of each exchange, `noise` the rule that
discounts what varies on its own, `compare` one case side by side, `verdict`
which differences fail the run, `capture` a reference recorded once, and
`engine` drives the runner for every side. See docs/diff.md.
"""

from __future__ import annotations

from conformance.diff.capture import Capture
from conformance.diff.engine import LiveReference, Reference, diff
from conformance.diff.verdict import DiffSettings
from conformance.runner.differences import DIFFERENCE_CLASSES

__all__ = ["DIFFERENCE_CLASSES", "Capture", "DiffSettings", "LiveReference", "Reference", "diff"]
