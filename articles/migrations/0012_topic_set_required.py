import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    # Its own migration (its own transaction): PostgreSQL will not ALTER a table that the
    # same transaction has just updated rows of while its foreign keys are deferred.

    dependencies = [
        ('articles', '0011_topic_set'),
    ]

    operations = [
        migrations.AlterField(
            model_name='articlerank',
            name='topic_set',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='ranks', to='articles.topicset'),
        ),
    ]
