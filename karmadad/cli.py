"""Command line: ``karmadad run`` and the commands an operator needs around it.

Help texts are plain text with an examples epilog each: they are what an operator reads in a terminal, so no
markup from these docstrings leaks into them.

Exit codes: 0 success, 2 unusable config or command line (before anything starts), 1 a failure
while running.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import anyio
import shtab

from karmadad import __version__
from karmadad.config import ConfigError, DaemonConfig, failover_summary, load_config, missing_member_files
from karmadad.logs import configure_logging
from karmadad.shipped import EXAMPLE_CONFIG, SYSTEMD_SYSUSERS, SYSTEMD_UNIT, ShippedFolder, shipped_text

EXIT_BAD_CONFIG = 2
EXIT_FAILED = 1
# The shells shtab has written completion scripts for since its 1.x releases began.
COMPLETION_SHELLS = ("bash", "zsh")
# Commands that print a file shipped with karmadad, for operators without a checkout.
_SHIPPED_FILES = {
    "example-config": EXAMPLE_CONFIG,
    "systemd-unit": SYSTEMD_UNIT,
    "systemd-sysusers": SYSTEMD_SYSUSERS,
}

_DESCRIPTION = "karmadad: Karmada's multi-cluster Kubernetes control plane as one daemon."
_EXAMPLES = """\
examples:
  karmadad run --config /etc/karmadad/karmadad.yaml
  karmadad check-config --config /etc/karmadad/karmadad.yaml
  karmadad kubeconfig --config /etc/karmadad/karmadad.yaml

'karmadad COMMAND --help' tells more about each command."""


def _add_command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], name: str, summary: str, *examples: str
) -> argparse.ArgumentParser:
    """A subcommand whose help has its one-line summary on top and its examples at the bottom."""
    return commands.add_parser(
        name,
        help=summary,
        description=summary[0].upper() + summary[1:] + ".",
        epilog="examples:\n" + "\n".join(f"  {example}" for example in examples),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def _file_argument(parser: argparse.ArgumentParser, flag: str, **options: Any) -> None:
    """An option naming a file: the shell completes it with file names."""
    action = parser.add_argument(flag, type=Path, metavar="FILE", **options)
    action.complete = shtab.FILE  # type: ignore[attr-defined]  # shtab reads this attribute


def build_parser() -> argparse.ArgumentParser:
    """The whole command line; also what shell completion is generated from."""
    parser = argparse.ArgumentParser(
        prog="karmadad",
        description=_DESCRIPTION,
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"karmadad {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = _add_command(
        commands,
        "run",
        "run the daemon (SIGTERM stops it, SIGHUP re-reads the config)",
        "karmadad run                                    # embedded defaults, state in ./.karmadad",
        "karmadad run --config /etc/karmadad/karmadad.yaml",
    )
    _file_argument(run, "--config", help="config file (default: embedded defaults)")
    check = _add_command(
        commands,
        "check-config",
        "check a config file and exit: 0 usable, 2 problems (one line each)",
        "karmadad check-config --config /etc/karmadad/karmadad.yaml",
    )
    _file_argument(check, "--config", required=True, help="config file to check")
    kubeconfig = _add_command(
        commands,
        "kubeconfig",
        "print a kubeconfig (server, CA, token) for kubectl",
        "karmadad kubeconfig --config config/karmadad.yaml --output ~/.kube/karmadad.kubeconfig",
        "karmadad kubeconfig --config /etc/karmadad/karmadad.yaml --user alice",
    )
    _file_argument(kubeconfig, "--config", help="config file (default: embedded defaults)")
    kubeconfig.add_argument(
        "--user", metavar="NAME", help="which api.tokens user (default: the first, or the generated admin)"
    )
    _file_argument(
        kubeconfig,
        "--output",
        help="write it to FILE, readable by you only (mode 0600), instead of printing it",
    )
    _add_command(
        commands,
        "example-config",
        "print the commented example config (every value the embedded default)",
        "karmadad example-config > karmadad.yaml",
        "karmadad example-config | sudo install -o root -g karmadad -m 0640 /dev/stdin /etc/karmadad/karmadad.yaml",
    )
    _add_command(
        commands,
        "systemd-unit",
        "print the systemd unit that runs karmadad from /opt/karmadad",
        "karmadad systemd-unit | sudo install -m 0644 /dev/stdin /etc/systemd/system/karmadad.service",
    )
    _add_command(
        commands,
        "systemd-sysusers",
        "print the sysusers.d snippet that creates the unit's karmadad system user and group",
        "karmadad systemd-sysusers | sudo install -m 0644 /dev/stdin /etc/sysusers.d/karmadad.conf",
    )
    completion = _add_command(
        commands,
        "completion",
        "print a script that completes karmadad's commands and options in your shell",
        "karmadad completion bash > ~/.local/share/bash-completion/completions/karmadad",
        "karmadad completion zsh > ~/.zfunc/_karmadad       # with fpath+=(~/.zfunc) before compinit",
    )
    completion.add_argument("shell", choices=COMPLETION_SHELLS, help="the shell to complete in")
    _add_command(commands, "version", "print the version", "karmadad version")
    return parser


def _load_or_report(path: Path | None) -> DaemonConfig | None:
    try:
        return load_config(path)
    except ConfigError as error:
        for problem in error.problems:
            print(f"karmadad: config: {problem}", file=sys.stderr)
        return None


def _run(path: Path | None) -> int:
    config = _load_or_report(path)
    if config is None:
        return EXIT_BAD_CONFIG
    configure_logging(format=config.log.format, level=config.log.level)
    from karmadad.daemon import Daemon  # imported late: check-config and version stay light
    from karmadad.store.sqlite import StorageError

    # uvloop: its event loop and TLS carry the daemon's member and API traffic for less CPU (about a tenth
    # of karmadad's CPU while propagating, measured with tests/bench/bench_propagation.py)
    failures: list[BaseException] = []
    try:
        daemon = Daemon(config, config_path=path, program=_program(sys.argv[0]))
        anyio.run(daemon.run, backend_options={"use_uvloop": True})
    except* StorageError as group:  # an unusable state file: one line, no traceback
        failures.extend(_leaves(group))
    for failure in failures:
        print(f"karmadad: store: {failure}", file=sys.stderr)
    return EXIT_FAILED if failures else 0


def _kubeconfig(path: Path | None, user: str | None, output: Path | None) -> int:
    from karmadad.kubeconfig import KubeconfigError, build_kubeconfig, write_private_file

    config = _load_or_report(path)
    if config is None:
        return EXIT_BAD_CONFIG
    try:
        document = build_kubeconfig(config, user)
    except KubeconfigError as error:
        print(f"karmadad: {error}", file=sys.stderr)
        return EXIT_FAILED
    if output is None:
        sys.stdout.write(document)
        return 0
    try:
        write_private_file(output, document)
    except OSError as error:
        print(f"karmadad: {output}: {error.strerror or error}", file=sys.stderr)
        return EXIT_FAILED
    print(f"{output}: written (mode 0600); kubectl --kubeconfig {output} get clusters")
    return 0


def _print_shipped(file: tuple[ShippedFolder, str]) -> int:
    try:
        sys.stdout.write(shipped_text(file))
    except OSError as error:  # an install that lost its package data
        print(f"karmadad: {error.filename}: {error.strerror or error}", file=sys.stderr)
        return EXIT_FAILED
    return 0


def _program(argv0: str) -> str:
    """How to run karmadad again, as it was run now: ``.venv/bin/karmadad`` when started so; ``karmadad``
    when the command line does not say (``python -m karmadad``)."""
    return argv0 if Path(argv0).name == "karmadad" else "karmadad"


def _leaves(group: BaseExceptionGroup) -> list[BaseException]:
    return [
        leaf
        for error in group.exceptions
        for leaf in (_leaves(error) if isinstance(error, BaseExceptionGroup) else [error])
    ]


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command in _SHIPPED_FILES:
        return _print_shipped(_SHIPPED_FILES[args.command])
    if args.command == "completion":
        sys.stdout.write(shtab.complete(build_parser(), shell=args.shell))
        return 0
    if args.command == "version":
        print(f"karmadad {__version__}")
        return 0
    if args.command == "kubeconfig":
        return _kubeconfig(args.config, args.user, args.output)
    if args.command == "check-config":
        config = _load_or_report(args.config)
        if config is None:
            return EXIT_BAD_CONFIG
        if missing := missing_member_files(config):
            for problem in missing:
                print(f"karmadad: config: {problem}", file=sys.stderr)
            return EXIT_BAD_CONFIG
        print(f"{args.config}: ok")
        for line in failover_summary(config):
            print(line)
        return 0
    return _run(args.config)
