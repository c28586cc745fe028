from index.expansion import expansion_tokens
from index.german import tokenize_german
from index.thesaurus import Thesaurus

THESAURUS = Thesaurus.from_text("werdende Mutter;schwanger;gravid\nLohn;Arbeitsentgelt;Entgelt\n")
CORPUS_VOCABULARY = set(tokenize_german("werdende Mütter erhalten einen Mehrbedarf. Arbeitsentgelt und Entgelt."))


def expand(question: str, **kwargs) -> list[str]:
    return expansion_tokens(question, tokenize_german, CORPUS_VOCABULARY, thesaurus=THESAURUS, **kwargs)


def test_everyday_word_brings_the_legal_words_the_corpus_uses():
    tokens = expand("Ich bin schwanger, bekomme ich mehr?")
    assert set(tokenize_german("werdende Mutter")) <= set(tokens)
    assert "gravid" not in tokens  # a synonym the corpus never uses adds nothing


def test_inflected_form_reaches_its_synonyms_through_the_lemma():
    assert set(tokenize_german("Arbeitsentgelt")) <= set(expand("Werden Löhne angerechnet?"))


def test_a_nominalised_adjective_brings_the_legal_words_of_its_adjective():
    assert set(tokenize_german("werdende Mutter")) <= set(expand("Bekommen Schwangere mehr Geld?"))


def test_question_terms_are_not_repeated():
    assert not set(expand("Entgelt")) & set(tokenize_german("Entgelt"))


def test_synonyms_can_be_turned_off():
    assert expand("Ich bin schwanger", synonyms=False) == []
