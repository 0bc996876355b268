import pytest

from inference.dates import chronology_date, find_date, heading_year


@pytest.mark.parametrize("text, year, expected", [
    ("On the 29th November 2009, Sajwa contacted the police.", None, "2009-11-29"),
    ("On the 18th October, Amir had contact with the clinic.", 2014, "2014-10-18"),
    ("In July 2010, Amir was diagnosed.", None, "2010-07"),
    ("In 2010 Amir started working.", None, "2010"),
    ("Around September of 2017, he got back in touch.", None, "2017-09"),
    ("On the 15th Jun 2018, during a routine appointment", None, "2018-06-15"),
    ("The review was agreed on 12/05/2019.", None, "2019-05-12"),
    ("The review panel met four times.", None, None),
    ("Established under the Domestic Violence, Crime and Victims Act 2004.", None, None),
    ("At 14.38 he dialled 999.", 2019, None),
    ("On the 18th October, he called.", None, None),  # no year to give it
])
def test_find_date(text, year, expected):
    assert find_date(text, context_year=year) == expected


def test_chronology_date_continues_and_steps_a_day():
    assert chronology_date("At 14.38 Amir dialled 999.", running="2019-01-12", context_year=2019) == "2019-01-12"
    assert chronology_date("The next day, the bank called.", running="2020-01-02", context_year=2020) == "2020-01-03"


def test_chronology_date_ignores_a_look_back_but_keeps_an_opening_date():
    look_back = "An intelligence check found information from the incident on the 3rd December 2018."
    assert chronology_date(look_back, running="2019-01", context_year=2019) == "2019-01"
    assert chronology_date("In 28th January 2012, she attended.", running="2012-10-19", context_year=2012) == "2012-01-28"


def test_heading_year():
    assert heading_year("2014") == 2014
    assert heading_year("2009 - 2013") == 2009
    assert heading_year("Malik (her brother)") is None
