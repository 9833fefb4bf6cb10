"""The schema workflow on the command line: ``fedgw compose`` and ``fedgw check`` on a small project."""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

import httpx
import pytest

from gateway.cli import command_modules, main

from .support import fed2

USERS = fed2("key") + 'type Query { me: User } type User @key(fields: "id") { id: ID! name: String }'
REVIEWS = fed2("key") + 'type User @key(fields: "id") { id: ID! reviews: [String!]! }'

CONFIG = """
supergraph: schema/supergraph.graphql
subgraphs:
  - name: users
    url: http://127.0.0.1:4901/graphql
    schema: schema/users.graphql
    module: cli_fake_subgraphs:users
  - name: reviews
    url: http://127.0.0.1:4902/graphql
    schema: schema/reviews.graphql
    module: cli_fake_subgraphs:reviews
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A project directory with gateway.yaml and subgraphs whose SDL "code" the test can change."""
    sdl = {"users": USERS, "reviews": REVIEWS}
    module = types.ModuleType("cli_fake_subgraphs")
    module.users = lambda: sdl["users"]  # type: ignore[attr-defined]
    module.reviews = lambda: sdl["reviews"]  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "cli_fake_subgraphs", module)
    (tmp_path / "gateway.yaml").write_text(CONFIG)
    monkeypatch.chdir(tmp_path)
    for name in ("SUBGRAPH_USERS_URL", "SUBGRAPH_REVIEWS_URL"):
        monkeypatch.delenv(name, raising=False)
    return sdl


def test_commands_are_discovered() -> None:
    assert {"compose", "check"} <= set(command_modules())


def test_compose_then_check_is_clean(project: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compose", "--from", "code"]) == 0
    supergraph = Path("schema/supergraph.graphql").read_text()
    assert '@join__graph(name: "reviews", url: "http://127.0.0.1:4902/graphql")' in supergraph
    assert Path("schema/users.graphql").read_text().strip() == USERS.strip()
    assert main(["check"]) == 0
    assert "ok: snapshots up to date" in capsys.readouterr().out


def test_check_reports_drift_and_classifies_changes(
    project: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["compose", "--from", "code"]) == 0
    project["reviews"] = REVIEWS.replace("reviews: [String!]!", "reviews: [String!]! rating: Float")
    capsys.readouterr()
    assert main(["check"]) == 1
    captured = capsys.readouterr()
    assert "drift: schema/reviews.graphql" in captured.out
    assert "drift: schema/supergraph.graphql" in captured.out
    assert "SAFE" in captured.out and "User.rating was added." in captured.out
    assert "fedgw compose --from code" in captured.err


def test_breaking_changes_against_a_git_base(
    project: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["compose", "--from", "code"]) == 0
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", "init", "-q"], check=True)
    subprocess.run(["git", "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "base"], check=True)
    project["users"] = USERS.replace(" name: String", "")
    assert main(["compose", "--from", "code"]) == 0
    capsys.readouterr()
    assert main(["check", "--base-ref", "HEAD"]) == 3
    out = capsys.readouterr().out
    assert "BREAKING" in out and "FIELD_REMOVED" in out and "User.name" in out
    assert main(["check", "--base-ref", "HEAD", "--allow-breaking"]) == 0


def test_dangerous_changes_are_reported(project: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    project["users"] = USERS + " enum Role { ADMIN } extend type Query { role: Role }"
    assert main(["compose", "--from", "code"]) == 0
    project["users"] = USERS + " enum Role { ADMIN GUEST } extend type Query { role: Role }"
    capsys.readouterr()
    assert main(["check"]) == 1  # drift, and the enum value addition is dangerous
    assert "DANGEROUS VALUE_ADDED_TO_ENUM" in capsys.readouterr().out.replace("  ", " ").replace("  ", " ")


def test_composition_errors_fail_compose(project: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    project["reviews"] = REVIEWS.replace("reviews: [String!]!", "reviews: [String!]! name: Int")
    assert main(["compose", "--from", "code"]) == 1
    err = capsys.readouterr().err
    assert "error[FIELD_TYPE_MISMATCH]" in err and '"User.name"' in err
    assert not Path("schema/supergraph.graphql").exists()


def test_compose_from_files(project: dict[str, str]) -> None:
    Path("schema").mkdir()
    Path("schema/users.graphql").write_text(USERS)
    Path("schema/reviews.graphql").write_text(REVIEWS)
    assert main(["compose", "--from", "file", "--output", "out.graphql"]) == 0
    assert "type User" in Path("out.graphql").read_text()


def test_compose_from_running_services(project: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    def post(url: str, **_: object) -> httpx.Response:
        name = "users" if url.endswith("4901/graphql") else "reviews"
        return httpx.Response(200, json={"data": {"_service": {"sdl": project[name]}}})

    monkeypatch.setattr(httpx, "post", post)
    assert main(["compose"]) == 0
    assert Path("schema/supergraph.graphql").exists()


def test_unreachable_service_and_bad_config(
    project: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    def post(url: str, **_: object) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    with pytest.MonkeyPatch.context() as m:
        m.setattr(httpx, "post", post)
        assert main(["compose"]) == 2
    assert "cannot reach http://127.0.0.1:4901/graphql" in capsys.readouterr().err
    Path("gateway.yaml").write_text("subgraphs: []")
    assert main(["check"]) == 2
    assert "non-empty list" in capsys.readouterr().err


def test_python_dash_m_gateway_runs_the_cli() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "gateway", "--help"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    assert "compose" in done.stdout and "check" in done.stdout


def test_unreadable_baseline_is_reported(project: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compose", "--from", "code"]) == 0
    Path("schema/supergraph.graphql").write_text("type Query { broken ")
    assert main(["check"]) == 1
    assert "baseline supergraph cannot be read" in capsys.readouterr().err


def _git_repo_on_main() -> list[str]:
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", "init", "-q", "-b", "main"], check=True)
    subprocess.run(["git", "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "base"], check=True)
    subprocess.run(["git", "checkout", "-q", "-b", "feature"], check=True)
    return git


def test_a_breaking_change_fails_check_alone_before_the_snapshots_are_refreshed(
    project: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["compose", "--from", "code"]) == 0
    _git_repo_on_main()
    project["users"] = USERS.replace(" name: String", "")
    capsys.readouterr()
    # Drift and a breaking change: the breaking change decides the status, so a merge can be gated on it.
    assert main(["check"]) == 3
    assert "FIELD_REMOVED" in capsys.readouterr().out


def test_a_breaking_change_fails_check_alone_after_the_snapshots_are_refreshed(
    project: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["compose", "--from", "code"]) == 0
    git = _git_repo_on_main()
    project["users"] = USERS.replace(" name: String", "")
    assert main(["compose", "--from", "code"]) == 0
    subprocess.run([*git, "commit", "-q", "-am", "refresh"], check=True)
    capsys.readouterr()
    # The baseline is where the branch left main, not the refreshed snapshot.
    assert main(["check"]) == 3
    out = capsys.readouterr().out
    assert "FIELD_REMOVED" in out and "User.name" in out
    assert main(["check", "--allow-breaking"]) == 0
