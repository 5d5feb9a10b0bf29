"""Fault injection: an engine factory whose database can be switched off."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import OperationalError

from custom_components.ev_ledger.db import DbConfig, make_engine


class Outage:
    """Builds engines that fail to connect and to begin while `down` is True."""

    def __init__(self, *, down: bool = False) -> None:
        self.down = down
        self.refused = 0

    def _check(self, *_args: Any, **_kwargs: Any) -> None:
        if self.down:
            self.refused += 1
            raise OperationalError("injected", None, ConnectionError("injected outage"))

    def factory(self, config: DbConfig) -> Engine:
        engine = make_engine(config)
        event.listen(engine, "do_connect", self._check)
        event.listen(engine, "begin", self._check)
        return engine
