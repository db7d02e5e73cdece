"""The prompts that ask for topics and scores in one call, as rows editable in the
admin like the others. Their texts frozen here (a later edit of llmconfig.prompts must not
change what this migration seeds)."""

from django.db import migrations

PROMPTS = {
    "verdict": 'Categorize this article and score it for the reader described below.\n\nTopics: 1-4 categories, only the article\'s PRIMARY topics (ignore incidental mentions), English kebab-case ("ai-ml", "web-development"; no underscores, slashes or spaces), broad, reusing an existing category whenever one fits; fewer is better.\nInterest 0-10 for the reader below: 0-2 strongly misaligned, 3-4 somewhat misaligned, 5-6 neutral, 7-8 good match, 9-10 excellent match.\nQuality 0-10: 0-2 clickbait or spam, 3-4 poor or shallow, 5-6 average, 7-8 good, 9-10 insightful.\nMatched phrases: the reader\'s interests and anti-interests the article matches, copied word for word (empty lists when none). Reasoning: one short sentence.\n\nAnswer with a JSON object:\n{{"categories": [str], "interest_score": int, "quality_score": int, "matched_interests": [str], "matched_anti_interests": [str], "reasoning": str}}.\nExample answer: {{"categories": ["ai-ml", "open-source"], "interest_score": 7, "quality_score": 6, "matched_interests": ["self-hosting"], "matched_anti_interests": [], "reasoning": "A topic the reader follows, covered with some depth."}}\n\n**User Interests:**\n{interests}\n\n**Anti-Interests:**\n{anti_interests}\n\n{feedback_examples}\n\n**Existing categories:** {existing_categories}\n\n**Title:** {title}\n\n**Content:**\n{content}',
    "verdict_batch": 'Categorize each of the articles below and score it for the reader described below.\n\nTopics: 1-4 categories, only the article\'s PRIMARY topics (ignore incidental mentions), English kebab-case ("ai-ml", "web-development"; no underscores, slashes or spaces), broad, reusing an existing category whenever one fits; fewer is better.\nInterest 0-10 for the reader below: 0-2 strongly misaligned, 3-4 somewhat misaligned, 5-6 neutral, 7-8 good match, 9-10 excellent match.\nQuality 0-10: 0-2 clickbait or spam, 3-4 poor or shallow, 5-6 average, 7-8 good, 9-10 insightful.\nMatched phrases: the reader\'s interests and anti-interests the article matches, copied word for word (empty lists when none). Reasoning: one short sentence.\n\nAnswer with one JSON object holding one entry per article, each with the id written in its <article id="…"> tag:\n{{"articles": [{{"id": int, "categories": [str], "interest_score": int, "quality_score": int, "matched_interests": [str], "matched_anti_interests": [str], "reasoning": str}}, ...]}}.\nExample entry for an article with id 0: {{"id": 0, "categories": ["ai-ml"], "interest_score": 7, "quality_score": 6, "matched_interests": ["self-hosting"], "matched_anti_interests": [], "reasoning": "A topic the reader follows, in some depth."}}\n\n**User Interests:**\n{interests}\n\n**Anti-Interests:**\n{anti_interests}\n\n{feedback_examples}\n\n**Existing categories:** {existing_categories}\n\n{articles}',
}


def seed_verdict_prompts(apps, schema_editor):
    PromptTemplate = apps.get_model("llmconfig", "PromptTemplate")
    for name, text in PROMPTS.items():
        PromptTemplate.objects.get_or_create(name=name, defaults={"text": text})


class Migration(migrations.Migration):
    dependencies = [
        ("llmconfig", "0008_call_modes"),
    ]

    operations = [migrations.RunPython(seed_verdict_prompts, migrations.RunPython.noop)]
