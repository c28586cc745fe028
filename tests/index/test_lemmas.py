from index.lemmas import lemma


def test_plural_and_case_forms_meet_their_lemma():
    assert lemma("Wohnungen") == "Wohnung"
    assert lemma("Kindern") == "Kind"
    assert lemma("Bedarfsgemeinschaften") == "Bedarfsgemeinschaft"


def test_participle_meets_its_verb():
    assert lemma("angerechnet") == "anrechnen"


def test_unknown_word_is_its_own_lemma():
    assert lemma("Xyzzyquux") == "Xyzzyquux"
