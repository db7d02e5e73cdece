"""The ranked list: an article's rank row, its score from the verdict and the topic weights,
and the topic sets a weight change re-ranks by. The one writer of `ArticleRank` and `TopicSet`.

1. A verdict is written (scoring, a story copy): `articles_rank` copies interest, quality,
   date and the set of the article's topics to its rank row, then `_rerank` scores it.
2. A topic weight changes: `topic_sets_rerank` re-ranks every row whose set holds the topic,
   with one factor per set.
3. Topics edited by hand: `ranks_retopic` points rank rows at their new sets (no re-score).
4. The reader's 👎 / 👍: `article_feedback_rerank` re-ranks that one row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from articles.models import Article, ArticleRank, Category, TopicSet


def articles_rank(*, articles: QuerySet[Article]) -> int:
    """Put these articles in the ranked list (or move them) from the verdict stored on
    them: their `ArticleRank` row takes their interest, quality, date and the set of
    their topics, and `_rerank` computes the score with the topic weights as they are
    now. Called wherever a verdict is written, after its topics. Returns how many rows
    were written.

    INSERT … SELECT … ON CONFLICT (PostgreSQL, SQLite), one per set of topics: the
    verdict goes from the article row to its rank row inside the database, not through
    Python and back (a scoring write would otherwise read back the row it had just
    written). The set is found by its key inside the INSERT; one seen for the first
    time leaves the INSERT nothing to join, so it is created and the INSERT runs again.
    On the scoring path the set almost always exists: one round trip fewer."""
    set_sql = f"SELECT id FROM {TopicSet._meta.db_table} WHERE key = %s"  # noqa: S608
    written = 0
    for key, ids in _grouped(TopicSet.objects.keys_of(articles)).items():
        for chunk in _chunks(ids):
            rows = _rank_rows(key, chunk)
            if rows < len(chunk):
                topic_sets_ensure(keys={key})
                rows = _rank_rows(key, chunk)
            written += rows
            _rerank(sets=(set_sql, [key]), rows=(", ".join(["%s"] * len(chunk)), chunk))
    return written


def article_feedback_rerank(*, article: Article) -> int:
    """The reader's 👍 / 👎 changed: copy it to the rank row and rank that row again (a 👎
    moves the article down at once). Nothing to do before the article has a rank."""
    disliked = article.feedback == Article.Feedback.DOWN
    ranks = ArticleRank.objects.filter(article_id=article.pk)
    if not ranks.exclude(disliked=disliked).update(disliked=disliked):
        return 0
    sets = ranks.values("topic_set_id").query.sql_with_params()
    return _rerank(sets=sets, rows=("%s", [article.pk]))


def topic_sets_rerank(*, sets: QuerySet[TopicSet]) -> int:
    """Re-rank every article whose topics are one of these sets (a weight change: the
    sets holding the topic). Returns how many rank rows changed."""
    return _rerank(sets=sets.order_by().values("id").query.sql_with_params())


def ranks_retopic(*, ranks: QuerySet[ArticleRank]) -> int:
    """Point these rows at the sets of their articles' topics as the links say now
    (after an edit of the topics). Scores are left as they are, as before the rank had
    a table of its own: a topic changed by hand is not a re-score, and the next weight
    change of a topic the article carries now re-ranks it. Returns how many rows
    changed."""
    keys = TopicSet.objects.keys_of(Article.objects.filter(id__in=ranks.values("article_id")))
    sets = topic_sets_ensure(keys=set(keys.values()))
    changed = 0
    for key, ids in _grouped(keys).items():
        set_id = sets[key]
        for chunk in _chunks(ids):
            changed += (
                ranks.filter(article_id__in=chunk)
                .exclude(topic_set_id=set_id)
                .update(topic_set_id=set_id)
            )
    return changed


def topic_sets_ensure(*, keys: set[str]) -> dict[str, int]:
    """Key → set id for these keys, creating the sets (and their members) not seen yet.
    Two writers creating the same set at once: the unique key makes the second insert a
    no-op (on PostgreSQL it waits for the first to commit), and both read the one row."""
    found: dict[str, int] = dict(TopicSet.objects.filter(key__in=keys).values_list("key", "id"))
    missing = keys - found.keys()
    if missing:
        TopicSet.objects.bulk_create([TopicSet(key=key) for key in missing], ignore_conflicts=True)
        created = dict(TopicSet.objects.filter(key__in=missing).values_list("key", "id"))
        member = TopicSet.categories.through
        member.objects.bulk_create(
            [
                member(topicset_id=created[key], category_id=int(category))
                for key in missing
                for category in key.split(",")
                if category
            ],
            ignore_conflicts=True,
        )
        found |= created
    return found


def _rerank(sets: tuple[str, Sequence[Any]], rows: tuple[str, Sequence[Any]] | None = None) -> int:
    """Rank rows again from their stored interest and quality and the weights as they are
    now, in one UPDATE: every row whose topics are one of `sets`, or only those of them
    whose article id is one of `rows` (each a SELECT of ids, or a list of placeholders,
    with its parameters):

        interest × mean(weight multipliers) × (0.5 + quality/20) × feedback, capped at 20;
        0 when one of its topics is blocked; an article with no topic counts 1; feedback
        is DISLIKED_FACTOR after the reader's 👎, else 1.

    The one place the formula lives: scoring writes a verdict and then ranks that row in the
    same transaction (`ArticleQuerySet.rank`), so a weight changed meanwhile is never
    overwritten by a stale one. Rows without an interest (blocked before the LLM ever scored
    them) keep their 0.

    UPDATE … FROM (PostgreSQL, and SQLite since 3.33): the factor is computed once per set
    of topics, not once per article, and a row whose score does not change is not written.
    A weight change names the sets, not the rows: on PostgreSQL, finding 100,000 rows
    through an id subquery as well added a fifth to bench P10's time."""
    through = TopicSet.categories.through._meta.db_table
    category = Category._meta.db_table
    topic_set = TopicSet._meta.db_table
    rank = ArticleRank._meta.db_table
    multiplier = " ".join(
        f"WHEN '{weight}' THEN {value}" for weight, value in Category.MULTIPLIERS.items()
    )
    (sets_sql, sets_params), (rows_sql, rows_params) = sets, rows or ("", ())
    disliked = f"CASE WHEN {rank}.disliked THEN {ArticleRank.DISLIKED_FACTOR} ELSE 1.0 END"
    raw = f"{rank}.interest * f.factor * (0.5 + {rank}.quality / 20.0) * {disliked}"
    score = f"ROUND(CAST(CASE WHEN {raw} > 20 THEN 20.0 ELSE {raw} END AS NUMERIC), 4)"
    # The LEFT JOINs give the empty set (no topics, or its topics deleted) factor 1.
    sql = f"""
        UPDATE {rank} SET score = {score}
        FROM (
            SELECT s.id AS topic_set_id,
                   COALESCE(AVG(CASE c.weight {multiplier} ELSE 1.0 END), 1.0)
                   * COALESCE(MIN(CASE WHEN c.weight = 'blocked' THEN 0.0 ELSE 1.0 END), 1.0)
                   AS factor
            FROM {topic_set} s
            LEFT JOIN {through} m ON m.topicset_id = s.id
            LEFT JOIN {category} c ON c.id = m.category_id
            WHERE s.id IN ({sets_sql})
            GROUP BY s.id
        ) f
        WHERE {rank}.topic_set_id = f.topic_set_id
          {f"AND {rank}.article_id IN ({rows_sql})" if rows else ""}
          AND {rank}.interest IS NOT NULL AND {rank}.quality IS NOT NULL
          AND {rank}.score <> {score}
    """  # noqa: S608 - table names and weights are Sift's own constants, values are params
    with connection.cursor() as cursor:
        cursor.execute(sql, [*sets_params, *rows_params])
        return int(cursor.rowcount)


def _rank_rows(key: str, ids: list[int]) -> int:
    """Write these articles' rank rows from their verdicts, in the topic set of this key
    (none written when no set has it yet). The score is `_rerank`'s to compute."""
    rank, article, topic_set = (
        ArticleRank._meta.db_table, Article._meta.db_table, TopicSet._meta.db_table
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {rank}
                (article_id, interest, quality, score, rank_date, topic_set_id, disliked)
            SELECT a.id, a.interest_score, a.quality_score, 0.0,
                   COALESCE(a.published_at, a.created_at), s.id,
                   CASE WHEN a.feedback = %s THEN TRUE ELSE FALSE END
            FROM {article} a JOIN {topic_set} s ON s.key = %s
            WHERE a.id IN ({", ".join(["%s"] * len(ids))})
            ON CONFLICT (article_id) DO UPDATE SET
                interest = excluded.interest, quality = excluded.quality,
                score = excluded.score, rank_date = excluded.rank_date,
                topic_set_id = excluded.topic_set_id, disliked = excluded.disliked
            """,  # noqa: S608 - table names are Sift's own, values are params
            [Article.Feedback.DOWN.value, key, *ids],
        )
        return int(cursor.rowcount)


def _grouped(keys: dict[int, str]) -> dict[str, list[int]]:
    """{article id: key} → {key: [article ids]}."""
    grouped: dict[str, list[int]] = {}
    for article_id, key in keys.items():
        grouped.setdefault(key, []).append(article_id)
    return grouped


def _chunks(ids: list[int], size: int = 500) -> Iterable[list[int]]:
    """Id lists cut to fit one statement's parameters (SQLite allows 32,766)."""
    for start in range(0, len(ids), size):
        yield ids[start : start + size]
