"""A plain Python model of TairZset (the module's src/tairzset.c semantics) for randomized tests.

A key is a dict member -> score tuple (floats). Elements order by score tuple, componentwise with
-0 == 0 (Python's float comparison is C's), then by member bytes, as the module's skiplist.
Scores print as the module's mscore2String (%.17g per component, '#' between). Replies are
Python values encodable with tairproxy.resp.encode_reply (RESP2), so tests compare bytes.
"""

from __future__ import annotations

import math

from tairproxy.resp import Error

NOT_VALID = Error(b"ERR score is not a valid format")
NOT_VALID_NO_ERR = Error(b"score is not a valid format")
NAN = Error(b"ERR resulting score is not a number (NaN)")
NOT_INTEGER = Error(b"ERR value is not an integer or out of range")

Score = tuple[float, ...]


def fmt(score: Score) -> bytes:
    return b"#".join(b"%.17g" % x for x in score)


def _nan_to_zero(x: float) -> float:
    return 0.0 if math.isnan(x) else x


class Model:
    def __init__(self) -> None:
        self.keys: dict[bytes, dict[bytes, Score]] = {}

    # ------------------------------------------------------------ helpers

    def ordered(self, key: bytes) -> list[tuple[bytes, Score]]:
        z = self.keys.get(key, {})
        return sorted(z.items(), key=lambda kv: (kv[1], kv[0]))

    def dims(self, key: bytes) -> int | None:
        z = self.keys.get(key)
        if not z:
            return None
        return len(next(iter(z.values())))

    def _drop_if_empty(self, key: bytes) -> None:
        if key in self.keys and not self.keys[key]:
            del self.keys[key]

    @staticmethod
    def _flat(items, withscores: bool) -> list:
        out: list = []
        for m, s in items:
            out.append(m)
            if withscores:
                out.append(fmt(s))
        return out

    @staticmethod
    def _clamp(start: int, end: int, n: int) -> tuple[int, int] | None:
        if start < 0:
            start += n
        if end < 0:
            end += n
        if start < 0:
            start = 0
        if start > end or start >= n:
            return None
        return start, min(end, n - 1)

    @staticmethod
    def _in_score(s: Score, lo: Score, lo_ex: bool, hi: Score, hi_ex: bool) -> bool:
        return (s > lo if lo_ex else s >= lo) and (s < hi if hi_ex else s <= hi)

    @staticmethod
    def _limit(items: list, offset: int, count: int) -> list:
        if offset < 0:
            return []
        items = items[offset:]
        return items if count < 0 else items[:count]

    # ------------------------------------------------------------ commands

    def exzadd(self, key, pairs, nx=False, xx=False, ch=False, incr=False):
        dims = len(pairs[0][0])
        z = self.keys.get(key)
        if z is None:
            if xx:
                return None if incr else 0
        elif self.dims(key) != dims:
            return NOT_VALID
        z = self.keys.setdefault(key, {})
        added = updated = processed = 0
        result = None
        for score, m in pairs:
            if m in z:
                if nx:
                    continue
                processed += 1
                cur = z[m]
                if incr:
                    score = tuple(a + b for a, b in zip(score, cur, strict=True))
                    if any(math.isnan(x) for x in score):
                        return NAN
                if score != cur:
                    z[m] = score
                    updated += 1
                    result = score
                else:
                    result = cur
            elif not xx:
                z[m] = score
                added += 1
                processed += 1
                result = score
        self._drop_if_empty(key)
        if incr:
            return fmt(result) if processed else None
        return added + updated if ch else added

    def exzscore(self, key, m):
        s = self.keys.get(key, {}).get(m)
        return None if s is None else fmt(s)

    def exzmscore(self, key, members):
        return [self.exzscore(key, m) for m in members]

    def exzcard(self, key):
        return len(self.keys.get(key, {}))

    def exzrank(self, key, m, rev=False, withscore=False):
        z = self.keys.get(key, {})
        if m not in z:
            return None
        order = [x for x, _ in self.ordered(key)]
        rank = order.index(m)
        if rev:
            rank = len(order) - 1 - rank
        return [rank, fmt(z[m])] if withscore else rank

    def exzrankbyscore(self, key, score, rev=False):
        if key not in self.keys:
            return None
        if self.dims(key) != len(score):
            return NOT_VALID
        below = sum(1 for _, s in self.ordered(key) if s < score)
        return len(self.keys[key]) - below if rev else below

    def exzrange(self, key, start, end, withscores=False, rev=False):
        items = self.ordered(key)
        if rev:
            items.reverse()
        r = self._clamp(start, end, len(items))
        if r is None:
            return []
        return self._flat(items[r[0] : r[1] + 1], withscores)

    def exzrangebyscore(self, key, lo, lo_ex, hi, hi_ex, withscores=False, rev=False, offset=0, count=-1):
        if key not in self.keys:
            return []
        if self.dims(key) != len(lo) or self.dims(key) != len(hi):
            return NOT_VALID
        items = [(m, s) for m, s in self.ordered(key) if self._in_score(s, lo, lo_ex, hi, hi_ex)]
        if rev:
            items.reverse()
        return self._flat(self._limit(items, offset, count), withscores)

    def exzcount(self, key, lo, lo_ex, hi, hi_ex):
        r = self.exzrangebyscore(key, lo, lo_ex, hi, hi_ex)
        return r if isinstance(r, Error) else len(r)

    # The module's lex lookups (dep/skiplist.c) compare members while walking elements in score
    # order; with mixed scores that walk stops where a comparison first fails. The model walks
    # linearly (the skiplist's random express lanes give the same when none skips a failing element).

    @staticmethod
    def _gte_min(m: bytes, lo) -> bool:
        kind, value = lo
        return kind == "-" or (kind == "[" and m >= value) or (kind == "(" and m > value)

    @staticmethod
    def _lte_max(m: bytes, hi) -> bool:
        kind, value = hi
        return kind == "+" or (kind == "[" and m <= value) or (kind == "(" and m < value)

    @staticmethod
    def _lex_empty(lo, hi) -> bool:
        """m_zslIsInLexRange's first test (m_mscmplex with the shared -/+ strings)."""
        if lo[0] == "+" or hi[0] == "-":
            return True
        if lo[0] == "-" or hi[0] == "+":
            return False
        if lo[1] == hi[1]:
            return "(" in (lo[0], hi[0])
        return hi[1] < lo[1]

    def _lex_possible(self, members, lo, hi) -> bool:
        return bool(members) and not self._lex_empty(lo, hi) and self._gte_min(members[-1], lo) \
            and self._lte_max(members[0], hi)

    def _lex_first(self, members, lo, hi):
        if not self._lex_possible(members, lo, hi):
            return None
        i = next((i for i, m in enumerate(members) if self._gte_min(m, lo)), len(members))
        return i if i < len(members) and self._lte_max(members[i], hi) else None

    def _lex_last(self, members, lo, hi):
        if not self._lex_possible(members, lo, hi):
            return None
        i = next((i for i, m in enumerate(members) if not self._lte_max(m, hi)), len(members)) - 1
        return i if i >= 0 and self._gte_min(members[i], lo) else None

    def exzrangebylex(self, key, lo, hi, rev=False, offset=0, count=-1):
        members = [m for m, _ in self.ordered(key)]
        start = (self._lex_last if rev else self._lex_first)(members, lo, hi)
        if start is None or offset < 0:
            return []
        out = []
        i, step = (start - offset, -1) if rev else (start + offset, 1)
        while 0 <= i < len(members) and (count < 0 or len(out) < count):
            if not (self._gte_min(members[i], lo) if rev else self._lte_max(members[i], hi)):
                break
            out.append(members[i])
            i += step
        return out

    def exzlexcount(self, key, lo, hi):
        members = [m for m, _ in self.ordered(key)]
        first = self._lex_first(members, lo, hi)
        if first is None:
            return 0
        last = self._lex_last(members, lo, hi)
        return last - first + 1 if last is not None else len(members) - first

    def exzrem(self, key, members):
        z = self.keys.get(key, {})
        n = 0
        for m in members:
            if z.pop(m, None) is not None:
                n += 1
        self._drop_if_empty(key)
        return n

    def exzremrangebyscore(self, key, lo, lo_ex, hi, hi_ex):
        if key not in self.keys:
            return 0
        if self.dims(key) != len(lo) or self.dims(key) != len(hi):
            return NOT_VALID_NO_ERR
        gone = [m for m, s in self.ordered(key) if self._in_score(s, lo, lo_ex, hi, hi_ex)]
        return self.exzrem(key, gone)

    def exzremrangebyrank(self, key, start, end):
        items = self.ordered(key)
        r = self._clamp(start, end, len(items))
        if r is None:
            return 0
        return self.exzrem(key, [m for m, _ in items[r[0] : r[1] + 1]])

    def exzremrangebylex(self, key, lo, hi):
        """m_zslDeleteRangeByLex: from the first element not below min, while not above max."""
        members = [m for m, _ in self.ordered(key)]
        i = next((i for i, m in enumerate(members) if self._gte_min(m, lo)), len(members))
        gone = []
        while i < len(members) and self._lte_max(members[i], hi):
            gone.append(members[i])
            i += 1
        return self.exzrem(key, gone)

    def exzpop(self, key, where, count=1):
        if count < 0:
            return NOT_INTEGER  # checked before the key
        if count == 0:
            return []
        items = self.ordered(key)
        if where == "max":
            items.reverse()
        items = items[:count]
        self.exzrem(key, [m for m, _ in items])
        return self._flat(items, True)

    def setop(self, op, keys, weights=None, aggregate="sum", withscores=False, store=None, limit=0):
        """EXZUNION/EXZINTER/EXZDIFF[STORE] and EXZINTERCARD (op 'intercard')."""
        dims = {self.dims(k) for k in keys} - {None}
        if len(dims) > 1:
            return NOT_VALID
        weights = weights or [1.0] * len(keys)
        srcs = [(self.keys.get(k, {}), w, i) for i, (k, w) in enumerate(zip(keys, weights, strict=True))]
        result: dict[bytes, Score] = {}
        if op != "diff":
            srcs.sort(key=lambda s: (len(s[0]), s[2]))

        def weighted(score, w):
            return [_nan_to_zero(x * w) for x in score]

        def aggr(target, score):
            if aggregate == "sum":
                target[:] = [_nan_to_zero(a + b) for a, b in zip(target, score, strict=True)]
            elif (aggregate == "min" and tuple(target) > tuple(score)) or (
                aggregate == "max" and tuple(target) < tuple(score)
            ):
                target[:] = score

        if op == "union":
            acc: dict[bytes, list] = {}
            for z, w, _ in srcs:
                for m, s in z.items():
                    if m in acc:
                        aggr(acc[m], weighted(s, w))
                    else:
                        acc[m] = weighted(s, w)
            result = {m: tuple(s) for m, s in acc.items()}
        elif op in ("inter", "intercard"):
            base, w0, _ = srcs[0]
            for m, s in base.items():
                score = weighted(s, w0)
                for z, w, _ in srcs[1:]:
                    if m not in z:
                        break
                    aggr(score, weighted(z[m], w))
                else:
                    result[m] = tuple(score)
            if op == "intercard":
                return min(len(result), limit) if limit > 0 else len(result)
        else:
            base = srcs[0][0]
            result = {m: s for m, s in base.items() if not any(m in z for z, _, _ in srcs[1:])}
        if store is not None:
            self.keys.pop(store, None)
            if result:
                self.keys[store] = dict(result)
            return len(result)
        items = sorted(result.items(), key=lambda kv: (kv[1], kv[0]))
        return self._flat(items, withscores)
