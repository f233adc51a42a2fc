"""The one `Target` every front end names, and the one rule for the token in the environment."""

from __future__ import annotations

import pytest

from conformance.runner import RunConfig
from conformance.transport import PLANNING_URL, Client, Target, token_from_environment


def test_the_run_url_is_built_in_one_place() -> None:
    target = Target("http://127.0.0.1:8787/client/v4/", "acct", "@cf/meta/x")
    assert target.run_url == "http://127.0.0.1:8787/client/v4/accounts/acct/ai/run/@cf/meta/x"
    assert target.run_url_path == "/client/v4/accounts/acct/ai/run/@cf/meta/x"
    assert Client.for_target(target).url == target.run_url


def test_the_token_comes_from_the_named_variable_or_the_two_defaults_in_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("CLOUDFLARE_API_TOKEN", "CLOUDFLARE_AUTH_TOKEN", "MINE"):
        monkeypatch.delenv(name, raising=False)
    assert token_from_environment(None) is None
    monkeypatch.setenv("CLOUDFLARE_AUTH_TOKEN", "auth")
    assert token_from_environment(None) == "auth"
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "api")
    assert token_from_environment(None) == "api"
    assert token_from_environment("MINE") is None  # a named variable has no fallback
    monkeypatch.setenv("MINE", "")
    assert token_from_environment("MINE") is None  # empty counts as unset
    monkeypatch.setenv("MINE", "mine")
    assert token_from_environment("MINE") == "mine"


def test_the_embedded_server_stands_at_the_planning_url_until_it_runs() -> None:
    waiting = Target.embedded_server()
    assert (waiting.base_url, waiting.account_id, waiting.token, waiting.embedded) == (
        PLANNING_URL,
        "embedded",
        None,
        True,
    )
    running = waiting.served_at("http://127.0.0.1:5/client/v4", "t0k")
    assert running.embedded and running.token == "t0k" and running.account_id == "embedded"


def test_the_token_is_never_in_the_repr_or_the_results_facts() -> None:
    target = Target("http://127.0.0.1:8787/client/v4", "X", token="s3cret")
    assert "s3cret" not in repr(target) and "s3cret" not in str(target.to_json())
    assert target.to_json()["auth"] == "bearer"


def test_a_run_config_takes_a_target_and_gives_it_back() -> None:
    target = Target("http://127.0.0.1:8787/client/v4", "X", token="t", embedded=True)
    config = RunConfig.for_target(target, profile="smoke")
    assert config.target == target and config.profile == "smoke"


def test_a_token_outside_ascii_is_a_usage_error_naming_the_variable_not_the_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from conformance.errors import UsageError

    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "tökén")
    with pytest.raises(UsageError) as error:
        token_from_environment(None)
    assert str(error.value).startswith("--token-env='CLOUDFLARE_API_TOKEN' holds a token with a character")
    assert "tökén" not in str(error.value)
    monkeypatch.setenv("MY_TOKEN", "ok-token")
    assert token_from_environment("MY_TOKEN") == "ok-token"  # the named variable wins, ASCII passes
