"""``chronolex serve`` through CliRunner: what it refuses before it binds, and the
application it hands uvicorn (tokens from the file and the environment, limits, the log)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

import chronolex
from chronolex.cli.app import cli
from chronolex.cli.commands import serve as serve_command
from tests.conftest import HUABEI
from tests.service.conftest import PLATFORM, READ


def run(*args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(cli, ["serve", *args], env=env)


@pytest.mark.parametrize(("args", "message"), [
    ([str(HUABEI)], "give --log FILE"),
    ([str(HUABEI), "--log", "x.db", "--no-log"], "not both"),
    ([str(HUABEI), "--no-log", "--host", "0.0.0.0"], "is not a loopback address and no tokens are given"),
    ([str(HUABEI), "--no-log", "--host", "192.168.1.20"], "is not a loopback address"),
    ([f"{HUABEI}@2026.03", "--no-log"], "serve takes bundles, not BUNDLE@VERSION"),
    ([str(HUABEI), str(HUABEI), "--no-log"], "two bundles are named 'huabei'"),
])
def test_serve_refuses_before_it_binds(args: list[str], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 2 and message in result.output, result.output


def test_a_bad_token_file_or_a_broken_bundle_is_bad_input(tmp_path: Path, huabei_copy: Path) -> None:
    tokens = tmp_path / "tokens.yaml"
    tokens.write_text("platform: [short]\n", encoding="utf-8")
    result = run(str(HUABEI), "--no-log", "--token-file", str(tokens))
    assert result.exit_code == 2 and "tokens.yaml:1:12: bad-token" in result.output, result.output
    (huabei_copy / "versions" / "2026.06.yaml").write_text("version: [\n", encoding="utf-8")
    result = run(str(huabei_copy), "--no-log")
    assert result.exit_code == 2 and "2026.06.yaml" in result.output


def test_loopback_addresses_need_no_tokens() -> None:
    assert all(serve_command.is_loopback(h) for h in ("127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"))
    assert not any(serve_command.is_loopback(h) for h in ("0.0.0.0", "10.0.0.1", "example.org", "::"))


def test_serve_runs_the_app_with_the_tokens_limits_store_and_log(tmp_path: Path, example_store: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}
    ask = {"account": "acct-1001", "action": "open", "at": "2026-03-16T10:00"}

    def serve_a_while(app: Any, **options: Any) -> None:  # in place of uvicorn.run: the server's life
        seen.update(options)
        with TestClient(app) as client:
            seen["anonymous"] = client.post("/v1/decide", json=ask).status_code
            headers = {"Authorization": f"Bearer {PLATFORM}"}
            seen["answer"] = client.post("/v1/decide", json=ask, headers=headers)
            seen["batch"] = client.post("/v1/decide", json=[ask] * 3, headers=headers).status_code
            seen["read"] = client.get("/v1/bundles", headers={"Authorization": f"Bearer {READ}"}).status_code

    monkeypatch.setattr(serve_command.uvicorn, "run", serve_a_while)
    tokens = tmp_path / "tokens.json"
    tokens.write_text(f'{{"platform": "{PLATFORM}"}}', encoding="utf-8")
    log = tmp_path / "decisions.db"
    result = run(str(HUABEI), "--db", str(example_store), "--log", str(log), "--token-file", str(tokens),
                 "--host", "0.0.0.0", "--port", "9999", "--max-batch", "2", env={"CHRONOLEX_READ_TOKEN": READ})
    assert result.exit_code == 0, result.output
    assert (seen["host"], seen["port"], seen["anonymous"], seen["batch"], seen["read"]) == (
        "0.0.0.0", 9999, 401, 413, 200)
    answer = seen["answer"]
    assert answer.status_code == 200 and answer.json()["decision"] == "blocked"
    with chronolex.DecisionLog(log) as opened:  # the command closed it; the decision is there
        assert [r.decision_id for r in opened.records()] == [answer.json()["decision_id"]]
