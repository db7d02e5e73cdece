"""Beat schedules live in django-celery-beat's tables, editable in the admin."""

from django.conf import settings
from django.db import migrations

SCHEDULES = [
    ("Scoring sweep", "scoring.tasks.sweep", "SCORING_SWEEP_SECONDS", "score"),
    ("Refresh feeds", "articles.tasks.refresh_all_feeds", "FEED_REFRESH_SECONDS", "feeds"),
]


def seed(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, setting, queue in SCHEDULES:
        every = getattr(settings, setting)
        interval, _ = IntervalSchedule.objects.get_or_create(every=every, period="seconds")
        PeriodicTask.objects.get_or_create(
            name=name, defaults={"task": task, "interval": interval, "queue": queue}
        )


def unseed(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[s[0] for s in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("django_celery_beat", "0019_alter_periodictasks_options")]
    operations = [migrations.RunPython(seed, unseed)]
