"""Several readers, step 2 of 3: what the single reader had becomes the first admin's.

Their subscriptions are every feed (with its folder and place), their readings every
article (verdict, rank, read / star / feedback state, the queue), their topic weights the
old ones, their profile the interests. The articles keep their topics, asked once for all.
The owner is the first superuser, else the first staff account, else the first account; an
install with data and no account at all gets an `admin` without a password, which
`sift_bootstrap` (the first step of `make run`) then gives one and shows.

In SQL, INSERT … SELECT: 100,000 articles move inside the database, not through Python."""

from django.contrib.auth.hashers import make_password
from django.db import migrations
from django.utils import timezone

READING_COLUMNS = [
    "is_read", "is_starred", "starred_at", "feedback", "feedback_at", "interest_score",
    "quality_score", "score_reasoning", "matched_interests", "matched_anti_interests",
    "scored_at", "scoring_model", "scoring_prompt_version", "scoring_priority", "rescore_mode",
    "queued_at", "scoring_attempts", "batch_missed", "scoring_error", "scoring_raw_output",
]  # fmt: skip


def owner_of(apps, has_data):
    user_model = apps.get_model("auth", "User")
    users = user_model.objects.order_by("id")
    owner = (
        users.filter(is_superuser=True).first()
        or users.filter(is_staff=True).first()
        or users.first()
    )
    if owner is None and has_data:
        owner = user_model.objects.create(
            username="admin", is_staff=True, is_superuser=True, password=make_password(None)
        )
    return owner


def forward(apps, schema_editor):
    feed = apps.get_model("articles", "Feed")
    article = apps.get_model("articles", "Article")
    folder = apps.get_model("articles", "Folder")
    has_data = feed.objects.exists() or folder.objects.exists()
    owner = owner_of(apps, has_data)
    if owner is None:
        return
    settings_row = apps.get_model("llmconfig", "UserSettings").objects.filter(pk=1).first()
    profile = apps.get_model("accounts", "Profile")
    profile.objects.get_or_create(
        user_id=owner.pk,
        defaults={
            "interests": settings_row.interests if settings_row else "",
            "anti_interests": settings_row.anti_interests if settings_row else "",
            "mark_read_on_open": settings_row.mark_read_on_open if settings_row else True,
        },
    )
    if not has_data:
        return
    folder.objects.update(reader_id=owner.pk)
    subscription = apps.get_model("articles", "Subscription")
    subscription.objects.bulk_create(
        [
            subscription(
                reader_id=owner.pk, feed_id=f.pk, folder_id=f.folder_id,
                display_order=f.display_order,
            )  # fmt: skip
            for f in feed.objects.all()
        ],
        batch_size=1000,
    )
    weight = apps.get_model("articles", "TopicWeight")
    weight.objects.bulk_create(
        [
            weight(reader_id=owner.pk, category_id=c.pk, weight=c.weight)
            for c in apps.get_model("articles", "Category").objects.exclude(weight="neutral")
        ]
    )
    now = timezone.now()
    columns = ", ".join(READING_COLUMNS)
    with schema_editor.connection.cursor() as cursor:
        # A claim in flight dies with the deploy: its article goes back to the queue.
        cursor.execute(
            f"""
            INSERT INTO articles_reading (reader_id, article_id, feed_id, is_copy, created_at,
                claimed_by, claim_token, scoring_state, {columns})
            SELECT %s, id, feed_id, story_id IS NOT NULL, created_at, '', '',
                CASE WHEN scoring_state = 'scoring' THEN 'queued' ELSE scoring_state END,
                {columns}
            FROM articles_article
            """,
            [owner.pk],
        )
        cursor.execute(
            """
            INSERT INTO articles_readingrank (reading_id, reader_id, interest, quality, score,
                rank_date, topic_set_id, disliked)
            SELECT r.id, r.reader_id, k.interest, k.quality, k.score, k.rank_date,
                k.topic_set_id, k.disliked
            FROM articles_articlerank k JOIN articles_reading r ON r.article_id = k.article_id
            """
        )
    # Topics asked before: kept, and never asked again unless a full re-score says so.
    article.objects.exclude(categorization_model="").update(categorized_at=now)
    article.objects.filter(categorization_model="", categories__isnull=False).update(
        categorized_at=now
    )


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0017_readers"),
        ("accounts", "0002_readers"),
        ("llmconfig", "0006_usersettings_mark_read_on_open"),
    ]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
