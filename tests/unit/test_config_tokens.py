"""API tokens the daemon refuses to start with: empty, short, readable by others, or shared by two entries."""

from pathlib import Path

import pytest
import yaml

from karmadad.cli import EXIT_BAD_CONFIG, main
from karmadad.config import ConfigError, parse_config

GOOD = "a-good-token-0123456789"
OTHER = "another-token-9876543210"


def token_file(directory: Path, content: str, mode: int = 0o600, name: str = "user.token") -> Path:
    path = directory / name
    path.write_text(content)
    path.chmod(mode)
    return path


def api(*entries: dict) -> dict:
    return {"api": {"tokens": list(entries)}}


def from_file(path: Path, user: str = "alice") -> dict:
    return {"user": user, "groups": ["admin"], "tokenFile": str(path)}


def inline(token: str, user: str = "alice") -> dict:
    return {"user": user, "groups": ["admin"], "token": token}


def problems(document) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(document)
    return caught.value.problems


def test_a_private_file_with_a_long_token_is_accepted(tmp_path):
    path = token_file(tmp_path, f"\n  {GOOD}\n")
    config = parse_config(api(from_file(path), inline(OTHER, "bob")))
    assert [entry.secret() for entry in config.api.tokens] == [GOOD, OTHER]


@pytest.mark.parametrize("content", ["", "\n", "  \n\t\n"])
def test_an_empty_token_file_is_refused(tmp_path, content):
    path = token_file(tmp_path, content)
    assert problems(api(from_file(path))) == ["api.tokens[0].tokenFile: is empty"]


def test_a_short_token_in_a_file_is_refused_like_an_inline_one(tmp_path):
    path = token_file(tmp_path, "fifteen-chars-x\n")
    assert problems(api(from_file(path))) == [
        "api.tokens[0].tokenFile: holds a token shorter than 16 characters"
    ]
    assert parse_config(api(from_file(token_file(tmp_path, "sixteen-chars-xy\n", name="ok.token"))))
    assert problems(api(inline("fifteen-chars-x")))[0].startswith("api.tokens[0].token: ")


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o620, 0o602, 0o660, 0o606])
def test_a_token_file_group_or_others_can_read_or_write_is_refused(tmp_path, mode):
    path = token_file(tmp_path, GOOD, mode)
    assert problems(api(inline(OTHER, "bob"), from_file(path))) == [
        "api.tokens[1].tokenFile: must not be readable by group or others (chmod 600); "
        f"its mode is {mode:04o}"
    ]


@pytest.mark.parametrize("mode", [0o600, 0o400])
def test_owner_only_modes_are_accepted(tmp_path, mode):
    assert parse_config(api(from_file(token_file(tmp_path, GOOD, mode))))


def test_a_missing_token_file_is_still_reported_as_such(tmp_path):
    assert problems(api(from_file(tmp_path / "absent.token"))) == ["api.tokens[0].tokenFile: file not found"]


def test_the_same_token_for_two_entries_is_refused(tmp_path):
    first = token_file(tmp_path, GOOD + "\n", name="a.token")
    second = token_file(tmp_path, f"  {GOOD}  \n", name="b.token")
    assert problems(api(inline(GOOD), inline(GOOD, "bob"))) == [
        "api.tokens[1]: the same token as api.tokens[0]"
    ]
    assert problems(api(inline(OTHER), inline(GOOD, "bob"), from_file(first, "carol"))) == [
        "api.tokens[2]: the same token as api.tokens[1]"
    ]
    assert problems(api(from_file(first), inline(OTHER, "bob"), from_file(second, "carol"))) == [
        "api.tokens[2]: the same token as api.tokens[0]"
    ]
    assert problems(api(from_file(first), from_file(first, "bob"), inline(GOOD, "carol"))) == [
        "api.tokens[1]: the same token as api.tokens[0]",
        "api.tokens[2]: the same token as api.tokens[0]",
    ]


def write_config(directory: Path, tokens: list[dict]) -> Path:
    path = directory / "karmadad.yaml"
    path.write_text(yaml.safe_dump({"dataDir": str(directory / "data"), "api": {"tokens": tokens}}))
    return path


@pytest.mark.parametrize("command", ["check-config", "run"])
def test_check_config_and_run_refuse_with_one_line_per_problem(tmp_path, capsys, command):
    loose = token_file(tmp_path, GOOD, 0o644, name="loose.token")
    empty = token_file(tmp_path, "", name="empty.token")
    config = write_config(tmp_path, [from_file(loose), from_file(empty, "bob")])
    assert main([command, "--config", str(config)]) == EXIT_BAD_CONFIG
    assert capsys.readouterr().err.splitlines() == [
        "karmadad: config: api.tokens[0].tokenFile: must not be readable by group or others (chmod 600); "
        "its mode is 0644",
        "karmadad: config: api.tokens[1].tokenFile: is empty",
    ]
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("command", ["check-config", "run"])
def test_check_config_and_run_refuse_a_shared_token(tmp_path, capsys, command):
    config = write_config(tmp_path, [inline(GOOD), from_file(token_file(tmp_path, GOOD), "bob")])
    assert main([command, "--config", str(config)]) == EXIT_BAD_CONFIG
    assert capsys.readouterr().err.splitlines() == [
        "karmadad: config: api.tokens[1]: the same token as api.tokens[0]"
    ]
    assert not (tmp_path / "data").exists()


def test_check_config_accepts_a_private_token_file(tmp_path, capsys):
    config = write_config(tmp_path, [from_file(token_file(tmp_path, GOOD))])
    assert main(["check-config", "--config", str(config)]) == 0
    assert capsys.readouterr().out.splitlines()[0] == f"{config}: ok"
