"""The self-contained HTML report: one file, no network, rendered from a results dict.

It reads only the results format (docs/results-format.md), never the runner,
so a stored or replayed results.json renders the same as a live run.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from markupsafe import Markup

from conformance.report import _fields as f
from conformance.report.charts import CLASS_COLOURS, OTHER_COLOUR, build_charts
from conformance.report.failures import collect_failures
from conformance.report.matrix import build_matrix
from conformance.report.results import load_results
from conformance.report.summary import report_summary

if TYPE_CHECKING:
    from conformance.report.differences import DifferencesView
    from conformance.report.load import LoadView

_TEMPLATES = resources.files("conformance.report") / "templates"


@functools.cache
def _environment() -> jinja2.Environment:
    # Autoescape everything: response bodies, headers and messages come from the target.
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(lambda name: (_TEMPLATES / name).read_text(encoding="utf-8")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        # Compiling the template takes longer than rendering it: jinja2 keeps the compiled
        # code in a per-user folder of the temporary directory, keyed by the template's source.
        bytecode_cache=_bytecode_cache(),
    )
    env.filters["script_json"] = script_json
    return env


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    try:
        return jinja2.FileSystemBytecodeCache()
    except OSError:  # no usable temporary directory: compile every time
        return None


def script_json(value: Any) -> Markup:
    """JSON safe inside a ``<script>`` element: no ``</script>``, ``<!--`` or line separators can break out.

    >>> script_json({"a": "</script>"})
    Markup('{"a": "\\\\u003c/script\\\\u003e"}')
    """
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    for raw, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(raw, escaped)
    return Markup(text)


def render_html(results: Mapping[str, Any]) -> str:
    """The report for one run as a complete HTML document::

        html = render_html(json.loads(Path("results.json").read_text()))
        "<html" in html  # True
    """
    failures = collect_failures(results)
    differences = _differences(results)
    summary = report_summary(
        results,
        new_failures=failures.new_count,
        baselined=failures.baselined_count,
        failing_cases=len(failures.new),
        disagreements=None if differences is None else differences.counted,
    )
    matrix = build_matrix(results, failures)
    # The filters act on new failures only; baselined cases sit in their own section.
    checks = sorted({check for card in failures.new for check in card.checks.split()})
    classes = sorted({card.case_class for card in failures.new})
    script = _read("report.js")
    data = {
        "format": f.text(results, "format"),
        "format_version": f.integer(results, "format_version"),
        "verdict": summary.verdict,
        "new_failures": summary.new_failures,
        "baselined": summary.baselined,
        "failing_cases": len(failures.new),
    }
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            summary=summary,
            matrix=matrix,
            failures=failures,
            differences=differences,
            charts=build_charts(results),
            load=_load(results),
            filter_checks=checks,
            filter_classes=classes,
            class_colours=CLASS_COLOURS,
            other_colour=OTHER_COLOUR,
            model=f.text(f.mapping(results, "target"), "model", "unknown model"),
            data=data,
            css=Markup(_read("report.css")),
            script=Markup(script),
            # The page runs only its own script: anything injected that escaping missed stays inert.
            script_hash="sha256-"
            + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode(),
        )
    )


def write_html_report(results: Mapping[str, Any], path: Path) -> Path:
    """Render the report and write it to ``path`` (parents created); return the path::

        write_html_report(results, Path("reports/latest/report.html"))  # the path, once written
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    # backslashreplace: a lone surrogate from a target's JSON cannot be encoded as UTF-8.
    path.write_text(render_html(results), encoding="utf-8", errors="backslashreplace")
    return path


def write_html_beside(results_json: Path, path: Path | None = None) -> Path:
    """Render the results.json at ``results_json`` into ``path`` (default: report.html beside it).

    The one way a run's HTML report is written, by every front end: from the
    results.json as written, so the report holds no more than that file (its
    values redacted, docs/runner.md "The token"), never from the run in memory::

        write_html_beside(Path("reports/latest/results.json"))  # PosixPath('reports/latest/report.html')
    """
    return write_html_report(load_results(results_json), path or results_json.with_name("report.html"))


# Only `conformance diff` and `conformance load` results have these sections: their views are
# imported when one is there, sparing every other run their import (a few ms of dataclasses).
def _differences(results: Mapping[str, Any]) -> DifferencesView | None:
    if not f.mapping(results, "differences"):
        return None
    from conformance.report.differences import build_differences

    return build_differences(results)


def _load(results: Mapping[str, Any]) -> LoadView | None:
    if not f.mapping(results, "load"):
        return None
    from conformance.report.load import build_load_view

    return build_load_view(results)


def _read(name: str) -> str:
    return (_TEMPLATES / name).read_text(encoding="utf-8")
