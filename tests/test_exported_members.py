"""`conformance.__all__` lists exactly the public names the package exports."""

from __future__ import annotations

import conformance


def test_all_exports_exist_and_are_public() -> None:
    for name in conformance.__all__:
        assert hasattr(conformance, name), name
        assert not name.startswith("_")
    assert len(set(conformance.__all__)) == len(conformance.__all__)


def test_public_names_are_listed_in_all() -> None:
    public = {
        name
        for name, value in vars(conformance).items()
        if not name.startswith("_") and getattr(value, "__module__", "").startswith("conformance")
    }
    assert public <= set(conformance.__all__)
