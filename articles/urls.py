from __future__ import annotations

from django.urls import path

from articles import api, feeds_api

urlpatterns = [
    path("articles", api.ArticleListView.as_view(), name="articles"),
    path("articles/<int:pk>", api.ArticleDetailView.as_view(), name="article"),
    path("articles/mark-read", api.ArticlesMarkReadView.as_view(), name="articles-mark-read"),
    path("feeds", feeds_api.FeedListView.as_view(), name="feeds"),
    path("feeds/reorder", feeds_api.FeedReorderView.as_view(), name="feeds-reorder"),
    path("feeds/refresh", feeds_api.FeedRefreshView.as_view(), name="feeds-refresh"),
    path("feeds/opml", feeds_api.OPMLView.as_view(), name="feeds-opml"),
    path("feeds/<int:pk>", feeds_api.FeedDetailView.as_view(), name="feed"),
    path("feeds/<int:pk>/refresh", feeds_api.FeedRefreshOneView.as_view(), name="feed-refresh"),
    path(
        "feeds/<int:pk>/mark-all-read",
        feeds_api.FeedMarkAllReadView.as_view(),
        name="feed-mark-all-read",
    ),
    path("folders", feeds_api.FolderListView.as_view(), name="folders"),
    path("folders/<int:pk>", feeds_api.FolderDetailView.as_view(), name="folder"),
    path("categories", api.CategoryListView.as_view(), name="categories"),
    path("topics", api.TopicListView.as_view(), name="topics"),
    path("categories/<str:name>/weight", api.CategoryWeightView.as_view(), name="category-weight"),
]
