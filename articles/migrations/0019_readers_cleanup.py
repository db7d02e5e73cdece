"""Several readers, step 3 of 3: the single reader's columns go, now that their
values live on the first admin's rows (0018). SQLite rebuilds `articles_article` without
them, which drops the full-text triggers with the old table: they are made again."""

import django.db.models.deletion
from django.db import migrations, models



# The full-text triggers of 0016, frozen here: a rebuilt table loses its triggers.
SQLITE_TRIGGERS = [
    "DROP TRIGGER IF EXISTS article_fts_insert",
    "DROP TRIGGER IF EXISTS article_fts_delete",
    "DROP TRIGGER IF EXISTS article_fts_update",
    """CREATE TRIGGER article_fts_insert AFTER INSERT ON articles_article BEGIN
        INSERT INTO article_fts(rowid, title, summary, content)
        VALUES (new.id, new.title, new.summary, new.content);
    END""",
    """CREATE TRIGGER article_fts_delete AFTER DELETE ON articles_article BEGIN
        INSERT INTO article_fts(article_fts, rowid, title, summary, content)
        VALUES ('delete', old.id, old.title, old.summary, old.content);
    END""",
    """CREATE TRIGGER article_fts_update AFTER UPDATE OF title, summary, content
        ON articles_article BEGIN
        INSERT INTO article_fts(article_fts, rowid, title, summary, content)
        VALUES ('delete', old.id, old.title, old.summary, old.content);
        INSERT INTO article_fts(rowid, title, summary, content)
        VALUES (new.id, new.title, new.summary, new.content);
    END""",
    "INSERT INTO article_fts(article_fts) VALUES ('rebuild')",
]


def triggers_again(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for sql in SQLITE_TRIGGERS:
            schema_editor.execute(sql)


class Migration(migrations.Migration):

    dependencies = [
        ("articles", "0018_readers_data"),
        ("auth", "0012_alter_user_first_name_max_length"),
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
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="folders", to="auth.user"),
        ),
        migrations.RunPython(triggers_again, migrations.RunPython.noop),
    ]
