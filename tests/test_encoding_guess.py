"""The CSV reader's guess of a file's encoding from its first bytes (`csvsource.detect_encoding`): UTF-8 when
most lines that are not plain ASCII are UTF-8, so a few lines pasted in GBK are bad rows, not a whole file of
mojibake; GB18030 when most are not."""

from __future__ import annotations

from guangxi_subsidy.engine.intake.csvsource import detect_encoding

HEADER = b"id,name,city\n"
UTF8_LINE = "1,南宁某科技有限公司,南宁\n".encode()
GBK_LINE = "2,梧州某公司,梧州\n".encode("gbk")


def test_a_sample_all_utf8_is_utf8() -> None:
    assert detect_encoding(HEADER + UTF8_LINE * 50) == "utf-8"


def test_a_character_cut_by_the_sample_end_is_not_held_against_utf8() -> None:
    sample = HEADER + UTF8_LINE * 50 + "3,柳州".encode()[:-1]  # the sample ends inside 州 (3 bytes, 2 read)
    assert detect_encoding(sample) == "utf-8"


def test_a_few_gbk_lines_among_utf8_lines_leave_the_file_utf8() -> None:
    assert detect_encoding(HEADER + UTF8_LINE * 40 + GBK_LINE * 3 + UTF8_LINE * 5) == "utf-8"


def test_mostly_gbk_lines_make_the_file_gb18030() -> None:
    assert detect_encoding(HEADER + GBK_LINE * 40 + UTF8_LINE * 3) == "gb18030"


def test_a_byte_order_mark_says_utf8_sig() -> None:
    assert detect_encoding(b"\xef\xbb\xbf" + HEADER + GBK_LINE) == "utf-8-sig"
