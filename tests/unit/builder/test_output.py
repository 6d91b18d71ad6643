import io

from builder import output
from builder.output import COLUMN_ONE, Output


def test_success_lines_are_v1s():
    assert output.deployed("myapp", 2, ["myapp.example.com"]) == [
        "done, myapp:v2 deployed to Deis", "", "       http://myapp.example.com", "",
        "       To learn more, use `deis help` or visit http://deis.io", "",
    ]


def test_step_detail_and_error_prefixes():
    assert output.step("Building Docker image") == "-----> Building Docker image"
    assert output.detail("Step 1/2") == "       Step 1/2"
    assert output.error("ERROR: x") == " !     ERROR: x"


def test_progress_redraws_keep_the_last_state():
    assert output.lines_of("a\r50%\r100%\nb") == ["100%", "b"]


def test_each_line_starts_at_column_one_and_a_continued_line_does_not():
    stream = io.BytesIO()
    out = Output(stream)
    out.write(output.step("Launching... "))
    out.line("done")
    out.detail("one\ntwo")
    assert stream.getvalue().decode() == (
        f"{COLUMN_ONE}-----> Launching... done\n{COLUMN_ONE}       one\n{COLUMN_ONE}       two\n")


def test_urls_get_a_scheme_once():
    assert output.url("a.example.com") == "http://a.example.com"
    assert output.url("https://a.example.com") == "https://a.example.com"
