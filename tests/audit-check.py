#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Checks skip-kpd audit files against the schema docs/operations.md
gives: one JSON object per line with exactly these members, of these
types and values. Exits 1 naming the file, line and problem."""
import json
import re
import sys

EVENTS = {"issued", "delivered", "refused"}
REQUESTS = {"GET /key", "GET /key/{keyId}"}
OUTCOMES = {"ok", "forged", "invalid", "expired", "already_delivered",
            "unknown_key", "unauthorized", "bad_request", "limits",
            "ledger_failure", "source_failure"}
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
KEYID = re.compile(r"[0-9a-f]{2,128}")


def problem(entry):
    if set(entry) != {"time", "event", "request", "client", "remote", "keyId",
                      "outcome", "status"}:
        return f"members {sorted(entry)}"
    if not isinstance(entry["time"], str) or not TIME.fullmatch(entry["time"]):
        return "time is not RFC 3339 UTC with milliseconds"
    if entry["event"] not in EVENTS:
        return f"event {entry['event']!r}"
    if entry["request"] not in REQUESTS:
        return f"request {entry['request']!r}"
    if not isinstance(entry["client"], str) or not entry["client"]:
        return "client"
    if entry["remote"] is not None and not isinstance(entry["remote"], str):
        return "remote"
    if entry["keyId"] is not None and not KEYID.fullmatch(str(entry["keyId"])):
        return "keyId is not lowercase hex"
    if entry["outcome"] not in OUTCOMES:
        return f"outcome {entry['outcome']!r}"
    if not isinstance(entry["status"], int):
        return "status"
    if (entry["event"] == "refused") != (entry["status"] != 200):
        return "event and status disagree"
    if (entry["outcome"] == "ok") != (entry["status"] == 200):
        return "outcome and status disagree"
    return None


def main():
    count = 0
    for path in sys.argv[1:]:
        with open(path) as f:
            for number, line in enumerate(f, 1):
                try:
                    entry = json.loads(line)
                except ValueError as e:
                    print(f"{path}:{number}: not JSON: {e}")
                    return 1
                why = problem(entry) if isinstance(entry, dict) else "not an object"
                if why:
                    print(f"{path}:{number}: {why}")
                    return 1
                count += 1
    print(f"audit-check: {count} lines")
    return 0 if count > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
