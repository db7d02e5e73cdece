from django.db import migrations


def seed(apps, schema_editor):
    from articles.models import DEFAULT_CATEGORIES

    Category = apps.get_model("articles", "Category")
    Category.objects.bulk_create(
        [Category(name=name, weight="neutral") for name in DEFAULT_CATEGORIES], ignore_conflicts=True
    )


class Migration(migrations.Migration):
    dependencies = [("articles", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
