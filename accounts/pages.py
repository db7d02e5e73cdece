"""The operator's Readers page, and the sign-up form when SIGNUP_OPEN allows one."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.services import ReaderError, ReaderExists, reader_create


class SignupForm(forms.Form):
    username = forms.CharField(max_length=150)
    password = forms.CharField(widget=forms.PasswordInput, max_length=200)


def signup(request: HttpRequest) -> HttpResponse:
    """Ask for an account: it is created inactive and waits for the operator's approval
    (Open WebUI's pending role). Not there at all unless SIGNUP_OPEN."""
    if not settings.SIGNUP_OPEN:
        raise Http404("Sign-up is closed on this Sift.")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        address = str(request.META.get("REMOTE_ADDR", ""))
        if not _signup_allowed(address):
            form.add_error(None, "Too many sign-ups from this address; try again in an hour.")
            return render(request, "registration/signup.html", {"form": form}, status=429)
        try:
            reader_create(**form.cleaned_data, active=False)
        except ReaderExists:
            pass  # answered as a success: whether a name is taken is not told to strangers
        except ReaderError as exc:
            form.add_error("password" if "password" in str(exc).lower() else "username", str(exc))
            return render(request, "registration/signup.html", {"form": form})
        return render(request, "registration/signup_done.html", status=201)
    return render(request, "registration/signup.html", {"form": form})


# Sign-ups one address may ask for in an hour: a household signs up a few people once; a
# script creating accounts for the operator to wade through is cut off.
SIGNUPS_PER_HOUR = 5


def _signup_allowed(address: str) -> bool:
    key = f"sift:signups:{address}"
    cache.add(key, 0, 3600)
    try:
        return cache.incr(key) <= SIGNUPS_PER_HOUR
    except ValueError:  # expired between add and incr
        cache.add(key, 1, 3600)
        return True
