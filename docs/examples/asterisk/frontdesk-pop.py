#!/usr/bin/env python3
"""Tell Frontdesk about a call on an Asterisk PBX: ringing, answered or ended.

Asterisk's dialplan runs it with System() (see extensions.conf beside it):

    frontdesk-pop.py ringing|answered|ended CALL_ID CALLER EXTENSION

It signs the JSON body with the site's webhook secret (HMAC-SHA256 over
"<unix time>." + body) and POSTs it to

    $FRONTDESK_URL/api/v1/sites/$FRONTDESK_SITE/insurance/telephony/events

Configuration, from the environment of the Asterisk process:

    FRONTDESK_URL             https://frontdesk.example.org   (no trailing path)
    FRONTDESK_SITE            the site's code, e.g. sunrise
    FRONTDESK_WEBHOOK_SECRET  the site's insurance_calls.telephony.webhook_secret
    FRONTDESK_SECRET_FILE     or a file holding it (read when the variable above is unset)
    FRONTDESK_TIMEOUT         seconds to wait for Frontdesk (default 3)

Standard library only. Exit status: 0 when Frontdesk accepted the event (202), 1 when it
refused it (the reason on stderr), 2 on a usage or configuration error, 3 when it could
not be reached. The call itself never waits on it: the dialplan runs it in the background.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

EVENTS = ("ringing", "answered", "ended")


def secret() -> str:
    value = os.environ.get("FRONTDESK_WEBHOOK_SECRET", "")
    path = os.environ.get("FRONTDESK_SECRET_FILE", "")
    if not value and path:
        with open(path, encoding="utf-8") as handle:
            value = handle.read()
    return value.strip()


def sign(key: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(key.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def main(argv: list[str]) -> int:
    if len(argv) != 5 or argv[1] not in EVENTS:
        print(f"usage: {argv[0]} {'|'.join(EVENTS)} CALL_ID CALLER EXTENSION", file=sys.stderr)
        return 2
    event, call_id, caller, extension = argv[1:]
    base, site, key = os.environ.get("FRONTDESK_URL", "").rstrip("/"), os.environ.get("FRONTDESK_SITE", ""), secret()
    if not (base and site and key):
        print("set FRONTDESK_URL, FRONTDESK_SITE and FRONTDESK_WEBHOOK_SECRET (or FRONTDESK_SECRET_FILE)",
              file=sys.stderr)
        return 2
    if not base.startswith(("https://", "http://")):
        print("FRONTDESK_URL must start with https:// (or http:// on a trusted network)", file=sys.stderr)
        return 2
    # What the dialplan passes is filtered there too; a caller id is the caller's to choose.
    caller = re.sub(r"[^0-9+]", "", caller)[:20]
    body = json.dumps({"event": event, "call_id": call_id[:100], "caller": caller, "extension": extension[:20],
                       "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}).encode()
    timestamp = str(int(time.time()))
    request = urllib.request.Request(  # noqa: S310 — http(s) only, checked above
        f"{base}/api/v1/sites/{urllib.parse.quote(site, safe='')}/insurance/telephony/events", data=body,
        method="POST", headers={"Content-Type": "application/json", "X-Frontdesk-Timestamp": timestamp,
                                "X-Frontdesk-Signature": sign(key, timestamp, body),
                                "User-Agent": "frontdesk-pop (Asterisk)"})
    try:
        timeout = float(os.environ.get("FRONTDESK_TIMEOUT", "3"))
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 — http(s) only
            print(response.read().decode("utf-8", "replace"))
            return 0
    except urllib.error.HTTPError as error:
        print(f"Frontdesk refused the {event} event: {error.code} {error.read().decode('utf-8', 'replace')}",
              file=sys.stderr)
        return 1
    except (urllib.error.URLError, OSError) as error:
        print(f"Frontdesk could not be reached: {error}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main(sys.argv))
