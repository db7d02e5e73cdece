from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_asgi_application()

# uvicorn writes its access lines through handlers of its own, set up before Django's
# logging: they get the same mask, since a request line may carry a credential (Fever's
# `api_key` in a query string, a ranked feed's secret key in its path).
from common.logging import redact_server_logs  # noqa: E402 - after Django is set up

redact_server_logs()
