"""Tests for the Spanish syllabifier and readability indices (careplan.readability_es)."""

from collections.abc import Callable

import pytest

from careplan.readability_es import (
    TextStats,
    count_syllables,
    crawford,
    fernandez_huerta,
    inflesz_band,
    sentences,
    syllabify,
    szigriszt_pazos,
    text_stats,
    words,
)

# Hand-checked orthographic syllable division, RAE Ortografia 2010. Each entry is
# "word": "syl-la-bles"; the expected list is the division split on "-".
SYLLABLES: dict[str, str] = {
    # --- Required by issue 11: hiatus and diphthong cases ---
    "día": "dí-a",  # accented weak + strong: hiatus
    "país": "pa-ís",
    "baúl": "ba-úl",
    "leí": "le-í",
    "creer": "cre-er",  # strong + strong: hiatus
    "enero": "e-ne-ro",  # one-letter first syllable
    "páncreas": "pán-cre-as",  # cr onset; e + a hiatus
    "buey": "buey",  # triphthong u-e-y
    # RAE 2010: "ui"+"o" after silent u counts as a diphthong, so "guion" is an orthographic
    # monosyllable written without accent; older dictionaries gave "gui-ón".
    "guion": "guion",
    "ciudad": "ciu-dad",  # two different weak vowels: diphthong
    "muy": "muy",  # final y is a vowel
    "hoy": "hoy",
    "poeta": "po-e-ta",
    "área": "á-re-a",
    "río": "rí-o",
    "reúne": "re-ú-ne",
    # RAE: an h between vowels does not stop a diphthong, so o + i is one syllable:
    # "prohi-bir" (as in the Ortografia's own example). The brief's "pro-hi-bir" would give 3.
    "prohibir": "prohi-bir",
    "ahumado": "ahu-ma-do",
    "queso": "que-so",  # qu digraph, silent u
    "guiso": "gui-so",  # gu digraph, silent u
    "pingüino": "pin-güi-no",  # spoken ü + i diphthong
    "atleta": "a-tle-ta",  # American usage (Spain often "at-le-ta")
    "perro": "pe-rro",  # rr is one consonant
    "calle": "ca-lle",  # ll is one consonant
    "chocolate": "cho-co-la-te",  # ch is one consonant
    "instrucción": "ins-truc-ción",  # 4 consonants: ns + tr
    "transporte": "trans-por-te",  # 3 consonants, no onset: ns + p
    "abstracto": "abs-trac-to",
    "construir": "cons-truir",  # ui diphthong
    "obstáculo": "obs-tá-cu-lo",
    "oncología": "on-co-lo-gí-a",
    "neuroendocrino": "neu-ro-en-do-cri-no",  # eu diphthong, o + e hiatus
    "somatostatina": "so-ma-tos-ta-ti-na",
    "lanreotida": "lan-re-o-ti-da",
    "octreotida": "oc-tre-o-ti-da",
    "quimioterapia": "qui-mio-te-ra-pia",
    "radiación": "ra-dia-ción",
    "hígado": "hí-ga-do",
    "intestino": "in-tes-ti-no",
    "estómago": "es-tó-ma-go",
    "glucosa": "glu-co-sa",
    "azúcar": "a-zú-car",
    "insulina": "in-su-li-na",
    "fiebre": "fie-bre",
    "náuseas": "náu-se-as",
    "diarrea": "dia-rre-a",
    "vómito": "vó-mi-to",
    "análisis": "a-ná-li-sis",
    "médico": "mé-di-co",
    "enfermera": "en-fer-me-ra",
    "equipo": "e-qui-po",
    "tratamiento": "tra-ta-mien-to",
    "inyección": "in-yec-ción",  # y before a vowel is a consonant
    "pastilla": "pas-ti-lla",
    "ambulancia": "am-bu-lan-cia",
    "emergencia": "e-mer-gen-cia",
    # --- Function words ---
    "el": "el",
    "la": "la",
    "los": "los",
    "un": "un",
    "una": "u-na",
    "de": "de",
    "del": "del",
    "en": "en",
    "con": "con",
    "por": "por",
    "para": "pa-ra",
    "que": "que",
    "qué": "qué",
    "y": "y",  # the conjunction: a vowel
    "o": "o",
    "a": "a",
    "al": "al",
    "es": "es",
    "su": "su",
    "se": "se",
    "sí": "sí",
    "no": "no",
    "lo": "lo",
    "le": "le",
    "más": "más",
    "pero": "pe-ro",
    "como": "co-mo",
    "cuando": "cuan-do",
    "donde": "don-de",
    "porque": "por-que",
    "usted": "us-ted",
    "ustedes": "us-te-des",
    "hay": "hay",
    "este": "es-te",
    "sin": "sin",
    "sobre": "so-bre",
    "entre": "en-tre",
    "también": "tam-bién",
    "hasta": "has-ta",
    "desde": "des-de",
    "ya": "ya",  # initial y before a vowel is a consonant
    "bien": "bien",
    "después": "des-pués",
    "siempre": "siem-pre",
    "quién": "quién",
    "cuánto": "cuán-to",
    # --- Diphthongs and triphthongs ---
    "cuidado": "cui-da-do",
    "ruido": "rui-do",
    "huir": "huir",  # RAE 2010: orthographic monosyllable, like "guion"
    "viuda": "viu-da",
    "reunir": "reu-nir",
    "aceite": "a-cei-te",
    "agua": "a-gua",  # u before a is spoken: ua diphthong
    "antiguo": "an-ti-guo",
    "suave": "sua-ve",
    "diabetes": "dia-be-tes",
    "carcinoide": "car-ci-noi-de",
    "ion": "ion",  # RAE 2010 monosyllable
    # RAE's own examples of monosyllables written without accent since 2010:
    "truhan": "truhan",  # u + h + a: the h does not break the diphthong
    "fie": "fie",
    "liais": "liais",
    "Uruguay": "U-ru-guay",  # triphthong u-a-y
    "Paraguay": "Pa-ra-guay",
    "averiguáis": "a-ve-ri-guáis",  # triphthong with accented strong middle vowel
    "limpiáis": "lim-piáis",
    "miau": "miau",
    "guau": "guau",
    # --- Hiatus ---
    "leer": "le-er",
    "caer": "ca-er",
    "aéreo": "a-é-re-o",
    "maíz": "ma-íz",
    "oído": "o-í-do",
    "reír": "re-ír",
    "increíble": "in-cre-í-ble",
    "cirugía": "ci-ru-gí-a",
    "chiita": "chi-i-ta",  # two identical weak vowels: hiatus
    "zoológico": "zo-o-ló-gi-co",
    "cooperar": "co-o-pe-rar",
    "héroe": "hé-ro-e",
    "océano": "o-cé-a-no",
    "línea": "lí-ne-a",
    "continúa": "con-ti-nú-a",
    "Raúl": "Ra-úl",
    # --- h ---
    "ahora": "a-ho-ra",  # h between strong vowels: hiatus kept, h starts the syllable
    "ahí": "a-hí",
    "ahínco": "a-hín-co",
    "rehén": "re-hén",
    "búho": "bú-ho",
    "alcohol": "al-co-hol",
    "cohete": "co-he-te",
    "vehículo": "ve-hí-cu-lo",
    "rehúso": "re-hú-so",
    "prohíbe": "pro-hí-be",  # the accent marks the hiatus that plain "prohibir" lacks
    "zanahoria": "za-na-ho-ria",
    "ahijado": "ahi-ja-do",  # RAE example
    "desahucio": "de-sahu-cio",  # RAE example
    "ahuecar": "a-hue-car",  # a | hue: the h starts the syllable of the ue diphthong
    "ahuyentar": "ahu-yen-tar",
    "deshacer": "des-ha-cer",  # h after a consonant behaves as a consonant
    "anhelo": "an-he-lo",
    "inhalador": "in-ha-la-dor",
    "deshidratación": "des-hi-dra-ta-ción",
    "hielo": "hie-lo",
    "hueso": "hue-so",
    "hospital": "hos-pi-tal",
    # --- qu, gu, gü ---
    "quiero": "quie-ro",
    "aquí": "a-quí",
    "guerra": "gue-rra",
    "guitarra": "gui-ta-rra",
    "guante": "guan-te",
    "guía": "guí-a",
    "seguir": "se-guir",
    "cigüeña": "ci-güe-ña",
    "vergüenza": "ver-güen-za",
    "lingüística": "lin-güís-ti-ca",
    "averigüé": "a-ve-ri-güé",
    "quemadura": "que-ma-du-ra",
    # --- y ---
    "rey": "rey",
    "reyes": "re-yes",
    "ley": "ley",
    "ayuda": "a-yu-da",
    "ayuno": "a-yu-no",
    "estoy": "es-toy",
    "oyente": "o-yen-te",
    # --- Consonant clusters ---
    "hombre": "hom-bre",
    "problema": "pro-ble-ma",
    "completo": "com-ple-to",
    "inglés": "in-glés",
    "aplicar": "a-pli-car",
    "cáncer": "cán-cer",
    "examen": "e-xa-men",
    "taxi": "ta-xi",
    "exceso": "ex-ce-so",
    "extracto": "ex-trac-to",
    "perspectiva": "pers-pec-ti-va",
    "inspirar": "ins-pi-rar",
    "sustancia": "sus-tan-cia",
    "biopsia": "biop-sia",
    "psicólogo": "psi-có-lo-go",  # word-initial ps stays together
    "apnea": "ap-ne-a",
    "ritmo": "rit-mo",
    "atlas": "a-tlas",
    "cápsula": "cáp-su-la",
    "metástasis": "me-tás-ta-sis",
    "intravenoso": "in-tra-ve-no-so",
    "hipoglucemia": "hi-po-glu-ce-mia",
    "hiperglucemia": "hi-per-glu-ce-mia",
    "ecografía": "e-co-gra-fí-a",
    "gastrinoma": "gas-tri-no-ma",
    "glucagón": "glu-ca-gón",
    "pulmón": "pul-món",
    "farmacia": "far-ma-cia",
    "oxígeno": "o-xí-ge-no",
    "teléfono": "te-lé-fo-no",
    "mañana": "ma-ña-na",
    "llamar": "lla-mar",
    "coche": "co-che",
    "sangre": "san-gre",
}


def test_table_is_large_enough() -> None:
    assert len(SYLLABLES) >= 120


@pytest.mark.parametrize(("word", "division"), SYLLABLES.items(), ids=list(SYLLABLES))
def test_syllabify_table(word: str, division: str) -> None:
    expected = division.split("-")
    assert syllabify(word) == expected
    assert count_syllables(word) == len(expected)
    assert "".join(syllabify(word)) == word


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("PÁNCREAS", ["PÁN", "CRE", "AS"]),
        ("Día", ["Dí", "a"]),
        ("LLAME", ["LLA", "ME"]),
        ("GUION", ["GUION"]),
        ("AHUMADO", ["AHU", "MA", "DO"]),
        ("Pingüino", ["Pin", "güi", "no"]),
    ],
)
def test_capitals_and_accents_work_the_same(word: str, expected: list[str]) -> None:
    assert syllabify(word) == expected


def test_decomposed_accents_are_normalised() -> None:
    assert syllabify("di\u0301a") == ["dí", "a"]


@pytest.mark.parametrize("token", ["", "100", "100.4", "2026", "%", "—", "38,5"])
def test_tokens_without_letters_have_no_syllables(token: str) -> None:
    assert syllabify(token) == []
    assert count_syllables(token) == 0


def test_letters_around_digits_and_punctuation() -> None:
    assert syllabify("COVID-19") == ["CO", "VID"]
    assert syllabify("¿Tiene") == ["Tie", "ne"]
    assert count_syllables("auto-inyector") == 5  # au-to + in-yec-tor


def test_letters_without_vowel_count_as_one_syllable() -> None:
    assert count_syllables("mg") == 1
    assert count_syllables("°F") == 1


def test_sentences_counts_questions_and_exclamations() -> None:
    text = "Llame ya. ¿Tiene fiebre? ¡Vaya al hospital!"
    assert sentences(text) == ["Llame ya.", "¿Tiene fiebre?", "¡Vaya al hospital!"]


def test_two_word_sentence_counts() -> None:
    assert sentences("Llame ya.") == ["Llame ya."]
    assert len(sentences("¿Tiene fiebre?")) == 1


def test_sentences_without_space_before_opening_mark() -> None:
    assert len(sentences("Llame ya.¿Tiene fiebre?¡Vaya!")) == 3


def test_list_items_and_lines_without_punctuation() -> None:
    text = "Llame si tiene:\n- fiebre\n- diarrea que no para\n• vómitos\n1. Beba agua\n\n"
    assert sentences(text) == [
        "Llame si tiene:",
        "fiebre",
        "diarrea que no para",
        "vómitos",
        "Beba agua",
    ]


def test_decimals_and_abbreviations_do_not_end_sentences() -> None:
    text = (
        "El Dr. García la verá. Tome la pastilla a las 8 a. m. y a las 8 p. m. "
        "Llame si tiene 100.4 °F o más."
    )
    assert sentences(text) == [
        "El Dr. García la verá.",
        "Tome la pastilla a las 8 a. m. y a las 8 p. m.",
        "Llame si tiene 100.4 °F o más.",
    ]


def test_abbreviation_at_end_of_sentence() -> None:
    assert len(sentences("Venga a las 8 a. m. Traiga sus medicinas.")) == 2


def test_ellipsis_and_punctuation_only() -> None:
    assert len(sentences("Espere... Luego llame.")) == 2
    assert sentences("... ¿? ¡!") == []


def test_words_keep_numbers_and_units_as_tokens() -> None:
    assert words("¿Tiene 100.4 °F o más?") == ["Tiene", "100.4", "°F", "o", "más"]
    assert words("Llame —dijo— ya.") == ["Llame", "dijo", "ya"]
    assert words("«Glucosa»: 70 mg/dL") == ["Glucosa", "70", "mg/dL"]


def test_text_stats_of_short_text() -> None:
    stats = text_stats("Llame ya. ¿Tiene fiebre? ¡Vaya al hospital!")
    # Lla-me ya Tie-ne fie-bre Va-ya al hos-pi-tal: 2+1+2+2+2+1+3 = 13
    assert stats == TextStats(sentences=3, words=7, syllables=13)


SHORT = "Llame ya. ¿Tiene fiebre? ¡Vaya al hospital!"
# 3 sentences, 7 words, 13 syllables (see test_text_stats_of_short_text).
# FH  = 206.84 - 60*13/7 - 1.02*7/3 = 206.84 - 111.428571 - 2.38 = 93.031429
# SP  = 206.835 - 62.3*13/7 - 7/3 = 206.835 - 115.7 - 2.333333 = 88.801667
# Cr  = -0.205*(3/7*100) + 0.049*(13/7*100) - 3.407
#     = -0.205*42.857143 + 0.049*185.714286 - 3.407 = -8.785714 + 9.1 - 3.407 = -3.092714

PARAGRAPH = (
    "La lanreotida es una inyección. Se pone una vez al mes. "
    "Puede causar diarrea, dolor de barriga o náuseas. "
    "Si tiene fiebre, llame a su equipo de cuidado."
)
# Sentence 1: La(1) lan-re-o-ti-da(5) es(1) u-na(2) in-yec-ción(3)          = 5 words, 12 syll
# Sentence 2: Se(1) po-ne(2) u-na(2) vez(1) al(1) mes(1)                     = 6 words,  8 syll
# Sentence 3: Pue-de(2) cau-sar(2) dia-rre-a(3) do-lor(2) de(1) ba-rri-ga(3)
#             o(1) náu-se-as(3)                                            = 8 words, 17 syll
# Sentence 4: Si(1) tie-ne(2) fie-bre(2) lla-me(2) a(1) su(1) e-qui-po(3)
#             de(1) cui-da-do(3)                                           = 9 words, 16 syll
# Total: 4 sentences, 28 words, 53 syllables.
# FH  = 206.84 - 60*53/28 - 1.02*28/4 = 206.84 - 113.571429 - 7.14 = 86.128571
# SP  = 206.835 - 62.3*53/28 - 28/4 = 206.835 - 117.925 - 7 = 81.91
# Cr  = -0.205*(4/28*100) + 0.049*(53/28*100) - 3.407
#     = -0.205*14.285714 + 0.049*189.285714 - 3.407 = -2.928571 + 9.275 - 3.407 = 2.939429


def test_paragraph_counts() -> None:
    assert text_stats(PARAGRAPH) == TextStats(sentences=4, words=28, syllables=53)


@pytest.mark.parametrize(
    ("text", "fh", "sp", "cr"),
    [
        (SHORT, 93.031429, 88.801667, -3.092714),
        (PARAGRAPH, 86.128571, 81.91, 2.939429),
    ],
    ids=["short", "paragraph"],
)
def test_index_values(text: str, fh: float, sp: float, cr: float) -> None:
    assert fernandez_huerta(text) == pytest.approx(fh, abs=1e-6)
    assert szigriszt_pazos(text) == pytest.approx(sp, abs=1e-6)
    assert crawford(text) == pytest.approx(cr, abs=1e-6)


def test_paragraph_band() -> None:
    assert inflesz_band(szigriszt_pazos(PARAGRAPH)) == "muy fácil"


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (-5.0, "muy difícil"),
        (39.99, "muy difícil"),
        (40.0, "algo difícil"),
        (54.99, "algo difícil"),
        (55.0, "normal"),
        (64.99, "normal"),
        (65.0, "bastante fácil"),
        (80.0, "bastante fácil"),
        (80.01, "muy fácil"),
        (120.0, "muy fácil"),
    ],
)
def test_inflesz_band(score: float, band: str) -> None:
    assert inflesz_band(score) == band


def test_inflesz_band_rejects_nan() -> None:
    with pytest.raises(ValueError, match="NaN"):
        inflesz_band(float("nan"))


def test_harder_text_scores_lower() -> None:
    easy = "Tome agua. Descanse. Llame si tiene fiebre."
    hard = (
        "La administración subcutánea de análogos de somatostatina puede ocasionar "
        "esteatorrea, colelitiasis e hiperglucemia transitoria."
    )
    assert fernandez_huerta(hard) < fernandez_huerta(easy)
    assert szigriszt_pazos(hard) < 55 <= szigriszt_pazos(easy)
    assert crawford(hard) > crawford(easy)


@pytest.mark.parametrize("func", [fernandez_huerta, szigriszt_pazos, crawford, text_stats])
@pytest.mark.parametrize("text", ["", "   \n", "¿? ¡! ..."])
def test_empty_text_raises(func: Callable[[str], object], text: str) -> None:
    with pytest.raises(ValueError, match=r"empty text|without words"):
        func(text)
