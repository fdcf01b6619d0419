"""Small tasks for the application taxonomy (Chapter 5), generated in code from a seed.

Every word list, sentence template and melody rule here was written for this course and is
public domain (CC0 1.0). Nothing is downloaded. Each generator takes a NumPy ``Generator``
``rng``, so the same seed gives the same data set on every machine.
"""
import numpy as np

__all__ = ["two_moons", "MAJOR_SCALE", "scale_walks", "in_key", "sentiment_sentences",
           "GOOD_WORDS", "BAD_WORDS", "LIKE_WORDS", "HATE_WORDS", "BARE_VERB",
           "TAGS", "tagged_sentences", "entity_spans", "entity_f1", "number_words",
           "WordVocab", "pad_left", "pad_right", "unseen_split", "unseen_split_by_group",
           "next_note_probabilities",
           "one_clause_reviews", "TEMPLATES", "ENTITIES", "template_sizes", "seen_in_place"]


def _check_rng(rng):
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng is a {type(rng).__name__}; expected np.random.default_rng(seed)")


def _check_count(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} is {value!r}; expected a positive integer")


# ---------------------------------------------------------------- one-to-one: 2-D points
def two_moons(rng, n, noise=0.2):
    """Two interleaved half circles: points (n, 2) and labels (n,) in {0, 1}, half each."""
    _check_rng(rng)
    _check_count("n", n)
    labels = np.arange(n) % 2
    angle = rng.uniform(0, np.pi, n)
    upper = np.stack([np.cos(angle), np.sin(angle)], axis=1)
    lower = np.stack([1 - np.cos(angle), 0.5 - np.sin(angle)], axis=1)
    points = np.where(labels[:, None] == 0, upper, lower)
    points += noise * rng.standard_normal((n, 2))
    order = rng.permutation(n)
    return points[order], labels[order]


# ---------------------------------------------------------------- one-to-many: melodies
MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)   # semitones above the tonic
_STEPS, _STEP_P = (-2, -1, 1, 2), (0.15, 0.35, 0.35, 0.15)   # moves in scale degrees


def scale_walks(rng, n, length=12, octaves=2):
    """Random walks on the major scale of their first note, as note numbers 0..12*octaves+11.

    The first note (the seed) is a tonic in 0..11 (C to B); each next note moves -2, -1, +1
    or +2 degrees of that tonic's major scale (probabilities 0.15, 0.35, 0.35, 0.15),
    reflected at the lowest and highest degree (0 and 7*octaves). Returns (n, length) ints.
    """
    _check_rng(rng)
    _check_count("n", n)
    _check_count("length", length)
    top = 7 * octaves
    degrees = np.zeros((n, length), dtype=int)
    for t in range(1, length):
        step = rng.choice(_STEPS, size=n, p=_STEP_P)
        degree = degrees[:, t - 1] + step
        degree = np.where(degree < 0, -degree, degree)
        degrees[:, t] = np.where(degree > top, 2 * top - degree, degree)
    tonic = rng.integers(0, 12, size=(n, 1))
    scale = np.array(MAJOR_SCALE)
    return tonic + 12 * (degrees // 7) + scale[degrees % 7]


def next_note_probabilities(melodies, octaves=2):
    """The rule's own distribution of each next note: (N, L-1, 12*octaves+12) for melodies
    (N, L) from ``scale_walks``. It knows the tonic (the first note) and the degree of the
    current note, so its cross-entropy is the lowest any model can reach on these melodies."""
    melodies = np.asarray(melodies)
    if melodies.ndim != 2 or melodies.shape[1] < 2:
        raise ValueError(f"melodies has shape {melodies.shape}; expected (N, L) with L >= 2")
    top, V = 7 * octaves, 12 * octaves + 12
    scale = np.array(MAJOR_SCALE)
    degree_note = 12 * (np.arange(top + 1) // 7) + scale[np.arange(top + 1) % 7]
    tonic = melodies[:, :1]
    degrees = np.searchsorted(degree_note, melodies - tonic)
    if not np.array_equal(degree_note[np.minimum(degrees, top)], melodies - tonic):
        raise ValueError("melodies holds notes outside their first note's major scale")
    probs = np.zeros(melodies[:, 1:].shape + (V,))
    for step, p in zip(_STEPS, _STEP_P):
        degree = degrees[:, :-1] + step
        degree = np.where(degree < 0, -degree, degree)
        degree = np.where(degree > top, 2 * top - degree, degree)
        note = tonic + degree_note[degree]
        np.put_along_axis(probs, note[..., None],
                          np.take_along_axis(probs, note[..., None], -1) + p, -1)
    return probs


def in_key(notes, tonic):
    """True where a note (any shape) belongs to the major scale of ``tonic`` (same shape or
    broadcastable)."""
    return np.isin((np.asarray(notes) - np.asarray(tonic)) % 12, MAJOR_SCALE)


# ---------------------------------------------------------------- many-to-one: sentiment
GOOD_WORDS = ("good", "great", "wonderful", "funny", "moving", "clever")
BAD_WORDS = ("bad", "boring", "awful", "dull", "weak", "silly")
_NOUNS = ("film", "plot", "acting", "music", "ending", "story")
LIKE_WORDS, HATE_WORDS = ("loved", "liked", "enjoyed"), ("hated", "disliked")
_ADVERBS = ("very", "really", "quite", "", "", "")
BARE_VERB = {"loved": "love", "liked": "like", "enjoyed": "enjoy", "hated": "hate",
         "disliked": "dislike"}


def _clause(rng):
    """(words, label) of one clause: label 1 positive, 0 negative, after any negation."""
    positive, negated = rng.random() < 0.5, rng.random() < 0.3
    noun = str(rng.choice(_NOUNS))
    if rng.random() < 0.6:
        adverb = str(rng.choice(_ADVERBS))
        adjective = str(rng.choice(GOOD_WORDS if positive else BAD_WORDS))
        words = ["the", noun, "was"] + (["not"] if negated else []) + [adverb, adjective]
    else:
        verb = str(rng.choice(LIKE_WORDS if positive else HATE_WORDS))
        if negated:   # "i did not like the plot"
            words = ["i", "did", "not", BARE_VERB[verb], "the", noun]
        else:
            words = ["i", verb, "the", noun]
    return [w for w in words if w], int(positive != negated)


def one_clause_reviews():
    """Every one-clause review the grammar can write, as (word lists, labels (n,)): the
    clauses of ``sentiment_sentences``, each once."""
    reviews, labels = [], []
    for noun in _NOUNS:
        for negated in (False, True):
            for positive in (True, False):
                for adverb in sorted(set(_ADVERBS)):
                    for adjective in GOOD_WORDS if positive else BAD_WORDS:
                        reviews.append([w for w in ["the", noun, "was"] + (["not"] if negated
                                       else []) + [adverb, adjective] if w])
                        labels.append(int(positive != negated))
                for verb in LIKE_WORDS if positive else HATE_WORDS:
                    reviews.append(["i", "did", "not", BARE_VERB[verb], "the", noun] if negated
                                   else ["i", verb, "the", noun])
                    labels.append(int(positive != negated))
    return reviews, np.array(labels)


def sentiment_sentences(rng, n):
    """n short reviews with labels (1 positive, 0 negative): a list of word lists and (n,).

    A review is one clause ("the plot was not very good") or two joined by "but", in which
    case the second clause decides ("the music was dull but i loved the ending" is positive).
    A negation ("not", "did not") flips its clause.
    """
    _check_rng(rng)
    _check_count("n", n)
    sentences, labels = [], []
    for _ in range(n):
        words, label = _clause(rng)
        if rng.random() < 0.4:
            second, label = _clause(rng)
            words = words + ["but"] + second
        sentences.append(words)
        labels.append(label)
    return sentences, np.array(labels)


# ---------------------------------------------------------------- many-to-many: named entities
TAGS = ("O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG")
ENTITIES = {
    "PER": ("anna", "omar", "li wei", "maria lopez", "john", "fatima", "jordan", "paris hilton"),
    "LOC": ("paris", "lagos", "lima", "oslo", "jordan", "new york", "buenos aires", "cairo"),
    "ORG": ("unesco", "acme", "red cross", "world bank", "nasa", "bank of lima"),
}
TEMPLATES = (
    "{PER} flew to {LOC} on monday", "{PER} works for {ORG}", "{ORG} opened an office in {LOC}",
    "we met {PER} in {LOC}", "{PER} and {PER} visited {LOC}", "the weather in {LOC} was cold",
    "{ORG} hired {PER} last year", "{LOC} is far from {LOC}", "a letter from {PER} to {ORG}",
    "she moved from {LOC} to {LOC} with {PER}",
)


def tagged_sentences(rng, n):
    """n sentences with one BIO tag per word (tags from ``TAGS``): two lists of lists.

    Some names are ambiguous on purpose: "jordan" is a person or a country, "paris" a city
    or part of a person's name, "lima" a city or part of an organisation; only the words
    around them decide.
    """
    _check_rng(rng)
    _check_count("n", n)
    sentences, tags = [], []
    for _ in range(n):
        words, labels = [], []
        for piece in str(rng.choice(TEMPLATES)).split():
            if piece.startswith("{"):
                kind = piece[1:-1]
                entity = str(rng.choice(ENTITIES[kind])).split()
                words += entity
                labels += [f"B-{kind}"] + [f"I-{kind}"] * (len(entity) - 1)
            else:
                words.append(piece)
                labels.append("O")
        sentences.append(words)
        tags.append(labels)
    return sentences, tags


def template_sizes():
    """How many different sentences each template of ``TEMPLATES`` can make: the product
    of the number of names of each slot's kind. A dict {template: count}."""
    return {t: int(np.prod([len(ENTITIES[p[1:-1]]) for p in t.split() if p.startswith("{")]))
            for t in TEMPLATES}


def entity_spans(tags):
    """The entities of one BIO tag sequence, as a set of (kind, start, end) with end exclusive.

    An I- tag that does not continue an entity of its kind starts a new one (the usual
    lenient reading of BIO)."""
    spans, start, kind = set(), None, None
    for t, tag in enumerate(list(tags) + ["O"]):
        inside = tag.startswith("I-") and tag[2:] == kind
        if start is not None and not inside:
            spans.add((kind, start, t))
            start, kind = None, None
        if tag.startswith("B-") or (tag.startswith("I-") and not inside):
            start, kind = t, tag[2:]
    return spans


def entity_f1(true_tags, predicted_tags):
    """Per-entity F1 over a corpus (lists of tag lists): an entity counts as found only if
    its kind, start and end all match. Returns {kind: F1, ..., "all": micro-averaged F1}."""
    if len(true_tags) != len(predicted_tags):
        raise ValueError(f"true_tags has {len(true_tags)} sentences but predicted_tags has "
                         f"{len(predicted_tags)}; expected the same number")
    counts = {}
    for true, pred in zip(true_tags, predicted_tags):
        gold, guess = entity_spans(true), entity_spans(pred)
        for kind in {s[0] for s in gold | guess} | {"all"}:
            g = gold if kind == "all" else {s for s in gold if s[0] == kind}
            p = guess if kind == "all" else {s for s in guess if s[0] == kind}
            c = counts.setdefault(kind, [0, 0, 0])
            c[0] += len(g & p)
            c[1] += len(p)
            c[2] += len(g)
    return {kind: 2 * hit / (found + gold) if found + gold else 0.0
            for kind, (hit, found, gold) in sorted(counts.items())}


# ---------------------------------------------------------------- many-to-many, Tx != Ty: numbers
_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen "
         "fourteen fifteen sixteen seventeen eighteen nineteen").split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def number_words(number):
    """An integer 0..999 in English words, e.g. 342 -> "three hundred forty two"."""
    if isinstance(number, bool) or not isinstance(number, (int, np.integer)) or not (
            0 <= number <= 999):
        raise ValueError(f"number is {number!r}; expected an integer in 0..999")
    hundreds, rest = divmod(int(number), 100)
    words = [_ONES[hundreds], "hundred"] if hundreds else []
    if rest >= 20:
        words += [_TENS[rest // 10]] + ([_ONES[rest % 10]] if rest % 10 else [])
    elif rest or not words:
        words.append(_ONES[rest])
    return " ".join(words)


# ---------------------------------------------------------------- words to numbers
class WordVocab:
    """Tokens (words, tags, notes) to indices and back; index 0 is ``pad``.

    ``extra`` tokens (e.g. "<start>", "<end>") come right after the pad, then the sorted
    tokens of ``sequences`` (a list of token lists)."""

    def __init__(self, sequences, pad="<pad>", extra=()):
        seen = sorted({token for sequence in sequences for token in sequence})
        self.tokens = [pad, *extra] + [t for t in seen if t != pad and t not in extra]
        self.index = {token: i for i, token in enumerate(self.tokens)}

    @property
    def size(self):
        return len(self.tokens)

    def encode(self, tokens):
        unknown = [t for t in tokens if t not in self.index]
        if unknown:
            raise ValueError(f"tokens {unknown} are not in the vocabulary")
        return [self.index[t] for t in tokens]

    def decode(self, ids):
        return [self.tokens[i] for i in ids]


def pad_left(sequences, length=None, value=0):
    """Index lists -> (T, B) ints, padded at the start so every sequence ends at step T.

    Used where the last step is what counts (many-to-one, the encoder)."""
    length = length or max(len(s) for s in sequences)
    out = np.full((length, len(sequences)), value, dtype=int)
    for b, s in enumerate(sequences):
        out[length - len(s):, b] = s
    return out


def pad_right(sequences, length=None, value=0):
    """Index lists -> (T, B) ints padded at the end, and the (T, B) 0/1 mask of real steps."""
    length = length or max(len(s) for s in sequences)
    out = np.full((length, len(sequences)), value, dtype=int)
    mask = np.zeros((length, len(sequences)))
    for b, s in enumerate(sequences):
        out[:len(s), b] = s
        mask[:len(s), b] = 1
    return out, mask


# ---------------------------------------------------------------- held-out items, not seen
def unseen_split(items, n_train, n_test):
    """Indices (train, test) of a training set and a held-out set that shares no item with it.

    The training set is the first ``n_train`` items (repeats allowed: they are the data).
    The held-out set is the next items that are neither in the training set nor earlier in
    the held-out set, until there are ``n_test``. Items are token lists or array rows,
    compared as tuples. Raises ValueError if ``items`` has too few unseen items."""
    _check_count("n_train", n_train)
    _check_count("n_test", n_test)
    keys = [tuple(np.asarray(item).tolist()) for item in items]
    if len(keys) <= n_train:
        raise ValueError(f"items has {len(keys)} items; expected more than n_train={n_train}")
    seen, test = set(keys[:n_train]), []
    for i in range(n_train, len(keys)):
        if keys[i] not in seen:
            seen.add(keys[i])
            test.append(i)
            if len(test) == n_test:
                return np.arange(n_train), np.array(test)
    raise ValueError(f"items has only {len(test)} distinct items after the first {n_train} "
                     f"that are not among them; expected n_test={n_test}: generate more")


def unseen_split_by_group(items, groups, n_train, share=0.25, most=30):
    """Indices (train, test) of a held-out set that holds every group, and a training set that
    shares no item with it.

    For each group (in ``groups``, one label per item), the held-out set takes the first
    different items of that group, in order, up to ``share`` of the different items the group
    has in ``items`` (at least 1) and at most ``most``. The training set is then the first
    ``n_train`` items that are not held out (repeats allowed: they are the data). Unlike
    ``unseen_split``, a group whose items are few and all drawn early is held out too."""
    _check_count("n_train", n_train)
    _check_count("most", most)
    if not 0 < share < 1:
        raise ValueError(f"share is {share!r}; expected a number between 0 and 1")
    keys = [tuple(np.asarray(item).tolist()) for item in items]
    if len(groups) != len(keys):
        raise ValueError(f"groups has {len(groups)} labels; expected one per item ({len(keys)})")
    distinct = {}                                       # group -> its different items, in order
    for i, (key, group) in enumerate(zip(keys, groups)):
        distinct.setdefault(group, {}).setdefault(key, i)
    held = {}
    for group, firsts in distinct.items():
        take = min(most, max(1, int(share * len(firsts))))
        held.update((key, i) for key, i in list(firsts.items())[:take])
    train = [i for i, key in enumerate(keys) if key not in held][:n_train]
    if len(train) < n_train:
        raise ValueError(f"items has only {len(train)} items that are not held out; expected "
                         f"n_train={n_train}: generate more")
    return np.array(train), np.array(sorted(held.values()))


def seen_in_place(train_items, items):
    """For each of ``items`` (token lists), how often its rarest token was seen in training in
    the same place: min over positions p of the number of ``train_items`` of the same length
    with the same token at p. 0 means some token never stood there in training. (N,) ints."""
    counts = {}
    for item in train_items:
        for p, token in enumerate(item):
            key = (len(item), p, token)
            counts[key] = counts.get(key, 0) + 1
    return np.array([min(counts.get((len(item), p, token), 0) for p, token in enumerate(item))
                     for item in items])
