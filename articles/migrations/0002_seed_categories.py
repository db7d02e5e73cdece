from django.db import migrations


# The topics as this migration seeds them, frozen here: a later change of
# articles.models.DEFAULT_CATEGORIES must not change what an old migration does.
DEFAULT_CATEGORIES = ['technology', 'science', 'ai-ml', 'programming', 'web-development', 'security', 'business', 'finance', 'economics', 'politics', 'world-news', 'health', 'climate', 'energy', 'space', 'culture', 'entertainment', 'gaming', 'sports', 'education', 'design', 'open-source', 'hardware', 'startups', 'productivity']


def seed(apps, schema_editor):
    Category = apps.get_model("articles", "Category")
    Category.objects.bulk_create(
        [Category(name=name) for name in DEFAULT_CATEGORIES], ignore_conflicts=True
    )


class Migration(migrations.Migration):
    dependencies = [("articles", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
