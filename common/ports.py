"""Whether a TCP port can be listened on, asked before starting servers so a taken port is
one clear sentence at once rather than a traceback or a line lost among banners."""

from __future__ import annotations

import errno
import socket


def port_problem(host: str, port: int) -> str:
    """ "" when `host:port` is free; else why not, in a sentence."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        # As the servers bind (uvicorn sets it too): connections of a server that just
        # stopped, still in TIME_WAIT, do not make the port "taken"; a listener does.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return f"Port {port} on {host} is already taken (another Sift, or another program)."
            return f"Cannot listen on {host}:{port}: {exc.strerror}."
    return ""
