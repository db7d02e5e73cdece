from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class Profile(models.Model):
    """What is a reader's own beside their articles: interests, preferences, and what the
    operator allows them to spend. Made on demand (`Profile.of`)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="profile"
    )
    interests = models.TextField(blank=True, default="")
    anti_interests = models.TextField(blank=True, default="")
    # Opening an article (its link, or `o`) marks it read, as in most readers.
    mark_read_on_open = models.BooleanField(default=True)
    # Scoring calls a day (UTC) the operator allows this reader; NULL: no limit. Past it the
    # reader's articles wait, queued, until the next day.
    daily_scoring_budget = models.PositiveIntegerField(null=True, blank=True)
    # When a claim last took this reader's articles: claims go to the reader served longest
    # ago, so one reader's backlog cannot keep another's new articles waiting.
    served_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"profile of user {self.user_id}"

    @classmethod
    def of(cls, user: Any) -> Profile:
        profile, _ = cls.objects.get_or_create(user_id=user.pk)
        return profile

    @property
    def has_interests(self) -> bool:
        """Scoring needs something to score against: with neither interests nor
        anti-interests the reader's articles wait, and no LLM call is spent on them."""
        return bool(self.interests.strip() or self.anti_interests.strip())
