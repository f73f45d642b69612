"""The words of the class's pages, each defined in one line, and the delegations' names as the pages show them.

The pages put each term's definition in an ``<abbr title>`` where the term appears and list
them all in a glossary panel (:data:`GLOSSARY`, served at ``/api/glossary``). The
definitions follow the Final Acts and the reports cited in ``wcitsim/data/SOURCES.md``.
The data's short names (``USA``, ``UK``) read well in a table of 193 rows; the pages
show a delegation by its full name and its ISO3 code once: "United States (USA)".
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["GLOSSARY", "Term", "display_name", "glossary"]


@dataclass(frozen=True)
class Term:
    """A term, the spellings the pages mark with its definition (``match``), and its one-line definition."""

    term: str
    definition: str
    match: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        """The term as the pages read it."""
        return {"term": self.term, "definition": self.definition, "match": list(self.match or (self.term,))}


GLOSSARY: tuple[Term, ...] = (
    # the conference
    Term("WCIT-12", "The World Conference on International Telecommunications, Dubai, 3–14 December 2012, "
         "convened by the ITU to revise the ITRs."),
    Term("ITU", "The International Telecommunication Union, the UN's specialised agency for telecommunications, "
         "with 193 Member States."),
    Term("Member States", "The 193 states that belong to the ITU; 144 of them had signing rights in Dubai.",
         ("Member States", "Member State")),
    Term("ITRs", "The International Telecommunication Regulations: the treaty on international telecommunication "
         "services, adopted in 1988 and revised at WCIT-12.", ("ITRs", "ITR")),
    Term("1988 rules", "The ITRs of 1988 (Melbourne): a state that does not sign the 2012 text stays bound by them.",
         ("1988 rules", "1988 text", "1988")),
    Term("Final Acts", "The texts the conference adopted and opened for signature on 14 December 2012 (the revised "
         "ITRs and their resolutions); 89 of the 144 states with signing rights signed."),
    Term("salience", "How much a clause matters to your delegation; a delegation's saliences add up to 100 %."),
    Term("your interest", "What your capital wants on the clause, seeded from data: regional group, blocs, "
         "regime, Internet use, income and UN voting."),
    Term("consensus", "A clause stands as the chair drafted it when few enough delegations object to it; "
         "otherwise it goes to a vote."),
    Term("contested", "A clause without consensus, put to a vote: yes keeps the chair's text, no returns the "
         "clause to the 1988 text.", ("contested", "without consensus")),
    Term("abstain", "Take part in the vote without voting yes or no; an abstention does not count as a vote "
         "cast."),
    # who the ITRs bind
    Term("recognized operating agencies", "The 1988 scope: operators that a Member State recognizes and places "
         "under the ITU's treaty obligations, traditionally the telephone companies (ROAs).",
         ("recognized operating agencies", "recognized operating agency", "ROAs", "ROA")),
    Term("authorized operating agencies", "The Final Acts' scope (Art. 1.1, No. 2A): operating agencies that a "
         "Member State authorizes or recognizes to provide international telecommunication services to the "
         "public; wider than recognized operating agencies.",
         ("authorized operating agencies", "authorized operating agency")),
    Term("all operating agencies", "Operating agencies with no qualifier: every operator, a term the US State "
         "Department said would cover Internet service providers.",
         ("all operating agencies incl. Internet firms", "all operating agencies")),
    # the Internet
    Term("Res. PLEN/3", "The non-binding resolution on the Internet attached to the Final Acts, declared adopted "
         "by majority after the chair's show of hands past midnight on 12–13 December."),
    Term("Art. 3.8", "A proposed article on the management of Internet naming, numbering and addressing "
         "resources (Russia, then the Arab group); it is not in the Final Acts."),
    Term("non-binding resolution", "A text the conference adopts that creates no treaty obligation, as "
         "Res. PLEN/3 on the Internet."),
    Term("binding article on Internet governance and resources", "A treaty article giving Member States a role "
         "in governing the Internet and its resources, as Art. 3.8 proposed; not adopted."),
    # security and spam
    Term("Art. 5A", "The new article on the security and robustness of networks: Member States endeavour, "
         "individually and collectively, to ensure the security and robustness of international telecommunication networks."),
    Term("information-security obligations", "Binding duties over the security of the information that networks "
         "carry, not only of the networks; critics read them as a path to controlling content."),
    Term("Art. 5B", "The new article on unsolicited bulk electronic communications (spam): Member States endeavour "
         "to take measures to prevent its propagation; the US held it opened the door to regulating content."),
    Term("binding content and spam controls", "Treaty obligations to control spam and other content carried on "
         "networks; not adopted."),
    # the preamble and content
    Term("right of access", "The preamble's sentence recognizing \"the right of access of Member States to "
         "international telecommunication services\", added at Iran's request and adopted 77–33–8 on "
         "13 December.", ("right of access of Member States", "right of access")),
    Term("human-rights commitment", "The preamble's sentence: Member States implement the Regulations \"in a "
         "manner that respects and upholds their human rights obligations\".",
         ("commitment to human-rights obligations", "human-rights commitment")),
    Term("Art. 1.1a", "\"These Regulations do not address the content-related aspects of telecommunications\": "
         "the Final Acts' exclusion of content.", ("Art. 1.1a", "explicit exclusion of content")),
    Term("silence", "The text says nothing on content, as the 1988 ITRs say nothing."),
    Term("content provisions", "Treaty provisions on what telecommunications carry (content), which the "
         "Final Acts exclude in Art. 1.1a."),
    # charging
    Term("Art. 6", "The ITRs' article on charging and accounting: how operators pay each other for "
         "international traffic."),
    Term("commercial agreements", "Operators set the prices of exchanging international traffic by negotiating "
         "among themselves."),
    Term("regulated termination", "The price of delivering (terminating) international traffic on another "
         "country's network set by accounting rates agreed between administrations, as in the 1988 Art. 6."),
    Term("sending-party-network-pays", "ETNO's proposal (the European operators' association) that the network "
         "sending traffic, Internet traffic included, pays the receiving network; CEPT rejected it and it is "
         "not in the Final Acts.", ("sending-party-network-pays", "sending party network pays", "SPNP")),
    # the regional groups a delegation caucuses with
    Term("APT", "The Asia-Pacific Telecommunity: the regional telecommunication organisation of Asia and the "
         "Pacific, which prepared its members' common proposals."),
    Term("ASMG", "The Arab Spectrum Management Group: the Arab League's telecommunication group, which prepared "
         "the Arab states' common proposals."),
    Term("ATU", "The African Telecommunications Union, which prepared Africa's common proposals."),
    Term("CEPT", "The European Conference of Postal and Telecommunications Administrations, which prepared "
         "Europe's common proposals (and rejected ETNO's)."),
    Term("CITEL", "The Inter-American Telecommunication Commission of the Organization of American States, which "
         "prepared the Americas' common proposals."),
    Term("RCC", "The Regional Commonwealth in the field of Communications: Russia and other former Soviet "
         "states, which prepared their common proposals."),
)  # fmt: skip

#: Full names where the data's name is an abbreviation or reads as a catalogue entry.
FULL_NAMES = {
    "ARE": "United Arab Emirates",
    "COD": "Democratic Republic of the Congo",
    "COG": "Republic of the Congo",
    "FSM": "Micronesia",
    "GBR": "United Kingdom",
    "LAO": "Laos",
    "USA": "United States",
    "VAT": "Holy See (Vatican)",
}


def display_name(iso3: str, name: str) -> str:
    """The name the pages show for the delegation ``iso3`` whose data name is ``name``."""
    return FULL_NAMES.get(iso3, name)


def glossary() -> list[dict]:
    """The glossary as the pages read it: term, definition and the spellings to mark."""
    return [term.to_dict() for term in GLOSSARY]
