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
    # What Sift learned from the reader's marks (scoring.services.taste): the model, how many
    # marks it saw and its held-out average precision over time. Empty: nothing learned yet.
    taste = models.JSONField(default=dict, blank=True)
    # Opening an article (its link, or `o`) marks it read, as in most readers.
    mark_read_on_open = models.BooleanField(default=True)
    # Scoring calls a day (UTC) the operator allows this reader; NULL: no limit. Past it the
    # reader's articles wait, queued, until the next day.
    daily_scoring_budget = models.PositiveIntegerField(null=True, blank=True)
    # When a claim last took this reader's articles: claims go to the reader served longest
    # ago, so one reader's backlog cannot keep another's new articles waiting.
    served_at = models.DateTimeField(null=True, blank=True)
    # What the reader's apps show of the ranking (Google Reader, Miniflux, Fever): "Top
    # picks" holds the articles scored at least this; opt-in, those are starred in the apps
    # and every title there carries its score ("[8.4] Title").
    top_picks_min_score = models.FloatField(default=7.0)
    apps_star_top_picks = models.BooleanField(default=False)
    apps_score_in_title = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"profile of user {self.user_id}"

    @classmethod
    def of(cls, user: Any) -> Profile:
        return cls.of_id(user.pk)

    @classmethod
    def of_id(cls, user_id: int) -> Profile:
        profile, _ = cls.objects.get_or_create(user_id=user_id)
        return profile

    @property
    def has_interests(self) -> bool:
        """Scoring needs something to score against: with neither interests nor
        anti-interests the reader's articles wait, and no LLM call is spent on them."""
        return bool(self.interests.strip() or self.anti_interests.strip())


class AppPassword(models.Model):
    """The password a reader's apps sign in with (Google Reader API, Miniflux API, Fever),
    separate from the web login as in FreshRSS and Miniflux: it is typed into phones and
    third-party apps, and changing it signs every app out without touching the web login.

    Kept as verifiers only (`accounts.app_access`): Django's password hash, and for Fever,
    whose clients send md5("user:password"), an HMAC of that md5 under the secret key, so a
    copy of the database alone gives neither."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="app_password",
    )
    password = models.CharField(max_length=128)
    fever_key = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"app password of user {self.user_id}"


class RankedFeed(models.Model):
    """A reader's secret Atom URL of their best articles, for any feed reader or tool. The
    key is in the URL, so only its SHA-256 is kept: it is shown once, and a new one revokes
    the old."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="ranked_feed",
    )
    key_digest = models.CharField(max_length=64, unique=True)
    min_score = models.FloatField(default=7.0)
    created_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"ranked feed of user {self.user_id}"
