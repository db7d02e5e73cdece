from django.db import migrations


def seed(apps, schema_editor):
    from llmconfig.prompts import DEFAULT_PROMPTS

    PromptTemplate = apps.get_model("llmconfig", "PromptTemplate")
    for name, text in DEFAULT_PROMPTS.items():
        PromptTemplate.objects.get_or_create(name=name, defaults={"text": text})


class Migration(migrations.Migration):
    dependencies = [("llmconfig", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
