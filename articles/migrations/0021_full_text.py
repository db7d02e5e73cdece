"""Full text: the feed's switch and selectors, the article's extraction state. SQLite
rebuilds `articles_article` to add the columns, which drops the full-text search triggers
with the old table: 0019's frozen triggers are made again (a migration's own copy, so it
cannot change under this one)."""

import importlib

from django.db import migrations, models


def triggers_again(apps, schema_editor):
    importlib.import_module("articles.migrations.0019_readers_cleanup").triggers_again(
        apps, schema_editor
    )


class Migration(migrations.Migration):

    dependencies = [
        ('articles', '0020_reading_copies_index'),
    ]

    operations = [
        migrations.AddField(
            model_name='article',
            name='extracted_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='article',
            name='extraction',
            field=models.CharField(blank=True, choices=[('', 'Not asked'), ('pending', 'Waiting'), ('done', 'Done'), ('failed', 'Failed')], default='', max_length=10),
        ),
        migrations.AddField(
            model_name='article',
            name='extraction_error',
            field=models.CharField(blank=True, default='', max_length=500),
        ),
        migrations.AddField(
            model_name='article',
            name='feed_content',
            field=models.TextField(blank=True, default=''),
        ),
        migrations.AddField(
            model_name='feed',
            name='full_text',
            field=models.CharField(choices=[('auto', 'When the feed gives a teaser'), ('always', 'Always'), ('never', 'Never')], default='auto', max_length=10),
        ),
        migrations.AddField(
            model_name='feed',
            name='full_text_combine',
            field=models.CharField(choices=[('replace', "The page's text replaces the feed's"), ('append', "The page's text follows the feed's")], default='replace', max_length=10),
        ),
        migrations.AddField(
            model_name='feed',
            name='full_text_remove',
            field=models.CharField(blank=True, default='', max_length=500),
        ),
        migrations.AddField(
            model_name='feed',
            name='full_text_selector',
            field=models.CharField(blank=True, default='', max_length=500),
        ),
        migrations.RunPython(triggers_again, migrations.RunPython.noop),
    ]
