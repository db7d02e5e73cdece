from django.db import migrations

# The prompts as this migration seeds them, frozen here: a later change of the defaults in
# llmconfig.prompts must not change what an old migration does.
PROMPTS = {
    'categorization': """\
Categorize this article into 1-4 topic categories.

Rules (strict):
1. Only the article's PRIMARY topics.
2. Ignore incidental mentions and metaphors.
3. Reuse existing categories whenever one fits.
4. English and kebab-case only, e.g. "ai-ml" or "web-development"; no underscores, slashes or spaces, even for non-English articles.
5. Keep categories broad ("ai-ml", not "generative-ai").
6. Suggest a new category only if nothing fits and the topic will recur.
7. At most 4; fewer is better.

Answer with a JSON object: {{"categories": [...], "suggested_new": [...]}}.
Example answer: {{"categories": ["ai-ml", "open-source"], "suggested_new": []}}

**Existing categories:** {existing_categories}

**Title:** {title}

**Content:**
{content}

Categorize this article now.""",
    'scoring': """\
Score this article for the reader described below.

Interest 0-10: 0-2 strongly misaligned, 3-4 somewhat misaligned, 5-6 neutral, 7-8 good match, 9-10 excellent match.
Quality 0-10: 0-2 clickbait or spam, 3-4 poor or shallow, 5-6 average, 7-8 good, 9-10 insightful.

Provide 1. Interest 2. Quality 3. Brief reasoning (1-2 sentences) 4. The phrases of the reader's interests and anti-interests the article matches, copied word for word (empty lists when none), as a JSON object:
{{"interest_score": int, "quality_score": int, "reasoning": str, "matched_interests": [str], "matched_anti_interests": [str]}}.
Example answer: {{"interest_score": 7, "quality_score": 6, "reasoning": "A topic the reader follows, covered with some depth.", "matched_interests": ["self-hosting"], "matched_anti_interests": []}}

**User Interests:**
{interests}

**Anti-Interests:**
{anti_interests}

{feedback_examples}

**Title:** {title}

**Content:**
{content}""",
    'categorization_batch': """\
Categorize each of the articles below into 1-4 topic categories.

Rules (strict):
1. Only each article's PRIMARY topics.
2. Ignore incidental mentions and metaphors.
3. Reuse existing categories whenever one fits.
4. English and kebab-case only, e.g. "ai-ml" or "web-development"; no underscores, slashes or spaces, even for non-English articles.
5. Keep categories broad ("ai-ml", not "generative-ai").
6. Suggest a new category only if nothing fits and the topic will recur.
7. At most 4 per article; fewer is better.

Answer with one JSON object holding one entry per article, each with the id written in its <article id="…"> tag:
{{"articles": [{{"id": int, "categories": [...], "suggested_new": [...]}}, ...]}}.
Example answer for a single article with id 0: {{"articles": [{{"id": 0, "categories": ["ai-ml", "open-source"], "suggested_new": []}}]}}

**Existing categories:** {existing_categories}

{articles}

Categorize every article above now.""",
    'scoring_batch': """\
Score each of the articles below for the reader described below.

Interest 0-10: 0-2 strongly misaligned, 3-4 somewhat misaligned, 5-6 neutral, 7-8 good match, 9-10 excellent match.
Quality 0-10: 0-2 clickbait or spam, 3-4 poor or shallow, 5-6 average, 7-8 good, 9-10 insightful.

For each article provide 1. Interest 2. Quality 3. Brief reasoning (1-2 sentences) 4. The phrases of the reader's interests and anti-interests it matches, copied word for word (empty lists when none). Answer with one JSON object holding one entry per article, each with the id written in its <article id="…"> tag:
{{"articles": [{{"id": int, "interest_score": int, "quality_score": int, "reasoning": str, "matched_interests": [str], "matched_anti_interests": [str]}}, ...]}}.
Example entry for an article with id 0: {{"id": 0, "interest_score": 7, "quality_score": 6, "reasoning": "A topic the reader follows, covered with some depth.", "matched_interests": ["self-hosting"], "matched_anti_interests": []}}

**User Interests:**
{interests}

**Anti-Interests:**
{anti_interests}

{feedback_examples}

{articles}""",
}


def seed(apps, schema_editor):
    PromptTemplate = apps.get_model("llmconfig", "PromptTemplate")
    for name, text in PROMPTS.items():
        PromptTemplate.objects.get_or_create(name=name, defaults={"text": text})


class Migration(migrations.Migration):
    dependencies = [("llmconfig", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
