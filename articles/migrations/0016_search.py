"""Full-text search over title, summary and content: SQLite FTS5 (an external-content table
kept in step by triggers) or a PostgreSQL GIN index on the same tsvector expression that
`ArticleQuerySet.search` asks with. Both tokenize without stemming (`unicode61` / `simple`),
so a search finds the same articles on either database, in any language."""

from django.db import migrations

SQLITE = [
    """CREATE VIRTUAL TABLE article_fts USING fts5(
        title, summary, content, content='articles_article', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER article_fts_insert AFTER INSERT ON articles_article BEGIN
        INSERT INTO article_fts(rowid, title, summary, content)
        VALUES (new.id, new.title, new.summary, new.content);
    END""",
    """CREATE TRIGGER article_fts_delete AFTER DELETE ON articles_article BEGIN
        INSERT INTO article_fts(article_fts, rowid, title, summary, content)
        VALUES ('delete', old.id, old.title, old.summary, old.content);
    END""",
    # Only a change of the text: claims, scores and read marks never touch the index.
    """CREATE TRIGGER article_fts_update AFTER UPDATE OF title, summary, content
        ON articles_article BEGIN
        INSERT INTO article_fts(article_fts, rowid, title, summary, content)
        VALUES ('delete', old.id, old.title, old.summary, old.content);
        INSERT INTO article_fts(rowid, title, summary, content)
        VALUES (new.id, new.title, new.summary, new.content);
    END""",
    "INSERT INTO article_fts(article_fts) VALUES ('rebuild')",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS article_fts_update",
    "DROP TRIGGER IF EXISTS article_fts_delete",
    "DROP TRIGGER IF EXISTS article_fts_insert",
    "DROP TABLE IF EXISTS article_fts",
]
# Frozen copy of articles.search.SEARCH_DOCUMENT's SQL when this was written: to_tsvector
# caps a document at 1 MB, so the heads of summary and content are what is indexed.
POSTGRES = [
    """CREATE INDEX IF NOT EXISTS article_search ON articles_article USING GIN (
        to_tsvector('simple'::regconfig,
            COALESCE(title, '') || ' ' || COALESCE(LEFT(summary, 20000), '') || ' '
            || COALESCE(LEFT(content, 100000), '')))""",
]
POSTGRES_REVERSE = ["DROP INDEX IF EXISTS article_search"]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in SQLITE if vendor == "sqlite" else POSTGRES if vendor == "postgresql" else []:
        schema_editor.execute(sql)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in (
        SQLITE_REVERSE if vendor == "sqlite" else POSTGRES_REVERSE if vendor == "postgresql" else []
    ):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0015_folders_stars"),
    ]

    operations = [migrations.RunPython(forward, backward)]
