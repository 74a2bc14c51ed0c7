"""nbgrader on every lesson, the students' side: untouched released copies score zero.

The released copies (nbgrader's ``generate_assignment``, stubs in place) are autograded as a
student who changed nothing would hand them in, under a wall-clock limit. Then the lessons with
widgets are autograded again, several times: v1's ``interact`` cells sometimes left nbgrader's
client waiting forever; v2 draws its widgets without an Output widget, and this shows the hang
is gone rather than rarer (each repeat runs while the other test worker keeps a core busy).
"""
import pathlib

import nbformat
import pytest

import nbgrader_course as course_kit

ROOT = pathlib.Path(__file__).resolve().parent.parent
ENTRIES = course_kit.graded_entries()
LIMIT_S = course_kit.AUTOGRADE_LIMIT_S
REPEATS = 5


def has_widgets(entry):
    return "ipywidgets" in (ROOT / entry).read_text()


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = course_kit.build(tmp_path_factory.mktemp("nbgrader"), ENTRIES, students=("untouched",))
    seconds = course_kit.autograde(course, "untouched", LIMIT_S)
    print(f"autograde of {len(ENTRIES)} untouched notebooks: {seconds:.0f} s")
    return course


@pytest.mark.slow
@pytest.mark.parametrize("entry", ENTRIES)
def test_untouched_copy_scores_zero(course, entry):
    score, max_score = course_kit.scores(course, "untouched")[pathlib.Path(entry).stem]
    assert max_score > 0
    assert score == 0, f"{entry}: an untouched copy earned {score} of {max_score} points"


def test_no_notebook_uses_an_output_widget():
    for entry in course_kit.structure.toc_entries(ROOT):
        if entry.endswith(".ipynb") and (ROOT / entry).exists():
            code = "\n".join(c.source for c in nbformat.read(ROOT / entry, as_version=4).cells
                             if c.cell_type == "code")
            assert "interact(" not in code and "widgets.Output(" not in code, (
                f"{entry}: use controls + widgets.Image updated by observe, not interact/Output")


@pytest.mark.slow
def test_widget_lessons_never_hang_in_repeated_autogrades(tmp_path):
    widget_entries = [e for e in ENTRIES if has_widgets(e)]
    assert widget_entries, "no lesson with widgets to repeat"
    course = course_kit.build(tmp_path, widget_entries, students=("untouched",))
    times = [course_kit.autograde(course, "untouched", 300) for _ in range(REPEATS)]
    print(f"{REPEATS} autogrades of {len(widget_entries)} widget lessons: "
          + ", ".join(f"{t:.0f} s" for t in times))
    assert max(times) < 300
