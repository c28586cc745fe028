"""A question with its settings survives the trip through a URL."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from app_support.share import AskOptions, SharedQuestion, from_query_params, share_url, to_query_params
from fundstelle.settings import MAX_K

DEFAULT = AskOptions(mode="extractive", k=8)


def test_round_trip_keeps_question_and_every_setting():
    shared = SharedQuestion("Was regelt § 16 SGB II?", AskOptions(kinds=("law", "ba"), documents=("sgb2-2025-02-27",),
                                                                  laws=("SGB II",), as_of="2025-03-01", mode="extractive",
                                                                  k=5, lang="en"))
    url = share_url("http://127.0.0.1:8501/", shared)
    params = dict(parse_qsl(urlsplit(url).query))
    assert from_query_params(params, DEFAULT) == shared


def test_url_without_question_shares_nothing():
    assert from_query_params({"k": "3"}, DEFAULT) is None


def test_malformed_values_fall_back_to_defaults():
    shared = from_query_params({"q": "Frage", "k": "viele", "as_of": "2025-13-45", "mode": "magic",
                                "kinds": "law,unknown", "lang": "fr"}, DEFAULT)
    assert shared.options == AskOptions(kinds=("law",), mode="extractive", k=8, lang="de")


def test_k_is_clamped_to_the_slider_range():
    assert from_query_params({"q": "x", "k": "500"}, DEFAULT).options.k == MAX_K


def test_ask_kwargs_pass_no_empty_filters():
    assert AskOptions(k=3).ask_kwargs() == {"kinds": None, "documents": None, "laws": None, "as_of": None,
                                            "mode": "extractive", "k": 3}


def test_query_params_are_short_for_default_filters():
    assert to_query_params(SharedQuestion("Frage")) == {"q": "Frage", "mode": "extractive", "k": "8", "lang": "de"}
