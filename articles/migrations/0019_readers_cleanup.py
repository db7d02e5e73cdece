"""Several readers (H4), step 3 of 3: the single reader's columns go, now that their
values live on the first admin's rows (0018). SQLite rebuilds `articles_article` without
them, which drops the full-text triggers with the old table: they are made again."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from articles.migrations import _search


class Migration(migrations.Migration):

    dependencies = [
        ("articles", "0018_readers_data"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='feed',
            options={'ordering': ['id']},
        ),
        migrations.RemoveIndex(
            model_name='article',
            name='article_claim_order',
        ),
        migrations.RemoveIndex(
            model_name='article',
            name='article_feed_unread',
        ),
        migrations.RemoveIndex(
            model_name='article',
            name='article_unread_recent',
        ),
        migrations.RemoveIndex(
            model_name='article',
            name='article_feedback_recent',
        ),
        migrations.RemoveIndex(
            model_name='article',
            name='article_starred',
        ),
        migrations.RemoveField(
            model_name='article',
            name='batch_missed',
        ),
        migrations.RemoveField(
            model_name='article',
            name='claim_token',
        ),
        migrations.RemoveField(
            model_name='article',
            name='claimed_at',
        ),
        migrations.RemoveField(
            model_name='article',
            name='claimed_by',
        ),
        migrations.RemoveField(
            model_name='article',
            name='feedback',
        ),
        migrations.RemoveField(
            model_name='article',
            name='feedback_at',
        ),
        migrations.RemoveField(
            model_name='article',
            name='interest_score',
        ),
        migrations.RemoveField(
            model_name='article',
            name='is_read',
        ),
        migrations.RemoveField(
            model_name='article',
            name='is_starred',
        ),
        migrations.RemoveField(
            model_name='article',
            name='matched_anti_interests',
        ),
        migrations.RemoveField(
            model_name='article',
            name='matched_interests',
        ),
        migrations.RemoveField(
            model_name='article',
            name='quality_score',
        ),
        migrations.RemoveField(
            model_name='article',
            name='queued_at',
        ),
        migrations.RemoveField(
            model_name='article',
            name='rescore_mode',
        ),
        migrations.RemoveField(
            model_name='article',
            name='score_reasoning',
        ),
        migrations.RemoveField(
            model_name='article',
            name='scored_at',
        ),
        migrations.RemoveField(
            model_name='article',
            name='scoring_attempts',
        ),
        migrations.RemoveField(
            model_name='article',
            name='scoring_error',
        ),
        migrations.RemoveField(
            model_name='article',
            name='scoring_model',
        ),
        migrations.RemoveField(
            model_name='article',
            name='scoring_priority',
        ),
        migrations.RemoveField(
            model_name='article',
            name='scoring_prompt_version',
        ),
        migrations.RemoveField(
            model_name='article',
            name='scoring_raw_output',
        ),
        migrations.RemoveField(
            model_name='article',
            name='scoring_state',
        ),
        migrations.RemoveField(
            model_name='article',
            name='starred_at',
        ),
        migrations.RemoveField(
            model_name='category',
            name='weight',
        ),
        migrations.RemoveField(
            model_name='feed',
            name='display_order',
        ),
        migrations.RemoveField(
            model_name='feed',
            name='folder',
        ),
        migrations.AddConstraint(
            model_name='folder',
            constraint=models.UniqueConstraint(fields=('reader', 'name'), name='folder_unique_per_reader'),
        ),
        migrations.DeleteModel(
            name='ArticleRank',
        ),
        migrations.AlterField(
            model_name="folder",
            name="reader",
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="folders", to=settings.AUTH_USER_MODEL),
        ),
        migrations.RunPython(_search.triggers_again, migrations.RunPython.noop),
    ]
