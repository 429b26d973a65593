"""Log records that say which lead they are about.

Code that logs about a lead passes its id: `log.info("...", extra={"lead_id": lead.pk})`.
`LeadContext` (a filter on the console handler) gives every record a `lead_id` (None
when it has none) and a `lead` prefix ("lead_id=42 " or ""), so the plain format can
print it and no record fails to format. `LOG_FORMAT=json` (settings.py) switches the
console to `JsonFormatter`: one JSON object per line with time, level, logger, message,
lead_id and any other `extra` fields, for a log shipper."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

# Attributes every LogRecord has: whatever else a record carries came from `extra`.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "lead"}


class LeadContext(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        lead_id = getattr(record, "lead_id", None)
        record.lead_id = lead_id
        record.lead = f"lead_id={lead_id} " if lead_id is not None else ""
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "lead_id": getattr(record, "lead_id", None),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)
