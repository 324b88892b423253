"""Train agents from the app: ``betfolio train`` in a child process, watched from a worker thread.

Training is minutes of CPU-bound work in PyTorch; run inside the app's process it would compete with the GUI
for the interpreter lock and a cancel could only take effect between stages. A child process keeps the window
responsive, and *Cancel* terminates it at once — the run's checkpoints stay resumable (``--resume``). The
child is the real command, so the app trains exactly what the CLI trains; its progress is read from the
progress bars it draws on stderr (forced on with ``TTY_INTERACTIVE``), and its result from ``--json``.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import selectors
import subprocess
import sys
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from betfolio.app.worker import Cancelled, TaskControl

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
#: "live ━━━━━━━━╺━━━━━━━ 47% 0:00:12" as rich renders a progress task (the bar is blank at 0 %).
_PROGRESS = re.compile(r"^(?P<desc>.+?)\s+[━╸╺\-]*\s*(?P<pct>\d{1,3})%\s+\d+:\d{2}:\d{2}$")


def training_agents() -> list[str]:
    """Agents ``betfolio train`` can train (empty when the agents package is not installed)."""
    try:
        cli = importlib.import_module("betfolio.cli.train")
        importlib.import_module("betfolio.jobs.training")
    except ImportError:
        return []
    kinds = getattr(cli, "AgentKind", None)
    return [k.value for k in kinds] if kinds is not None else []


@dataclass(frozen=True)
class TrainRequest:
    agent: str
    leagues: tuple[str, ...] = ()
    train_seasons: tuple[str, ...] = ()
    eval_seasons: tuple[str, ...] = ()
    steps: int = 20_000
    episodes: int = 60
    seed: int = 1
    ablation: bool = False


@dataclass
class TrainOutcome:
    request: TrainRequest
    result: dict[str, Any]
    log: list[str] = field(default_factory=list)

    @property
    def strategies(self) -> dict[str, dict[str, Any]]:
        rows = self.result.get("strategies")
        return rows if isinstance(rows, dict) else {}


def command_line(database_url: str, request: TrainRequest) -> list[str]:
    cmd = [sys.executable, "-m", "betfolio.cli", "train", "--agent", request.agent, "--db", database_url, "--json"]
    if request.leagues:
        cmd += ["--leagues", ",".join(request.leagues)]
    if request.train_seasons:
        cmd += ["--train-seasons", ",".join(request.train_seasons)]
    if request.eval_seasons:
        cmd += ["--eval-seasons", ",".join(request.eval_seasons)]
    cmd += ["--steps", str(request.steps), "--episodes", str(request.episodes), "--seed", str(request.seed)]
    cmd += ["--ablation" if request.ablation else "--no-ablation"]
    return cmd


def parse_progress(chunk: str) -> list[tuple[str, int] | str]:
    """Progress updates ``(description, percent)`` and plain log lines found in a chunk of the child's stderr."""
    out: list[tuple[str, int] | str] = []
    for segment in re.split(r"[\r\n]+", _ANSI.sub("", chunk)):
        line = segment.strip()
        if not line:
            continue
        match = _PROGRESS.match(line)
        if match:
            out.append((match["desc"].strip(), min(int(match["pct"]), 100)))
        else:
            out.append(line)
    return out


def run_training(database_url: str, request: TrainRequest, control: TaskControl) -> TrainOutcome:
    env = os.environ | {"TTY_INTERACTIVE": "1", "TTY_COMPATIBLE": "1", "NO_COLOR": "1", "COLUMNS": "160"}
    control.progress(None, f"starting betfolio train --agent {request.agent}…")
    proc = subprocess.Popen(
        command_line(database_url, request), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    assert proc.stdout is not None and proc.stderr is not None
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ, "out")
    selector.register(proc.stderr, selectors.EVENT_READ, "err")
    stdout = bytearray()
    log: deque[str] = deque(maxlen=400)
    try:
        while selector.get_map():
            control.check()
            for key, _ in selector.select(timeout=0.2):
                data = os.read(key.fd, 65536)
                if not data:
                    selector.unregister(key.fileobj)
                    continue
                if key.data == "out":
                    stdout += data
                    continue
                for item in parse_progress(data.decode(errors="replace")):
                    if isinstance(item, tuple):
                        control.progress(item[1] / 100.0, f"{item[0]} — {item[1]} %")
                    elif not log or log[-1] != item:
                        log.append(item)
                        control.progress(None, item[:200])
        code = proc.wait()
    except Cancelled:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        raise
    finally:
        selector.close()
    if code != 0:
        tail = " | ".join(list(log)[-3:])
        raise RuntimeError(f"betfolio train exited with code {code}: {tail}")
    try:
        result = json.loads(stdout.decode())
    except ValueError as exc:
        raise RuntimeError(f"betfolio train printed no JSON result ({exc})") from exc
    return TrainOutcome(request, result if isinstance(result, dict) else {"result": result}, list(log))
