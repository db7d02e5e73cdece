"""Each article's vector (what it is about, for every reader) and the model that made it.
SQLite rebuilds `articles_article` to add the columns, which drops the full-text search
triggers with the old table: 0019's frozen triggers are made again."""

import importlib

from django.db import migrations, models


def triggers_again(apps, schema_editor):
    importlib.import_module("articles.migrations.0019_readers_cleanup").triggers_again(
        apps, schema_editor
    )


class Migration(migrations.Migration):

    dependencies = [
        ('articles', '0021_full_text'),
    ]

    operations = [
        migrations.AddField(
            model_name='article',
            name='vector',
            field=models.BinaryField(blank=True, null=True, editable=False),
        ),
        migrations.AddField(
            model_name='article',
            name='vector_model',
            field=models.CharField(blank=True, default='', max_length=200),
        ),
        migrations.RunPython(triggers_again, migrations.RunPython.noop),
    ]
