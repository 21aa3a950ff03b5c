"""Sessions in the database, read from the shared cache first (`SESSION_ENGINE` when `CACHE_URL` is set).

Django's cached-database sessions, except that a cache that does not answer while a session is read, or
asked whether one exists, falls back to the database instead of failing the request: with Redis down,
signed-in pages are slower, not errors. Saving already logs a failed cache write (Django). Deleting (sign
out) fails loudly, and before anything is deleted: the cache first, then the database, then the cache again
(a request reading the session in between puts it back). Django's order — the database first — would
leave a session deleted from the database but kept in a cache that did not answer, valid again once the
cache is back.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.sessions.backends import cached_db, db

logger = logging.getLogger(__name__)


class SessionStore(cached_db.SessionStore):
    def load(self) -> dict[str, Any]:
        django_store: Any = self  # Django's private members, which its type stubs leave out
        try:
            data = django_store._cache.get(self.cache_key)
        except Exception:  # an unreachable cache, or an invalid key (Django #17810)
            logger.warning("session cache read failed", exc_info=True)
            data = None
        if data is not None:
            return dict(data)
        s = django_store._get_session_from_db()
        if not s:
            return {}
        data = self.decode(s.session_data)
        try:
            django_store._cache.set(self.cache_key, data, self.get_expiry_age(expiry=s.expire_date))
        except Exception:
            logger.warning("session cache write failed", exc_info=True)
        return dict(data)

    def exists(self, session_key: str) -> bool:
        django_store: Any = self
        try:
            if session_key and (self.cache_key_prefix + session_key) in django_store._cache:
                return True
        except Exception:
            logger.warning("session cache read failed", exc_info=True)
        return bool(session_key) and db.SessionStore.exists(self, session_key)

    def delete(self, session_key: str | None = None) -> None:
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        django_store: Any = self
        django_store._cache.delete(self.cache_key_prefix + session_key)
        db.SessionStore.delete(self, session_key)
        django_store._cache.delete(self.cache_key_prefix + session_key)
