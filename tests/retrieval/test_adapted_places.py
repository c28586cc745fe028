"""The question side adapted to the corpus in the search, on the small real index (which
fine-tunes its own query encoder on the committed training questions about its units)."""
from dataclasses import replace

import pytest

from retrieval.search import ANSWERABILITY_PLACES, HybridSearcher, RetrievalWeights

pytestmark = pytest.mark.slow

PLAIN = replace(RetrievalWeights(), adapter=False)
# A training question whose unit the plain search does not place among the first ten.
QUESTION = ("Хто вирішує спір, якщо федеральне агентство і муніципалітет як співвласники Jobcenter не можуть "
            "домовитися, хто з них відповідає за певне питання?")
UNIT = "§ 44e Abs. 1 SGB II"


@pytest.fixture(scope="module")
def searcher(core_index_settings):
    return HybridSearcher(core_index_settings)


def test_the_small_index_has_a_query_encoder_tuned_on_the_questions_about_its_units(searcher):
    fitted = searcher.index.query_adapter()
    assert fitted is not None and fitted["questions"] >= 200 and fitted["kind"] == "query encoder"


def test_the_adapter_finds_a_unit_the_plain_search_misses_and_says_so(searcher):
    plain = searcher.search(QUESTION, k=10, weights=PLAIN)
    adapted = searcher.search(QUESTION, k=10)
    assert UNIT not in [h.chunk.label for h in plain.hits]
    found = next(h for h in adapted.hits if h.chunk.label == UNIT)
    assert found.adapted and found.reasons["adapter"].startswith("angepasstes Fragemodell, Platz ")
    assert "cos" in found.reasons["dense"]   # its similarity to the question itself, not the adapted vector


def test_the_encoder_ranks_every_place_and_answerability_reads_the_plain_search_s_first(searcher):
    for question in (QUESTION, "Wer gehört zur Bedarfsgemeinschaft?", "Wie hoch ist das Kurzarbeitergeld?"):
        plain = searcher.search(question, k=10, weights=PLAIN)
        adapted = searcher.search(question, k=10)
        assert adapted.hits[0].reasons["adapter"] == "angepasstes Fragemodell, Platz 1"
        assert [h.chunk_id for h in adapted.plain_hits] == [h.chunk_id for h in plain.hits[:ANSWERABILITY_PLACES]]
        assert len({h.chunk_id for h in adapted.hits}) == len(adapted.hits)
        assert len(adapted.hits[:10]) == len(plain.hits[:10])
        assert plain.plain_hits is None


def test_the_unit_a_training_question_names_comes_first_when_a_citizen_asks_in_other_words(searcher):
    # § 57 Abs. 2 SGB III (a second Berufsausbildung) has a training question ("Ich habe schon eine
    # Ausbildung abgeschlossen, finde damit aber keine Arbeit …"); this one tells another situation
    # in other words. The plain search ranks the unit fifth.
    question = ("Ich bin Malerin und darf wegen einer Lungenkrankheit nicht mehr in meinem Beruf arbeiten. "
                "Fördert die Arbeitsagentur eine zweite Ausbildung?")
    plain = searcher.search(question, k=10, weights=PLAIN)
    adapted = searcher.search(question, k=10)
    assert plain.hits[0].chunk.label != "§ 57 Abs. 2 SGB III"
    assert adapted.hits[0].chunk.label == "§ 57 Abs. 2 SGB III"


def test_a_lookup_of_named_units_is_not_changed_by_the_adapter(searcher):
    question = "Was steht in § 7 Abs. 3 SGB II?"
    plain = searcher.search(question, k=10, weights=PLAIN)
    adapted = searcher.search(question, k=10)
    assert [h.chunk_id for h in adapted.hits] == [h.chunk_id for h in plain.hits]
    assert adapted.plain_hits is None


def test_settings_without_training_questions_search_without_the_stored_adapter(core_index_settings):
    off = HybridSearcher(core_index_settings.model_copy(update={"query_adapter_questions": None}))
    result = off.search(QUESTION, k=10)
    assert result.plain_hits is None and not any(h.adapted for h in result.hits)
    assert UNIT not in [h.chunk.label for h in result.hits]


KEYWORD_SHARE_CASES = [
    # § 63 Abs. 1 SGB III (a trainee's travel costs, "Fahrkosten") came first.
    ("Mein Sohn fährt mit seiner Klasse auf Klassenfahrt. Zahlt das Jobcenter die Kosten?", "§ 28 Abs. 2 SGB II"),
    # § 136 Abs. 1 SGB III (who has a claim to Arbeitslosengeld) came before the § on its amount.
    ("Wie hoch ist das Arbeitslosengeld?", "§ 149 SGB III"),
]
# The tuned search without the training questions' votes: the keyword side's share alone decides
# these two (since the votes count, they put both units first at either share, the test after).
NO_VOTES = replace(RetrievalWeights(), neighbours=0.0)


@pytest.mark.parametrize("question, unit", KEYWORD_SHARE_CASES)
def test_the_tuned_search_gives_the_keyword_side_half_its_share(searcher, question, unit):
    full = searcher.search(question, k=10, weights=replace(NO_VOTES, tuned_lexical=1.0))
    tuned = searcher.search(question, k=10, weights=NO_VOTES)
    assert full.hits[0].chunk.label != unit
    assert tuned.hits[0].chunk.label == unit
    assert tuned.hits[0].reasons["adapter"] == "angepasstes Fragemodell, Platz 1"


@pytest.mark.parametrize("question, unit", KEYWORD_SHARE_CASES)
def test_the_training_questions_votes_put_the_unit_first_even_at_the_keyword_side_s_full_share(
        searcher, question, unit):
    full = searcher.search(question, k=10, weights=replace(RetrievalWeights(), tuned_lexical=1.0))
    assert full.hits[0].chunk.label == unit
    share, _, _ = full.hits[0].reasons["neighbours"].partition("%")
    assert int(share) >= 90


def test_a_question_citing_a_law_keeps_the_keyword_side_s_full_share(searcher):
    # At half its share § 16a SGB II, the encoder's neighbour of § 16, came second and was quoted.
    result = searcher.search("Welche Leistungen zur Eingliederung in Arbeit können nach § 16 SGB II erbracht werden?",
                             k=10)
    labels = [h.chunk.label for h in result.hits]
    assert labels[0] == "§ 16 Abs. 1 SGB II"
    assert "§ 16a SGB II" not in labels[:5]


def test_the_norm_the_nearest_training_questions_name_is_a_reason_of_its_units(searcher):
    # QUESTION is itself a training question about § 44e Abs. 1 SGB II: the nearest training
    # question is itself, so § 44e SGB II has most of the vote, and its unit says so.
    result = searcher.search(QUESTION, k=10)
    found = next(h for h in result.hits if h.chunk.label == UNIT)
    share, _, words = found.reasons["neighbours"].partition("% ")
    assert words == "der nächsten Trainingsfragen" and int(share) >= 50
    assert found.neighbour_share >= 0.5


def test_without_the_neighbours_weight_no_unit_claims_their_vote(searcher):
    off = searcher.search(QUESTION, k=10, weights=replace(RetrievalWeights(), neighbours=0.0))
    assert not any("neighbours" in h.reasons for h in off.hits)
    assert UNIT in [h.chunk.label for h in off.hits]


def test_the_search_says_how_near_the_nearest_training_question_is(searcher):
    # What answerability reads as "the corpus covers this" (``NEAR_TRAINING_QUESTION``): a training
    # question itself is its own nearest; a question about dog tax in Essen is near none.
    from retrieval.answerability import NEAR_TRAINING_QUESTION

    assert searcher.search(QUESTION, k=10).training_similarity > 0.99
    # Computed (the adapted search ran: above 0), and below the rule's cosine.
    assert 0.0 < searcher.search("Wie hoch ist die Hundesteuer in Essen?", k=10).training_similarity < NEAR_TRAINING_QUESTION
    # Without the adapted search there is nothing to be near.
    assert searcher.search(QUESTION, k=10, weights=PLAIN).training_similarity == 0.0
