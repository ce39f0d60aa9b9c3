"""`versehub demo`: seed a realistic hub (users, categories, entries) through the services.

Idempotent: users, categories and entries that already exist (by username, name and slug)
are left alone, so running it again adds nothing. `--if-empty` seeds only when the hub has no
entries yet (what `make run` uses on every start). Demo passwords are generated at random
each time a user is created and printed once; they are never stored anywhere else.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import func, select

from versehub.core.auth import Principal
from versehub.extensions import db
from versehub.modules.accounts.service import principals, users
from versehub.modules.accounts.service.meta import CLI
from versehub.modules.knowledge.models import SLUG_MAX, Entry
from versehub.modules.knowledge.schemas import CategoryCreate, EntryCreate
from versehub.modules.knowledge.service import categories, entries, slugs

Status = Literal["draft", "in_review", "published"]
Writer = Literal["amara", "jonah", "editor"]


@dataclass(frozen=True)
class DemoUser:
    """A demo account: `key` names it in the entries below."""

    key: str
    username: str
    email: str
    roles: tuple[str, ...]


@dataclass(frozen=True)
class DemoCategory:
    """A demo category (colours chosen for AA contrast with white text)."""

    name: str
    colour: str
    description: str


@dataclass(frozen=True)
class DemoEntry:
    """A demo entry and where it ends up in the workflow."""

    category: str
    title: str
    tags: tuple[str, ...]
    content: str
    summary: str = ""
    plain: str | None = None
    status: Status = "published"
    public: bool = True
    writer: Writer = "amara"


USERS: tuple[DemoUser, ...] = (
    DemoUser("admin", "demo-admin", "demo-admin@example.org", ("admin", "member")),
    DemoUser("editor", "demo-editor", "demo-editor@example.org", ("editor", "member")),
    DemoUser("amara", "demo-amara", "demo-amara@example.org", ("member",)),
    DemoUser("jonah", "demo-jonah", "demo-jonah@example.org", ("member",)),
)

ACCESS = "Accessibility Basics"
SIGN = "Sign Languages"
CAPTIONS = "Captioning and Subtitling"
CULTURE = "Deaf Culture and History"
INTERPRETING = "Interpreting"
PLAIN = "Plain Language"
TECH = "Assistive Technology"
EDUCATION = "Deaf Education"

CATEGORIES: tuple[DemoCategory, ...] = (
    DemoCategory(ACCESS, "#1f4e79", "Standards, laws and everyday habits that open doors."),
    DemoCategory(SIGN, "#6b2c91", "Sign languages of the world: structure, history, recognition."),
    DemoCategory(CAPTIONS, "#0b6e4f", "Captions, subtitles and transcripts, and how to make them."),
    DemoCategory(CULTURE, "#8a3b12", "Deaf communities, their history, arts and ways of life."),
    DemoCategory(INTERPRETING, "#a4133c", "Working with sign language interpreters and relay."),
    DemoCategory(PLAIN, "#005f73", "Writing that people understand the first time they read it."),
    DemoCategory(TECH, "#3d405b", "Hearing technology, alerts, relay services and apps."),
    DemoCategory(EDUCATION, "#6f4e00", "Language access from the early years to university."),
)


def _e(
    category: str,
    title: str,
    tags: str,
    content: str,
    *,
    summary: str = "",
    plain: str | None = None,
    status: Status = "published",
    public: bool = True,
    writer: Writer = "amara",
) -> DemoEntry:
    return DemoEntry(
        category=category,
        title=title,
        tags=tuple(tags.split()),
        content=content.strip(),
        summary=summary,
        plain=plain.strip() if plain else None,
        status=status,
        public=public,
        writer=writer,
    )


ENTRIES: tuple[DemoEntry, ...] = (
    # --- Accessibility Basics -------------------------------------------------------------
    _e(
        ACCESS,
        "What accessibility means",
        "accessibility basics",
        """
Accessibility means people can use a thing. It does not matter how they see, hear or move.

A ramp helps people in wheelchairs. Captions help deaf people. Clear words help many people.

Good access helps everyone. Parents with prams use ramps. People in noisy cafés read captions.
""",
        summary="A short, simple introduction to accessibility.",
    ),
    _e(
        ACCESS,
        "The four principles of WCAG",
        "wcag web standards",
        """
The Web Content Accessibility Guidelines (WCAG), published by the World Wide Web Consortium,
organise their success criteria under four principles, often remembered as **POUR**:

- **Perceivable**: information must be presentable in ways people can perceive, for example
  text alternatives for images and captions for audio.
- **Operable**: every function must work with a keyboard and give people enough time.
- **Understandable**: text must be readable and interfaces predictable.
- **Robust**: content must work reliably with current and future assistive technologies.

Each success criterion has a conformance level: A (the minimum), AA (the level most laws and
procurement policies require) and AAA (the most demanding). WCAG 2.2 became a W3C
Recommendation in October 2023.
""",
        summary="Perceivable, operable, understandable and robust: how WCAG is organised.",
        plain="""
WCAG is a set of rules for websites. It has four main ideas.

1. People can see or hear the content in some way.
2. People can use every part, even without a mouse.
3. People can understand the words and the pages.
4. The site works with the tools people use.

There are three levels: A, AA and AAA. Most laws ask for AA.
""",
    ),
    _e(
        ACCESS,
        "Colour contrast for readable text",
        "wcag colour design",
        """
Text must stand out from its background. WCAG 2 measures this with a contrast ratio between
the relative luminance of the two colours, from 1:1 (no contrast) to 21:1 (black on white).

At level AA, normal text needs at least 4.5:1 and large text (roughly 18 point, or 14 point
bold) at least 3:1. Icons and the borders of form fields need 3:1 against what surrounds them.

VerseHub checks every category colour when it is created: the label text is white or near
black, whichever contrasts more, and a colour where neither reaches 4.5:1 is refused.
""",
        summary="Contrast ratios, the AA thresholds and how VerseHub applies them.",
    ),
    _e(
        ACCESS,
        "Do not rely on sound alone",
        "accessibility deaf design",
        """
Many apps use a beep to say something happened. A deaf person does not hear the beep.

Show it too. Use a message on the screen. Use a light or a vibration.

Videos need captions. Phone lines need a text option, such as chat or email.
""",
        summary="Always give a visual way to get information that is sent by sound.",
        writer="jonah",
    ),
    _e(
        ACCESS,
        "The social model of disability",
        "disability rights theory",
        """
The social model of disability, articulated by disabled activists in Britain in the 1970s
and named by Mike Oliver in 1983, distinguishes impairment, a characteristic of a person,
from disability, the exclusion produced by environments, attitudes and institutions that
fail to accommodate that characteristic. Under this framing, a deaf person at a lecture
without captions or interpretation is disabled by the organiser's choices rather than by
deafness itself, which redirects responsibility toward removing barriers.

Many Deaf people go further and describe themselves primarily as members of a linguistic and
cultural minority, for whom the central barrier is the absence of their language rather than
the absence of hearing.
""",
        summary="Impairment versus disability, and why the distinction matters.",
        plain="""
There are two ways to think about disability.

One way says the problem is in the person's body. The social model says the problem is
often in the world around them.

A deaf person at a talk with no captions and no interpreter is left out. The talk is the
problem, not the deaf person. Fix the talk, and they can take part.
""",
    ),
    _e(
        ACCESS,
        "Accessibility laws around the world",
        "law policy crpd",
        """
Several laws and treaties set duties for accessibility:

- The **UN Convention on the Rights of Persons with Disabilities** (adopted 2006, in force
  2008) asks states to recognise and promote sign languages (Article 21) and to make
  education inclusive (Article 24).
- The **Americans with Disabilities Act** (1990) covers employment, public services and
  places open to the public in the United States.
- The **UK Equality Act 2010** requires reasonable adjustments.
- The **European Accessibility Act** applies to many products and services sold in the EU
  from 28 June 2025.

Laws set a floor, not a ceiling: good services go further than the minimum.
""",
        summary="The CRPD, the ADA, the Equality Act and the European Accessibility Act.",
        writer="editor",
    ),
    _e(
        ACCESS,
        "Planning an accessible event",
        "events checklist deaf",
        """
Ask people about their access needs when they register, and ask early: interpreters and
captioners are often booked weeks ahead.

- Book sign language interpreters and, for longer events, a team of two.
- Book live captioning (CART) and show it on a large screen.
- Light the stage well, so that faces, lips and hands are clearly visible.
- Reserve seats near the front with a clear view of the interpreter.
- Share slides and agendas in advance.
- Provide a quiet space and clear signs for directions.

After the event, publish captioned recordings and a transcript.
""",
        summary="A checklist for talks, meetings and conferences.",
        writer="jonah",
    ),
    _e(
        ACCESS,
        "Alternative text for images",
        "wcag images writing",
        """
Alt text tells people what a picture shows. Screen readers read it out loud. It also shows
when a picture does not load.

Keep it short. Say what matters in the picture. If the picture is only decoration, leave
the alt text empty.
""",
        summary="How to write short, useful alt text.",
        status="draft",
    ),
    # --- Sign Languages ------------------------------------------------------------------
    _e(
        SIGN,
        "Sign languages are real languages",
        "sign-language linguistics",
        """
Sign languages are full languages. They have their own words and their own grammar.

They are not a code for a spoken language. They are not the same in every country.

Deaf people use them to talk about anything: work, jokes, science, feelings and poetry.
""",
        summary="The basics: sign languages are natural, complete languages.",
    ),
    _e(
        SIGN,
        "American Sign Language (ASL)",
        "asl sign-language usa",
        """
American Sign Language is used by Deaf communities in the United States and much of
English-speaking Canada. Its history is closely linked to French Sign Language: in 1817
Laurent Clerc, a Deaf teacher from the Paris school, and Thomas Hopkins Gallaudet founded the
American School for the Deaf in Hartford, Connecticut. The signing Clerc brought blended with
the sign languages already used by American Deaf people, including on Martha's Vineyard.

ASL has its own grammar: it often places the topic first, uses the space around the signer
to track people and places, and marks questions with facial expressions such as raised or
lowered eyebrows. It uses a one-handed manual alphabet.
""",
        summary="Origins, grammar and reach of ASL.",
        writer="jonah",
    ),
    _e(
        SIGN,
        "British Sign Language (BSL)",
        "bsl sign-language uk",
        """
British Sign Language is the language of the Deaf community in the United Kingdom. The UK
government recognised BSL as a language in its own right in 2003, and the British Sign
Language Act 2022 gave it legal recognition in England, Wales and Scotland.

BSL uses a two-handed manual alphabet, unlike ASL. It belongs to the same family as Auslan
and New Zealand Sign Language, which linguists sometimes group together as BANZSL. Regional
variation is strong, particularly in signs for numbers and colours.
""",
        summary="Recognition, the two-handed alphabet and the BANZSL family.",
    ),
    _e(
        SIGN,
        "Auslan: Australian Sign Language",
        "auslan sign-language australia",
        """
Auslan is the sign language of the Australian Deaf community. The name, a blend of
"Australian" and "sign language", was coined in the 1980s by the linguist Trevor Johnston,
who also compiled its first major dictionary.

Auslan developed from the British Sign Language brought by Deaf immigrants and teachers in
the nineteenth century, and it still shares much of its vocabulary and its two-handed
alphabet with BSL. Australia's 1987 National Policy on Languages recognised Auslan as a
community language.
""",
        summary="Where Auslan comes from and how it relates to BSL.",
        writer="jonah",
    ),
    _e(
        SIGN,
        "New Zealand Sign Language (NZSL)",
        "nzsl sign-language new-zealand",
        """
New Zealand Sign Language became an official language of New Zealand with the New Zealand
Sign Language Act 2006, alongside te reo Māori. NZSL is part of the BANZSL family, yet it
has its own signs, including signs for Māori concepts and place names.

A yearly NZSL Week raises awareness and invites hearing New Zealanders to learn some signs.
""",
        summary="An official language of New Zealand since 2006.",
    ),
    _e(
        SIGN,
        "Langue des signes française (LSF)",
        "lsf sign-language france history",
        """
French Sign Language holds a special place in the history of sign languages. In the 1760s
the Abbé Charles-Michel de l'Épée opened a free school for deaf children in Paris and built
his teaching on the signs his pupils already used. The school trained teachers who founded
schools elsewhere, and LSF influenced many sign languages, among them ASL.

After the Milan congress of 1880, signing was banned in French schools for about a century.
The law of 11 February 2005 recognised LSF as a language in its own right.
""",
        summary="From the Abbé de l'Épée's school to legal recognition in 2005.",
    ),
    _e(
        SIGN,
        "Deutsche Gebärdensprache (DGS)",
        "dgs sign-language germany",
        """
German Sign Language is used by Deaf people in Germany. Germany's Disability Equality Act of
2002 recognised DGS as a language of its own, which opened the way to state-funded
interpreting in public services. DGS uses a one-handed manual alphabet and commonly pairs
signs with mouthings of German words.
""",
        summary="German Sign Language and its recognition in 2002.",
        writer="jonah",
    ),
    _e(
        SIGN,
        "The building blocks of a sign",
        "linguistics phonology sign-language",
        """
In 1960 William Stokoe's monograph *Sign Language Structure* demonstrated that signs of
American Sign Language decompose into a finite inventory of meaningless, recombinable
parameters, precisely as spoken words decompose into phonemes. Stokoe identified handshape,
location and movement; subsequent research added palm orientation and non-manual features
such as facial expression, mouth patterns and head position.

Minimal pairs demonstrate the phonological status of these parameters: two signs that differ
only in location, or only in handshape, carry unrelated meanings. Non-manual features are
frequently grammatical rather than emotional, marking questions, conditionals, negation and
relative clauses, which is why interpreting signed utterances from the hands alone
systematically loses information.
""",
        summary="Handshape, location, movement, orientation and non-manual features.",
        plain="""
Every sign is made of a few parts:

- the shape of the hand,
- where the hand is,
- how the hand moves,
- which way the palm faces,
- the face and body.

Change one part and you can get a different word. The face is part of the grammar too. For
example, the eyebrows can show that a sentence is a question.
""",
        writer="editor",
    ),
    _e(
        SIGN,
        "International Sign",
        "international-sign wfd events",
        """
International Sign is used when Deaf people from different countries meet, for example at
World Federation of the Deaf congresses or the Deaflympics. It is not a full natural language
with native signers; it is a flexible contact variety that draws on signs that are easy to
understand, on gesture and on shared grammar features of many sign languages.
""",
        summary="How Deaf people communicate across national sign languages.",
    ),
    _e(
        SIGN,
        "Nicaraguan Sign Language: a language is born",
        "nicaragua linguistics emergence",
        """
When Nicaragua expanded special education in the late 1970s and 1980s, deaf children who had
previously been isolated in hearing families came together in schools in Managua. Their
home signs converged into a shared system, and each new cohort of young children made it
more regular and grammatically richer. Linguists have studied Nicaraguan Sign Language as a
rare chance to watch a new language emerge.
""",
        summary="A new sign language that emerged among children in the 1970s and 1980s.",
        status="in_review",
        writer="jonah",
    ),
    _e(
        SIGN,
        "Fingerspelling tips for new learners",
        "fingerspelling learning",
        """
Fingerspelling spells a word letter by letter with the hands. People use it for names and
for words that have no sign.

Do not bounce your hand for each letter. Keep a steady rhythm. Read the shape of the whole
word, not each letter.
""",
        summary="Practical tips for fingerspelling.",
        status="draft",
    ),
    # --- Captioning and Subtitling -------------------------------------------------------
    _e(
        CAPTIONS,
        "Captions and subtitles: what is the difference?",
        "captions subtitles basics",
        """
Captions show what is said and other sounds. They may say [door slams] or [music plays].
They are made for people who cannot hear the sound.

Subtitles usually show only the words people say. They are often a translation into another
language.

Subtitles for deaf and hard of hearing people (SDH) add the sounds and show who is speaking.
""",
        summary="Captions, subtitles and SDH explained simply.",
    ),
    _e(
        CAPTIONS,
        "Open and closed captions",
        "captions video",
        """
Closed captions can be turned on and off by the viewer. Open captions are burned into the
video picture and are always visible.

Closed captions are better in most cases: viewers choose, players can change the size and
colour, and search engines can read the text. Open captions help on social media, where
videos often start muted and players differ.
""",
        summary="Choosing between captions the viewer controls and captions in the picture.",
        writer="jonah",
    ),
    _e(
        CAPTIONS,
        "Writing a WebVTT caption file",
        "webvtt formats video",
        """
WebVTT is the caption format of the web's `<track>` element. A file starts with the line
`WEBVTT`, followed by cues separated by blank lines:

```
WEBVTT

00:00:01.000 --> 00:00:04.000
Welcome to the Deaf history tour.

00:00:04.500 --> 00:00:07.000
[applause]
```

Times use a full stop before the milliseconds; the older SubRip (SRT) format uses a comma
and numbers every cue. Cue settings can position a caption, for example to keep it away from
on-screen text or from a sign language interpreter in the corner.
""",
        summary="The structure of a WebVTT file and how it differs from SRT.",
        writer="editor",
    ),
    _e(
        CAPTIONS,
        "What makes captions good",
        "captions quality",
        """
Good captions are accurate, in sync, complete and placed where they do not hide anything
important. The US Federal Communications Commission adopted exactly these four quality
standards for television captions in 2014.

Keep lines short (many style guides cap a line at around 37 to 42 characters) and show no
more than two lines at once. Break lines at natural phrase boundaries. Identify speakers when
it is not obvious who is talking, and describe sounds that matter to the story, such as a
phone ringing off screen.
""",
        summary="Accuracy, synchronisation, completeness and placement.",
        plain="""
Good captions:

- have the right words,
- show up at the same time as the speech,
- do not leave anything out,
- do not cover faces or text on the screen.

Use short lines. Show one or two lines at a time. Say who is talking when it is not clear.
""",
    ),
    _e(
        CAPTIONS,
        "Automatic captions are a starting point",
        "asr automatic captions",
        """
Automatic speech recognition has improved enormously, yet its error rate rises sharply with
background noise, overlapping speakers, accents, specialised vocabulary and proper names, and
a single substituted word can invert the meaning of a sentence. For prerecorded media,
machine output is best treated as a first draft that a person corrects against the audio
before publication; for live events, professional captioners or respeakers remain the
reliable choice when accuracy matters, such as in courts, hospitals and classrooms.
""",
        summary="Why machine captions need human review.",
        plain="""
Computers can make captions by themselves. They are fast, but they make mistakes. They get
names wrong. They struggle with noise and with people talking at once.

One wrong word can change the meaning. So a person should check and fix the captions before
you publish a video.
""",
        writer="jonah",
    ),
    _e(
        CAPTIONS,
        "Live captioning and CART",
        "cart live captions events",
        """
CART stands for Communication Access Realtime Translation. A trained stenographer writes
every word as it is spoken, using a special keyboard, and the text appears on a screen or
on the viewer's own device within seconds.

Broadcasters also use respeaking: a captioner listens and repeats the speech, with
punctuation, into speech recognition software trained on their voice.
""",
        summary="Stenography and respeaking for live events and broadcasts.",
    ),
    _e(
        CAPTIONS,
        "Captions in WCAG",
        "wcag captions standards",
        """
WCAG success criterion 1.2.2 (level A) requires captions for all prerecorded audio in
synchronised media, and 1.2.4 (level AA) requires captions for live audio. Success criterion
1.2.6 (level AAA) asks for sign language interpretation of prerecorded audio.
""",
        summary="The success criteria that cover captions and sign language.",
    ),
    _e(
        CAPTIONS,
        "A short history of television captions",
        "history television captions",
        """
Open-captioned broadcasts appeared in the early 1970s. In the United States, closed captions
carried in line 21 of the analogue picture started in 1980, and the Television Decoder
Circuitry Act of 1990 required televisions with screens of 13 inches or more to include a
caption decoder from 1993. The United Kingdom's Ceefax teletext service carried subtitles on
page 888, a number still associated with subtitles today.
""",
        summary="From line 21 to page 888.",
        writer="editor",
        public=False,
    ),
    # --- Deaf Culture and History --------------------------------------------------------
    _e(
        CULTURE,
        "Deaf with a capital D",
        "deaf-culture identity",
        """
Some people write "deaf" with a small d. Some write "Deaf" with a big D.

Small d means a person cannot hear well. Big D means a person belongs to the Deaf community.
They use sign language and share Deaf culture.

Ask people which word they like. Use the word they choose.
""",
        summary="What the capital D means.",
    ),
    _e(
        CULTURE,
        "The Milan congress of 1880",
        "history oralism education",
        """
In September 1880 the Second International Congress on the Education of the Deaf, meeting
in Milan and attended overwhelmingly by hearing educators, resolved that oral methods were
superior to signing and should be preferred in the education of deaf children. Deaf teachers
were effectively excluded from the vote. Across Europe and beyond, schools subsequently
dismissed Deaf staff and prohibited signing in classrooms, inaugurating roughly a century of
oralist dominance whose consequences for literacy, employment and mental health are still
discussed. In 2010 the congress meeting in Vancouver formally rejected the Milan resolutions
and apologised for their harmful effects.
""",
        summary="The resolution that banned signing in schools, and its rejection in 2010.",
        plain="""
In 1880 teachers met in Milan, Italy. Most of them were hearing. They voted that deaf
children should learn to speak and lip-read, and not use sign language.

After this, many schools banned signing. Deaf teachers lost their jobs. This lasted about 100
years and hurt many deaf children.

In 2010 the same kind of meeting, held in Canada, said the Milan vote was wrong.
""",
        writer="editor",
    ),
    _e(
        CULTURE,
        "Deaf President Now",
        "gallaudet protest history",
        """
In March 1988 students at Gallaudet University in Washington, D.C., the world's only
university designed around Deaf students, protested when the board chose a hearing president
over two Deaf candidates. The Deaf President Now protest shut the campus for a week. The
board gave in: I. King Jordan became Gallaudet's first Deaf president, and the chair of the
board resigned. The protest became a landmark of Deaf civil rights.
""",
        summary="The 1988 protest at Gallaudet University.",
        writer="jonah",
    ),
    _e(
        CULTURE,
        "How to get a Deaf person's attention",
        "etiquette deaf-culture",
        """
Tap the person on the shoulder or arm. Wave your hand where they can see it.

In a room, you can flick the lights on and off. At a table, you can tap the table.

Do not grab. Do not shout. When you talk, face the person.
""",
        summary="Polite ways to get attention in Deaf culture.",
    ),
    _e(
        CULTURE,
        "Name signs",
        "deaf-culture sign-language names",
        """
In many Deaf communities people have a name sign, a sign that stands for their name so it
does not have to be fingerspelled every time. Name signs are usually given by members of the
Deaf community, not chosen by the person, and they may reflect the first letter of a name, a
feature or a habit. Being given a name sign is often a sign of belonging.
""",
        summary="How people get a name sign.",
        writer="jonah",
    ),
    _e(
        CULTURE,
        "The World Federation of the Deaf",
        "wfd organisations human-rights",
        """
The World Federation of the Deaf was founded in Rome in 1951 and brings together national
associations of Deaf people from well over a hundred countries. It works with the United
Nations on the human rights of Deaf people and estimates that there are about 70 million
deaf people worldwide, who together use more than 300 sign languages.

The WFD started the International Week of the Deaf, held in the last full week of September,
and the UN proclaimed 23 September the International Day of Sign Languages, first observed in
2018.
""",
        summary="The international voice of Deaf communities.",
    ),
    _e(
        CULTURE,
        "The Deaflympics",
        "sport deaflympics",
        """
The first International Silent Games, now called the Deaflympics, were held in Paris in 1924,
making them one of the oldest multi-sport events after the Olympics. Athletes must have a
significant hearing loss and may not wear hearing aids or implants while competing, so that
everyone competes on equal terms. Starts use lights instead of a pistol or whistle.
""",
        summary="A century of Deaf international sport.",
    ),
    _e(
        CULTURE,
        "Martha's Vineyard: an island where everyone signed",
        "history martha's-vineyard",
        """
From the eighteenth to the early twentieth century, hereditary deafness was unusually common
on the island of Martha's Vineyard in Massachusetts, especially in the town of Chilmark.
Hearing and deaf islanders alike used a local sign language, and deafness was not treated as
a barrier to work, marriage or town life. Nora Ellen Groce's book *Everyone Here Spoke Sign
Language* (1985) documented this community.
""",
        summary="A historical example of a shared signing community.",
        status="draft",
        writer="jonah",
    ),
    _e(
        CULTURE,
        "Deaf clubs",
        "community history",
        """
For much of the twentieth century, Deaf clubs were the heart of Deaf social life. People met
there after work to sign, share news, play sports and organise events. Many clubs have
closed as video calls and social media took over part of their role, but Deaf community
events remain important.
""",
        summary="Where Deaf communities met.",
        public=False,
    ),
    # --- Interpreting --------------------------------------------------------------------
    _e(
        INTERPRETING,
        "Working with a sign language interpreter",
        "interpreting etiquette",
        """
Talk to the deaf person, not to the interpreter. Say "you", not "tell her".

Speak at a normal speed. The interpreter will ask if they need you to slow down.

Send slides and notes to the interpreter before the meeting. Names and special words are
easier to sign when the interpreter has seen them first.
""",
        summary="Simple rules for meetings with an interpreter.",
    ),
    _e(
        INTERPRETING,
        "Why interpreters work in teams",
        "interpreting teams fatigue",
        """
Simultaneous interpreting between a signed and a spoken language imposes a sustained
cognitive load: the interpreter must comprehend, retain, reformulate and produce meaning
across modalities while monitoring the next utterance. Research on interpreter fatigue shows
accuracy declining measurably after prolonged uninterrupted work, so assignments longer than
about an hour, or unusually dense ones, are normally staffed by two interpreters who rotate
at regular intervals, commonly every fifteen to twenty minutes. The interpreter who is not
active monitors the output, supplies missed numbers or names and prepares terminology.
""",
        summary="Interpreter fatigue and team interpreting.",
        plain="""
Interpreting is hard work for the brain. After a while, even a very good interpreter makes
more mistakes.

So for long meetings, two interpreters come. They take turns, often every 15 to 20 minutes.
The one who is resting watches and helps, for example with names and numbers.
""",
        writer="editor",
    ),
    _e(
        INTERPRETING,
        "Deaf interpreters",
        "interpreting deaf-interpreters",
        """
A Deaf interpreter is a Deaf person trained to interpret, usually working with a hearing
interpreter. They bring native fluency and lived experience, which helps with people who use
a regional or foreign sign language, with deafblind people, with children, and with people
who have limited language because of language deprivation. In the United States, the
certification is known as the Certified Deaf Interpreter (CDI).
""",
        summary="What Deaf interpreters add.",
        writer="jonah",
    ),
    _e(
        INTERPRETING,
        "Video relay and video remote interpreting",
        "vrs vri relay",
        """
Video relay service (VRS) lets a signing person make phone calls: they sign to an
interpreter over video, and the interpreter speaks to the hearing person on the phone.

Video remote interpreting (VRI) puts an interpreter on a screen in the room, for example in a
hospital. It is quick to arrange but depends on a stable connection and a large screen, and
it is not suitable for every situation.
""",
        summary="Phone calls through an interpreter, and interpreters on screen.",
    ),
    _e(
        INTERPRETING,
        "Professional registers of interpreters",
        "interpreting qualifications",
        """
Many countries register qualified sign language interpreters. The Registry of Interpreters
for the Deaf (RID) was founded in the United States in 1964. In the United Kingdom,
interpreters register with the NRCPD, and in Australia NAATI certifies Auslan interpreters.
Registration usually means the interpreter has passed assessments, follows a code of
conduct and keeps up continuing professional development.
""",
        summary="RID, NRCPD, NAATI and what registration means.",
    ),
    _e(
        INTERPRETING,
        "Interpreters and confidentiality",
        "ethics interpreting",
        """
Interpreters keep what they hear private. They do not share it with other people.

They also stay neutral. They do not give their own opinion. They interpret everything that
is said, even rude words.
""",
        summary="The basic ethics of interpreting.",
        writer="jonah",
    ),
    _e(
        INTERPRETING,
        "Tactile signing and Protactile",
        "deafblind tactile protactile",
        """
Many deafblind people receive sign language through touch, with their hands on the signer's
hands. Protactile, developed by DeafBlind people in the United States from the 2000s, goes
further: it is a language and a set of practices built around touch, including signals tapped
on the body to give feedback such as "yes" or "I understand".
""",
        summary="Communication with deafblind people through touch.",
        status="in_review",
    ),
    _e(
        INTERPRETING,
        "Booking an interpreter: a checklist",
        "interpreting booking checklist",
        """
- Book as early as you can.
- Give the date, time, place and length.
- Say what the meeting is about and who will be there.
- Ask the deaf person which interpreter or which language they prefer.
- Send documents in advance.
- Plan a team of two for long meetings.
""",
        summary="What to tell the agency when you book.",
        public=False,
        writer="jonah",
    ),
    # --- Plain Language ------------------------------------------------------------------
    _e(
        PLAIN,
        "What is plain language?",
        "plain-language writing",
        """
Plain language is writing that people can understand the first time they read it.

It uses common words and short sentences. It puts the most important thing first.

Plain language is not childish. It respects the reader's time.
""",
        summary="A simple definition of plain language.",
    ),
    _e(
        PLAIN,
        "Why plain language matters for deaf readers",
        "plain-language deaf literacy",
        """
For many Deaf people, a sign language is the first language and the written national language
is a second language, learned without access to its sound. Dense text with idioms, long
subordinate clauses and rare vocabulary can therefore be much harder than its content
requires. Plain language, together with sign language videos, makes information accessible
without lowering its substance.
""",
        summary="Written language is often a second language for Deaf people.",
        plain="""
Many Deaf people learn sign language first. The written language comes second.

Long sentences and rare words can make a text hard to read. Plain language and sign
language videos help. The facts stay the same.
""",
        writer="editor",
    ),
    _e(
        PLAIN,
        "Ten habits of plain writing",
        "plain-language writing tips",
        """
1. Know who you write for.
2. Put the main point first.
3. Use short sentences, about 15 to 20 words on average.
4. Use common words ("use", not "utilise").
5. Use the active voice ("we will send", not "it will be sent").
6. Talk to the reader as "you".
7. Explain terms the first time you use them.
8. Use headings that tell the reader what the section says.
9. Use lists for steps and choices.
10. Test the text with real readers.
""",
        summary="A practical checklist.",
        writer="jonah",
    ),
    _e(
        PLAIN,
        "Readability formulas and their limits",
        "readability metrics flesch",
        """
Readability formulas estimate difficulty from surface features. The Flesch Reading Ease
score, introduced by Rudolf Flesch in 1948, and the Flesch-Kincaid grade level, derived in
1975 for the United States Navy, combine average sentence length with average syllables per
word. Such formulas are inexpensive, reproducible and useful for monitoring collections of
documents, which is why VerseHub derives each entry's reading level from the Flesch-Kincaid
grade.

Nevertheless, formulas are insensitive to coherence, organisation, vocabulary familiarity
and typographic presentation: a scrambled sequence of short sentences can score as easy
while being incomprehensible. Consequently, readability scores should complement, never
replace, usability testing with representative readers.
""",
        summary="What Flesch-Kincaid measures and what it misses.",
        plain="""
Some formulas guess how hard a text is. They count how long the sentences are. They count
how long the words are.

VerseHub uses one of them, the Flesch-Kincaid grade, to give each entry a reading level.

But the formulas do not know if a text makes sense. The best test is to ask real readers.
""",
    ),
    _e(
        PLAIN,
        "Plain language laws and standards",
        "plain-language law iso",
        """
The United States Plain Writing Act of 2010 requires federal agencies to write public
documents clearly. In 2023 the International Organization for Standardization published
ISO 24495-1, a standard for plain language: a text is plain when readers can easily find
what they need, understand what they find and use that information.
""",
        summary="The Plain Writing Act and ISO 24495-1.",
        writer="editor",
    ),
    _e(
        PLAIN,
        "Easy Read",
        "easy-read learning-disability",
        """
Easy Read is a style for people with learning disabilities. It uses very short sentences.
Each idea has a picture next to it.

Easy Read texts are tested with people who will read them.
""",
        summary="Short sentences with pictures.",
    ),
    _e(
        PLAIN,
        "Rewriting a dense sentence",
        "plain-language examples",
        """
Before: "In the event that the applicant fails to furnish the requisite documentation within
the stipulated timeframe, the application shall be deemed to have been withdrawn."

After: "If you do not send us the documents within 30 days, we will close your application."

The second sentence names the reader, uses the active voice and gives a real number.
""",
        summary="A worked example of plain rewriting.",
        status="draft",
        writer="jonah",
    ),
    _e(
        PLAIN,
        "WCAG and reading level",
        "wcag plain-language",
        """
WCAG success criterion 3.1.5 (level AAA) asks that, when text requires a reading ability more
advanced than lower secondary education, a simpler version or supplementary content is
available. VerseHub's plain-language versions are one way to meet it.
""",
        summary="Success criterion 3.1.5 and plain-language versions.",
    ),
    # --- Assistive Technology ------------------------------------------------------------
    _e(
        TECH,
        "Hearing aids",
        "hearing-aids technology",
        """
A hearing aid makes sounds louder. It sits in or behind the ear.

Modern hearing aids are small computers. They can cut some noise. Many can connect to a
phone.

Hearing aids help many people, but they do not give back normal hearing.
""",
        summary="What hearing aids do and do not do.",
    ),
    _e(
        TECH,
        "Cochlear implants",
        "cochlear-implants technology",
        """
A cochlear implant bypasses damaged hair cells in the inner ear and stimulates the auditory
nerve directly with electrical signals. An external processor picks up sound and sends it
through the skin to an implanted receiver connected to an electrode array in the cochlea.
The first multi-channel implant was developed by Graeme Clark's team in Melbourne, with the
first operation in 1978.

Outcomes vary widely from person to person and usually involve months of rehabilitation.
Many Deaf community members stress that implanted children still benefit from early access to
a sign language.
""",
        summary="How implants work and what to expect.",
        plain="""
A cochlear implant is a small device. A doctor puts part of it inside the head. Another part
is worn behind the ear.

It sends sound to the hearing nerve as tiny electric signals. People must learn to hear with
it, which can take months. It works very well for some people and less well for others.
""",
        writer="editor",
    ),
    _e(
        TECH,
        "Hearing loops and the T setting",
        "hearing-loop t-coil venues",
        """
A hearing loop (induction loop) is a wire around a room or a counter that carries the sound
from a microphone as a magnetic field. Hearing aids and implants with a telecoil pick it up
directly when set to "T", so the listener hears the speaker without background noise. Look
for the blue sign with an ear and a "T".

Newer venues also broadcast audio over Bluetooth LE Audio (Auracast), which compatible
hearing aids and phones can join.
""",
        summary="Clear sound straight to hearing aids.",
        writer="jonah",
    ),
    _e(
        TECH,
        "Visual and vibrating alerts at home",
        "alerts home safety",
        """
Deaf people use lights and vibration instead of sound at home.

- A doorbell can flash a lamp.
- An alarm clock can shake the bed.
- A smoke alarm can use a bright strobe light.
- A baby monitor can send a light or a vibration.

Many of these also work through a smartphone or a watch.
""",
        summary="Doorbells, alarms and monitors that flash or vibrate.",
    ),
    _e(
        TECH,
        "From the TTY to text relay",
        "tty relay history telephone",
        """
In 1964 Robert Weitbrecht, a Deaf physicist, developed an acoustic coupler that let
teletypewriters send text over ordinary telephone lines. The TTY (or textphone) gave Deaf
people independent telephone access for the first time. Relay services later connected TTY
users with hearing callers through an operator; today text relay runs in apps, such as Relay
UK, and video relay serves sign language users.
""",
        summary="How Deaf people gained access to the telephone.",
        writer="editor",
    ),
    _e(
        TECH,
        "Live transcription apps",
        "speech-to-text apps",
        """
Phone apps can turn speech into text live. They are useful for short talks, at a shop
counter or with family.

They work best in a quiet room with one speaker. They make mistakes with names and noise. For
important meetings, book a human captioner or interpreter.
""",
        summary="Quick captions on your phone, with limits.",
        writer="jonah",
    ),
    _e(
        TECH,
        "Remote microphone systems",
        "remote-microphone classroom technology",
        """
A remote microphone system sends the voice of a teacher or speaker straight to a listener's
hearing aids or implants, by radio (often called FM) or digital wireless. It reduces the
effect of distance, echo and background noise, which matters in classrooms, where the
teacher moves around and other pupils make noise.
""",
        summary="Getting the speaker's voice straight to the listener.",
        status="in_review",
        writer="jonah",
    ),
    _e(
        TECH,
        "Accessible video calls",
        "video-calls remote-work",
        """
Video calls changed Deaf life: people can sign to each other anywhere. For accessible calls,
turn on live captions, pin the interpreter's video, keep cameras on with good front
lighting, and let one person speak at a time. Share the chat and the slides too.
""",
        summary="Making video meetings work for Deaf participants.",
    ),
    # --- Deaf Education ------------------------------------------------------------------
    _e(
        EDUCATION,
        "Language first",
        "education language-deprivation early-years",
        """
Babies learn language from what they see and hear around them. A deaf baby may not hear
spoken words well.

Sign language gives a deaf baby full access to language from the start. Families can learn
it together.

Early language helps with reading, learning and friendships later.
""",
        summary="Why early access to language matters.",
    ),
    _e(
        EDUCATION,
        "Language deprivation",
        "education language-deprivation research",
        """
Language deprivation denotes the lasting cognitive, linguistic and psychosocial consequences
of insufficient access to any natural language during early childhood, a period when neural
systems supporting language acquisition are maximally receptive. Because most deaf children
are born to hearing parents who do not initially sign, and because spoken-language outcomes
following amplification or implantation remain highly variable, a considerable proportion of
deaf children experience delayed or partial language exposure. Researchers therefore advocate
providing a sign language alongside any spoken-language intervention, since bilingual
exposure carries no demonstrated disadvantage and protects against deprivation.
""",
        summary="The risk of missing early access to language, and how to prevent it.",
        plain="""
Young children need to get a full language early. If they do not, it can cause problems
for life: with learning, with thinking and with feelings. This is called language
deprivation.

Most deaf children have hearing parents. Many of these parents do not sign at first. So
experts say: give deaf children a sign language too, even if they also learn to speak.
""",
        writer="editor",
    ),
    _e(
        EDUCATION,
        "Bilingual education for deaf children",
        "bilingual education",
        """
Bilingual deaf education teaches through a sign language and the written form of the
national language, and treats both as full languages. Children build knowledge in the
language they fully access, then use it to learn to read and write. Sweden was one of the
first countries to adopt this approach in national policy, in the early 1980s.
""",
        summary="Teaching through sign language and written language.",
        writer="jonah",
    ),
    _e(
        EDUCATION,
        "The first schools for deaf children",
        "history schools education",
        """
Public education for deaf children began in the eighteenth century. The Abbé de l'Épée's
school in Paris opened in the 1760s, and Thomas Braidwood opened an academy in Edinburgh in
1760. In the United States, the American School for the Deaf opened in Hartford in 1817, and
Gallaudet University received its charter in 1864, signed by President Abraham Lincoln.
""",
        summary="Paris, Edinburgh, Hartford and Washington.",
    ),
    _e(
        EDUCATION,
        "Access in a mainstream classroom",
        "classroom inclusion teachers",
        """
Many deaf children go to their local school. These steps help them learn:

- Seat the child where they can see the teacher, the board and the interpreter.
- Face the class when you talk; do not talk while writing on the board.
- Use captioned videos.
- Repeat questions from other pupils.
- Give notes, or a note-taker, because a child cannot watch the interpreter and write at the
  same time.
- Work with a qualified teacher of the deaf.
""",
        summary="Practical classroom adjustments.",
        writer="jonah",
    ),
    _e(
        EDUCATION,
        "Newborn hearing screening",
        "screening early-years health",
        """
Many countries test the hearing of all newborn babies in the first weeks of life. Early
identification means families can get information and support early, including the chance
to learn a sign language, and can decide about hearing technology.
""",
        summary="Why babies are screened.",
    ),
    _e(
        EDUCATION,
        "Learning sign language as an adult",
        "learning sign-language adults",
        """
Take a class with a Deaf teacher. Practise every week.

Go to Deaf events, and watch more than you sign at first. Learn the grammar and the face,
not only the signs.

Be patient. A sign language takes years to learn well, like any language.
""",
        summary="Tips for hearing adults who want to sign.",
        writer="jonah",
    ),
    _e(
        EDUCATION,
        "Deaf students at university",
        "higher-education access",
        """
University brings new demands: large lectures, fast seminars, group work and technical
vocabulary. Deaf students may use interpreters, live captioners, note-takers, captioned
recordings and extra time. Arrange support with the disability service well before term
starts, and talk to lecturers about slides and videos early.
""",
        summary="Planning access for higher education.",
        public=False,
    ),
)


@dataclass
class DemoReport:
    """What a seeding run did; `passwords` holds only the users it created (shown once)."""

    users_created: list[DemoUser] = field(default_factory=list)
    users_existing: list[DemoUser] = field(default_factory=list)
    passwords: dict[str, str] = field(default_factory=dict)
    categories_created: int = 0
    entries_created: int = 0
    entries_existing: int = 0
    skipped: bool = False


def new_password() -> str:
    """A random password for a demo account (about 130 bits)."""
    return secrets.token_urlsafe(22)


def entry_count() -> int:
    """How many entries the hub has, in any state."""
    return db.session.scalar(select(func.count()).select_from(Entry)) or 0


def entry_slug(title: str) -> str:
    """The slug the demo gives an entry (stable, so reruns find it)."""
    return slugs.base_slug(title, max_length=SLUG_MAX, fallback="entry")


def _ensure_users(report: DemoReport, password: Callable[[], str]) -> dict[str, Principal]:
    people: dict[str, Principal] = {}
    for spec in USERS:
        user = users.get_by_login(login=spec.username)
        if user is None:
            secret = password()
            user = users.create(
                email=spec.email,
                username=spec.username,
                password=secret,
                roles=spec.roles,
                meta=CLI,
            )
            report.users_created.append(spec)
            report.passwords[spec.username] = secret
        else:
            report.users_existing.append(spec)
        people[spec.key] = principals.for_person(user=user)
    return people


def _ensure_categories(report: DemoReport, editor: Principal) -> dict[str, str]:
    existing = {c.name.lower(): c.slug for c in categories.list_()}
    slug_of: dict[str, str] = {}
    for spec in CATEGORIES:
        slug = existing.get(spec.name.lower())
        if slug is None:
            data = CategoryCreate(name=spec.name, colour=spec.colour, description=spec.description)
            slug = categories.create(data=data, viewer=editor).slug
            report.categories_created += 1
        slug_of[spec.name] = slug
    return slug_of


def _write(spec: DemoEntry, *, people: dict[str, Principal], category: str) -> None:
    author = people[spec.writer]
    editor = people["editor"]
    data = EntryCreate(
        title=spec.title,
        content=spec.content,
        summary=spec.summary,
        plain_language=spec.plain,
        category=category,
        tags=list(spec.tags),
        is_public=spec.public,
        slug=entry_slug(spec.title),
    )
    entry = entries.create(data=data, viewer=author)
    if spec.status == "draft":
        return
    entries.change_status(entry_id=entry.id, to="in_review", viewer=author)
    if spec.status == "published":
        entries.change_status(entry_id=entry.id, to="published", viewer=editor)


def seed(*, if_empty: bool = False, password: Callable[[], str] = new_password) -> DemoReport:
    """Create the demo users, categories and entries that are missing; commits as it goes."""
    report = DemoReport()
    if if_empty and entry_count() > 0:
        report.skipped = True
        return report
    people = _ensure_users(report, password)
    slug_of = _ensure_categories(report, people["editor"])
    for spec in ENTRIES:
        if slugs.is_taken(Entry.slug, entry_slug(spec.title)):
            report.entries_existing += 1
            continue
        _write(spec, people=people, category=slug_of[spec.category])
        report.entries_created += 1
    return report


@click.command("demo")
@click.option(
    "--if-empty", is_flag=True, help="Seed only when the hub has no entries yet (for `make run`)."
)
@with_appcontext
def demo_command(if_empty: bool) -> None:
    """Seed demo users, categories and entries (idempotent; prints new passwords once)."""
    report = seed(if_empty=if_empty)
    if report.skipped:
        click.echo("demo: the hub already has entries; nothing seeded")
        return
    click.echo(
        f"demo: {report.entries_created} entries and {report.categories_created} categories "
        f"created ({report.entries_existing} entries already there)"
    )
    for spec in report.users_created:
        click.echo(
            f"  created {spec.username} <{spec.email}> roles={','.join(spec.roles)} "
            f"password: {report.passwords[spec.username]}"
        )
    for spec in report.users_existing:
        click.echo(f"  {spec.username} already exists (password unchanged)")
    if report.users_created:
        click.echo("Note these passwords now: they are not stored or shown again.")


def init_cli(app: Flask) -> None:
    """Add `versehub demo` to the app's CLI."""
    app.cli.add_command(demo_command)
