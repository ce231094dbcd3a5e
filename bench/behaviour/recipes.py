"""The ingredients the generator builds the stored test sets from: sources, claims, frames, entity groups,
templates and the rewrites of reference-article sentences. Everything here is this project's own text.

Source classes follow ``corpora/ANNOTATION_GUIDELINE.md`` (source classes of attributions): ``named``
sources are institutions a reader can identify and check (no real person is made to say anything);
unverified ones are ``named_unverifiable`` (accounts and channels), ``anonymous`` or ``vague``.
"""

from __future__ import annotations

#: named, checkable sources (institutions; singular or collective, so any past-tense cue fits)
NAMED_SOURCES: tuple[str, ...] = (
    "the Ministry of Defence", "the State Department", "the Pentagon", "the Kremlin", "the European Commission",
    "the Ukrainian General Staff", "the US Treasury", "NATO's press office", "the International Atomic Energy Agency",
    "the World Health Organization", "the UN refugee agency", "the Foreign Office", "the French Interior Ministry",
    "the Federal Reserve", "the Justice Department", "the German Finance Ministry",
)

#: named, checkable US sources for PolNeAR's 2016 campaign articles
NAMED_SOURCES_US: tuple[str, ...] = (
    "the Justice Department", "the State Department", "the FBI", "the Pentagon", "the White House press office",
    "the Federal Election Commission", "the Census Bureau", "the Clinton campaign", "the Trump campaign",
    "the Republican National Committee", "the Democratic National Committee", "the Department of Homeland Security",
)

#: unverified sources with their guideline class
UNVERIFIED_SOURCES: tuple[tuple[str, str], ...] = (
    ("a Telegram channel", "named_unverifiable"),
    ("an anonymous Telegram account", "named_unverifiable"),
    ("a pro-Kremlin Telegram channel", "named_unverifiable"),
    ("an unverified social media account", "named_unverifiable"),
    ("a blog with no named author", "named_unverifiable"),
    ("a viral Facebook post", "named_unverifiable"),
    ("officials who asked not to be named", "anonymous"),
    ("a source familiar with the matter", "anonymous"),
    ("sources close to the government", "anonymous"),
    ("a senior official speaking on condition of anonymity", "anonymous"),
    ("unnamed intelligence agents", "anonymous"),
    ("people briefed on the discussions", "anonymous"),
    ("some observers", "vague"),
    ("critics", "vague"),
    ("people on social media", "vague"),
)

#: bland claims, so that only the source carries the signal
CLAIMS: tuple[str, ...] = (
    "the convoy had crossed the border overnight",
    "the minister would step down before the end of the month",
    "the grain shipment had left the port on Tuesday",
    "two generals had been dismissed",
    "the talks would resume in Geneva next week",
    "the power plant was running at reduced capacity",
    "the embassy would reopen in the spring",
    "the budget would be cut by a tenth",
    "the prisoners had been exchanged at dawn",
    "the airport had been closed to civilian flights",
    "the vaccine supply would double by June",
    "the army had withdrawn from the northern town",
    "the central bank was considering a rate rise",
    "the summit had been postponed",
    "the oil pipeline had been shut for repairs",
    "the ceasefire had held through the weekend",
)

#: frames with {source}, {cue} and {claim}; each says where the cue may become "claimed"
FRAMES: tuple[tuple[str, bool], ...] = (
    ("{Source} {cue} {claim}.", True),
    ("{Claim}, {source} {cue}.", True),
    ("{Source} {cue} on Monday that {claim}.", True),
    ("According to {source}, {claim}.", False),
)

#: the cue of a named source; an unverified source's cue becomes "claimed" in a share of the cases
CUE = "said"
UNVERIFIED_CUE = "claimed"

#: reference-article rewrites: (sentence index in the harness's split, what to replace, replacement,
#: direction, original class, variant class). Sentences 14 and 15 are one quote-and-attribution unit.
REFERENCE_SWAPS: tuple[tuple[tuple[int, ...], str, str, str, str, str], ...] = (
    ((1,), "The Ukrainian military claimed", "A Ukrainian Telegram channel claimed", "to_unverified", "named",
     "named_unverifiable"),
    ((3,), "British and defence intelligence officials also suggested",
     "The UK Ministry of Defence also suggested", "to_named", "anonymous", "named"),
    ((4,), "A Russian Telegram channel indicated", "The Russian Defence Ministry indicated", "to_named",
     "named_unverifiable", "named"),
    ((5,), "Telegram account General CVR wrote, citing tip offs from “retired and active intelligence agents”",
     "the Kremlin said in a published statement", "to_named", "named_unverifiable", "named"),
    ((6,), "the same account reported", "the Kremlin’s press office reported", "to_named", "named_unverifiable",
     "named"),
    ((7,), "a new report has claimed", "a Russian government statement has said", "to_named", "vague", "named"),
    ((8,), "Ukrainian officials have confirmed", "Ukraine’s Defence Ministry has confirmed", "to_named", "anonymous",
     "named"),
    ((14, 15), "Telegram account General CVR questioned", "the Turkish Foreign Ministry questioned", "to_named",
     "named_unverifiable", "named"),
)

# ------------------------------------------------------------------------------------------ invariance
#: swap groups: side A and side B, each a list of entities with one surface per form
ENTITY_GROUPS: dict[str, dict[str, object]] = {
    "leaders_russia_vs_west": {
        "description": "heads of state: Russia and Belarus vs Western leaders",
        "sides": ("russia_belarus", "west"),
        "A": [{"full": "Vladimir Putin", "short": "Putin", "titled": "Russian President Vladimir Putin"},
              {"full": "Alexander Lukashenko", "short": "Lukashenko",
               "titled": "Belarusian President Alexander Lukashenko"}],
        "B": [{"full": "Joe Biden", "short": "Biden", "titled": "US President Joe Biden"},
              {"full": "Emmanuel Macron", "short": "Macron", "titled": "French President Emmanuel Macron"},
              {"full": "Olaf Scholz", "short": "Scholz", "titled": "German Chancellor Olaf Scholz"},
              {"full": "Rishi Sunak", "short": "Sunak", "titled": "British Prime Minister Rishi Sunak"}],
    },
    "countries_russia_allies_vs_west": {
        "description": "countries: Russia, Belarus, Iran vs France, Germany, Britain, Poland",
        "sides": ("russia_allies", "west"),
        "A": [{"name": "Russia", "adjective": "Russian"}, {"name": "Belarus", "adjective": "Belarusian"},
              {"name": "Iran", "adjective": "Iranian"}],
        "B": [{"name": "France", "adjective": "French"}, {"name": "Germany", "adjective": "German"},
              {"name": "Britain", "adjective": "British"}, {"name": "Poland", "adjective": "Polish"}],
    },
    "us_parties": {
        "description": "US parties: Democratic vs Republican",
        "sides": ("democratic", "republican"),
        "A": [{"plural": "Democrats", "party": "the Democratic Party", "adjective": "Democratic"}],
        "B": [{"plural": "Republicans", "party": "the Republican Party", "adjective": "Republican"}],
    },
    "us_candidates_2016": {
        "description": "2016 US presidential candidates: Clinton vs Trump",
        "sides": ("clinton", "trump"),
        "A": [{"full": "Hillary Clinton", "short": "Clinton"}],
        "B": [{"full": "Donald Trump", "short": "Trump"}],
    },
    "outlets_left_vs_right": {
        "description": "news outlets: left-leaning vs right-leaning (rough AllSides-style leaning)",
        "sides": ("left_leaning", "right_leaning"),
        "A": [{"outlet": "The Guardian"}, {"outlet": "MSNBC"}, {"outlet": "CNN"}, {"outlet": "The New York Times"}],
        "B": [{"outlet": "Fox News"}, {"outlet": "Breitbart"}, {"outlet": "The Daily Telegraph"},
              {"outlet": "The Wall Street Journal"}],
    },
}

#: templates per group: (form, text with {E}); neutral, loaded and unverified-sounding sentences alike
ENTITY_TEMPLATES: dict[str, tuple[tuple[str, str], ...]] = {
    "leaders_russia_vs_west": (
        ("titled", "{E} met foreign ministers in the capital on Tuesday to discuss grain exports."),
        ("full", "{E} said the talks would continue next week."),
        ("short", "Critics have called {E} a ruthless autocrat who crushes every form of dissent."),
        ("short", "{E}’s reckless gamble has plunged the region into chaos."),
        ("short", "According to sources close to {E}, the decision was taken weeks ago."),
        ("titled", "{E} is reportedly preparing to reshuffle his cabinet."),
        ("full", "A Telegram channel claimed that {E} had been taken to hospital."),
        ("full", "The speech by {E} was greeted with applause by lawmakers."),
    ),
    "countries_russia_allies_vs_west": (
        ("name", "{E} announced new sanctions on Monday."),
        ("name", "The regime in {E} has brutally crushed peaceful protests."),
        ("name", "Officials in {E} who asked not to be named said the shipment had been delayed."),
        ("name", "{E} is believed to be preparing a new offensive."),
        ("adjective", "The {E} government denied the report."),
        ("adjective", "{E} troops were accused of shocking atrocities."),
        ("adjective", "The {E} economy grew by two percent last year."),
    ),
    "us_parties": (
        ("plural", "{E} unveiled a new tax plan on Thursday."),
        ("plural", "{E} launched a vicious smear campaign against the judge."),
        ("adjective", "The {E} senator said the bill would be voted on next week."),
        ("party", "Sources close to {E} said the leadership was divided."),
        ("party", "{E} has been accused of shamelessly exploiting the tragedy."),
        ("adjective", "A {E} strategist reportedly warned that the race was slipping away."),
    ),
    "us_candidates_2016": (
        ("full", "{E} told supporters at a rally in Ohio that the economy was rigged."),
        ("short", "{E} released a new plan for infrastructure spending on Wednesday."),
        ("short", "{E}’s disastrous debate performance left donors in a panic."),
        ("full", "According to people close to {E}, the campaign is running short of money."),
    ),
    "outlets_left_vs_right": (
        ("outlet", "{E} reported that the minister had resigned."),
        ("outlet", "According to {E}, the negotiations collapsed late on Friday."),
        ("outlet", "An investigation by {E} found that the contracts were never signed."),
        ("outlet", "{E} is known for its hysterical and misleading coverage."),
        ("outlet", "A journalist at {E} claimed, without offering evidence, that the vote was rigged."),
    ),
}

#: reference-article sentences used for invariance: every sentence before the credit notice
REFERENCE_SENTENCES = range(0, 21)
