"""Once seeded the beat schedule from settings at migrate time. The schedule has one owner now,
`CELERY_BEAT_SCHEDULE` (django-celery-beat writes it into its tables each time beat starts,
under the same names, so rows this migration wrote earlier are updated in place). Kept as a
no-op so the migration history stays as it was; never squashed."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("django_celery_beat", "0019_alter_periodictasks_options")]
    operations = [migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)]
