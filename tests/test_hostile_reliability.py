"""R11–R15: what a hostile or broken world does to a running install, with real workers. Each
prints its figures (`make reliability` shows them; CI runs them on both passes).

R11 slow feeds: other feeds and scoring go on.      R12 a 20,000-item feed: seconds, writes refused.
R13 a corrupt broker message: worker alive, nothing lost.
R14 kill -9 of the pool processes: time to progress again.
R15 a server that echoes the key: occurrences of the key anywhere.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.db import OperationalError
from django.utils import timezone

from articles.models import Article, Feed, Reading
from articles.services import articles_mark_read
from common.queues import CeleryQueue
from llmconfig.models import LLMCall, UserSettings
from scoring import services
from tests.factories import FeedFactory, read_by
from tests.fakes.feeds import Route
from tests.live import Worker, purge_queues, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker, pytest.mark.reliability]
State = Article.ScoringState
FULL = os.environ.get("SIFT_RELIABILITY_FULL") == "1"


def report(name: str, **figures) -> None:
    print(f"\n[{name}] " + " ".join(f"{k}={v}" for k, v in figures.items()))


@pytest.fixture
def model(fake_ollama):
    UserSettings.objects.update_or_create(
        pk=1, defaults={"categorization_model": "ollama/qwen3:4b"}
    )
    purge_queues()
    return fake_ollama


def queued_articles(n: int, tag: str) -> list[int]:
    feed = FeedFactory()
    now = timezone.now()
    rows = Article.objects.bulk_create(
        Article(feed=feed, title=f"{tag} {i}", url=f"https://example.com/{tag}/{feed.id}/{i}",
                content=f"Body {i}", published_at=now)
        for i in range(n)
    )  # fmt: skip
    read_by(rows, scoring_state=State.QUEUED, queued_at=now)
    services.nudge(count=2)
    return list(Article.objects.filter(feed=feed).values_list("id", flat=True))


def scored(ids: list[int]) -> int:
    return Reading.objects.filter(article_id__in=ids, scoring_state=State.SCORED).count()


def big_feed(items: int) -> bytes:
    now = datetime.now(UTC)
    rows = "".join(
        f"<item><title>Item {i} of the archive, part {i % 97}</title><link>https://big.example/{i}</link>"
        f"<pubDate>{(now - timedelta(minutes=i)).strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate>"
        f"<description>{'Words of the item. ' * 8}</description></item>"
        for i in range(items)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Archive</title>{rows}</channel></rss>'.encode()


def test_r11_slow_feeds_hold_neither_other_feeds_nor_scoring(model, feeds):
    """Two feeds that drip a byte every 0.5 s, one normal feed, and articles to score: the
    feeds worker (as `make run` starts it) cuts the slow ones at the deadline, the normal one
    is fetched meanwhile, and the scoring worker never waits for any of them."""
    deadline = 3
    body = feeds.routes["/rss2.xml"].body
    feeds.routes["/drip1.xml"] = Route(body, drip=0.5)
    feeds.routes["/drip2.xml"] = Route(body, drip=0.5)
    slow = [FeedFactory(url=feeds.url_for(f"/drip{i}.xml")) for i in (1, 2)]
    normal = FeedFactory(url=feeds.url_for("/rss2.xml"))
    env = {"FEED_FETCH_TIMEOUT": deadline, "LLM_MAX_IN_FLIGHT": 2}
    fetcher = Worker(name="feeds", concurrency=2, queues=CeleryQueue.FEEDS.value, **env).start()
    scorer = Worker(name="scorer", concurrency=2, queues=CeleryQueue.scoring_names(), **env).start()
    try:
        ids = queued_articles(20, "r11")
        started = time.monotonic()
        from articles.services import feed_refresh_later

        for feed in [*slow, normal]:  # the slow ones first: they take both feed processes
            feed_refresh_later(feed_id=feed.id)
        wait_for(lambda: scored(ids) == len(ids), 60, message="articles scored while feeds drip")
        scored_at = time.monotonic() - started
        wait_for(
            lambda: Feed.objects.get(id=normal.id).last_fetched_at is not None,
            60,
            message="normal feed",
        )
        normal_at = time.monotonic() - started
        wait_for(lambda: all("Timed out" in Feed.objects.get(id=f.id).last_error for f in slow), 60,
                 message="slow feeds cut at the deadline")  # fmt: skip
        slow_at = time.monotonic() - started
    finally:
        fetcher.stop()
        scorer.stop()
    report("R11", deadline_s=deadline, scored_20_s=round(scored_at, 1),
           normal_feed_s=round(normal_at, 1), slow_feeds_cut_s=round(slow_at, 1))  # fmt: skip
    assert slow_at < deadline * 2 + 10  # dripping the whole body would take > 100 s


def test_r12_a_20000_item_feed_is_ingested_in_seconds_and_refuses_no_write(model, feeds):
    items = 20_000 if FULL else 5_000
    feeds.routes["/archive.xml"] = Route(big_feed(items))
    feed = FeedFactory(url=feeds.url_for("/archive.xml"))
    others = queued_articles(50, "r12")
    Reading.objects.filter(article_id__in=others).update(scoring_state=State.SCORED)
    fetcher = Worker(name="feeds", concurrency=1, queues=CeleryQueue.FEEDS.value).start()
    writes, refused, stop = [0], [0], threading.Event()

    def write_meanwhile() -> None:
        from django.db import connection

        i = 0
        while not stop.is_set():
            try:
                articles_mark_read(readings=Reading.objects.filter(article_id=others[i % len(others)]),
                                   is_read=bool(i % 2))  # fmt: skip
                writes[0] += 1
            except OperationalError:
                refused[0] += 1
            i += 1
            time.sleep(0.01)
        connection.close()

    writer = threading.Thread(target=write_meanwhile)
    try:
        writer.start()
        from articles.services import feed_refresh_later

        started = time.monotonic()
        feed_refresh_later(feed_id=feed.id)
        wait_for(
            lambda: Feed.objects.get(id=feed.id).last_fetched_at is not None,
            120,
            message="ingested",
        )
        took = time.monotonic() - started
    finally:
        stop.set()
        writer.join(30)
        fetcher.stop()
    feed.refresh_from_db()
    stored = Article.objects.filter(feed=feed).count()
    report("R12", items=items, seconds=round(took, 1), stored=stored,
           dropped=feed.entries_dropped, writes_meanwhile=writes[0], writes_refused=refused[0])  # fmt: skip
    assert stored == settings.FEED_MAX_ITEMS and feed.entries_dropped == items - stored
    assert refused[0] == 0 and writes[0] > 0 and feed.last_error == ""


@pytest.mark.skipif(
    not settings.CELERY_BROKER_URL.startswith("filesystem"),
    reason="the filesystem broker's queue folder (make run's broker)",
)
def test_r13_a_corrupt_message_is_set_aside_and_the_worker_goes_on(model):
    folder = settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]
    ids = queued_articles(10, "r13")
    purge_queues()
    for name, content in (("0_empty", b""), ("1_garbage", b"\x00\xffnot json"), ("2_list", b"[]")):
        with open(os.path.join(folder, f"{name}.score.msg"), "wb") as fh:
            fh.write(content)
    services.nudge(count=2)
    worker = Worker(name="r13", concurrency=2).start()
    try:
        wait_for(lambda: scored(ids) == len(ids), 60, message="scored past the corrupt files")
        wait_for(lambda: sum("cannot be decoded" in line for line in worker.log) == 3, 30,
                 message="every corrupt file set aside")  # fmt: skip
        alive = worker.proc is not None and worker.proc.poll() is None
    finally:
        worker.stop()
    aside = sorted(os.listdir(os.path.join(folder, os.pardir, "corrupt")))
    logged = sum("cannot be decoded" in line for line in worker.log)
    report("R13", corrupt_files=3, moved_aside=len(aside), log_lines=logged, worker_alive=alive,
           scored=scored(ids), of=len(ids))  # fmt: skip
    assert (
        alive
        and logged == 3
        and {"0_empty.score.msg", "1_garbage.score.msg", "2_list.score.msg"} <= set(aside)
    )


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def test_r14_kill_9_of_the_pool_processes_and_time_to_progress_again(model, settings):
    """Both pool processes killed mid-call: the processes that replace them give the dead
    ones' claims back at once, instead of waiting SCORING_CLAIM_TIMEOUT (here 600 s)."""
    model.latency = 1.0
    worker = Worker(
        name="r14", concurrency=2, LLM_MAX_IN_FLIGHT=2, SCORING_CLAIM_TIMEOUT=600
    ).start()
    try:
        ids = queued_articles(12 if FULL else 6, "r14")
        wait_for(lambda: Reading.objects.filter(article_id__in=ids, scoring_state=State.SCORING).count() == 2,
                 30, message="two claims in flight")  # fmt: skip
        pool = _children(worker.proc.pid)
        assert len(pool) == 2
        done_before = scored(ids)
        for pid in pool:
            os.kill(pid, signal.SIGKILL)
        killed_at = time.monotonic()
        wait_for(lambda: scored(ids) > done_before, 60, message="progress after the kill")
        progress_s = time.monotonic() - killed_at
        wait_for(lambda: scored(ids) == len(ids), 120, message="all scored")
        replaced = set(_children(worker.proc.pid))
    finally:
        worker.stop()
    report("R14", killed=len(pool), progress_again_s=round(progress_s, 1),
           claim_timeout_s=600, scored=scored(ids), of=len(ids))  # fmt: skip
    assert replaced and not replaced & set(pool)
    assert progress_s < 60  # not the claim timeout
    assert Reading.objects.filter(article_id__in=ids, scoring_state=State.SCORED).count() == len(
        ids
    )


def test_r15_a_server_that_echoes_the_key_leaks_it_nowhere(fake_openai, api, anon):
    """The key the server repeats, looked for everywhere it could land: answers (signed in
    and not), the worker's log, LLMCall.error, the articles' error texts, readiness."""
    key = "sk-R15-ECHOED-KEY-3c9f0e1d"
    api.put(
        "/api/settings",
        {"openai_base_url": f"{fake_openai.url}/v1", "openai_api_key": key},
        format="json",
    )
    fake_openai.api_key, fake_openai.echo_key = "sk-wanted-by-server", True
    UserSettings.objects.filter(pk=1).update(categorization_model="openai/gemma3-270m")
    purge_queues()
    ids = queued_articles(3, "r15")
    worker = Worker(name="r15", concurrency=1, LLM_MAX_IN_FLIGHT=1).start()
    try:
        wait_for(lambda: fake_openai.calls("/v1/chat/completions"), 30, message="the key was sent")
        wait_for(
            lambda: not services.readiness_get()["ready"], 30, message="scoring paused on the 401"
        )
        texts = [r.content.decode(errors="replace") for r in (
            anon.get("/ready"), api.get("/ready"), api.get("/api/scoring/status"),
            api.post("/api/llm/generate", {"prompt": "x", "model": "openai/gemma3-270m"}, format="json"),
            api.get(f"/api/articles/{ids[0]}"),
        )]  # fmt: skip
    finally:
        worker.stop()
    texts += worker.log
    texts += list(LLMCall.objects.values_list("error", flat=True))
    texts += list(Reading.objects.values_list("scoring_error", flat=True))
    texts.append(str(services.readiness_get()))
    echoed = sum("Incorrect API key provided: ***" in t for t in texts)
    occurrences = sum(t.count(key) for t in texts)
    sent = sum(
        c.headers.get("authorization") == f"Bearer {key}"
        for c in fake_openai.calls("/v1/chat/completions")
    )
    report(
        "R15",
        key_sent_to_its_server=sent,
        masked_echoes_seen=echoed,
        occurrences_of_key=occurrences,
    )
    assert sent >= 1 and echoed >= 1 and occurrences == 0
