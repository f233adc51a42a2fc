"""Checks: named properties judged on finished exchanges."""
