from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from llmconfig import ollama_server
from llmconfig.ollama_names import is_valid_model_name


class Command(BaseCommand):
    help = "Pull an Ollama model with a progress bar (the same download the web page shows)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("model", help="Ollama model name, e.g. qwen3:4b")

    def handle(self, *args: Any, model: str, **options: Any) -> None:
        if not is_valid_model_name(model):
            raise CommandError(f"{model!r} is not a valid Ollama model name.")
        try:
            download, created = ollama_server.download_start(model=model, run_in_worker=False)
        except ollama_server.DownloadConflict as exc:
            raise CommandError(str(exc)) from exc
        if not created:
            raise CommandError(f"{model} is already downloading (see /api/ollama/download-status).")
        with tqdm(
            total=100.0, unit="%", desc=model, bar_format="{l_bar}{bar}| {n:.1f}%  {postfix}"
        ) as bar:

            def show(progress: ollama_server.PullProgress) -> None:
                bar.n = progress.percent
                bar.set_postfix_str(progress.detail[:40])
                bar.refresh()

            status = ollama_server.download_run(download_id=download.pk, on_progress=show)
        download.refresh_from_db()
        if status != "complete":
            raise CommandError(f"Pull {status}: {download.error}")
        self.stdout.write(self.style.SUCCESS(f"Pulled {model}."))
