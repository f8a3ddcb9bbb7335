"""End to end: pytest-lsp drives the real ``tfshape-lint server`` process over stdio."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any, Union

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import register_lsp_features

from tests.conftest import BUGGY, CLEAN, ROOT

#: a tensorflow "package" that records who imported it: the server must never
SHIM = Path(__file__).resolve().parent / "server_shim"
SERVER = [sys.executable, "-m", "tfshape_lint", "server"]
#: the module's server writes rule pages and verdicts here, not into the user's cache
CACHE = Path(tempfile.gettempdir()) / f"tfshape-lint-server-test-{os.getpid()}"
TIMEOUT = 20.0

#: BUGGY's TFS102 finding: line 5, `tf.reduce_sum(tf.abs(y_true - y_pred))`
BUG_RANGE = types.Range(types.Position(4, 11), types.Position(4, 49))
#: a notebook cell with one batch-summed loss (TFS102 on its line 2)
L1_LOSS_CELL = "def l1_loss(y_true, y_pred):\n    return tf.reduce_sum(tf.abs(y_true - y_pred))"
#: a safe fix (TFS110: static batch size -> tf.shape(y)[0])
STATIC_BATCH = ("import tensorflow as tf\n\n\ndef loss(y_true, y_pred):\n"
                "    n = y_true.shape[0]\n"
                "    return tf.reduce_sum(tf.square(y_true - y_pred), axis=-1) / n\n")


def _converter() -> Any:
    """pygls's converter, except that a code action carrying a command stays a CodeAction
    (lsprotocol reads any ``command`` key as a bare Command; the spec tells them apart by
    whether ``command`` is a string)."""
    converter = default_converter()

    def action(obj: Any, _: type) -> types.Command | types.CodeAction:
        kind = types.Command if isinstance(obj.get("command"), str) else types.CodeAction
        return converter.structure(obj, kind)  # type: ignore[no-any-return]

    converter.register_structure_hook(Union[types.Command, types.CodeAction], action)
    return converter


#: dynamic registrations the server asked this client for
REGISTERED: list[types.Registration] = []


def make_client() -> LanguageClient:
    client = LanguageClient(converter_factory=_converter)
    register_lsp_features(client)

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(params: types.RegistrationParams) -> None:
        REGISTERED.extend(params.registrations)

    return client


def config(tmp: Path) -> ClientServerConfig:
    return ClientServerConfig(server_command=SERVER, server_env=server_env(tmp), client_factory=make_client)


INITIALIZED: list[types.InitializeResult] = []


def capabilities() -> types.ClientCapabilities:
    """VS Code's capabilities, with notebook sync (the recorded set predates it)."""
    caps = client_capabilities("visual-studio-code")
    caps.notebook_document = types.NotebookDocumentClientCapabilities(
        synchronization=types.NotebookDocumentSyncClientCapabilities())
    return caps


@pytest.fixture(scope="module", autouse=True)
def _remove_cache() -> Any:
    yield
    shutil.rmtree(CACHE, ignore_errors=True)


def server_env(tmp: Path) -> dict[str, str]:
    tmp.mkdir(parents=True, exist_ok=True)  # the shim writes its record here
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(SHIM)])
    env["TFSHAPE_SHIM_LOG"] = str(tmp / "tf-imported")
    env["TFSHAPE_LINT_CACHE_DIR"] = str(tmp / "cache")
    return env


@pytest_lsp.fixture(scope="module", config=config(CACHE))
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


@pytest.mark.asyncio(loop_scope="module")
async def test_quickfix_edit_makes_the_diagnostic_disappear(client: LanguageClient, tmp_path: Path) -> None:
    uri = (tmp_path / "static.py").as_uri()
    open_file(client, uri, STATIC_BATCH)
    diags = await wait_for(client, uri)
    assert [d.code for d in diags] == ["TFS110"]
    actions = await actions_at(client, uri, diags[0])
    fixes = [a for a in actions if a.kind == types.CodeActionKind.QuickFix and a.edit is not None
             and "noqa" not in a.title]
    assert len(fixes) == 1 and fixes[0].is_preferred
    assert "unsafe" not in fixes[0].title
    assert fixes[0].edit is not None and fixes[0].edit.changes is not None
    fixed = apply_edits(STATIC_BATCH, list(fixes[0].edit.changes[uri]))
    assert "tf.shape(y_true)[0]" in fixed
    replace_all(client, uri, fixed, 2)
    assert await wait_for(client, uri) == []


@pytest.mark.asyncio(loop_scope="module")
async def test_quickfix_keeps_crlf_line_ends(client: LanguageClient, tmp_path: Path) -> None:
    uri = (tmp_path / "crlf.py").as_uri()
    text = STATIC_BATCH.replace("\n", "\r\n")
    open_file(client, uri, text)
    diags = await wait_for(client, uri)
    assert [d.code for d in diags] == ["TFS110"]
    fix = next(a for a in await actions_at(client, uri, diags[0]) if a.is_preferred)
    assert fix.edit is not None and fix.edit.changes is not None
    fixed = apply_edits(text, list(fix.edit.changes[uri]))
    assert fixed.count("\r\n") == text.count("\r\n") and "\n" not in fixed.replace("\r\n", "")
    replace_all(client, uri, fixed, 2)
    assert await wait_for(client, uri) == []


@pytest.mark.asyncio(loop_scope="module")
async def test_unsafe_fix_is_offered_labelled_and_not_preferred(client: LanguageClient, tmp_path: Path) -> None:
    uri = (tmp_path / "unsafe.py").as_uri()
    open_file(client, uri, BUGGY)
    diags = await wait_for(client, uri)
    actions = await actions_at(client, uri, diags[0], only=[types.CodeActionKind.QuickFix])
    fix = next(a for a in actions if a.edit is not None and "noqa" not in a.title)
    assert fix.title == "TFS102: pass axis=-1 (unsafe: may change loss values)" and not fix.is_preferred
    assert fix.edit is not None and fix.edit.changes is not None
    fixed = apply_edits(BUGGY, list(fix.edit.changes[uri]))
    assert "axis=-1" in fixed
    replace_all(client, uri, fixed, 2)
    assert await wait_for(client, uri) == []
    # "fix all" applies safe fixes only: this file has none
    assert await actions_at(client, uri, diags[0], only=["source.fixAll"]) == []


@pytest.mark.asyncio(loop_scope="module")
async def test_fix_all_safe_in_file(client: LanguageClient, tmp_path: Path) -> None:
    uri = (tmp_path / "many.py").as_uri()
    text = STATIC_BATCH + ("\n\ndef other(y_true, y_pred):\n    k = len(y_true)\n"
                           "    return tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1) * k\n")
    open_file(client, uri, text)
    diags = await wait_for(client, uri)
    assert [d.code for d in diags] == ["TFS110", "TFS110"]
    actions = await actions_at(client, uri, diags[0], only=["source.fixAll"])
    assert [a.kind for a in actions] == ["source.fixAll.tfshape-lint"]
    assert actions[0].edit is not None and actions[0].edit.changes is not None
    fixed = apply_edits(text, list(actions[0].edit.changes[uri]))
    replace_all(client, uri, fixed, 2)
    assert await wait_for(client, uri) == []


@pytest.mark.asyncio(loop_scope="module")
async def test_noqa_action_silences_the_finding(client: LanguageClient, tmp_path: Path) -> None:
    uri = (tmp_path / "noqa.py").as_uri()
    open_file(client, uri, BUGGY)
    diags = await wait_for(client, uri)
    actions = await actions_at(client, uri, diags[0])
    noqa = next(a for a in actions if "noqa" in a.title)
    assert noqa.edit is not None and noqa.edit.changes is not None
    fixed = apply_edits(BUGGY, list(noqa.edit.changes[uri]))
    assert fixed.splitlines()[4].endswith("# noqa: TFS102")
    replace_all(client, uri, fixed, 2)
    assert await wait_for(client, uri) == []


@pytest.mark.asyncio(loop_scope="module")
async def test_verify_action_carries_the_command(client: LanguageClient, tmp_path: Path) -> None:
    uri = (tmp_path / "verify_action.py").as_uri()
    open_file(client, uri, BUGGY)
    diags = await wait_for(client, uri)
    actions = await actions_at(client, uri, diags[0])
    verify = [a for a in actions if a.command is not None]
    assert len(verify) == 1 and verify[0].command is not None
    assert verify[0].command.command == "tfshape-lint.verify"
    assert list(verify[0].command.arguments or []) == [{"uri": uri, "version": 1,
                                                       "finding": ["TFS102", 5, 11, diags[0].data["key"][3]]}]


@pytest.mark.asyncio(loop_scope="module")
async def test_no_verify_action_for_a_rule_without_probe(client: LanguageClient, tmp_path: Path) -> None:
    uri = (tmp_path / "swapped.py").as_uri()  # TFS503 has no runtime probe
    open_file(client, uri, "import tensorflow as tf\n\ndef bce(y_pred, y_true):\n"
                           "    return tf.keras.losses.binary_crossentropy(y_true, y_pred)\n\n"
                           "model.compile(optimizer='adam', loss=bce)\n")
    diags = await wait_for(client, uri)
    assert [d.code for d in diags] == ["TFS503"]
    actions = await actions_at(client, uri, diags[0])
    assert [a for a in actions if a.command is not None] == []
    assert any("noqa" in a.title for a in actions)


@pytest.mark.asyncio(loop_scope="module")
async def test_hover_shows_the_rule_page(client: LanguageClient, tmp_path: Path) -> None:
    uri = (tmp_path / "hover.py").as_uri()
    open_file(client, uri, BUGGY)
    await wait_for(client, uri)
    hover = await client.text_document_hover_async(types.HoverParams(
        types.TextDocumentIdentifier(uri), types.Position(4, 20)))
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    text = hover.contents.value
    assert text.startswith("# TFS102 batch-axis-reduction")
    assert "Why is this bad?" in text and "Tested examples" not in text
    outside = await client.text_document_hover_async(types.HoverParams(
        types.TextDocumentIdentifier(uri), types.Position(0, 3)))
    assert outside is None


@pytest.mark.asyncio(loop_scope="module")
async def test_change_relints_debounced_and_clean_file_clears(client: LanguageClient, tmp_path: Path) -> None:
    uri = (tmp_path / "edit.py").as_uri()
    open_file(client, uri, CLEAN)
    assert await wait_for(client, uri) == []
    line = CLEAN.splitlines()[4]  # return tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1)
    mean, axis = line.index("reduce_mean"), line.index(", axis=-1") - 1  # after the first change
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        [types.TextDocumentContentChangePartial(
            range=types.Range(types.Position(4, mean), types.Position(4, mean + 11)), text="reduce_sum"),
         types.TextDocumentContentChangePartial(
            range=types.Range(types.Position(4, axis), types.Position(4, axis + 9)), text="")]))
    diags = await wait_for(client, uri, lambda d: len(d) > 0)
    assert [d.code for d in diags] == ["TFS102"]


@pytest.mark.asyncio(loop_scope="module")
async def test_syntax_error_is_one_diagnostic_and_server_lives_on(client: LanguageClient, tmp_path: Path) -> None:
    uri = (tmp_path / "broken.py").as_uri()
    open_file(client, uri, "import tensorflow as tf\n\ndef loss(y_true, y_pred:\n    return 1\n")
    diags = await wait_for(client, uri)
    assert len(diags) == 1 and diags[0].code == "E999"
    assert diags[0].severity == types.DiagnosticSeverity.Error
    assert diags[0].range.start.line == 2
    # still serving
    other = (tmp_path / "after.py").as_uri()
    open_file(client, other, BUGGY)
    assert [d.code for d in await wait_for(client, other)] == ["TFS102"]


@pytest.mark.asyncio(loop_scope="module")
async def test_file_without_tensorflow_gives_no_diagnostics(client: LanguageClient, tmp_path: Path) -> None:
    uri = (tmp_path / "plain.py").as_uri()
    open_file(client, uri, "def loss(y_true, y_pred):\n    return sum(y_true) - sum(y_pred)\n")
    assert await wait_for(client, uri) == []
    # as in the CLI, a file that never mentions TensorFlow/Keras is not even parsed
    broken = (tmp_path / "plain_broken.py").as_uri()
    open_file(client, broken, "def f(:\n")
    assert await wait_for(client, broken) == []


@pytest.mark.asyncio(loop_scope="module")
async def test_notebook_cells_get_diagnostics(client: LanguageClient, tmp_path: Path) -> None:
    nb_uri = (tmp_path / "losses.ipynb").as_uri()
    cells = [("code", "import tensorflow as tf\n%matplotlib inline"),
             ("markdown", "# A loss"),
             ("code", L1_LOSS_CELL)]
    cell_uris = notebook_open(client, nb_uri, cells)
    diags = await wait_for(client, cell_uris[2])
    assert [d.code for d in diags] == ["TFS102"]
    assert diags[0].range == types.Range(types.Position(1, 11), types.Position(1, 49))
    assert await wait_for(client, cell_uris[0]) == []
    # the quickfix edits the cell itself
    actions = await actions_at(client, cell_uris[2], diags[0])
    fix = next(a for a in actions if a.edit is not None and "noqa" not in a.title)
    assert fix.edit is not None and fix.edit.changes is not None
    assert list(fix.edit.changes) == [cell_uris[2]]
    fixed = apply_edits(cells[2][1], list(fix.edit.changes[cell_uris[2]]))
    assert fixed.endswith("axis=-1)")
    client.diagnostics.pop(cell_uris[2], None)
    client.notebook_document_did_change(types.DidChangeNotebookDocumentParams(
        notebook_document=types.VersionedNotebookDocumentIdentifier(version=2, uri=nb_uri),
        change=types.NotebookDocumentChangeEvent(cells=types.NotebookDocumentCellChanges(
            text_content=[types.NotebookDocumentCellContentChanges(
                document=types.VersionedTextDocumentIdentifier(uri=cell_uris[2], version=2),
                changes=[types.TextDocumentContentChangeWholeDocument(text=fixed)])]))))
    assert await wait_for(client, cell_uris[2]) == []


@pytest.mark.asyncio(loop_scope="module")
async def test_config_is_the_nearest_pyproject_and_saving_it_relints(client: LanguageClient, tmp_path: Path) -> None:
    project = tmp_path / "proj"
    (project / "pkg").mkdir(parents=True)
    pyproject = project / "pyproject.toml"
    pyproject.write_text('[tool.tfshape-lint]\nignore = ["TFS102"]\n', encoding="utf-8")
    uri = (project / "pkg" / "losses.py").as_uri()
    open_file(client, uri, BUGGY + STATIC_BATCH.replace("def loss", "def loss2"))
    assert [d.code for d in await wait_for(client, uri)] == ["TFS110"]
    pyproject.write_text('[tool.tfshape-lint]\nignore = ["TFS110"]\n', encoding="utf-8")
    client.diagnostics.pop(uri, None)
    client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(pyproject.as_uri())))
    assert [d.code for d in await wait_for(client, uri)] == ["TFS102"]
    # changed outside the editor: the client's file watcher (registered by the server) reports it
    assert any(r.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES for r in REGISTERED)
    pyproject.write_text('[tool.tfshape-lint]\nselect = ["TFS1"]\n', encoding="utf-8")
    client.diagnostics.pop(uri, None)
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(
        [types.FileEvent(pyproject.as_uri(), types.FileChangeType.Changed)]))
    assert [d.code for d in await wait_for(client, uri)] == ["TFS102", "TFS110"]


@pytest.mark.asyncio(loop_scope="module")
async def test_columns_are_utf16_code_units(client: LanguageClient, tmp_path: Path) -> None:
    uri = (tmp_path / "unicode.py").as_uri()
    line = '    tag = "\u03c0\U0001f4a5"; return tf.reduce_sum(tf.abs(y_true - y_pred))'
    open_file(client, uri, BUGGY.replace(BUGGY.splitlines()[4], line))
    diags = await wait_for(client, uri)
    start = line.index("tf.reduce_sum")  # in code points; the emoji is two UTF-16 units
    assert [d.code for d in diags] == ["TFS102"]
    assert diags[0].range.start == types.Position(4, start + 1)
    assert diags[0].range.end == types.Position(4, len(line) + 1)


def notebook_open(client: LanguageClient, nb_uri: str, cells: list[tuple[str, str]]) -> list[str]:
    cell_uris = [f"{nb_uri}#cell{i}" for i in range(len(cells))]
    for cell_uri in cell_uris:
        client.diagnostics.pop(cell_uri, None)
    client.notebook_document_did_open(types.DidOpenNotebookDocumentParams(
        notebook_document=types.NotebookDocument(
            uri=nb_uri, notebook_type="jupyter-notebook", version=1,
            cells=[types.NotebookCell(kind=types.NotebookCellKind.Code if kind == "code"
                                      else types.NotebookCellKind.Markup, document=cell_uri)
                   for (kind, _), cell_uri in zip(cells, cell_uris)]),
        cell_text_documents=[types.TextDocumentItem(uri=cell_uri, version=1,
                                                    language_id="python" if kind == "code" else "markdown",
                                                    text=text)
                             for (kind, text), cell_uri in zip(cells, cell_uris)]))
    return cell_uris


@pytest.mark.asyncio(loop_scope="module")
async def test_notebook_removed_cell_is_cleared_and_syntax_error_lands_in_its_cell(
        client: LanguageClient, tmp_path: Path) -> None:
    nb_uri = (tmp_path / "edit.ipynb").as_uri()
    cells = [("code", "import tensorflow as tf"),
             ("code", L1_LOSS_CELL),
             ("code", "x = 1")]
    cell_uris = notebook_open(client, nb_uri, cells)
    assert [d.code for d in await wait_for(client, cell_uris[1])] == ["TFS102"]
    assert await wait_for(client, cell_uris[2]) == []  # the last of the three publications
    for uri in cell_uris:
        client.diagnostics.pop(uri, None)
    # delete the loss cell, and break the last one
    client.notebook_document_did_change(types.DidChangeNotebookDocumentParams(
        notebook_document=types.VersionedNotebookDocumentIdentifier(version=2, uri=nb_uri),
        change=types.NotebookDocumentChangeEvent(cells=types.NotebookDocumentCellChanges(
            structure=types.NotebookDocumentCellChangeStructure(
                array=types.NotebookCellArrayChange(start=1, delete_count=1),
                did_close=[types.TextDocumentIdentifier(cell_uris[1])]),
            text_content=[types.NotebookDocumentCellContentChanges(
                document=types.VersionedTextDocumentIdentifier(uri=cell_uris[2], version=2),
                changes=[types.TextDocumentContentChangeWholeDocument(text="x = (1,")])]))))
    assert await wait_for(client, cell_uris[1]) == []
    broken = await wait_for(client, cell_uris[2])
    assert [d.code for d in broken] == ["E999"] and broken[0].range.start.line == 0
    assert await wait_for(client, cell_uris[0]) == []


@pytest.mark.asyncio(loop_scope="module")
async def test_a_broken_cell_keeps_the_other_cells_diagnostics(client: LanguageClient, tmp_path: Path) -> None:
    nb_uri = (tmp_path / "broken.ipynb").as_uri()
    cells = [("code", "import tensorflow as tf"),
             ("code", 'print "a Python 2 cell"'),
             ("code", L1_LOSS_CELL)]
    cell_uris = notebook_open(client, nb_uri, cells)
    assert [d.code for d in await wait_for(client, cell_uris[2])] == ["TFS102"]
    broken = await wait_for(client, cell_uris[1])
    assert [d.code for d in broken] == ["E999"] and broken[0].range.start.line == 0
    assert "the cell was not checked" in broken[0].message
    assert await wait_for(client, cell_uris[0]) == []


@pytest.mark.asyncio(loop_scope="module")
async def test_bad_config_is_shown_once_and_defaults_apply(client: LanguageClient, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.tfshape-lint]\nselct = ["TFS1"]\n', encoding="utf-8")
    uri = (tmp_path / "bad_config.py").as_uri()
    before = len(client.messages)
    open_file(client, uri, BUGGY)
    assert [d.code for d in await wait_for(client, uri)] == ["TFS102"]
    shown = [m for m in client.messages[before:] if "unknown key 'selct'" in m.message]
    assert len(shown) == 1 and shown[0].type == types.MessageType.Warning
    replace_all(client, uri, BUGGY + "\n", 2)
    await wait_for(client, uri)
    assert len([m for m in client.messages[before:] if "selct" in m.message]) == 1


@pytest.mark.asyncio(loop_scope="module")
async def test_server_process_never_imported_tensorflow(client: LanguageClient) -> None:
    # runs after the other tests of this module used the same server process
    assert CACHE.is_dir() and not (CACHE / "tf-imported").exists()


def test_server_without_pygls_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from tests.conftest import run_cli

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "pygls" else real(name, *a))
    code, out, err = run_cli(["server"])
    assert code == 2 and out == ""
    assert err.strip() == ('tfshape-lint: error: the language server needs pygls; install tfshape-lint[server] '
                           '(pip install "tfshape-lint[server]")')


@pytest.mark.asyncio
async def test_shutdown_and_exit_end_the_process(tmp_path: Path) -> None:
    lsp = await config(tmp_path).start()
    try:
        await lsp.initialize_session(types.InitializeParams(capabilities=capabilities()))
        await lsp.shutdown_session()
        server = lsp._server
        assert server is not None
        assert await asyncio.wait_for(server.wait(), TIMEOUT) == 0
    finally:
        await lsp.stop()


@pytest.mark.asyncio
async def test_exit_without_shutdown_exits_1(tmp_path: Path) -> None:
    lsp = await config(tmp_path).start()
    try:
        await lsp.initialize_session(types.InitializeParams(capabilities=capabilities()))
        lsp.exit(None)
        server = lsp._server
        assert server is not None
        assert await asyncio.wait_for(server.wait(), TIMEOUT) == 1
    finally:
        await lsp.stop()


@pytest.mark.asyncio
async def test_tcp_mode_serves_and_exits(tmp_path: Path) -> None:
    import socket
    import subprocess

    from pygls.lsp.client import LanguageClient as PlainClient

    with socket.socket() as probe:  # a free port (closed again before the server binds it)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([*SERVER, "--tcp", str(port)], env=server_env(tmp_path),
                            stderr=subprocess.PIPE, text=True)
    try:
        lsp = PlainClient("test", "1")
        for _ in range(100):
            try:
                await lsp.start_tcp("127.0.0.1", port)
                break
            except OSError:
                await asyncio.sleep(0.1)
        result = await lsp.initialize_async(types.InitializeParams(capabilities=capabilities()))
        assert result.server_info is not None and result.server_info.name == "tfshape-lint"
        await lsp.shutdown_async(None)
        lsp.exit(None)
        await lsp.stop()
        assert proc.wait(TIMEOUT) == 0
        assert proc.stderr is not None and "Traceback" not in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("line, expected", [
    ("    return x\n", "    return x  # noqa: TFS102\n"),
    ("    return x  # noqa: TFS101\n", "    return x  # noqa: TFS101, TFS102\n"),
    ("    return x  # noqa:TFS101 why\n", "    return x  # noqa:TFS101, TFS102 why\n"),
    ("    return x  # noqa: TFS102\n", None),
    ("    return x  # noqa\n", None),
    ("    return x", "    return x  # noqa: TFS102"),
])
def test_with_noqa(line: str, expected: str | None) -> None:
    from tfshape_lint.server.actions import with_noqa

    assert with_noqa(line, "TFS102") == expected


def test_extended_noqa_comment_silences_the_finding() -> None:
    from tfshape_lint.engine import lint_source
    from tfshape_lint.server.actions import with_noqa

    lines = BUGGY.splitlines(keepends=True)
    lines[4] = lines[4].rstrip("\n") + "  # noqa: TFS101\n"
    assert [f.code for f in lint_source("".join(lines), "x.py")] == ["TFS102"]
    new = with_noqa(lines[4], "TFS102")
    assert new is not None
    lines[4] = new
    assert lint_source("".join(lines), "x.py") == []
