"""Runs the code blocks of a Markdown document, in order, in a disposable copy of the project.

A block's info string says how it runs:

- ``bash`` (or ``sh``): each command line runs in the copy; it must exit 0, or the code given
  as ``exit=N``. ``python`` and ``./manage.py`` mean this interpreter; ``export NAME=value``,
  ``unset NAME`` and ``cd DIR`` hold for the rest of the document; ``NAME=value command`` for
  that command.
- ``python``: a self-contained snippet, piped into ``python manage.py shell``; it must not raise.
- ``python file=PATH``, ``toml file=PATH``, ``html file=PATH``...: written to PATH (from the
  current directory) in the copy; later blocks use it. With ``append``, added to the end of PATH instead.
- ``toml``/``json`` without a file: parsed, so the example is at least valid.
- ``diff file=PATH``: lines to add to PATH (``+``) where the context lines (`` ``) are; it
  removes nothing, so what a reader is told to add is exactly what the copy gets.
- ``text output``: every non-blank line must appear in what the previous ``bash`` block printed.
  ``text diagram``: a drawing, read by people only.
- ``bash background wait=URL``: a server; started, then waited for until URL answers 200, and
  stopped when the document is done (``DocRunner.close()``). ``wait=log:TEXT`` waits until its
  output shows TEXT instead (a task worker has no URL).

``$NAME`` and ``${NAME}`` in a command are read from the document's environment (single quotes do
not stop it: there is no shell), and ``export NAME=$(command)`` sets NAME to what a command printed.
"""

import json
import os
import re
import shlex
import subprocess
import sys
import sysconfig
import time
import tomllib
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

# ``export NAME=$(command)``: the command's output, stripped, for the rest of the document.
CAPTURE = re.compile(r"^export ([A-Z_][A-Z0-9_]*)=\$\((.+)\)$")
# ``$NAME`` and ``${NAME}`` in a command's words, from the document's environment.
VARIABLE = re.compile(r"\$(?:\{([A-Z_][A-Z0-9_]*)\}|([A-Z_][A-Z0-9_]*))")
FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```\s*$", re.MULTILINE | re.DOTALL)


@dataclass
class Block:
    lang: str
    options: dict[str, str]
    flags: set[str]
    code: str
    line: int

    def describe(self) -> str:
        return f"line {self.line}: ```{self.lang} {' '.join(self.flags)}"


@dataclass
class Outcome:
    block: Block
    output: str = ""
    notes: list[str] = field(default_factory=list)


def blocks(markdown: str) -> list[Block]:
    found = []
    for match in FENCE.finditer(markdown):
        info = match.group(1).strip().split()
        lang = info[0] if info else ""
        options = dict(part.split("=", 1) for part in info[1:] if "=" in part)
        flags = {part for part in info[1:] if "=" not in part}
        found.append(Block(lang, options, flags, match.group(2), markdown[: match.start()].count("\n") + 1))
    return found


class DocRunner:
    def __init__(self, project: Path, env: dict[str, str], python: str = sys.executable):
        self.project = project
        self.cwd = project  # ``cd`` in a block moves it, inside the copy
        self.env = env
        self.python = python  # what ``python`` in a block means
        self.last_output = ""
        self.servers: list[subprocess.Popen] = []

    def close(self) -> None:
        for server in self.servers:
            if server.poll() is None:
                server.terminate()
                try:
                    server.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    server.kill()
        self.servers.clear()

    def run(self, block: Block) -> Outcome:
        handler = {
            "bash": self._shell,
            "sh": self._shell,
            "python": self._python,
            "toml": self._data,
            "json": self._data,
            "html": self._data,
            "text": self._text,
            "diff": self._diff,
        }.get(block.lang)
        if handler is None:
            raise AssertionError(f"{block.describe()}: no way to run a '{block.lang}' block")
        return handler(block)

    def _write(self, block: Block) -> Outcome:
        path = self.cwd / block.options["file"]
        path.parent.mkdir(parents=True, exist_ok=True)
        if "append" in block.flags:
            with path.open("a") as fh:
                fh.write("\n" + block.code)
        else:
            path.write_text(block.code)
        return Outcome(block, notes=[f"wrote {block.options['file']}"])

    def _diff(self, block: Block) -> Outcome:
        path = self.cwd / block.options["file"]
        lines = [line for line in block.code.splitlines() if not line.startswith(("@@", "---", "+++"))]
        if any(not line.startswith((" ", "+")) for line in lines):
            raise AssertionError(f"{block.describe()}: only context (' ') and added ('+') lines")
        before = [line[1:] for line in lines if line.startswith(" ")]
        after = [line[1:] for line in lines]
        text = path.read_text().splitlines()
        for start in range(len(text) - len(before) + 1):
            if text[start : start + len(before)] == before:
                text[start : start + len(before)] = after
                path.write_text("\n".join(text) + "\n")
                return Outcome(block, notes=[f"patched {block.options['file']}"])
        raise AssertionError(f"{block.describe()}: the context lines are not in {block.options['file']}")

    def _data(self, block: Block) -> Outcome:
        if block.lang == "toml":
            tomllib.loads(block.code)
        elif block.lang == "json":
            json.loads(block.code)
        if "file" in block.options:
            return self._write(block)
        return Outcome(block, notes=["parsed"])

    def _python(self, block: Block) -> Outcome:
        if "file" in block.options:
            compile(block.code, block.options["file"], "exec")
            return self._write(block)
        result = self._exec([self.python, "manage.py", "shell"], stdin=block.code)
        if result.returncode != 0:
            raise AssertionError(f"{block.describe()} failed:\n{result.stdout}\n{result.stderr}")
        self.last_output = result.stdout
        return Outcome(block, output=result.stdout)

    def _background(self, block: Block) -> Outcome:
        (line,) = _commands(block.code)
        words, env = self._words(line)
        log = open(self.project / "var" / f"server-{len(self.servers)}.log", "w+")
        server = subprocess.Popen(words, cwd=self.cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.servers.append(server)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if server.poll() is not None:
                break
            wait = block.options["wait"]
            if wait.startswith("log:"):
                log.seek(0)
                if wait[len("log:") :] in log.read():
                    return Outcome(block, notes=[f"running: {line}"])
                time.sleep(0.2)
                continue
            try:
                if urllib.request.urlopen(wait, timeout=2).status == 200:
                    return Outcome(block, notes=[f"serving: {line}"])
            except OSError:
                time.sleep(0.2)
        log.seek(0)
        raise AssertionError(
            f"{block.describe()}: `{line}` did not answer at {block.options['wait']}\n{log.read()[-4000:]}"
        )

    def _words(self, line: str) -> tuple[list[str], dict]:
        words = [VARIABLE.sub(lambda m: self.env.get(m.group(1) or m.group(2), ""), w) for w in shlex.split(line)]
        env = dict(self.env)
        while words and re.match(r"^[A-Z_][A-Z0-9_]*=", words[0]):
            key, _, value = words.pop(0).partition("=")
            env[key] = value
        if words[0] in {"python", "python3"}:
            words[0] = self.python
        elif words[0] == "./manage.py":
            words = [self.python, "manage.py", *words[1:]]
        elif words[0] in {"gunicorn", "celery"}:
            words = [self.python, "-m", words[0], *words[1:]]
        return words, env

    def _shell(self, block: Block) -> Outcome:
        if "background" in block.flags:
            return self._background(block)
        expected = int(block.options.get("exit", "0"))
        outputs = []
        for line in _commands(block.code):
            captured = CAPTURE.match(line)
            if captured:
                self.env[captured.group(1)] = self._capture(captured.group(2), block)
                continue
            if self._state(shlex.split(line)):
                continue
            words, env = self._words(line)
            result = self._exec(words, env=env)
            outputs.append(result.stdout + result.stderr)
            if result.returncode != expected:
                raise AssertionError(
                    f"{block.describe()}: `{line}` exited {result.returncode}, expected {expected}\n"
                    f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
                )
        self.last_output = "\n".join(outputs)
        return Outcome(block, output=self.last_output)

    def _capture(self, line: str, block: Block) -> str:
        words, env = self._words(line)
        result = self._exec(words, env=env)
        if result.returncode != 0:
            raise AssertionError(f"{block.describe()}: `{line}` exited {result.returncode}\n{result.stderr[-3000:]}")
        return result.stdout.strip()

    def _state(self, words: list[str]) -> bool:
        """``export``, ``unset`` and ``cd``: they change what the following commands get."""
        if words[0] == "export":
            for assignment in words[1:]:
                key, _, value = assignment.partition("=")
                self.env[key] = value
        elif words[0] == "unset":
            for key in words[1:]:
                self.env.pop(key, None)
        elif words[0] == "cd":
            self.cwd = (self.cwd / words[1]).resolve()
            if not self.cwd.is_relative_to(self.project.resolve()) or not self.cwd.is_dir():
                raise AssertionError(f"cd {words[1]}: not a directory inside the copy")
        else:
            return False
        return True

    def _text(self, block: Block) -> Outcome:
        if "diagram" in block.flags:
            return Outcome(block, notes=["a drawing"])
        if "output" not in block.flags:
            raise AssertionError(f"{block.describe()}: a text block must be marked 'output'")
        for line in block.code.splitlines():
            if line.strip() and line.strip() != "..." and line.strip() not in self.last_output:
                raise AssertionError(f"{block.describe()}: {line.strip()!r} not in:\n{self.last_output[-3000:]}")
        return Outcome(block, notes=["output matched"])

    def _exec(self, words: list[str], stdin: str | None = None, env: dict | None = None):
        return subprocess.run(
            words, cwd=self.cwd, env=env or self.env, input=stdin, capture_output=True, text=True, timeout=600
        )


def _commands(code: str) -> list[str]:
    commands, pending = [], ""
    for raw in code.splitlines():
        line = raw.rstrip()
        if not line or line.lstrip().startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        commands.append((pending + line).strip())
        pending = ""
    return commands


def overlay_python(where: Path) -> str:
    """A virtual environment that sees this one's packages and installs into its own, for a
    document that ``pip install``s: what it installs stays out of the environment running the tests."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True)
    (site,) = where.glob("lib/python*/site-packages")
    outer = sysconfig.get_paths()["purelib"]
    # addsitedir, not a bare path: the outer environment's own .pth files (editable installs) count too.
    (site / "_outer.pth").write_text(f"import site; site.addsitedir({outer!r})\n")
    return str(where / "bin" / "python")


def sandbox_env(project: Path, **extra: str) -> dict[str, str]:
    # The documents describe the project as it comes: its own list of modules, whatever a test
    # run enables (CI's second pass adds the example module through MARKETPLACE_MODULES).
    dropped = {"DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "MARKETPLACE_MODULES"}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(
        DJANGO_SETTINGS_MODULE="marketplace.settings.dev",
        MARKETPLACE_VAR_DIR=str(project / "var"),
        PYTHONPATH=str(project),
        PYTHONDONTWRITEBYTECODE="1",
        **extra,
    )
    return env
