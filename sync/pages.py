"""The reader's Apps page: their app password, what their apps show of the ranking, their
ranked feed, and what to enter in each app. Server-rendered forms; each write goes through
the accounts services. A password or a feed key is shown once, on the answer to the form
that made it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from accounts.app_access import (
    MIN_LENGTH,
    AppPasswordError,
    app_password_delete,
    app_password_set,
    ranked_feed_create,
    ranked_feed_revoke,
)
from accounts.models import AppPassword, Profile, RankedFeed
from accounts.services import app_preferences_set


class PasswordForm(forms.Form):
    password = forms.CharField(
        required=False, max_length=200, min_length=MIN_LENGTH, widget=forms.PasswordInput,
        help_text="Leave empty to have one generated.",
    )  # fmt: skip


class PreferencesForm(forms.Form):
    top_picks_min_score = forms.FloatField(min_value=0, max_value=20)
    apps_star_top_picks = forms.BooleanField(required=False)
    apps_score_in_title = forms.BooleanField(required=False)


class RankedFeedForm(forms.Form):
    min_score = forms.FloatField(min_value=0, max_value=20)


@login_required
def apps(request: HttpRequest) -> HttpResponse:
    reader: Any = request.user
    profile = Profile.of(reader)
    shown: dict[str, str] = {}
    password_form = PasswordForm()
    preferences = PreferencesForm(
        initial={
            "top_picks_min_score": profile.top_picks_min_score,
            "apps_star_top_picks": profile.apps_star_top_picks,
            "apps_score_in_title": profile.apps_score_in_title,
        }
    )
    ranked = RankedFeed.objects.filter(user=reader).first()
    ranked_form = RankedFeedForm(initial={"min_score": ranked.min_score if ranked else 7.0})
    status = 200
    action = request.POST.get("action", "")
    if request.method == "POST":
        if action == "password":
            password_form = PasswordForm(request.POST)
            if password_form.is_valid():
                try:
                    chosen = app_password_set(
                        user=reader, password=password_form.cleaned_data["password"] or None
                    )
                except AppPasswordError as exc:
                    password_form.add_error("password", str(exc))
                else:
                    shown["password"] = chosen
                    password_form = PasswordForm()
        elif action == "password-delete":
            app_password_delete(user=reader)
        elif action == "preferences":
            preferences = PreferencesForm(request.POST)
            if preferences.is_valid():
                app_preferences_set(user=reader, **preferences.cleaned_data)
        elif action == "ranked-feed":
            ranked_form = RankedFeedForm(request.POST)
            if ranked_form.is_valid():
                key = ranked_feed_create(
                    user=reader, min_score=ranked_form.cleaned_data["min_score"]
                )
                shown["feed_url"] = request.build_absolute_uri(reverse("ranked-feed", args=[key]))
        elif action == "ranked-feed-revoke":
            ranked_feed_revoke(user=reader)
        bound = [password_form, preferences, ranked_form]
        if any(f.is_bound and f.errors for f in bound):
            status = 400
    base = request.build_absolute_uri("/").rstrip("/")
    context = {
        "nav": "apps",
        "base": base,
        "username": reader.get_username(),
        "app_password": AppPassword.objects.filter(user=reader).first(),
        "ranked_feed": RankedFeed.objects.filter(user=reader).first(),
        "password_form": password_form,
        "preferences": preferences,
        "ranked_form": ranked_form,
        "shown": shown,
    }
    return render(request, "sift/apps.html", context, status=status)
