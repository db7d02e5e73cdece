"""A reader's folders: made on first use (an app's label, an OPML outline), renamed within
their column's length, deleted with their feeds kept outside any folder."""

from __future__ import annotations

from typing import Any

from articles.models import Folder
from common.errors import DomainError


def folder_get_or_create(*, reader: Any, name: str) -> Folder:
    folder, _ = Folder.objects.get_or_create(reader=reader, name=name.strip()[:200])
    return folder


class FolderNameError(DomainError):
    field = "name"


FOLDER_NAME_LENGTH = Folder._meta.get_field("name").max_length or 200


def folder_rename(*, folder: Folder, name: str) -> Folder:
    """Every door's rename: a name within the column's length (SQLite would store any)."""
    name = name.strip()
    if not name or len(name) > FOLDER_NAME_LENGTH:
        raise FolderNameError(f"A folder's name has 1 to {FOLDER_NAME_LENGTH} characters.")
    folder.name = name
    folder.save(update_fields=["name"])
    return folder


def folder_delete(*, folder: Folder) -> None:
    """Its feeds stay, outside any folder."""
    folder.delete()
