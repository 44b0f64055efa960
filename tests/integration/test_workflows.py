"""The shipped GitHub workflows pass actionlint, and actionlint really catches a broken one."""

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))


@pytest.fixture(scope="module")
def actionlint() -> str:
    result = subprocess.run(
        [str(REPO / "scripts" / "install-actionlint")], capture_output=True, text=True, check=True
    )
    return result.stdout.strip().splitlines()[-1]


def lint(actionlint: str, cwd: Path, files: list[Path]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [actionlint, "-no-color", *map(str, files)], cwd=cwd, capture_output=True, text=True
    )


def test_shipped_workflows_pass(actionlint: str) -> None:
    assert {w.name for w in WORKFLOWS} == {"preview.yml", "deploy.yml", "up.yml"}
    result = lint(actionlint, REPO, WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_broken_workflow_fails(actionlint: str, tmp_path: Path) -> None:
    # GIVEN a copy of the workflows where the preview job reads a matrix key that does not exist
    workflows = tmp_path / ".github" / "workflows"
    shutil.copytree(REPO / ".github" / "workflows", workflows)
    preview = workflows / "preview.yml"
    preview.write_text(
        preview.read_text().replace(
            "stack-name: ${{ matrix.stack }}", "stack-name: ${{ matrix.stak }}"
        )
    )
    # WHEN actionlint checks it THEN it fails and names the bad property
    result = lint(actionlint, tmp_path, sorted(workflows.glob("*.yml")))
    assert result.returncode == 1
    assert 'property "stak" is not defined' in result.stdout
