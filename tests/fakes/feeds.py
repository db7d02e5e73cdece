"""A local HTTP server for feed documents: fixed bodies, status codes, ETags, delays."""

from __future__ import annotations

import contextlib
import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

from tests.fakes.base import FakeServer, JSONHandler

DATA = Path(__file__).resolve().parent.parent / "data"


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str = "application/rss+xml"
    delay: float = 0.0
    location: str = ""
    drip: float = 0.0  # seconds between bytes: a server that never times a read out


class FeedHandler(JSONHandler):
    def do_GET(self) -> None:
        fake: FakeFeeds = self.fake
        fake.record(self, None)
        route = fake.routes.get(self.path.split("?")[0])
        if route is None:
            self.send_json(404, {"error": "no such feed"})
            return
        if route.delay:
            time.sleep(route.delay)
        if route.location:
            self.send_response(route.status)
            self.send_header("Location", route.location)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        etag = '"' + hashlib.sha1(route.body).hexdigest()[:16] + '"'
        if route.status == 200 and self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(route.status)
        self.send_header("Content-Type", route.content_type)
        self.send_header("Content-Length", str(len(route.body)))
        if route.status == 200:
            self.send_header("ETag", etag)
        self.end_headers()
        with contextlib.suppress(OSError):  # the client gave up, or the fake went down
            if not route.drip:
                self.wfile.write(route.body)
            for byte in route.body if route.drip else b"":
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(route.drip)

    def do_POST(self) -> None:
        self.read_json()
        self.do_GET()


class FakeFeeds(FakeServer):
    handler_class = FeedHandler

    def configure(self) -> None:
        self.routes: dict[str, Route] = {}
        for name in ("rss2", "atom", "rss1", "malformed", "billion_laughs"):
            self.routes[f"/{name}.xml"] = Route((DATA / f"{name}.xml").read_bytes())
        self.routes["/not-xml"] = Route(
            b"<html><body>Hello, this is a web page</body></html>", content_type="text/html"
        )
        self.routes["/gone"] = Route(b"", status=404)
        self.routes["/broken"] = Route(b"oops", status=500)
        self.routes["/slow.xml"] = Route((DATA / "rss2.xml").read_bytes(), delay=3.0)

    def url_for(self, path: str) -> str:
        return f"{self.url}{path}"
