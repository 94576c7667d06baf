"""The LICENSE file is the Apache License 2.0 that pyproject.toml declares, word for word."""

import hashlib
import tomllib
from pathlib import Path

ROOT = Path(__file__).parents[2]
# SHA-256 of the Apache Software Foundation's LICENSE-2.0.txt, the form projects copy unchanged.
APACHE_2_0_SHA256 = "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30"


def test_license_file_is_the_unmodified_apache_2_0_text():
    assert hashlib.sha256((ROOT / "LICENSE").read_bytes()).hexdigest() == APACHE_2_0_SHA256


def test_pyproject_declares_the_license_and_its_file():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "Apache-2.0"
    assert project["license-files"] == ["LICENSE"]
