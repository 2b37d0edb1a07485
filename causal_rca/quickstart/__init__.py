"""`causal-rca quickstart DIR`: a small, complete example a new user can run anywhere.

Everything is written from inside the installed package (nothing is read from a checkout):
the lineage graph (``graph.yaml``, block YAML with comments), a time-stamped prediction log
(``log.csv``) and the same rows as two windows (``reference.csv``, ``current.csv``), the
fitted model (``model.skops``) with its training snapshot and a golden set, and the lineage
of the same pipeline as OpenLineage events (``events.jsonl``) and a dbt manifest
(``manifest.json``) with the attachment that adds the model (``model.yaml``).

The incident is the demo's: from the split day on, one acquiring processor sends merchant
category codes as text (``MCC-5411``); the feature code coerces them to NaN and fraud at
risky merchants slips through.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from causal_rca.errors import InputError

HERE = Path(__file__).resolve().parent
SEED = 1101
ROWS = 8000
REFERENCE_START = pd.Timestamp("2024-02-19")
SPLIT = "2024-03-04"          # the first day of the current window, and of the incident
WINDOW_DAYS = 14
BROKEN_PROCESSOR = "acq-b"

#: What ``quickstart`` writes, in the order it lists them: file name → what it is.
FILES = {
    "graph.yaml": "the lineage graph (edit it to describe your own pipeline)",
    "log.csv": f"a prediction log with a time column (event_time), {2 * ROWS} rows over four weeks",
    "reference.csv": "the two weeks before the incident (the same rows as log.csv before the split)",
    "current.csv": "the two weeks after (the rest of log.csv)",
    "model.skops": "the fitted scikit-learn model (graph.yaml names it as the model's artifact)",
    "training.csv": "the model's training snapshot",
    "golden.csv": "a trusted labelled set",
    "events.jsonl": "the pipeline's lineage as OpenLineage events",
    "manifest.json": "the pipeline's lineage as a dbt manifest",
    "model.yaml": "what lineage tools do not know (the model, the label, the metric), for `import`",
}


@dataclass(frozen=True)
class Step:
    """One command to try, with what it shows."""

    say: str
    command: str


def steps(folder: str) -> list[Step]:
    """The commands to try, each of which works as written after ``cd folder`` (the README's Use block
    is ``causal-rca quickstart demo`` followed by exactly these, a test checks it)."""
    two = "--graph graph.yaml --reference reference.csv --current current.csv"
    return [
        Step("go to the example", f"cd {folder}"),
        Step("check the graph against the log: columns, dtypes, contracts", "causal-rca validate graph.yaml --data log.csv"),
        Step("why did recall drop? (two windows)", f"causal-rca why recall {two}"),
        Step("the same from one log split in time, with every node's signals",
             f"causal-rca why recall --graph graph.yaml --data log.csv --split {SPLIT} --verbose"),
        Step("let the engine find where recall changed; JSON for tools",
             "causal-rca why recall --graph graph.yaml --data log.csv --split auto --format json --out d.json"),
        Step("a report to open in a browser", f"causal-rca why recall {two} --format html --out report.html"),
        Step("draw the graph coloured by the diagnosis (or --view fishbone, .png, .dot)",
             "causal-rca render graph.yaml --diagnosis d.json --out lineage.svg"),
        Step("with the real model (graph.yaml names model.skops): replay, golden set, training support",
             f"causal-rca why recall {two} --golden golden.csv --training training.csv"),
        Step("follow recall day by day: control limits, alerts diagnosed, a history",
             "causal-rca watch graph.yaml --data log.csv --metric recall --every 1d --chart recall.svg "
             "--record history.sqlite"),
        Step("past incidents like #1", "causal-rca history history.sqlite --similar 1"),
        Step("graphs from lineage you already have, plus what it does not know (model.yaml)",
             "causal-rca import openlineage events.jsonl --out from-openlineage.yaml --attach-model model.yaml "
             "--observed-from log.csv"),
        Step("", "causal-rca import dbt manifest.json --out from-dbt.yaml --attach-model model.yaml "
                 "--observed-from log.csv"),
        Step("", f"causal-rca why recall --graph from-dbt.yaml --data log.csv --split {SPLIT}"),
        Step("draft a graph from a log (as for your own data), then check it",
             "causal-rca init --data log.csv --label is_fraud --prediction score --model model.skops --out draft.yaml"),
        Step("", "causal-rca validate draft.yaml --data log.csv"),
    ]


def commands_text(folder: str) -> str:
    """The next steps as printed by ``quickstart``: a comment line, then the command."""
    lines = []
    for step in steps(folder):
        if step.say:
            lines.append(f"\n# {step.say}")
        lines.append(step.command)
    return "\n".join(lines).lstrip("\n") + "\n"


def frames(seed: int = SEED, rows: int = ROWS) -> tuple[dict[str, pd.DataFrame], object]:
    """The example's tables (reference, current, log, training, golden) and the fitted model."""
    from causal_rca.scenarios import simulate as sim
    from causal_rca.scenarios.worlds_common import mcc_as_text

    world = sim.build_world(seed)
    ref_src, ref_y = sim.draw_window(world, "reference", rows, start=REFERENCE_START, days=WINDOW_DAYS)
    cur_src, cur_y = sim.draw_window(world, "current", rows, start=pd.Timestamp(SPLIT), days=WINDOW_DAYS)
    cur_src = mcc_as_text(cur_src, (cur_src["processor"] == BROKEN_PROCESSOR).to_numpy())
    reference = world.serve(ref_src, ref_y, id_prefix="ref")
    current = world.serve(cur_src, cur_y, id_prefix="cur")
    tables = {
        "reference": reference,
        "current": current,
        "log": pd.concat([reference, current], ignore_index=True),
        "training": world.training,
        "golden": sim.golden_set(world),
    }
    return tables, world.model


def write_quickstart(out: str | Path, *, seed: int = SEED, force: bool = False) -> dict[str, Path]:
    """Write the example into ``out`` (created if needed); file name → path."""
    from causal_rca.model.save import save_skops
    from causal_rca.quickstart.dbt_manifest import fraud_manifest

    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"quickstart folder '{out}' is a file: give a new folder name")
    clash = sorted(name for name in FILES if (out / name).exists())
    if clash and not force:
        raise InputError(f"quickstart folder '{out}' already holds {', '.join(clash[:3])}"
                         f"{' …' if len(clash) > 3 else ''}: give a new folder, or --force to overwrite")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create quickstart folder '{out}': {exc.strerror}") from None
    tables, model = frames(seed)
    written: dict[str, Path] = {}
    shutil.copyfile(HERE / "graph.yaml", out / "graph.yaml")
    for name in ("log", "reference", "current", "training", "golden"):
        tables[name].to_csv(out / f"{name}.csv", index=False)
    save_skops(model, out / "model.skops")
    shutil.copyfile(HERE / "events.jsonl", out / "events.jsonl")
    (out / "manifest.json").write_text(json.dumps(fraud_manifest(), indent=1) + "\n", encoding="utf-8")
    shutil.copyfile(HERE / "model.yaml", out / "model.yaml")
    for name in FILES:
        written[name] = out / name
    return written
