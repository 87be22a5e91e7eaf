"""Issue 11r's own probes of unseen wording (transcript level, short scripted calls).

Three sets, written by the issue-11r helper in their own words before their
results were looked at: two situation sets (58 must-fire and 30
must-stay-quiet lines each, after an opener, a pitch with a reaction
question, a close, or a deferral before the rep's sign-off) and a precision
set (24 engaged mini-calls with hard negatives). Every line also runs as a
recogniser prints it (lowercase, no punctuation, no apostrophes). The
branch was then tuned on what they found, so after that they are no longer
independent: the honest first-look figures are in docs/benchmarks.md
("issue-11r"). Never copied from ../shared/calls-text or the fresh sets.

    python scripts/probe_11r.py [RULES_DIR] [--show]
"""
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src")); sys.path.insert(0, str(ROOT / "tests"))
from cue_events import cue_names, probe_command  # noqa: E402

load, SHOW = probe_command(sys.argv[1:], ROOT)


def asr(t):
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", "", t.lower().replace("'", "")))


P2_OP="Good morning, this is Priya with Clearpath Payroll, we take payroll off the plate of small restaurants. Do you have two minutes?"
P2_PITCH="So every shift's tips get split automatically, the taxes are filed for you, and your managers approve hours from their phone."
P2_ASK="How does that sound compared to what you do now?"
P2_CLOSE="Could we set you up for the first pay period next month?"
P2_SE2="Understood. Just curious, how long does payroll take your manager each week right now?"
P2_DATA = {
 ('second_effort','fire','open'): ["Thanks, but we use a local accountant for all that.", "Honestly we're not in the market for anything.",
   "We literally just moved everything to Gusto.", "Not a priority for us till the spring.", "Can you just email me your rates?",
   "No budget for anything like that this year, sorry.", "We've always done it ourselves and it works.", "I'll pass for now, we're fine."],
 ('second_effort','silent','open'): ["We use an accountant, but she's retiring, so timing's good.", "Sure, I've got two minutes, go.",
   "We're not happy with our current payroll at all.", "Last year we had no budget, but this year we do.", "What does it cost per employee?"],
 ('plant_seed','fire','open'): ["I'm in the middle of the lunch rush, call me tomorrow.", "Sorry, I'm driving, can't do this now.",
   "Please take us off your call list.", "I've got a delivery guy at the back door, gotta go.", "Now's really not a good time, I'm with a customer."],
 ('plant_seed','silent','open'): ["I've only got ten minutes before service, so go quick.", "I'm in the car but parked, go ahead."],
 ('decision_maker','fire','close'): ["My partner does the books, she'd have to say yes.", "That's the owner's decision, not mine.",
   "I'd have to run it by our regional manager.", "Our accountant would need to look at it first.", "Anything over a thousand goes to head office.",
   "I just run the kitchen, the boss decides that stuff."],
 ('decision_maker','silent','close'): ["I'm the owner, so yes, let's do it.", "My partner already said go for it.", "I'll tell my manager once it's set up."],
 ('reset','fire','pitch'): ["Eh, it's fine, but we get by without it.", "I mean, sure, but our accountant does most of that.", "Not sure it's worth the money for us.",
   "It's okay. Doesn't really blow me away.", "Sounds like a lot for a place our size.", "We tried an app like that and the staff hated it."],
 ('reset','silent','pitch'): ["Oh, that would save my manager a whole night a week.", "How much is it per employee?", "That's exactly the headache we have."],
 ('weak_ending','fire','end'): ["Okay, no problem, just give me a shout whenever.", "Sure thing, you know where to find me.", "Alright, I'll let you think it over, reach out anytime.",
   "Got it, keep us in mind down the road."],
 ('weak_ending','silent','end'): ["Great, I'll send the agreement tonight and call you Tuesday at two.", "Perfect, see you Thursday at nine for setup."],
}

P3_OP="Hey Marcus, it's Dana from Brightbin, we do smart waste pickups for apartment buildings. Catch you at an okay time?"
P3_PITCH="Right, so the sensors tell the hauler when a bin is actually full, so you stop paying for half-empty pickups, and you get a monthly report per building."
P3_ASK="What's your gut reaction?"
P3_CLOSE="Want me to put together a pilot for two of your buildings?"
P3_DATA = {
 ('second_effort','fire','open'): ["We're locked in with Waste Pro through next year.", "Nah, not something we're looking into.", "We're good, our hauler handles all that.",
   "Honestly, no interest, sorry.", "Put something in writing and send it over, I'll look when I can.", "We don't really have the budget for extras right now.",
   "Try me again in the fall maybe.", "Property management already picked a vendor for us."],
 ('second_effort','silent','open'): ["Yeah, go ahead, our pickups are a mess.", "Okay, I have a minute. What does it cost?", "We're locked in with Waste Pro, but I hate them, so talk to me.",
   "Honestly your timing is good, our contract ends in May.", "I was about to say not interested, but go on."],
 ('plant_seed','fire','open'): ["Not a good time, I'm walking a unit with a tenant.", "Can I call you back? I'm on a roof.", "I'm heading into a board meeting, sorry.",
   "Stop calling this number, please.", "I can't talk, I'm at the bank."],
 ('plant_seed','silent','open'): ["I've got fifteen minutes till my next showing, so go.", "I'm on my way to your area anyway, tell me more."],
 ('decision_maker','fire','close'): ["The HOA would have to vote on a pilot.", "I'd need to clear it with the property owner.", "That's really up to our regional director.",
   "The owners group decides on new vendors.", "Let me bring it to my boss on Monday.", "I can't sign contracts, that's my manager's job."],
 ('decision_maker','silent','close'): ["I'm the owner, I can say yes to a pilot.", "My boss said pick whatever works, so sure.", "I'll let the tenants know once it's live."],
 ('reset','fire','pitch'): ["It's alright. Not sure we'd notice the difference.", "Meh. Our hauler already gives us a report.", "I don't know, seems like a gadget more than a fix.",
   "Kind of underwhelming, if I'm honest.", "I guess, but it's not really a problem we have.", "Feels like extra stuff to manage for a small saving."],
 ('reset','silent','pitch'): ["Honestly that could cut our bill a lot.", "How many buildings use it now?", "Huh, that's clever. How do the sensors get power?"],
 ('weak_ending','fire','end'): ["No worries, if you ever want to chat, just ring me.", "Sounds good, just holler when you're ready.", "Okay, I'll leave my number with you, call anytime.",
   "Alright, whenever the timing's better, reach back out."],
 ('weak_ending','silent','end'): ["Perfect, I'll email the pilot agreement today and we'll talk Friday at eleven.", "Great, the install crew is booked for the third, I'll confirm tonight."],
}

PR_OP="Hi Jen, it's Tom from Ledgerly, we automate accounts payable for mid-size distributors. Got a couple of minutes?"
PR_PITCH="So invoices come in by email, we read them, match them to the purchase order, and your team just approves the exceptions."
PR_ASK="Would that help your team?"
PR_CALLS = [
 [("rep",PR_OP),("prospect","We're fine on receivables, it's payables that eat my week. Go on.")],
 [("rep",PR_OP),("prospect","A year ago I'd have said we're all set, but we've doubled since then.")],
 [("rep",PR_OP),("prospect","We're not interested in another portal, but if it plugs into NetSuite I'm listening.")],
 [("rep",PR_OP),("prospect","I've got a hard stop at two, so about ten minutes. Shoot.")],
 [("rep",PR_OP),("prospect","I'm in the car but on hands free, go ahead.")],
 [("rep",PR_OP),("prospect","Funny timing, we were just talking about this. What does it cost?")],
 [("rep",PR_PITCH),("rep",PR_ASK),("prospect","It would. My controller would love it, and I sign off on tools like this.")],
 [("rep",PR_PITCH),("rep",PR_ASK),("prospect","Probably. We tried a tool years ago that flopped, so what's different about yours?")],
 [("rep",PR_PITCH),("rep",PR_ASK),("prospect","Maybe. How long does setup usually take?")],
 [("rep",PR_PITCH),("rep",PR_ASK),("prospect","Yeah. Our current process is fine for small invoices, it's the big ones that hurt.")],
 [("rep",PR_PITCH),("rep",PR_ASK),("prospect","It's fine for now, but we're growing, so tell me about pricing.")],
 [("rep",PR_PITCH),("rep",PR_ASK),("prospect","That's a big deal for us actually. Our AP clerk is drowning.")],
 [("rep",PR_PITCH),("rep","Could we start a pilot next month?"),("prospect","I'll mention it to the CFO, but this is my budget, so yes.")],
 [("rep",PR_PITCH),("rep","Could we start a pilot next month?"),("prospect","The board already approved the spend, so let's do it.")],
 [("rep",PR_PITCH),("rep","Could we start a pilot next month?"),("prospect","Sure. I'll loop in IT for the login setup, that's all.")],
 [("rep",PR_PITCH),("prospect","Sounds good, send me the pilot agreement."),("rep","Great, I'll send it today and we'll kick off Monday at ten. Any questions before then, just call me.")],
 [("rep",PR_PITCH),("prospect","Okay, book it."),("rep","Done, you're booked for the fourteenth at nine. Talk soon.")],
 [("rep","How do you handle invoice approvals today?"),("prospect","Email, mostly."),("rep","And how many invoices a month is that?"),("prospect","About four thousand, and growing fast since we opened the second warehouse.")],
 [("rep","How's your current AP software working for you?"),("prospect","It's okay, honestly, but the matching is all manual.")],
 [("rep","What does month-end look like for your team?"),("prospect","Not great. Long nights.")],
 [("rep",PR_PITCH),("rep",PR_ASK),("prospect","Honestly, not that impressed with the demo video, but the live version looks much better.")],
 [("rep",PR_OP),("prospect","I was going to say send me an email, but actually, go ahead, I have a minute.")],
 [("rep",PR_PITCH),("rep",PR_ASK),("prospect","My old boss used to say we didn't need this. He's gone now, so I'm all ears.")],
 [("rep",PR_PITCH),("rep","Could we start a pilot next month?"),("prospect","Let me check my calendar. Yes, the second week works.")],
]


def situation(op, pitch, ask, close, ctx, t):
    if ctx == "open":
        return [("rep", 0.5, 7.0, op), ("prospect", 7.5, 11.0, t)]
    if ctx == "close":
        return [("rep", 0.5, 7.0, pitch), ("rep", 7.3, 10.0, close), ("prospect", 10.5, 15.0, t)]
    if ctx == "pitch":
        return [("rep", 0.5, 7.0, pitch), ("rep", 7.3, 10.0, ask), ("prospect", 10.5, 15.0, t)]
    return [("rep", 0.5, 7.0, pitch), ("prospect", 7.5, 11.0, "I'll need to think it over."), ("rep", 11.5, 16.0, t)]


def run_situations(name, data, op, pitch, ask, close):
    fired = silent = n_fire = n_silent = 0
    for (cue, expect, ctx), items in data.items():
        for t in items:
            for text in (t, asr(t)):
                got = cue_names(load, situation(op, pitch, ask, close, ctx, text), 60.0)
                ok = cue in got if expect == "fire" else not got
                if expect == "fire":
                    fired += ok; n_fire += 1
                else:
                    silent += ok; n_silent += 1
                if not ok and SHOW:
                    print(f"  WRONG {cue} {expect}: {text!r} -> {got}")
    print(f"{name}: must fire {fired}/{n_fire}, must stay quiet {silent}/{n_silent}")


def run_precision():
    quiet = n = 0
    for call in PR_CALLS:
        for render in (lambda x: x, asr):
            t, lines = 0.5, []
            for speaker, text in call:
                d = max(1.0, len(text.split()) / 2.6)
                lines.append((speaker, t, t + d, render(text)))
                t += d + 0.6
            got = cue_names(load, lines, t + 15.0)
            quiet += not got; n += 1
            if got and SHOW:
                print(f"  FIRED {got}: {render(call[-1][1])!r}")
    print(f"precision set: quiet {quiet}/{n}")


run_situations("situations 1", P2_DATA, P2_OP, P2_PITCH, P2_ASK, P2_CLOSE)
run_situations("situations 2", P3_DATA, P3_OP, P3_PITCH, P3_ASK, P3_CLOSE)
run_precision()
