"""Several readers: interests moved to each reader's profile (articles 0018 copied
them to the first admin's); LLM calls say which reader a scoring call was for."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('llmconfig', '0006_usersettings_mark_read_on_open'),
        ('articles', '0018_readers_data'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='usersettings',
            name='anti_interests',
        ),
        migrations.RemoveField(
            model_name='usersettings',
            name='interests',
        ),
        migrations.RemoveField(
            model_name='usersettings',
            name='mark_read_on_open',
        ),
        migrations.AddField(
            model_name='llmcall',
            name='reader_id',
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name='llmcall',
            index=models.Index(condition=models.Q(('reader_id__isnull', False)), fields=['reader_id', 'created_at'], name='llmcall_reader_recent'),
        ),
    ]
