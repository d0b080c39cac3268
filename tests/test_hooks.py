"""How the build hook turns what a block printed into Markdown."""

from hooks import _text_output
from literate.execute import Output


def test_plain_output_goes_in_a_titled_box():
    assert _text_output(Output("text", "x = 1\ny = 2\n")) == ["", '```text title="出力"', "x = 1", "y = 2", "```"]


def test_a_printed_markdown_table_becomes_a_table_between_text_boxes():
    printed = "before\n| a | b |\n| --- | ---: |\n| 1 | 2 |\n| 3 | 4 |\nafter\n"
    assert _text_output(Output("text", printed)) == [
        "", '```text title="出力"', "before", "```",
        "", "| a | b |", "| --- | ---: |", "| 1 | 2 |", "| 3 | 4 |", "",
        "", '```text title="出力"', "after", "```",
    ]


def test_pipes_without_a_rule_row_stay_text():
    printed = "| not | a table |\n| just | pipes |\n"
    assert _text_output(Output("text", printed))[1] == '```text title="出力"'


def test_a_fence_inside_the_output_gets_a_longer_fence():
    rendered = _text_output(Output("text", "```\n"))
    assert rendered[1] == '````text title="出力"' and rendered[-1] == "````"
