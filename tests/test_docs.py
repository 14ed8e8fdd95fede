"""Docs move with the code: README and --help examples run, the contract docs match contract.py."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from riskseg.cli import app
from riskseg.contract import markdown

pytestmark = pytest.mark.slow
RISKSEG = str(Path(sys.executable).with_name("riskseg"))


def _workdir(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "docs" / "examples", tmp_path / "docs" / "examples")
    return tmp_path


def _run(line: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RISKSEG_DB": str(cwd / "examples.duckdb"), "COLUMNS": "120"}
    cmd = RISKSEG + line.removeprefix("riskseg")
    return subprocess.run(
        cmd, shell=True, cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def test_contract_section_of_import_docs_is_generated_from_the_contract() -> None:
    text = (ROOT / "docs" / "import.md").read_text(encoding="utf-8")
    section = text.split("<!-- contract:begin -->\n", 1)[1].split("<!-- contract:end -->", 1)[0]
    assert section == markdown(), (
        "docs/import.md is stale: regenerate with riskseg.contract.markdown()"
    )


def test_readme_tour_commands_run(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    lines = re.findall(r"^\$ (riskseg .+)$", readme, flags=re.M)
    assert len(lines) >= 5
    cwd = _workdir(tmp_path)
    for line in lines:
        result = _run(line, cwd)
        assert result.returncode == 0, (line, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr
    status = _run("riskseg status --db tour.duckdb --json", cwd)
    assert '"payment": true' in status.stdout and '"loyalty": true' in status.stdout


def test_readme_python_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    [code] = re.findall(r"```python\n(.*?)```", readme, flags=re.S)
    monkeypatch.chdir(_workdir(tmp_path))
    exec(compile(code, "README.md", "exec"), {})


def _help_examples() -> list[str]:
    import typer.main

    group = typer.main.get_command(app)
    texts = []
    for cmd in group.commands.values():  # type: ignore[attr-defined]
        texts.append(cmd.help or "")
        texts.extend(sub.help or "" for sub in getattr(cmd, "commands", {}).values())
    return [m.strip() for t in texts for m in re.findall(r"^\s+(riskseg .+)$", t, flags=re.M)]


def test_every_help_example_runs(tmp_path: Path) -> None:
    examples = _help_examples()
    # demo first: the other examples read the store it fills
    examples.sort(key=lambda e: not e.startswith("riskseg demo"))
    assert any(e.startswith("riskseg import") for e in examples)
    cwd = _workdir(tmp_path)
    for line in examples:
        result = _run(line, cwd)
        assert result.returncode == 0, (line, result.stdout, result.stderr)
    assert (cwd / "mapping.yaml").read_text(encoding="utf-8").count("customer_id") >= 2


def test_help_explains_every_command() -> None:
    for args in (
        ["--help"],
        ["import", "--help"],
        ["status", "--help"],
        ["quarantine", "--help"],
        ["demo", "--help"],
        ["mapping", "suggest", "--help"],
        ["signals", "--help"],
        ["scorecard", "--help"],
        ["run", "--help"],
        ["backtest", "--help"],
        ["playbook", "--help"],
        ["actions", "--help"],
        ["action", "--help"],
        ["impact", "--help"],
        ["user", "--help"],
        ["user", "add", "--help"],
        ["user", "remove", "--help"],
        ["user", "token", "--help"],
        ["user", "list", "--help"],
        ["serve", "--help"],
        ["report", "--help"],
        ["webhooks", "--help"],
        ["webhooks", "test", "--help"],
        ["webhooks", "log", "--help"],
    ):
        result = subprocess.run(
            [RISKSEG, *args],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "COLUMNS": "120"},
        )
        assert result.returncode == 0 and "Usage" in result.stdout, args
