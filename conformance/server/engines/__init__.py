"""Engines behind the reference server: one small interface, several implementations."""
