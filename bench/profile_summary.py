"""Summarise py-spy raw (collapsed) stacks: where the server's time went, by function.

    .venv/bin/python bench/profile_summary.py bench/results/profile-open-256-*.txt [--top 30]

Prints the functions with the most samples on the stack (inclusive) and at the top of it (self), as
percentages of all samples, with the file and line py-spy reports.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")


def _name(frame: str, lines: bool) -> str:
    match = FRAME.match(frame)
    if not match:
        return frame
    where = match["file"].replace(str(Path.cwd()) + "/", "")
    where = re.sub(r".*/site-packages/", "", where)
    return f"{match['func']} ({where}{':' + match['line'] if lines and match['line'] else ''})"


def summarise(
    paths: list[Path], *, top: int = 25, lines: bool = False, within: str | None = None
) -> dict[str, list[tuple[str, float]]]:
    """``within``: only the samples whose stack holds a function of that name (e.g. ``autosave``)."""
    inclusive: Counter[str] = Counter()
    self_time: Counter[str] = Counter()
    total = 0
    for path in paths:
        for row in path.read_text().splitlines():
            stack, _, count = row.rpartition(" ")
            if not count.isdigit():
                continue
            n = int(count)
            total += n
            frames = [_name(f, lines) for f in stack.split(";") if f]
            if within and not any(f.startswith(within + " (") for f in frames):
                total -= n
                continue
            for name in set(frames):
                inclusive[name] += n
            if frames:
                self_time[frames[-1]] += n

    def pct(c: Counter[str]) -> list[tuple[str, float]]:
        return [(k, 100 * v / total) for k, v in c.most_common(top)] if total else []

    return {"inclusive": pct(inclusive), "self": pct(self_time), "samples": [("all", float(total))]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--lines", action="store_true")
    parser.add_argument("--within", help="only samples under this function, e.g. autosave")
    args = parser.parse_args()
    result = summarise(args.files, top=args.top, lines=args.lines, within=args.within)
    print(f"{int(result['samples'][0][1])} samples")
    for kind in ("inclusive", "self"):
        print(f"\n{kind}:")
        for name, share in result[kind]:
            print(f"  {share:5.1f}%  {name}")


if __name__ == "__main__":
    main()
