"""Articles blocked before the LLM scored them used to store interest 0 and quality 0 with a
"Blocked: …" reasoning. Those zeros were never the model's: store no score instead, so an
unblocked topic re-scores them rather than restoring a made-up 0 (the API shows "Blocked: …"
from the topics' weights)."""

from django.db import migrations


def forget_invented_scores(apps, schema_editor):
    Article = apps.get_model("articles", "Article")
    Article.objects.filter(
        scoring_state="scored", scoring_model="", score_reasoning__startswith="Blocked: "
    ).update(interest_score=None, quality_score=None, score_reasoning="", composite_score=0.0)


class Migration(migrations.Migration):
    dependencies = [("articles", "0004_rank_equal_scores_newest_first")]

    operations = [migrations.RunPython(forget_invented_scores, migrations.RunPython.noop)]
