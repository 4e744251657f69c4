"""Every bad input of the corpus (``bad_inputs.py``) ends as it must: a clear flashpoint error
naming what was wrong, a warning, or a correct result; never another exception, a silently
wrong result, a hang or a memory blow-up."""

from __future__ import annotations

import pytest
from bad_inputs import Case, all_cases, classify

CASES = all_cases()


def _param(case: Case) -> object:
    marks = [pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []
    return pytest.param(case, id=case.id, marks=marks)


def test_the_corpus_is_large_and_ids_are_unique() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) >= 100
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_bad_input(case: Case) -> None:
    outcome, detail = classify(case)
    assert outcome == case.wanted, detail
