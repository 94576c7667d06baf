"""``make run`` on a fresh checkout: the minute-long venv install says what it is doing and shows pip's progress."""

import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


@pytest.mark.skipif(not shutil.which("make"), reason="make not installed")
def test_first_install_announces_itself_and_lets_pip_report_progress(tmp_path):
    venv = tmp_path / "venv"
    # -n: print the recipe without running it; -B: as if the venv had never been installed.
    result = subprocess.run(
        ["make", "-n", "-B", f"{venv}/bin/.installed", f"VENV={venv}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    commands = [shlex.split(line) for line in result.stdout.splitlines() if line.strip()]
    creates_venv = next(i for i, words in enumerate(commands) if words[1:3] == ["-m", "venv"])
    announcements = [words for words in commands[:creates_venv] if words[0] == "echo"]
    assert announcements and "install" in " ".join(announcements[0]), result.stdout
    pip = next(words for words in commands if words[0].endswith("/pip") and "install" in words)
    assert not {"-q", "--quiet", "-qq"} & set(pip), pip
    if "--progress-bar" in pip:
        assert pip[pip.index("--progress-bar") + 1] != "off", pip
