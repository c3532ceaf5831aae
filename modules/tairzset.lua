-- TairZset (tairzset_) over ONE native sorted set per key, two native members per element:
--
--   ORDER member   \1 .. enc(s1) .. ... .. enc(sN) .. member             native score -inf
--   LOOKUP member  one-score keys:   \3 .. member (\4 .. member for -0)  native score = the score
--                  multi-score keys: \2 .. esc(member) .. \0\1 .. raw(s1) .. ... .. raw(sN)   score 0
--
-- raw(x) is the big-endian IEEE double (8 bytes); enc(x) is the same bits with the sign bit flipped
-- (x >= 0) or all bits inverted (x < 0), -0 written as +0, so that memcmp order is numeric order and
-- -0 == 0, exactly Tair's mscoreCmp. ORDER members therefore sort as Tair sorts its elements (score
-- tuple, then member bytes): ranks, rank ranges, score ranges and counts are native ZRANK / ZRANGE /
-- ZRANGEBYLEX / ZLEXCOUNT over them, O(log N). Their native score -inf puts them all before every
-- LOOKUP member (which sort after, by native score then bytes), so an ORDER member's native rank is
-- the element's rank and ZCARD / 2 is the element count.
-- A LOOKUP member finds an element's score from its member name alone: one-score keys (the common
-- case) with ZSCORE key \3m (then \4m), O(1) (Valkey prints -0 as 0, hence the \4 name for -0);
-- multi-score keys with ZRANGEBYLEX key [\2 esc(m) \0\1  (\2 esc(m) \0\2  LIMIT 0 1, O(log N) (all
-- those LOOKUP members share native score 0; esc(m) writes each \0 of the member as \0\255, so
-- \0\1 ends it).
-- The lex commands (EXZRANGEBYLEX, EXZLEXCOUNT, EXZREMRANGEBYLEX) are native lex ranges over the ORDER
-- members of the key's one score, which is the case Tair defines them for; on a key with mixed scores
-- (unspecified in Tair) they filter the elements in order, O(N).
-- Type marker: the last native member is a LOOKUP member (\3/\4, or \2 with score 0 and 8 bytes per
-- score after \0\1, which gives the dimension count). Native ZADD/ZREM on a TairZset key still work
-- natively and see (or break) this encoding.
-- ARGV conventions: scores arrive from the proxy as raw doubles, score bounds translated to native
-- bounds over ORDER members, lex bounds validated; an argument error Tair reports after its type
-- check arrives as ARGV[1] ('' = none) where a command has one.
-- (Library globals such as string and struct exist only while a function runs, not at load.)

local ZS_NOT_VALID = 'ERR score is not a valid format'
local ZS_NAN = 'ERR resulting score is not a number (NaN)'
local ZS_ZERO = '\128\0\0\0\0\0\0\0'  -- enc(0) == enc(-0)
local ZS_NEG_ZERO = '\128\0\0\0\0\0\0\0'  -- raw(-0) (the same bytes, by coincidence)
local ZS_CHUNK = 1000  -- members per ZADD/ZREM call (Lua's unpack limit)

-- enc() of the score at byte i of a raw tuple.
local function zs_enc1(raw, i)
    local hi, lo = struct.unpack('>I4I4', raw, i)
    if hi < 2147483648 then
        return struct.pack('>I4I4', hi + 2147483648, lo)
    elseif hi == 2147483648 and lo == 0 then
        return ZS_ZERO
    end
    return struct.pack('>I4I4', 4294967295 - hi, 4294967295 - lo)
end

-- enc() of every score of a raw tuple.
local function zs_enc(raw)
    if #raw == 8 then
        return zs_enc1(raw, 1)
    end
    local out = {}
    for i = 1, #raw, 8 do
        out[#out + 1] = zs_enc1(raw, i)
    end
    return table.concat(out)
end

-- enc() back to raw (a zero comes back as +0: see zs_om_raw).
local function zs_dec(e)
    local out = {}
    for i = 1, #e, 8 do
        local hi, lo = struct.unpack('>I4I4', e, i)
        if hi >= 2147483648 then
            out[#out + 1] = struct.pack('>I4I4', hi - 2147483648, lo)
        else
            out[#out + 1] = struct.pack('>I4I4', 4294967295 - hi, 4294967295 - lo)
        end
    end
    return table.concat(out)
end

local function zs_has_zero(e)
    for i = 1, #e, 8 do
        if string.sub(e, i, i + 7) == ZS_ZERO then
            return true
        end
    end
    return false
end

-- Tair's mscore2String: each score as %.17g ("inf", "-inf", "-0" included), joined by '#'.
local function zs_fmt(raw)
    if #raw == 8 then
        return string.format('%.17g', (struct.unpack('>d', raw)))
    end
    local out = {}
    for i = 1, #raw, 8 do
        out[#out + 1] = string.format('%.17g', (struct.unpack('>d', raw, i)))
    end
    return table.concat(out, '#')
end

local function zs_esc(m)
    if string.find(m, '\0', 1, true) then
        return (string.gsub(m, '%z', '\0\255'))
    end
    return m
end

local function zs_unesc(em)
    if string.find(em, '\0', 1, true) then
        return (string.gsub(em, '%z\255', '\0'))
    end
    return em
end

local function zs_order(raw, m)
    return '\1' .. zs_enc(raw) .. m
end

-- A multi-score LOOKUP member -> member, raw score.
local function zs_parse_tuple_lookup(lk)
    local p = string.find(lk, '\0\1', 2, true)
    return zs_unesc(string.sub(lk, 2, p - 1)), string.sub(lk, p + 2)
end

-- The raw score of a one-score LOOKUP member from its native score text.
local function zs_scalar_raw(nm, text)
    if string.byte(nm, 1) == 4 then
        return ZS_NEG_ZERO
    end
    return struct.pack('>d', tonumber(text))
end

-- nil: no key; false: a key of another type; else the key's dimension count.
local function zs_meta(key)
    local r = typed_pcall('ZRANGE', key, -1, -1, 'WITHSCORES')
    if r['err'] then
        return false
    end
    local m = r[1]
    if m == nil then
        return nil
    end
    local kind = string.byte(m, 1)
    if kind == 3 or kind == 4 then
        return 1
    elseif kind ~= 2 or r[2] ~= '0' then
        return false
    end
    local p = string.find(m, '\0\1', 2, true)
    if not p then
        return false
    end
    local tail = #m - p - 1
    if tail < 16 or tail % 8 ~= 0 then
        return false
    end
    return tail / 8
end

local function zs_tuple_get(key, em)
    local r = server.call('ZRANGEBYLEX', key, '[\2' .. em .. '\0\1', '(\2' .. em .. '\0\2', 'LIMIT', 0, 1)
    if r[1] then
        return string.sub(r[1], #em + 4)
    end
    return nil
end

-- Raw score of member m in a TairZset key of dim scores, or nil. One-score keys: one ZMSCORE for
-- both names when a miss is likely (adds), else ZSCORE \3m first (cheaper when it hits).
local function zs_get(key, m, dim, miss_likely)
    if dim ~= 1 then
        return zs_tuple_get(key, zs_esc(m))
    elseif miss_likely then
        local r = server.call('ZMSCORE', key, '\3' .. m, '\4' .. m)
        if r[1] then
            return struct.pack('>d', tonumber(r[1]))
        end
        return r[2] and ZS_NEG_ZERO or nil
    end
    local score = server.call('ZSCORE', key, '\3' .. m)
    if score then
        return struct.pack('>d', tonumber(score))
    elseif server.call('ZSCORE', key, '\4' .. m) then
        return ZS_NEG_ZERO
    end
    return nil
end

-- As zs_get for a key not checked yet: raw (or nil: no member or no key), or false (wrong type).
local function zs_find(key, m)
    local score = typed_pcall('ZSCORE', key, '\3' .. m)
    if type(score) == 'table' then
        return false
    elseif score then
        return struct.pack('>d', tonumber(score))
    end
    local dim = zs_meta(key)
    if not dim then
        return dim
    elseif dim == 1 then
        return server.call('ZSCORE', key, '\4' .. m) and ZS_NEG_ZERO or nil
    end
    return zs_tuple_get(key, zs_esc(m))
end

-- The LOOKUP member of (m, raw) and its native score.
local function zs_lookup_of(m, raw, dim)
    if dim ~= 1 then
        return '\2' .. zs_esc(m) .. '\0\1' .. raw, '0'
    elseif raw == ZS_NEG_ZERO then
        return '\4' .. m, '0'
    end
    local x = struct.unpack('>d', raw)
    return '\3' .. m, x == 0 and '0' or string.format('%.17g', x)
end

-- Store element m with score raw, replacing its current score old (nil for a new element).
local function zs_write(key, m, raw, dim, old)
    local lk, score = zs_lookup_of(m, raw, dim)
    server.call('ZADD', key, '-inf', zs_order(raw, m), score, lk)
    if old then
        local old_lk = zs_lookup_of(m, old, dim)
        if old_lk ~= lk then
            server.call('ZREM', key, zs_order(old, m), old_lk)
        else
            server.call('ZREM', key, zs_order(old, m))
        end
    end
end

local function zs_card(key)
    return server.call('ZCARD', key) / 2
end

local function zs_member_of(om, dim)
    return string.sub(om, 2 + 8 * dim)
end

-- Exact raw score of an ORDER member: its enc() part, unless a score is zero (only the LOOKUP
-- member knows whether it is -0).
local function zs_om_raw(key, om, dim)
    local e = string.sub(om, 2, 1 + 8 * dim)
    if zs_has_zero(e) then
        return zs_get(key, zs_member_of(om, dim), dim)
    end
    return zs_dec(e)
end

-- Members (and scores) of ORDER members, in order or reversed.
local function zs_reply(key, oms, dim, withscores, reverse)
    local out = {}
    local from, to, step = 1, #oms, 1
    if reverse then
        from, to, step = #oms, 1, -1
    end
    for i = from, to, step do
        local om = oms[i]
        out[#out + 1] = zs_member_of(om, dim)
        if withscores then
            out[#out + 1] = zs_fmt(zs_om_raw(key, om, dim))
        end
    end
    return out
end

local function zs_call_chunked(cmd, key, items, per)
    per = per or ZS_CHUNK
    for i = 1, #items, per do
        server.call(cmd, key, unpack(items, i, math.min(i + per - 1, #items)))
    end
end

-- Remove the elements of these ORDER members (both native members of each).
local function zs_delete(key, oms, dim)
    local batch = {}
    for i = 1, #oms do
        local om = oms[i]
        local m = zs_member_of(om, dim)
        batch[#batch + 1] = om
        if dim == 1 then
            batch[#batch + 1] = '\3' .. m
            batch[#batch + 1] = '\4' .. m
        else
            local e = string.sub(om, 2, 1 + 8 * dim)
            local em = zs_esc(m)
            if zs_has_zero(e) then
                server.call('ZREMRANGEBYLEX', key, '[\2' .. em .. '\0\1', '(\2' .. em .. '\0\2')
            else
                batch[#batch + 1] = '\2' .. em .. '\0\1' .. zs_dec(e)
            end
        end
    end
    zs_call_chunked('ZREM', key, batch)
end

-- Insert new elements: list of {member, raw}.
local function zs_insert(key, elements, dim)
    local batch = {}
    for i = 1, #elements do
        local m, raw = elements[i][1], elements[i][2]
        local lk, score = zs_lookup_of(m, raw, dim)
        batch[#batch + 1] = '-inf'
        batch[#batch + 1] = zs_order(raw, m)
        batch[#batch + 1] = score
        batch[#batch + 1] = lk
    end
    zs_call_chunked('ZADD', key, batch, ZS_CHUNK * 2)
end

-- Every element: list of {member, raw}.
local function zs_elements(key, dim)
    local out = {}
    if dim == 1 then
        local r = server.call('ZRANGE', key, zs_card(key), -1, 'WITHSCORES')
        for i = 1, #r, 2 do
            out[#out + 1] = {string.sub(r[i], 2), zs_scalar_raw(r[i], r[i + 1])}
        end
        return out
    end
    local lks = server.call('ZRANGEBYLEX', key, '[\2', '+')
    for i = 1, #lks do
        local m, raw = zs_parse_tuple_lookup(lks[i])
        out[i] = {m, raw}
    end
    return out
end

-- Member (and raw score when wanted) of any native member; score text: its native score.
local function zs_native_element(key, nm, text, dim, withscore)
    local kind = string.byte(nm, 1)
    if kind == 1 then
        return zs_member_of(nm, dim), withscore and zs_om_raw(key, nm, dim)
    elseif kind == 2 then
        return zs_parse_tuple_lookup(nm)
    end
    return string.sub(nm, 2), withscore and zs_scalar_raw(nm, text)
end

-- Rank range [s, e] as Tair clamps it: nil when empty, else 0-based inclusive bounds.
local function zs_clamp(s, e, n)
    s, e = tonumber(s), tonumber(e)
    if s < 0 then s = n + s end
    if e < 0 then e = n + e end
    if s < 0 then s = 0 end
    if s > e or s >= n then
        return nil
    end
    if e >= n then e = n - 1 end
    return s, e
end

-- ORDER members of the rank range [s, e] of the reversed (rev) or forward order, in forward order.
local function zs_rank_range(key, s, e, n, rev)
    if rev then
        s, e = n - 1 - e, n - 1 - s
    end
    return server.call('ZRANGE', key, s, e)
end

local function zs_tuple(raw)
    local t = {}
    for i = 1, #raw, 8 do
        t[#t + 1] = (struct.unpack('>d', raw, i))
    end
    return t
end

local function zs_untuple(t)
    local out = {}
    for i = 1, #t do
        out[i] = struct.pack('>d', t[i])
    end
    return table.concat(out)
end

local function zs_add(x, y)
    local out = {}
    for i = 1, #x, 8 do
        local s = struct.unpack('>d', x, i) + struct.unpack('>d', y, i)
        if s ~= s then
            return nil
        end
        out[#out + 1] = struct.pack('>d', s)
    end
    return table.concat(out)
end

-- Byte order (Lua's < on strings follows the server's locale).
local function zs_bytes_lt(x, y)
    local n = math.min(#x, #y)
    local i = 1
    while i <= n do
        local j = math.min(i + 15, n)
        if string.sub(x, i, j) ~= string.sub(y, i, j) then
            for k = i, j do
                local bx, by = string.byte(x, k), string.byte(y, k)
                if bx ~= by then
                    return bx < by
                end
            end
        end
        i = j + 1
    end
    return #x < #y
end

add_type_marker('tairzset_', 'zset', function(key)
    return zs_meta(key) and true or false
end)

-- ------------------------------------------------------------------ lex ranges

-- The next byte string of the same length.
local function zs_succ(p)
    local i = #p
    while string.byte(p, i) == 255 do
        i = i - 1
    end
    return string.sub(p, 1, i - 1) .. string.char(string.byte(p, i) + 1) .. string.rep('\0', #p - i)
end

-- Native bound over the ORDER members of score prefix p for a lex item ('-', '+', '[x', '(x');
-- nil when that side admits nothing.
local function zs_lex_min(p, item)
    local c = string.byte(item, 1)
    if c == 45 then
        return '[' .. p
    elseif c == 43 then
        return nil
    end
    return string.char(c) .. p .. string.sub(item, 2)
end

local function zs_lex_max(p, item)
    local c = string.byte(item, 1)
    if c == 43 then
        return '(' .. zs_succ(p)
    elseif c == 45 then
        return nil
    end
    return string.char(c) .. p .. string.sub(item, 2)
end

-- m_zslLexValueGteMin / LteMax: is member m above the min item / below the max item?
local function zs_lex_gte_min(m, lo)
    local c = string.byte(lo, 1)
    if c == 45 then
        return true
    elseif c == 43 then
        return false
    end
    local v = string.sub(lo, 2)
    if c == 91 then
        return not zs_bytes_lt(m, v)
    end
    return zs_bytes_lt(v, m)
end

local function zs_lex_lte_max(m, hi)
    local c = string.byte(hi, 1)
    if c == 43 then
        return true
    elseif c == 45 then
        return false
    end
    local v = string.sub(hi, 2)
    if c == 91 then
        return not zs_bytes_lt(v, m)
    end
    return zs_bytes_lt(m, v)
end

local function zs_lex_below_min(m, lo)
    return not zs_lex_gte_min(m, lo)
end

-- m_zslIsInLexRange's first test: a range that can hold nothing ('-' and '+' are the ends).
local function zs_lex_empty(lo, hi)
    local a, b = string.byte(lo, 1), string.byte(hi, 1)
    if a == 43 or b == 45 then
        return true
    elseif a == 45 or b == 43 then
        return false
    end
    local x, y = string.sub(lo, 2), string.sub(hi, 2)
    if x == y then
        return a == 40 or b == 40
    end
    return zs_bytes_lt(y, x)
end

-- The ORDER-member prefix (\1 .. enc(score)) shared by every element, or nil with mixed scores.
local function zs_common_prefix(key, dim, n)
    local len = 1 + 8 * dim
    local first = string.sub(server.call('ZRANGE', key, 0, 0)[1], 1, len)
    if string.sub(server.call('ZRANGE', key, n - 1, n - 1)[1], 1, len) == first then
        return first
    end
    return nil
end

local ZS_WALK = 256  -- ORDER members fetched per step of a walk over a mixed-score key

-- From rank `from` stepping by `step` (1 or -1): the rank of the first element whose member
-- fails test(member, item), or n (walking up) / -1 (walking down) when none does.
local function zs_walk_while(key, dim, n, from, step, test, item)
    local r = from
    while r >= 0 and r < n do
        local s, e = r, math.min(r + ZS_WALK - 1, n - 1)
        if step < 0 then
            s, e = math.max(r - ZS_WALK + 1, 0), r
        end
        local oms = server.call('ZRANGE', key, s, e)
        local first, last = 1, #oms
        if step < 0 then
            first, last = #oms, 1
        end
        for j = first, last, step do
            if not test(zs_member_of(oms[j], dim), item) then
                return s + j - 1
            end
        end
        r = step > 0 and e + 1 or s - 1
    end
    return r
end

local function zs_member_at(key, dim, rank)
    return zs_member_of(server.call('ZRANGE', key, rank, rank)[1], dim)
end

-- The module's lex lookups run over its skiplist, which is ordered by score first. On a key
-- whose elements share one score they are plain lex ranges (native ZRANGEBYLEX over the ORDER
-- members); with mixed scores they walk the elements in order and stop where a comparison
-- first fails, as Valkey's own listpack ZRANGEBYLEX does (the skiplist's express lanes are
-- random levels: the walk is what they give when no lane jumps over a failing element).
-- m_zslIsInLexRange: could anything be in range at all?
local function zs_lex_possible(key, dim, n, lo, hi)
    return not zs_lex_empty(lo, hi) and zs_lex_gte_min(zs_member_at(key, dim, n - 1), lo)
        and zs_lex_lte_max(zs_member_at(key, dim, 0), hi)
end

-- m_zslFirstInLexRange: rank (0-based) of the first element not below min, if not above max.
local function zs_lex_first(key, dim, n, lo, hi)
    if not zs_lex_possible(key, dim, n, lo, hi) then
        return nil
    end
    local r = zs_walk_while(key, dim, n, 0, 1, zs_lex_below_min, lo)
    if r >= n or not zs_lex_lte_max(zs_member_at(key, dim, r), hi) then
        return nil
    end
    return r
end

-- m_zslLastInLexRange: rank of the last element of the leading run not above max, if not below min.
local function zs_lex_last(key, dim, n, lo, hi)
    if not zs_lex_possible(key, dim, n, lo, hi) then
        return nil
    end
    local r = zs_walk_while(key, dim, n, 0, 1, zs_lex_lte_max, hi) - 1
    if r < 0 or not zs_lex_gte_min(zs_member_at(key, dim, r), lo) then
        return nil
    end
    return r
end

-- ORDER members of EXZ[REV]RANGEBYLEX: from the first (last) element in range, skip offset,
-- then step on while each element stays not above max (not below min), count at most (nil or
-- negative: no limit). In reply order.
local function zs_lex_range(key, dim, lo, hi, rev, offset, count)
    local n = zs_card(key)
    local p = zs_common_prefix(key, dim, n)
    if p then
        local mn, mx = zs_lex_min(p, lo), zs_lex_max(p, hi)
        if not mn or not mx then
            return {}
        elseif rev then
            return server.call('ZREVRANGEBYLEX', key, mx, mn, 'LIMIT', offset, count or -1)
        end
        return server.call('ZRANGEBYLEX', key, mn, mx, 'LIMIT', offset, count or -1)
    end
    local limited = count and count >= 0
    if rev then
        local start = zs_lex_last(key, dim, n, lo, hi)
        if not start or start - offset < 0 then
            return {}
        end
        start = start - offset
        local stop = zs_walk_while(key, dim, n, start, -1, zs_lex_gte_min, lo)
        if limited and start - stop > count then
            stop = start - count
        end
        if stop >= start then
            return {}
        end
        local oms, out = server.call('ZRANGE', key, stop + 1, start), {}
        for i = #oms, 1, -1 do
            out[#out + 1] = oms[i]
        end
        return out
    end
    local start = zs_lex_first(key, dim, n, lo, hi)
    if not start or start + offset >= n then
        return {}
    end
    start = start + offset
    local stop = zs_walk_while(key, dim, n, start, 1, zs_lex_lte_max, hi)
    if limited and stop - start > count then
        stop = start + count
    end
    if stop <= start then
        return {}
    end
    return server.call('ZRANGE', key, start, stop - 1)
end

-- ------------------------------------------------------------------ EXZADD / EXZINCRBY

-- Current raw scores of the members a[first], a[first + 4], ... (n of them) in a key of dim
-- scores (false: none): one-score keys in batches of ZMSCORE (both LOOKUP names of each),
-- others one lex lookup each.
local function zs_current(key, a, first, n, dim)
    local cur = {}
    if dim ~= 1 then
        for i = 1, n do
            cur[i] = zs_tuple_get(key, zs_esc(a[first + 4 * (i - 1)])) or false
        end
        return cur
    end
    local names = {}
    for i = 1, n, ZS_CHUNK do
        local last = math.min(n, i + ZS_CHUNK - 1)
        local c = 0
        for q = i, last do
            local m = a[first + 4 * (q - 1)]
            names[c + 1], names[c + 2] = '\3' .. m, '\4' .. m
            c = c + 2
        end
        local r = server.call('ZMSCORE', key, unpack(names, 1, c))
        for q = i, last do
            local plain, negzero = r[2 * (q - i) + 1], r[2 * (q - i) + 2]
            if plain then
                cur[q] = struct.pack('>d', tonumber(plain))
            else
                cur[q] = negzero and ZS_NEG_ZERO or false
            end
        end
    end
    return cur
end

-- EXZADD / EXZINCRBY. ARGV: nxxx, incr, ch, dims, then per element: score (raw doubles),
-- member, ORDER encoding of the score, native score of its one-score LOOKUP member ('' for a
-- score tuple); the proxy computes the last two so the server does not.
-- Elements are taken in order (a member named again sees the score it got before), but only
-- each member's final score is written: new native members in batches of ZADD before the old
-- ones go in batches of ZREM, so the key never empties (and keeps its TTL). A member's state
-- lives at the index of its first occurrence.
server.register_function('tp_exzadd', function(keys, a)
    local key = keys[1]
    local incr, nx, xx = a[2] == '1', a[1] == 'NX', a[1] == 'XX'
    local dim = zs_meta(key)
    if dim == false then
        return unchanged(key, err(WRONGTYPE))
    elseif dim == nil then
        if xx and incr then
            return unchanged(key, false)
        elseif xx then
            return unchanged(key, 0)
        end
        dim = tonumber(a[4])
    elseif dim ~= tonumber(a[4]) then
        return unchanged(key, err(ZS_NOT_VALID))
    end
    local n = (#a - 4) / 4
    local cur = zs_card(key) > 0 and zs_current(key, a, 6, n, dim)
    local first = {}                        -- member -> index of its first occurrence
    local was, now, enc, text = {}, {}, {}, {}  -- at that index: score before, latest score, ...
    local added, updated, processed, result = 0, 0, 0, nil
    for i = 1, n do
        local at = 4 * i + 1
        local m = a[at + 1]
        local j = first[m]
        if not j then
            j = i
            first[m] = i
            local before = cur and cur[i] or false
            was[i], now[i] = before, before
        end
        local score = now[j]
        if score then
            if not nx then
                processed = processed + 1
                local e = a[at + 2]
                local s = a[at]
                if incr then
                    s = zs_add(s, score)
                    if not s then
                        return unchanged(key, err(ZS_NAN))
                    end
                    e = zs_enc(s)
                end
                if e ~= (enc[j] or zs_enc(score)) then
                    now[j], enc[j], text[j] = s, e, not incr and a[at + 3] or nil
                    updated = updated + 1
                    result = s
                else
                    result = score
                end
            end
        elseif not xx then
            now[j], enc[j], text[j] = a[at], a[at + 2], not incr and a[at + 3] or nil
            added = added + 1
            processed = processed + 1
            result = a[at]
        end
    end
    local adds, dels, c = {}, {}, 0
    for j = 1, n do
        local new, before = now[j], was[j]
        if new and new ~= before then
            local m = a[4 * j + 2]
            local lk, native
            local t = text[j]
            if dim == 1 and t and t ~= '' then
                if new == ZS_NEG_ZERO then
                    lk, native = '\4' .. m, '0'
                else
                    lk, native = '\3' .. m, t
                end
            else
                lk, native = zs_lookup_of(m, new, dim)
            end
            adds[c + 1], adds[c + 2], adds[c + 3], adds[c + 4] = '-inf', '\1' .. (enc[j] or zs_enc(new)) .. m, native, lk
            c = c + 4
            if before then
                local old_lk = zs_lookup_of(m, before, dim)
                dels[#dels + 1] = zs_order(before, m)
                if old_lk ~= lk then
                    dels[#dels + 1] = old_lk
                end
            end
        end
    end
    if c == 0 then
        touch_for_watch(key)
    end
    zs_call_chunked('ZADD', key, adds, ZS_CHUNK * 4)
    zs_call_chunked('ZREM', key, dels)
    if incr then
        return processed > 0 and zs_fmt(result) or false
    end
    return a[3] == '1' and added + updated or added
end)

-- ------------------------------------------------------------------ point reads

server.register_function{function_name = 'tp_exzscore', flags = {'no-writes'}, callback = function(keys, a)
    local raw = zs_find(keys[1], a[1])
    if raw == false then
        return err(WRONGTYPE)
    end
    return raw and zs_fmt(raw) or false
end}

server.register_function{function_name = 'tp_exzmscore', flags = {'no-writes'}, callback = function(keys, a)
    local key = keys[1]
    local dim = zs_meta(key)
    if dim == false then
        return err(WRONGTYPE)
    end
    local out = {}
    for i = 1, #a do
        local raw = dim and zs_get(key, a[i], dim)
        out[i] = raw and zs_fmt(raw) or false
    end
    return out
end}

server.register_function{function_name = 'tp_exzcard', flags = {'no-writes'}, callback = function(keys)
    local dim = zs_meta(keys[1])
    if dim == false then
        return err(WRONGTYPE)
    end
    return dim and zs_card(keys[1]) or 0
end}

-- ARGV: member, rev, withscore ('' none, '1' WITHSCORE, 'bad' another word: a syntax error
-- once the key is known to exist)
server.register_function{function_name = 'tp_exzrank', flags = {'no-writes'}, callback = function(keys, a)
    local key, m = keys[1], a[1]
    local raw = zs_find(key, m)
    if raw == false then
        return err(WRONGTYPE)
    elseif a[3] == 'bad' and (raw or zs_meta(key)) then
        return err('ERR syntax error')
    elseif raw == nil then
        return false
    end
    local rank = server.call('ZRANK', key, zs_order(raw, m))
    if a[2] == '1' then
        rank = zs_card(key) - 1 - rank
    end
    if a[3] == '1' then
        return {rank, zs_fmt(raw)}
    end
    return rank
end}

-- ARGV: valid, dims, lex bound below the score, rev
server.register_function{function_name = 'tp_exzrankbyscore', flags = {'no-writes'}, callback = function(keys, a)
    local key = keys[1]
    local dim = zs_meta(key)
    if dim == false then
        return err(WRONGTYPE)
    elseif dim == nil or a[1] == '0' then
        return false
    elseif tonumber(a[2]) ~= dim then
        return err(ZS_NOT_VALID)
    end
    local rank = server.call('ZLEXCOUNT', key, '-', a[3])
    if a[4] == '1' then
        return zs_card(key) - rank
    end
    return rank
end}

-- ------------------------------------------------------------------ ranges

-- ARGV: start, end, withscores, rev
server.register_function{function_name = 'tp_exzrange', flags = {'no-writes'}, callback = function(keys, a)
    local key = keys[1]
    local dim = zs_meta(key)
    if dim == false then
        return err(WRONGTYPE)
    elseif dim == nil then
        return {}
    end
    local n = zs_card(key)
    local s, e = zs_clamp(a[1], a[2], n)
    if s == nil then
        return {}
    end
    local rev = a[4] == '1'
    return zs_reply(key, zs_rank_range(key, s, e, n, rev), dim, a[3] == '1', rev)
end}

-- The dimension check of the score-range commands: an error reply when the bounds do not fit.
local function zs_bounds_error(a, dim, text)
    if tonumber(a[1]) ~= dim or tonumber(a[2]) ~= dim then
        return err(text)
    end
    return nil
end

-- ARGV: min dims, max dims, lex min, lex max, withscores, rev, offset, count
server.register_function{function_name = 'tp_exzrangebyscore', flags = {'no-writes'}, callback = function(keys, a)
    local key = keys[1]
    local dim = zs_meta(key)
    if dim == false then
        return err(WRONGTYPE)
    elseif dim == nil then
        return {}
    end
    local bad = zs_bounds_error(a, dim, ZS_NOT_VALID)
    if bad then
        return bad
    elseif tonumber(a[7]) < 0 then
        return {}  -- Tair walks off the end; Valkey's skiplist ZRANGEBYLEX would not
    end
    local oms
    if a[6] == '1' then
        oms = server.call('ZREVRANGEBYLEX', key, a[4], a[3], 'LIMIT', a[7], a[8])
    else
        oms = server.call('ZRANGEBYLEX', key, a[3], a[4], 'LIMIT', a[7], a[8])
    end
    return zs_reply(key, oms, dim, a[5] == '1', false)
end}

-- ARGV: lex min item, lex max item, rev, offset, count
server.register_function{function_name = 'tp_exzrangebylex', flags = {'no-writes'}, callback = function(keys, a)
    local key = keys[1]
    local dim = zs_meta(key)
    if dim == false then
        return err(WRONGTYPE)
    elseif dim == nil or tonumber(a[4]) < 0 then
        return {}  -- (a negative offset: Tair walks off the end)
    end
    return zs_reply(key, zs_lex_range(key, dim, a[1], a[2], a[3] == '1', tonumber(a[4]), tonumber(a[5])), dim,
                    false, false)
end}

-- ARGV: min dims, max dims, lex min, lex max
server.register_function{function_name = 'tp_exzcount', flags = {'no-writes'}, callback = function(keys, a)
    local key = keys[1]
    local dim = zs_meta(key)
    if dim == false then
        return err(WRONGTYPE)
    elseif dim == nil then
        return 0
    end
    local bad = zs_bounds_error(a, dim, ZS_NOT_VALID)
    if bad then
        return bad
    end
    return server.call('ZLEXCOUNT', key, a[3], a[4])
end}

-- ARGV: lex min item, lex max item
server.register_function{function_name = 'tp_exzlexcount', flags = {'no-writes'}, callback = function(keys, a)
    local key = keys[1]
    local dim = zs_meta(key)
    if dim == false then
        return err(WRONGTYPE)
    elseif dim == nil then
        return 0
    end
    local n = zs_card(key)
    local p = zs_common_prefix(key, dim, n)
    if p then
        local mn, mx = zs_lex_min(p, a[1]), zs_lex_max(p, a[2])
        if not mn or not mx then
            return 0
        end
        return server.call('ZLEXCOUNT', key, mn, mx)
    end
    -- The module subtracts the ranks of its first and last elements in range (which the walk
    -- may find in either order: the difference can be negative).
    local first = zs_lex_first(key, dim, n, a[1], a[2])
    if not first then
        return 0
    end
    local last = zs_lex_last(key, dim, n, a[1], a[2])
    return last and last - first + 1 or n - first
end}

-- ------------------------------------------------------------------ removals

-- The removals and pops open the key for writing first: a call that removes nothing still
-- counts for WATCH (unchanged(), common.lua).

server.register_function('tp_exzrem', function(keys, a)
    local key = keys[1]
    local dim = zs_meta(key)
    if dim == false then
        return unchanged(key, err(WRONGTYPE))
    elseif dim == nil then
        return unchanged(key, 0)
    end
    local deleted = 0
    for i = 1, #a do
        local m = a[i]
        local raw = zs_get(key, m, dim)
        if raw then
            server.call('ZREM', key, zs_order(raw, m), (zs_lookup_of(m, raw, dim)))
            deleted = deleted + 1
        end
    end
    if deleted == 0 then
        return unchanged(key, 0)
    end
    return deleted
end)

-- Delete the elements of these ORDER members and answer how many; a removal of nothing still
-- counts as a write.
local function zs_remove_reply(key, oms, dim)
    if #oms == 0 then
        return unchanged(key, 0)
    end
    zs_delete(key, oms, dim)
    return #oms
end

-- ARGV: min dims, max dims, lex min, lex max
server.register_function('tp_exzremrangebyscore', function(keys, a)
    local key = keys[1]
    local dim = zs_meta(key)
    if dim == false then
        return unchanged(key, err(WRONGTYPE))
    elseif dim == nil then
        return unchanged(key, 0)
    end
    -- The module's own text here has no ERR prefix.
    local bad = zs_bounds_error(a, dim, 'score is not a valid format')
    if bad then
        return unchanged(key, bad)
    end
    return zs_remove_reply(key, server.call('ZRANGEBYLEX', key, a[3], a[4]), dim)
end)

-- ARGV: start, end
server.register_function('tp_exzremrangebyrank', function(keys, a)
    local key = keys[1]
    local dim = zs_meta(key)
    if dim == false then
        return unchanged(key, err(WRONGTYPE))
    elseif dim == nil then
        return unchanged(key, 0)
    end
    local s, e = zs_clamp(a[1], a[2], zs_card(key))
    if s == nil then
        return unchanged(key, 0)
    end
    return zs_remove_reply(key, server.call('ZRANGE', key, s, e), dim)
end)

-- ARGV: lex min item, lex max item
server.register_function('tp_exzremrangebylex', function(keys, a)
    local key = keys[1]
    local dim = zs_meta(key)
    if dim == false then
        return unchanged(key, err(WRONGTYPE))
    elseif dim == nil then
        return unchanged(key, 0)
    end
    local n = zs_card(key)
    local oms
    if zs_common_prefix(key, dim, n) then
        oms = zs_lex_range(key, dim, a[1], a[2], false, 0, nil)
    else
        -- m_zslDeleteRangeByLex: from the first element not below min, while not above max
        -- (without m_zslIsInLexRange's checks).
        local start = zs_walk_while(key, dim, n, 0, 1, zs_lex_below_min, a[1])
        local stop = start < n and zs_walk_while(key, dim, n, start, 1, zs_lex_lte_max, a[2]) or start
        oms = stop > start and server.call('ZRANGE', key, start, stop - 1) or {}
    end
    return zs_remove_reply(key, oms, dim)
end)

-- Pop up to count elements from the low ('min') or high end: flat member, score list.
local function zs_pop(key, dim, where, count)
    local n = zs_card(key)
    if count > n then
        count = n
    end
    local oms
    if where == 'min' then
        oms = server.call('ZRANGE', key, 0, count - 1)
    else
        oms = server.call('ZRANGE', key, n - count, n - 1)
    end
    local out = zs_reply(key, oms, dim, true, where ~= 'min')
    zs_delete(key, oms, dim)
    return out
end

-- ARGV: 'min'|'max', count (>= 0)
server.register_function('tp_exzpop', function(keys, a)
    local key, count = keys[1], tonumber(a[2])
    local dim = zs_meta(key)
    if dim == false then
        return unchanged(key, err(WRONGTYPE))
    elseif dim == nil or count == 0 then
        return unchanged(key, {})
    end
    return zs_pop(key, dim, a[1], count)
end)

-- EXBZPOPMIN/MAX: the first non-empty key, as {key, member, score}; nil while all are empty (the
-- proxy polls again until the timeout). ARGV: 'min'|'max'
server.register_function('tp_exbzpop', function(keys, a)
    for i = 1, #keys do
        local dim = zs_meta(keys[i])
        if dim == false then
            return err(WRONGTYPE)
        elseif dim then
            local popped = zs_pop(keys[i], dim, a[1], 1)
            return {keys[i], popped[1], popped[2]}
        end
    end
    return false
end)

-- ------------------------------------------------------------------ random members, scan

-- ARGV: deferred error, count ('' = none), withscores, error for a key that exists (a count we
-- refuse to serve)
server.register_function{function_name = 'tp_exzrandmember', flags = {'no-writes'}, callback = function(keys, a)
    local key = keys[1]
    local dim = zs_meta(key)
    if dim == false then
        return err(WRONGTYPE)
    elseif a[1] ~= '' then
        return err(a[1])
    elseif a[4] ~= '' and dim then
        return err(a[4])
    end
    if a[2] == '' then
        if dim == nil then
            return false
        end
        return (zs_native_element(key, server.call('ZRANDMEMBER', key), nil, dim, false))
    end
    local count, withscores = tonumber(a[2]), a[3] == '1'
    if dim == nil or count == 0 then
        return {}
    end
    local out = {}
    if count < 0 or count == 1 then
        -- With repetitions: every element is two native members, so native picks are fair.
        local picks = server.call('ZRANDMEMBER', key, count == 1 and -1 or count, 'WITHSCORES')
        for i = 1, #picks, 2 do
            local m, raw = zs_native_element(key, picks[i], picks[i + 1], dim, withscores)
            out[#out + 1] = m
            if withscores then
                out[#out + 1] = zs_fmt(raw)
            end
        end
        return out
    end
    local n = zs_card(key)
    if count >= n then
        return zs_reply(key, server.call('ZRANGE', key, 0, n - 1), dim, withscores, false)
    end
    local oms = {}
    if count * 3 > n then
        -- Close to the whole set: shuffle the first count places of all of it.
        local all = server.call('ZRANGE', key, 0, n - 1)
        for i = 1, count do
            local j = math.random(i, n)
            all[i], all[j] = all[j], all[i]
            oms[i] = all[i]
        end
    else
        local seen = {}
        while #oms < count do
            local r = math.random(0, n - 1)
            if not seen[r] then
                seen[r] = true
                oms[#oms + 1] = server.call('ZRANGE', key, r, r)[1]
            end
        end
    end
    return zs_reply(key, oms, dim, withscores, false)
end}

-- ARGV: deferred error, cursor, count, use pattern, pattern, cursor modulo 2^32
server.register_function{function_name = 'tp_exzscan', flags = {'no-writes'}, callback = function(keys, a)
    local key = keys[1]
    local dim = zs_meta(key)
    if dim == false then
        return err(WRONGTYPE)
    elseif dim == nil then
        return {'0', {}}
    elseif a[1] ~= '' then
        return err(a[1])
    end
    local count, use_pattern, pattern = tonumber(a[3]), a[4] == '1', a[5]
    local out = {}
    if zs_card(key) <= DICT_SCAN_MAX then
        -- The module's own table walk (dictscan.lua): it doubles COUNT, a member and its score
        -- being two list nodes, and allows ten steps per node.
        local elements = zs_elements(key, dim)
        local names = {}
        for i = 1, #elements do
            names[i] = elements[i][1]
        end
        local cursor, picked = dict_scan(names, tonumber(a[6]), 2, 2 * count, 20 * count)
        for i = 1, #picked do
            local m, raw = elements[picked[i]][1], elements[picked[i]][2]
            if not use_pattern or glob_match(pattern, m) then
                out[#out + 1] = m
                out[#out + 1] = zs_fmt(raw)
            end
        end
        return {string.format('%d', cursor), out}
    end
    -- Past that, Valkey's ZSCAN (its cursors); every element is two native members, and only
    -- LOOKUP members are reported.
    local r = server.call('ZSCAN', key, a[2], 'COUNT', count * 2)
    local items = r[2]
    for i = 1, #items, 2 do
        local nm = items[i]
        if string.byte(nm, 1) ~= 1 then
            local m, raw = zs_native_element(key, nm, items[i + 1], dim, true)
            if not use_pattern or glob_match(pattern, m) then
                out[#out + 1] = m
                out[#out + 1] = zs_fmt(raw)
            end
        end
    end
    return {r[1], out}
end}

-- ------------------------------------------------------------------ set operations

-- Tuple times weight, a NaN score becoming 0 (mscoreMulWithWeight).
local function zs_weighted(raw, w)
    local t = zs_tuple(raw)
    for i = 1, #t do
        local v = t[i] * w
        t[i] = v ~= v and 0 or v
    end
    return t
end

local function zs_cmp(x, y)
    for i = 1, #x do
        if x[i] ~= y[i] then
            return x[i] < y[i] and -1 or 1
        end
    end
    return 0
end

-- exZunionInterAggregate: into target t.
local function zs_aggregate(t, s, aggregate)
    if aggregate == 'sum' then
        for i = 1, #t do
            local v = t[i] + s[i]
            t[i] = v ~= v and 0 or v
        end
    elseif (aggregate == 'min' and zs_cmp(t, s) > 0) or (aggregate == 'max' and zs_cmp(t, s) < 0) then
        for i = 1, #t do
            t[i] = s[i]
        end
    end
end

-- EXZUNION/EXZINTER/EXZDIFF[STORE], EXZINTERCARD. KEYS: [destination,] sources.
-- ARGV: deferred error, op, store, aggregate, withscores, card, limit, weights (raw) or none
local function zs_setop(keys, a)
    local store, op, aggregate = a[3] == '1', a[2], a[4]
    -- The STORE forms open the destination for writing before anything else: an error still
    -- counts as a write to it for WATCH.
    local function fail(msg)
        if store then
            return unchanged(keys[1], err(msg))
        end
        return err(msg)
    end
    local srcs, dim = {}, nil
    for i = store and 2 or 1, #keys do
        local kdim = zs_meta(keys[i])
        if kdim == false then
            return fail(WRONGTYPE)
        elseif kdim then
            if dim == nil then
                dim = kdim
            elseif kdim ~= dim then
                return fail(ZS_NOT_VALID)
            end
        end
        local k = #srcs + 1
        srcs[k] = {key = keys[i], n = kdim and zs_card(keys[i]) or 0, pos = k,
                   weight = a[7 + k] and (struct.unpack('>d', a[7 + k])) or 1}
    end
    if a[1] ~= '' then
        return fail(a[1])
    end
    if op ~= 'diff' then
        -- Smallest first, as the module's qsort by cardinality (stable for equal sizes).
        table.sort(srcs, function(x, y)
            if x.n ~= y.n then
                return x.n < y.n
            end
            return x.pos < y.pos
        end)
    end
    local result = {}  -- list of {member, raw}
    if op == 'union' then
        local acc, order = {}, {}
        for i = 1, #srcs do
            local src = srcs[i]
            if src.n > 0 then
                local elements = zs_elements(src.key, dim)
                for j = 1, #elements do
                    local m = elements[j][1]
                    local score = zs_weighted(elements[j][2], src.weight)
                    local cur = acc[m]
                    if cur == nil then
                        acc[m] = score
                        order[#order + 1] = m
                    else
                        zs_aggregate(cur, score, aggregate)
                    end
                end
            end
        end
        for i = 1, #order do
            result[i] = {order[i], zs_untuple(acc[order[i]])}
        end
    elseif op == 'inter' then
        local card, limit = a[6] == '1', tonumber(a[7])
        local base = srcs[1]
        if base.n > 0 then
            local elements = zs_elements(base.key, dim)
            for j = 1, #elements do
                local m, raw = elements[j][1], elements[j][2]
                local score = zs_weighted(raw, base.weight)
                local found = true
                for k = 2, #srcs do
                    local other = srcs[k].key == base.key and raw or zs_get(srcs[k].key, m, dim)
                    if not other then
                        found = false
                        break
                    end
                    zs_aggregate(score, zs_weighted(other, srcs[k].weight), aggregate)
                end
                if found then
                    result[#result + 1] = {m, zs_untuple(score)}
                    if card and limit > 0 and #result >= limit then
                        break
                    end
                end
            end
        end
        if card then
            return #result
        end
    else  -- diff: elements of the first key in none of the others, with their own scores
        local base = srcs[1]
        if base.n > 0 then
            local elements = zs_elements(base.key, dim)
            for j = 1, #elements do
                local keep = true
                for k = 2, #srcs do
                    if srcs[k].n > 0 and zs_get(srcs[k].key, elements[j][1], dim) then
                        keep = false
                        break
                    end
                end
                if keep then
                    result[#result + 1] = elements[j]
                end
            end
        end
    end
    if store then
        if server.call('DEL', keys[1]) == 0 and #result == 0 then
            touch_for_watch(keys[1])
        end
        zs_insert(keys[1], result, dim)
        return #result
    end
    local sortable = {}
    for i = 1, #result do
        sortable[i] = {zs_enc(result[i][2]) .. result[i][1], result[i]}
    end
    table.sort(sortable, function(x, y) return zs_bytes_lt(x[1], y[1]) end)
    local out, withscores = {}, a[5] == '1'
    for i = 1, #sortable do
        local element = sortable[i][2]
        out[#out + 1] = element[1]
        if withscores then
            out[#out + 1] = zs_fmt(element[2])
        end
    end
    return out
end

server.register_function('tp_exzsetop', zs_setop)
server.register_function{function_name = 'tp_exzsetop_ro', flags = {'no-writes'}, callback = zs_setop}
