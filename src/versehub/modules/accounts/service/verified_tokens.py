"""Access tokens whose signature and claims were checked: once per process, until they expire.

Verifying an HS256 token and its claims costs more than everything else the bearer resolver
does before its SQL, and a client sends the same access token for its whole 15-minute life.
Only what the token itself proves is kept (signature, algorithm, issuer, claims, type); whether
it was revoked since, and who its user is now, are still asked on every request.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from versehub.modules.accounts.service.tokens import Claims

# Access tokens live 15 minutes: a worker serving a few thousand active clients keeps each one;
# beyond that the least recently used is verified again (correct, only slower).
MAX_ENTRIES: Final = 4096


class VerifiedTokens:
    """A bounded LRU of verified access tokens keyed by the token string; entries end at `exp`."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._entries: OrderedDict[str, Claims] = OrderedDict()
        self._max_entries = max_entries
        # Gunicorn's threaded workers share the process: the OrderedDict is not thread-safe.
        self._lock = threading.Lock()

    def get(self, token: str, *, now: float) -> Claims | None:
        """The claims of `token` if verified here and not expired at `now` (Unix time)."""
        with self._lock:
            claims = self._entries.get(token)
            if claims is None:
                return None
            # PyJWT's own rule (no leeway): a token is expired from its `exp` second on.
            if claims.exp <= now:
                del self._entries[token]
                return None
            self._entries.move_to_end(token)
            return claims

    def put(self, token: str, claims: Claims) -> None:
        """Remember `token` as verified, evicting the least recently used beyond the bound."""
        with self._lock:
            self._entries[token] = claims
            self._entries.move_to_end(token)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        """How many tokens are remembered (expired ones until they are asked for or evicted)."""
        return len(self._entries)
