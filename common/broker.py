"""The server-less broker: kombu's filesystem transport, with atomic writes and a consumer
that survives a bad file.

kombu writes a message file in place while a consumer in another process may already move it
away and read it half-written (or empty): the worker then dies with JSONDecodeError
("Unrecoverable error"). Here a message is written to a staging folder and renamed into the
queue folder, which is atomic on POSIX, so a reader only ever sees whole messages.

A file that still cannot be decoded (an empty file, a disk error, a hand-made one) made
kombu's consumer raise inside the worker's event loop: the worker exited, and every restart
read the same file and exited again. Here it is moved to the `corrupt` folder beside the
queue with one log line, and the consumer takes the next message. Nothing it held is lost:
the database, not the broker, says what still needs scoring.
"""

from __future__ import annotations

import binascii
import logging
import os
import uuid
from queue import Empty
from time import monotonic, sleep
from typing import Any

from kombu.connection import Connection
from kombu.exceptions import ChannelError, DecodeError
from kombu.transport import filesystem
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

logger = logging.getLogger(__name__)


class Channel(filesystem.Channel):
    @property
    def staging_folder(self) -> str:
        folder = self.transport_options.get("staging_folder") or os.path.join(
            self.data_folder_out, os.pardir, "staging"
        )
        os.makedirs(folder, exist_ok=True)
        return folder

    @property
    def _aside_folder(self) -> str:
        folder = os.path.join(self.data_folder_in, os.pardir, "corrupt")
        os.makedirs(folder, exist_ok=True)
        return folder

    def _get(self, queue: str) -> Any:  # type: ignore[override]
        """The oldest whole message of `queue`; undecodable files are moved aside."""
        suffix = f"{queue}.msg"
        for name in sorted(os.listdir(self.data_folder_in)):
            if name.partition(".")[2] != suffix:
                continue
            path = os.path.join(self.data_folder_in, name)
            try:
                with open(path, "rb") as fh:
                    payload = fh.read()
                message = loads(bytes_to_str(payload))
                self._check(message)
            except FileNotFoundError:
                continue  # another consumer took it first
            except (ValueError, UnicodeDecodeError, binascii.Error, DecodeError) as exc:
                self._move_aside(path, name, exc)
                continue
            except OSError as exc:
                raise ChannelError(f"Cannot read file {name!r} from queue.") from exc
            try:
                os.remove(path)  # the claim: of two consumers, only one removes it
            except FileNotFoundError:
                continue
            return message
        raise Empty()

    def _check(self, message: Any) -> None:
        """Raise ValueError unless `message` has the shape kombu's consumer relies on: it reads
        these keys without a guard, inside the worker's event loop, so a file that is JSON
        but not quite a message stopped the worker."""
        if not isinstance(message, dict) or not isinstance(message.get("properties"), dict):
            raise ValueError("not a kombu message")
        properties = message["properties"]
        shapes = (
            (properties.get("delivery_tag"), str),
            (properties.get("delivery_info"), dict),
            (message.get("body", ""), str),
            (message.get("headers") or {}, dict),
            (message.get("content-type") or "", str),
            (message.get("content-encoding") or "", str),
            (properties.get("body_encoding") or "", str),
        )
        if not all(isinstance(value, kind) for value, kind in shapes):
            raise ValueError("a kombu message's fields have the wrong types")
        # The body decoded as the consumer will (base64, then its content type).
        self.Message(message, channel=self).decode()

    def _move_aside(self, path: str, name: str, exc: Exception) -> None:
        try:
            os.replace(path, os.path.join(self._aside_folder, name))
        except FileNotFoundError:
            return  # another consumer moved it
        logger.error(
            "broker: message %s cannot be decoded (%s); moved to %s",
            name, type(exc).__name__, os.path.normpath(self._aside_folder),
        )  # fmt: skip

    def _put(self, queue: str, message: Any, **kwargs: Any) -> None:  # type: ignore[override]
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        staged = os.path.join(self.staging_folder, name)
        try:
            with open(staged, "wb") as fh:
                fh.write(str_to_bytes(dumps(message)))
            os.replace(staged, os.path.join(self.data_folder_out, name))
        except OSError as exc:
            raise ChannelError(f"Cannot add file {name!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel

    def drain_events(  # type: ignore[override]  # as kombu's own virtual transport does
        self, connection: Connection, timeout: float | None = None
    ) -> None:
        """kombu's polling loop, which also gives up as soon as the worker is told to stop.

        Celery's loop for a transport without an event loop waits up to 2 s for a message,
        then once more after a stop was requested: an idle worker took 6-8 s over a warm
        shutdown, and honcho (`make run`) SIGKILLs what has not stopped after 5 s."""
        from celery.worker import state

        started = monotonic()
        interval = self.polling_interval or 0.1
        cycle = self.cycle
        assert cycle is not None  # set when the connection was established
        while True:
            try:
                cycle.get(self._deliver, timeout=timeout)
                return
            except Empty:
                if state.should_stop is not None or state.should_terminate is not None:
                    raise TimeoutError() from None
                if timeout is not None and monotonic() - started >= timeout:
                    raise TimeoutError() from None
                sleep(min(interval, timeout) if timeout else interval)
