"""Regenerate the reference sections of docs/instances.md from the schemas in the code.

    .venv/bin/python docs/update_reference.py

Everything from the line "## Reference, per problem" on is rewritten; the prose above it
is kept. tests/test_geo_and_api.py fails when the page is stale.
"""

from __future__ import annotations

from pathlib import Path

from optimise.reference import describe_markdown, vital_markdown
from optimise.registry import get_problem, problem_names

MARKER = "## Reference, per problem"
PAGE = Path(__file__).resolve().parent / "instances.md"


def main() -> None:
    text = PAGE.read_text(encoding="utf-8")
    head = text.split(MARKER)[0]
    body = "\n".join(describe_markdown(get_problem(n)) for n in problem_names())
    PAGE.write_text(
        f"{head}{MARKER}\n\nGenerated from the schemas in the code (`optimise describe PROBLEM`); "
        f"a test keeps this page in step.\n\n{body}\n## Reference, vital systems\n\n{vital_markdown()}",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
