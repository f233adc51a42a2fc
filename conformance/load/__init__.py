"""``conformance load``'s engine: the contract checked on every exchange under load, on Locust.

Simulated users (`user`) draw requests from the catalogue in a seeded mix
(`mix`), send them on a gevent-friendly client that feeds the SSE decoder as
bytes arrive (`wire`), judge every exchange with the same checks as
`conformance run`, a few sampled on streams (`judging`), and report each
check's outcome to Locust as a request event beside the figures Locust does
not keep (`observe`, `figures`). Locust runs in child processes only
(`engine` starts them, `process` is their entry point), as a local runner,
a master with workers on several machines, or ``--processes N`` workers
here. `gates` decides the verdict; `section` turns the outcome into the run
result every report writer reads. See docs/load.md.

Importing this package imports neither Locust nor gevent: only `user` and
`process` do, inside the Locust processes.
"""
