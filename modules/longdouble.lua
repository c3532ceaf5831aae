-- x86-64 80-bit long double arithmetic, as Tair's EXINCRBYFLOAT/EXHINCRBYFLOAT
-- use it (glibc strtold, one x87 addition, snprintf "%.17Lf" with trailing zeros
-- stripped), reproduced byte for byte in plain Lua 5.1 so an increment stays one
-- atomic FCALL. Lua numbers are doubles, so everything wider than 53 bits is
-- done on small decimal bigints.
--
-- A value is an immutable table:
--   {neg=bool, hi=, lo=, e=}  = (-1)^neg * (hi*2^32 + lo) * 2^e, with the 64-bit
--                               significand normalised (2^31 <= hi < 2^32), so two
--                               finite values compare by (e, hi, lo);
--   {neg=bool, zero=true}, {neg=bool, inf=true}, {neg=true, nan=true}.
-- Exponent range is the x87 one: normal numbers 2^-16382 .. (2^64-1)*2^16320,
-- subnormals down to 2^-16445 (kept normalised here, but rounded to multiples of
-- 2^-16445 exactly as the hardware does).
--
-- Bigints are little-endian arrays of base-10^6 limbs: powers of ten are then
-- cheap (whole limbs), and powers of two go through mul_small/div_small with
-- factors <= 2^32, which keeps every intermediate (< 10^6 * 2^32 + 2^32) exact in
-- a double and every floor(t / 10^6) quotient far enough from the next integer
-- (quotients < 2^34, whose ulp/2 < 10^-6) to be rounded correctly.
--
-- Everything rounds exactly, subnormals included. The one known difference from
-- Tair is a glibc bug, not copied: its strtold can round a hex float in the
-- subnormal range one unit (2^-16445) low when the input has more than 64
-- significant bits ("0x1.0000000000000001p-16446" is 0 there, so refused; here
-- it is 2^-16445). Such values all print as "0" anyway.
--
-- Cost in Valkey: a few microseconds per parse/add/format for everyday numbers.
-- Magnitudes far from 1 cost more: parsing ~0.1-0.3 ms near 10^+-4932 (bounding
-- arithmetic, below), printing an integer near 10^4932 ~5 ms (all its digits
-- have to be made; ~0.5 ms when the same exponent was printed last). When the
-- bounds cannot decide (the input lies within ~2^-15 ulp of a rounding tie:
-- about 1 in 30000 by chance, or crafted with thousands of digits) the exact
-- chain runs, which near 10^+-4932 takes up to ~20 ms.

local LD = {}

do
    -- A library's load-time code sees no standard globals (math, string, ...),
    -- so the fast local aliases are bound on first use.
    local floor, frexp, log, tonum
    local byte, sub, fmt, find, lower, rep, concat

    local function bind()
        floor, frexp, log, tonum = math.floor, math.frexp, math.log, tonumber
        byte, sub, fmt, find = string.byte, string.sub, string.format, string.find
        lower, rep, concat = string.lower, string.rep, table.concat
    end

    local BASE = 1000000
    local TWO32 = 4294967296
    local TWO31 = 2147483648
    local LN2 = 0.69314718055994531
    local LOG2_10 = 3.3219280948873623
    local LOG2_BASE = 6 * LOG2_10
    local EMAX = 16320            -- largest e: (2^64-1) * 2^16320 = LDBL_MAX
    local MIN_NORMAL_EXP = -16382 -- floor(log2) of the smallest normal
    local MAX_LEN = 5120          -- Tair's MAX_LONG_DOUBLE_CHARS buffer

    local POW10 = {[0] = 1, 10, 100, 1000, 10000, 100000}

    -- ---------------------------------------------------------------- bigints

    local function bn_copy(a)
        local r = {}
        for i = 1, #a do r[i] = a[i] end
        return r
    end

    -- x: a non-negative integer below 2^53
    local function bn_from(x)
        local a, n = {}, 0
        while x > 0 do
            local q = floor(x / BASE)
            n = n + 1
            a[n] = x - q * BASE
            x = q
        end
        return a
    end

    local function bn_mul_small(a, m) -- in place, m <= 2^32
        local n, carry = #a, 0
        for i = 1, n do
            local t = a[i] * m + carry
            local x = t / BASE
            carry = x - x % 1 -- floor without a function call: the hot loop
            a[i] = t - carry * BASE
        end
        while carry > 0 do
            local q = floor(carry / BASE)
            n = n + 1
            a[n] = carry - q * BASE
            carry = q
        end
    end

    local function bn_add_small(a, x) -- in place, x < 2^52
        local i = 1
        while x > 0 do
            local t = (a[i] or 0) + x
            x = floor(t / BASE)
            a[i] = t - x * BASE
            i = i + 1
        end
    end

    -- In place; returns the remainder. d <= 2^32.
    local function bn_div_small(a, d)
        local n, rem = #a, 0
        for i = n, 1, -1 do
            local cur = rem * BASE + a[i]
            local x = cur / d
            local q = x - x % 1
            rem = cur - q * d
            a[i] = q
        end
        while n > 0 and a[n] == 0 do
            a[n] = nil
            n = n - 1
        end
        return rem
    end

    local function bn_mul_pow2(a, k) -- in place, k >= 0
        while k >= 32 do
            bn_mul_small(a, TWO32)
            k = k - 32
        end
        if k > 0 then bn_mul_small(a, 2 ^ k) end
    end

    -- In place; returns true when the division was inexact.
    local function bn_div_pow2(a, k)
        local inexact = false
        while k >= 32 and #a > 0 do
            if bn_div_small(a, TWO32) ~= 0 then inexact = true end
            k = k - 32
        end
        if #a == 0 then return inexact end
        if k > 0 and k < 32 and bn_div_small(a, 2 ^ k) ~= 0 then inexact = true end
        return inexact
    end

    -- Column sums stay exact while min(#a, #b) * 10^12 < 2^53: always here
    -- (inputs are at most ~860 limbs).
    local function bn_carry(c, n)
        local carry = 0
        for k = 1, n do
            local t = c[k] + carry
            local x = t / BASE
            carry = x - x % 1
            c[k] = t - carry * BASE
        end
        while carry > 0 do
            local q = floor(carry / BASE)
            n = n + 1
            c[n] = carry - q * BASE
            carry = q
        end
        while n > 0 and c[n] == 0 do
            c[n] = nil
            n = n - 1
        end
        return c
    end

    local function bn_mul(a, b)
        local na, nb, c = #a, #b, {}
        for k = 1, na + nb do c[k] = 0 end
        for i = 1, na do
            local ai, o = a[i], i - 1
            if ai ~= 0 then
                for j = 1, nb do c[o + j] = c[o + j] + ai * b[j] end
            end
        end
        return bn_carry(c, na + nb)
    end

    local function bn_square(a)
        local n, c = #a, {}
        for k = 1, n + n do c[k] = 0 end
        for i = 1, n do
            local ai, o = a[i], i - 1
            if ai ~= 0 then
                c[o + i] = c[o + i] + ai * ai
                local twice = ai + ai
                for j = i + 1, n do c[o + j] = c[o + j] + twice * a[j] end
            end
        end
        return bn_carry(c, n + n)
    end

    -- 2^k by repeated squaring: about half the work of k/32 passes of
    -- bn_mul_small over a growing number, which is what dominates printing
    -- or scaling near 10^+-4932. The last one is kept (never modified by
    -- callers) since a key incremented again and again has the same exponent.
    local memo_k, memo_p
    local function pow2(k)
        if k == memo_k then return memo_p end
        local p
        if k < 1024 then
            p = {1}
            bn_mul_pow2(p, k)
        else
            local h = floor(k / 2)
            p = bn_square(pow2(h))
            if k > h + h then bn_mul_small(p, 2) end
        end
        memo_k, memo_p = k, p
        return p
    end

    -- a * 2^k as a new bigint (a is left alone only when the product path runs).
    local function bn_shl(a, k)
        if k >= 1024 and #a <= 100 then return bn_mul(a, pow2(k)) end
        bn_mul_pow2(a, k)
        return a
    end

    local function bn_mul_pow10(a, k) -- returns a new bigint, k >= 0
        if #a == 0 then return a end
        local limbs, r = floor(k / 6), {}
        for i = 1, limbs do r[i] = 0 end
        for i = 1, #a do r[limbs + i] = a[i] end
        local rest = k - limbs * 6
        if rest > 0 then bn_mul_small(r, POW10[rest]) end
        return r
    end

    -- Returns a new bigint floor(a / 10^k) and whether that was inexact.
    local function bn_div_pow10(a, k)
        local limbs, n = floor(k / 6), #a
        local inexact = false
        for i = 1, (limbs < n and limbs or n) do
            if a[i] ~= 0 then
                inexact = true
                break
            end
        end
        local r = {}
        for i = limbs + 1, n do r[i - limbs] = a[i] end
        local rest = k - limbs * 6
        if rest > 0 and #r > 0 and bn_div_small(r, POW10[rest]) ~= 0 then inexact = true end
        return r, inexact
    end

    local function bn_cmp(a, b)
        local na, nb = #a, #b
        if na ~= nb then return na < nb and -1 or 1 end
        for i = na, 1, -1 do
            local x, y = a[i], b[i]
            if x ~= y then return x < y and -1 or 1 end
        end
        return 0
    end

    local function bn_add(a, b)
        local r, carry = {}, 0
        local n = #a > #b and #a or #b
        for i = 1, n do
            local t = (a[i] or 0) + (b[i] or 0) + carry
            if t >= BASE then
                r[i] = t - BASE
                carry = 1
            else
                r[i] = t
                carry = 0
            end
        end
        if carry > 0 then r[n + 1] = carry end
        return r
    end

    local function bn_sub(a, b) -- a >= b
        local r, borrow, n = {}, 0, #a
        for i = 1, n do
            local t = a[i] - (b[i] or 0) - borrow
            if t < 0 then
                r[i] = t + BASE
                borrow = 1
            else
                r[i] = t
                borrow = 0
            end
        end
        while n > 0 and r[n] == 0 do
            r[n] = nil
            n = n - 1
        end
        return r
    end

    local function bn_tostring(a)
        local n = #a
        if n == 0 then return '0' end
        local parts = {fmt('%d', a[n])}
        for i = n - 1, 1, -1 do parts[#parts + 1] = fmt('%06d', a[i]) end
        return concat(parts)
    end

    local function bn_from_sig(hi, lo)
        local a = bn_from(hi)
        bn_mul_small(a, TWO32)
        bn_add_small(a, lo)
        return a
    end

    -- ------------------------------------------------------------- rounding

    local function bitlen(x) -- x < 2^53
        if x == 0 then return 0 end
        local _, e = frexp(x)
        return e
    end

    -- Drops the low `extra` (1..32) bits of qh*2^32 + ql, rounding half to even
    -- with `sticky` standing for nonzero bits below ql. hi may come back as 2^32.
    local function round_drop(qh, ql, extra, sticky)
        local p = 2 ^ extra
        local hq = floor(qh / p)
        local lq = floor(ql / p)
        local r = ql - lq * p
        local lo = lq + (qh - hq * p) * 2 ^ (32 - extra)
        local hi = hq
        local half = p / 2
        if r > half or (r == half and (sticky or lo % 2 == 1)) then
            lo = lo + 1
            if lo == TWO32 then
                lo = 0
                hi = hi + 1
            end
        end
        return hi, lo
    end

    local function normalise(hi, lo, e) -- nonzero, hi < 2^32
        if hi == 0 then
            hi, lo, e = lo, 0, e - 32
        end
        local s = 32 - bitlen(hi)
        if s > 0 then
            local p = 2 ^ (32 - s)
            local top = floor(lo / p)
            hi = hi * 2 ^ s + top
            lo = (lo - top * p) * 2 ^ s
            e = e - s
        end
        return hi, lo, e
    end

    -- floor(N * 2^s * 10^p10) as a bigint, and whether it was inexact.
    local function scaled(N, s, p10)
        local a = N
        if p10 > 0 then a = bn_mul_pow10(a, p10) else a = bn_copy(a) end
        if s > 0 then a = bn_shl(a, s) end
        local inexact = false
        if p10 < 0 then a, inexact = bn_div_pow10(a, -p10) end
        if s < 0 and bn_div_pow2(a, -s) then inexact = true end
        return a, inexact
    end

    -- Bounding arithmetic for inputs whose exact scaling would take milliseconds
    -- (decimal exponents in the hundreds or thousands). Numbers are a bigint cut
    -- to its top BOUND_LIMBS limbs times 10^(6z), each cut rounding down (or up),
    -- so the chain yields integers lo <= X <= hi. 2^s (or 5^-s * 10^s) comes
    -- from ~14 squarings; each doubles the relative error, which still leaves
    -- hi - lo at a unit or two of X when 7 limbs (10^-36 per cut) are kept.
    -- Rounding is monotone: when lo and hi round alike so does X; otherwise (X
    -- within a hair of a tie) the exact chain decides.
    local BOUND_LIMBS = 7

    local function cut(a, z, up) -- returns the new z
        local n = #a
        if n <= BOUND_LIMBS then return z end
        local drop = n - BOUND_LIMBS
        local dropped = false
        for i = 1, drop do
            if a[i] ~= 0 then dropped = true end
        end
        for i = 1, BOUND_LIMBS do a[i] = a[i + drop] end
        for i = BOUND_LIMBS + 1, n do a[i] = nil end
        if up and dropped then bn_add_small(a, 1) end
        return z + drop
    end

    -- A bound on b^k as (M, z): M * 10^(6z) <= b^k, or >= when `up`.
    local function pow_bound(b, k, up)
        local bits = {}
        while k > 0 do
            local h = floor(k / 2)
            bits[#bits + 1] = k - h - h
            k = h
        end
        local M, z = {1}, 0
        for i = #bits, 1, -1 do
            M = bn_square(M)
            z = cut(M, z + z, up)
            if bits[i] == 1 then
                bn_mul_small(M, b)
                z = cut(M, z, up)
            end
        end
        return M, z
    end

    -- A bound (below, or above when `up`) on N * 2^s * 10^p10, as a bigint.
    local function bound(N, s, p10, up)
        local a = bn_copy(N)
        local z = cut(a, 0, up)
        local P, zp
        if s >= 0 then
            P, zp = pow_bound(2, s, up)
        else
            P, zp = pow_bound(5, -s, up) -- 2^s = 5^-s * 10^s
            p10 = p10 + s
        end
        a = bn_mul(a, P)
        z = cut(a, z + zp, up)
        local limbs = floor(p10 / 6)
        if p10 > limbs * 6 then bn_mul_small(a, POW10[p10 - limbs * 6]) end
        z = z + limbs
        if z > 0 then return bn_mul_pow10(a, 6 * z) end
        if z < 0 then
            local r, inexact = bn_div_pow10(a, -6 * z)
            if inexact and up then bn_add_small(r, 1) end
            return r
        end
        return a
    end

    -- (qh, ql) with a = qh*2^32 + ql (a is consumed); qh is exact while
    -- a < 2^85, which covers everything that is rounded (a larger qh only
    -- measures the size for a retry).
    local function split(a)
        local ql = bn_div_small(a, TWO32)
        local qh = 0
        for i = #a, 1, -1 do qh = qh * BASE + a[i] end
        return qh, ql
    end

    local function make_inf(neg) return {neg = neg, inf = true} end
    local function make_zero(neg) return {neg = neg, zero = true} end

    -- Guard bits below the 64 kept: enough that the bounding path rarely
    -- straddles a rounding boundary, few enough that X < 2^85 (see split).
    local TARGET_BITS = 80

    -- X = floor(value * 2^sh) (+ sticky) rounded to a value; nil and the
    -- reason when X is not of the planned size: its bit length (retry with a
    -- better sh) or 'sub' (the value is below the normal range).
    local function pack(neg, X, sh, inexact, subnormal)
        local qh, ql = split(X)
        local bl = qh > 0 and 32 + bitlen(qh) or bitlen(ql)
        if subnormal then
            -- sh = 16445 + 17: drop 17 bits to round at 2^-16445 exactly.
            local hi, lo = round_drop(qh, ql, 17, inexact)
            if hi == 0 and lo == 0 then return make_zero(neg) end
            local e
            hi, lo, e = normalise(hi, lo, -16445)
            return {neg = neg, hi = hi, lo = lo, e = e}
        end
        if bl < TARGET_BITS - 3 or bl > TARGET_BITS + 4 then return nil, bl end
        if bl - 1 - sh < MIN_NORMAL_EXP then return nil, 'sub' end
        local extra = bl - 64
        local hi, lo = round_drop(qh, ql, extra, inexact)
        local e = extra - sh
        if hi == TWO32 then
            hi = TWO31
            e = e + 1
        end
        if e > EMAX then return make_inf(neg) end
        return {neg = neg, hi = hi, lo = lo, e = e}
    end

    local function same(a, b)
        return a.zero == b.zero and a.inf == b.inf and a.hi == b.hi and a.lo == b.lo and a.e == b.e
    end

    local function round_at(neg, N, p2, p10, sticky, sh, subnormal)
        local s = p2 + sh
        if s > 300 or s < -300 then
            local r1, why = pack(neg, bound(N, s, p10, false), sh, false, subnormal)
            if not r1 then return nil, why end
            local r2 = pack(neg, bound(N, s, p10, true), sh, false, subnormal)
            if r2 and same(r1, r2) then return r1 end
        end
        local X, inexact = scaled(N, s, p10)
        return pack(neg, X, sh, inexact or sticky, subnormal)
    end

    -- The core: (N + eps) * 2^p2 * 10^p10 rounded half-even to a long double,
    -- where eps is in (0, 1) when `sticky` (callers set it only when N has
    -- more than 90 bits, so N's unit is far below the rounding position).
    -- N is a nonzero bigint and is not modified.
    local function round_value(neg, N, p2, p10, sticky)
        local n = #N
        local lg
        if n == 1 then
            lg = log(N[1]) / LN2
        else
            lg = log(N[n] * BASE + N[n - 1]) / LN2 + (n - 2) * LOG2_BASE
        end
        local L = lg + p2 + p10 * LOG2_10
        -- These cut-offs are a few bits outside the true ones, so the estimate's
        -- error (far below one bit) cannot misclassify anything.
        if L > 16386 then return make_inf(neg) end
        if L < -16450 then return make_zero(neg) end
        local sh, subnormal = TARGET_BITS - floor(L), false
        for _ = 1, 6 do
            local r, why = round_at(neg, N, p2, p10, sticky, sh, subnormal)
            if r then return r end
            if why == 'sub' then
                -- Subnormals round at 2^-16445; the lowest normal binade has
                -- that same ulp, so landing here from just above is harmless.
                subnormal, sh = true, 16445 + 17
            else
                sh = sh + TARGET_BITS - why
            end
        end
        error('longdouble: scaling did not converge')
    end

    -- ---------------------------------------------------------------- parse

    -- Digits from a decimal or hex exponent, clamped: anything this large has
    -- long since overflowed or underflowed.
    local function exponent(sign, digits)
        local v = tonum(digits)
        if v > 1e9 then v = 1e9 end
        if sign == '-' then v = -v end
        return v
    end

    -- A nonzero input that rounded to 0 or overflowed is an ERANGE result, which
    -- Tair refuses.
    local function checked(v)
        if v.zero or v.inf then return nil end
        return v
    end

    local function parse_decimal(neg, s, pos)
        local _, e1, int = find(s, '^(%d*)', pos)
        local frac = ''
        local p = e1 + 1
        if byte(s, p) == 46 then -- '.'
            local _, e2, f = find(s, '^(%d*)', p + 1)
            frac = f
            p = e2 + 1
        end
        if #int + #frac == 0 then return nil end
        local p10 = 0
        local b = byte(s, p)
        if b == 101 or b == 69 then -- 'e' / 'E'
            local _, e3, esign, edigits = find(s, '^([+-]?)(%d+)', p + 1)
            if not e3 then return nil end
            p10 = exponent(esign, edigits)
            p = e3 + 1
        end
        if p <= #s then return nil end
        local digits = int .. frac
        p10 = p10 - #frac
        local first, last = 1, #digits
        while first <= last and byte(digits, first) == 48 do first = first + 1 end
        if first > last then return make_zero(neg) end -- exact zero, any exponent
        while byte(digits, last) == 48 do last = last - 1 end
        p10 = p10 + (#digits - last)
        local N, i = {}, 0
        for stop = last, first, -6 do
            local start = stop - 5
            if start < first then start = first end
            i = i + 1
            N[i] = tonum(sub(digits, start, stop))
        end
        return checked(round_value(neg, N, 0, p10, false))
    end

    local function parse_hex(neg, s, pos)
        local _, e1, int = find(s, '^(%x*)', pos)
        local frac = ''
        local p = e1 + 1
        if byte(s, p) == 46 then
            local _, e2, f = find(s, '^(%x*)', p + 1)
            frac = f
            p = e2 + 1
        end
        if #int + #frac == 0 then return nil end
        local p2 = 0
        local b = byte(s, p)
        if b == 112 or b == 80 then -- 'p' / 'P'
            local _, e3, esign, edigits = find(s, '^([+-]?)(%d+)', p + 1)
            if not e3 then return nil end
            p2 = exponent(esign, edigits)
            p = e3 + 1
        end
        if p <= #s then return nil end
        local digits = int .. frac
        p2 = p2 - 4 * #frac
        local first = find(digits, '[^0]')
        if not first then return make_zero(neg) end
        digits = sub(digits, first)
        -- Hex digits are exact binary: 24 of them (>= 93 bits) plus a sticky bit
        -- for the rest round exactly like all of them.
        local sticky = false
        if #digits > 24 then
            sticky = find(digits, '[^0]', 25) ~= nil
            p2 = p2 + 4 * (#digits - 24)
            digits = sub(digits, 1, 24)
        end
        local N = {}
        for start = 1, #digits, 6 do
            local chunk = sub(digits, start, start + 5)
            bn_mul_small(N, 16 ^ #chunk)
            bn_add_small(N, tonum(chunk, 16))
        end
        return checked(round_value(neg, N, p2, 0, sticky))
    end

    -- glibc strtold as Tair's m_string2ld accepts it; nil when Tair would say
    -- "value is not a valid float". Quirk kept from Tair: "" is 0.
    function LD.parse(s)
        if not floor then bind() end
        local len = #s
        if len >= MAX_LEN then return nil end
        -- The modules hand strtold a C string: it ends at the first NUL ("1\0junk" is 1).
        local nul = find(s, '\0', 1, true)
        if nul then
            s = sub(s, 1, nul - 1)
            len = nul - 1
        end
        if len == 0 then return make_zero(false) end
        local b = byte(s, 1)
        if b == 32 or (b >= 9 and b <= 13) then return nil end
        local neg, pos = false, 1
        if b == 45 or b == 43 then
            neg = b == 45
            pos = 2
            b = byte(s, 2)
        end
        if b == 105 or b == 73 then -- 'i' / 'I'
            local word = lower(sub(s, pos))
            if word == 'inf' or word == 'infinity' then return make_inf(neg) end
            return nil
        end
        if b == 48 then
            local x = byte(s, pos + 1)
            if (x == 120 or x == 88) and find(s, '^%.?%x', pos + 2) then
                return parse_hex(neg, s, pos + 2)
            end
        end
        return parse_decimal(neg, s, pos)
    end

    -- ------------------------------------------------------ add, cmp, format

    local NAN = {neg = true, nan = true} -- x87's default NaN has the sign bit set

    -- One x87 FADD: the exact sum rounded half-even to 64 bits; may be +-inf.
    function LD.add(a, b)
        if not floor then bind() end
        if a.nan or b.nan then return NAN end
        if a.inf or b.inf then
            if a.inf and b.inf and a.neg ~= b.neg then return NAN end
            return a.inf and a or b
        end
        if a.zero then
            if b.zero then return make_zero(a.neg and b.neg) end
            return b
        end
        if b.zero then return a end
        if a.e < b.e then a, b = b, a end
        local d = a.e - b.e
        -- |b| < 2^(64+b.e) <= 2^(a.e-3), under half of the smaller ulp below a
        -- (a power-of-two a has ulp 2^(a.e-1) underneath): the sum rounds to a.
        if d > 66 then return a end
        local A = bn_from_sig(a.hi, a.lo)
        bn_mul_pow2(A, d)
        local Bv = bn_from_sig(b.hi, b.lo)
        local S, neg
        if a.neg == b.neg then
            S, neg = bn_add(A, Bv), a.neg
        else
            local c = bn_cmp(A, Bv)
            if c == 0 then return make_zero(false) end
            if c > 0 then
                S, neg = bn_sub(A, Bv), a.neg
            else
                S, neg = bn_sub(Bv, A), b.neg
            end
        end
        return round_value(neg, S, b.e, 0, false)
    end

    local function cmp_magnitude(a, b)
        if a.inf or b.inf then
            if a.inf and b.inf then return 0 end
            return a.inf and 1 or -1
        end
        if a.e ~= b.e then return a.e < b.e and -1 or 1 end
        if a.hi ~= b.hi then return a.hi < b.hi and -1 or 1 end
        if a.lo ~= b.lo then return a.lo < b.lo and -1 or 1 end
        return 0
    end

    -- -1, 0 or 1; nil when either side is NaN (unordered). -0 == +0.
    function LD.cmp(a, b)
        if a.nan or b.nan then return nil end
        local sa = a.zero and 0 or (a.neg and -1 or 1)
        local sb = b.zero and 0 or (b.neg and -1 or 1)
        if sa ~= sb then return sa < sb and -1 or 1 end
        if sa == 0 then return 0 end
        local c = cmp_magnitude(a, b)
        return sa > 0 and c or -c
    end

    function LD.is_finite(a)
        return a ~= nil and not a.inf and not a.nan
    end

    -- snprintf("%.17Lf") with trailing zeros (then a trailing '.') stripped.
    function LD.format(a)
        if not floor then bind() end
        if a.nan then return a.neg and '-nan' or 'nan' end
        local sign = a.neg and '-' or ''
        if a.inf then return sign .. 'inf' end
        if a.zero then return sign .. '0' end
        local e = a.e
        local N = bn_from_sig(a.hi, a.lo)
        if e >= 0 then return sign .. bn_tostring(bn_shl(N, e)) end
        -- Below 2^-58 the value is under half a unit of the 17th decimal (and
        -- never exactly half: 10^17 * 2^e has a factor 5^17).
        if e + 64 <= -58 then return sign .. '0' end
        N = bn_mul_pow10(N, 17)
        local inexact = bn_div_pow2(N, -e - 1)
        local half = bn_div_small(N, 2)
        if half == 1 and (inexact or (N[1] or 0) % 2 == 1) then bn_add_small(N, 1) end
        local digits = bn_tostring(N)
        if #digits < 18 then digits = rep('0', 18 - #digits) .. digits end
        local int = sub(digits, 1, -18)
        local last = #digits
        while last > #int and byte(digits, last) == 48 do last = last - 1 end
        if last == #int then return sign .. int end
        return sign .. int .. '.' .. sub(digits, #int + 1, last)
    end
end
