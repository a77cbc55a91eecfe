"""The error every sales-planning input check raises: it names the file, the row or key, and the rule."""

from __future__ import annotations


class PlannerFileError(ValueError):
    """A planner-owned file (under ``inputs/``) breaks a rule; the message lists every problem found,
    each naming the file, the row (line, the header is line 1) or YAML key, and the rule."""

    def __init__(self, file: str, problems: list[str]):
        self.file = file
        self.problems = list(problems)
        super().__init__(f"{file}: " + "; ".join(self.problems))
