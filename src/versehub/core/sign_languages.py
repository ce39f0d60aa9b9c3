"""The sign languages a reader can choose: ISO 639-3 codes with their names, one list for all.

Preferences, agents' profiles and sign-language videos name a language by its ISO 639-3 code
(`ase`, `bfi`, ...), never by free text, so that a video recorded in British Sign Language is
offered to every reader who chose it. Readers know their language by its name or its common
abbreviation ("ASL", "BSL", "Auslan"), which `resolve` accepts too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class SignLanguage:
    """One sign language: its ISO 639-3 code, its English name and its usual abbreviation."""

    code: str
    name: str
    abbreviation: str

    @property
    def label(self) -> str:
        """What a person picks from a list: "British Sign Language (BSL)"."""
        if self.abbreviation.casefold() in self.name.casefold():
            return self.name
        return f"{self.name} ({self.abbreviation})"


# Ordered by name; codes from ISO 639-3 (SIL's registry), abbreviations as the communities use them.
SIGN_LANGUAGES: tuple[SignLanguage, ...] = tuple(
    sorted(
        (
            SignLanguage("ase", "American Sign Language", "ASL"),
            SignLanguage("asq", "Austrian Sign Language", "ÖGS"),
            SignLanguage("asf", "Auslan (Australian Sign Language)", "Auslan"),
            SignLanguage("bfi", "British Sign Language", "BSL"),
            SignLanguage("bzs", "Brazilian Sign Language", "Libras"),
            SignLanguage("csl", "Chinese Sign Language", "CSL"),
            SignLanguage("dsl", "Danish Sign Language", "DTS"),
            SignLanguage("dse", "Dutch Sign Language", "NGT"),
            SignLanguage("fse", "Finnish Sign Language", "FinSL"),
            SignLanguage("fsl", "French Sign Language", "LSF"),
            SignLanguage("gsg", "German Sign Language", "DGS"),
            SignLanguage("ins", "Indo-Pakistani Sign Language", "IPSL"),
            SignLanguage("ils", "International Sign", "IS"),
            SignLanguage("isg", "Irish Sign Language", "ISL"),
            SignLanguage("ise", "Italian Sign Language", "LIS"),
            SignLanguage("jsl", "Japanese Sign Language", "JSL"),
            SignLanguage("kvk", "Korean Sign Language", "KSL"),
            SignLanguage("mfs", "Mexican Sign Language", "LSM"),
            SignLanguage("nzs", "New Zealand Sign Language", "NZSL"),
            SignLanguage("ncs", "Nicaraguan Sign Language", "ISN"),
            SignLanguage("nsl", "Norwegian Sign Language", "NTS"),
            SignLanguage("pso", "Polish Sign Language", "PJM"),
            SignLanguage("psr", "Portuguese Sign Language", "LGP"),
            SignLanguage("fcs", "Quebec Sign Language", "LSQ"),
            SignLanguage("sfs", "South African Sign Language", "SASL"),
            SignLanguage("ssp", "Spanish Sign Language", "LSE"),
            SignLanguage("swl", "Swedish Sign Language", "STS"),
            SignLanguage("sgg", "Swiss-German Sign Language", "DSGS"),
            SignLanguage("ssr", "Swiss-French Sign Language", "LSF-CH"),
        ),
        key=lambda language: language.name,
    )
)
BY_CODE: Mapping[str, SignLanguage] = {language.code: language for language in SIGN_LANGUAGES}
_BY_ANY_NAME: Mapping[str, SignLanguage] = {
    key.casefold(): language
    for language in SIGN_LANGUAGES
    for key in (language.code, language.abbreviation, language.name)
}
CODES: tuple[str, ...] = tuple(BY_CODE)


def resolve(value: str) -> SignLanguage | None:
    """The sign language named by a code, an abbreviation or a name (any case), or None."""
    return _BY_ANY_NAME.get(value.strip().casefold())


def name_of(code: str | None) -> str | None:
    """The display label of a code, or None for no or an unknown code."""
    language = BY_CODE.get(code or "")
    return language.label if language else None


def known(code: str | None) -> str | None:
    """`code` when it is a listed ISO 639-3 code, otherwise None (free text from older data)."""
    return code if code in BY_CODE else None
