"""Default prompt texts and how they are rendered.

The static rubric comes first in every prompt and the variable parts (categories, interests,
the article) last, so a model's prompt cache reuses the shared prefix across articles.
Placeholders use `str.format` names; the admin edits the texts, not this file.
"""

from __future__ import annotations

from typing import Any

CATEGORIZATION_PROMPT = """\
Categorize this article into 1-4 topic categories.

Rules (strict):
1. Only the article's PRIMARY topics.
2. Ignore incidental mentions and metaphors.
3. Reuse existing categories whenever one fits.
4. English and kebab-case only, e.g. "ai-ml" or "web-development"; no underscores, slashes \
or spaces, even for non-English articles.
5. Keep categories broad ("ai-ml", not "generative-ai").
6. Suggest a new category only if nothing fits and the topic will recur.
7. At most 4; fewer is better.

Answer with a JSON object: {{"categories": [...], "suggested_new": [...]}}.
Example answer: {{"categories": ["ai-ml", "open-source"], "suggested_new": []}}

**Existing categories:** {existing_categories}

**Title:** {title}

**Content:**
{content}

Categorize this article now."""

SCORING_PROMPT = """\
Score this article for the reader described below.

Interest 0-10: 0-2 strongly misaligned, 3-4 somewhat misaligned, 5-6 neutral, 7-8 good \
match, 9-10 excellent match.
Quality 0-10: 0-2 clickbait or spam, 3-4 poor or shallow, 5-6 average, 7-8 good, \
9-10 insightful.

Provide 1. Interest 2. Quality 3. Brief reasoning (1-2 sentences) 4. The phrases of the \
reader's interests and anti-interests the article matches, copied word for word (empty \
lists when none), as a JSON object:
{{"interest_score": int, "quality_score": int, "reasoning": str, "matched_interests": [str], \
"matched_anti_interests": [str]}}.
Example answer: {{"interest_score": 7, "quality_score": 6, "reasoning": "A topic the reader \
follows, covered with some depth.", "matched_interests": ["self-hosting"], \
"matched_anti_interests": []}}

**User Interests:**
{interests}

**Anti-Interests:**
{anti_interests}

{feedback_examples}

**Title:** {title}

**Content:**
{content}"""

# Batched scoring (SCORING_BATCH_SIZE > 1): the same rubric, several articles per call, each
# wrapped with its id and answered in a list keyed by it. The articles come last, so the
# rubric and the reader's context stay a shared prefix across calls. The worked examples use
# id 0, which no article has: a small model that copies an example's id then leaves the
# article out (it is asked again alone) instead of handing the example's answer to whichever
# real article has that id.
CATEGORIZATION_BATCH_PROMPT = """\
Categorize each of the articles below into 1-4 topic categories.

Rules (strict):
1. Only each article's PRIMARY topics.
2. Ignore incidental mentions and metaphors.
3. Reuse existing categories whenever one fits.
4. English and kebab-case only, e.g. "ai-ml" or "web-development"; no underscores, slashes \
or spaces, even for non-English articles.
5. Keep categories broad ("ai-ml", not "generative-ai").
6. Suggest a new category only if nothing fits and the topic will recur.
7. At most 4 per article; fewer is better.

Answer with one JSON object holding one entry per article, each with the id written in \
its <article id="…"> tag:
{{"articles": [{{"id": int, "categories": [...], "suggested_new": [...]}}, ...]}}.
Example answer for a single article with id 0: {{"articles": [{{"id": 0, \
"categories": ["ai-ml", "open-source"], "suggested_new": []}}]}}

**Existing categories:** {existing_categories}

{articles}

Categorize every article above now."""

SCORING_BATCH_PROMPT = """\
Score each of the articles below for the reader described below.

Interest 0-10: 0-2 strongly misaligned, 3-4 somewhat misaligned, 5-6 neutral, 7-8 good \
match, 9-10 excellent match.
Quality 0-10: 0-2 clickbait or spam, 3-4 poor or shallow, 5-6 average, 7-8 good, \
9-10 insightful.

For each article provide 1. Interest 2. Quality 3. Brief reasoning (1-2 sentences) 4. The \
phrases of the reader's interests and anti-interests it matches, copied word for word \
(empty lists when none). Answer with one JSON object holding one entry per article, each \
with the id written in its <article id="…"> tag:
{{"articles": [{{"id": int, "interest_score": int, "quality_score": int, "reasoning": str, \
"matched_interests": [str], "matched_anti_interests": [str]}}, ...]}}.
Example entry for an article with id 0: {{"id": 0, "interest_score": 7, \
"quality_score": 6, "reasoning": "A topic the reader follows, covered with some depth.", \
"matched_interests": ["self-hosting"], "matched_anti_interests": []}}

**User Interests:**
{interests}

**Anti-Interests:**
{anti_interests}

{feedback_examples}

{articles}"""

# One call per article: topics and the reader's verdict in one answer, in the same
# cache-friendly order: the static rubric, the reader's context, the install's topics, the
# article(s) last.
_VERDICT_RUBRIC = """\
Topics: 1-4 categories, only the article's PRIMARY topics (ignore incidental mentions), \
English kebab-case ("ai-ml", "web-development"; no underscores, slashes or spaces), broad, \
reusing an existing category whenever one fits; fewer is better.
Interest 0-10 for the reader below: 0-2 strongly misaligned, 3-4 somewhat misaligned, 5-6 \
neutral, 7-8 good match, 9-10 excellent match.
Quality 0-10: 0-2 clickbait or spam, 3-4 poor or shallow, 5-6 average, 7-8 good, \
9-10 insightful.
Matched phrases: the reader's interests and anti-interests the article matches, copied word \
for word (empty lists when none). Reasoning: one short sentence."""

VERDICT_PROMPT = (
    "Categorize this article and score it for the reader described below.\n\n"
    + _VERDICT_RUBRIC
    + """

Answer with a JSON object:
{{"categories": [str], "interest_score": int, "quality_score": int, \
"matched_interests": [str], "matched_anti_interests": [str], "reasoning": str}}.
Example answer: {{"categories": ["ai-ml", "open-source"], "interest_score": 7, \
"quality_score": 6, "matched_interests": ["self-hosting"], "matched_anti_interests": [], \
"reasoning": "A topic the reader follows, covered with some depth."}}

**User Interests:**
{interests}

**Anti-Interests:**
{anti_interests}

{feedback_examples}

**Existing categories:** {existing_categories}

**Title:** {title}

**Content:**
{content}"""
)

VERDICT_BATCH_PROMPT = (
    "Categorize each of the articles below and score it for the reader described below.\n\n"
    + _VERDICT_RUBRIC
    + """

Answer with one JSON object holding one entry per article, each with the id written in \
its <article id="…"> tag:
{{"articles": [{{"id": int, "categories": [str], "interest_score": int, \
"quality_score": int, "matched_interests": [str], "matched_anti_interests": [str], \
"reasoning": str}}, ...]}}.
Example entry for an article with id 0: {{"id": 0, "categories": ["ai-ml"], \
"interest_score": 7, "quality_score": 6, "matched_interests": ["self-hosting"], \
"matched_anti_interests": [], "reasoning": "A topic the reader follows, in some depth."}}

**User Interests:**
{interests}

**Anti-Interests:**
{anti_interests}

{feedback_examples}

**Existing categories:** {existing_categories}

{articles}"""
)

# How each article is wrapped in a batched prompt.
BATCH_ARTICLE = """<article id="{id}">
**Title:** {title}

**Content:**
{content}
</article>"""

DEFAULT_PROMPTS = {
    "categorization": CATEGORIZATION_PROMPT,
    "scoring": SCORING_PROMPT,
    "categorization_batch": CATEGORIZATION_BATCH_PROMPT,
    "scoring_batch": SCORING_BATCH_PROMPT,
    "verdict": VERDICT_PROMPT,
    "verdict_batch": VERDICT_BATCH_PROMPT,
}

PLACEHOLDERS: dict[str, dict[str, str]] = {
    "categorization": {
        "existing_categories": "[Existing Categories]",
        "title": "[Article Title]",
        "content": "[Article Content]",
    },
    "scoring": {
        "interests": "[User Interests]",
        "anti_interests": "[Anti-Interests]",
        "feedback_examples": "[Titles the reader marked 👍 / 👎]",
        "title": "[Article Title]",
        "content": "[Article Content]",
    },
    "categorization_batch": {
        "existing_categories": "[Existing Categories]",
        "articles": '[Articles, each as <article id="…">title and content</article>]',
    },
    "scoring_batch": {
        "interests": "[User Interests]",
        "anti_interests": "[Anti-Interests]",
        "feedback_examples": "[Titles the reader marked 👍 / 👎]",
        "articles": '[Articles, each as <article id="…">title and content</article>]',
    },
    "verdict": {
        "interests": "[User Interests]",
        "anti_interests": "[Anti-Interests]",
        "feedback_examples": "[Titles the reader marked 👍 / 👎]",
        "existing_categories": "[Existing Categories]",
        "title": "[Article Title]",
        "content": "[Article Content]",
    },
    "verdict_batch": {
        "interests": "[User Interests]",
        "anti_interests": "[Anti-Interests]",
        "feedback_examples": "[Titles the reader marked 👍 / 👎]",
        "existing_categories": "[Existing Categories]",
        "articles": '[Articles, each as <article id="…">title and content</article>]',
    },
}


def render(text: str, **values: Any) -> str:
    """Fill a template; an unknown or missing placeholder in an admin edit is left visible
    rather than crashing every scoring task."""

    class _Keep(dict[str, Any]):
        def __missing__(self, key: str) -> str:
            return "{" + key + "}"

    try:
        return text.format_map(_Keep(values))
    except (ValueError, IndexError):
        # A stray brace in an edited prompt: fall back to plain substitution.
        out = text
        for key, value in values.items():
            out = out.replace("{" + key + "}", str(value))
        return out
