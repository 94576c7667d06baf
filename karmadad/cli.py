"""Command line: ``karmadad run``, ``kubeconfig``, ``check-config`` and ``version``.

Exit codes: 0 success, 2 unusable config or command line (before anything starts), 1 a failure
while running.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import anyio

from karmadad import __version__
from karmadad.config import ConfigError, DaemonConfig, failover_summary, load_config, missing_member_files
from karmadad.logs import configure_logging

EXIT_BAD_CONFIG = 2
EXIT_FAILED = 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="karmadad", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the daemon")
    run.add_argument("--config", type=Path, help="config file (default: embedded defaults)")
    check = commands.add_parser("check-config", help="validate a config file and exit")
    check.add_argument("--config", type=Path, required=True)
    kubeconfig = commands.add_parser("kubeconfig", help="print a kubeconfig for kubectl")
    kubeconfig.add_argument("--config", type=Path, help="config file (default: embedded defaults)")
    kubeconfig.add_argument("--user", help="which configured token user (default: the first)")
    commands.add_parser("version", help="print the version")
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
    args = _parser().parse_args(argv)
    if args.command == "version":
        print(f"karmadad {__version__}")
        return 0
    if args.command == "kubeconfig":
        from karmadad.kubeconfig import KubeconfigError, build_kubeconfig

        config = _load_or_report(args.config)
        if config is None:
            return EXIT_BAD_CONFIG
        try:
            sys.stdout.write(build_kubeconfig(config, args.user))
        except KubeconfigError as error:
            print(f"karmadad: {error}", file=sys.stderr)
            return 1
        return 0
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
