"""`conformance schemas list` and `diff`, and schemas/README.md showing the diff as it is printed."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from conformance.cli import main

README = Path(__file__).parents[2] / "schemas" / "README.md"


def invoke(*args: str) -> tuple[int, str]:
    outcome = CliRunner().invoke(main, ["schemas", *args])
    return outcome.exit_code, outcome.output


def test_list_names_every_version_its_date_and_where_it_was_published() -> None:
    code, output = invoke("list")
    assert code == 0, output
    lines = output.splitlines()
    assert lines[0] == "page-2024 (default)  until 2024-11-07"
    assert "docs-2025-01  from 2025-01-28" in lines
    assert "at commit 1db3529d0198 (before 2024-11-07)" in output
    assert "at commit a7f17ac14f8d (after 2025-01-28)" in output
    source = "cloudflare/cloudflare-docs src/content/workers-ai-models/llama-2-13b-chat-awq.json"
    assert output.count(source) == 2


def test_diff_says_what_changed_in_words_then_by_pointer() -> None:
    code, output = invoke("diff", "page-2024", "docs-2025-01")
    assert code == 0, output
    assert output.splitlines()[:3] == [
        "page-2024 -> docs-2025-01",
        "input: `image` removed from both branches (Prompt, Messages)",
        "output: `usage` added to the object branch, not required "
        "(type object; properties prompt_tokens, completion_tokens, total_tokens)",
    ]
    assert "  output added    /oneOf/0/properties/usage" in output.splitlines()


def test_the_readme_shows_the_diff_as_the_command_prints_it() -> None:
    _, output = invoke("diff", "page-2024", "docs-2025-01")
    shown = "$ conformance schemas diff page-2024 docs-2025-01\n" + output + "```"
    assert shown in README.read_text(encoding="utf-8")


def test_a_version_against_itself_has_no_differences() -> None:
    assert invoke("diff", "docs-2025-01", "docs-2025-01") == (
        0,
        "docs-2025-01 -> docs-2025-01: no differences in the input or output schema\n",
    )


def test_an_unknown_version_is_a_usage_error_naming_the_choices() -> None:
    code, output = invoke("diff", "page-2024", "2026")
    assert code == 2
    assert "Invalid value for 'NEW': '2026' is not one of 'page-2024', 'docs-2025-01'" in output
