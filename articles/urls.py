from __future__ import annotations

from django.urls import path

from articles import api

urlpatterns = [
    path("articles", api.ArticleListView.as_view(), name="articles"),
    path("articles/<int:pk>", api.ArticleDetailView.as_view(), name="article"),
    path("articles/mark-read", api.ArticlesMarkReadView.as_view(), name="articles-mark-read"),
    path("feeds", api.FeedListView.as_view(), name="feeds"),
    path("feeds/reorder", api.FeedReorderView.as_view(), name="feeds-reorder"),
    path("feeds/refresh", api.FeedRefreshView.as_view(), name="feeds-refresh"),
    path("feeds/opml", api.OPMLView.as_view(), name="feeds-opml"),
    path("feeds/<int:pk>", api.FeedDetailView.as_view(), name="feed"),
    path("feeds/<int:pk>/refresh", api.FeedRefreshOneView.as_view(), name="feed-refresh"),
    path(
        "feeds/<int:pk>/mark-all-read", api.FeedMarkAllReadView.as_view(), name="feed-mark-all-read"
    ),
    path("folders", api.FolderListView.as_view(), name="folders"),
    path("folders/<int:pk>", api.FolderDetailView.as_view(), name="folder"),
    path("categories", api.CategoryListView.as_view(), name="categories"),
    path("topics", api.TopicListView.as_view(), name="topics"),
    path("categories/<str:name>/weight", api.CategoryWeightView.as_view(), name="category-weight"),
]
