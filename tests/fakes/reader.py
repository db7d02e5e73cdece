"""Deterministic answers that follow the prompt, so the fake Ollama ranks like a (very plain)
reader: topics from the article's words, interest from how many of the reader's interests
and anti-interests the article mentions, and a one-line reason naming what matched.

Used by `python -m tests.fakes.serve ollama` and `make demo`; tests that need fixed answers
keep the fake's schema-filling default.
"""

from __future__ import annotations

import re
from typing import Any

from tests.fakes.base import instance_from_schema

# Topic → words that point to it. Broad on purpose, like the prompt asks.
TOPIC_WORDS: dict[str, tuple[str, ...]] = {
    "ai-ml": ("ai", "llm", "model", "models", "neural", "machine learning", "inference", "gpu", "transformer", "training"),
    "programming": ("python", "rust", "compiler", "code", "programming", "library", "api", "refactor", "typescript", "golang", "django"),
    "databases": ("database", "postgres", "postgresql", "sqlite", "sql", "index", "query", "queries"),
    "security": ("security", "vulnerability", "exploit", "breach", "patch", "cve", "password", "encryption"),
    "open-source": ("open source", "open-source", "maintainer", "maintainers", "license", "contributors"),
    "science": ("research", "study", "scientists", "physics", "biology", "experiment", "telescope"),
    "space": ("space", "orbit", "rocket", "nasa", "mars", "moon", "satellite", "launch"),
    "climate": ("climate", "emissions", "carbon", "warming", "heatwave", "drought"),
    "energy": ("energy", "solar", "wind", "battery", "batteries", "grid", "nuclear"),
    "sports": ("football", "match", "league", "goal", "championship", "tennis", "transfer", "coach", "season"),
    "entertainment": ("celebrity", "film", "movie", "series", "album", "star", "gossip", "red carpet"),
    "business": ("startup", "funding", "revenue", "acquisition", "company", "market", "shares"),
    "politics": ("election", "parliament", "minister", "policy", "government", "vote"),
    "health": ("health", "hospital", "vaccine", "disease", "sleep", "diet"),
    "hardware": ("chip", "cpu", "laptop", "keyboard", "hardware", "raspberry"),
}  # fmt: skip

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "has",
        "have",
        "in",
        "into",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "that",
        "the",
        "this",
        "to",
        "was",
        "were",
        "will",
        "with",
        "about",
        "over",
        "more",
        "most",
        "new",
        "how",
        "why",
        "what",
        "when",
        "your",
        "you",
        "our",
        "their",
        "not",
        "any",
        "all",
        "very",
        "just",
        "than",
        "then",
        "them",
        "they",
    ]
)


def _section(prompt: str, label: str) -> str:
    """The text after `**label:**` up to the next `**…:**` heading."""
    match = re.search(
        rf"\*\*{re.escape(label)}:\*\*\s*(.*?)(?=\n\s*\*\*[^*\n]+:\*\*|\Z)", prompt, re.S
    )
    return match.group(1).strip() if match else ""


def _words(text: str) -> set[str]:
    """Lowercase words, hyphenated ones also as their parts, plurals also as singulars."""
    words = set(re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*", text.lower()))
    words |= {part for w in words for part in w.split("-")}
    return words | {w[:-1] for w in words if w.endswith("s") and len(w) > 3}


def _mentions(text: str, phrase: str) -> bool:
    """A phrase is mentioned when one of its words (ignoring small ones) appears."""
    words = [
        w for w in re.findall(r"[a-z0-9]+", phrase.lower()) if w not in STOPWORDS and len(w) > 2
    ]
    have = _words(text)
    return any(w in have or w.rstrip("s") in have for w in words)


def _phrases(block: str) -> list[str]:
    if block.lower() in ("", "not specified"):
        return []
    parts = re.split(r"[,;\n]|\band\b", block)
    return [p.strip(" .-•*") for p in parts if p.strip(" .-•*")]


def categorize(prompt: str) -> dict[str, object]:
    article = f"{_section(prompt, 'Title')}\n{_section(prompt, 'Content')}".lower()
    have = _words(article)
    scores = {
        topic: sum(1 for word in words if word in have or (" " in word and word in article))
        for topic, words in TOPIC_WORDS.items()
    }
    ranked = [t for t, n in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0])) if n > 0]
    return {"categories": ranked[:3] or ["technology"], "suggested_new": []}


def score(prompt: str) -> dict[str, object]:
    article = f"{_section(prompt, 'Title')}\n{_section(prompt, 'Content')}"
    liked = [p for p in _phrases(_section(prompt, "User Interests")) if _mentions(article, p)]
    disliked = [p for p in _phrases(_section(prompt, "Anti-Interests")) if _mentions(article, p)]
    interest = max(0, min(10, 4 + 2 * len(liked) - 3 * len(disliked)))
    length = len(re.findall(r"\w+", article))
    quality = max(3, min(9, 4 + length // 40))
    if liked and disliked:
        reason = (
            f"Matches your interest in {', '.join(liked)}, but touches on {', '.join(disliked)}."
        )
    elif liked:
        reason = f"Matches your interest in {', '.join(liked)}."
    elif disliked:
        reason = f"About {', '.join(disliked)}, which you would rather avoid."
    else:
        reason = "No clear link to your interests."
    # The reader's own phrases it matched, as Sift's schema asks (the page's "✓" chips).
    return {
        "interest_score": interest,
        "quality_score": quality,
        "reasoning": reason,
        "matched_interests": liked,
        "matched_anti_interests": disliked,
    }


ARTICLE_BLOCK = re.compile(r'<article id="(\d+)">\s*(.*?)\s*</article>', re.S)


def batch_item_schema(schema: dict[str, Any]) -> dict[str, Any] | None:
    """The schema of one entry when `schema` asks for a batched reply (`{"articles": [{"id",
    …}]}`), else None."""
    articles = schema.get("properties", {}).get("articles")
    if not isinstance(articles, dict):
        return None
    item = articles.get("items", {})
    if "$ref" in item:
        item = schema.get("$defs", {}).get(item["$ref"].split("/")[-1], {})
    return item if "id" in item.get("properties", {}) else None


def batch_answer(
    prompt: str, schema: dict[str, Any], *, follow_prompt: bool
) -> dict[str, object] | None:
    """A batched reply: one entry per `<article id="…">` in the prompt, keyed by its id, each
    answered as if the article had come alone (following the prompt, or filled from the
    schema). None when the schema is not a batched one."""
    item = batch_item_schema(schema)
    if item is None:
        return None
    shared = ARTICLE_BLOCK.sub("", prompt)
    entries: list[dict[str, object]] = []
    for article_id, block in ARTICLE_BLOCK.findall(prompt):
        payload = answer(f"{shared}\n{block}", item) if follow_prompt else None
        if payload is None:
            payload = instance_from_schema(item, schema.get("$defs", {}))
        entries.append({**payload, "id": int(article_id)})
    return {"articles": entries}


def answer(prompt: str, schema: dict[str, object]) -> dict[str, object] | None:
    """The reply for a Sift prompt, or None when the schema is not one of Sift's three."""
    properties = schema.get("properties", {})
    if not isinstance(properties, dict):
        return None
    if "interest_score" in properties and "categories" in properties:
        # Topics and scores in one answer, each as its own prompt would get it.
        topics = categorize(prompt)
        return {"categories": topics["categories"], **score(prompt)}
    if "interest_score" in properties:
        return score(prompt)
    if "categories" in properties:
        return categorize(prompt)
    return None


def reply(prompt: str, schema: dict[str, Any] | None, *, follow_prompt: bool) -> dict[str, Any]:
    """What a fake model answers: a batched reply for a batched schema, Sift's two prompts
    followed like a reader when asked to, otherwise the schema filled with fixed values."""
    if not schema:
        return {"answer": "plain text"}
    payload = batch_answer(prompt, schema, follow_prompt=follow_prompt)
    if payload is None and follow_prompt:
        payload = answer(prompt, schema)
    return payload if payload is not None else instance_from_schema(schema)
