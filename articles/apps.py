from __future__ import annotations

from django.apps import AppConfig


class ArticlesConfig(AppConfig):
    name = "articles"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import m2m_changed

        from articles import receivers
        from articles.models import Article

        m2m_changed.connect(
            receivers.article_topics_changed,
            sender=Article.categories.through,
            dispatch_uid="articles-rank-topics",
        )
