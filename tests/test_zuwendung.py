"""Unit tests for the Verwendungsnachweis arithmetic (docs/domain.md: deadlines, Finanzierungsarten, examples).

The worked examples of docs/domain.md ("Worked examples") are the fixtures; each rule also gets a case of its own,
because the rules (not the examples) are what is checked.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from docgen import numbers
from docgen.documents import zuwendung as zw
from docgen.documents import zuwendung_fristen as zf
from docgen.documents.zuwendung import Berechnung, berechne, pruefe
from docgen.errors import InvalidField
from docgen.numbers import to_money

D = Decimal


def vn(
    art: str,
    hoechstbetrag: Any,
    ausgezahlt: Any,
    einnahmen: list[tuple[str, Any, Any]],
    ausgaben: list[tuple[str, Any, Any]] | list[dict[str, Any]],
    **weiteres: Any,
) -> dict[str, Any]:
    """A minimal Verwendungsnachweis input; a Zuwendung line with Ist = paid out is added."""
    finanzierung: dict[str, Any] = {"art": art, "hoechstbetrag": hoechstbetrag}
    finanzierung.update(weiteres.pop("finanzierung", {}))
    zeilen = [{"art": a, "soll": s, "ist": i} for a, s, i in einnahmen]
    if not any(z["art"] == "Zuwendung" for z in zeilen):
        zeilen.append({"art": "Zuwendung", "soll": hoechstbetrag, "ist": ausgezahlt})
    return {
        "finanzierung": finanzierung,
        "auszahlungen": [{"datum": "2025-03-01", "betrag": ausgezahlt}],
        "einnahmen": zeilen,
        "ausgaben": [a if isinstance(a, dict) else {"position": a[0], "soll": a[1], "ist": a[2]} for a in ausgaben],
        **weiteres,
    }


def codes(b: Berechnung) -> list[str]:
    return [p.code for p in b.probleme]


# --- money helpers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wert", "erwartet"),
    [
        (1234, "1234.00"),
        ("1234.50", "1234.50"),
        (" 7.1 ", "7.10"),
        (D("0.005"), "0.01"),  # half-up, not banker's rounding
        (D("2.675"), "2.68"),
        (D("-0.005"), "-0.01"),
        (D("-0.001"), "0.00"),  # no negative zero in receipts
    ],
)
def test_to_money_rounds_half_up_to_cents(wert: Any, erwartet: str) -> None:
    assert f"{to_money(wert):f}" == erwartet


@pytest.mark.parametrize("wert", [1.5, True, None, [1]])
def test_to_money_refuses_float_and_other_types(wert: Any) -> None:
    with pytest.raises(TypeError):
        to_money(wert)


@pytest.mark.parametrize("wert", ["abc", "", "NaN", "Infinity", "1,50"])
def test_to_money_refuses_non_numbers(wert: str) -> None:
    with pytest.raises(ValueError):
        to_money(wert)


def test_share_in_percent_has_two_decimals_and_none_without_base() -> None:
    assert numbers.anteil(D(1), D(3)) == D("33.33")
    assert numbers.anteil(D(2), D(3)) == D("66.67")
    assert numbers.anteil(D(1), D(0)) is None


# --- Anteilfinanzierung (worked example: plan 100.000, 60 %, H 60.000, paid 60.000) -----------------------


def anteil(ist: Any, **weiteres: Any) -> Berechnung:
    einnahmen = weiteres.pop("einnahmen", [("Eigenanteil", 40000, 40000)])
    data = vn("Anteilfinanzierung", 60000, 60000, einnahmen, [("Projekt", 100000, ist)], **weiteres)
    data["finanzierung"]["foerdersatz"] = 60
    return berechne(data)


def test_a1_lower_expenses_reduce_the_grant_proportionally() -> None:
    b = anteil(80000)
    assert b.anerkannte_ausgaben == D("80000.00")
    assert b.zuwendung_festgesetzt == D("48000.00")
    assert b.erstattung == D("12000.00")
    assert b.nachzahlung == D("0.00")
    assert b.fehler == ()


def test_a3_higher_expenses_do_not_raise_the_grant_above_hoechstbetrag() -> None:
    b = anteil(120000)
    assert b.zuwendung_festgesetzt == D("60000.00")  # 72.000 capped, no Nachfinanzierung
    assert b.erstattung == D("0.00")
    assert b.nachzahlung == D("0.00")


def test_anteil_extra_deckungsmittel_beyond_plan_reduce_the_base() -> None:
    einnahmen = [("Eigenanteil", 30000, 30000), ("Leistungen Dritter", 10000, 15000)]
    b = anteil(100000, einnahmen=einnahmen)
    assert b.deckung.mehr_deckungsmittel == D("5000.00")
    assert b.zuwendung_festgesetzt == D("57000.00")  # 60 % × (100.000 − 5.000)
    assert b.erstattung == D("3000.00")


def test_anteil_fewer_deckungsmittel_than_planned_do_not_raise_the_grant() -> None:
    einnahmen = [("Eigenanteil", 30000, 35000), ("Leistungen Dritter", 10000, 5000)]
    assert anteil(100000, einnahmen=einnahmen).zuwendung_festgesetzt == D("60000.00")


def test_anteil_rounds_the_grant_half_up_to_cents() -> None:
    assert zw.zuwendung_anteil(D("0.25"), D(50), D(100)) == D("0.13")  # 0.125 → 0.13
    assert zw.zuwendung_anteil(D("1000.00"), D("33.333"), D(5000)) == D("333.33")


def test_anteil_without_foerdersatz_is_an_error() -> None:
    data = vn("Anteilfinanzierung", 60000, 60000, [], [("Projekt", 100000, 80000)])
    b = berechne(data)
    assert [(p.path, p.code, p.level) for p in b.fehler] == [
        ("/finanzierung/foerdersatz", "finanzierung.foerdersatz_fehlt", "error")
    ]
    assert b.zuwendung_festgesetzt == D("0.00")


def test_short_forms_of_the_finanzierungsart_are_accepted() -> None:
    data = vn("Anteil", 60000, 60000, [], [("Projekt", 100000, 80000)], finanzierung={"foerdersatz": "60"})
    b = berechne(data)
    assert b.finanzierung.art == zf.ANTEIL
    assert b.zuwendung_festgesetzt == D("48000.00")


def test_unknown_finanzierungsart_is_an_error() -> None:
    b = berechne(vn("Zuschuss", 1000, 1000, [], [("P", 1000, 1000)]))
    assert "finanzierung.art" in codes(b)
    assert b.zuwendung_festgesetzt == D("0.00")


# --- Fehlbedarfsfinanzierung (worked example: plan 100.000, Eigen 20.000, Dritte 10.000, H 70.000) --------


def fehlbedarf(ausgaben: Any, dritte: Any, eigen: Any = 20000) -> Berechnung:
    einnahmen = [("Eigenanteil", 20000, eigen), ("Leistungen Dritter", 10000, dritte)]
    return berechne(vn("Fehlbedarfsfinanzierung", 70000, 70000, einnahmen, [("Projekt", 100000, ausgaben)]))


def test_b1_savings_and_extra_income_reduce_the_grant_in_full() -> None:
    b = fehlbedarf(92000, 13000)
    assert b.zuwendung_festgesetzt == D("59000.00")
    assert b.erstattung == D("11000.00")  # 8.000 Minderausgaben + 3.000 Mehreinnahmen


def test_b2_higher_expenses_are_capped_at_hoechstbetrag() -> None:
    b = fehlbedarf(110000, 10000)
    assert b.zuwendung_festgesetzt == D("70000.00")  # 80.000 capped
    assert b.erstattung == D("0.00")


def test_fehlbedarf_planned_eigenanteil_is_kept_in_full() -> None:
    # Reporting only 15.000 own funds does not raise the grant above 59.000.
    assert fehlbedarf(92000, 13000, eigen=15000).zuwendung_festgesetzt == D("59000.00")
    # More own funds than planned do lower it (own means are used first).
    assert fehlbedarf(92000, 13000, eigen=25000).zuwendung_festgesetzt == D("54000.00")


def test_fehlbedarf_never_negative() -> None:
    assert fehlbedarf(25000, 13000).zuwendung_festgesetzt == D("0.00")


# --- Vollfinanzierung and Festbetragsfinanzierung ----------------------------------------------


def test_c1_vollfinanzierung_follows_the_recognised_expenses() -> None:
    b = berechne(vn("Vollfinanzierung", 50000, 50000, [], [("Projekt", 50000, 46500)]))
    assert b.zuwendung_festgesetzt == D("46500.00")
    assert b.erstattung == D("3500.00")


def test_vollfinanzierung_other_income_reduces_the_grant_in_full() -> None:
    einnahmen = [("Leistungen Dritter", 0, 1000)]  # e.g. Teilnahmebeiträge
    b = berechne(vn("Vollfinanzierung", 50000, 50000, einnahmen, [("Projekt", 50000, 46500)]))
    assert b.zuwendung_festgesetzt == D("45500.00")
    assert b.erstattung == D("4500.00")


def test_d1_festbetrag_stays_when_expenses_fall_but_not_below_it() -> None:
    b = berechne(vn("Festbetragsfinanzierung", 20000, 20000, [("Eigenanteil", 20000, 10000)], [("P", 40000, 30000)]))
    assert b.zuwendung_festgesetzt == D("20000.00")
    assert b.erstattung == D("0.00")


def test_festbetrag_falls_to_recognised_expenses_below_it() -> None:
    b = berechne(vn("Festbetragsfinanzierung", 20000, 20000, [], [("P", 40000, 18000)]))
    assert b.zuwendung_festgesetzt == D("18000.00")
    assert b.erstattung == D("2000.00")


def test_festbetrag_per_unit_uses_the_actual_units_and_is_capped() -> None:
    festbetrag = {"festbetrag": {"satz": "150.00", "menge_plan": 100, "menge_ist": 90}}
    b = berechne(vn("Festbetrag", 15000, 15000, [], [("P", 30000, 30000)], finanzierung=festbetrag))
    assert b.finanzierung.festbetrag == D("13500.00")
    assert b.zuwendung_festgesetzt == D("13500.00")
    assert zw.zuwendung_festbetrag(D(50000), D(20000), D(15000)) == D(15000)  # never above H


# --- KI per-post Höchstbetrag model (worked example) --------------------------------------------------------


def ki(personal: list[dict[str, Any]], ausgaben: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    if ausgaben is None:
        ausgaben = [
            {"position": "Personalausgaben Fachkräfte", "soll": 285000, "ist": "268412.77", "personalausgaben": True},
            {"position": "Personalausgaben VA", "soll": 22500, "ist": "21980.40", "personalausgaben": True},
        ]
    return {
        **vn("Vollfinanzierung", 307500, 307500, [], ausgaben),
        "personal": personal,
        "bewilligungszeitraum": {"von": "2025-01-01", "bis": "2025-12-31"},
    }


VA = {"stellenart": "Verwaltungsassistenz", "vzae": "0.5", "monate_besetzt": 12, "hoechstbetrag_je_vzae": 45000}
FACHKRAEFTE_JE_STELLE = [
    {"stellenart": "Fachkraft", "vzae": 4, "monate_besetzt": 12, "hoechstbetrag_je_vzae": 57000, "ist": "214730.22"},
    {"stellenart": "Fachkraft", "vzae": 1, "monate_besetzt": 9, "hoechstbetrag_je_vzae": 57000, "ist": "53682.55"},
]


def test_ki_per_post_model_one_entry_per_post_group() -> None:
    b = berechne(ki([*FACHKRAEFTE_JE_STELLE, {**VA, "ist": "21980.40"}]))
    fachkraft, va = b.personal
    assert fachkraft.hoechstbetrag == D("270750.00")  # 57.000 × 4,75
    assert fachkraft.vzae_monate / 12 == D("4.75")
    assert fachkraft.anerkannt == D("268412.77")
    assert va.hoechstbetrag == D("22500.00")
    assert va.anerkannt == D("21980.40")
    assert b.zuwendung_festgesetzt == D("290393.17")
    assert b.erstattung == D("17106.83")
    assert b.ueberschuss == D("17106.83")
    assert b.probleme == ()


def test_ki_per_post_model_vzae_weighted_months_give_the_same_cap() -> None:
    fachkraft = {"stellenart": "Fachkraft", "vzae": 5, "monate_besetzt": "11.4", "hoechstbetrag_je_vzae": 57000}
    b = berechne(ki([{**fachkraft, "ist": "268412.77"}, {**VA, "ist": "21980.40"}]))
    assert b.personal[0].hoechstbetrag == D("270750.00")
    assert (b.zuwendung_festgesetzt, b.erstattung) == (D("290393.17"), D("17106.83"))


def test_ki_personnel_above_the_cap_is_cut_and_warned() -> None:
    ausgaben = [{"position": "Personalausgaben", "soll": 307500, "ist": "297000.00", "personalausgaben": True}]
    personal = [{**FACHKRAEFTE_JE_STELLE[0], "ist": "222000.00"}, {**FACHKRAEFTE_JE_STELLE[1], "ist": "53000.00"}]
    b = berechne(ki([*personal, {**VA, "ist": "22000.00"}], ausgaben))
    assert b.personal[0].gekappt
    assert b.kuerzung_personal == D("4250.00")  # 275.000 − 270.750
    assert b.anerkannte_ausgaben == D("292750.00")  # 270.750 + 22.000
    assert b.zuwendung_festgesetzt == D("292750.00")
    warnung = next(p for p in b.warnungen if p.code == "personal.hoechstbetrag_ueberschritten")
    assert warnung.path == "/personal/0/ist"


def test_ki_personal_without_ausgaben_lines_makes_up_the_ausgaben() -> None:
    b = berechne(ki([*FACHKRAEFTE_JE_STELLE, {**VA, "ist": "21980.40"}], ausgaben=[]))
    assert b.zuwendung_festgesetzt == D("290393.17")
    assert b.erstattung == D("17106.83")
    assert b.ueberschuss == D("17106.83")
    assert codes(b) == ["ausgaben.nur_personal"]


def test_personnel_cap_and_20_percent_rule_do_not_cut_twice() -> None:
    # Personnel line: Soll 10.000, Ist 13.000 → 20 % rule recognises 12.000 (cut 1.000);
    # per-post cap 12.500 (cut 500). The tighter ceiling (12.000) binds; nothing is cut twice.
    ausgaben = [
        {"position": "Personal", "soll": 10000, "ist": 13000, "personalausgaben": True},
        {"position": "Sachkosten", "soll": 5000, "ist": 5000},
    ]
    personal = [
        {"stellenart": "Fachkraft", "vzae": 1, "monate_besetzt": 12, "hoechstbetrag_je_vzae": 12500, "ist": 13000}
    ]
    b = berechne({**vn("Vollfinanzierung", 20000, 20000, [], ausgaben), "personal": personal})
    assert b.kuerzung_personal == D("0.00")
    assert b.anerkannte_ausgaben == D("17000.00")
    # With a tighter cap (11.000: cut 2.000) the cap binds and only its excess is cut.
    personal[0]["hoechstbetrag_je_vzae"] = 11000
    b = berechne({**vn("Vollfinanzierung", 20000, 20000, [], ausgaben), "personal": personal})
    assert b.kuerzung_personal == D("1000.00")
    assert b.anerkannte_ausgaben == D("16000.00")


def test_unmarked_ausgaben_personnel_caps_cut_the_total() -> None:
    ausgaben = [
        {"position": "Personal", "soll": 60000, "ist": 60000},
        {"position": "Sachkosten", "soll": 5000, "ist": 4000},
    ]
    personal = [
        {"stellenart": "Fachkraft", "vzae": 1, "monate_besetzt": 12, "hoechstbetrag_je_vzae": 57000, "ist": 60000}
    ]
    b = berechne({**vn("Vollfinanzierung", 65000, 65000, [], ausgaben), "personal": personal})
    assert b.anerkannte_ausgaben == D("61000.00")  # 57.000 + 4.000


def test_caps_per_vzae_can_come_from_stellen_hoechstbetraege() -> None:
    personal = [{"stellenart": "Fachkraft", "vzae": 2, "monate_besetzt": 6, "ist": 60000}]
    stellen = {"stellen_hoechstbetraege": [{"stellenart": "Fachkraft", "vzae": 2, "betrag_je_vzae": 57000}]}
    data = vn("Vollfinanzierung", 60000, 60000, [], [], finanzierung=stellen)
    b = berechne({**data, "personal": personal})
    assert b.personal[0].hoechstbetrag == D("57000.00")
    assert b.zuwendung_festgesetzt == D("57000.00")


def test_stellen_hoechstbetrag_formula_and_pooling() -> None:
    assert zw.stellen_hoechstbetrag(D(57000), D("0.5"), D(7)) == D("16625.00")
    assert zw.stellen_hoechstbetrag(D(1000), D(1), D(1)) == D("83.33")  # 83,333… half-up
    posten = [
        zw.PersonalPosten("A", D(1), D(12), D(1000), D(1200)),
        zw.PersonalPosten("A", D(1), D(12), D(1000), D(700)),  # saving offsets the other post
        zw.PersonalPosten("B", D(1), D(12), None, D(5000)),  # no cap given
    ]
    a, b = zw.personal_kappung(posten)
    assert (a.ist, a.hoechstbetrag, a.anerkannt, a.gekappt) == (D(1900), D(2000), D(1900), False)
    assert (b.hoechstbetrag, b.anerkannt) == (None, D(5000))


# --- 20 % rule (worked example: plan 50.000 / 20.000 / 10.000) ------------------------------------------------

PLAN = [("Personal", 50000, None), ("Honorare", 20000, None), ("Sachkosten", 10000, None)]


def zwanzig(ist: tuple[Any, Any, Any], genehmigt: bool = False) -> Berechnung:
    ausgaben: list[dict[str, Any]] = [
        {"position": p, "soll": s, "ist": i} for (p, s, _), i in zip(PLAN, ist, strict=True)
    ]
    ausgaben[1]["ueberschreitung_genehmigt"] = genehmigt
    return berechne(vn("Vollfinanzierung", 90000, 80000, [], ausgaben))


def test_f1_overrun_within_20_percent_compensated_is_ok() -> None:
    b = zwanzig((49000, 23500, 7500))
    assert [z.status for z in b.ausgaben] == ["ok", "ok", "ok"]
    assert b.ausgaben[1].abweichung == D("3500.00")
    assert b.ausgaben[1].abweichung_prozent == D("17.50")
    assert b.ausgaben[2].abweichung_prozent == D("-25.00")
    assert b.ausgeglichen
    assert b.anerkannte_ausgaben == D("80000.00")
    assert b.probleme == ()


def test_f3_overrun_not_compensated_is_a_warning() -> None:
    b = zwanzig((50000, 23000, 10000))
    assert b.ausgaben[1].abweichung_prozent == D("15.00")
    assert not b.ausgeglichen
    assert [(p.path, p.code, p.level) for p in b.probleme] == [
        ("/ausgaben", "ausgaben.nicht_ausgeglichen", "warning"),
        ("/einnahmen", "bilanz.fehlbetrag", "warning"),
    ]
    assert b.anerkannte_ausgaben == D("83000.00")
    assert b.fehlbetrag == D("3000.00")


def test_line_above_20_percent_is_capped_at_120_percent_and_flagged() -> None:
    b = zwanzig((45000, 25000, 10000))
    zeile = b.ausgaben[1]
    assert (zeile.status, zeile.grenze_120, zeile.anerkannt) == (zw.GEKAPPT, D("24000.00"), D("24000.00"))
    assert zeile.abweichung_prozent == D("25.00")
    assert b.summen.ausgaben_ist == D("80000.00")
    assert b.anerkannte_ausgaben == D("79000.00")
    warnung = next(p for p in b.probleme if p.code == "ausgaben.ueber_20_prozent")
    assert (warnung.path, warnung.level) == ("/ausgaben/1/ist", "warning")


def test_approved_overrun_is_not_capped() -> None:
    b = zwanzig((45000, 25000, 10000), genehmigt=True)
    assert (b.ausgaben[1].status, b.ausgaben[1].anerkannt) == (zw.GENEHMIGT, D("25000.00"))
    assert b.anerkannte_ausgaben == D("80000.00")
    assert "ausgaben.ueber_20_prozent" not in codes(b)


@pytest.mark.parametrize(
    ("soll", "ist", "genehmigt", "erwartet"),
    [
        ("100.00", "120.00", False, ("120.00", "ok")),  # exactly 120 % is allowed
        ("100.00", "120.01", False, ("120.00", "ueber_20_prozent_gekappt")),
        ("100.00", "120.01", True, ("120.01", "ueberschreitung_genehmigt")),
        ("0.00", "50.00", False, ("0.00", "ueber_20_prozent_gekappt")),  # not in the plan at all
        ("10.01", "12.02", False, ("12.01", "ueber_20_prozent_gekappt")),  # limit 12,012 → 12,01
        ("500.00", "100.00", False, ("100.00", "ok")),
    ],
)
def test_zwanzig_prozent_regel(soll: str, ist: str, genehmigt: bool, erwartet: tuple[str, str]) -> None:
    anerkannt, status = zw.zwanzig_prozent_regel(D(soll), D(ist), genehmigt)
    assert (f"{anerkannt:f}", status) == erwartet


# --- Erstattung, Nachzahlung, Bilanz -----------------------------------------------------------


def test_erstattung_is_never_negative_and_respects_the_bagatellgrenze() -> None:
    assert zw.erstattung(D(1000), D(1200)) == D("0.00")
    assert zw.erstattung(D(1000), D(800)) == D(200)
    assert zw.erstattung(D(1000), D(800), bagatellgrenze=D(500)) == D("0.00")
    assert zw.erstattung(D(1000), D(400), bagatellgrenze=D(500)) == D(600)


def test_nachzahlung_is_information_only_and_bounded_by_hoechstbetrag() -> None:
    data = vn("Anteilfinanzierung", 60000, 40000, [], [("Projekt", 100000, 80000)], finanzierung={"foerdersatz": 60})
    b = berechne(data)
    assert (b.zuwendung_festgesetzt, b.erstattung, b.nachzahlung) == (D(48000), D(0), D(8000))
    assert zw.nachzahlung(D(10), D(500), D(100)) == D(90)


def test_bagatellgrenze_from_nebenbestimmungen() -> None:
    data = vn(
        "Vollfinanzierung", 50000, 50000, [], [("P", 50000, "49700.00")], nebenbestimmungen={"bagatellgrenze": 500}
    )
    b = berechne(data)
    assert (b.zuwendung_festgesetzt, b.erstattung) == (D("49700.00"), D("0.00"))


def test_shares_and_sums_of_einnahmen() -> None:
    einnahmen = [("Eigenanteil", 20000, 20000), ("Leistungen Dritter", 10000, 13000), ("Öffentliche Förderung", 0, 500)]
    b = berechne(vn("Fehlbedarfsfinanzierung", 70000, 70000, einnahmen, [("P", 100000, 92000)]))
    assert [z.anteil_soll for z in b.einnahmen] == [D("20.00"), D("10.00"), D("0.00"), D("70.00")]
    # Shares of Σ Ist 103.500; each is rounded on its own, so they sum to 100 within rounding.
    assert [z.anteil_ist for z in b.einnahmen] == [D("19.32"), D("12.56"), D("0.48"), D("67.63")]
    assert b.einnahmen[2].abweichung_prozent is None  # no Soll
    assert (b.summen.einnahmen_soll, b.summen.einnahmen_ist) == (D(100000), D(103500))
    assert (b.summen.ausgaben_soll, b.summen.ausgaben_ist) == (D(100000), D(92000))
    assert b.ueberschuss == D("11500.00")
    assert b.zuwendung_festgesetzt == D("58500.00")  # 92.000 − 20.000 − 13.500


# --- validation --------------------------------------------------------------------------------


def test_zuwendung_ist_must_equal_paid_out() -> None:
    data = vn("Vollfinanzierung", 50000, 50000, [("Zuwendung", 50000, 45000)], [("P", 50000, 50000)])
    fehler = berechne(data).fehler
    assert [(p.path, p.code) for p in fehler] == [("/einnahmen/0/ist", "einnahmen.zuwendung_ungleich_ausgezahlt")]
    assert "45.000,00" in fehler[0].message and "50.000,00" in fehler[0].message


def test_zuwendung_line_missing_or_twice_is_an_error() -> None:
    data = vn("Vollfinanzierung", 50000, 50000, [], [("P", 50000, 50000)])
    data["einnahmen"] = []
    assert codes(berechne(data)) == ["einnahmen.zuwendung_fehlt", "bilanz.fehlbetrag"]
    data["einnahmen"] = [{"art": "Zuwendung des Landes", "soll": 25000, "ist": 25000}] * 2
    assert codes(berechne(data)) == ["einnahmen.zuwendung_mehrfach"]


def test_unknown_einnahme_art_is_an_error_but_still_counted() -> None:
    b = berechne(vn("Vollfinanzierung", 50000, 50000, [("Spenden", 0, 1000)], [("P", 50000, 50000)]))
    assert [(p.path, p.code) for p in b.fehler] == [("/einnahmen/0/art", "einnahmen.art")]
    assert b.zuwendung_festgesetzt == D("49000.00")


def test_malformed_values_name_their_json_path() -> None:
    data = vn("Vollfinanzierung", 50000, 50000, [], [("P", 50000, "viel")])
    with pytest.raises(InvalidField) as info:
        berechne(data)
    assert info.value.problem.path == "/ausgaben/0/ist"
    assert [p.path for p in pruefe(data)] == ["/ausgaben/0/ist"]
    data["ausgaben"][0]["ist"] = 1.5  # a float slipped through: refused, never computed with
    assert pruefe(data)[0].code == "eingabe.format"
    del data["finanzierung"]
    assert pruefe(data)[0].path == "/finanzierung"


@pytest.mark.parametrize("satz", [0, "-5", "100.5"])
def test_foerdersatz_outside_0_to_100_is_an_error(satz: Any) -> None:
    data = vn("Anteilfinanzierung", 60000, 60000, [], [("P", 100000, 80000)], finanzierung={"foerdersatz": satz})
    assert [(p.path, p.code) for p in berechne(data).fehler] == [
        ("/finanzierung/foerdersatz", "finanzierung.foerdersatz_bereich")
    ]


def test_negative_amounts_vzae_and_months_are_refused() -> None:
    data = vn("Vollfinanzierung", 50000, 50000, [], [("P", 50000, "-1.00")])
    assert [(p.path, p.code) for p in pruefe(data)] == [("/ausgaben/0/ist", "eingabe.negativ")]
    personal = [{"stellenart": "Fachkraft", "vzae": "-1", "monate_besetzt": 12, "ist": 100}]
    data = {**vn("Vollfinanzierung", 50000, 50000, [], []), "personal": personal}
    assert [(p.path, p.code) for p in pruefe(data)] == [("/personal/0/vzae", "eingabe.negativ")]


def test_pruefe_returns_errors_and_warnings() -> None:
    data = vn("Vollfinanzierung", 50000, 50000, [("Zuwendung", 50000, 1)], [("P", 100, 200)])
    assert [(p.code, p.level) for p in pruefe(data)] == [
        ("einnahmen.zuwendung_ungleich_ausgezahlt", "error"),
        ("ausgaben.ueber_20_prozent", "warning"),
        ("ausgaben.nicht_ausgeglichen", "warning"),
        ("bilanz.fehlbetrag", "warning"),
    ]


# --- receipt ---------------------------------------------------------------------------------------


def test_as_dict_is_json_with_money_as_two_decimal_strings() -> None:
    data = ki([*FACHKRAEFTE_JE_STELLE, {**VA, "ist": "21980.40"}])
    data["zinsen"] = {"basiszinssatz": "1.27", "ab": "2026-02-01", "bis": "2026-03-03"}
    daten = berechne(data).as_dict()
    json.dumps(daten)  # serialisable as is
    assert daten["zuwendung_festgesetzt"] == "290393.17"
    assert daten["erstattung"] == "17106.83"
    assert daten["ausgezahlt"] == "307500.00"
    assert daten["nachzahlung"] == "0.00"
    assert daten["vorlagefrist"] == "2026-06-30"
    assert daten["ausgaben"][0]["abweichung_prozent"] == "-5.82"
    assert daten["einnahmen"][0]["anteil_ist"] == "100.00"
    assert daten["zinsen"]["tage"] == 30
    assert daten["zinsen"]["betrag"] == "60.04"  # 17.106,83 × 4,27 % × 30 / 365 = 60,037…
    assert daten["probleme"] == []


def test_berechne_accepts_money_as_strings_ints_and_decimals() -> None:
    als_text = berechne(vn("Vollfinanzierung", "50000.00", "50000", [], [("P", "50000", "46500.00")]))
    als_zahl = berechne(vn("Vollfinanzierung", D("50000.00"), 50000, [], [("P", 50000, D("46500"))]))
    assert als_text.as_dict() == als_zahl.as_dict()


# --- deadlines ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bwz_bis", "zweck", "erwartet"),
    [
        (date(2025, 12, 31), None, date(2026, 6, 30)),
        (date(2025, 12, 31), date(2025, 10, 31), date(2026, 4, 30)),  # 31.10. + 6 months
        (date(2025, 12, 31), date(2025, 8, 31), date(2026, 2, 28)),  # month-end clamping
        (date(2023, 12, 31), date(2023, 8, 31), date(2024, 2, 29)),  # leap year
        (date(2025, 12, 31), date(2025, 12, 15), date(2026, 6, 15)),
        (date(2025, 12, 31), date(2026, 3, 1), date(2026, 6, 30)),  # the BWZ bound is earlier
        (date(2025, 3, 15), None, date(2025, 9, 30)),  # end of the 6th month after March
        (date(2025, 8, 31), None, date(2026, 2, 28)),
        (date(2027, 8, 31), None, date(2028, 2, 29)),
    ],
)
def test_vorlagefrist(bwz_bis: date, zweck: date | None, erwartet: date) -> None:
    assert zf.vorlagefrist(bwz_bis, zweck) == erwartet


def test_vorlagefrist_from_input_with_override_and_zwischennachweis() -> None:
    data: dict[str, Any] = {"bewilligungszeitraum": {"von": "2025-01-01", "bis": "2025-12-31"}}
    assert zf.vorlagefrist_aus_eingabe(data) == date(2026, 6, 30)
    assert zf.vorlagefrist_aus_eingabe({**data, "zweck_erfuellt_am": "2025-10-31"}) == date(2026, 4, 30)
    override = {"nebenbestimmungen": {"vn_frist_override": "2026-03-31"}}
    assert zf.vorlagefrist_aus_eingabe({**data, **override}) == date(2026, 3, 31)
    assert zf.vorlagefrist_aus_eingabe({**data, "nachweisart": "Zwischennachweis", "berichtsjahr": 2025}) == date(
        2026, 4, 30
    )
    assert zf.vorlagefrist_aus_eingabe({}) is None


def test_plus_monate_clamps_to_month_end() -> None:
    assert zf.plus_monate(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert zf.plus_monate(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert zf.plus_monate(date(2025, 11, 30), 3) == date(2026, 2, 28)
    assert zf.plus_monate(date(2025, 5, 15), 0) == date(2025, 5, 15)


# --- interest ----------------------------------------------------------------------------------


def test_zinsen_simple_period() -> None:
    z = zf.zinsen(D("10000.00"), date(2025, 1, 1), date(2026, 1, 1), D("2.27"))
    assert (z.tage, z.abschnitte[0].zinssatz, z.betrag) == (365, D("5.27"), D("527.00"))
    z = zf.zinsen(D("10000.00"), date(2025, 3, 1), date(2025, 3, 31), D("2.27"))
    assert (z.tage, z.betrag) == (30, D("43.32"))  # 43,315… half-up


def test_zinsen_negative_basiszinssatz_lowers_the_rate() -> None:
    z = zf.zinsen(D("10000.00"), date(2021, 1, 1), date(2022, 1, 1), D("-0.88"))
    assert (z.abschnitte[0].zinssatz, z.betrag) == (D("2.12"), D("212.00"))


def test_zinsen_rate_never_below_zero_and_aufschlag_is_a_parameter() -> None:
    assert zf.zinsen(D(1000), date(2025, 1, 1), date(2026, 1, 1), D(-4)).betrag == D("0.00")
    assert zf.zinsen(D(1000), date(2025, 1, 1), date(2026, 1, 1), D(1), D(5)).betrag == D("60.00")  # federal


def test_zinsen_split_where_the_basiszinssatz_changes() -> None:
    saetze = [(date(2024, 7, 1), D("3.37")), (date(2025, 1, 1), D("2.27")), (date(2025, 7, 1), D("1.27"))]
    z = zf.zinsen(D("10000.00"), date(2024, 12, 1), date(2025, 8, 1), saetze)
    assert [(a.ab, a.tage, a.zinssatz) for a in z.abschnitte] == [
        (date(2024, 12, 1), 31, D("6.37")),
        (date(2025, 1, 1), 181, D("5.27")),
        (date(2025, 7, 1), 31, D("4.27")),
    ]
    assert [a.betrag for a in z.abschnitte] == [D("54.10"), D("261.33"), D("36.27")]
    assert (z.tage, z.betrag) == (243, D("351.70"))


def test_zinsen_errors() -> None:
    with pytest.raises(ValueError, match="vor dem Zinsbeginn"):
        zf.zinsen(D(1000), date(2025, 2, 1), date(2025, 1, 1), D(1))
    with pytest.raises(ValueError, match="kein Basiszinssatz"):
        zf.zinsen(D(1000), date(2025, 1, 1), date(2025, 2, 1), [(date(2025, 1, 15), D(1))])
    assert zf.zinsen(D(1000), date(2025, 1, 1), date(2025, 1, 1), D(1)).betrag == D("0.00")


def test_zinsen_via_berechne_on_the_erstattung() -> None:
    data = vn("Vollfinanzierung", 50000, 50000, [], [("P", 50000, 46500)])
    data["zinsen"] = {"basiszinssatz": "-0.88", "ab": "2025-01-01", "bis": "2026-01-01"}
    b = berechne(data)
    assert b.zinsen is not None
    assert (b.zinsen.hauptbetrag, b.zinsen.betrag) == (D("3500.00"), D("74.20"))  # 3.500 × 2,12 %
    data["zinsen"] = {**data["zinsen"], "bis": "2024-12-01"}
    assert pruefe(data)[0].code == "zinsen.zeitraum"
    data["zinsen"] = {"basiszinssatz": [{"ab": "2024-07-01", "satz": "3.37"}], "ab": "2025-01-01", "bis": "2025-01-31"}
    assert berechne(data).zinsen.betrag == D("18.32")  # type: ignore[union-attr]
