"""Provenance names the versions of the packages a result asks for, and says which are missing."""

from importlib import metadata

from baselines.experiments.provenance import provenance


def test_provenance_adds_the_extra_packages_versions_and_marks_missing_ones_absent():
    made_by = provenance(extra=("rejax", "no-such-package"))
    assert made_by["versions"]["rejax"] == metadata.version("rejax")
    assert made_by["versions"]["no-such-package"] == "absent"
    assert made_by["versions"]["jax"] == metadata.version("jax")
