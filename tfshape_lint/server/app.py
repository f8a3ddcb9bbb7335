"""The pygls server: document sync, debounced linting, code actions, hover and verify.

Threads: the event loop owns all state; linting runs on one worker thread (so a long file never
blocks the protocol and two lints of one document never race), verification on another (it
waits for the verifier's TensorFlow subprocess). A result is published only when its document
is still at the version that was linted.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, TypeVar

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from tfshape_lint import __version__
from tfshape_lint.analysis.project import project_files_changed
from tfshape_lint.config import CONFIG_FILES, Config
from tfshape_lint.finding import Finding
from tfshape_lint.server import actions
from tfshape_lint.server.convert import Verdict, diagnostics, finding_key, finding_range, verdict_key
from tfshape_lint.server.documents import (
    Cell,
    ConfigCache,
    Outcome,
    Snapshot,
    is_config_file,
    lint_snapshot,
    uri_path,
)
from tfshape_lint.server.pages import RuleLinks, hover_text

log = logging.getLogger("tfshape_lint.server")
T = TypeVar("T")

#: seconds between the last keystroke and the lint (``initializationOptions.debounce``, in ms)
DEFAULT_DEBOUNCE = 0.1
PYTHON_SUFFIXES = (".py", ".pyi")


@dataclass
class Options:
    """``initializationOptions`` the server understands (all optional)."""

    debounce: float = DEFAULT_DEBOUNCE
    rule_url: str | None = None
    verify_timeout: float = 30.0
    verify_device: str = "auto"

    @classmethod
    def parse(cls, raw: Any) -> Options:
        if not isinstance(raw, Mapping):
            return cls()
        out = cls()
        debounce = raw.get("debounce")
        if isinstance(debounce, (int, float)) and debounce >= 0:
            out.debounce = float(debounce) / 1000.0
        if isinstance(raw.get("ruleUrl"), str) and raw["ruleUrl"]:
            out.rule_url = raw["ruleUrl"]
        timeout = raw.get("verifyTimeout")
        if isinstance(timeout, (int, float)) and timeout > 0:
            out.verify_timeout = float(timeout)
        if raw.get("verifyDevice") in ("auto", "cpu", "gpu"):
            out.verify_device = str(raw["verifyDevice"])
        return out


@dataclass
class DocumentState:
    """What the server knows about one open document (a file or a whole notebook)."""

    snapshot: Snapshot | None = None
    outcome: Outcome = field(default_factory=Outcome)
    with_fixes: tuple[int | None, Outcome] | None = None
    published: set[str] = field(default_factory=set)
    verdicts: dict[tuple[Any, ...], Verdict] = field(default_factory=dict)
    pending: asyncio.Task[None] | None = None


class TfshapeServer(LanguageServer):
    """tfshape-lint's language server."""

    def __init__(self) -> None:
        notebook_sync = types.NotebookDocumentSyncOptions(
            notebook_selector=[types.NotebookDocumentFilterWithCells(
                cells=[types.NotebookCellLanguage(language="python")], notebook="*")],
            save=True)
        super().__init__("tfshape-lint", __version__,
                         text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
                         notebook_document_sync=notebook_sync)
        self.options = Options()
        self.configs = ConfigCache()
        self.links = RuleLinks()
        self.documents: dict[str, DocumentState] = {}
        self.lint_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tfshape-lint")
        self.verify_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tfshape-verify")
        self.shut_down = False
        self._shown_config_errors: set[str] = set()

    # -- documents --------------------------------------------------------------------------------
    @property
    def encoding(self) -> str:
        return str(self.workspace.position_encoding or types.PositionEncodingKind.Utf16)

    def document_key(self, uri: str) -> str:
        """The notebook's URI for one of its cells; the URI itself otherwise."""
        notebook = self.workspace.get_notebook_document(cell_uri=uri)
        return notebook.uri if notebook is not None else uri

    def snapshot(self, key: str) -> Snapshot | None:
        """The document's current text as an immutable snapshot (None when not open)."""
        notebook = self.workspace.get_notebook_document(notebook_uri=key)
        if notebook is not None:
            cells = [Cell(c.document, "code" if c.kind == types.NotebookCellKind.Code else "markdown",
                          self._cell_text(c.document)) for c in notebook.cells]
            return Snapshot.notebook_cells(key, notebook.version, cells, self._config(key))
        document = self.workspace.text_documents.get(key)
        if document is None:
            return None
        return Snapshot.text(key, document.version, document.source, self._config(key))

    def _cell_text(self, uri: str) -> str:
        document = self.workspace.text_documents.get(uri)
        return document.source if document is not None else ""

    def _config(self, uri: str) -> Config:
        config = self.configs.for_path(uri_path(uri))
        for error in sorted(self.configs.errors - self._shown_config_errors):
            self.window_show_message(types.ShowMessageParams(types.MessageType.Warning,
                                                             f"tfshape-lint: {error}; using defaults"))
        self._shown_config_errors |= self.configs.errors
        return config

    def settings_changed(self) -> None:
        """A config file changed: forget cached settings, re-lint every open document."""
        self.configs.forget()
        self._shown_config_errors.clear()
        for key in list(self.documents):
            self.schedule(key, 0)

    def current_version(self, key: str) -> int | None:
        notebook = self.workspace.get_notebook_document(notebook_uri=key)
        if notebook is not None:
            return notebook.version
        document = self.workspace.text_documents.get(key)
        return document.version if document is not None else None

    def watch_config_files(self) -> None:
        """Ask the client to report config file changes made outside the editor (when it can)."""
        workspace = self.client_capabilities.workspace
        watched = workspace.did_change_watched_files if workspace is not None else None
        if watched is None or not watched.dynamic_registration:
            return
        names = ",".join(CONFIG_FILES)
        options = types.DidChangeWatchedFilesRegistrationOptions(
            watchers=[types.FileSystemWatcher(glob_pattern=f"**/{{{names}}}")])
        self.client_register_capability(types.RegistrationParams(registrations=[types.Registration(
            id="tfshape-lint-config", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
            register_options=options)]))

    # -- linting ----------------------------------------------------------------------------------
    def schedule(self, key: str, delay: float) -> None:
        """(Re)start the lint of one document after ``delay`` seconds; a newer edit cancels it."""
        state = self.documents.setdefault(key, DocumentState())
        if state.pending is not None and not state.pending.done():
            state.pending.cancel()
        state.pending = asyncio.get_running_loop().create_task(self._lint_later(key, delay))

    async def _lint_later(self, key: str, delay: float) -> None:
        if delay > 0:
            await asyncio.sleep(delay)
        snapshot = self.snapshot(key)
        if snapshot is None:
            return
        previous = self.documents[key].snapshot if key in self.documents else None
        if previous is not None and previous.same_input(snapshot):  # a save, an undo to the same text
            outcome = self.documents[key].outcome
        else:
            try:
                outcome = await self.in_thread(self.lint_pool, lint_snapshot, snapshot)
            except Exception as exc:  # an engine bug must not end the session: log it, keep serving
                log.exception("internal error linting %s", snapshot.path)
                self.window_log_message(types.LogMessageParams(
                    types.MessageType.Error, f"tfshape-lint: internal error on {snapshot.path}: {exc!r}"))
                return
        state = self.documents.get(key)
        if state is None or self.current_version(key) != snapshot.version:
            return  # closed or edited meanwhile: the newer lint publishes
        state.snapshot, state.outcome = snapshot, outcome
        for message in outcome.internal:
            log.warning("%s: %s", snapshot.path, message)
        self.publish(key)

    async def in_thread(self, pool: ThreadPoolExecutor, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(pool, fn, *args)

    def publish(self, key: str) -> None:
        """Send the document's diagnostics (with any verdicts); clear documents that lost theirs."""
        state = self.documents.get(key)
        if state is None or state.snapshot is None:
            return
        snapshot = state.snapshot
        by_uri = diagnostics(snapshot, state.outcome, state.verdicts, self.encoding, self.links.url)
        for uri in state.published - set(by_uri):
            self._send(uri, [], None)
        for uri, diags in by_uri.items():
            self._send(uri, diags, snapshot.version if snapshot.notebook is None else None)
        state.published = set(by_uri)

    def _send(self, uri: str, diags: list[types.Diagnostic], version: int | None) -> None:
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diags, version=version))

    def close(self, key: str) -> None:
        state = self.documents.pop(key, None)
        if state is None:
            return
        if state.pending is not None:
            state.pending.cancel()
        for uri in state.published:
            self._send(uri, [], None)

    async def outcome_with_fixes(self, key: str) -> tuple[Snapshot, Outcome] | None:
        """The document linted with fixes, once per version (fixes are only for code actions)."""
        snapshot = self.snapshot(key)
        state = self.documents.get(key)
        if snapshot is None or state is None:
            return None
        if state.with_fixes is not None and state.with_fixes[0] == snapshot.version:
            return snapshot, state.with_fixes[1]
        outcome = await self.in_thread(self.lint_pool, _lint_fixes, snapshot)
        state.with_fixes = (snapshot.version, outcome)
        return snapshot, outcome

    # -- verification -------------------------------------------------------------------------------
    async def verify(self, key: str, wanted: list[Any] | None) -> list[dict[str, Any]]:
        """Verify one finding (``wanted`` = its key) or all of a document's; republish."""
        state = self.documents.get(key)
        if state is None or state.snapshot is None:
            raise ValueError(f"{key} is not open in the server")
        snapshot = state.snapshot
        findings = [f for f in state.outcome.findings if wanted is None or _matches(f, wanted)]
        if wanted is not None and not findings:
            findings = [f for f in state.outcome.findings if _similar(f, wanted)][:1]
        if not findings:
            return []
        token = await self._progress_begin(len(findings))
        try:
            verified = await self.in_thread(self.verify_pool, self._run_verifier, snapshot, findings)
        finally:
            self._progress_end(token, len(findings))
        results = []
        for finding in verified:
            data = finding.verification.to_dict()
            verdict = Verdict(data["status"], data.get("evidence", ""), data)
            state.verdicts[verdict_key(snapshot, finding)] = verdict
            results.append({"code": finding.code, "line": finding.line, **data})
        if self.documents.get(key) is state and state.snapshot is not None:
            self.publish(key)
        return results

    def _run_verifier(self, snapshot: Snapshot, findings: list[Finding]) -> list[Finding]:
        from tfshape_lint.verify import verify_findings  # runs TensorFlow in its worker process

        return verify_findings(findings, {snapshot.path: snapshot.source},
                               timeout=self.options.verify_timeout, device=self.options.verify_device,
                               target_keras=snapshot.config.target_keras)

    async def _progress_begin(self, count: int) -> str | None:
        capabilities = self.client_capabilities.window
        if capabilities is None or not capabilities.work_done_progress:
            return None
        token = f"tfshape-lint-verify-{uuid.uuid4().hex}"
        try:
            await self.work_done_progress.create_async(token)
        except Exception as exc:  # a client that refuses progress still gets the verdicts
            log.info("no progress reporting: %s", exc)
            return None
        what = "1 finding" if count == 1 else f"{count} findings"
        self.work_done_progress.begin(token, types.WorkDoneProgressBegin(
            title="tfshape-lint: verifying", message=f"running {what} in the TensorFlow worker",
            cancellable=False))
        return token

    def _progress_end(self, token: str | None, count: int) -> None:
        if token is not None:
            self.work_done_progress.end(token, types.WorkDoneProgressEnd(message=f"verified {count}"))

    # -- hover ----------------------------------------------------------------------------------------
    def hover(self, uri: str, pos: types.Position) -> types.Hover | None:
        key = self.document_key(uri)
        state = self.documents.get(key)
        if state is None or state.snapshot is None:
            return None
        for finding in state.outcome.findings:
            f_uri, rng = finding_range(state.snapshot, finding, self.encoding)
            if f_uri != uri or not actions.overlaps(rng, types.Range(pos, pos)):
                continue
            text = hover_text(finding.code)
            if text is None:
                continue
            verdict = state.verdicts.get(verdict_key(state.snapshot, finding))
            if verdict is not None:
                text += f"\n**Runtime verdict: {verdict.status}**: {verdict.evidence}\n"
            return types.Hover(types.MarkupContent(types.MarkupKind.Markdown, text), rng)
        return None


def _lint_fixes(snapshot: Snapshot) -> Outcome:
    return lint_snapshot(snapshot, fixes=True)


def _matches(finding: Finding, wanted: list[Any]) -> bool:
    return finding_key(finding) == list(wanted)


def _similar(finding: Finding, wanted: list[Any]) -> bool:
    """The same finding after an edit moved it: same code and message."""
    return len(wanted) == 4 and finding.code == wanted[0] and finding.message == wanted[3]


def is_python(uri: str, language: str | None) -> bool:
    return language == "python" or uri_path(uri).endswith(PYTHON_SUFFIXES)


def build_server() -> TfshapeServer:
    """A server with every feature registered (not started)."""
    server = TfshapeServer()
    _register_lifecycle(server)
    _register_text_sync(server)
    _register_notebook_sync(server)
    _register_requests(server)
    return server


def _register_lifecycle(server: TfshapeServer) -> None:
    @server.feature(types.INITIALIZE)
    def initialize(ls: TfshapeServer, params: types.InitializeParams) -> None:
        ls.options = Options.parse(params.initialization_options)
        ls.links = RuleLinks(ls.options.rule_url)

    @server.feature(types.INITIALIZED)
    def initialized(ls: TfshapeServer, params: types.InitializedParams) -> None:
        ls.watch_config_files()

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def watched_files(ls: TfshapeServer, params: types.DidChangeWatchedFilesParams) -> None:
        if any(is_config_file(uri_path(change.uri)) for change in params.changes):
            ls.settings_changed()

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: TfshapeServer, params: None) -> None:
        ls.shut_down = True
        for key in list(ls.documents):
            pending = ls.documents[key].pending
            if pending is not None:
                pending.cancel()
        ls.lint_pool.shutdown(wait=False, cancel_futures=True)
        ls.verify_pool.shutdown(wait=False, cancel_futures=True)


def _register_text_sync(server: TfshapeServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: TfshapeServer, params: types.DidOpenTextDocumentParams) -> None:
        doc = params.text_document
        if is_python(doc.uri, doc.language_id) and ls.workspace.get_notebook_document(cell_uri=doc.uri) is None:
            ls.schedule(doc.uri, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: TfshapeServer, params: types.DidChangeTextDocumentParams) -> None:
        key = ls.document_key(params.text_document.uri)
        if key in ls.documents:
            ls.schedule(key, ls.options.debounce)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: TfshapeServer, params: types.DidSaveTextDocumentParams) -> None:
        uri = params.text_document.uri
        if is_config_file(uri_path(uri)):
            ls.settings_changed()
            return
        # a saved module may change what other files' losses learn from their project (a
        # ``class_weight=`` in train.py, a compile of the loss): gathered again on the next lint
        project_files_changed()
        key = ls.document_key(uri)
        if key in ls.documents:
            ls.schedule(key, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: TfshapeServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.close(params.text_document.uri)


def _register_notebook_sync(server: TfshapeServer) -> None:
    @server.feature(types.NOTEBOOK_DOCUMENT_DID_OPEN)
    def notebook_open(ls: TfshapeServer, params: types.DidOpenNotebookDocumentParams) -> None:
        ls.schedule(params.notebook_document.uri, 0)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CHANGE)
    def notebook_change(ls: TfshapeServer, params: types.DidChangeNotebookDocumentParams) -> None:
        ls.schedule(params.notebook_document.uri, ls.options.debounce)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_SAVE)
    def notebook_save(ls: TfshapeServer, params: types.DidSaveNotebookDocumentParams) -> None:
        ls.schedule(params.notebook_document.uri, 0)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CLOSE)
    def notebook_close(ls: TfshapeServer, params: types.DidCloseNotebookDocumentParams) -> None:
        ls.close(params.notebook_document.uri)


def _register_requests(server: TfshapeServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, actions.FIX_ALL_KIND, actions.VERIFY_KIND]))
    async def code_action(ls: TfshapeServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        key = ls.document_key(params.text_document.uri)
        found = await ls.outcome_with_fixes(key)
        if found is None:
            return []
        snapshot, outcome = found
        return await ls.in_thread(ls.lint_pool, actions.code_actions, snapshot, outcome,
                                  params.text_document.uri, params.range, params.context, ls.encoding,
                                  list(params.context.diagnostics))

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: TfshapeServer, params: types.HoverParams) -> types.Hover | None:
        return ls.hover(params.text_document.uri, params.position)

    @server.command(actions.VERIFY_COMMAND)
    async def verify(ls: TfshapeServer, *args: Any) -> list[dict[str, Any]]:
        target = args[0] if args else None
        if not isinstance(target, Mapping) or not isinstance(target.get("uri"), str):
            raise ValueError(f'{actions.VERIFY_COMMAND} takes {{"uri": ..., "finding": [code, line, column, message]}}')
        wanted = target.get("finding")
        return await ls.verify(ls.document_key(target["uri"]), list(wanted) if wanted else None)


class _QuietExit(logging.Filter):
    """Over TCP, pygls ends the process with SystemExit from inside the connection callback,
    which asyncio would log as an unhandled exception; that exit is the normal end."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], SystemExit))


def serve(*, tcp: int | None = None, host: str = "127.0.0.1") -> int:
    """Run until ``exit``: 0 after a ``shutdown`` request, 1 otherwise (as LSP specifies)."""
    logging.basicConfig(level=logging.WARNING, format="tfshape-lint server: %(message)s")
    server = build_server()
    if tcp is not None:
        logging.getLogger("asyncio").addFilter(_QuietExit())
        server.start_tcp(host, tcp)
    else:
        server.start_io()
    return 0 if server.shut_down else 1
