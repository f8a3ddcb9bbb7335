"""tfshape_lint.notebook: joining cells, masking IPython syntax, mapping lines, writing back."""

from __future__ import annotations

import ast
import json
import warnings

import nbformat
import pytest

from tfshape_lint.notebook import NotebookError, NotebookFile, join_cells, mask_cell, validate

CELLS = [
    ("markdown", "# A notebook\nwith text"),
    ("code", "%matplotlib inline\nimport tensorflow as tf"),
    ("code", "!pip install foo\nfiles = !ls\ndef loss(t, p):\n    return tf.reduce_sum(t - p)\n"),
    ("raw", "raw text"),
    ("code", "%%bash\necho hi\nfor x in 1 2; do echo $x; done"),
    ("code", ""),
    ("code", "tf.reduce_sum?\nx = loss(1, 2)"),
]


def test_joined_source_parses_and_keeps_line_numbers() -> None:
    joined = join_cells(CELLS)
    ast.parse(joined.source)
    lines = joined.source.splitlines()
    assert lines == [
        "pass", "import tensorflow as tf",
        "pass", "pass", "def loss(t, p):", "    return tf.reduce_sum(t - p)",
        "", "", "",
        "pass", "x = loss(1, 2)",
    ]


@pytest.mark.parametrize(("line", "where"), [
    (1, (2, 1)), (2, (2, 2)), (3, (3, 1)), (6, (3, 4)), (7, (5, 1)), (9, (5, 3)),
    (10, (7, 1)), (11, (7, 2)),
])
def test_locate_and_line_of_are_inverse(line: int, where: tuple[int, int]) -> None:
    joined = join_cells(CELLS)
    assert joined.locate(line) == where
    assert joined.line_of(*where) == line


def test_locate_clamps_end_of_file_and_line_of_rejects_bad_cells() -> None:
    joined = join_cells(CELLS)
    assert joined.locate(12) == (7, 2)
    with pytest.raises(ValueError, match="not a code cell"):
        joined.line_of(1, 1)
    with pytest.raises(ValueError, match="no line 3"):
        joined.line_of(7, 3)
    with pytest.raises(ValueError):
        join_cells([("markdown", "only text")]).locate(1)


@pytest.mark.parametrize(("line", "masked"), [
    ("%timeit f()\n", "pass\n"),
    ("    %time f()\n", "    pass\n"),
    ("!ls -la\n", "pass\n"),
    ("out = !ls\n", "pass\n"),
    ("out = %sx ls\n", "pass\n"),
    ("?tf.reduce_sum\n", "pass\n"),
    ("tf.reduce_sum??\n", "pass\n"),
    ("x = a % b\n", "x = a % b\n"),
    ("x != y\n", "x != y\n"),
    ("s = 'what?'\n", "s = 'what?'\n"),
])
def test_mask_line_forms(line: str, masked: str) -> None:
    assert mask_cell([line]) == [masked]


def test_masked_continuation_and_strings() -> None:
    assert mask_cell(["!echo a \\\n", "  b\n", "x = 1\n"]) == ["pass\n", "pass\n", "x = 1\n"]
    doc = ['s = """\n', "%not a magic\n", '"""\n', "%magic\n"]
    assert mask_cell(doc) == ['s = """\n', "%not a magic\n", '"""\n', "pass\n"]


def test_continuation_lines_are_python_and_automagic_lines_are_not() -> None:
    # a ``%`` that continues a bracket or a backslash line is the string-format operator
    assert mask_cell(['print("Epoch %d/%d"\n', "      % (epoch, total))\n"]) == \
        ['print("Epoch %d/%d"\n', "      % (epoch, total))\n"]
    assert mask_cell(["msg = 'done' \\\n", "    % ()\n"]) == ["msg = 'done' \\\n", "    % ()\n"]
    # a bracket inside a string or a comment opens nothing
    assert mask_cell(['s = "a(" # (\n', "%magic\n"]) == ['s = "a(" # (\n', "pass\n"]
    # IPython's automagic: a magic name without its ``%``, where the line is no Python statement
    assert mask_cell(["ls -lh *.h5\n", "pip install -q keras-retinanet\n", "cd ..\n"]) == ["pass\n"] * 3
    assert mask_cell(["time.sleep(1)\n", "ls = [1]\n", "pwd\n"]) == ["time.sleep(1)\n", "ls = [1]\n", "pwd\n"]
    # a statement that goes on in brackets on the next lines is Python, whatever its first name
    fit = ["history = model.fit(\n", "    x, y,\n", ")\n", "time += 1\n"]
    assert mask_cell(fit) == fit


def test_cell_magic_masks_whole_cell_after_blank_lines() -> None:
    assert mask_cell(["\n", "%%writefile a.py\n", "x = (\n"]) == ["\n", "\n", "\n"]


def test_split_fixed_returns_only_changed_cells_and_restores_magics() -> None:
    joined = join_cells(CELLS)
    marked = joined.marked_source()
    ast.parse(marked)
    fixed = marked.replace("tf.reduce_sum(t - p)", "tf.reduce_sum(t - p, axis=-1)")
    fixed = fixed.replace("import tensorflow as tf", "import numpy as np\nimport tensorflow as tf")
    changed = joined.split_fixed(fixed)
    assert changed == {
        2: "%matplotlib inline\nimport numpy as np\nimport tensorflow as tf",
        3: "!pip install foo\nfiles = !ls\ndef loss(t, p):\n"
           "    return tf.reduce_sum(t - p, axis=-1)\n",
    }
    assert joined.split_fixed(marked) == {}


def test_split_fixed_refuses_lost_boundaries() -> None:
    joined = join_cells(CELLS)
    marked = joined.marked_source()
    first_marker = [line for line in marked.splitlines() if "cell boundary" in line][0]
    with pytest.raises(ValueError, match="cell boundary"):
        joined.split_fixed(marked.replace(first_marker + "\n", ""))


def _notebook_text(sources_as_lists: bool) -> str:
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3",
                                                         "display_name": "Python 3",
                                                         "language": "python"}})
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Title"),
        nbformat.v4.new_code_cell("import tensorflow as tf\n\n"
                                  "def loss(t, p):\n    return tf.reduce_sum(t - p)",
                                  execution_count=3,
                                  outputs=[nbformat.v4.new_output("stream", text="ünïcode\n")],
                                  metadata={"tags": ["keep"]}),
        nbformat.v4.new_code_cell("!nvidia-smi\nloss(1, 2)"),
    ]
    text = nbformat.writes(nb)  # nbformat stores sources as lists of lines
    if sources_as_lists:
        return text
    raw = json.loads(text)
    for cell in raw["cells"]:
        cell["source"] = "".join(cell["source"])
    return json.dumps(raw, indent=2, ensure_ascii=True)


@pytest.mark.parametrize("as_lists", [False, True])
def test_notebook_file_round_trip_keeps_everything_but_the_changed_source(as_lists: bool) -> None:
    text = _notebook_text(as_lists)
    notebook = NotebookFile(text)
    assert notebook.with_sources({}) == text
    joined = notebook.join()
    assert joined.locate(4) == (2, 4)
    fixed = joined.marked_source().replace("t - p)", "t - p, axis=-1)")
    new_text = notebook.with_sources(joined.split_fixed(fixed))
    validate(new_text)
    before, after = json.loads(text), json.loads(new_text)
    assert "".join(after["cells"][1]["source"]) == ("import tensorflow as tf\n\n"
                                                  "def loss(t, p):\n"
                                                  "    return tf.reduce_sum(t - p, axis=-1)")
    assert isinstance(after["cells"][1]["source"], list) is as_lists
    after["cells"][1]["source"] = before["cells"][1]["source"]
    assert after == before
    assert list(after["cells"][1]) == list(before["cells"][1])
    unchanged_lines = [line for line in text.splitlines() if "reduce_sum" not in line]
    assert [line for line in new_text.splitlines() if "reduce_sum" not in line] == unchanged_lines


@pytest.mark.parametrize("text", ["{not json", "[]", '{"cells": []}',
                                  json.dumps({"nbformat": 3, "nbformat_minor": 0,
                                              "worksheets": [], "metadata": {}})])
def test_bad_notebooks_give_one_line_errors(text: str) -> None:
    with pytest.raises(NotebookError) as caught:
        NotebookFile(text)
    assert "\n" not in str(caught.value)


def test_validate_rejects_an_invalid_cell() -> None:
    raw = json.loads(_notebook_text(False))
    del raw["cells"][1]["outputs"]
    with pytest.raises(NotebookError, match="not a valid notebook"):
        validate(json.dumps(raw))


def test_split_same_lines_maps_an_in_place_edit_back_to_cells() -> None:
    joined = join_cells(CELLS)
    edited = joined.source.replace("    return tf.reduce_sum(t - p)\n",
                                   "    return tf.reduce_sum(t - p)  # noqa: TFS102\n")
    assert joined.split_same_lines(edited) == {
        3: "!pip install foo\nfiles = !ls\ndef loss(t, p):\n"
           "    return tf.reduce_sum(t - p)  # noqa: TFS102\n"}
    with pytest.raises(ValueError, match="number of lines"):
        joined.split_same_lines(edited + "x = 1\n")


def test_cells_without_ids_read_without_a_warning() -> None:
    """An nbformat 4.5 notebook whose cells have no ``id`` (common in real repositories): nbformat
    warns (MissingIDFieldWarning) when it reads one; the linter's output must not carry that."""
    text = json.dumps({"cells": [{"cell_type": "code", "execution_count": None, "metadata": {},
                                  "outputs": [], "source": "import tensorflow as tf\n"}],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert NotebookFile(text).cells == [("code", "import tensorflow as tf\n")]
        validate(text)
