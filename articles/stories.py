"""One story, many feeds: what makes two entries the same story (a canonical URL, or
near-identical titles within a window), found when articles are stored. Copies take their
lead's score; scoring does that (`scoring.services.stories`)."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.utils import timezone

from articles.models import Article

TRACKING_PARAMS = ("utm_", "fbclid", "gclid", "dclid", "mc_cid", "mc_eid", "igshid", "ref_src")
STORY_WINDOW = timedelta(hours=48)
# Two titles within the window are one story told twice when their words (lowercased, no
# punctuation) are this alike (difflib's ratio over the word sequences) and they carry the
# same numbers: 0.85 lets "Apple launches the iPhone 17" match "Apple launches iPhone 17!"
# (0.89) and keeps "... the iPad 17" apart (0.8); the numbers rule keeps "Rust 1.95
# released" apart from "Rust 1.96 released".
STORY_TITLE_SIMILARITY = 0.85


def canonical_url(url: str) -> str:
    """The URL as a story's identity: lowercase scheme and host, no `www.`, no fragment, no
    tracking parameters (utm_*, fbclid, …), no trailing slash."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().removeprefix("www.")
    if parts.port:
        host = f"{host}:{parts.port}"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith(TRACKING_PARAMS) and k.lower() != "ref"
    ]
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((parts.scheme.lower(), host, path, urlencode(query), ""))


def title_key(title: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", title.lower()).split())


def same_title(a: str, b: str) -> bool:
    if not a or not b:
        return False
    if a == b:
        return True
    words_a, words_b = a.split(), b.split()
    if {w for w in words_a if w.isdigit()} != {w for w in words_b if w.isdigit()}:
        return False
    matcher = difflib.SequenceMatcher(None, words_a, words_b)
    return (
        matcher.quick_ratio() >= STORY_TITLE_SIMILARITY
        and matcher.ratio() >= STORY_TITLE_SIMILARITY
    )


@dataclass
class Candidate:
    key: int | str  # an article id, or the URL of one stored in this same batch
    canonical: str
    title: str
    at: datetime


def story_candidates(entries: list[dict[str, Any]]) -> list[Candidate]:
    """Stories that arrived within the window of these entries: what a new one may copy."""
    times = [e.get("published_at") or timezone.now() for e in entries]
    rows = (
        Article.objects.leads()
        .filter(created_at__gte=min(times) - STORY_WINDOW)
        .order_by("-created_at")
        .values_list("id", "canonical_url", "title", "published_at", "created_at")[:5000]
    )
    return [
        Candidate(pk, canonical, title_key(title), published or created)
        for pk, canonical, title, published, created in rows
    ]


def story_of(
    canonical: str, title: str, at: datetime, candidates: list[Candidate]
) -> int | str | None:
    for candidate in candidates:
        if abs(candidate.at - at) > STORY_WINDOW:
            continue
        if candidate.canonical == canonical or same_title(candidate.title, title):
            return candidate.key
    return None
