"""The runner: drives cases through transport into checks and emits events."""
