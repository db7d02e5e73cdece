"""The operator's Readers page, and the sign-up form when SIGNUP_OPEN allows one."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.services import ReaderError, reader_create


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
        try:
            reader_create(**form.cleaned_data, active=False)
        except ReaderError as exc:
            form.add_error("password" if "password" in str(exc).lower() else "username", str(exc))
        else:
            return render(request, "registration/signup_done.html", status=201)
    return render(request, "registration/signup.html", {"form": form})
