"""Codex's ``apply_patch`` format, read far enough to rebuild a Python file around an edit.

A patch is ``*** Begin Patch`` … ``*** End Patch`` around hunks: ``*** Add File: PATH`` with ``+``
lines, ``*** Delete File: PATH``, and ``*** Update File: PATH`` (optionally ``*** Move to: PATH``)
with chunks of `` `` (context), ``-`` (removed) and ``+`` (added) lines, each chunk after an
``@@`` line. Standard library only: this runs inside a hook.
"""

from __future__ import annotations

from dataclasses import dataclass, field

BEGIN, END = "*** Begin Patch", "*** End Patch"
ADD, DELETE, UPDATE = "*** Add File: ", "*** Delete File: ", "*** Update File: "
MOVE = "*** Move to: "
END_OF_FILE = "*** End of File"


@dataclass
class FilePatch:
    """One file's hunk: ``kind`` is ``add``, ``delete`` or ``update``."""

    kind: str
    path: str
    move_to: str | None = None
    lines: list[str] = field(default_factory=list)  # add: the new file's lines
    chunks: list[tuple[list[str], list[str]]] = field(default_factory=list)  # update: (old, new)

    @property
    def target(self) -> str:
        """Where the file is once the patch is applied."""
        return self.move_to or self.path

    def added(self) -> str:
        """The text an ``add`` hunk writes, or an update's new lines (its new text alone)."""
        if self.kind == "add":
            return "".join(line + "\n" for line in self.lines)
        return "\n".join(line for _, new in self.chunks for line in new)


def parse(text: str) -> list[FilePatch]:
    """The hunks of ``text``; ValueError when it is not an ``apply_patch`` patch."""
    lines = text.strip().splitlines()
    if not lines or lines[0].strip() != BEGIN:
        raise ValueError("not an apply_patch patch (no '*** Begin Patch')")
    files: list[FilePatch] = []
    current: FilePatch | None = None
    old: list[str] = []
    new: list[str] = []

    def close_chunk() -> None:
        if current is not None and current.kind == "update" and (old or new):
            current.chunks.append((old.copy(), new.copy()))
        old.clear()
        new.clear()

    for line in lines[1:]:
        if line.strip() == END:
            break
        head = next((h for h in (ADD, DELETE, UPDATE) if line.startswith(h)), None)
        if head is not None:
            close_chunk()
            kind = {ADD: "add", DELETE: "delete", UPDATE: "update"}[head]
            current = FilePatch(kind, line[len(head) :].strip())
            files.append(current)
        elif current is None:
            continue
        elif line.startswith(MOVE) and current.kind == "update":
            current.move_to = line[len(MOVE) :].strip()
        elif current.kind == "add":
            if line.startswith("+"):
                current.lines.append(line[1:])
        elif current.kind == "update":
            if line.startswith("@@") or line.strip() == END_OF_FILE:
                close_chunk()
            elif line.startswith("-"):
                old.append(line[1:])
            elif line.startswith("+"):
                new.append(line[1:])
            else:  # context: a leading space, or an empty line the model left bare
                old.append(line[1:] if line.startswith(" ") else line)
                new.append(line[1:] if line.startswith(" ") else line)
    close_chunk()
    return files


def apply(text: str, chunks: list[tuple[list[str], list[str]]]) -> str | None:
    """``text`` with each chunk's old lines replaced by its new lines, in order; None when one
    cannot be found (or has no old lines to find)."""
    lines = text.splitlines()
    ending = text.endswith("\n")
    at = 0
    for old, new in chunks:
        if not old:
            return None
        for start in range(at, len(lines) - len(old) + 1):
            if lines[start : start + len(old)] == old:
                lines[start : start + len(old)] = new
                at = start + len(new)
                break
        else:
            return None
    out = "\n".join(lines)
    return out + "\n" if ending or not text else out


def reverse(chunks: list[tuple[list[str], list[str]]]) -> list[tuple[list[str], list[str]]]:
    """The chunks that undo ``chunks``."""
    return [(new, old) for old, new in chunks]
