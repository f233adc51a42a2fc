"""schemathesis as a second engine: our contract as OpenAPI, our checks inside schemathesis.

A consumer of the runner, like the CLI (docs/ARCHITECTURE.md). Importing this
package does not load schemathesis; `conformance.fuzz.engine` and
`conformance.fuzz.hooks` do.
"""

from __future__ import annotations
