"""The vendored contract schemas, shipped in the wheel as package data (see README.md here)."""
