"""Each reader's ranked list: a reading's rank row, its score from the verdict and the
reader's topic weights, and the topic sets a weight change re-ranks by. The one writer of
`ReadingRank` and `TopicSet`.

1. A verdict is written (scoring, a story copy): `readings_rank` copies interest, quality,
   date and the set of the article's topics to its rank row, then `_rerank` scores it.
2. A reader's topic weight changes: `topic_sets_rerank` re-ranks that reader's rows whose
   set holds the topic, with one factor per set; no other reader's row is read or written.
3. Topics change (edited by hand, or asked again): `ranks_retopic` points every reader's
   rank rows of those articles at their new sets (no re-score).
4. The reader's 👎 / 👍: `reading_feedback_rerank` re-ranks that one row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from articles.models import Article, Category, Reading, ReadingRank, TopicSet, TopicWeight


def readings_rank(*, readings: QuerySet[Reading]) -> int:
    """Put these readings in their readers' ranked lists (or move them) from the verdict
    stored on them: their `ReadingRank` row takes their interest, quality, date and the set
    of their article's topics, and `_rerank` computes the score with the reader's weights
    as they are now. Called wherever a verdict is written, after its topics. Returns how
    many rows were written.

    INSERT … SELECT … ON CONFLICT (PostgreSQL, SQLite), one per (reader, set of topics):
    the verdict goes from the reading row to its rank row inside the database, not through
    Python and back. The set is found by its key inside the INSERT; one seen for the first
    time leaves the INSERT nothing to join, so it is created and the INSERT runs again."""
    set_sql = f"SELECT id FROM {TopicSet._meta.db_table} WHERE key = %s"  # noqa: S608
    rows = list(readings.order_by().values_list("id", "reader_id", "article_id"))
    keys = TopicSet.objects.keys_of(Article.objects.filter(id__in={a for _, _, a in rows}))
    groups: dict[tuple[int, str], list[int]] = {}
    for reading_id, reader_id, article_id in rows:
        groups.setdefault((reader_id, keys.get(article_id, "")), []).append(reading_id)
    written = 0
    for (reader_id, key), ids in groups.items():
        for chunk in _chunks(ids):
            count = _rank_rows(key, chunk)
            if count < len(chunk):
                topic_sets_ensure(keys={key})
                count = _rank_rows(key, chunk)
            written += count
            _rerank(reader_id, sets=(set_sql, [key]), rows=(", ".join(["%s"] * len(chunk)), chunk))
    return written


def reading_feedback_rerank(*, reading: Reading) -> int:
    """The reader's 👍 / 👎 changed: copy it to the rank row and rank that row again (a 👎
    moves the article down at once). Nothing to do before the reading has a rank."""
    disliked = reading.feedback == Article.Feedback.DOWN
    ranks = ReadingRank.objects.filter(reading_id=reading.pk)
    if not ranks.exclude(disliked=disliked).update(disliked=disliked):
        return 0
    sets = ranks.values("topic_set_id").query.sql_with_params()
    return _rerank(reading.reader_id, sets=sets, rows=("%s", [reading.pk]))


def topic_sets_rerank(*, reader_id: int, sets: QuerySet[TopicSet]) -> int:
    """Re-rank this reader's readings whose topics are one of these sets (their weight
    change: the sets holding the topic). Returns how many rank rows changed."""
    return _rerank(reader_id, sets=sets.order_by().values("id").query.sql_with_params())


def ranks_retopic(*, articles: QuerySet[Article] | list[int]) -> int:
    """Point every reader's rank rows of these articles at the sets of the articles' topics
    as the links say now (after the topics changed). Scores are left as they are: topics
    changed by hand are not a re-score, topics asked again come with a re-score of their
    own, and the next weight change of a topic the article carries now re-ranks it.
    Returns how many rows changed."""
    ranked = ReadingRank.objects.filter(
        reading__article_id__in=articles  # type: ignore[misc]  # ids or a QuerySet of them
    ).values("reading__article_id")
    keys = TopicSet.objects.keys_of(Article.objects.filter(id__in=ranked))
    if not keys:
        return 0
    sets = topic_sets_ensure(keys=set(keys.values()))
    changed = 0
    for key, ids in _grouped(keys).items():
        set_id = sets[key]
        for chunk in _chunks(ids):
            changed += (
                ReadingRank.objects.filter(reading__article_id__in=chunk)
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


def _rerank(
    reader_id: int, sets: tuple[str, Sequence[Any]], rows: tuple[str, Sequence[Any]] | None = None
) -> int:
    """Rank one reader's rows again from their stored interest and quality and the reader's
    weights as they are now, in one UPDATE: every row of theirs whose topics are one of
    `sets`, or only those of them whose reading id is one of `rows` (each a SELECT of ids,
    or a list of placeholders, with its parameters):

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
    weight = TopicWeight._meta.db_table
    topic_set = TopicSet._meta.db_table
    rank = ReadingRank._meta.db_table
    multiplier = " ".join(
        f"WHEN '{weight}' THEN {value}" for weight, value in Category.MULTIPLIERS.items()
    )
    (sets_sql, sets_params), (rows_sql, rows_params) = sets, rows or ("", ())
    disliked = f"CASE WHEN {rank}.disliked THEN {ReadingRank.DISLIKED_FACTOR} ELSE 1.0 END"
    raw = f"{rank}.interest * f.factor * (0.5 + {rank}.quality / 20.0) * {disliked}"
    score = f"ROUND(CAST(CASE WHEN {raw} > 20 THEN 20.0 ELSE {raw} END AS NUMERIC), 4)"
    # The LEFT JOINs give the empty set (no topics, or its topics deleted) factor 1, and a
    # topic the reader gave no weight "neutral" (its multiplier, 1).
    sql = f"""
        UPDATE {rank} SET score = {score}
        FROM (
            SELECT s.id AS topic_set_id,
                   COALESCE(AVG(CASE w.weight {multiplier} ELSE 1.0 END), 1.0)
                   * COALESCE(MIN(CASE WHEN w.weight = 'blocked' THEN 0.0 ELSE 1.0 END), 1.0)
                   AS factor
            FROM {topic_set} s
            LEFT JOIN {through} m ON m.topicset_id = s.id
            LEFT JOIN {weight} w ON w.category_id = m.category_id AND w.reader_id = %s
            WHERE s.id IN ({sets_sql})
            GROUP BY s.id
        ) f
        WHERE {rank}.reader_id = %s AND {rank}.topic_set_id = f.topic_set_id
          {f"AND {rank}.reading_id IN ({rows_sql})" if rows else ""}
          AND {rank}.interest IS NOT NULL AND {rank}.quality IS NOT NULL
          AND {rank}.score <> {score}
    """  # noqa: S608 - table names and weights are Sift's own constants, values are params
    with connection.cursor() as cursor:
        cursor.execute(sql, [reader_id, *sets_params, reader_id, *rows_params])
        return int(cursor.rowcount)


def _rank_rows(key: str, ids: list[int]) -> int:
    """Write these readings' rank rows from their verdicts, in the topic set of this key
    (none written when no set has it yet). The score is `_rerank`'s to compute."""
    rank, reading, article, topic_set = (
        ReadingRank._meta.db_table, Reading._meta.db_table, Article._meta.db_table,
        TopicSet._meta.db_table,
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {rank}
                (reading_id, reader_id, interest, quality, score, rank_date, topic_set_id,
                 disliked)
            SELECT r.id, r.reader_id, r.interest_score, r.quality_score, 0.0,
                   COALESCE(a.published_at, a.created_at), s.id,
                   CASE WHEN r.feedback = %s THEN TRUE ELSE FALSE END
            FROM {reading} r JOIN {article} a ON a.id = r.article_id
            JOIN {topic_set} s ON s.key = %s
            WHERE r.id IN ({", ".join(["%s"] * len(ids))})
            ON CONFLICT (reading_id) DO UPDATE SET
                interest = excluded.interest, quality = excluded.quality,
                score = excluded.score, rank_date = excluded.rank_date,
                topic_set_id = excluded.topic_set_id, disliked = excluded.disliked
            """,  # noqa: S608 - table names are Sift's own, values are params
            [Article.Feedback.DOWN.value, key, *ids],
        )
        return int(cursor.rowcount)


def _grouped(keys: dict[int, str]) -> dict[str, list[int]]:
    """{id: key} → {key: [ids]}."""
    grouped: dict[str, list[int]] = {}
    for article_id, key in keys.items():
        grouped.setdefault(key, []).append(article_id)
    return grouped


def _chunks(ids: list[int], size: int = 500) -> Iterable[list[int]]:
    """Id lists cut to fit one statement's parameters (SQLite allows 32,766)."""
    for start in range(0, len(ids), size):
        yield ids[start : start + size]
