"""``karmadad completion bash|zsh``: scripts generated (by shtab) from the same parser the commands use."""

import shutil
import subprocess

import pytest

from karmadad.cli import COMPLETION_SHELLS, main


def script(capsys, shell: str) -> str:
    assert main(["completion", shell]) == 0
    return capsys.readouterr().out


def bash_completes(script_text: str, line: str) -> list[str]:
    """What bash offers for ``line`` (the cursor at its end), with the script loaded as a user would."""
    words = line.split(" ")
    program = f"""
{script_text}
COMP_WORDS=({" ".join(f"'{word}'" for word in words)})
COMP_CWORD={len(words) - 1}
COMP_LINE='{line}'
COMP_POINT=${{#COMP_LINE}}
$(complete -p karmadad | sed -E 's/.*-F ([^ ]+).*/\\1/') karmadad '{words[-1]}' '{words[-2]}'
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    result = subprocess.run(["bash", "--norc", "-c", program], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    return sorted(result.stdout.split())


@pytest.mark.skipif(not shutil.which("bash"), reason="bash not installed")
def test_bash_completes_commands_options_and_choices(capsys, tmp_path):
    text = script(capsys, "bash")
    assert bash_completes(text, "karmadad ch") == ["check-config"]
    assert bash_completes(text, "karmadad c") == ["check-config", "completion"]
    assert bash_completes(text, "karmadad kubeconfig --o") == ["--output"]
    assert bash_completes(text, "karmadad completion z") == ["zsh"]
    (tmp_path / "karmadad.yaml").write_text("")
    assert bash_completes(text, f"karmadad run --config {tmp_path}/karm") == [f"{tmp_path}/karmadad.yaml"]


def test_zsh_script_is_a_compdef_for_karmadad_with_every_command(capsys):
    text = script(capsys, "zsh")
    assert text.startswith("#compdef karmadad")
    assert '"--config[config file to check]:FILE:_files"' in text  # file names after --config
    for command in ("run", "check-config", "kubeconfig", "completion", "version"):
        assert f"\n    {command}:'" in text, command
    if shutil.which("zsh"):
        checked = subprocess.run(["zsh", "-n"], input=text, capture_output=True, text=True, timeout=30)
        assert checked.returncode == 0, checked.stderr


def test_only_the_supported_shells_are_accepted(capsys):
    assert set(COMPLETION_SHELLS) == {"bash", "zsh"}
    with pytest.raises(SystemExit) as exited:
        main(["completion", "fish"])
    assert exited.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
