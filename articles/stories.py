"""One story, many feeds: what makes two entries the same story (a canonical URL, or
near-identical titles within a window), found when articles are stored. Copies take their
lead's score; scoring does that (`scoring.services.stories`)."""

from __future__ import annotations

import difflib
import math
import re
from collections import defaultdict
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


# Titles alike enough share at least one of their "signature" words, so a new entry is
# compared only with the stories that share one (prefix filtering, as in set-similarity
# joins): difflib's ratio over words is at most their Dice coefficient 2|A∩B|/(|A|+|B|), and
# a Dice of at least s needs an overlap of at least s/(2-s)·|A| words, so any two such titles
# share one of the first |A| - ⌈s/(2-s)·|A|⌉ + 1 words of each in one fixed order. Longest
# words first (rarer, so the groups stay small), then alphabetical.
_OVERLAP = STORY_TITLE_SIMILARITY / (2 - STORY_TITLE_SIMILARITY)


def title_signature(title: str) -> list[str]:
    counts: dict[str, int] = {}
    words = []
    for word in title.split():
        counts[word] = counts.get(word, 0) + 1
        words.append(f"{word}#{counts[word]}")  # a repeated word is a word of its own
    words.sort(key=lambda w: (-len(w), w))
    return words[: len(words) - math.ceil(_OVERLAP * len(words) - 1e-9) + 1]


class StoryIndex:
    """The stories new entries may copy, found by canonical URL or title signature instead of
    comparing each new entry with every story (quadratic: a 20,000-item feed ran for minutes
    inside one transaction)."""

    def __init__(self, candidates: list[Candidate]) -> None:
        self._by_url: dict[str, list[Candidate]] = defaultdict(list)
        self._by_word: dict[str, list[Candidate]] = defaultdict(list)
        for candidate in candidates:
            self.add(candidate)

    def add(self, candidate: Candidate) -> None:
        self._by_url[candidate.canonical].append(candidate)
        for word in title_signature(candidate.title):
            self._by_word[word].append(candidate)

    def story_of(self, canonical: str, title: str, at: datetime) -> int | str | None:
        """The story an entry is a copy of (the first one found, as candidates came in)."""
        for candidate in self._by_url.get(canonical, ()):
            if abs(candidate.at - at) <= STORY_WINDOW:
                return candidate.key
        seen: set[int] = set()
        for word in title_signature(title) if title else ():
            for candidate in self._by_word.get(word, ()):
                if id(candidate) in seen:
                    continue
                seen.add(id(candidate))
                if abs(candidate.at - at) <= STORY_WINDOW and same_title(candidate.title, title):
                    return candidate.key
        return None


def story_candidates(entries: list[dict[str, Any]]) -> StoryIndex:
    """Stories that arrived within the window of these entries: what a new one may copy."""
    times = [e.get("published_at") or timezone.now() for e in entries]
    rows = (
        Article.objects.leads()
        .filter(created_at__gte=min(times) - STORY_WINDOW)
        .order_by("-created_at")
        .values_list("id", "canonical_url", "title", "published_at", "created_at")[:5000]
    )
    return StoryIndex(
        [
            Candidate(pk, canonical, title_key(title), published or created)
            for pk, canonical, title, published, created in rows
        ]
    )
