"""Puts the top-level ``config/`` and ``systemd/`` folders into the wheel, and the README beside the venv.

The folders stay where an operator looks for them in the source tree and are mapped to the packages
``karmadad.shipped_config`` and ``karmadad.shipped_systemd`` (their files are package data, not copies), so
``karmadad example-config``, ``systemd-unit`` and ``systemd-sysusers`` print them after a plain ``pip install``. The README
is installed as ``share/doc/karmadad/README.md`` under the install prefix, which the unit's
``Documentation=`` names. Everything else about the build is in pyproject.toml.
"""

from setuptools import find_namespace_packages, setup

SHIPPED_FOLDERS = {"karmadad.shipped_config": "config", "karmadad.shipped_systemd": "systemd"}

setup(
    packages=[*find_namespace_packages(include=["karmadad", "karmadad.*"]), *SHIPPED_FOLDERS],
    package_dir=SHIPPED_FOLDERS,
    data_files=[("share/doc/karmadad", ["README.md"])],
)
