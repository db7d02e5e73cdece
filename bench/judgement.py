"""`make bench-judgement`: Sift's ranking measured against human relevance labels.

The labels: the Lee-Pincombe-Welsh corpus that gensim's wheel carries (`lee.cor`, 50 ABC news
articles; `similarities0-1.txt`, the averaged human similarity rating of every pair, scaled
to 0-1; human raters agree with each other at about r = 0.6).

The protocol:
1. Each of the 50 articles stands for a reader: its first sentence is their stated
   interests. The other 49 articles are their candidates; a candidate is relevant when the
   humans rated the pair at least 0.5. Readers with no relevant candidate (or only relevant
   ones) have no ranking to judge and are left out of the AUC.
2. Even-numbered readers are the development half (what the rankers' constants were chosen
   on: LEARNED_SCALE, the ridge's alpha); odd-numbered ones are held out. The table reports
   the held-out half.
3. Each ranker orders a reader's candidates: TF-IDF (the baseline; fitted on the 300
   `lee_background.cor` articles too), the encoder's similarity to the stated interests
   (`scoring.services.taste.stated_similarity` on `llmconfig.embeddings` vectors: what Sift's
   cheap score starts from), the learned taste after k marks (k candidates drawn at random,
   marked 👍 when relevant and 👎 otherwise, five draws, judged on the candidates not marked),
   and, when the real model is installed (`make test-real` installs it), the LLM's verdict:
   the interest score the worker's own services write (`score_next_articles`), for
   BENCH_JUDGEMENT_LLM_READERS held-out readers (default 4; about 3 s a call on two cores).
4. Per ranker: ROC AUC per reader (mean, min), nDCG@5 with the human similarity as gain,
   Pearson between the scores and the human ratings (all the readers' pairs), and for the
   LLM the valid replies after re-asks and the seconds per article.

Figures are printed as ratios against the target (held-out AUC >= 0.85).
"""

from __future__ import annotations

import os
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.throwaway import use_throwaway_install

ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = use_throwaway_install("sift-bench-judgement-", FULLTEXT_MIN_CHARS="0")

TARGET_AUC = 0.85
RELEVANT = 0.5
LABEL_COUNTS = (0, 5, 10, 20)
DRAWS = 5

Scorer = Callable[[int, list[int]], Any]


def lee() -> tuple[list[str], Any, list[str]]:
    import gensim
    import numpy as np

    data = Path(gensim.__file__).parent / "test" / "test_data"

    def lines(name: str) -> list[str]:
        text = (data / name).read_text(encoding="latin-1")
        return [line.strip() for line in text.splitlines() if line.strip()]

    return lines("lee.cor"), np.loadtxt(data / "similarities0-1.txt"), lines("lee_background.cor")


def lead(text: str) -> str:
    return re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]


def judged(readers: list[int], sims: Any, scorer: Scorer, *, exclude: Any = None) -> dict[str, Any]:
    """AUC per reader, nDCG@5 and Pearson for one ranker over these readers."""
    import numpy as np
    from sklearn.metrics import ndcg_score, roc_auc_score

    aucs, ndcgs, scores, humans = [], [], [], []
    for r in readers:
        candidates = [j for j in range(len(sims)) if j != r and not (exclude and j in exclude(r))]
        s = np.asarray(scorer(r, candidates), dtype=float)
        truth = sims[r, candidates]
        scores += list(s)
        humans += list(truth)
        ndcgs.append(ndcg_score([truth], [s], k=5))
        relevant = truth >= RELEVANT
        if 0 < relevant.sum() < len(relevant):
            aucs.append(roc_auc_score(relevant, s))
    return {
        "auc_mean": float(np.mean(aucs)) if aucs else float("nan"),
        "auc_min": float(np.min(aucs)) if aucs else float("nan"),
        "ndcg5": float(np.mean(ndcgs)),
        "pearson": float(np.corrcoef(scores, humans)[0, 1]),
        "readers": len(aucs),
    }


def with_labels(
    readers: list[int], sims: Any, vectors: Any, queries: Any, k: int
) -> dict[str, Any]:
    """The learned taste after k marks, averaged over DRAWS random draws of the marks."""
    import numpy as np

    from scoring.services import taste

    def scorer_for(marked: dict[int, list[int]]) -> Scorer:
        def scorer(r: int, candidates: list[int]) -> Any:
            stated = taste.stated_similarity(vectors[candidates], queries[r : r + 1], vectors[:0])
            labels = marked[r]
            if not labels:
                return stated
            y = np.where(sims[r, labels] >= RELEVANT, 1.0, -1.0)
            coef, intercept = taste.learned_fit(vectors[labels], y, np.ones(len(labels)))
            return taste.combined(stated, vectors[candidates], coef, intercept, len(labels))

        return scorer

    runs = []
    for draw in range(DRAWS):
        marked: dict[int, list[int]] = {}
        for r in readers:
            rng = np.random.default_rng(1000 * draw + r)
            pool = [j for j in range(len(sims)) if j != r]
            marked[r] = [int(x) for x in rng.choice(pool, size=k, replace=False)] if k else []
        runs.append(
            judged(readers, sims, scorer_for(marked), exclude=lambda r, m=marked: set(m[r]))
        )
    return {key: float(np.mean([run[key] for run in runs])) for key in runs[0]}


def llm_verdicts(
    docs: list[str], readers: list[int]
) -> tuple[dict[int, dict[int, float]], dict[str, Any]]:
    """The interest score the worker's services write for each (reader, candidate)."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import Profile
    from articles.models import Article, Feed, Reading, Subscription
    from llmconfig.models import LLMCall, UserSettings
    from scoring import services
    from tests.real_llm import MODEL_ALIAS, start_llama_server

    call_command("migrate", verbosity=0)
    proc, base_url = start_llama_server(Path(VAR_DIR) / "llama.log")
    try:
        us = UserSettings.load()
        us.openai_base_url = base_url
        us.categorization_model = f"openai/{MODEL_ALIAS}"
        us.use_separate_models = False
        us.save()
        feed = Feed.objects.create(url="https://lee.example/abc.xml", title="ABC (Lee corpus)")
        now = timezone.now()
        articles = Article.objects.bulk_create(
            Article(feed=feed, title=lead(text)[:300], url=f"https://lee.example/{i}",
                    content=text, published_at=now)
            for i, text in enumerate(docs)
        )  # fmt: skip
        for r in readers:
            user = get_user_model().objects.create_user(username=f"lee{r}")
            Profile.objects.create(user=user, interests=lead(docs[r]))
            Subscription.objects.create(reader=user, feed=feed)
            Reading.objects.bulk_create(
                Reading(reader=user, article=a, feed=feed, queued_at=now,
                        scoring_state=Article.ScoringState.QUEUED)
                for j, a in enumerate(articles) if j != r
            )  # fmt: skip
        services.readiness_set(ready=True, reason="")
        started = time.monotonic()
        pending = Reading.objects.filter(scoring_state__in=["queued", "scoring"])
        while pending.exists():
            services.score_next_articles(worker="bench-judgement", budget_seconds=3600)
            if not services.readiness_get()["ready"]:
                raise RuntimeError(services.readiness_get()["reason"])
        seconds = time.monotonic() - started
        index = {a.id: i for i, a in enumerate(articles)}
        verdicts: dict[int, dict[int, float]] = {}
        for username, article_id, interest in Reading.objects.values_list(
            "reader__username", "article_id", "interest_score"
        ):
            r = int(username.removeprefix("lee"))
            verdicts.setdefault(r, {})[index[article_id]] = float(interest or 0)
        outcomes = list(LLMCall.objects.values_list("outcome", flat=True))
        scored = Reading.objects.filter(scoring_state=Article.ScoringState.SCORED).count()
        stats = {
            "model": MODEL_ALIAS,
            "seconds_per_article": seconds / max(1, Reading.objects.count()),
            "valid_after_reasks": scored / max(1, Reading.objects.count()),
            "valid_first_time": outcomes.count("ok") / max(1, len(outcomes)),
            "calls": len(outcomes),
        }
        return verdicts, stats
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    import django
    import numpy as np

    django.setup()
    from sklearn.feature_extraction.text import TfidfVectorizer

    from llmconfig import embeddings
    from scoring.services import taste

    docs, sims, background = lee()
    dev, held = list(range(0, 50, 2)), list(range(1, 50, 2))

    per_article = []
    for text in docs:
        started = time.perf_counter()
        embeddings.embed_passages([text])
        per_article.append((time.perf_counter() - started) * 1000)
    vectors = embeddings.embed_passages(docs)
    queries = embeddings.embed_queries([lead(d) for d in docs])
    tfidf = TfidfVectorizer(stop_words="english").fit(docs + background)
    doc_terms, lead_terms = tfidf.transform(docs), tfidf.transform([lead(d) for d in docs])

    rows: list[tuple[str, dict[str, Any], dict[str, Any]]] = []

    def add(name: str, scorer: Scorer) -> None:
        rows.append((name, judged(dev, sims, scorer), judged(held, sims, scorer)))

    add("TF-IDF (baseline)", lambda r, c: (doc_terms[c] @ lead_terms[r].T).toarray().ravel())
    add(
        f"encoder: stated interests ({embeddings.model_name()})",
        lambda r, c: taste.stated_similarity(vectors[c], queries[r : r + 1], vectors[:0]),
    )
    for k in LABEL_COUNTS[1:]:
        rows.append(
            (f"encoder + learned taste, {k} marks", with_labels(dev, sims, vectors, queries, k),
             with_labels(held, sims, vectors, queries, k))
        )  # fmt: skip

    llm_stats: dict[str, Any] | None = None
    from tests.real_llm import MODEL_FILE, REAL_PYTHON

    wanted = int(os.environ.get("BENCH_JUDGEMENT_LLM_READERS", "4"))
    if wanted and REAL_PYTHON.exists() and MODEL_FILE.exists():
        both = [r for r in held if 0 < (np.delete(sims[r], r) >= RELEVANT).sum() < 49]
        chosen = both[:wanted]
        verdicts, llm_stats = llm_verdicts(docs, chosen)

        def verdict(r: int, c: list[int]) -> list[float]:
            return [verdicts[r][j] for j in c]

        def encoder(r: int, c: list[int]) -> Any:
            return taste.stated_similarity(vectors[c], queries[r : r + 1], vectors[:0])

        rows.append((f"LLM verdict ({llm_stats['model']}), {len(chosen)} held-out readers",
                     {}, judged(chosen, sims, verdict)))  # fmt: skip
        rows.append(("encoder on the same readers", {}, judged(chosen, sims, encoder)))
    else:
        print(
            "(LLM verdict skipped: `make test-real` installs the real model first)", file=sys.stderr
        )

    print(f"\nJudgement against human labels (Lee corpus), held-out half; target AUC {TARGET_AUC}")
    print("| ranker | readers | AUC mean | AUC min | AUC / target | nDCG@5 | Pearson | dev AUC |")
    print("|---|---|---|---|---|---|---|---|")
    for name, dev_row, held_row in rows:
        dev_auc = f"{dev_row['auc_mean']:.3f}" if dev_row else "–"
        print(
            f"| {name} | {held_row['readers']:.0f} | {held_row['auc_mean']:.3f} "
            f"| {held_row['auc_min']:.3f} | {held_row['auc_mean'] / TARGET_AUC:.2f}x "
            f"| {held_row['ndcg5']:.3f} | {held_row['pearson']:.3f} | {dev_auc} |"
        )
    ordered = sorted(per_article)
    print(
        f"\nencoder ms per article on {os.cpu_count()} cores (whole Lee articles): median "
        f"{statistics.median(ordered):.1f}, p95 {ordered[int(0.95 * (len(ordered) - 1))]:.1f}"
    )
    if llm_stats:
        print(
            f"LLM: {llm_stats['seconds_per_article']:.2f} s per article, replies valid after "
            f"re-asks {llm_stats['valid_after_reasks']:.0%}, valid at first "
            f"{llm_stats['valid_first_time']:.0%}, {llm_stats['calls']} calls"
        )


if __name__ == "__main__":
    main()
