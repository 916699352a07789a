"""The browser of the editor tests, installed as `xdg-open` on their PATH: given the sign-in's
authorisation page it clicks "Authorize" and follows the redirect to the server's loopback
callback, as a person's browser would. It appends one JSON line per page it opened to
$OPENROUTER_TEST_BROWSER_LOG, so the test sees what the editor opened and how the callback answered.
"""

from __future__ import annotations

import html
import json
import os
import re
import sys
from urllib.parse import urljoin

import httpx


def visit(url: str) -> dict[str, object]:
    with httpx.Client(follow_redirects=False, timeout=20) as browser:
        page = browser.get(url)
        seen: dict[str, object] = {"url": url, "status": page.status_code}
        link = re.search(r'id="authorize" href="([^"]+)"', page.text)
        if page.status_code != 200 or link is None:
            return seen
        redirect = browser.get(urljoin(url, html.unescape(link.group(1))))
        location = redirect.headers.get("location", "")
        seen["redirect"] = redirect.status_code
        if location:
            callback = browser.get(location)
            seen["callback"] = callback.status_code
            seen["callbackPage"] = callback.text
        return seen


def main() -> None:
    seen = visit(sys.argv[1])
    with open(os.environ["OPENROUTER_TEST_BROWSER_LOG"], "a") as log:
        log.write(json.dumps(seen) + "\n")


if __name__ == "__main__":
    main()
