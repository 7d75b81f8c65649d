"""Applicant ids: an organisation's 统一社会信用代码 is checked (GB 32100-2015) and a fault is named by position."""

from __future__ import annotations

import pytest

from guangxi_subsidy.engine.register.identity import IdentityError, applicant_id, check_character, credit_code

# Two published codes. The check character of the first, by hand, with GB 32100-2015's weights (3**i mod 31):
# Σ Ci·Wi = 9·1+1·3+4·9+4·27+0·19+3·26+0·16+0·17+7·20+0·29+8·25+4·13+6·8+1·24+1·10+3·30+6·28
#         = 9+3+36+108+0+78+0+0+140+0+200+52+48+24+10+90+168 = 966; 966 mod 31 = 5 (31·31 = 961); 31 − 5 = 26;
# the 27th character of 0–9 A B C D E F G H J K L M N P Q R T U W X Y (index 26) is 'T'.
GOOD = ("91440300708461136T", "91110000600037341L")


def test_weights_are_powers_of_three_modulo_31() -> None:
    from guangxi_subsidy.engine.register.identity import WEIGHTS

    assert list(WEIGHTS) == [pow(3, i, 31) for i in range(17)]


@pytest.mark.parametrize("code", GOOD)
def test_a_published_code_passes_its_check(code: str) -> None:
    assert credit_code(code.lower()) == code
    assert check_character(code[:17]) == code[17]


def test_a_wrong_check_character_is_refused_naming_position_18_and_the_expected_character() -> None:
    with pytest.raises(IdentityError) as error:
        credit_code("91440300708461136X")
    assert "character 18" in str(error.value)
    assert "'T'" in str(error.value)


def test_a_mistyped_character_in_the_body_is_caught_by_the_check() -> None:
    with pytest.raises(IdentityError, match="character 18"):
        credit_code("91440300708461137T")  # 6 → 7 at position 17


def test_a_letter_the_code_never_uses_is_named_by_its_position() -> None:
    with pytest.raises(IdentityError, match="character 9 'O'"):
        credit_code("91440300O08461136T")


def test_the_division_code_must_be_digits() -> None:
    with pytest.raises(IdentityError, match="character 4 'A'"):
        credit_code("914A0300708461136T")


def test_a_code_of_the_wrong_length_says_how_long_it_is() -> None:
    with pytest.raises(IdentityError, match="17 characters, expected 18"):
        credit_code("91440300708461136")


def test_an_individual_keeps_the_office_s_own_id_unchecked() -> None:
    assert applicant_id(" NN-P-0001 ", "individual") == "NN-P-0001"
    with pytest.raises(IdentityError):
        applicant_id("NN-P-0001", "enterprise")
