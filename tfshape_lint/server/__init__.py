"""``tfshape-lint server``: a language server (LSP over stdio or TCP) for editors.

It publishes the linter's findings as diagnostics while the user types (``.py`` files and
notebook cells), offers the rules' fixes and ``# noqa`` as code actions, shows a rule's page on
hover, and runs the runtime verifier on request (in the verifier's worker subprocess, never in
the server process). Built on pygls; ``pip install "tfshape-lint[server]"``.

This module stays cheap to import: the CLI imports it to register the ``server`` subcommand,
and pygls, LibCST and the rules are loaded only when the server starts.
"""

from __future__ import annotations

import argparse
import importlib.util
from typing import TextIO

INSTALL_HINT = 'the language server needs pygls; install tfshape-lint[server] (pip install "tfshape-lint[server]")'


def add_server_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``tfshape-lint server [--tcp PORT] [--host HOST]``."""
    server = sub.add_parser("server", help="run the language server (LSP over stdio) for editors")
    server.add_argument("--tcp", type=int, metavar="PORT", help="listen on a TCP port instead of stdio")
    server.add_argument("--host", default="127.0.0.1", help="address to listen on with --tcp (default: 127.0.0.1)")


def run_server(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: TextIO) -> int:
    """Serve until the client sends ``exit``; 2 with one line when pygls is missing."""
    if importlib.util.find_spec("pygls") is None:
        err.write(f"tfshape-lint: error: {INSTALL_HINT}\n")
        return 2
    from tfshape_lint.server.app import serve

    return serve(tcp=args.tcp, host=args.host)
