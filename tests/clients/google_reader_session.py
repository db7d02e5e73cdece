"""Run by tests/test_sync_clients.py in .tools/clients (Python >= 3.12): the google-reader
client (by Miniflux's author) through its main calls against a live Sift. Prints JSON of
what it saw; marks one item read and stars another on the way."""

import json
import sys

import google_reader

base, username, password, mark_id, star_id = sys.argv[1:6]
client = google_reader.Client(base)
auth = client.login(username, password)
token = client.get_token(auth)
info = client.get_user_info(auth)
subs = client.list_subscriptions(auth)
tags = client.list_tags(auth)
unread = client.get_stream_items_ids(
    auth,
    stream_id="user/-/state/com.google/reading-list",
    exclude_target="user/-/state/com.google/read",
)
top = client.get_stream_items_ids(auth, stream_id="feed/sift-top")
contents = client.get_stream_items_contents(auth, token, [r.id for r in top.item_refs])
client.edit_tags(auth, token, [mark_id], add_tags=["user/-/state/com.google/read"])
client.edit_tags(
    auth,
    token,
    [google_reader.get_long_item_id(int(star_id))],
    add_tags=["user/-/state/com.google/starred"],
)
try:
    google_reader.Client(base).login(username, "not-the-password")
    refused = False
except google_reader.AuthenticationError:
    refused = True
print(
    json.dumps(
        {
            "user": info.user_name,
            "subscriptions": [s.title for s in subs],
            "tags": [t.id for t in tags],
            "unread": sorted(int(r.id) for r in unread.item_refs),
            "top_titles": [i.title for i in contents.items],
            "refused": refused,
        }
    )
)
