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
    b.insert(hyp("hi,", "Tom.", "quick"))
    assert [w.word for w in b.flush()] == ["hi,", "Tom."]


def test_a_sentence_end_on_the_newest_decodes_last_word_waits_for_a_decode_that_heard_past_it():
    b = HypothesisBuffer()
    b.insert(hyp("a", "couple", "of", "openings."))
    b.flush()
    b.insert(hyp("a", "couple", "of", "openings."))
    # "openings." ends the decoded audio: its stop may only mean the audio stopped there
    assert [w.word for w in b.flush()] == ["a", "couple", "of"]
    b.insert(hyp("a", "couple", "of", "openings", "after", "this", "call."))
    assert [w.word for w in b.flush()] == ["openings"]  # the decode that heard on has no stop there
    assert [w.word for w in b.commit_all()] == ["after", "this", "call."]  # the final decode keeps its stop


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


def words_at(text, probs=None, t0=0.0, step=0.5):
    probs = probs or [0.9] * len(text.split())
    return [Word(w, t0 + i * step, t0 + i * step + 0.4, p) for i, (w, p) in enumerate(zip(text.split(), probs))]


def test_an_agreed_word_at_the_edge_of_the_decoded_audio_waits_for_the_margin():
    from livecue.config import AgreementSettings

    buf = HypothesisBuffer(settings=AgreementSettings(edge_margin_s=0.5))
    buf.insert(words_at("we already have"), audio_end=1.4)
    assert buf.flush() == []
    # "have" ends at 1.4: agreed, but within 0.5 s of where this decode's audio ended
    buf.insert(words_at("we already have"), audio_end=1.6)
    assert [w.word for w in buf.flush()] == ["we", "already"]
    assert [w.word for w in buf.tentative] == ["have"]
    buf.insert(words_at("we already have someone"), audio_end=2.0)
    assert [w.word for w in buf.flush()] == ["have"]
    # without a margin LocalAgreement-2 commits the edge word at once
    plain = HypothesisBuffer(settings=AgreementSettings(edge_margin_s=0.0))
    plain.insert(words_at("we already have"), audio_end=1.4)
    plain.flush()
    plain.insert(words_at("we already have"), audio_end=1.6)
    assert [w.word for w in plain.flush()] == ["we", "already", "have"]


def test_a_doubtful_agreed_word_waits_for_more_decodes_and_holds_the_words_after_it():
    from livecue.config import AgreementSettings

    doubtful = [0.9, 0.3, 0.9, 0.9]  # "you" heard with a low probability, as "what you are" for "what your"
    buf = HypothesisBuffer(settings=AgreementSettings(min_probability=0.5, confirm_decodes=3))
    buf.insert(words_at("what you are here", doubtful))
    assert buf.flush() == []
    buf.insert(words_at("what you are here", doubtful))
    assert [w.word for w in buf.flush()] == ["what"]  # "you" held, and "are here" behind it (order kept)
    assert [w.word for w in buf.tentative] == ["you", "are", "here"]
    buf.insert(words_at("what you are here", doubtful))
    assert [w.word for w in buf.flush()] == ["you", "are", "here"]  # three decodes in a row agree
    # a later decode that changes the doubtful word resets its count
    buf = HypothesisBuffer(settings=AgreementSettings(min_probability=0.5, confirm_decodes=3))
    for text, probs in (("what you are", doubtful[:3]), ("what you are", doubtful[:3]),
                        ("what your country", [0.9, 0.9, 0.9]), ("what your country can", None)):
        buf.insert(words_at(text, probs))
        committed = [w.word for w in buf.flush()]
    assert "you" not in [w.word for w in buf.committed_tail]
    assert committed == ["your", "country"]


def test_confirm_decodes_zero_leaves_doubtful_words_to_the_final_decode():
    from livecue.config import AgreementSettings

    buf = HypothesisBuffer(settings=AgreementSettings(min_probability=0.5, confirm_decodes=0))
    for _ in range(5):
        buf.insert(words_at("fine thanks", [0.9, 0.2]))
        buf.flush()
    assert [w.word for w in buf.committed_tail] == ["fine"]
    assert [w.word for w in buf.commit_all()] == ["thanks"]


def test_agree_decodes_three_is_local_agreement_three():
    from livecue.config import AgreementSettings

    buf = HypothesisBuffer(settings=AgreementSettings(agree_decodes=3))
    buf.insert(words_at("not really"))
    assert buf.flush() == []
    buf.insert(words_at("not really interested"))
    assert buf.flush() == []  # two decodes are not enough
    buf.insert(words_at("not really interested thanks"))
    assert [w.word for w in buf.flush()] == ["not", "really"]
    buf.insert(words_at("not really interested thanks"))
    assert [w.word for w in buf.flush()] == ["interested"]

