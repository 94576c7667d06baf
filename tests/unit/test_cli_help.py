"""What ``karmadad --help`` and each command's help show: plain text, with examples, and ``--version``."""

import argparse
import re

import pytest

from karmadad import __version__
from karmadad.cli import build_parser, main


def command_names() -> list[str]:
    subcommands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return list(subcommands.choices)


def help_text(capsys, argv: list[str]) -> str:
    with pytest.raises(SystemExit) as exited:
        main([*argv, "--help"])
    assert exited.value.code == 0
    return capsys.readouterr().out


def test_every_command_is_listed_in_the_top_level_help(capsys):
    text = help_text(capsys, [])
    assert {"run", "check-config", "kubeconfig", "version"} <= set(command_names())
    for name in command_names():
        assert re.search(rf"^    {re.escape(name)}\b", text, re.M), name


@pytest.mark.parametrize(
    "argv", [[], *([name] for name in command_names())], ids=lambda a: " ".join(a) or "karmadad"
)
def test_help_is_plain_text_and_ends_with_examples(capsys, argv):
    text = help_text(capsys, argv)
    # reStructuredText markup from docstrings (``literal``, :role:`x`) has no place in a terminal
    assert "``" not in text and not re.search(r":\w+:`", text), text
    examples = text.split("\nexamples:\n", 1)
    assert len(examples) == 2, text
    lines = [line.strip() for line in examples[1].splitlines() if line.startswith("  ")]
    assert lines and all(line.startswith("karmadad ") for line in lines), examples[1]
    if argv:  # a command's examples run that command
        assert all(line.split()[1] == argv[0] for line in lines), lines


def test_version_flag_and_version_command_print_the_same(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    flag = capsys.readouterr().out
    assert main(["version"]) == 0
    assert capsys.readouterr().out == flag == f"karmadad {__version__}\n"
