"""End to end: pytest-lsp drives the real ``tfshape-lint server`` process over stdio."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from tests.conftest import BUGGY, CLEAN, ROOT

#: a tensorflow "package" that records who imported it: the server must never
SHIM = Path(__file__).resolve().parent / "server_shim"
SERVER = [sys.executable, "-m", "tfshape_lint", "server"]
TIMEOUT = 20.0

#: BUGGY's TFS102 finding: line 5, `tf.reduce_sum(tf.abs(y_true - y_pred))`
BUG_RANGE = types.Range(types.Position(4, 11), types.Position(4, 49))
#: a safe fix (TFS110: static batch size -> tf.shape(y)[0])
STATIC_BATCH = ("import tensorflow as tf\n\n\ndef loss(y_true, y_pred):\n"
                "    n = y_true.shape[0]\n"
                "    return tf.reduce_sum(tf.square(y_true - y_pred), axis=-1) / n\n")


INITIALIZED: list[types.InitializeResult] = []


def capabilities() -> types.ClientCapabilities:
    """VS Code's capabilities, with notebook sync (the recorded set predates it)."""
    caps = client_capabilities("visual-studio-code")
    caps.notebook_document = types.NotebookDocumentClientCapabilities(
        synchronization=types.NotebookDocumentSyncClientCapabilities())
    return caps


def server_env(tmp: Path | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(SHIM)])
    env["TFSHAPE_SHIM_LOG"] = str((tmp or Path("/nonexistent")) / "tf-imported")
    if tmp is not None:
        env["TFSHAPE_LINT_CACHE_DIR"] = str(tmp / "cache")
    return env


@pytest_lsp.fixture(scope="module", config=ClientServerConfig(server_command=SERVER, server_env=server_env()))
async def client(lsp_client: LanguageClient) -> Any:
    INITIALIZED.append(await lsp_client.initialize_session(types.InitializeParams(
        capabilities=capabilities(), initialization_options={"debounce": 0})))
    yield
    await lsp_client.shutdown_session()


async def wait_for(client: LanguageClient, uri: str, predicate: Any = None) -> list[types.Diagnostic]:
    """The diagnostics of ``uri`` once published (and ``predicate`` holds)."""
    async def poll() -> list[types.Diagnostic]:
        while True:
            diags = client.diagnostics.get(uri)
            if diags is not None and (predicate is None or predicate(diags)):
                return list(diags)
            await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    return await asyncio.wait_for(poll(), TIMEOUT)


def open_file(client: LanguageClient, uri: str, text: str, version: int = 1) -> None:
    client.diagnostics.pop(uri, None)
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri=uri, language_id="python", version=version, text=text)))


def replace_all(client: LanguageClient, uri: str, text: str, version: int) -> None:
    client.diagnostics.pop(uri, None)
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        [types.TextDocumentContentChangeWholeDocument(text=text)]))


def apply_edits(text: str, edits: list[types.TextEdit]) -> str:
    """Apply LSP edits (UTF-16 positions; these tests use ASCII) as a client would."""
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))

    def offset(pos: types.Position) -> int:
        if pos.line >= len(lines):
            return len(text)
        return offsets[pos.line] + min(pos.character, len(lines[pos.line]))

    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = text[:offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end):]
    return text


async def actions_at(client: LanguageClient, uri: str, diag: types.Diagnostic,
                     only: list[str] | None = None) -> list[types.CodeAction]:
    result = await client.text_document_code_action_async(types.CodeActionParams(
        types.TextDocumentIdentifier(uri), diag.range,
        types.CodeActionContext(diagnostics=[diag], only=only)))
    return [a for a in result or [] if isinstance(a, types.CodeAction)]


@pytest.mark.asyncio(loop_scope="module")
async def test_initialize_advertises_features(client: LanguageClient) -> None:
    result = INITIALIZED[-1]
    assert result.server_info is not None and result.server_info.name == "tfshape-lint"
    caps = result.capabilities
    assert caps.hover_provider
    assert isinstance(caps.code_action_provider, types.CodeActionOptions)
    assert {"quickfix", "source.fixAll.tfshape-lint"} <= set(caps.code_action_provider.code_action_kinds or [])
    assert caps.execute_command_provider is not None
    assert "tfshape-lint.verify" in caps.execute_command_provider.commands
    assert caps.notebook_document_sync is not None


@pytest.mark.asyncio(loop_scope="module")
async def test_loss_bug_gives_diagnostic_with_code_range_and_link(client: LanguageClient, tmp_path: Path) -> None:
    uri = (tmp_path / "buggy.py").as_uri()
    open_file(client, uri, BUGGY)
    diags = await wait_for(client, uri)
    assert [d.code for d in diags] == ["TFS102"]
    diag = diags[0]
    assert diag.range == BUG_RANGE
    assert diag.severity == types.DiagnosticSeverity.Warning
    assert diag.source == "tfshape-lint"
    assert "batch-axis-reduction" in diag.message
    assert diag.code_description is not None
    page = Path(diag.code_description.href.removeprefix("file://"))
    assert page.read_text(encoding="utf-8").startswith("# TFS102 batch-axis-reduction")
