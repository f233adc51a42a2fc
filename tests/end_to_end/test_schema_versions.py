"""--schema-version end to end: a server built on one version is judged by the version a user names.

Targets are loopback servers: the fake server serving the later version
(refuses `image`) or the page's (reports no usage), and servers that answer
as Cloudflare does for a retired or unknown model.
"""

from __future__ import annotations

import hashlib
import json
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conformance.cli import main
from conformance.contract import MODEL, read_bytes, schema_version
from conformance.runner import RunConfig, RunFinished, run
from conformance.transport import Exchange
from support import processes
from support.fake_server import RETIRED_MESSAGE, fake_server
from support.samples import TOKEN

conformance = partial(processes.conformance, token=TOKEN)


def run_smoke(url: str, folder: str, *extra: str) -> list[str]:
    return ["run", "--base-url", url, "--account-id", "X", "--profile", "smoke", "--seed", "5",
            "--report-dir", folder, *extra]  # fmt: skip


def results(path: Path) -> Any:
    return json.loads((path / "results.json").read_text(encoding="utf-8"))


def test_a_server_of_the_later_version_fails_the_pages_and_passes_its_own(tmp_path: Path) -> None:
    with fake_server({"serves_docs_2025_01"}, token=TOKEN) as url:
        page = conformance(*run_smoke(url, "page"), cwd=tmp_path)
        later = conformance(*run_smoke(url, "later", "--schema-version", "docs-2025-01"), cwd=tmp_path)
    assert page.returncode == 1, page.stdout + page.stderr
    failed = results(tmp_path / "page")["checks"]
    status = next(c for c in failed if c["id"] == "status_code_conformance")
    bodies = {c["id"]: c["exchanges"][0]["request"]["body"] for c in results(tmp_path / "page")["cases"]}
    assert status["failures"] and all("image" in bodies[f["case_id"]] for f in status["failures"])
    assert {c["id"] for c in failed if c["status"] == "failed"} == {"status_code_conformance"}

    assert later.returncode == 0, later.stdout + later.stderr
    assert "schema version docs-2025-01" in later.stderr
    document = results(tmp_path / "later")
    assert not [c["id"] for c in document["cases"] if "image" in (c["exchanges"][0]["request"]["body"] or {})]
    version = schema_version("docs-2025-01")
    assert document["toolkit"]["schema_version"] == "docs-2025-01"
    assert document["toolkit"]["schemas"] == {
        "input.json": hashlib.sha256(read_bytes(version.input_file)).hexdigest(),
        "output.json": hashlib.sha256(read_bytes(version.output_file)).hexdigest(),
    }
    assert results(tmp_path / "page")["toolkit"]["schema_version"] == "page-2024"


def test_a_server_of_the_pages_version_passes_it_and_misses_usage_under_the_later(tmp_path: Path) -> None:
    runner = CliRunner(env={"CLOUDFLARE_API_TOKEN": TOKEN})
    with fake_server({"omits_usage"}, token=TOKEN) as url:
        page = runner.invoke(main, run_smoke(url, str(tmp_path / "page"), "--strict"))
        later = runner.invoke(
            main, run_smoke(url, str(tmp_path / "later"), "--strict", "--schema-version", "docs-2025-01")
        )
    assert page.exit_code == 0, page.output
    assert later.exit_code == 1, later.output
    failed = [c for c in results(tmp_path / "later")["checks"] if c["status"] == "failed"]
    assert [c["id"] for c in failed] == ["usage_reported"]
    assert failed[0]["severity"] == "should"  # without --strict the run passes
    assert failed[0]["failures"][0]["message"].startswith("Received: a result without usage")


def test_an_unknown_schema_version_is_a_usage_error_naming_the_choices() -> None:
    for command in (["run", "--base-url", "http://127.0.0.1:9/client/v4", "--account-id", "X"],
                    ["cases"], ["openapi"]):  # fmt: skip
        outcome = CliRunner().invoke(main, [*command, "--schema-version", "2025"])
        assert outcome.exit_code == 2, outcome.output
        assert "--schema-version='2025' is not one of page-2024, docs-2025-01" in outcome.output


def test_cases_follow_the_chosen_version() -> None:
    def ids(*extra: str) -> list[str]:
        outcome = CliRunner().invoke(main, ["cases", "--kind", "boundary", "--format", "jsonl", *extra])
        assert outcome.exit_code == 0, outcome.output
        return [json.loads(line)["id"] for line in outcome.output.splitlines()]

    page, later = ids(), ids("--schema-version", "docs-2025-01")
    assert {i for i in page if "image" in i} == set(page) - set(later)
    assert "boundary/image-bytes" in page and "boundary/prompt-every-option" in later


def test_the_openapi_document_follows_the_chosen_version() -> None:
    outcome = CliRunner().invoke(main, ["openapi", "--schema-version", "docs-2025-01"])
    document = json.loads(outcome.output)
    schemas = document["components"]["schemas"]
    assert schemas["Input"] == schema_version("docs-2025-01").input_schema()
    assert "usage" in schemas["Result"]["properties"]
    assert "schema version docs-2025-01" in document["info"]["description"]
    default = json.loads(CliRunner().invoke(main, ["openapi"]).output)
    assert "image" in default["components"]["schemas"]["Input"]["oneOf"][0]["properties"]


def test_a_recording_replays_by_its_version_unless_told_another(tmp_path: Path) -> None:
    runner = CliRunner(env={"CLOUDFLARE_API_TOKEN": TOKEN})
    capture = tmp_path / "capture.jsonl"
    with fake_server({"omits_usage"}, token=TOKEN) as url:
        live = runner.invoke(
            main, [*run_smoke(url, str(tmp_path / "live"), "--strict"), "--record", str(capture)]
        )
    assert live.exit_code == 0, live.output
    assert json.loads(capture.read_text().splitlines()[0])["schema_version"] == "page-2024"
    same = runner.invoke(main, ["replay", str(capture), "--strict", "--report-dir", str(tmp_path / "same")])
    later = runner.invoke(
        main,
        ["replay", str(capture), "--strict", "--schema-version", "docs-2025-01",
         "--report-dir", str(tmp_path / "later")],
    )  # fmt: skip
    assert same.exit_code == 0 and later.exit_code == 1, same.output + later.output
    assert results(tmp_path / "later")["toolkit"]["schema_version"] == "docs-2025-01"


# A retired model: the run says so once, instead of failing every case.


def test_a_retired_model_ends_the_run_untestable_naming_cloudflares_error(tmp_path: Path) -> None:
    stats: dict[str, int] = {}
    with fake_server({"retired_model"}, token=TOKEN, stats=stats) as url:
        done = conformance(*run_smoke(url, "out"), cwd=tmp_path)
    assert done.returncode == 3, done.stdout + done.stderr
    document = results(tmp_path / "out")
    reason = document["reason"]
    assert document["verdict"] == "error" and document["exit_code"] == 3
    assert f"the target does not serve the model {MODEL}" in reason
    assert "400 with code 5028 (model deprecated)" in reason and RETIRED_MESSAGE in reason
    assert "deprecated" in done.stdout and "5028" in done.stdout
    assert stats["requests"] == 1 and document["cases"] == []  # the probe alone


def test_an_unknown_model_ends_the_run_untestable_naming_5007(tmp_path: Path) -> None:
    with fake_server(token=TOKEN) as url:  # serves only MODEL; others get 400/5007 as Cloudflare answers
        config = RunConfig(base_url=url, account_id="X", token=TOKEN, model="@cf/meta/retired-7b", seed=1)
        final = list(run(config))[-1]
    assert isinstance(final, RunFinished)
    result = final.result
    assert result.exit_code == 3 and result.reason is not None
    assert result.reason.startswith("the target does not serve the model @cf/meta/retired-7b")
    assert "400 with code 5007 (no such model or task), 'No such model or task'" in result.reason
    assert "Cloudflare deprecated" not in result.reason  # that sentence is about this toolkit's model


def _probe(status: int, body: object) -> Exchange:
    raw = json.dumps(body).encode()
    url = f"http://x/client/v4/accounts/X/ai/run/{MODEL}"
    return Exchange(
        "POST", url, {}, {}, status=status, headers={"content-type": "application/json"}, body=raw
    )


@pytest.mark.parametrize(
    ("status", "errors", "retired"),
    [
        (400, [{"code": 5028, "message": RETIRED_MESSAGE}], True),
        (400, [{"code": "5028", "message": "deprecated"}], True),  # a code sent as a string
        (410, [{"code": 9999, "message": "This model has been decommissioned"}], True),
        (400, [{"code": 5006, "message": "AiError: Bad input"}], False),
        (404, [{"code": 7003, "message": "No route for that URI"}], False),
        (500, [{"code": 5028, "message": RETIRED_MESSAGE}], False),  # not a refusal of the model
    ],
)
def test_only_a_refusal_of_the_model_is_read_as_retired(status: int, errors: object, retired: bool) -> None:
    from conformance.checks import RunFacts
    from conformance.runner import untestable_from_probe

    reason = untestable_from_probe(_probe(status, {"errors": errors, "success": False}), RunFacts().has_token)
    assert (reason is not None and "does not serve the model" in reason) is retired


@pytest.mark.slow  # loads the tiny model
def test_the_reference_server_answers_by_the_version_it_is_given() -> None:
    from conformance.generation import boundary_cases
    from conformance.server.app import create_app
    from conformance.server.embedded import serving
    from support.reference_server import tiny_engine

    chosen = [c for c in boundary_cases() if c.id in ("boundary/image-bytes", "boundary/prompt-minimal")]
    app = create_app(tiny_engine(), token=TOKEN, schema="docs-2025-01")
    outcomes = {}
    with serving(app) as origin:
        for version in ("page-2024", "docs-2025-01"):
            cases = tuple(c for c in chosen if version == "page-2024" or "image" not in c.body)
            config = RunConfig(
                base_url=origin + "/client/v4",
                account_id="X",
                token=TOKEN,
                seed=1,
                cases=cases,
                checks=("status_code_conformance", "result_conformance", "usage_reported"),
                schema_version=version,
            )
            final = list(run(config))[-1]
            assert isinstance(final, RunFinished)
            outcomes[version] = final.result
    page, later = outcomes["page-2024"], outcomes["docs-2025-01"]
    assert page.exit_code == 1 and [f.case_id for f in page.failures] == ["boundary/image-bytes"]
    assert later.exit_code == 0 and not later.failures  # usage is reported, image never sent


def test_serve_refuses_an_unknown_version_before_loading_anything() -> None:
    outcome = CliRunner().invoke(main, ["serve", "--port", "0", "--schema-version", "2025"])
    assert outcome.exit_code == 2 and "--schema-version='2025' is not one of" in outcome.output
