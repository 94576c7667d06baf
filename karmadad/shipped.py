"""The files karmadad ships besides its code: the example config, the systemd unit and its sysusers.d snippet.

Their one copy is the source tree's ``config/`` and ``systemd/`` folders; a wheel carries them as the package
data of ``karmadad.shipped_config`` and ``karmadad.shipped_systemd`` (setup.py maps the folders), so an
installed karmadad can print them for an operator who has no checkout. An editable install or a source tree
has no such packages on disk (the folders are not Python packages), so the folders are read where they are.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

ShippedFolder = Literal["config", "systemd"]

# What ``karmadad example-config``, ``systemd-unit`` and ``systemd-sysusers`` print: (folder, file name).
EXAMPLE_CONFIG: tuple[ShippedFolder, str] = ("config", "karmadad.yaml")
SYSTEMD_UNIT: tuple[ShippedFolder, str] = ("systemd", "karmadad.service")
SYSTEMD_SYSUSERS: tuple[ShippedFolder, str] = ("systemd", "karmadad.sysusers")

_PACKAGE = Path(__file__).parent


def shipped_path(folder: ShippedFolder, name: str) -> Path:
    """Where the shipped file is: inside the installed package, else in the source tree beside it."""
    installed = _PACKAGE / f"shipped_{folder}" / name
    return installed if installed.is_file() else _PACKAGE.parent / folder / name


def shipped_text(file: tuple[ShippedFolder, str]) -> str:
    folder, name = file
    return shipped_path(folder, name).read_text()
