"""A partial index on a reader's story copies (the unread counts subtract them)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('articles', '0019_readers_cleanup'),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.AddIndex(
            model_name='reading',
            index=models.Index(condition=models.Q(('is_copy', True)), fields=['reader', 'feed'], name='reading_copies'),
        ),
    ]
