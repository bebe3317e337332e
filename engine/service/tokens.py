"""Who may call the service: bearer tokens for the platform and for readers.

Two kinds of token, so the credentials the platform holds (``decide``, ``events``,
``admin/reload``) are not those a support console holds (``why``, ``timeline``, the
console pages, ``diff``, the log), and a leaked read token cannot change anything.

A token file is YAML or JSON (YAML 1.2 is a superset of JSON)::

    platform: [TOKEN, ...]   # or a single string
    read: [TOKEN, ...]

read with the same bounded reader as bundles. Tokens are compared in constant time
(:func:`hmac.compare_digest`, against every token of the kind, without stopping at the
first match), so a caller learns nothing from how long a refusal takes.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from chronolex.bundle.yaml_source import DEFAULT_LIMITS, read_yaml
from chronolex.errors import ChronolexError, Span

#: A token shorter than this is refused: it could be guessed.
MIN_TOKEN_LENGTH = 16


class Scope(StrEnum):
    """What a route needs: a platform token, a read token, or nothing."""

    PLATFORM = "platform"
    READ = "read"
    OPEN = "open"


class Verdict(StrEnum):
    """What a presented token is worth for a scope."""

    ALLOWED = "allowed"
    #: No token, or one the service does not know: 401.
    UNKNOWN = "unknown"
    #: A token of the other kind: 403.
    FORBIDDEN = "forbidden"


@dataclass(frozen=True, slots=True)
class Tokens:
    """The platform's tokens and the readers' tokens (as UTF-8 bytes)."""

    platform: tuple[bytes, ...] = ()
    read: tuple[bytes, ...] = ()

    @classmethod
    def of(cls, platform: Iterable[str] = (), read: Iterable[str] = ()) -> Tokens:
        """Tokens from text, each checked for length.

        >>> Tokens.of(platform=["p" * 16]).check("p" * 16, Scope.PLATFORM)
        <Verdict.ALLOWED: 'allowed'>
        """
        made = cls(tuple(_checked(t, "platform") for t in platform), tuple(_checked(t, "read") for t in read))
        if set(made.platform) & set(made.read):
            raise ChronolexError.single("bad-token", "the same token is given as a platform and a read token",
                                        None, "give each kind its own tokens")
        return made

    @property
    def any(self) -> bool:
        return bool(self.platform or self.read)

    def check(self, presented: str | None, scope: Scope) -> Verdict:
        """Whether ``presented`` may call a route of ``scope`` (every token is compared)."""
        if scope is Scope.OPEN:
            return Verdict.ALLOWED
        if presented is None:
            return Verdict.UNKNOWN
        given = presented.encode("utf-8", "surrogateescape")
        own = self.platform if scope is Scope.PLATFORM else self.read
        other = self.read if scope is Scope.PLATFORM else self.platform
        matches_own = _any_equal(given, own)
        matches_other = _any_equal(given, other)
        if matches_own:
            return Verdict.ALLOWED
        return Verdict.FORBIDDEN if matches_other else Verdict.UNKNOWN


def _any_equal(given: bytes, tokens: tuple[bytes, ...]) -> bool:
    found = False
    for token in tokens:
        found |= hmac.compare_digest(given, token)
    return found


def _checked(token: str, kind: str, span: Span | None = None) -> bytes:
    if not isinstance(token, str) or len(token.strip()) < MIN_TOKEN_LENGTH or token != token.strip():
        raise ChronolexError.single(
            "bad-token", f"a {kind} token must be a string of at least {MIN_TOKEN_LENGTH} characters "
                         "without surrounding spaces", span,
            "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'")
    return token.encode("utf-8")


def read_tokens(path: str | Path) -> Tokens:
    """The tokens of a token file (see the module's docstring); raises
    :class:`~chronolex.errors.ChronolexError` naming the file, line and column of what is wrong."""
    file = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ChronolexError.single("io-error", f"cannot read the token file: {exc.strerror or exc}",
                                    Span(file, 1, 1)) from None
    document = read_yaml(file, raw, DEFAULT_LIMITS)
    data = document.data
    if not isinstance(data, dict) or not data or set(data) - {"platform", "read"}:
        raise ChronolexError.single("bad-token-file", "expected a mapping with the keys platform and read",
                                    document.source.span(()), "write 'platform: [TOKEN]' and 'read: [TOKEN]'")
    kinds: dict[str, list[bytes]] = {"platform": [], "read": []}
    for kind, value in data.items():
        values = value if isinstance(value, list) else [value]
        for index, token in enumerate(values):
            where = (kind, index) if isinstance(value, list) else (kind,)
            kinds[kind].append(_checked(token, kind, document.source.span(where)))
    tokens = Tokens(tuple(kinds["platform"]), tuple(kinds["read"]))
    if set(tokens.platform) & set(tokens.read):
        raise ChronolexError.single("bad-token", "the same token is given as a platform and a read token",
                                    Span(file, 1, 1), "give each kind its own tokens")
    return tokens
