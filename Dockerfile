# One image for web, worker and beat (docker-compose.yml picks the command).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 UV_PROJECT_ENVIRONMENT=/app/.venv UV_COMPILE_BYTECODE=1
RUN pip install --no-cache-dir "uv==0.13.9"
WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev
COPY . .
ENV PATH="/app/.venv/bin:$PATH" DJANGO_SETTINGS_MODULE=config.settings STATIC_ROOT=/app/staticfiles
RUN DEBUG=true SIFT_VAR_DIR=/tmp/build-var python manage.py collectstatic --noinput -v0 \
    && rm -rf /tmp/build-var \
    && useradd --create-home sift && mkdir -p /app/var && chown sift /app/var
USER sift
EXPOSE 8000
CMD ["uvicorn", "config.asgi:application", "--host", "0.0.0.0", "--port", "8000", "--lifespan", "off"]
