from livecue.asr.agreement import HypothesisBuffer
from livecue.events import Word


def hyp(*words, start=0.0, step=0.5):
    return [Word(w, start + i * step, start + i * step + 0.4) for i, w in enumerate(words)]


def test_commits_only_what_two_hypotheses_agree_on():
    b = HypothesisBuffer()
    b.insert(hyp("we", "already"))
    assert b.flush() == []  # one hypothesis is never enough
    b.insert(hyp("we", "already", "have", "some"))
    assert [w.word for w in b.flush()] == ["we", "already"]
    assert [w.word for w in b.tentative] == ["have", "some"]
    b.insert(hyp("we", "already", "have", "someone", "that"))
    assert [w.word for w in b.flush()] == ["have"]
    assert [w.word for w in b.tentative] == ["someone", "that"]


def test_committed_words_are_never_revised_or_repeated():
    b = HypothesisBuffer()
    b.insert(hyp("not", "really", "interested"))
    b.flush()
    b.insert(hyp("not", "really", "interested"))
    first = [w.word for w in b.flush()]
    assert first == ["not", "really", "interested"]
    # a later hypothesis that rewrites the start differs only in words already committed
    b.insert(hyp("nod", "really", "interested", "thanks"))
    b.flush()
    b.insert(hyp("not", "really", "interested", "thanks"))
    assert [w.word for w in b.flush()] == ["thanks"]


def test_punctuation_and_case_do_not_block_agreement():
    b = HypothesisBuffer()
    b.insert(hyp("Hi", "Tom"))
    b.flush()
    b.insert(hyp("hi,", "Tom."))
    assert [w.word for w in b.flush()] == ["hi,", "Tom."]


def test_boundary_ngram_is_not_duplicated_after_a_trim():
    b = HypothesisBuffer()
    b.insert(hyp("keep", "us", "in", "mind"))
    b.flush()
    b.insert(hyp("keep", "us", "in", "mind"))
    b.flush()
    end = b.committed_end
    # the buffer was trimmed: the new hypothesis restates the last words with shifted times
    b.insert([Word("in", end - 0.05, end + 0.2), Word("mind", end + 0.2, end + 0.5), Word("please", end + 0.6, end + 0.9)])
    assert [w.word for w in b.new] == ["please"]


def test_final_commits_everything_and_cap_commits_up_to_a_time():
    b = HypothesisBuffer()
    b.insert(hyp("a", "b", "c", "d"))
    b.flush()
    assert [w.word for w in b.commit_until(1.0)] == ["a", "b"]
    assert [w.word for w in b.commit_all()] == ["c", "d"]
    assert b.tentative == []


def test_a_decode_that_stops_early_does_not_reset_agreement():
    """tiny.en sometimes ends a decode before the audio does: the next decode can still agree with the one before."""
    def ws(text, t0=0.0):
        return [Word(w, t0 + i * 0.5, t0 + i * 0.5 + 0.4) for i, w in enumerate(text.split())]

    buf = HypothesisBuffer()
    buf.insert(ws("quick question with a fees cap"))
    assert buf.flush() == []
    buf.insert(ws("quick question"))  # stopped early: a prefix of the previous hypothesis
    assert [w.word for w in buf.flush()] == ["quick", "question"]
    assert [w.word for w in buf.tentative] == ["with", "a", "fees", "cap"]  # the previous rest is kept
    buf.insert(ws("quick question with a fees cap in your state"))
    assert [w.word for w in buf.flush()] == ["with", "a", "fees", "cap"]
    # a hypothesis that disagrees still replaces the reference, as before
    buf.insert(ws("quick question with a fees cap in her state tomorrow"))
    assert [w.word for w in buf.flush()] == ["in"]
    assert [w.word for w in buf.tentative] == ["her", "state", "tomorrow"]
