"""The language server's "verify this finding at runtime" against the real verifier (TF tier)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.conftest import ROOT
from tests.test_server import actions_at, capabilities, config, open_file, wait_for
from tfshape_lint.verify import tensorflow_available

pytestmark = [pytest.mark.tf,
              pytest.mark.skipif(not tensorflow_available(), reason="needs tfshape-lint[verify]")]

EXAMPLE = ROOT / "examples" / "sequence_masking.py"


async def _start(tmp_path: Path) -> LanguageClient:
    cfg = config(tmp_path)
    cfg.server_env = {k: v for k, v in (cfg.server_env or {}).items() if k != "PYTHONPATH"}
    cfg.server_env["PYTHONPATH"] = str(ROOT)  # the real TensorFlow, for the verifier's worker
    client = await cfg.start()
    await client.initialize_session(types.InitializeParams(capabilities=capabilities()))
    return client


def by_code(diags: list[types.Diagnostic], code: str) -> types.Diagnostic:
    return next(d for d in diags if d.code == code)


@pytest.mark.asyncio
async def test_verify_action_republishes_the_verdict(tmp_path: Path) -> None:
    client = await _start(tmp_path)
    try:
        uri = EXAMPLE.as_uri()
        open_file(client, uri, EXAMPLE.read_text(encoding="utf-8"))
        diags = await wait_for(client, uri)
        weight = by_code(diags, "TFS106")
        assert "[confirmed" not in weight.message and "verification" not in weight.data
        verify = [a for a in await actions_at(client, uri, weight) if a.command is not None]
        assert len(verify) == 1 and verify[0].command is not None
        command = verify[0].command
        result: Any = await asyncio.wait_for(client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=command.command, arguments=command.arguments)), 120)
        assert [r["status"] for r in result] == ["confirmed"]
        diags = await wait_for(client, uri, lambda d: "[confirmed" in by_code(list(d), "TFS106").message)
        confirmed = by_code(diags, "TFS106")
        assert confirmed.data["verification"]["status"] == "confirmed"
        assert "Incompatible shapes" in confirmed.data["verification"]["evidence"]
        assert confirmed.severity == weight.severity
        # other findings were not verified
        assert "verification" not in by_code(diags, "TFS104").data
        # work-done progress: begin ... end
        kinds = [p.kind for reports in client.progress_reports.values() for p in reports]
        assert kinds[0] == "begin" and kinds[-1] == "end"
        # the whole document: the refuted TFS104 drops to a hint
        await asyncio.wait_for(client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="tfshape-lint.verify", arguments=[{"uri": uri}])), 180)
        diags = await wait_for(client, uri, lambda d: "[refuted" in by_code(list(d), "TFS104").message)
        squeeze = by_code(diags, "TFS104")
        assert squeeze.severity == types.DiagnosticSeverity.Hint
        assert squeeze.data["verification"]["status"] == "refuted"
        # the second run took TFS106's verdict from the verifier's cache
        assert by_code(diags, "TFS106").data["verification"] == {**confirmed.data["verification"], "cached": True}
    finally:
        await client.shutdown_session()
        await client.stop()
