"""``conformance openapi``: print the run endpoint as an OpenAPI 3.1 document (schemas/openapi.json)."""

from __future__ import annotations

import click

from conformance.cli._options import options_for


@click.command()
@options_for("openapi")
def openapi(model: str, schema_version: str) -> None:
    """Print the OpenAPI 3.1 document of the run endpoint, generated from the vendored schemas.

    \b
    conformance openapi > schemas/openapi.json
    conformance openapi --schema-version docs-2025-01 > openapi-docs-2025-01.json
    st run schemas/openapi.json --url http://127.0.0.1:8787/client/v4 -H "Authorization: Bearer $TOKEN"
    """
    from conformance.contract.openapi import openapi_json

    if not model:
        raise click.BadParameter("--model='' is empty", param_hint="--model")
    click.echo(openapi_json(model, schema=schema_version), nl=False)
