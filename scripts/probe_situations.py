"""The issue's situations in my own wording: does the right cue fire on a short scripted call?

120 one-line situations (issue 11's list of brush-offs, deciders,
lukewarm verdicts, exits, second noes and sign-offs, reworded, plus near
misses that must stay quiet), each put after a fixed rep line and run
through the cue engine (transcript level, no audio).  Written while adding
the third pass's rule examples, so it is not an independent test set: it
shows which situations the rules cover, and was used before/after.  Never
copied from ../shared/calls-text.

    python scripts/probe_situations.py [RULES_DIR]
"""
import sys
from pathlib import Path
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src")); sys.path.insert(0, str(ROOT / "tests"))
from cue_events import cue_names
from livecue.cues.rules import load_rule_dir
load = load_rule_dir(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "cue_rules")
assert not load.problems, load.problems
def run(lines):
    return cue_names(load, lines, 60.0)
CLOSE = "So how does the paperwork look, could we get you started on the first of the month?"
PITCH = "We handle the scheduling, the reminders and the billing in one place, so your front desk saves a few hours a week."
DM = ["Honestly the owner makes those decisions, not me.", "It's really his call at the end of the day.",
 "They vote on anything over ten k.", "Procurement has to sign off before we buy anything.",
 "That all goes to corporate.", "Let me check with legal and I'll get back to you.",
 "I'd have to see what my wife thinks.", "You'd need to talk to our GM about that.",
 "I just run the floor, the money side is handled by the guy upstairs.", "The board meets next month and they'll decide then.",
 "I can recommend it but somebody above me pulls the trigger.", "That's a question for my business partner really.",
 "I'm not the one who approves spending here.", "Our accountant would have to look at it first.",
 "The regional office picks all our vendors.", "My dad still runs the shop so it's up to him.",
 "Let me run it past the team on Monday.", "Our head of operations has the final word on tools.",
 "Anything like this goes through the district manager.", "I'll have to take it to my supervisor.",
 "We've got a buying committee for this kind of thing.", "My husband handles all the bills.",
 "I'd need to get the nod from the partners.", "The principal signs off on all purchases.",
 "Honestly that's a decision for the higher-ups."]
DM_NOT = ["I make the call on this, so let's talk numbers.", "My boss left it to me, she trusts my judgment.",
 "I'll ask our IT guy how the login works, but I decide.", "My wife loves the color, by the way.",
 "The owner already said yes last week, we just need the date.", "I'll show it to the team once we've set it up.",
 "Corporate gave us a budget for this and it's mine to spend."]
SE = ["Thanks, but no thanks.", "If it ain't broke, don't fix it.", "Let's revisit in like six months.",
 "We're not taking bids right now.", "We just renewed.", "We're already on Salesforce, so.",
 "Just send me an email with some information.", "We're good for now, really.",
 "I don't think this is for us.", "We've got somebody for that already.", "Not something we're looking at this year.",
 "We handle that in-house.", "Money's tight at the moment, so probably not.", "Call me back after the holidays.",
 "We're happy with what we have.", "I'm going to pass on this one.", "It's not a priority for us right now.",
 "We signed a two-year deal last spring.", "Can you just mail me a brochure?", "We looked into it and decided against it."]
SE_NOT = ["We're all set on hardware, but the software side is what I need.",
 "Last year we had no budget for it, but it got approved in January.", "Not interested in a three-year contract, what about monthly?",
 "I was about to say not interested, but go on, tell me about the pricing.", "We just hired two people to run it, so show me how they'd use it.",
 "Send me the contract and I'll sign it today."]
PS = ["I have to leave for a meeting, sorry, I need to go.", "Please take me off your list.", "I've got to run, bye.",
 "Look, I'm hanging up now.", "Stop calling this number.", "I really can't talk, I'm driving."]
PS_NOT = ["I have to leave at two, so we have twenty minutes, walk me through it.", "I need to go over the numbers with you first."]
RS = ["It's OK.", "It's not blowing me away.", "I don't see what this adds.", "It's basically the same as what we have.",
 "It's a nice-to-have, not a must-have.", "We tried something like this before, didn't work.", "Meh, I guess it's fine.",
 "I'm not really seeing the value here.", "It looks like every other tool out there.", "Sounds a bit complicated for us, honestly.",
 "I don't know, it seems like overkill for a shop our size.", "Our team probably wouldn't use half of that."]
RS_NOT = ["That's great, exactly what we need.", "OK, and how does the billing part work?", "It's OK with me if we start next week.",
 "That would save us a lot of time, honestly."]
WE = ["Just get back to me when you can.", "I'm just a phone call away.", "My door's always open.", "Keep Brightline in mind.",
 "Anyway, reach out whenever you're ready.", "Well, you have my number if anything changes.", "Think it over and let me know.",
 "No pressure at all, ping me whenever.", "Hope to hear from you someday."]
WE_NOT = ["I'll call you Thursday at ten to go over the numbers, does that work?", "Let's put thirty minutes on the calendar for Tuesday with your partner.",
 "I'll send the proposal tonight and we'll review it together Friday at nine."]
res = {}
def probe(name, expect, lines_list):
    bad = []
    for lines, text in lines_list:
        got = run(lines)
        ok = (expect in got) if expect != "none" else (not got)
        if not ok: bad.append((text, got))
    res[name] = (len(lines_list) - len(bad), len(lines_list))
    print(f"{name}: {len(lines_list)-len(bad)}/{len(lines_list)}")
    for b in bad: print("    MISS", b)
pr = lambda t: ([("rep", 0.5, 5.0, CLOSE), ("prospect", 5.5, 9.0, t)], t)
probe("dm fire", "decision_maker", [pr(t) for t in DM])
probe("dm silent", "none", [pr(t) for t in DM_NOT])
pp = lambda t: ([("rep", 0.5, 6.0, PITCH + " Would that help your team?"), ("prospect", 6.5, 9.5, t)], t)
probe("se fire", "second_effort", [pp(t) for t in SE])
probe("se silent", "none", [pp(t) for t in SE_NOT])
probe("ps fire", "plant_seed", [pp(t) for t in PS])
probe("ps silent", "none", [pp(t) for t in PS_NOT])
probe("rs fire", "reset", [pp(t) for t in RS])
probe("rs silent", "none", [pp(t) for t in RS_NOT])
pw = lambda t: ([("rep", 0.5, 6.0, PITCH), ("prospect", 6.5, 9.0, "Okay, I'll think about it."), ("rep", 9.5, 13.0, "Sure, sounds good. " + t)], t)
probe("we fire", "weak_ending", [pw(t) for t in WE])
probe("we silent", "none", [pw(t) for t in WE_NOT])
P2 = ["We're not changing anything.", "We decided to go with another company.", "Nothing, really.", "Still no, sorry.",
 "Like I said, we're good.", "Honestly it won't change my answer.", "We've made up our minds on this.", "No, it's the same answer.",
 "I appreciate it but we'll stick with what we have.", "We already picked a vendor last week."]
P2_NOT = ["Okay, that's actually a good point, tell me more.", "Well, what would the first month cost?"]
def second(t):
    return ([("rep", 0.5, 5.0, PITCH + " Would that help your team?"), ("prospect", 5.5, 8.0, "No thanks, we're happy with what we have."),
             ("rep", 9.0, 15.0, "Totally fair. Out of curiosity, what would have to change for you to look at something new?"),
             ("prospect", 15.5, 18.0, t)], t)
probe("ps second no", "plant_seed", [second(t) for t in P2])
bad = []
for lines, t in [second(t) for t in P2_NOT]:
    got = run(lines)
    if "plant_seed" in got: bad.append((t, got))
print("ps second-no near misses firing plant_seed:", bad)
PX = ["I'm in the middle of something.", "Can we do this another time?", "I'm about to step into a meeting.", "Now's not good.",
 "I'm heading out the door.", "This isn't a good time.", "I'm at lunch right now.", "My other line is ringing, I have to jump.",
 "I'm going to let you go.", "Sorry, I've got customers waiting.", "I'm not doing this right now.", "Don't call here again.",
 "Who gave you this number? I'm not interested, goodbye.", "I'm on the other line, bye."]
probe("ps exit more", "plant_seed", [pp(t) for t in PX])
