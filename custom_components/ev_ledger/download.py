"""CSV download of sessions and trips for the panel (issue 13).

`GET /api/ev_ledger/<entry_id>/sessions.csv` and `.../trips.csv`, with Home
Assistant's authentication (a bearer token, or a signed path). The query takes the
filters of the `ev_ledger.export` action (`vehicle`, `start`, `end`, `location`),
validated by its schema, and the file has its columns: it is written by the same
export, into a private temporary folder in the executor, and sent as an attachment.
"""

from __future__ import annotations

from http import HTTPStatus
from pathlib import Path
import tempfile
from typing import TYPE_CHECKING, Final

from aiohttp import web
from homeassistant.config_entries import ConfigEntryState
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.http import KEY_HASS, HomeAssistantView
from homeassistant.util import dt as dt_util
from sqlalchemy.exc import SQLAlchemyError
import voluptuous as vol

from .const import DOMAIN
from .db import DbError, WriterStoppedError, export_sessions_csv, export_trips_csv
from .services import (
    EXPORT_SCHEMA,
    KIND_SESSIONS,
    KIND_TRIPS,
    check_input,
    vehicle_runtime_of,
)

if TYPE_CHECKING:
    from .runtime import EvLedgerRuntime

FILTERS: Final = ("vehicle", "start", "end", "location")


class CsvDownloadView(HomeAssistantView):
    """A ledger's sessions or trips as a CSV attachment."""

    url = "/api/ev_ledger/{entry_id}/{kind}.csv"
    name = "api:ev_ledger:csv"
    requires_auth = True

    async def get(self, request: web.Request, entry_id: str, kind: str) -> web.Response:
        """Answer the CSV, 404 for an unknown entry or kind, 400 for a bad filter."""
        hass = request.app[KEY_HASS]
        if kind not in (KIND_SESSIONS, KIND_TRIPS):
            return self.json_message("No such export", HTTPStatus.NOT_FOUND)
        entry = hass.config_entries.async_get_entry(entry_id)
        if (
            entry is None
            or entry.domain != DOMAIN
            or entry.state is not ConfigEntryState.LOADED
        ):
            return self.json_message("No such EV Ledger entry", HTTPStatus.NOT_FOUND)
        runtime: EvLedgerRuntime = entry.runtime_data
        query = {key: request.query[key] for key in FILTERS if request.query.get(key)}
        try:
            data = EXPORT_SCHEMA({"config_entry_id": entry_id, "kind": kind, **query})
            check_input(data)
            start = dt_util.as_utc(data["start"]) if "start" in data else None
            end = dt_util.as_utc(data["end"]) if "end" in data else None
            if start is not None and end is not None and end <= start:
                raise vol.Invalid("The end is not after the start")  # noqa: TRY301
            vehicle = (
                vehicle_runtime_of(hass, runtime, data["vehicle"]).subentry_id
                if "vehicle" in data
                else None
            )
        except (vol.Invalid, HomeAssistantError) as err:
            return self.json_message(str(err), HTTPStatus.BAD_REQUEST)
        write = export_sessions_csv if kind == KIND_SESSIONS else export_trips_csv
        reader, location = runtime.reader, data.get("location")

        def job() -> bytes:
            with tempfile.TemporaryDirectory(prefix="ev_ledger_") as folder:
                report = write(
                    reader,
                    Path(folder) / f"{kind}.csv",
                    start=start,
                    end=end,
                    vehicle=vehicle,
                    location=location,
                )
                return report.path.read_bytes()

        try:
            await runtime.async_flush()
            body = await hass.async_add_executor_job(job)
        except (SQLAlchemyError, DbError, OSError) as err:
            return self.json_message(
                runtime.db_config.redact(str(err)), HTTPStatus.INTERNAL_SERVER_ERROR
            )
        except WriterStoppedError:
            # Home Assistant is stopping: the ledger is closed.
            return self.json_message(
                "EV Ledger is shutting down", HTTPStatus.SERVICE_UNAVAILABLE
            )
        stamp = dt_util.now().strftime("%Y%m%dT%H%M%S")
        return web.Response(
            body=body,
            content_type="text/csv",
            charset="utf-8",
            headers={
                "Content-Disposition": (
                    f'attachment; filename="ev_ledger_{kind}_{stamp}.csv"'
                ),
                "Cache-Control": "no-store",
            },
        )
