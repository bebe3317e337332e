"""A client process for the crash test: sends a bounded stream of decide requests to
the service at ``host:port`` and prints, one a line, the id of every decision whose
response it received in full; it stops at the first failed connection.

Run as ``python crash_client.py PORT COUNT``; only the standard library, so it starts fast.
"""

from __future__ import annotations

import http.client
import json
import sys


def main(port: int, count: int) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for number in range(count):
        size = 1 + number % 3  # single requests and batches of two and three
        asks = [{"account": f"acct-{number}-{i}", "action": "open",
                 "facts": {"credit_score": 500 + number % 200}} for i in range(size)]
        body = json.dumps(asks[0] if size == 1 else asks)
        try:
            connection.request("POST", "/v1/decide", body, {"Content-Type": "application/json"})
            response = connection.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException):
            return
        if response.status != 200:
            print(f"status {response.status}: {payload[:200]!r}", file=sys.stderr)
            sys.exit(1)
        document = json.loads(payload)
        for decision in document["decisions"] if size > 1 else [document]:
            print(decision["decision_id"], flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
