-- The modules' EXHSCAN and EXZSCAN walk their own hash table (dep/dict.c, m_dictScan), and a
-- client sees that walk: the cursor is a bucket index in reverse-binary order, COUNT bounds the
-- entries gathered per call, and a non-zero cursor skips the buckets before it. This file
-- rebuilds that table for a key's entries and walks it as the module does, so cursors and
-- page sizes match. The table: SipHash-1-2 of the entry name with the all-zero seed (the
-- modules never set one), max(4, next power of two >= entries) buckets (the size an
-- insert-only table reaches), each bucket's entries newest first (dictAdd inserts at the head).
-- Hashing every entry is O(N) per call, so the families use it up to DICT_SCAN_MAX entries.

local DICT_SCAN_MAX = 512

-- SipHash-1-2 with the all-zero key: the hash the modules' own dicts use (dep/dict.c never
-- sets a seed), on 64-bit words kept as two unsigned 32-bit halves in Lua numbers (a rotation
-- is a multiply/divide of each half). Returns the low 32 bits: enough for any bucket index.
local SIP_TWO32 = 4294967296

local function sip_hash_low32(s)
    local bxor, byte = bit.bxor, string.byte
    local TWO32 = SIP_TWO32
    local n = #s
    local full = n - n % 8
    -- message words as lo, hi pairs: the full 8-byte blocks, then the tail with the length
    local words, w = {}, 0
    for i = 1, full, 8 do
        local b0, b1, b2, b3, b4, b5, b6, b7 = byte(s, i, i + 7)
        words[w + 1] = b0 + b1 * 256 + b2 * 65536 + b3 * 16777216
        words[w + 2] = b4 + b5 * 256 + b6 * 65536 + b7 * 16777216
        w = w + 2
    end
    local lo, hi, mul = 0, (n % 256) * 16777216, 1
    for j = full + 1, n do
        if j - full <= 4 then
            lo = lo + byte(s, j) * mul
        else
            hi = hi + byte(s, j) * mul
        end
        mul = (j - full == 4) and 1 or mul * 256
    end
    words[w + 1], words[w + 2] = lo, hi
    local nwords = w + 2
    local a_hi, a_lo = 0x736f6d65, 0x70736575
    local b_hi, b_lo = 0x646f7261, 0x6e646f6d
    local c_hi, c_lo = 0x6c796765, 0x6e657261
    local d_hi, d_lo = 0x74656462, 0x79746573
    local m_lo, m_hi = 0, 0
    -- one SipRound per message word, then two to finish
    for step = 1, nwords + 4, 2 do
        if step < nwords then
            m_lo, m_hi = words[step], words[step + 1]
            d_hi, d_lo = bxor(d_hi, m_hi) % TWO32, bxor(d_lo, m_lo) % TWO32
        end
        local t, r
        t = a_lo + b_lo
        if t >= TWO32 then a_lo = t - TWO32; a_hi = (a_hi + b_hi + 1) % TWO32 else a_lo = t; a_hi = (a_hi + b_hi) % TWO32 end
        r = b_hi % 524288 * 8192 + (b_lo - b_lo % 524288) / 524288
        b_lo = b_lo % 524288 * 8192 + (b_hi - b_hi % 524288) / 524288
        b_hi, b_lo = bxor(r, a_hi) % TWO32, bxor(b_lo, a_lo) % TWO32
        a_hi, a_lo = a_lo, a_hi
        t = c_lo + d_lo
        if t >= TWO32 then c_lo = t - TWO32; c_hi = (c_hi + d_hi + 1) % TWO32 else c_lo = t; c_hi = (c_hi + d_hi) % TWO32 end
        r = d_hi % 65536 * 65536 + (d_lo - d_lo % 65536) / 65536
        d_lo = d_lo % 65536 * 65536 + (d_hi - d_hi % 65536) / 65536
        d_hi, d_lo = bxor(r, c_hi) % TWO32, bxor(d_lo, c_lo) % TWO32
        t = a_lo + d_lo
        if t >= TWO32 then a_lo = t - TWO32; a_hi = (a_hi + d_hi + 1) % TWO32 else a_lo = t; a_hi = (a_hi + d_hi) % TWO32 end
        r = d_hi % 2048 * 2097152 + (d_lo - d_lo % 2048) / 2048
        d_lo = d_lo % 2048 * 2097152 + (d_hi - d_hi % 2048) / 2048
        d_hi, d_lo = bxor(r, a_hi) % TWO32, bxor(d_lo, a_lo) % TWO32
        t = c_lo + b_lo
        if t >= TWO32 then c_lo = t - TWO32; c_hi = (c_hi + b_hi + 1) % TWO32 else c_lo = t; c_hi = (c_hi + b_hi) % TWO32 end
        r = b_hi % 32768 * 131072 + (b_lo - b_lo % 32768) / 32768
        b_lo = b_lo % 32768 * 131072 + (b_hi - b_hi % 32768) / 32768
        b_hi, b_lo = bxor(r, c_hi) % TWO32, bxor(b_lo, c_lo) % TWO32
        c_hi, c_lo = c_lo, c_hi
        if step < nwords then
            a_hi, a_lo = bxor(a_hi, m_hi) % TWO32, bxor(a_lo, m_lo) % TWO32
            if step + 2 > nwords then
                c_lo = bxor(c_lo, 0xff) % TWO32
            end
        end
    end
    return bxor(bxor(a_lo, b_lo), bxor(c_lo, d_lo)) % TWO32
end

-- Glob match of Valkey's stringmatchlen (case-sensitive), p from pi against s from si.
local function glob_from(p, pi, s, si)
    local plen, slen = #p, #s
    while pi <= plen and si <= slen do
        local c = string.byte(p, pi)
        if c == 42 then  -- '*'
            while string.byte(p, pi + 1) == 42 do
                pi = pi + 1
            end
            if pi == plen then
                return true
            end
            for k = si, slen do
                if glob_from(p, pi + 1, s, k) then
                    return true
                end
            end
            return false
        elseif c == 63 then  -- '?'
            si = si + 1
        elseif c == 91 then  -- '['
            pi = pi + 1
            local negate = string.byte(p, pi) == 94
            if negate then
                pi = pi + 1
            end
            local match, sc = false, string.byte(s, si)
            while true do
                local pc = string.byte(p, pi)
                if pc == 92 and pi + 1 <= plen then  -- '\'
                    pi = pi + 1
                    if string.byte(p, pi) == sc then
                        match = true
                    end
                elseif pc == 93 then  -- ']'
                    break
                elseif pi > plen then
                    pi = pi - 1
                    break
                elseif pi + 2 <= plen and string.byte(p, pi + 1) == 45 then  -- a-z
                    local lo, hi = pc, string.byte(p, pi + 2)
                    if lo > hi then
                        lo, hi = hi, lo
                    end
                    if sc >= lo and sc <= hi then
                        match = true
                    end
                    pi = pi + 2
                elseif pc == sc then
                    match = true
                end
                pi = pi + 1
            end
            if negate then
                match = not match
            end
            if not match then
                return false
            end
            si = si + 1
        else
            if c == 92 and pi + 1 <= plen then
                pi = pi + 1
                c = string.byte(p, pi)
            end
            if c ~= string.byte(s, si) then
                return false
            end
            si = si + 1
        end
        pi = pi + 1
        if si > slen then
            while string.byte(p, pi) == 42 do
                pi = pi + 1
            end
            break
        end
    end
    return pi > plen and si > slen
end

-- Does s match the glob pattern p?
local function glob_match(p, s)
    return glob_from(p, 1, s, 1)
end

-- Reverse the low k bits of v (v < 2^k).
local function rev_bits(v, k)
    local r = 0
    for _ = 1, k do
        local b = v % 2
        r = r * 2 + b
        v = (v - b) / 2
    end
    return r
end

-- One m_dictScan walk. names: entry names, oldest first; cursor: the client's cursor modulo
-- 2^32 (the walk only looks at its low bits); nodes: list nodes the module gathers per entry;
-- limit: the module's `listLength(keys) < count` bound (math.huge when its count casts to a
-- huge unsigned); steps: the module's maxiterations (0 = stop after one bucket).
-- Returns the next cursor and the indexes of the entries gathered, in reply order.
local function dict_scan(names, cursor, nodes, limit, steps)
    local n = #names
    local size, k = 4, 2
    while size < n do
        size, k = size * 2, k + 1
    end
    local buckets = {}
    for i = n, 1, -1 do
        local b = sip_hash_low32(names[i]) % size
        local chain = buckets[b]
        if chain then
            chain[#chain + 1] = i
        else
            buckets[b] = {i}
        end
    end
    local out, v = {}, cursor % size
    while true do
        local chain = buckets[v]
        if chain then
            for j = 1, #chain do
                out[#out + 1] = chain[j]
            end
        end
        local r = rev_bits(v, k) + 1
        v = r == size and 0 or rev_bits(r, k)
        if v == 0 or steps == 0 or #out * nodes >= limit then
            break
        end
        steps = steps - 1
    end
    return v, out
end
