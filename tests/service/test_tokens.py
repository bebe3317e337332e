"""Tokens: the platform's for decide, events and reload, the readers' for the rest;
401 without a known token, 403 with the other kind; token files read strictly."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

import chronolex
from tests.conftest import HUABEI
from tests.service.conftest import PLATFORM, READ, make_client
from tests.service.support import MemoryLog, valid

TOKENS = chronolex.Tokens.of([PLATFORM], [READ])
DECIDE = {"account": "acct-1001", "action": "open", "at": "2026-03-16T10:00"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(("method", "path", "needs"), [
    ("POST", "/v1/decide", "platform"),
    ("POST", "/v1/events", "platform"),
    ("POST", "/v1/admin/reload", "platform"),
    ("GET", "/v1/accounts/acct-1001/why?at=2026-03-16T10:00", "read"),
    ("GET", "/v1/accounts/acct-1001/timeline?from=2026-03-01&to=2026-03-02", "read"),
    ("GET", "/v1/bundles", "read"),
    ("GET", "/v1/bundles/huabei/versions", "read"),
    ("GET", "/metrics", "read"),
    ("GET", "/", "read"),  # the console
])
def test_each_route_needs_its_kind_of_token(huabei: chronolex.Bundle, example_store: Path, method: str, path: str,
                                            needs: str) -> None:
    log = MemoryLog()
    with make_client(huabei, HUABEI, example_store, log=log, tokens=TOKENS) as client:
        body = {"json": DECIDE} if path == "/v1/decide" else {"json": []} if path == "/v1/events" else {}
        for headers in ({}, bearer("not-a-known-token-at-all"), {"Authorization": "Basic !!"}):
            refused = client.request(method, path, headers=headers, **body)
            assert refused.status_code == 401, (headers, refused.text)
            assert refused.headers["www-authenticate"].startswith("Bearer")
            valid(refused.json(), "service", "problem")
        other = READ if needs == "platform" else PLATFORM
        forbidden = client.request(method, path, headers=bearer(other), **body)
        assert forbidden.status_code == 403
        own = PLATFORM if needs == "platform" else READ
        allowed = client.request(method, path, headers=bearer(own), **body)
        assert allowed.status_code not in (401, 403), allowed.text
        basic = base64.b64encode(f"agent:{own}".encode()).decode()
        assert client.request(method, path, headers={"Authorization": f"Basic {basic}"}, **body).status_code \
            == allowed.status_code
    assert log.count() == (2 if path == "/v1/decide" else 0)  # refused calls decided nothing


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/openapi.json"])
def test_probes_and_the_description_need_no_token(huabei: chronolex.Bundle, path: str) -> None:
    with make_client(huabei, HUABEI, None, log=MemoryLog(), tokens=TOKENS) as client:
        assert client.get(path).status_code == 200


def test_a_token_file_is_read_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "tokens.yaml"
    path.write_text(f"platform: [{PLATFORM}]\nread: {READ}\n", encoding="utf-8")
    tokens = chronolex.read_tokens(path)
    assert tokens.platform == (PLATFORM.encode(),) and tokens.read == (READ.encode(),)
    for text, code in [("platform: [short]\n", "bad-token"), ("writers: [x]\n", "bad-token-file"),
                       (f"platform: [{PLATFORM}]\nread: [{PLATFORM}]\n", "bad-token"),
                       ("platform: [a\n", "yaml-syntax")]:
        path.write_text(text, encoding="utf-8")
        with pytest.raises(chronolex.ChronolexError) as caught:
            chronolex.read_tokens(path)
        assert caught.value.diagnostics[0].code == code or code == "yaml-syntax"
        assert caught.value.diagnostics[0].span is not None
