"""The JSON Web Key Set (RFC 7517 section 5) that verifies tokens: loaded from a file or URL and cached.

Keys are reloaded lazily, never on a timer task: when the set is older than ``refresh_interval``, and when a
token names a ``kid`` the set lacks (a key rotation). Reloads are serialised and spaced by
``min_refresh_interval``, so a flood of tokens with random ``kid``s costs at most one fetch per interval. A
failed reload keeps the keys already held.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

__all__ = ["KeySet", "KeySetUnavailable", "VerificationKey", "parse_jwks"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VerificationKey:
    """One public key of the set; ``algorithm`` is its ``alg`` member (RFC 7517 4.4), binding it to that one."""

    kid: str | None
    key: Any
    algorithm: str | None
    key_type: str

    def fits(self, alg: str) -> bool:
        """Whether a token signed with ``alg`` may be checked with this key (RFC 7518 3.1, by key type)."""
        if self.algorithm is not None and self.algorithm != alg:
            return False
        return _KEY_TYPES.get(alg[:2]) == self.key_type


_KEY_TYPES = {"RS": "RSA", "PS": "RSA", "ES": "EC", "Ed": "OKP"}


class KeySetUnavailable(Exception):
    """No key set could be loaded (and none is held from before)."""


def parse_jwks(document: Any, algorithms: frozenset[str]) -> dict[str | None, VerificationKey]:
    """The usable signing keys of a JWKS document by ``kid``; keys for other uses or algorithms are skipped."""
    import jwt  # PyJWT and cryptography load with the first key set (auth/authenticator.py)

    if not isinstance(document, Mapping) or not isinstance(document.get("keys"), list):
        raise ValueError("a JWKS is a JSON object with a 'keys' array")
    keys: dict[str | None, VerificationKey] = {}
    for entry in document["keys"]:
        if not isinstance(entry, Mapping) or entry.get("use", "sig") != "sig":
            continue
        if entry.get("kty") == "oct":  # a shared secret has no place in a set of public keys
            continue
        alg = entry.get("alg")
        if alg is not None and alg not in algorithms:
            continue
        kid = entry.get("kid")
        try:
            key = VerificationKey(
                kid if isinstance(kid, str) else None, jwt.PyJWK(dict(entry)).key, alg, str(entry.get("kty"))
            )
        except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError) as exc:
            _log.warning("skipping an unusable key %r in the JWKS: %s", entry.get("kid"), exc)
            continue
        keys[key.kid] = key
    return keys


class KeySet:
    """The verification keys, by ``kid``; ``await key(kid)`` returns one or ``None`` if it is unknown."""

    def __init__(
        self,
        *,
        algorithms: frozenset[str],
        file: str | None = None,
        url: str | None = None,
        refresh_interval: float = 300.0,
        min_refresh_interval: float = 30.0,
        fetch_timeout: float = 5.0,
        http: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if (file is None) == (url is None):
            raise ValueError("a key set comes from exactly one of a file and a URL")
        self._algorithms = algorithms
        self._file = file
        self._url = url
        self._refresh_interval = refresh_interval
        self._min_refresh_interval = min_refresh_interval
        self._timeout = fetch_timeout
        self._http = http
        self._clock = clock
        self._keys: dict[str | None, VerificationKey] | None = None
        self._loaded_at = 0.0
        self._attempted_at: float | None = None
        self._generation = 0
        self._lock = asyncio.Lock()
        self.loads = 0  # successful loads, for tests and metrics

    async def key(self, kid: str | None) -> VerificationKey | None:
        """The key ``kid`` names; a token without ``kid`` gets the only key of a one-key set."""
        now = self._clock()
        if self._keys is None or now - self._loaded_at >= self._refresh_interval:
            await self._reload(force=self._keys is None)
        found = self._lookup(kid)
        if found is None and self._keys is not None:
            await self._reload(force=False)  # perhaps a rotation: a kid we have not seen yet
            found = self._lookup(kid)
        return found

    def _lookup(self, kid: str | None) -> VerificationKey | None:
        keys = self._keys or {}
        if kid is None:
            return next(iter(keys.values())) if len(keys) == 1 else None
        return keys.get(kid)

    async def _reload(self, *, force: bool) -> None:
        generation = self._generation
        async with self._lock:
            if self._generation != generation:  # another request reloaded while this one waited
                if self._keys is None:
                    raise KeySetUnavailable("the key set could not be loaded")
                return
            now = self._clock()
            attempted = self._attempted_at
            if not force and attempted is not None and now - attempted < self._min_refresh_interval:
                return
            self._attempted_at = now
            self._generation += 1
            try:
                document = await self._fetch()
                keys = parse_jwks(document, self._algorithms)
            except (OSError, httpx.HTTPError, ValueError) as exc:
                _log.warning("could not load the JWKS from %s: %s", self._file or self._url, exc)
                if self._keys is None:
                    raise KeySetUnavailable(str(exc)) from None
                return
            self._keys = keys
            self._loaded_at = self._clock()
            self.loads += 1

    async def _fetch(self) -> Any:
        if self._file is not None:
            text = await asyncio.to_thread(Path(self._file).read_text, encoding="utf-8")
            return json.loads(text)
        assert self._url is not None
        if self._http is not None:
            response = await self._http.get(self._url, timeout=self._timeout)
        else:
            async with httpx.AsyncClient() as client:
                response = await client.get(self._url, timeout=self._timeout)
        response.raise_for_status()
        return response.json()
