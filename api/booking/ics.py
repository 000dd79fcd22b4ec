"""An appointment as an iCalendar event (RFC 5545), for the phone's calendar. Pure text."""
from __future__ import annotations

from datetime import datetime, timezone


def _escape(text: str) -> str:
    # RFC 5545 §3.3.11: backslash, semicolon, comma and newlines are escaped in TEXT values.
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def _fold(line: str) -> str:
    # §3.1: lines longer than 75 octets are folded with CRLF + one space (never inside a character).
    out, current = [], b""
    for ch in line:
        b = ch.encode()
        if len(current) + len(b) > (75 if not out else 74):
            out.append(current.decode())
            current = b""
        current += b
    out.append(current.decode())
    return "\r\n ".join(out)


def _utc(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def appointment(*, uid: str, starts_at: datetime, ends_at: datetime, summary: str, location: str,
                description: str, stamp: datetime, geo: tuple[float, float] | None = None,
                cancelled: bool = False) -> str:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//So Suc Khoe//Booking//VI", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", "BEGIN:VEVENT", f"UID:{uid}", f"DTSTAMP:{_utc(stamp)}",
             f"DTSTART:{_utc(starts_at)}", f"DTEND:{_utc(ends_at)}", f"SUMMARY:{_escape(summary)}",
             f"LOCATION:{_escape(location)}", f"DESCRIPTION:{_escape(description)}",
             f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}"]
    if geo:
        lines.append(f"GEO:{geo[0]:.6f};{geo[1]:.6f}")
    lines += ["BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-PT2H", f"DESCRIPTION:{_escape(summary)}",
              "END:VALARM", "END:VEVENT", "END:VCALENDAR"]
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
