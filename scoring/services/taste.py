"""A reader's taste without the LLM: what they said they want, and what they do.

1. Stated: an article's similarity (cosine of the vectors, `understanding`) to the closest
   line of the reader's interests, less its similarity to the closest line of their
   anti-interests.
2. Learned: a ridge regression (no intercept: one 👎 lowers what resembles it, not every
   article alike) from article vectors to the reader's marks — 👍 or a star +1, 👎 -1 — each
   mark weighing half as much every TASTE_HALF_LIFE_DAYS. An unread article is never a
   label: not reading something says nothing about it.
3. Until the reader has about TASTE_FULL_LABELS marks the learned part is shrunk toward
   zero (by n / (n + TASTE_FULL_LABELS)), so a first 👎 nudges the order and twenty of them
   steer it. LEARNED_SCALE puts the ridge's ±1 on the scale of the stated part's spread
   between articles (chosen on the development half of `make bench-judgement`).
4. With at least AP_MIN_LABELS marks of both kinds, the model's average precision on marks
   it was not trained on (k-fold) is kept with it, over time, for the reader and operator.

Training takes milliseconds (a few hundred 384-wide rows); it runs in the background
shortly after a mark (`tasks.train_taste`), never in a request.
"""

from __future__ import annotations

import hashlib
import math
from datetime import datetime
from typing import Any

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone

from accounts.models import Profile
from articles.models import Reading
from llmconfig import embeddings
from scoring.services.understanding import article_vectors

Vectors = np.ndarray[Any, np.dtype[np.float32]]
Floats = np.ndarray[Any, np.dtype[np.float64]]

LEARNED_SCALE = 1.0
RIDGE_ALPHA = 1.0
AP_MIN_LABELS = 10
AP_HISTORY = 30


# --- the arithmetic, on arrays (also what `make bench-judgement` measures) --------------------
def stated_similarity(vectors: Vectors, interests: Vectors, anti: Vectors) -> Floats:
    """Per article row: closest interest line, less closest anti-interest line."""
    score = np.zeros(len(vectors), dtype=np.float64)
    if len(vectors) and len(interests):
        score += (vectors @ interests.T).max(axis=1)
    if len(vectors) and len(anti):
        score -= (vectors @ anti.T).max(axis=1)
    return score


def learned_fit(vectors: Vectors, labels: Floats, weights: Floats) -> tuple[Floats, float]:
    """Ridge coefficients and intercept from marked article vectors."""
    from sklearn.linear_model import Ridge

    model = Ridge(alpha=RIDGE_ALPHA, fit_intercept=False).fit(
        vectors, labels, sample_weight=weights
    )
    return np.asarray(model.coef_, dtype=np.float64), float(model.intercept_)


def combined(
    stated: Floats, vectors: Vectors, coef: Floats | None, intercept: float, labels: int
) -> Floats:
    """The cheap score: stated similarity plus the shrunk learned part."""
    if coef is None or labels == 0:
        return stated
    shrink = labels / (labels + settings.TASTE_FULL_LABELS)
    return stated + shrink * LEARNED_SCALE * (vectors @ coef + intercept)


def heldout_average_precision(vectors: Vectors, labels: Floats, weights: Floats) -> float | None:
    """Average precision of the learned part on marks it was not trained on (k-fold)."""
    from sklearn.linear_model import Ridge
    from sklearn.metrics import average_precision_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    positives = int((labels > 0).sum())
    if len(labels) < AP_MIN_LABELS or min(positives, len(labels) - positives) < 2:
        return None
    folds = StratifiedKFold(n_splits=min(5, positives, len(labels) - positives))
    predicted = cross_val_predict(
        Ridge(alpha=RIDGE_ALPHA, fit_intercept=False),
        vectors,
        labels,
        cv=folds,
        params={"sample_weight": weights},
    )
    return float(average_precision_score(labels > 0, predicted))


# --- a reader's rows ---------------------------------------------------------------------------
def _lines(text: str) -> list[str]:
    return [line.strip(" -•*\t") for line in text.splitlines() if line.strip(" -•*\t")]


def stated_vectors(profile: Profile) -> tuple[Vectors, Vectors]:
    """The vectors of the reader's interest and anti-interest lines (cached by their text)."""
    out = []
    for text in (profile.interests, profile.anti_interests):
        lines = _lines(text)
        key = (
            "sift:stated:"
            + hashlib.sha256(f"{embeddings.model_name()}\n{text}".encode()).hexdigest()
        )
        raw = cache.get(key)
        if raw is None:
            vectors = embeddings.embed_queries(lines) if lines else np.zeros((0, 0), np.float32)
            raw = (vectors.shape, vectors.tobytes())
            cache.set(key, raw, 30 * 24 * 3600)
        shape, data = raw
        out.append(np.frombuffer(data, dtype=np.float32).reshape(shape))
    return out[0], out[1]


def reader_marks(reader_id: int) -> tuple[list[int], Floats, Floats]:
    """Article ids the reader marked, their labels (+1 / -1) and weights (by age)."""
    rows = (
        Reading.objects.filter(reader_id=reader_id)
        .filter(Q(feedback__isnull=False) | Q(is_starred=True))
        .values_list("article_id", "feedback", "feedback_at", "starred_at")
    )
    now = timezone.now()
    ids, labels, weights = [], [], []
    for article_id, feedback, feedback_at, starred_at in rows:
        label = -1.0 if feedback == "down" else 1.0  # 👍, or a star without a 👎
        at: datetime | None = feedback_at if feedback else starred_at
        age_days = (now - at).total_seconds() / 86400 if at else 0.0
        ids.append(article_id)
        labels.append(label)
        weights.append(0.5 ** (max(age_days, 0.0) / settings.TASTE_HALF_LIFE_DAYS))
    return ids, np.array(labels), np.array(weights)


def taste_train(*, reader_id: int) -> dict[str, Any]:
    """Fit the reader's learned part on their marks and keep it on their profile."""
    ids, labels, weights = reader_marks(reader_id)
    vectors_by_id = article_vectors(ids)
    keep = [i for i, pk in enumerate(ids) if pk in vectors_by_id]
    profile = Profile.of_id(reader_id)
    taste: dict[str, Any] = {
        "model": embeddings.model_name(),
        "labels": len(keep),
        "trained_at": timezone.now().isoformat(),
        "ap": list(profile.taste.get("ap", []))[-(AP_HISTORY - 1) :],
    }
    if keep:
        vectors = np.stack([vectors_by_id[ids[i]] for i in keep])
        y, w = labels[keep], weights[keep]
        coef, intercept = learned_fit(vectors, y, w)
        taste.update(coef=[round(float(c), 6) for c in coef], intercept=intercept)
        ap = heldout_average_precision(vectors, y, w)
        if ap is not None and not math.isnan(ap):
            taste["ap"].append([taste["trained_at"], round(ap, 4)])
    Profile.objects.filter(user_id=reader_id).update(taste=taste)
    return taste


def cheap_scores(*, reader_id: int, article_ids: list[int]) -> dict[int, float]:
    """The reader's score of each article that has a vector, with no LLM call."""
    profile = Profile.of_id(reader_id)
    vectors_by_id = article_vectors(article_ids)
    if not vectors_by_id:
        return {}
    ids = list(vectors_by_id)
    vectors = np.stack([vectors_by_id[pk] for pk in ids])
    interests, anti = stated_vectors(profile)
    stated = stated_similarity(vectors, interests, anti)
    taste = profile.taste
    usable = taste.get("model") == embeddings.model_name() and taste.get("coef")
    coef = np.array(taste["coef"]) if usable else None
    scores = combined(
        stated, vectors, coef, float(taste.get("intercept", 0.0)), int(taste.get("labels", 0))
    )
    return dict(zip(ids, (float(s) for s in scores), strict=True))


def taste_summary(profile: Profile) -> dict[str, Any]:
    """What the reader and the operator see of the learned taste: how many marks it learned
    from, when, and its held-out average precision over time (oldest first)."""
    taste = profile.taste
    history = [{"at": at, "average_precision": ap} for at, ap in taste.get("ap", [])]
    return {
        "marks": int(taste.get("labels", 0)),
        "trained_at": taste.get("trained_at"),
        "average_precision": history[-1]["average_precision"] if history else None,
        "history": history,
    }
