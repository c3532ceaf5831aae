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
    def _in_lex(m: bytes, lo, hi) -> bool:
        """lo/hi: ('-'|'+'|'['|'(', bytes)."""
        kind, value = lo
        if kind == "+" or (kind == "(" and not m > value) or (kind == "[" and not m >= value):
            return False
        kind, value = hi
        if kind == "-" or (kind == "(" and not m < value) or (kind == "[" and not m <= value):
            return False
        return True

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

    def _lex_items(self, key, lo, hi):
        """Tair's lex range for equal scores (where element order is member order). With mixed
        scores (unspecified in Tair) the proxy answers the elements in range, in element order."""
        return [m for m, _ in self.ordered(key) if self._in_lex(m, lo, hi)]

    def exzrangebylex(self, key, lo, hi, rev=False, offset=0, count=-1):
        items = self._lex_items(key, lo, hi)
        if rev:
            items.reverse()
        return self._limit(items, offset, count)

    def exzlexcount(self, key, lo, hi):
        return len(self._lex_items(key, lo, hi))

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
        return self.exzrem(key, self._lex_items(key, lo, hi))

    def exzpop(self, key, where, count=1):
        if count <= 0:
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
