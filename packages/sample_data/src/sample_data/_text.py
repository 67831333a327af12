"""Template text: email conversation scripts and bland clinical session notes.

An email `Script` is the whole conversation a topic can have; a thread plays the first one to five
steps of it, so a thread that stops after the other party's message is one awaiting a reply. All
template text is ASCII (names may add Latin-1 letters), which keeps iso-8859-1 bodies encodable.
Session notes are assembled from a few stock sentences chosen by whether the client's scores are
improving, steady or worsening; none of it describes a real person.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    """One message of a script: who sends it, paragraph variants, an optional attachment."""

    mine: bool  # sent by the clinician
    variants: tuple[tuple[str, ...], ...]
    attachment: str | None = None


@dataclass(frozen=True)
class Script:
    subjects: tuple[str, ...]
    steps: tuple[Step, ...]


def _s(mine: bool, *variants: tuple[str, ...], attachment: str | None = None) -> Step:
    return Step(mine, variants, attachment)


SCRIPTS: dict[str, Script] = {
    "reschedule": Script(
        ("Rescheduling {day}", "Can we move {day}'s session?", "Change of plans for {day}"),
        (
            _s(False, ("Something came up at work and I won't be able to make our {day} "
                       "appointment at {time}.", "Would {alt_day} work instead?"),
               ("I'm so sorry for the short notice, but I need to move our session on {day}.",
                "Is there any chance you have time on {alt_day}?")),
            _s(True, ("No problem at all. {alt_day} at {time} works on my end; I've updated the "
                      "calendar.",),
               ("Thanks for letting me know. I can do {alt_day} at {time}, and I've sent a new "
                "invite.",)),
            _s(False, ("Perfect, thank you. See you then.",),
               ("Great, that works. Thanks for being flexible!",)),
            _s(True, ("You're welcome. Take care until then.",)),
        ),
    ),
    "update": Script(
        ("Quick update before {day}", "Checking in", "Something I wanted to share"),
        (
            _s(False, ("I wanted to let you know that the breathing exercise has been helping, "
                       "especially in the mornings.", "I had one rough evening on {weekday} but "
                       "I used the worksheet and it passed."),
               ("This week was a bit harder than last. Sleep has been patchy again.",
                "I'd like to talk about it on {day} if we have time.")),
            _s(True, ("Thank you for the update, {first}. I'm glad to hear the practice is "
                      "paying off.", "Let's make room for it on {day}."),
               ("I appreciate you writing. We'll start there on {day}.",
                "In the meantime, keep the evening routine as simple as you can.")),
            _s(False, ("Will do. Thanks!",), ("Sounds good, thank you.",)),
        ),
    ),
    "billing": Script(
        ("Question about my invoice", "Receipt for {month}", "Superbill request"),
        (
            _s(False, ("Could you send me a receipt for my sessions in {month}? My insurance "
                       "needs an itemized statement.",),
               ("I think I was charged twice for the session on {day}. Could you take a look?",)),
            _s(True, ("Of course. The statement for {month} is attached.",
                      "Let me know if your insurer needs anything else."),
               ("Thanks for flagging this. I've attached the statement; the duplicate charge "
                "has been refunded and should appear in a few days.",),
               attachment="statement-{month_slug}.pdf"),
            _s(False, ("Got it, thank you so much.",)),
        ),
    ),
    "checkin_form": Script(
        ("Your weekly check-in", "Check-in form before {day}", "Reminder: weekly questionnaire"),
        (
            _s(True, ("Hi {first}, a quick reminder to fill in this week's check-in before our "
                      "session on {day}.", "It takes about three minutes."),),
            _s(False, ("Done! See you {day}.",), ("Just filled it in. Thanks for the reminder.",)),
            _s(True, ("Thank you, {first}.",)),
        ),
    ),
    "resource": Script(
        ("Worksheet from today's session", "Resources we discussed", "Thought record"),
        (
            _s(True, ("As promised, here is the worksheet we talked about today.",
                      "Try filling in one entry a day; we'll look at it together next week."),
               attachment="{resource}.pdf"),
            _s(False, ("Thanks, I'll take a look tonight.",),
               ("Thank you. Should I print it or is it fine to fill it in on my phone?",)),
            _s(True, ("Either is fine, whatever makes it easiest to keep up.",)),
        ),
    ),
    "inquiry": Script(
        ("Inquiry about availability", "Looking for a therapist", "New client question"),
        (
            _s(False, ("Hello, I found your practice through a friend's recommendation and I'm "
                       "looking for a therapist to help with anxiety.",
                       "Are you accepting new clients?"),
               ("Hi, I'm looking for someone to talk to about work stress and burnout.",
                "Do you have any openings in the evenings?")),
            _s(True, ("Thank you for reaching out. I do have openings on {alt_day} afternoons.",
                      "Would you like to schedule a free 15-minute consultation call?"),),
            _s(False, ("Yes, {alt_day} afternoon would be great.",),
               ("That would be wonderful. Any time after 3 works for me.",)),
            _s(True, ("Great. I've sent a calendar invite and a link to the intake "
                      "questionnaire.",)),
            _s(False, ("Received, thank you! Looking forward to it.",)),
        ),
    ),
    "insurance": Script(
        ("Do you take insurance?", "Fees and insurance", "Question about cost"),
        (
            _s(False, ("Before booking, could you tell me whether you are in network with any "
                       "insurance plans, and what a session costs?",),),
            _s(True, ("I'm an out-of-network provider; I can give you a monthly superbill to "
                      "submit for reimbursement.", "The standard fee is listed on our website, "
                      "and I keep a few sliding-scale spots."),),
            _s(False, ("That helps, thank you. I'll check with my plan and get back to you.",)),
        ),
    ),
}
CLIENT_TOPICS = ("reschedule", "update", "billing", "checkin_form", "resource")
PROSPECT_TOPICS = ("inquiry", "insurance")
RESOURCES = ("thought-record-worksheet", "grounding-exercises", "sleep-hygiene-tips",
             "values-card-sort", "weekly-activity-log")
GREETINGS = ("Hi {name},", "Hello {name},", "Hi {name}!", "Dear {name},", "{name},")
SIGNOFFS = ("Thanks,", "Best,", "Warmly,", "Take care,", "Kind regards,")

_IMPROVING = (
    "Client reports sleeping better and feeling more able to manage the workday.",
    "Client noticed fewer episodes of worry this week and used the grounding exercise twice.",
    "Client described a calmer week and returned to an evening walk routine.",
)
_STEADY = (
    "Client reports a week much like the last, with mood mostly stable.",
    "Client continues to practise the breathing routine; no major changes reported.",
    "Client discussed ongoing stress at work and how it affects evenings.",
)
_WORSE = (
    "Client reports a harder week, with poorer sleep and more frequent low moods.",
    "Client described increased worry about family matters and difficulty concentrating.",
    "Client found it harder to keep routines this week and felt more withdrawn.",
)
_PLANS = (
    "Plan: continue weekly sessions and the daily thought record.",
    "Plan: review the activity log next week and add one pleasant activity per day.",
    "Plan: practise the grounding exercise when worry builds; revisit goals next session.",
)
_TURNS = (
    ("Clinician: How has the week been since we last met?",
     "Client: {feeling}",
     "Clinician: What helped, or what got in the way?",
     "Client: Keeping to the morning routine mostly. Evenings are still the hardest part.",
     "Clinician: Let's look at what happens in the evenings, step by step.",
     "Client: Okay. Usually it starts when I check work email after dinner."),
    ("Clinician: Where would you like to start today?",
     "Client: {feeling}",
     "Clinician: That makes sense. How did the worksheet go?",
     "Client: I filled it in on most days. Writing it down made it smaller somehow.",
     "Clinician: That's a useful observation. What do you notice about the entries?",
     "Client: A lot of them are about expecting things to go wrong."),
)
_FEELINGS = {
    "improving": "Better, honestly. I slept through most nights and work felt manageable.",
    "steady": "About the same. Some good days, some tiring ones.",
    "worse": "Not great. I've been tired and on edge most of the week.",
}


def session_texts(direction: str, pick: int, number: int) -> tuple[str, str, str]:
    """(transcript, notes, summary) for a session, varied by `pick`."""
    observations = {"improving": _IMPROVING, "steady": _STEADY, "worse": _WORSE}[direction]
    obs = observations[pick % len(observations)]
    plan = _PLANS[(pick // 3) % len(_PLANS)]
    turns = _TURNS[pick % len(_TURNS)]
    transcript = "\n".join(turns).format(feeling=_FEELINGS[direction])
    notes = f"Session {number}. {obs} Reviewed homework and coping strategies. {plan}"
    summary = {
        "improving": "Symptoms easing; engaged and using strategies between sessions.",
        "steady": "Symptoms stable; continuing current plan.",
        "worse": "Symptoms increased this week; plan adjusted and check-in scheduled.",
    }[direction]
    return transcript, notes, summary
