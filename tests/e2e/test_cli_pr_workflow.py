"""The pull-request workflow's commands, run here in its order against the `local` stack.

``.github/workflows/preview.yml`` is read, not copied: its ``run:`` scripts run as written
(with ``matrix.*`` filled in for `local`), and its ``pulumi/actions`` step becomes the
``pulumi preview`` those inputs ask for. Steps that only stand up the runner (checkout,
Python, the venv, cloud logins) are named, so a new step fails this test until it is
considered here.
"""

import re
import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.e2e.conftest import REPO, Pulumi

WORKFLOW = REPO / ".github" / "workflows" / "preview.yml"
MATRIX = {"stack": "local", "policy-config": "policies/config/local.json"}
RUNNER_SETUP = {
    "actions/checkout@v4",
    "actions/setup-python@v5",
    "Install modelfleet",
    "aws-actions/configure-aws-credentials@v4",
    "azure/login@v2",
}
"""Steps that prepare a GitHub runner: this machine has them already, or needs none."""
PULL_REQUEST_ONLY = {"marocchino/sticky-pull-request-comment@v2"}
"""Steps that talk to the pull request itself: there is none here."""


def fill(text: str) -> str:
    """``text`` with every ``${{ matrix.<key> }}`` replaced; any other expression fails."""
    filled = re.sub(r"\$\{\{ matrix\.([\w-]+) \}\}", lambda m: MATRIX[m.group(1)], text)
    assert "${{" not in filled, f"an expression this test cannot evaluate: {filled}"
    return filled


def preview_args(inputs: dict[str, Any]) -> list[str]:
    """The ``pulumi`` command line the pulumi/actions inputs stand for."""
    assert inputs["command"] == "preview"
    args = ["preview", "--stack", fill(inputs["stack-name"])]
    args += ["--policy-pack", str(REPO / fill(inputs["policyPacks"]))]
    args += ["--policy-pack-config", str(REPO / fill(inputs["policyPackConfigs"]))]
    return args + (["--diff"] if inputs.get("diff") else [])


def test_the_preview_workflow_validates_plans_and_previews_the_local_stack_in_order(
    local_stack: Pulumi, tmp_path: Path
) -> None:
    (job,) = yaml.safe_load(WORKFLOW.read_text())["jobs"].values()
    summary = tmp_path / "step-summary.md"
    ran: list[str] = []
    for step in job["steps"]:
        name = step.get("name") or step["uses"]
        if name in RUNNER_SETUP | PULL_REQUEST_ONLY:
            continue
        if "run" in step:
            # WHEN each of the workflow's scripts runs as written
            done = subprocess.run(
                ["bash", "-e", "-o", "pipefail", "-c", fill(step["run"])],
                cwd=REPO,
                env={**local_stack.env, "GITHUB_STEP_SUMMARY": str(summary)},
                capture_output=True,
                text=True,
                check=False,
            )
            assert done.returncode == 0, f"{name}:\n{done.stdout}{done.stderr}"
        else:
            assert step["uses"].startswith("pulumi/actions@"), f"unconsidered step {name}"
            printed = local_stack(*preview_args(step["with"])).stdout
            # THEN the preview under the pack passes and shows what the stack would create
            assert "+ 5 to create" in printed
        ran.append(name)
    assert ran == [
        "Validate stack config",
        "Placement plan",
        "Placement graph",
        "pulumi/actions@v6",
    ]
    # AND the job summary holds the placement table the plan step wrote
    table = summary.read_text()
    assert "### Placements for `local`" in table
    assert re.search(
        r"^\| iris-classifier \| this-machine \| edge \| FR \|.*\| allowed \|$", table, re.M
    )
    # AND under it the topology as Mermaid, which GitHub draws in the summary and comment
    assert "### Topology of `local`\n```mermaid\nflowchart" in table
    assert (REPO / "graph.md").read_text() in table
